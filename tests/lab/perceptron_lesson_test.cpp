// The Perceptron lesson's logic without a browser: which keys rebuild the data, the run or the
// sweep, and what space and Step do to the run.
#include "lessons/perceptron/perceptron_lesson.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "fake_analysis_runner.hpp"
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
    qlab::run_job(*lesson.sweep->job());
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

namespace quantlab {
namespace {

using test::state_with;

// One cell trained directly: the core's split, the core's perceptron, the protocol's passes.
double direct_cell(const qlab::Dataset& data, const std::string& spec, int epochs, bool test_rows,
                   std::uint64_t seed) {
    const qlab::Split split = qlab::split_dataset(data, 0.2, seed);
    qlab::QuantizedLinearOptions o;
    o.format = spec;
    o.epochs = epochs;
    o.seed = seed;
    const qlab::Dataset& train = test_rows ? split.train : data;
    qlab::QuantizedLinearJob job(train, test_rows ? &split.test : nullptr, o);
    qlab::run_job(job);
    return test_rows ? job.result().test_accuracy : job.result().train_accuracy;
}

TEST(PerceptronLesson, TheSweepFollowsThePapersProtocolOrConverges) {
    perceptron::Lesson lesson;
    qlab::LabState s = state_with({{"panel", "perceptron"}, {"n", "100"}, {"seed", "3"}});
    lesson.ensure(s);
    ASSERT_NE(lesson.sweep, nullptr);
    // Cherkhev §4.2 by default: 3 passes, scored on the 20% held out.
    EXPECT_EQ(lesson.sweep->epochs(), 3);
    ASSERT_TRUE(lesson.sweep->scores_test());
    EXPECT_EQ(lesson.sweep->test_size(), 20u);
    EXPECT_EQ(lesson.sweep->train_size(), 80u);
    lesson.sweep->job()->step(3);
    for (std::size_t i = 0; i < 3; ++i) {
        const qlab::SweepCell& c = lesson.sweep->cells()[i];
        EXPECT_DOUBLE_EQ(lesson.sweep->score(c), direct_cell(lesson.train, c.spec, 3, true, 3))
            << c.spec;
    }
    // converge: 50 passes on every row, training accuracy; the run is untouched.
    lesson.step(4);
    const qlab::StateChange c = qlab::set_state(s, {{"protocol", "converge"}});
    ASSERT_EQ(c.changed, std::vector<std::string>{"protocol"});
    lesson.on_state_changed(c.changed);
    lesson.ensure(s);
    EXPECT_EQ(lesson.run->visited(), 4);
    EXPECT_EQ(lesson.sweep->epochs(), 50);
    EXPECT_FALSE(lesson.sweep->scores_test());
    EXPECT_EQ(lesson.sweep->train_size(), 100u);
    lesson.sweep->job()->step(2);
    const qlab::SweepCell& cell = lesson.sweep->cells()[1];
    EXPECT_DOUBLE_EQ(lesson.sweep->score(cell), direct_cell(lesson.train, cell.spec, 50, false, 3));
}

TEST(PerceptronLesson, ThePapersTablesBesideOurs) {
    perceptron::Lesson lesson;
    qlab::LabState s =
        state_with({{"panel", "perceptron"}, {"set", "synth01"}, {"grid", "4-float"}});
    lesson.ensure(s);
    ASSERT_NE(lesson.sweep_table, nullptr);
    EXPECT_EQ(lesson.sweep_table->id, "4-float");
    EXPECT_EQ(lesson.sweep_grid, "float:e={2,3,4,5,6,7},bits={7,8,9,10},sub=0,sat=1");
    qlab::run_job(*lesson.sweep->job());
    const std::vector<perceptron::PaperRow> rows =
        perceptron::paper_beside(*lesson.sweep, *lesson.sweep_table);
    ASSERT_EQ(rows.size(), 7u);  // e = 1..7 as printed
    for (const auto& row : rows) ASSERT_EQ(row.cells.size(), 4u);
    // e = 1: no IEEE-style float in the lab.
    for (const auto& c : rows[0].cells) EXPECT_TRUE(c.ours_na);
    // e = 7 at 7 bits leaves no mantissa bit: "-" in both; at 9 bits the paper prints "-" though
    // m = 1, and we compute the cell.
    EXPECT_TRUE(std::isnan(rows[6].cells[0].paper));
    EXPECT_TRUE(rows[6].cells[0].ours_dash);
    EXPECT_TRUE(std::isnan(rows[6].cells[2].paper));
    EXPECT_FALSE(rows[6].cells[2].ours_dash);
    EXPECT_FALSE(std::isnan(rows[6].cells[2].ours));
    // Every other cell: the paper's printed value, and ours as the sweep scored it, in %.
    const std::size_t columns = lesson.sweep->grid().columns();
    for (std::size_t r = 1; r < rows.size(); ++r)
        for (std::size_t c = 0; c < 4; ++c) {
            EXPECT_TRUE(std::isnan(rows[r].cells[c].paper) ||
                        rows[r].cells[c].paper == lesson.sweep_table->cell(r, c));
            const qlab::SweepCell& sc = lesson.sweep->cells()[(r - 1) * columns + c];
            if (!sc.possible) continue;
            EXPECT_DOUBLE_EQ(rows[r].cells[c].ours, 100 * lesson.sweep->score(sc));
            EXPECT_DOUBLE_EQ(rows[r].cells[c].ours,
                             100 * direct_cell(lesson.train, sc.spec, 3, true, 1));
        }
    // A bad grid key is refused by the state and the lesson keeps its table.
    EXPECT_FALSE(qlab::set_property(s, "grid", "5-float").ok());
    EXPECT_EQ(s.grid, "4-float");
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

qlab::Dataset idx_set(const std::string& set) {
    const std::string im = test::dataset_bytes(set + "-images.idx");
    const std::string lb = test::dataset_bytes(set + "-labels.idx");
    auto d = qlab::parse_idx(std::vector<std::uint8_t>(im.begin(), im.end()),
                             std::vector<std::uint8_t>(lb.begin(), lb.end()), set);
    return d ? std::move(d).value() : qlab::Dataset{};
}

// The substitutes for Cherkhev's gisette and farm-ads (his Tables 3-4), made from the lab's
// files as `qlab sweep --data mnist@classes=4/9` makes them: the class pair as 0/1, 20% held out
// by the seed, MNIST scaled to [-1, 1] by the training rows, Fashion's pixels 0 or 1.
TEST(PerceptronLesson, TheHeatmapRunsOnTheSubstitutesOfCherkhevsDataSets) {
    const qlab::Dataset mnist = idx_set("mnist");
    if (mnist.size() == 0) GTEST_SKIP() << "MNIST is not unpacked (scripts/bootstrap.sh)";
    qlab::SweepPlan plan;  // the paper's protocol, seed 1
    auto split = perceptron::substitute_split("mnist4v9", mnist, plan);
    ASSERT_TRUE(split.ok()) << split.status().message();
    std::size_t fours = 0, nines = 0;
    for (int y : mnist.y) fours += y == 4, nines += y == 9;
    EXPECT_EQ(split->train.size() + split->test.size(), fours + nines);  // 980 + 978
    EXPECT_EQ(split->test.size(), 392u);                                 // 20% of 1,958, rounded
    EXPECT_EQ(split->train.classes, 2);
    const auto [lo, hi] = std::minmax_element(split->train.x.begin(), split->train.x.end());
    EXPECT_EQ(*lo, -1.0f);
    EXPECT_EQ(*hi, 1.0f);
    const qlab::Dataset fashion = idx_set("fashion");
    if (fashion.size() == 0) GTEST_SKIP() << "Fashion-MNIST is not unpacked";
    qlab::SweepPlan converge;
    converge.protocol = qlab::SweepProtocol::converge;
    auto binary = perceptron::substitute_split("fashion5v7", fashion, converge);
    ASSERT_TRUE(binary.ok());
    EXPECT_EQ(binary->train.size(), 2000u);  // converge: every row trains and is scored
    EXPECT_EQ(binary->test.size(), 0u);
    for (float v : binary->train.x) ASSERT_TRUE(v == 0.0f || v == 1.0f) << v;
    EXPECT_FALSE(perceptron::substitute_split("gisette", mnist, plan).ok());

    // The lesson waits for its source, then sweeps Table 3's float grid on it, scoring the test
    // rows after Cherkhev's 3 passes.
    qlab::LabState s = state_with({{"sdata", "mnist4v9"}, {"grid", "3-float"}});
    perceptron::Lesson lesson;
    lesson.ensure(s, nullptr);
    EXPECT_EQ(lesson.sweep, nullptr);
    EXPECT_EQ(lesson.sweep_waiting, "loading mnist for the heatmap");
    lesson.ensure(s, &mnist);
    ASSERT_NE(lesson.sweep, nullptr);
    EXPECT_TRUE(lesson.sweep_waiting.empty());
    EXPECT_EQ(lesson.sweep->train_size(), split->train.size());
    ASSERT_TRUE(lesson.sweep->scores_test());
    EXPECT_EQ(lesson.sweep->test_size(), split->test.size());
    EXPECT_EQ(lesson.sweep->epochs(), qlab::kCherkhevEpochs);
    ASSERT_NE(lesson.sweep_table, nullptr);
    EXPECT_EQ(lesson.substitute.train.x, split->train.x);  // the rows the sweep trains on
    // Back to the points: the sweep runs on the lesson's own set again.
    s = state_with({{"sdata", "points"}, {"grid", "3-float"}});
    lesson.on_state_changed({"sdata"});
    lesson.ensure(s, nullptr);
    ASSERT_NE(lesson.sweep, nullptr);
    // The paper's protocol splits the lesson's points (2 features) in two.
    EXPECT_EQ(lesson.sweep->train_size() + lesson.sweep->test_size(), lesson.train.size());
    EXPECT_EQ(lesson.sweep->grid().specs.front().find("float:"), 0u);
}

// With a Web Worker the sweep runs there: its grid shows at once, its cells arrive as the worker
// trains them, and every score equals the page's own sweep (both protocols).
TEST(PerceptronLesson, InTheWorkerTheSweepGivesThePagesOwnCells) {
    for (const char* protocol : {"paper", "converge"}) {
        const qlab::LabState s = state_with(
            {{"panel", "perceptron"}, {"n", "80"}, {"seed", "4"}, {"protocol", protocol}});
        perceptron::Lesson here;
        here.ensure(s);
        ASSERT_NE(here.sweep, nullptr);
        ASSERT_FALSE(here.sweep->in_worker());
        ASSERT_TRUE(qlab::run_job(*here.sweep->job()).ok());

        double now = 0;
        test::FakeAnalysisRunner runner(&now);
        perceptron::Lesson there;
        there.analyses = &runner;
        there.ensure(s);
        ASSERT_NE(there.sweep, nullptr);
        EXPECT_TRUE(there.sweep->in_worker()) << protocol;
        EXPECT_TRUE(there.sweep->scheduled("accuracy sweep").elsewhere);
        // The grid before any message, as the page's own job has it.
        EXPECT_EQ(there.sweep->cells().size(), here.sweep->cells().size());
        EXPECT_EQ(there.sweep->cells_done(), 0u);
        // Its progress bar knows the cells before the worker says anything.
        EXPECT_EQ(there.sweep->job()->progress().total,
                  static_cast<long long>(here.sweep->cells().size()));
        EXPECT_EQ(there.sweep->train_size(), here.sweep->train_size());
        EXPECT_EQ(there.sweep->test_size(), here.sweep->test_size());
        runner.pump(1, 200);
        EXPECT_EQ(there.sweep->cells_done(), 1u);
        runner.pump_all();
        ASSERT_EQ(there.sweep->state(), qlab::JobState::finished)
            << there.sweep->status().message();
        ASSERT_EQ(there.sweep->cells().size(), here.sweep->cells().size());
        for (std::size_t i = 0; i < here.sweep->cells().size(); ++i) {
            const qlab::SweepCell &a = there.sweep->cells()[i], &b = here.sweep->cells()[i];
            EXPECT_EQ(a.spec, b.spec);
            EXPECT_EQ(a.done, b.done);
            EXPECT_EQ(a.error, b.error);
            EXPECT_EQ(there.sweep->score(a), here.sweep->score(b)) << protocol << " " << a.spec;
            EXPECT_EQ(a.result.weights, b.result.weights);
            EXPECT_EQ(a.result.updates, b.result.updates);
        }
    }
}

}  // namespace
}  // namespace quantlab
