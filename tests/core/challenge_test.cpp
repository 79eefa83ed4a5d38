// Goal text of challenge links: parsing (and the messages for bad terms) and checking values.
#include "qlab/challenge.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "qlab/lab_state.hpp"

namespace qlab {
namespace {

TEST(Challenge, ParsesTermsWithEveryComparison) {
    auto g = parse_goal(" test_accuracy>=0.97, weight_bits <= 5;ptq.accuracy>0.5 ,loss<1e-1,ba=4 ");
    ASSERT_TRUE(g.ok()) << g.status().message();
    ASSERT_EQ(g->size(), 5u);
    EXPECT_EQ((*g)[0].metric, "test_accuracy");
    EXPECT_EQ((*g)[0].op, GoalOp::at_least);
    EXPECT_EQ((*g)[0].target, 0.97);
    EXPECT_EQ((*g)[1].op, GoalOp::at_most);
    EXPECT_EQ((*g)[1].target, 5);
    EXPECT_EQ((*g)[2].metric, "ptq.accuracy");
    EXPECT_EQ((*g)[2].op, GoalOp::above);
    EXPECT_EQ((*g)[3].op, GoalOp::below);
    EXPECT_EQ((*g)[3].target, 0.1);
    EXPECT_EQ((*g)[4].op, GoalOp::equal);
    EXPECT_EQ(goal_term_text((*g)[1]), "weight_bits <= 5");
    EXPECT_TRUE(parse_goal("")->empty());
    EXPECT_TRUE(parse_goal(" , ;")->empty());
}

TEST(Challenge, BadTermsAreNamed) {
    const char* bad[] = {"accuracy",      "accuracy>=",  "accuracy>=abc", ">=0.5",
                         "9lives>=1",     "a..b>=1",     "accuracy=>0.5", "accuracy>=inf",
                         "accuracy>=nan", "acc uracy>=1"};
    for (const char* text : bad) {
        auto g = parse_goal(text);
        EXPECT_FALSE(g.ok()) << text;
        if (!g.ok()) {
            EXPECT_NE(g.status().message().find("goal"), std::string::npos) << g.status().message();
        }
    }
    EXPECT_FALSE(
        parse_goal("a>1,b>1,c>1,d>1,e>1,f>1,g>1,h>1,i>1").ok());  // more than kMaxGoalTerms
}

TEST(Challenge, TermsAreMetExactlyAtTheirBoundary) {
    const GoalTerm at_least{"a", GoalOp::at_least, 0.97}, above{"a", GoalOp::above, 0.97};
    EXPECT_TRUE(goal_term_met(at_least, 0.97));
    EXPECT_FALSE(goal_term_met(above, 0.97));
    EXPECT_FALSE(goal_term_met(at_least, 0.9699999));
    EXPECT_FALSE(goal_term_met(at_least, NAN));
    EXPECT_TRUE(goal_term_met({"a", GoalOp::at_most, 5}, 5));
    EXPECT_TRUE(goal_term_met({"a", GoalOp::below, 5}, 4.5));
    EXPECT_TRUE(goal_term_met({"a", GoalOp::equal, 4}, 4 + 1e-12));
    EXPECT_FALSE(goal_term_met({"a", GoalOp::equal, 4}, 4.001));
}

TEST(Challenge, TheGoalIsASharedKeyThatRefusesBadText) {
    LabState s;
    EXPECT_EQ(to_query(s).find("goal"), std::string::npos) << "no challenge, no goal in the link";
    EXPECT_TRUE(set_property(s, "goal", "test_accuracy>=0.9").ok());
    EXPECT_NE(to_query(s).find("goal=test_accuracy%3E=0.9"), std::string::npos) << to_query(s);
    const Status bad = set_property(s, "goal", "test_accuracy>>1");
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(s.goal, "test_accuracy>=0.9");
    LabState back;
    EXPECT_TRUE(apply_query(to_query(s), back).empty());
    EXPECT_EQ(back.goal, s.goal);
}

}  // namespace
}  // namespace qlab
