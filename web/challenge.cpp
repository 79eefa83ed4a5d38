// Challenge links: looking metrics up by path and checking the goal's terms (parsed in core).
#include "challenge.hpp"

#include <cmath>
#include <cstdlib>

namespace quantlab {

bool metric_value(const nlohmann::json& metrics, const std::string& path, double& value) {
    const nlohmann::json* node = &metrics;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t dot = path.find('.', start);
        const std::string part =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (node->is_object()) {
            auto it = node->find(part);
            if (it == node->end()) return false;
            node = &*it;
        } else if (node->is_array()) {
            char* end = nullptr;
            const long index = std::strtol(part.c_str(), &end, 10);
            if (part.empty() || *end != '\0' || index < 0 ||
                static_cast<std::size_t>(index) >= node->size())
                return false;
            node = &(*node)[static_cast<std::size_t>(index)];
        } else {
            return false;
        }
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (node->is_boolean()) {
        value = node->get<bool>() ? 1 : 0;
        return true;
    }
    if (!node->is_number()) return false;
    value = node->get<double>();
    return true;
}

ChallengeStatus check_challenge(const std::string& goal, const nlohmann::json& metrics) {
    ChallengeStatus status;
    status.goal = goal;
    auto terms = qlab::parse_goal(goal);
    if (!terms || terms->empty()) return status;  // the state table refuses bad goals already
    status.pass = true;
    for (const qlab::GoalTerm& t : *terms) {
        ChallengeTermStatus s;
        s.term = t;
        s.value = NAN;
        s.found = metric_value(metrics, t.metric, s.value);
        s.met = s.found && qlab::goal_term_met(t, s.value);
        status.pass = status.pass && s.met;
        status.terms.push_back(s);
    }
    return status;
}

nlohmann::json challenge_json(const ChallengeStatus& status) {
    using nlohmann::json;
    json terms = json::array();
    for (const ChallengeTermStatus& s : status.terms)
        terms.push_back(
            {{"metric", s.term.metric},
             {"op", qlab::goal_op_text(s.term.op)},
             {"target", s.term.target},
             {"value", s.found && std::isfinite(s.value) ? json(s.value) : json(nullptr)},
             {"met", s.met}});
    return {{"goal", status.goal},
            {"active", !status.terms.empty()},
            {"pass", status.pass},
            {"terms", terms}};
}

}  // namespace quantlab
