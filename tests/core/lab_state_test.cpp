// Lab state: the property table to and from URL queries, validation and messages.
#include <gtest/gtest.h>

#include "qlab/lab_state.hpp"

namespace qlab {
namespace {

TEST(LabState, DefaultsRoundTripThroughTheQuery) {
    const LabState defaults;
    const std::string q = to_query(defaults);
    EXPECT_EQ(q, "panel=formats&format=fixed:w=8,f=4&rounding=rne&x=0.3&y=-0.7&lo=-2&hi=2&seed=1");
    LabState back;
    back.x = 99;
    EXPECT_TRUE(apply_query(q, back).empty());
    EXPECT_EQ(back, defaults);
}

TEST(LabState, IssueExampleUrl) {
    LabState s;
    EXPECT_TRUE(apply_query("?panel=formats&format=fixed:w=4,f=2&x=0.3", s).empty());
    EXPECT_EQ(s.format, "fixed:w=4,f=2");
    EXPECT_EQ(s.x, 0.3);
}

TEST(LabState, PercentEncodingBothWays) {
    LabState s;
    ASSERT_TRUE(set_property(s, "format", "float:e=5,m=10,sub=0").ok());
    const std::string q = to_query(s);
    EXPECT_NE(q.find("format=float:e=5,m=10,sub=0&"), std::string::npos);
    LabState t;
    EXPECT_TRUE(apply_query("format=float%3Ae%3D4%2Cm%3D3&x=%2D0.5", t).empty());
    EXPECT_EQ(t.format, "float:e=4,m=3");
    EXPECT_EQ(t.x, -0.5);
    EXPECT_EQ(percent_encode("a b&c#d%"), "a%20b%26c%23d%25");
    EXPECT_EQ(percent_decode("a+b%2"), "a b%2");
}

TEST(LabState, BadValuesKeepThePreviousValueAndSayWhy) {
    LabState s;
    s.format = "float:e=5,m=10";
    const auto messages =
        apply_query("format=fixed:w=99,f=2&x=abc&panel=nope&rounding=fast&seed=1.5&bogus=1", s);
    ASSERT_EQ(messages.size(), 6u);
    EXPECT_NE(messages[0].find("key 'w' must be from 2 to 53"), std::string::npos) << messages[0];
    EXPECT_NE(messages[0].find("kept format=float:e=5,m=10"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("'abc' is not a finite number"), std::string::npos) << messages[1];
    EXPECT_NE(messages[2].find("unknown panel 'nope'"), std::string::npos) << messages[2];
    EXPECT_NE(messages[3].find("unknown rounding mode 'fast'"), std::string::npos) << messages[3];
    EXPECT_NE(messages[4].find("not an integer"), std::string::npos) << messages[4];
    EXPECT_NE(messages[5].find("unknown URL key 'bogus'"), std::string::npos) << messages[5];
    EXPECT_EQ(s.format, "float:e=5,m=10");
    EXPECT_EQ(s.x, LabState{}.x);
    EXPECT_EQ(s.panel, "formats");
}

TEST(LabState, NumberLineRangeIsCheckedAsAPair) {
    LabState s;
    EXPECT_TRUE(apply_query("lo=5&hi=10", s).empty());
    EXPECT_EQ(s.lo, 5);
    EXPECT_EQ(s.hi, 10);
    EXPECT_TRUE(apply_query("lo=-10&hi=-5", s).empty());
    EXPECT_EQ(s.lo, -10);
    const auto m = apply_query("lo=3&hi=1", s);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_NE(m[0].find("lo < hi"), std::string::npos);
    EXPECT_EQ(s.lo, -10);
    EXPECT_EQ(s.hi, -5);
    EXPECT_FALSE(set_property(s, "hi", "-20").ok());
    EXPECT_FALSE(set_property(s, "x", "nan").ok());
    EXPECT_FALSE(set_property(s, "x", "inf").ok());
    EXPECT_FALSE(set_property(s, "x", "").ok());
    EXPECT_FALSE(set_property(s, "nope", "1").ok());
}

TEST(LabState, EveryPropertyIsReachableFromTheQuery) {
    for (const Property& p : lab_properties()) {
        EXPECT_NE(find_property(p.key), nullptr);
        EXPECT_TRUE((p.text == nullptr) != (p.number == nullptr)) << p.key;
        EXPECT_TRUE(p.text == nullptr || p.validate != nullptr) << p.key << ": every text setting is validated";
        EXPECT_NE(to_query(LabState{}).find(std::string(p.key) + "="), std::string::npos);
    }
}

}  // namespace
}  // namespace qlab
