// The Layers lesson's logic without a browser: no numbers for an untrained model, Lin's per-step
// SQNRs exactly as the core measures them for the same rows and formats, and the jobs (the kappa
// sweep, size against error) on a frozen copy of the weights they were started for.
#include "lessons/layers/layers_lesson.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fake_analysis_runner.hpp"
#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::state_with;

struct LayersFixture : ::testing::Test {
    FakeHost host;
    SharedModel model{host};
    layers::Analysis analysis;
    std::vector<std::string> problems;
    qlab::LabState s =
        state_with({{"panel", "layers"}, {"data", "spiral"}, {"hidden", "12-8"}, {"lbits", "5"}});
    void SetUp() override { model.sync(s); }
};

TEST_F(LayersFixture, AnUntrainedModelGetsNoSnapshotAndNoJobs) {
    analysis.update(s, model, host, problems);
    EXPECT_EQ(analysis.snapshot(), nullptr);
    EXPECT_EQ(analysis.sweep(), nullptr);
    EXPECT_EQ(analysis.tradeoff(), nullptr);
    EXPECT_TRUE(problems.empty());
}

TEST_F(LayersFixture, TheSnapshotIsTheCoresSqnrForTheSameRowsAndFormats) {
    test::train_batches(model, s, 30);
    analysis.update(s, model, host, problems);
    ASSERT_TRUE(problems.empty()) << problems.front();
    const layers::Snapshot* snap = analysis.snapshot();
    ASSERT_NE(snap, nullptr);
    EXPECT_TRUE(analysis.snapshot_current(model, 5));
    EXPECT_FALSE(analysis.snapshot_current(model, 6));
    EXPECT_EQ(snap->key, model.version());
    const qlab::Dataset& test = model.data().split().test;
    const std::size_t rows = layers::Analysis::rows_for(model.model(), test.size(), 64);
    auto formats = qlab::lin_formats(model.model(), test, 5, {}, rows);
    ASSERT_TRUE(formats.ok());
    qlab::SqnrOptions so;
    so.max_rows = rows;
    auto sq = qlab::model_sqnr(model.model(), test, formats->eval, so);
    ASSERT_TRUE(sq.ok());
    ASSERT_EQ(snap->steps.size(), sq->steps.size());
    for (std::size_t k = 0; k < snap->steps.size(); ++k) {
        EXPECT_EQ(snap->steps[k].step.format, sq->steps[k].format) << k;
        EXPECT_DOUBLE_EQ(snap->steps[k].step.sqnr_db, sq->steps[k].sqnr_db) << k;
    }
    EXPECT_DOUBLE_EQ(snap->measured_output_db, sq->measured_output_db);
    EXPECT_DOUBLE_EQ(snap->predicted_output_db, sq->predicted_output_db);
    EXPECT_EQ(snap->layers.size(), 3u);  // two hidden layers and the output layer
    // The jobs start on a frozen copy once the weights rest: the kappa sweep, then (with the
    // kappa it measured) size against error and the allocation.
    ASSERT_NE(analysis.sweep(), nullptr);
    EXPECT_EQ(analysis.tradeoff(), nullptr);
    EXPECT_EQ(analysis.allocation(), nullptr);
    EXPECT_EQ(analysis.sweep_key(), model.version());
    qlab::run_job(*analysis.sweep()->job());
    EXPECT_TRUE(analysis.sweep_done());
    EXPECT_TRUE(std::isfinite(analysis.step_kappa(0)));
    analysis.update(s, model, host, problems);
    ASSERT_NE(analysis.tradeoff(), nullptr);
    EXPECT_EQ(analysis.tradeoff_key(), model.version());
    ASSERT_NE(analysis.allocation(), nullptr);
    EXPECT_EQ(analysis.allocation()->bits.front(), 5);  // the first layer at lbits
    EXPECT_GT(analysis.kappa_used(), 0);
    EXPECT_STREQ(analysis.kappa_source(), "measured");
}

