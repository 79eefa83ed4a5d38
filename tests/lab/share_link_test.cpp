// The shared link's query: a lab opened on it has the whole state again, settings of lessons
// other than the open one included, and the link stays the address bar's when nothing else differs.
#include "lab/share_link.hpp"

#include <gtest/gtest.h>

#include <string>

namespace quantlab {
namespace {

qlab::LabState opened_on(const std::string& query) {
    qlab::LabState s;
    EXPECT_TRUE(qlab::apply_query(query, s).empty()) << query;
    return s;
}

void expect_same(const qlab::LabState& a, const qlab::LabState& b) {
    for (const qlab::Property& p : qlab::lab_properties())
        EXPECT_EQ(qlab::property_text(a, p), qlab::property_text(b, p)) << p.key;
}

TEST(ShareLink, DefaultStateIsTheAddressBarsQuery) {
    const qlab::LabState s;
    EXPECT_EQ(share_query(s), qlab::to_query(s));
    expect_same(opened_on(share_query(s)), s);
}

TEST(ShareLink, CarriesOtherLessonsChangedKeys) {
    qlab::LabState s;
    ASSERT_TRUE(qlab::set_property(s, "atoms", "lattice:range=2,points=16"));
    ASSERT_TRUE(qlab::set_property(s, "format", "float:e=4,m=3"));
    ASSERT_TRUE(qlab::set_property(s, "panel", "perceptron"));
    const std::string q = share_query(s);
    EXPECT_EQ(q.rfind(qlab::to_query(s), 0), 0u) << q;  // starts with the address bar's
    EXPECT_NE(q.find("format=float:e=4,m=3"), std::string::npos) << q;
    EXPECT_FALSE(query_reproduces(qlab::to_query(s), s));
    EXPECT_TRUE(query_reproduces(q, s));
    expect_same(opened_on(q), s);
}

}  // namespace
}  // namespace quantlab
