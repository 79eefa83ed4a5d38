// Challenge links in the lab: the URL's goal checked against the open lesson's metrics, shown by
// the shell as pass or not yet, and reported by metrics() as "challenge".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qlab/challenge.hpp"

namespace quantlab {

struct ChallengeTermStatus {
    qlab::GoalTerm term;
    double value = 0;  // NaN: the lesson does not report this metric (yet)
    bool found = false, met = false;
};

struct ChallengeStatus {
    std::string goal;  // empty: no challenge
    std::vector<ChallengeTermStatus> terms;
    bool pass = false;
};

// A metric by dotted path ("ptq.accuracy", "levels.2.accuracy"); numbers and booleans only.
bool metric_value(const nlohmann::json& metrics, const std::string& path, double& value);
ChallengeStatus check_challenge(const std::string& goal, const nlohmann::json& metrics);
nlohmann::json challenge_json(const ChallengeStatus& status);

}  // namespace quantlab
