// The Formats lesson's logic without a browser: where x lands and its metrics (against values
// worked out by hand), stepping across atoms and the view that follows, which keys refit a
// data-dependent format, and one block of a block-scaled format.
#include "lessons/formats/formats_lesson.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::state_with;

// Sampling error of a 4096-value Gaussian SQNR against its closed form (dB).
constexpr double kSampledSqnrToleranceDb = 0.3;

// A lesson that has heard every key of the state once, as the panel does when it opens.
formats::Lesson lesson_for(const qlab::LabState& s) {
    formats::Lesson lesson;
    lesson.on_state_changed(s, {"format", "rounding", "seed"});
    return lesson;
}

TEST(FormatsLesson, MetricsOfFixedPointAreTheHandValues) {
    const qlab::LabState s = state_with({{"format", "fixed:w=8,f=4"}, {"x", "0.3"}});
    const formats::Lesson lesson = lesson_for(s);
    const nlohmann::json m = lesson.metrics(s);
    // 0.3 * 16 = 4.8 rounds to code 5: 5/16.
    EXPECT_EQ(m["quantized"].get<double>(), 0.3125);
    EXPECT_NEAR(m["error"].get<double>(), 0.0125, 1e-15);
    EXPECT_NEAR(m["rel_error"].get<double>(), 0.0125 / 0.3, 1e-15);
    EXPECT_EQ(m["step"].get<double>(), 0.0625);
    EXPECT_EQ(m["atoms"].get<double>(), 256);
    EXPECT_EQ(m["bits"].get<int>(), 8);
    EXPECT_EQ(m["max_finite"].get<double>(), 127.0 / 16);
    EXPECT_EQ(m["min_positive"].get<double>(), 1.0 / 16);
    EXPECT_EQ(m["code"].get<std::uint64_t>(), 5u);
    EXPECT_FALSE(m.contains("block"));
    // Uniform noise of step 1/16 on N(0, 1) well inside the range: SNR = 12 * 256 = 35.0 dB.
    const double closed_form = 10 * std::log10(12.0 * 256);
    EXPECT_NEAR(m["sqnr_db_gaussian"].get<double>(), closed_form, kSampledSqnrToleranceDb);
}

TEST(FormatsLesson, StepsAcrossAtomsAndTheViewFollows) {
    qlab::LabState s =
        state_with({{"format", "fixed:w=8,f=4"}, {"x", "0.3"}, {"lo", "0"}, {"hi", "0.35"}});
    const formats::Lesson lesson = lesson_for(s);
    int moved = 0;
    formats::StateValues values = lesson.step_atoms(s, 2, moved);
    EXPECT_EQ(moved, 2);
    ASSERT_EQ(values.size(), 3u);
    EXPECT_EQ(values[0], (std::pair<std::string, std::string>{"x", "0.375"}));
    // x walked past hi = 0.35: the view keeps its width 0.35 and puts x at 90% of it.
    EXPECT_NEAR(std::stod(values[1].second), 0.375 - 0.315, 1e-12);
    EXPECT_NEAR(std::stod(values[2].second), 0.375 + 0.035, 1e-12);
    // Downwards inside the view: only x changes value.
    values = lesson.step_atoms(s, -1, moved);
    EXPECT_EQ(moved, 1);
    EXPECT_EQ(values[0].second, "0.25");
    EXPECT_EQ(values[1].second, "0");
    EXPECT_EQ(values[2].second, "0.35");
    // At the largest atom there is nowhere to go: nothing moves, nothing is set.
    s = state_with({{"format", "fixed:w=8,f=4"}, {"x", "7.9375"}, {"lo", "0"}, {"hi", "8"}});
    values = lesson.step_atoms(s, 1, moved);
    EXPECT_EQ(moved, 0);
    EXPECT_TRUE(values.empty());
}

TEST(FormatsLesson, OnlyFormatRoundingAndSeedRefitADataDependentFormat) {
    qlab::LabState s = state_with({{"format", "ternary"}, {"seed", "3"}});
    formats::Lesson lesson = lesson_for(s);
    ASSERT_TRUE(lesson.spec_format().data_dependent());
    const std::string fitted = lesson.format().to_string();
    EXPECT_NE(fitted, lesson.spec_format().to_string());
    EXPECT_NE(lesson.fit_note().find("seed 3"), std::string::npos);
    // Dragging x changes nothing fitted.
    qlab::StateChange c = qlab::set_state(s, {{"x", "0.7"}});
    lesson.on_state_changed(s, c.changed);
    EXPECT_EQ(lesson.format().to_string(), fitted);
    // Another seed draws another sample: another fit.
    c = qlab::set_state(s, {{"seed", "4"}});
    lesson.on_state_changed(s, c.changed);
    EXPECT_NE(lesson.format().to_string(), fitted);
    EXPECT_NE(lesson.fit_note().find("seed 4"), std::string::npos);
    // A fixed format needs no fit and has no note.
    c = qlab::set_state(s, {{"format", "fixed:w=4,f=2"}});
    lesson.on_state_changed(s, c.changed);
    EXPECT_TRUE(lesson.fit_note().empty());
}

TEST(FormatsLesson, OneBlockOfMxfp4AsTheFormatStoresIt) {
    const qlab::LabState s = state_with({{"format", "mxfp4"}});
    const formats::Lesson lesson = lesson_for(s);
    ASSERT_EQ(lesson.block_values().size(), 32u);
    ASSERT_EQ(lesson.block_codes().size(), 32u);
    const nlohmann::json m = lesson.metrics(s);
    ASSERT_TRUE(m.contains("block"));
    EXPECT_EQ(m["block"]["size"].get<int>(), 32);
    EXPECT_EQ(m["bits_per_value"].get<double>(), 4 + 8.0 / 32);  // E8M0 scale shared by 32
    // Every stored value is an FP4 E2M1 magnitude times the block's power-of-two scale.
    const double scale = m["block"]["scale"].get<double>();
    EXPECT_EQ(scale, std::exp2(std::round(std::log2(scale))));
    const double e2m1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (double q : lesson.block_quantized()) {
        bool on_grid = false;
        for (double a : e2m1) on_grid = on_grid || std::fabs(q) == a * scale;
        EXPECT_TRUE(on_grid) << q << " is not an E2M1 value times " << scale;
    }
}

TEST(FormatsLesson, NonFiniteValuesBecomeTextInJson) {
    EXPECT_EQ(formats::json_number(INFINITY), "inf");
    EXPECT_EQ(formats::json_number(-INFINITY), "-inf");
    EXPECT_EQ(formats::json_number(NAN), "nan");
    EXPECT_EQ(formats::json_number(1.5), 1.5);
}

}  // namespace
}  // namespace quantlab
