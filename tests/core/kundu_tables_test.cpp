// Kundu §4 / Tables 3-4 on a model: the abstract's figures from Table 3 in closed form, per-layer
// tolerances, 8-bit dynamic fixed point, Algorithm 2's prefixes against runs to that tolerance,
// and the job's "# blocks" / "comp" columns and loss targets against brute force.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/kundu_tables.hpp"
#include "sakr_support.hpp"

namespace qlab {
namespace {

TEST(KunduAbstract, TwoAndTwoPointThreeFromTheCompColumnWithX55) {
    const std::vector<KunduAbstractFigure> f = kundu_abstract_derivation(5.5);
    ASSERT_EQ(f.size(), 6u);
    const double g = 5.5 / 64 + 1;
    // ~1%: Table 3, N = 64: # blocks 2.3, comp 2.5.
    EXPECT_NEAR(f[0].from_blocks, 8 / (2.125 * 2.3), 1e-12);  // 1.64: the abstract's ~1.6x
    EXPECT_EQ(f[0].printed, 1.6);
    EXPECT_NEAR(f[1].from_comp, 64 / 2.5, 1e-12);  // 25.6: the abstract's ~26x
    EXPECT_NEAR(f[2].from_comp, 5.5 / (2.5 * g), 1e-12);
    EXPECT_NEAR(f[2].from_comp, 2.026, 1e-3);  // the abstract's ~2x
    // ~2%: # blocks 2, comp 2.2.
    EXPECT_NEAR(f[3].from_blocks, 8 / (2.125 * 2.0), 1e-12);  // 1.88: ~1.9x
    EXPECT_NEAR(f[4].from_blocks, 32, 1e-12);                 // the abstract's ~32x: # blocks
    EXPECT_NEAR(f[4].from_comp, 64 / 2.2, 1e-12);             // 29.1 from comp
    EXPECT_NEAR(f[5].from_comp, 2.302, 1e-3);                 // the abstract's ~2.3x
    // §6.2's own example: c ~ 5, r + 1 = 2.4 gives ~2 and pi_m ~ 1.6.
    EXPECT_NEAR(power_performance(kKunduGainC62, 2.4, 64), 1.93, 0.005);
    EXPECT_NEAR(memory_gain(2.4, 64), 1.64, 0.005);
    EXPECT_EQ(kundu_paper_tables().size(), 8u);
}

TEST(KunduTolerances, SchemesShareOneBudget) {
    const std::vector<double> s = {4, 2, 1}, m = {0.7, 0.2, 0.1};
    EXPECT_EQ(layer_tolerances(ToleranceScheme::uniform, 0.1, s, m),
              (std::vector<double>{0.1, 0.1, 0.1}));
    const double budget = 0.01 * (16 + 4 + 1);
    for (ToleranceScheme scheme : {ToleranceScheme::sensitivity, ToleranceScheme::compute}) {
        const std::vector<double> e = layer_tolerances(scheme, 0.1, s, m);
        double b = 0;
        for (std::size_t k = 0; k < 3; ++k) b += s[k] * s[k] * e[k] * e[k];
        EXPECT_NEAR(b, budget, 1e-12) << tolerance_scheme_name(scheme);
    }
    const std::vector<double> es = layer_tolerances(ToleranceScheme::sensitivity, 0.1, s, m);
    EXPECT_NEAR(es[0] * 4, es[2] * 1, 1e-12);  // e_k proportional to 1 / s_k: earlier tighter
    const std::vector<double> ec = layer_tolerances(ToleranceScheme::compute, 0.1, s, m);
    EXPECT_NEAR(ec[0] * ec[0] * 16 / 0.7, ec[2] * ec[2] * 1 / 0.1, 1e-12);  // e^2 ~ m / s^2
    EXPECT_GT(ec[0], es[0]);  // the compute-heavy first layer gets more room
}

TEST(KunduTolerances, DynamicFixedPointCoversTheRange) {
    EXPECT_EQ(dynamic_fixed_format(1.7, 8, false), "ufixed:w=8,f=7");  // 255/128 = 1.99
    EXPECT_EQ(dynamic_fixed_format(2.0, 8, false), "ufixed:w=8,f=6");  // 255/128 < 2
    EXPECT_EQ(dynamic_fixed_format(3.0, 8, true), "fixed:w=8,f=5");    // 127/32 = 3.97
    EXPECT_EQ(dynamic_fixed_format(300, 8, false), "ufixed:w=8,f=-1");
}

TEST(KunduPrefix, APrefixIsTheRunToThatTolerance) {
    Rng rng(5);
    std::vector<double> w(1000);
    for (double& v : w) v = rng.normal() * (rng.uniform() < 0.1 ? 3 : 1);
    ResidualOptions o;
    o.block = 64;
    o.tolerance = 0.02;
    const ResidualTensor full = ternary_residual(w, o);
    EXPECT_EQ(reconstruct_prefix(full, 0), full.reconstruct(0));  // the plain FGQ term
    for (double t : {0.5, 0.3, 0.1, 0.05}) {
        ResidualOptions ot = o;
        ot.tolerance = t;
        const ResidualTensor run = ternary_residual(w, ot);
        const std::size_t steps = steps_for_tolerance(full, t);
        EXPECT_EQ(steps, run.order.size()) << t;
        EXPECT_EQ(reconstruct_prefix(full, steps), run.reconstruct(run.max_residuals())) << t;
        long long terms = 0;
        for (int k : block_terms_at(full, steps)) terms += k;
        EXPECT_EQ(terms, run.scale_factors()) << t;
    }
}

TEST(KunduTablesJob, ColumnsAndTargetsByBruteForce) {
    const Model m = test::random_model({12, 16, 16, 4}, Activation::relu, 21, 0.6f);
    const Dataset d = test::random_data(150, 12, 4, 22);
    KunduTablesOptions o;
    o.block = 8;
    o.scales = 6;
    o.epsilon_max = 0.9;
    o.epsilon_min = 0.05;
    o.losses = {0.0, 0.05};
    KunduTablesJob job(m, d, d, o);
    ASSERT_TRUE(run_job(job).ok()) << job.status().message();
    const KunduTablesResult& r = job.result();
    ASSERT_EQ(r.layers.size(), 3u);
    ASSERT_EQ(r.sensitivity.size(), 3u);
    for (double s : r.sensitivity) EXPECT_GT(s, 0);
    EXPECT_NEAR(r.compute_share[0] + r.compute_share[1] + r.compute_share[2], 1, 1e-12);
    EXPECT_EQ(r.activation_formats[0].rfind("ufixed:w=8,f=", 0), 0u);  // ReLU outputs
    EXPECT_TRUE(r.activation_formats[2].empty());                      // the scores
    ASSERT_EQ(r.schemes.size(), 3u);
    for (const KunduSchemeRun& run : r.schemes) {
        ASSERT_EQ(run.points.size(), 6u);
        for (const KunduTablePoint& p : run.points) {
            EXPECT_GE(p.blocks, 1.0);
            // Dense layers whose widths are multiples of N: comp and # blocks coincide.
            EXPECT_NEAR(p.compute, p.blocks, 1e-12);
            EXPECT_NEAR(p.loss, r.float_accuracy - p.accuracy, 1e-15);
            EXPECT_NEAR(p.power_performance, power_performance(o.gain_x, p.compute, 8), 1e-12);
        }
        // More terms as epsilon shrinks.
        EXPECT_LE(run.points.front().blocks, run.points.back().blocks);
        ASSERT_EQ(run.at_loss.size(), 2u);
        for (std::size_t t = 0; t < 2; ++t) {
            int best = -1;
            for (std::size_t j = 0; j < run.points.size(); ++j)
                if (run.points[j].loss <= o.losses[t] + 1e-12 &&
                    (best < 0 ||
                     run.points[j].compute < run.points[static_cast<std::size_t>(best)].compute))
                    best = static_cast<int>(j);
            EXPECT_EQ(run.at_loss[t], best);
        }
    }
    // At epsilon_max every layer may already be within tolerance: the plain FGQ ternary.
    KunduTablesOptions loose = o;
    loose.epsilon_max = loose.epsilon_min = 10;
    loose.scales = 1;
    KunduTablesJob fgq(m, d, d, loose);
    ASSERT_TRUE(run_job(fgq).ok());
    EXPECT_EQ(fgq.result().schemes[0].points[0].blocks, 1.0);
    EXPECT_EQ(fgq.result().schemes[0].points[0].accuracy, fgq.result().fgq_accuracy);
}

}  // namespace
}  // namespace qlab
