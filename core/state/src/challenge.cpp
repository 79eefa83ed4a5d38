// Goal text of challenge links: "metric OP number" terms, parsed strictly so a typo in a link is
// reported rather than silently never met.
#include "qlab/challenge.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "qlab/format.hpp"  // shortest_repr

namespace qlab {
namespace {

constexpr double kEqualRelativeTolerance = 1e-9;

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool is_metric_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

Result<GoalTerm> parse_term(std::string_view text) {
    const std::string quoted = "goal term '" + std::string(text) + "'";
    std::size_t i = 0;
    while (i < text.size() && is_metric_char(text[i])) ++i;
    GoalTerm term;
    term.metric = std::string(trim(text.substr(0, i)));
    if (term.metric.empty() || !std::isalpha(static_cast<unsigned char>(term.metric.front())) ||
        term.metric.back() == '.' || term.metric.find("..") != std::string::npos)
        return Status::error(quoted + ": starts with a metric name such as test_accuracy");
    std::string_view rest = trim(text.substr(i));
    struct OpText {
        const char* text;
        GoalOp op;
    };
    static const OpText ops[] = {{">=", GoalOp::at_least},
                                 {"<=", GoalOp::at_most},
                                 {">", GoalOp::above},
                                 {"<", GoalOp::below},
                                 {"=", GoalOp::equal}};
    bool found = false;
    for (const OpText& o : ops) {
        const std::string_view t = o.text;
        if (rest.substr(0, t.size()) == t) {
            term.op = o.op;
            rest = trim(rest.substr(t.size()));
            found = true;
            break;
        }
    }
    if (!found)
        return Status::error(quoted + ": needs a comparison >=, <=, >, < or = after '" +
                             term.metric + "'");
    const std::string number(rest);
    char* end = nullptr;
    term.target = number.empty() ? NAN : std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(term.target))
        return Status::error(quoted + ": '" + number + "' is not a finite number");
    return term;
}

}  // namespace

Result<std::vector<GoalTerm>> parse_goal(std::string_view text) {
    std::vector<GoalTerm> terms;
    text = trim(text);
    while (!text.empty()) {
        const std::size_t sep = text.find_first_of(",;");
        const std::string_view item = trim(text.substr(0, sep));
        text = sep == std::string_view::npos ? std::string_view() : trim(text.substr(sep + 1));
        if (item.empty()) continue;
        auto term = parse_term(item);
        if (!term) return term.status();
        terms.push_back(std::move(term).value());
        if (terms.size() > kMaxGoalTerms)
            return Status::error("a goal has at most " + std::to_string(kMaxGoalTerms) + " terms");
    }
    return terms;
}

const char* goal_op_text(GoalOp op) {
    switch (op) {
        case GoalOp::at_least:
            return ">=";
        case GoalOp::at_most:
            return "<=";
        case GoalOp::above:
            return ">";
        case GoalOp::below:
            return "<";
        case GoalOp::equal:
            return "=";
    }
    return "?";
}

std::string goal_term_text(const GoalTerm& t) {
    return t.metric + " " + goal_op_text(t.op) + " " + shortest_repr(t.target);
}

bool goal_term_met(const GoalTerm& t, double v) {
    if (std::isnan(v)) return false;
    switch (t.op) {
        case GoalOp::at_least:
            return v >= t.target;
        case GoalOp::at_most:
            return v <= t.target;
        case GoalOp::above:
            return v > t.target;
        case GoalOp::below:
            return v < t.target;
        case GoalOp::equal:
            return std::fabs(v - t.target) <=
                   kEqualRelativeTolerance * std::max(1.0, std::fabs(t.target));
    }
    return false;
}

}  // namespace qlab