TEST_F(LayersFixture, WhileTrainingTheSnapshotRefreshesAtMostOnceASecond) {
    test::train_batches(model, s, 5);
    model.set_running(s, true);
    analysis.update(s, model, host, problems);
    ASSERT_NE(analysis.snapshot(), nullptr);
    const layers::ModelKey first = analysis.snapshot()->key;
    model.jobs()[0].job->step(2);
    host.now += 100;
    analysis.update(s, model, host, problems);
    EXPECT_EQ(analysis.snapshot()->key, first);  // 0.1 s later: not yet
    EXPECT_EQ(analysis.sweep(), nullptr);        // no sweep of moving weights
    host.now += 2000;
    analysis.update(s, model, host, problems);
    EXPECT_EQ(analysis.snapshot()->key, model.version());
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

TEST_F(LayersFixture, LinTable6sPairBesideTheSamePairingOnTheMeasuredTradeoff) {
    // Before any trade-off: the paper's pairs alone.
    layers::Table6Beside t = layers::table6_beside(nullptr);
    EXPECT_FALSE(t.measured);
    ASSERT_EQ(t.paper.size(), 2u);
    const auto& cases = qlab::lin_table6();
    // Case 10 (13,8,8,7,7,5) against case 2 (8 bits everywhere): sizes from Table 3's conv layers.
    const qlab::LinSaving& p = t.paper[1];
    EXPECT_EQ(cases[p.optimised].id, 10);
    EXPECT_EQ(cases[p.equal].id, 2);
    const double s10 = qlab::lin_model_size_mbit({13, 8, 8, 7, 7, 5});
    const double s2 = qlab::lin_model_size_mbit({8, 8, 8, 8, 8, 8});
    EXPECT_NEAR(s10, 21.09, 0.005);
    EXPECT_NEAR(s2, 27.06, 0.005);
    // The pairing uses Table 6's printed sizes (the recomputed ones agree to the printed digits).
    EXPECT_NEAR(t.paper_points[p.optimised].size, 21.09, 1e-12);
    EXPECT_NEAR(t.paper_points[p.equal].size, 27.06, 1e-12);
    EXPECT_NEAR(p.saving, 1 - 21.09 / 27.06, 1e-12);
    EXPECT_NEAR(p.saving, 0.221, 0.0005);
    EXPECT_NEAR(t.paper_points[p.optimised].error - t.paper_points[p.equal].error, 0.09, 1e-9);
    EXPECT_EQ(cases[t.paper[0].optimised].id, 9);
    EXPECT_EQ(cases[t.paper[0].equal].id, 1);
    // Ours once the trade-off finished: the core's pairing of its points, in Mbit and %.
    test::train_batches(model, s, 30);
    analysis.update(s, model, host, problems);
    ASSERT_NE(analysis.sweep(), nullptr);
    qlab::run_job(*analysis.sweep()->job());
    analysis.update(s, model, host, problems);
    ASSERT_NE(analysis.tradeoff(), nullptr);
    EXPECT_FALSE(layers::table6_beside(analysis.tradeoff()).measured);
    qlab::run_job(*analysis.tradeoff()->job());
    t = layers::table6_beside(analysis.tradeoff());
    ASSERT_TRUE(t.measured);
    const qlab::TradeoffResult& r = analysis.tradeoff()->result();
    ASSERT_EQ(t.our_points.size(), r.points.size());
    for (std::size_t i = 0; i < r.points.size(); ++i) {
        EXPECT_DOUBLE_EQ(t.our_points[i].size, r.points[i].model_size_bits / 1e6);
        EXPECT_DOUBLE_EQ(t.our_points[i].error, 100 * r.points[i].error);
    }
    // Each pair by brute force: an optimised point, the smallest equal one within 0.1 points.
    for (const qlab::LinSaving& v : t.ours) {
        ASSERT_TRUE(r.points[v.optimised].optimised);
        ASSERT_FALSE(r.points[v.equal].optimised);
        EXPECT_LE(std::fabs(t.our_points[v.optimised].error - t.our_points[v.equal].error),
                  0.1 + 1e-9);
        for (std::size_t e = 0; e < r.points.size(); ++e) {
            if (!r.points[e].optimised &&
                std::fabs(t.our_points[v.optimised].error - t.our_points[e].error) <= 0.1) {
                EXPECT_GE(t.our_points[e].size, t.our_points[v.equal].size);
            }
        }
        EXPECT_GT(v.saving, 0);
    }
}

// With a Web Worker the kappa sweep and size against error run there (mirrors the scheduler only
// watches) and their results equal the page's own, number for number.
TEST_F(LayersFixture, InTheWorkerTheSweepAndTheTradeoffAreThePagesOwn) {
    test::train_batches(model, s, 30);
    analysis.update(s, model, host, problems);
    qlab::run_job(*analysis.sweep()->job());
    analysis.update(s, model, host, problems);
    qlab::run_job(*analysis.tradeoff()->job());
    const qlab::LinSweepResult here_sweep = analysis.sweep()->result();
    const qlab::TradeoffResult here_trade = analysis.tradeoff()->result();

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    layers::Analysis there;
    std::vector<std::string> there_problems;
    there.update(s, model, host, there_problems);
    ASSERT_NE(there.sweep(), nullptr);
    EXPECT_TRUE(there.sweep()->in_worker());
    EXPECT_TRUE(there.sweep_scheduled("kappa sweep").elsewhere);
    EXPECT_EQ(there.tradeoff(), nullptr);  // waits for the measured kappa
    runner.pump();
    EXPECT_EQ(there.sweep()->result().rows.size(), 1u);  // the rows so far, while it runs
    runner.pump_all();
    there.update(s, model, host, there_problems);
    ASSERT_TRUE(there.sweep_done());
    const qlab::LinSweepResult& a = there.sweep()->result();
    ASSERT_EQ(a.rows.size(), here_sweep.rows.size());
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
        EXPECT_EQ(a.rows[i].step_db, here_sweep.rows[i].step_db) << i;
        EXPECT_EQ(a.rows[i].formats, here_sweep.rows[i].formats) << i;
        EXPECT_EQ(a.rows[i].measured_output_db, here_sweep.rows[i].measured_output_db) << i;
    }
    EXPECT_EQ(a.kappa, here_sweep.kappa);
    EXPECT_EQ(there.kappa_used(), analysis.kappa_used());
    ASSERT_NE(there.tradeoff(), nullptr);
    EXPECT_TRUE(there.tradeoff()->in_worker());
    runner.pump_all();
    ASSERT_EQ(there.tradeoff()->state(), qlab::JobState::finished);
    const qlab::TradeoffResult& b = there.tradeoff()->result();
    ASSERT_EQ(b.points.size(), here_trade.points.size());
    for (std::size_t i = 0; i < b.points.size(); ++i) {
        EXPECT_EQ(b.points[i].bits, here_trade.points[i].bits) << i;
        EXPECT_EQ(b.points[i].error, here_trade.points[i].error) << i;
        EXPECT_EQ(b.points[i].model_size_bits, here_trade.points[i].model_size_bits) << i;
    }
    EXPECT_EQ(b.offsets, here_trade.offsets);
    host.analyses = nullptr;
}

}  // namespace
}  // namespace quantlab
