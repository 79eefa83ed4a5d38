// The precision lesson's core helpers: per-row fixed-point decisions agree with sakr_simulate, and
// SakrSimJob gives the same p_m, error and noise results in any slicing of its rows.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/sakr.hpp"
#include "sakr_support.hpp"

namespace qlab {
namespace {

using test::random_data;
using test::random_model;

TEST(SakrLab, FixedDecisionsAgreeWithSakrSimulate) {
    for (Activation act : {Activation::hardsigmoid, Activation::relu, Activation::tanh}) {
        const Model m = random_model({12, 9, 7, 4}, act, 3);
        const Dataset d = random_data(300, 12, 4, 5);
        const std::vector<int> fd = float_decisions(m, d);
        for (int b : {2, 3, 4, 6, 10}) {
            const std::vector<int> dec = sakr_fixed_decisions(m, d, b, b + 1);
            const SakrSimulation sim = sakr_simulate(m, d, fd, b, b + 1);
            long long mismatch = 0, wrong = 0;
            for (std::size_t i = 0; i < d.size(); ++i) {
                mismatch += dec[i] != fd[i];
                wrong += dec[i] != d.y[i];
            }
            EXPECT_DOUBLE_EQ(sim.p_m, static_cast<double>(mismatch) / 300.0) << b;
            EXPECT_DOUBLE_EQ(sim.error, static_cast<double>(wrong) / 300.0) << b;
        }
    }
}

TEST(SakrLab, SimJobMatchesSakrSimulateInAnySlicing) {
    const Model m = random_model({10, 8, 5}, Activation::hardsigmoid, 11);
    const Dataset d = random_data(257, 10, 5, 13);
    const std::vector<int> fd = float_decisions(m, d);
    const std::vector<std::pair<int, int>> pairs = {{3, 3}, {4, 6}, {8, 8}, {2, 5}};
    for (int rows : {1, 7, 64, 1000}) {
        SakrSimOptions o;
        o.rows_per_unit = rows;
        // Without float decisions the job computes them first.
        SakrSimJob job(m, &d, nullptr, {}, pairs, o);
        ASSERT_TRUE(run_job(job).ok());
        EXPECT_EQ(job.float_decisions(), fd);
        ASSERT_EQ(job.points().size(), pairs.size());
        for (std::size_t k = 0; k < pairs.size(); ++k) {
            const SakrSimPoint& p = job.points()[k];
            const SakrSimulation s = sakr_simulate(m, d, fd, pairs[k].first, pairs[k].second);
            EXPECT_EQ(p.ba, pairs[k].first);
            EXPECT_EQ(p.bw, pairs[k].second);
            EXPECT_TRUE(p.fixed);
            EXPECT_FALSE(p.noise);
            EXPECT_DOUBLE_EQ(p.p_m, s.p_m);
            EXPECT_DOUBLE_EQ(p.error, s.error);
            EXPECT_EQ(p.decisions, sakr_fixed_decisions(m, d, pairs[k].first, pairs[k].second));
        }
        EXPECT_EQ(job.progress().done, job.progress().total);
    }
}

TEST(SakrLab, NoiseIsSeededByChunkAndBoundedByTheorem1) {
    const Model m = random_model({10, 16, 6}, Activation::hardsigmoid, 21);
    const Dataset d = random_data(200, 10, 6, 23);
    SakrOptions so;
    so.samples = 0;
    const auto a = analyze_sakr(m, d, so);
    ASSERT_TRUE(a.ok());
    SakrSimOptions o;
    o.noise_trials = 20;
    o.rows_per_unit = 50;
    const std::vector<std::pair<int, int>> pairs = {{4, 4}, {6, 6}};
    SakrSimJob first(m, nullptr, &a->inputs(), {}, pairs, o);
    SakrSimJob again(m, nullptr, &a->inputs(), {}, pairs, o);
    ASSERT_TRUE(run_job(first).ok());
    while (again.step(1)) {
    }
    ASSERT_EQ(first.points().size(), 2u);
    EXPECT_EQ(first.progress().done, first.progress().total);
    EXPECT_EQ(first.progress().total, 2 * 100);  // 50 / (1 + 20) -> 2 rows a unit, 200 rows
    for (std::size_t k = 0; k < 2; ++k) {
        const SakrSimPoint& p = first.points()[k];
        EXPECT_TRUE(p.noise);
        EXPECT_FALSE(p.fixed);
        EXPECT_EQ(p.noise_trials, 200 * 20);
        EXPECT_EQ(p.p_m_noise_linear, again.points()[k].p_m_noise_linear);
        // Theorem 1 bounds the linearised model's p_m (allowing Monte Carlo error).
        const SakrBounds b = a->bounds(p.ba, p.bw);
        EXPECT_LE(p.p_m_noise_linear, b.thm1 + 3 * std::sqrt(b.thm1 / 4000.0) + 1e-3);
    }
}

TEST(SakrLab, BadWidthsFailTheJob) {
    const Model m = random_model({4, 3}, Activation::none, 1);
    const Dataset d = random_data(10, 4, 3, 2);
    SakrSimJob job(m, &d, nullptr, {}, {{0, 4}}, {});
    EXPECT_EQ(job.state(), JobState::failed);
    EXPECT_NE(job.status().message().find("1..24"), std::string::npos);
    // One bit: no fixed-point network (fixed:w=1 does not exist), but the noise needs no format.
    SakrSimJob one(m, &d, nullptr, {}, {{1, 4}}, {});
    EXPECT_EQ(one.state(), JobState::failed);
    EXPECT_NE(one.status().message().find(">= 2"), std::string::npos);
    EXPECT_TRUE(sakr_fixed_decisions(m, d, 1, 4).empty());
    SakrSimOptions o;
    o.noise_trials = 2;
    Matrix rows = Matrix::Constant(5, 4, 0.25f);
    SakrSimJob noise(m, nullptr, &rows, {}, {{1, 1}}, o);
    ASSERT_TRUE(run_job(noise).ok());
    ASSERT_EQ(noise.points().size(), 1u);
    EXPECT_EQ(noise.points()[0].noise_trials, 10);
}

}  // namespace
}  // namespace qlab
