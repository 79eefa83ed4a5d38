// The Ternary lesson's logic without a browser: an untrained model gets neither Kundu's
// residuals nor the Pareto frontier (a 1-bit codebook "beating" float32 on random weights was a
// bug), and a trained one gets what the core's TernaryResidualJob gives; with a Web Worker
// (in-process here) each of the three views' jobs runs there and gives the same numbers.
#include "lessons/ternary/ternary_lesson.hpp"

#include <gtest/gtest.h>

#include "fake_analysis_runner.hpp"
#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::state_with;

struct TernaryFixture : ::testing::Test {
    FakeHost host;
    SharedModel model{host};
    ternary::Analysis analysis;
    ternary::Frontier frontier;
    qlab::LabState s =
        state_with({{"panel", "ternary"}, {"data", "circle"}, {"hidden", "16"}, {"tblock", "8"}});
    void SetUp() override { model.sync(s); }
    ternary::AnalysisKey key() const {
        ternary::AnalysisKey k;
        k.version = model.version();
        k.block = 8;
        k.tolerance = s.ttol;
        return k;
    }
};

TEST_F(TernaryFixture, AnUntrainedModelGetsNoResidualsAndNoFrontier) {
    analysis.update(model, key(), 0);
    frontier.update(model, key(), true, 0);
    EXPECT_EQ(analysis.phase(), ternary::Analysis::Phase::untrained);
    EXPECT_EQ(analysis.job(), nullptr);
    EXPECT_STREQ(frontier.state(), "untrained");
    EXPECT_EQ(frontier.result(), nullptr);
}

TEST_F(TernaryFixture, ATrainedModelGetsTheCoresResidualLevels) {
    test::train_batches(model, s, 40);
    analysis.update(model, key(), 0);
    ASSERT_EQ(analysis.phase(), ternary::Analysis::Phase::running);
    ASSERT_NE(analysis.job(), nullptr);
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_EQ(analysis.phase(), ternary::Analysis::Phase::finished);
    ASSERT_NE(analysis.result(), nullptr);
    EXPECT_TRUE(analysis.current());
    qlab::KunduOptions o;
    o.residual.block = 8;
    o.residual.tolerance = s.ttol;
    o.gain_x = ternary::kGainX;
    qlab::TernaryResidualJob direct(model.model(), model.data().split().test, o);
    qlab::run_job(direct);
    const qlab::KunduResult& r = *analysis.result();
    ASSERT_EQ(r.levels.size(), direct.result().levels.size());
    for (std::size_t i = 0; i < r.levels.size(); ++i) {
        EXPECT_DOUBLE_EQ(r.levels[i].accuracy, direct.result().levels[i].accuracy) << i;
        EXPECT_DOUBLE_EQ(r.levels[i].model_size_bits, direct.result().levels[i].model_size_bits);
    }
    EXPECT_DOUBLE_EQ(analysis.job_ms(), 10);
    // Another batch: the result stays, marked as for older weights, and a new job starts.
    model.step(s, 1);
    analysis.update(model, key(), 20);
    EXPECT_FALSE(analysis.current());
    EXPECT_EQ(analysis.phase(), ternary::Analysis::Phase::running);
}

