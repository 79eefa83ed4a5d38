// The Precision lesson's logic without a browser: it waits for trained weights that hold still,
// analyses exactly what the core's SakrJob gives for the same model, rows and options (the
// numbers `qlab bounds` prints), and drops its results when the model's version changes.
#include "lessons/precision/precision_lesson.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "fake_analysis_runner.hpp"
#include "fake_host.hpp"

namespace quantlab {
namespace {

using precision::AnalysisState;
using test::FakeHost;
using test::state_with;

struct PrecisionFixture : ::testing::Test {
    FakeHost host;
    SharedModel model{host};
    precision::Lesson lesson;
    qlab::LabState s = state_with({{"panel", "precision"},
                                   {"data", "circle"},
                                   {"hidden", "8"},
                                   {"act", "hardsigmoid"},
                                   {"psamples", "60"},
                                   {"ba", "6"},
                                   {"bw", "8"}});
    void SetUp() override { model.sync(s); }
    // The lesson's jobs run to their end, as the scheduler would run them between frames.
    void finish_jobs() {
        for (int round = 0; round < 50; ++round) {
            lesson.update(s, model, host, 1e9);
            bool any = false;
            for (qlab::Job* j : {static_cast<qlab::Job*>(lesson.analysis_job()),
                                 static_cast<qlab::Job*>(lesson.sim_job()),
                                 static_cast<qlab::Job*>(lesson.noise_job())})
                if (j && j->running()) qlab::run_job(*j), any = true;
            if (!any) break;
        }
        lesson.update(s, model, host, 1e9);
    }
};

TEST_F(PrecisionFixture, AnUntrainedModelIsNotAnalysed) {
    lesson.update(s, model, host, 2);
    EXPECT_EQ(lesson.state(), AnalysisState::untrained);
    EXPECT_EQ(lesson.analysis(), nullptr);
    EXPECT_EQ(lesson.analysis_job(), nullptr);
    EXPECT_FALSE(lesson.current().thm1.has_value());
}

TEST_F(PrecisionFixture, TrainingMeansWaiting) {
    model.set_running(s, true);
    model.jobs()[0].job->step(3);
    lesson.update(s, model, host, 2);
    EXPECT_EQ(lesson.state(), AnalysisState::training);
    EXPECT_EQ(lesson.analysis_job(), nullptr);
}

TEST_F(PrecisionFixture, TheAnalysisIsTheCoresOnTheSameRowsAndOptions) {
    test::train_batches(model, s, 60);
    lesson.update(s, model, host, 2);
    EXPECT_EQ(lesson.state(), AnalysisState::running);
    finish_jobs();
    ASSERT_EQ(lesson.state(), AnalysisState::finished);
    const qlab::SakrAnalysis* a = lesson.analysis();
    ASSERT_NE(a, nullptr);
    // The CLI's path: a SakrJob on the held-out split with the state's samples and seed (its
    // batch size differs, the result may not).
    qlab::SakrOptions o;
    o.samples = 60;
    o.seed = 1;
    const qlab::SakrAnalysis direct =
        *qlab::analyze_sakr(model.model(), model.data().split().test, o);
    EXPECT_EQ(a->samples(), 60u);
    EXPECT_DOUBLE_EQ(a->e_a(), direct.e_a());
    EXPECT_DOUBLE_EQ(a->e_w(), direct.e_w());
    EXPECT_EQ(a->suggested_bw_minus_ba(), direct.suggested_bw_minus_ba());
    EXPECT_EQ(a->inputs_clipped(), direct.inputs_clipped());
    // Theorem 1 at (6, 8), eq. 11 with Delta = 2^-(B-1).
    const precision::Row r = lesson.current();
    ASSERT_TRUE(r.thm1.has_value());
    const double da = std::ldexp(1.0, -5), dw = std::ldexp(1.0, -7);
    EXPECT_DOUBLE_EQ(*r.thm1, da * da * direct.e_a() + dw * dw * direct.e_w());
    ASSERT_TRUE(r.has_bounds);
    EXPECT_DOUBLE_EQ(r.bounds.thm2, direct.bounds(6, 8).thm2);
    // The fixed-point network on the whole test split, as sakr_simulate measures it.
    ASSERT_NE(r.fixed, nullptr);
    const qlab::Dataset& test = model.data().split().test;
    const std::vector<int> dec = qlab::float_decisions(model.model(), test);
    const qlab::SakrSimulation sim = qlab::sakr_simulate(model.model(), test, dec, 6, 8);
    EXPECT_DOUBLE_EQ(r.fixed->p_m, sim.p_m);
    EXPECT_DOUBLE_EQ(r.fixed->error, sim.error);
    EXPECT_EQ(lesson.float_decisions(), dec);
}

// With a Web Worker the analysis runs there (the lesson shows the mirror's progress) and comes
// back as the same numbers: E_A, E_W and the bounds at the current precision.
TEST_F(PrecisionFixture, InTheWorkerTheAnalysisIsTheSame) {
    test::train_batches(model, s, 60);
    finish_jobs();
    ASSERT_EQ(lesson.state(), AnalysisState::finished);
    const qlab::SakrAnalysis here = *lesson.analysis();
    const precision::Row row_here = lesson.current();

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    precision::Lesson there;
    there.update(s, model, host, 2);
    EXPECT_TRUE(there.analysis_in_worker());
    EXPECT_TRUE(there.analysis_scheduled("precision analysis").elsewhere);
    EXPECT_EQ(there.state(), AnalysisState::running);
    EXPECT_EQ(there.analysis(), nullptr);
    runner.pump();
    EXPECT_GT(there.analysis_fraction(), 0);
    runner.pump_all();
    there.update(s, model, host, 1e9);
    ASSERT_EQ(there.state(), AnalysisState::finished);
    const qlab::SakrAnalysis* a = there.analysis();
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->e_a(), here.e_a());
    EXPECT_EQ(a->e_w(), here.e_w());
    EXPECT_EQ(a->samples(), here.samples());
    const precision::Row r = there.current();
    ASSERT_TRUE(r.has_bounds);
    EXPECT_EQ(*r.thm1, *row_here.thm1);
    EXPECT_EQ(r.bounds.thm2, row_here.bounds.thm2);
    EXPECT_EQ(r.bounds.thm2_opt, row_here.bounds.thm2_opt);
    // The simulations too: the fixed-point network and the noise at every pair of the curve.
    for (int round = 0; round < 50 && (there.sim_job() || there.noise_job()); ++round) {
        EXPECT_TRUE(!there.sim_job() || there.sim_scheduled("s").elsewhere);
        runner.pump_all();
        there.update(s, model, host, 1e9);
    }
    EXPECT_EQ(there.float_decisions(), lesson.float_decisions());
    int compared = 0;
    for (const auto& [ba, bw] : lesson.curve()) {
        const precision::Row a_row = there.row(ba, bw), b_row = lesson.row(ba, bw);
        ASSERT_EQ(a_row.fixed != nullptr, b_row.fixed != nullptr) << ba;
        ASSERT_EQ(a_row.noise != nullptr, b_row.noise != nullptr) << ba;
        if (a_row.fixed) {
            EXPECT_EQ(a_row.fixed->p_m, b_row.fixed->p_m) << ba;
            EXPECT_EQ(a_row.fixed->error, b_row.fixed->error) << ba;
            EXPECT_EQ(a_row.fixed->decisions, b_row.fixed->decisions) << ba;
            ++compared;
        }
        if (a_row.noise) {
            EXPECT_EQ(a_row.noise->p_m_noise_linear, b_row.noise->p_m_noise_linear) << ba;
            EXPECT_EQ(a_row.noise->p_m_noise_exact, b_row.noise->p_m_noise_exact) << ba;
            ++compared;
        }
    }
    EXPECT_GT(compared, 10);
    EXPECT_GE(runner.started.size(), 3u);  // the analysis and both simulations went there
    // The bit-flip map: the same cells, filled as the worker goes.
    host.analyses = nullptr;  // the page's own map
    lesson.start_bitflip_map(model, host);
    ASSERT_FALSE(lesson.bitflip_job()->in_worker());
    qlab::run_job(*lesson.bitflip_job()->job());
    host.analyses = &runner;
    there.start_bitflip_map(model, host);
    ASSERT_NE(there.bitflip_job(), nullptr);
    EXPECT_TRUE(there.bitflip_job()->in_worker());
    runner.pump();
    EXPECT_GT(there.bitflip_job()->progress().done, 0);
    runner.pump_all();
    ASSERT_EQ(there.bitflip_job()->state(), qlab::JobState::finished);
    const qlab::BitFlipResult &fa = there.bitflip_job()->result(),
                              &fb = lesson.bitflip_job()->result();
    EXPECT_EQ(fa.layers, fb.layers);
    EXPECT_EQ(fa.bits, 8);
    EXPECT_EQ(fa.baseline, fb.baseline);
    EXPECT_EQ(fa.accuracy, fb.accuracy);
    EXPECT_EQ(fa.flipped, fb.flipped);
    host.analyses = nullptr;
}

TEST_F(PrecisionFixture, ANewVersionDropsEveryResult) {
    test::train_batches(model, s, 40);
    finish_jobs();
    ASSERT_NE(lesson.analysis(), nullptr);
    const double e_a = lesson.analysis()->e_a();
    model.step(s, 1);  // one more batch: other weights
    lesson.update(s, model, host, 0);
    EXPECT_EQ(lesson.analysis(), nullptr);
    EXPECT_EQ(lesson.state(), AnalysisState::running);
    finish_jobs();
    ASSERT_NE(lesson.analysis(), nullptr);
    EXPECT_NE(lesson.analysis()->e_a(), e_a);
}

TEST_F(PrecisionFixture, TheBitFlipMapIsStaleForOtherWeightsOrPrecision) {
    SharedModel loading(host);
    loading.sync(state_with({{"panel", "precision"}, {"data", "digits"}}));
    lesson.start_bitflip_map(loading, host);
    EXPECT_TRUE(host.said("bit flips need a model and its data"));
    EXPECT_EQ(lesson.bitflip_job(), nullptr);
    test::train_batches(model, s, 20);
    lesson.update(s, model, host, 0);
    lesson.start_bitflip_map(model, host);
    ASSERT_NE(lesson.bitflip_job(), nullptr);
    EXPECT_FALSE(lesson.bitflip_stale());
    s.ba = 7;
    lesson.update(s, model, host, 0);
    EXPECT_TRUE(lesson.bitflip_stale());
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

TEST_F(PrecisionFixture, HowSureEAAndEWAreIsTheCoresBootstrap) {
    test::train_batches(model, s, 60);
    finish_jobs();
    ASSERT_NE(lesson.analysis(), nullptr);
    ASSERT_NE(lesson.spread(), nullptr);
    // qlab bounds' defaults (1000 resamples, 95%, the largest 10) with the link's seed.
    qlab::SakrSpreadOptions o;
    o.seed = 1;
    const qlab::SakrSpread direct = qlab::sakr_spread(*lesson.analysis(), o);
    const qlab::SakrSpread& sp = *lesson.spread();
    EXPECT_EQ(sp.samples, 60);
    EXPECT_EQ(sp.replicates, 1000);
    EXPECT_DOUBLE_EQ(sp.e_a_lo, direct.e_a_lo);
    EXPECT_DOUBLE_EQ(sp.e_a_hi, direct.e_a_hi);
    EXPECT_DOUBLE_EQ(sp.e_w_hi, direct.e_w_hi);
    EXPECT_DOUBLE_EQ(sp.top_share_a, direct.top_share_a);
    EXPECT_LE(sp.e_a_lo, lesson.analysis()->e_a());
    EXPECT_GE(sp.e_a_hi, lesson.analysis()->e_a());
    // The top share by brute force: the 10 largest per-sample terms over their sum.
    std::vector<double> t = qlab::sakr_sample_terms_a(*lesson.analysis());
    std::sort(t.begin(), t.end(), std::greater<>());
    double top = 0, all = 0;
    for (std::size_t i = 0; i < t.size(); ++i) all += t[i], top += i < 10 ? t[i] : 0;
    EXPECT_NEAR(sp.top_share_a, top / all, 1e-12);
    // Another estimation set: the spread goes with its analysis.
    s.psamples = 40;
    lesson.update(s, model, host, 0);
    EXPECT_EQ(lesson.spread(), nullptr);
    finish_jobs();
    ASSERT_NE(lesson.spread(), nullptr);
    EXPECT_EQ(lesson.spread()->samples, 40);
}

TEST(PrecisionBelowSimulation, SaysWhenABoundFallsBelowTheMismatchAndWhy) {
    qlab::SakrSimPoint fixed;
    fixed.p_m = 0.02;
    precision::Row r;
    r.thm1 = 0.05;
    r.has_bounds = true;
    r.bounds.thm2 = 0.03;
    EXPECT_FALSE(precision::below_simulation(r, false, NAN).thm1);  // no simulation yet
    r.fixed = &fixed;
    precision::BelowSimulation b = precision::below_simulation(r, false, NAN);
    EXPECT_FALSE(b.thm1 || b.thm2);
    EXPECT_TRUE(b.why.empty());
    r.thm1 = 0.01;
    b = precision::below_simulation(r, false, 0.03);
    EXPECT_TRUE(b.thm1);
    EXPECT_FALSE(b.thm2);
    EXPECT_NE(b.why.find("linearised"), std::string::npos);
    EXPECT_NE(b.why.find("bootstrap interval reaches"), std::string::npos);
    EXPECT_EQ(b.why.find("ReLU"), std::string::npos);
    EXPECT_NE(b.reason.find("near-tie"), std::string::npos);
    EXPECT_NE(precision::below_simulation(r, false, 0.015).reason.find("linearised"),
              std::string::npos);  // the interval stays below the simulation
    r.bounds.thm2 = 0.015;
    b = precision::below_simulation(r, true, 0.012);
    EXPECT_TRUE(b.thm1 && b.thm2);
    EXPECT_NE(b.why.find("ReLU outputs above 2 saturate"), std::string::npos);
    EXPECT_EQ(b.reason, "ReLU outputs above 2 saturate in fixed point");
    EXPECT_EQ(b.why.find("bootstrap interval reaches"), std::string::npos);
}

}  // namespace
}  // namespace quantlab
