// Challenge links: an instructor writes a goal into the URL ("test_accuracy>=0.97,weight_bits<=5")
// and the lab checks it live against the open lesson's metrics. Parsing and checking only; the
// metrics themselves come from the lessons.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qlab/status.hpp"

namespace qlab {

enum class GoalOp { at_least, at_most, above, below, equal };

// One condition: a metric (a name from metrics(), dots reach into objects: "ptq.accuracy"),
// a comparison and a target.
struct GoalTerm {
    std::string metric;
    GoalOp op = GoalOp::at_least;
    double target = 0;
};

// Up to kMaxGoalTerms conditions separated by ',' or ';', each "metric OP number" with OP one of
// >= <= > < =. The empty text is no goal. A bad term yields a message that names it.
constexpr std::size_t kMaxGoalTerms = 8;
Result<std::vector<GoalTerm>> parse_goal(std::string_view text);

const char* goal_op_text(GoalOp op);  // ">=", "<=", ">", "<", "="
std::string goal_term_text(const GoalTerm& term);
// Whether a measured value meets the term (NaN never does; "=" means within 1e-9 relative).
bool goal_term_met(const GoalTerm& term, double value);

}  // namespace qlab