TEST_F(TernaryFixture, TheFrontierRunsOnlyWhenItsViewIsOpen) {
    test::train_batches(model, s, 40);
    frontier.update(model, key(), false, 0);
    EXPECT_STREQ(frontier.state(), "idle");
    frontier.update(model, key(), true, 0);
    EXPECT_STREQ(frontier.state(), "running");
    EXPECT_TRUE(frontier.current());
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

TEST_F(TernaryFixture, XIsASettingThePowerFiguresUse) {
    test::train_batches(model, s, 40);
    ternary::AnalysisKey k = key();
    k.gain_x = 3;
    analysis.update(model, k, 0);
    ASSERT_NE(analysis.job(), nullptr);
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_NE(analysis.result(), nullptr);
    // pi = X / (C (X/N + 1)) with the lesson's X, not 5.5.
    for (const qlab::KunduLevel& l : analysis.result()->levels)
        EXPECT_NEAR(l.power_performance, 3 / (l.compute * (3.0 / 8 + 1)), 1e-12);
    k.gain_x = 5.5;  // another X is another analysis
    analysis.update(model, k, 20);
    EXPECT_FALSE(analysis.current());
}

TEST_F(TernaryFixture, KunduTablesAreTheCoresJobOnTheSameSplit) {
    ternary::Tables tables;
    ternary::AnalysisKey k = key();
    k.gain_x = 4;
    tables.update(model, k, true, 0);
    EXPECT_STREQ(tables.state(), "untrained");
    test::train_batches(model, s, 40);
    k.version = model.version();
    tables.update(model, k, false, 0);
    EXPECT_STREQ(tables.state(), "idle");  // only when the view is open
    tables.update(model, k, true, 0);
    ASSERT_NE(tables.job(), nullptr);
    qlab::run_job(*tables.job());
    tables.poll(10);
    ASSERT_NE(tables.result(), nullptr);
    EXPECT_TRUE(tables.current());
    // qlab ternary-tables: test = the held-out split, calibration = the training split, 8-bit
    // activations, N and X from the lesson.
    qlab::KunduTablesOptions o;
    o.block = 8;
    o.gain_x = 4;
    EXPECT_EQ(tables.options().activation_bits, 8);
    qlab::KunduTablesJob direct(model.model(), model.data().split().test,
                                model.data().split().train, o);
    qlab::run_job(direct);
    const qlab::KunduTablesResult& a = *tables.result();
    const qlab::KunduTablesResult& b = direct.result();
    EXPECT_DOUBLE_EQ(a.float_accuracy, b.float_accuracy);
    EXPECT_DOUBLE_EQ(a.activation_accuracy, b.activation_accuracy);
    ASSERT_EQ(a.schemes.size(), 3u);
    for (std::size_t i = 0; i < a.schemes.size(); ++i) {
        EXPECT_EQ(a.schemes[i].at_loss, b.schemes[i].at_loss);
        ASSERT_EQ(a.schemes[i].points.size(), b.schemes[i].points.size());
        for (std::size_t p = 0; p < a.schemes[i].points.size(); ++p) {
            const qlab::KunduTablePoint& x = a.schemes[i].points[p];
            EXPECT_DOUBLE_EQ(x.compute, b.schemes[i].points[p].compute);
            EXPECT_DOUBLE_EQ(x.blocks, b.schemes[i].points[p].blocks);
            EXPECT_NEAR(x.power_performance, 4 / (x.compute * (4.0 / 8 + 1)), 1e-12);
        }
    }
    // Another N is another job; a new X too.
    k.gain_x = 5;
    tables.update(model, k, true, 20);
    EXPECT_FALSE(tables.current() && tables.result());
}

}  // namespace
}  // namespace quantlab

// ---- In the Web Worker

