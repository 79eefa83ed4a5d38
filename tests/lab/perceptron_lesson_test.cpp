// The Perceptron lesson's logic without a browser: which keys rebuild the data, the run or the
// sweep, and what space and Step do to the run.
#include "lessons/perceptron/perceptron_lesson.hpp"

#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::state_with;

TEST(PerceptronLesson, KeysRebuildOnlyWhatDependsOnThem) {
    perceptron::Lesson lesson;
    qlab::LabState s = state_with({{"panel", "perceptron"}, {"n", "60"}});
    EXPECT_TRUE(lesson.ensure(s).empty());
    ASSERT_TRUE(lesson.trainable());
    ASSERT_NE(lesson.sweep, nullptr);
    EXPECT_EQ(lesson.train.size(), 60u);
    // Marks on the current run and sweep: a rebuilt one starts from nothing.
    lesson.step(3);
    qlab::run_job(*lesson.sweep);
    const auto fresh_run = [&] { return lesson.run->visited() == 0; };
    const auto fresh_sweep = [&] { return lesson.sweep->cells_done() == 0; };
    // The atoms: a new run, the same data and sweep.
    qlab::StateChange c = qlab::set_state(s, {{"atoms", "lattice:range=1,points=8"}});
    lesson.on_state_changed(c.changed);
    lesson.ensure(s);
    EXPECT_TRUE(fresh_run());
    EXPECT_FALSE(fresh_sweep());
    EXPECT_EQ(lesson.train.size(), 60u);
    // The grid: only the sweep.
    lesson.step(3);
    c = qlab::set_state(s, {{"grid", "float"}});
    lesson.on_state_changed(c.changed);
    lesson.ensure(s);
    EXPECT_FALSE(fresh_run());
    EXPECT_TRUE(fresh_sweep());
    EXPECT_EQ(lesson.sweep_grid, perceptron::grid_text("float"));
    // The data: everything, on the new rows.
    c = qlab::set_state(s, {{"n", "90"}});
    lesson.on_state_changed(c.changed);
    lesson.ensure(s);
    EXPECT_EQ(lesson.train.size(), 90u);
    EXPECT_TRUE(fresh_run());
}

TEST(PerceptronLesson, SpacePausesResumesAndStartsAFinishedRunOver) {
    perceptron::Lesson lesson;
    const qlab::LabState s = state_with({{"panel", "perceptron"}, {"n", "40"}});
    lesson.ensure(s);
    EXPECT_FALSE(lesson.running());
    lesson.toggle_run(s);
    EXPECT_TRUE(lesson.running());
    EXPECT_EQ(lesson.step(5), 5);
    EXPECT_EQ(lesson.run->visited(), 5);
    lesson.toggle_run(s);
    EXPECT_FALSE(lesson.running());
    lesson.toggle_run(s);  // resumes where it was
    EXPECT_TRUE(lesson.running());
    EXPECT_EQ(lesson.run->visited(), 5);
    qlab::run_job(*lesson.run);  // to its end
    EXPECT_FALSE(lesson.running());
    lesson.toggle_run(s);  // a finished run starts over
    EXPECT_TRUE(lesson.running());
    EXPECT_EQ(lesson.run->visited(), 0);
}

TEST(PerceptronLesson, ABadAtomSpecIsSaidAndNothingRuns) {
    perceptron::Lesson lesson;
    qlab::LabState s = state_with({{"panel", "perceptron"}});
    s.atoms = "lattice:range=1,points=1";  // past the property table's check, as a test may
    const std::vector<std::string> problems = lesson.ensure(s);
    EXPECT_FALSE(problems.empty());
    EXPECT_FALSE(lesson.trainable());
    EXPECT_EQ(lesson.step(3), 0);
}

}  // namespace
}  // namespace quantlab