namespace quantlab {
namespace {

using Phase = ternary::Analysis::Phase;

TEST_F(TernaryFixture, InTheWorkerTheResidualLevelsAreThePagesOwn) {
    test::train_batches(model, s, 40);
    analysis.update(model, key(), 0);
    ASSERT_NE(analysis.job(), nullptr);
    EXPECT_FALSE(analysis.in_worker());
    EXPECT_FALSE(analysis.scheduled("ternary residuals").elsewhere);
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_EQ(analysis.phase(), Phase::finished);

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    ternary::Analysis there;
    there.update(model, key(), host.now);
    EXPECT_TRUE(there.in_worker());
    const ScheduledJob sj = there.scheduled("ternary residuals");
    EXPECT_TRUE(sj.elsewhere);
    EXPECT_EQ(sj.job, there.job());
    EXPECT_EQ(there.phase(), Phase::running);
    runner.pump();
    EXPECT_EQ(there.result(), nullptr);  // read whole, at its end
    runner.pump_all();
    there.poll(host.now);
    ASSERT_EQ(there.phase(), Phase::finished);
    ASSERT_NE(there.result(), nullptr);
    EXPECT_TRUE(there.current());
    const qlab::KunduResult &a = *there.result(), &b = *analysis.result();
    EXPECT_EQ(a.float_accuracy, b.float_accuracy);
    ASSERT_EQ(a.levels.size(), b.levels.size());
    ASSERT_GE(a.levels.size(), 2u);
    for (std::size_t i = 0; i < a.levels.size(); ++i) {
        EXPECT_EQ(a.levels[i].accuracy, b.levels[i].accuracy) << i;
        EXPECT_EQ(a.levels[i].compute, b.levels[i].compute) << i;
        EXPECT_EQ(a.levels[i].power_performance, b.levels[i].power_performance) << i;
        EXPECT_EQ(a.levels[i].memory_gain, b.levels[i].memory_gain) << i;
        EXPECT_EQ(a.levels[i].model_size_bits, b.levels[i].model_size_bits) << i;
        EXPECT_EQ(a.levels[i].scale_factors, b.levels[i].scale_factors) << i;
        // What the views draw from it and the weights it was run on.
        EXPECT_EQ(there.levels()[i].cost.multiplications,
                  analysis.levels()[i].cost.multiplications);
        EXPECT_EQ(there.levels()[i].bits_per_weight, analysis.levels()[i].bits_per_weight);
        EXPECT_EQ(there.levels()[i].layer_errors, analysis.levels()[i].layer_errors);
    }
    ASSERT_EQ(there.layers().size(), analysis.layers().size());
    for (std::size_t l = 0; l < there.layers().size(); ++l) {
        EXPECT_EQ(there.layers()[l].histogram, analysis.layers()[l].histogram);
        EXPECT_EQ(there.layers()[l].curve_y, analysis.layers()[l].curve_y);
        EXPECT_EQ(a.layers[l].tensor.errors, b.layers[l].tensor.errors);
        EXPECT_EQ(a.layers[l].tensor.order, b.layers[l].tensor.order);
    }
    EXPECT_EQ(there.weights(), analysis.weights());
    EXPECT_EQ(there.result_model().layers[0].weight, analysis.result_model().layers[0].weight);
    EXPECT_EQ(there.max_level(), analysis.max_level());

    // A worker that dies under a run hands it back to the page, which gives the same levels.
    model.step(s, 1);
    there.update(model, key(), host.now);
    ASSERT_TRUE(there.in_worker());
    runner.pump();
    runner.kill("gone");
    ASSERT_NE(there.job(), nullptr);  // now the page's own job, from the start
    EXPECT_FALSE(there.in_worker());
    EXPECT_FALSE(there.scheduled("ternary residuals").elsewhere);
    qlab::run_job(*there.job());
    there.poll(host.now);
    ASSERT_EQ(there.phase(), Phase::finished);
    host.analyses = nullptr;
    analysis.update(model, key(), 0);
    ASSERT_FALSE(analysis.in_worker());
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_EQ(analysis.phase(), Phase::finished);
    ASSERT_EQ(there.result()->levels.size(), analysis.result()->levels.size());
    for (std::size_t i = 0; i < there.result()->levels.size(); ++i)
        EXPECT_EQ(there.result()->levels[i].accuracy, analysis.result()->levels[i].accuracy);
}

TEST_F(TernaryFixture, InTheWorkerTheFrontierIsThePagesOwnAndShowsItsPointsAsTheyCome) {
    test::train_batches(model, s, 40);
    frontier.update(model, key(), true, 0);
    ASSERT_NE(frontier.job(), nullptr);
    EXPECT_EQ(frontier.result(), nullptr);  // before its first unit
    qlab::run_job(*frontier.job());
    frontier.poll(10);
    ASSERT_STREQ(frontier.state(), "finished");
    const qlab::ParetoResult& b = *frontier.result();
    ASSERT_GE(b.points.size(), 10u);

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    ternary::Frontier there;
    there.update(model, key(), true, host.now);
    EXPECT_TRUE(there.in_worker());
    EXPECT_TRUE(there.scheduled("Pareto frontier").elsewhere);
    EXPECT_STREQ(there.state(), "running");
    EXPECT_EQ(there.result(), nullptr);  // nothing heard yet
    // The worker sends its points so far at most every kProgressMs (150 ms; 10 ms a slice here).
    runner.pump(20);
    ASSERT_STREQ(there.state(), "running");
    ASSERT_NE(there.result(), nullptr);
    const std::size_t partial = there.result()->points.size();
    EXPECT_GT(partial, 0u);
    EXPECT_LT(partial, b.points.size());
    for (std::size_t i = 0; i < partial; ++i)
        EXPECT_EQ(there.result()->points[i].accuracy, b.points[i].accuracy) << i;
    runner.pump_all();
    there.poll(host.now);
    ASSERT_STREQ(there.state(), "finished");
    EXPECT_TRUE(there.current());
    const qlab::ParetoResult& a = *there.result();
    ASSERT_EQ(a.points.size(), b.points.size());
    for (std::size_t i = 0; i < a.points.size(); ++i) {
        EXPECT_EQ(a.points[i].family, b.points[i].family) << i;
        EXPECT_EQ(a.points[i].spec, b.points[i].spec) << i;
        EXPECT_EQ(a.points[i].bits_per_weight, b.points[i].bits_per_weight) << i;
        EXPECT_EQ(a.points[i].accuracy, b.points[i].accuracy) << i;
    }
    EXPECT_EQ(a.frontier, b.frontier);
    EXPECT_EQ(a.skipped, b.skipped);
    EXPECT_EQ(a.float_accuracy, b.float_accuracy);
    EXPECT_EQ(a.weights, b.weights);
    host.analyses = nullptr;
}

TEST_F(TernaryFixture, InTheWorkerKunduTablesAreThePagesOwn) {
    test::train_batches(model, s, 40);
    ternary::Tables here;
    ternary::AnalysisKey k = key();
    k.gain_x = 4;
    here.update(model, k, true, 0);
    ASSERT_NE(here.job(), nullptr);
    EXPECT_FALSE(here.in_worker());
    qlab::run_job(*here.job());
    here.poll(10);
    ASSERT_NE(here.result(), nullptr);
    const qlab::KunduTablesResult& b = *here.result();

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    ternary::Tables there;
    there.update(model, k, true, host.now);
    EXPECT_TRUE(there.in_worker());
    EXPECT_TRUE(there.scheduled("Kundu Tables 3-4").elsewhere);
    EXPECT_STREQ(there.state(), "running");
    runner.pump(10);
    EXPECT_EQ(there.result(), nullptr);  // only once finished
    EXPECT_GT(there.job()->progress().done, 0);
    runner.pump_all();
    there.poll(host.now);
    ASSERT_STREQ(there.state(), "finished");
    EXPECT_TRUE(there.current());
    ASSERT_NE(there.result(), nullptr);
    const qlab::KunduTablesResult& a = *there.result();
    EXPECT_EQ(a.float_accuracy, b.float_accuracy);
    EXPECT_EQ(a.activation_accuracy, b.activation_accuracy);
    EXPECT_EQ(a.fgq_accuracy, b.fgq_accuracy);
    EXPECT_EQ(a.layers, b.layers);
    EXPECT_EQ(a.sensitivity, b.sensitivity);
    EXPECT_EQ(a.compute_share, b.compute_share);
    EXPECT_EQ(a.activation_formats, b.activation_formats);
    ASSERT_EQ(a.schemes.size(), 3u);
    ASSERT_EQ(b.schemes.size(), 3u);
    for (std::size_t i = 0; i < a.schemes.size(); ++i) {
        EXPECT_EQ(a.schemes[i].scheme, b.schemes[i].scheme);
        EXPECT_EQ(a.schemes[i].at_loss, b.schemes[i].at_loss);
        ASSERT_EQ(a.schemes[i].points.size(), b.schemes[i].points.size());
        for (std::size_t p = 0; p < a.schemes[i].points.size(); ++p) {
            const qlab::KunduTablePoint &x = a.schemes[i].points[p], &y = b.schemes[i].points[p];
            EXPECT_EQ(x.epsilon, y.epsilon);
            EXPECT_EQ(x.layer_epsilon, y.layer_epsilon);
            EXPECT_EQ(x.layer_steps, y.layer_steps);
            EXPECT_EQ(x.accuracy, y.accuracy);
            EXPECT_EQ(x.loss, y.loss);
            EXPECT_EQ(x.blocks, y.blocks);
            EXPECT_EQ(x.compute, y.compute);
            EXPECT_EQ(x.power_performance, y.power_performance);
        }
    }
    host.analyses = nullptr;
}

}  // namespace
}  // namespace quantlab
