// Sakr 2017 analysis against slow, obviously correct references: finite differences of the logit
// differences, per-weight loops for E_W and the literal Theorem 2 product, Monte Carlo with the
// theorems' noise on a tiny network, hand-derived log(sinh x / x) values and costs, Table 1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "qlab/sakr.hpp"
#include "sakr_support.hpp"

namespace qlab {
namespace {

using test::random_data;
using test::random_model;

// Reference forward pass in double, with one activation (layer input l, index h) or one weight
// (layer l, row j, column k) moved by eps: the logits.
Eigen::VectorXd logits(const Model& m, const float* x, int pl = -1, int ph = -1, int pj = -1,
                       double eps = 0) {
    Eigen::VectorXd a(m.inputs());
    for (int i = 0; i < m.inputs(); ++i) a(i) = x[i];
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        const Layer& L = m.layers[l];
        Eigen::MatrixXd w = L.weight.cast<double>();
        if (static_cast<int>(l) == pl && pj >= 0)
            w(pj, ph) += eps;
        else if (static_cast<int>(l) == pl)
            a(ph) += eps;
        Eigen::VectorXd z = w * a + L.bias.cast<double>();
        for (Eigen::Index i = 0; i < z.size(); ++i) {
            if (L.activation == Activation::relu) z(i) = std::max(z(i), 0.0);
            if (L.activation == Activation::hardsigmoid) z(i) = std::min(std::max(z(i), 0.0), 2.0);
            if (L.activation == Activation::tanh) z(i) = std::tanh(z(i));
        }
        a = z;
    }
    return a;
}

TEST(sakr, LogSinhcAtHandDerivedPoints) {
    // x -> 0: log(sinh x / x) = x^2/6 - x^4/180 + x^6/2835 - x^8/37800 + ...
    for (double x : {1e-8, 1e-4, 1e-2, 0.1}) {
        const double series =
            x * x / 6 - std::pow(x, 4) / 180 + std::pow(x, 6) / 2835 - std::pow(x, 8) / 37800;
        EXPECT_NEAR(log_sinhc(x), series, 1e-12 * series) << x;  // x^10 term: 2e-16 at x = 0.1
        EXPECT_EQ(log_sinhc(-x), log_sinhc(x));
    }
    EXPECT_EQ(log_sinhc(0), 0);
    // Large x: sinh x / x = e^x (1 - e^{-2x}) / (2x), so x - log(2x) up to e^{-2x}.
    EXPECT_NEAR(log_sinhc(30), 30 - std::log(60.0), 1e-12);
    EXPECT_NEAR(log_sinhc(1000), 1000 - std::log(2000.0),
                1e-9);  // sinh(1000) overflows; this does not
    // Mid range: the direct formula. log(sinh 1) = log((e - 1/e) / 2) = 0.16143936...
    EXPECT_NEAR(log_sinhc(1), std::log((std::exp(1.0) - std::exp(-1.0)) / 2), 1e-15);
    EXPECT_NEAR(log_sinhc(0.3), std::log(std::sinh(0.3) / 0.3), 1e-15);
    // The series' coefficients: c_k = (-1)^{k+1} zeta(2k) / (k pi^{2k}).
    for (int k = 1; k <= kSakrSeriesTerms; ++k) {
        double zeta = 0;
        for (int n = 1; n < 200000; ++n) zeta += std::pow(n, -2.0 * k);
        const double want = (k % 2 ? 1 : -1) * zeta / (k * std::pow(3.14159265358979323846, 2 * k));
        EXPECT_NEAR(log_sinhc_coefficient(k), want, 1e-5 * std::fabs(want)) << k;
    }
    EXPECT_NEAR(log_sinhc_coefficient(2), -1.0 / 180, 1e-17);
    // At x = 2 (the series' working radius) sixteen terms are accurate to 1e-8.
    double s = 0;
    for (int k = 1; k <= kSakrSeriesTerms; ++k)
        s += log_sinhc_coefficient(k) * std::pow(2.0, 2 * k);
    EXPECT_NEAR(s, log_sinhc(2), 1e-8);
}

TEST(sakr, CostOfASmallArchitectureByHand) {
    // 4-3-2 at B_A = 2, B_W = 3. eq. 3 with D = fan-in + 1:
    //   layer 1: D = 5, ceil(log2 5) = 3: 5*2*3 + 4*(2+3+3-1) = 30 + 28 = 58 per output, x3 = 174
    //   layer 2: D = 4, ceil(log2 4) = 2: 4*2*3 + 3*(2+3+2-1) = 24 + 18 = 42 per output, x2 = 84
    //   258 full adders. eq. 4: |A| = 4 + 3 = 7, |W| = 12 + 6 = 18: 7*2 + 18*3 = 68 bits.
    const SakrCost c = sakr_cost(*parse_architecture("4-3-2"), 2, 3);
    EXPECT_EQ(c.fa, 258);
    EXPECT_EQ(c.bits, 68);
    EXPECT_EQ(c.activations, 7);
    EXPECT_EQ(c.weights, 18);
    const Model m = random_model({4, 3, 2}, Activation::relu, 1);
    EXPECT_EQ(sakr_cost(m, 2, 3).fa, 258);
    EXPECT_EQ(sakr_cost(m, 2, 3).bits, 68);
    EXPECT_FALSE(parse_architecture("784-x-10").ok());
    EXPECT_FALSE(parse_architecture("784").ok());
    EXPECT_FALSE(parse_architecture("784--10").ok());
}

TEST(sakr, CostsReproduceTable1) {
    // Sakr Table 1 (784-512-512-512-10): (B_A, B_W), 10^6 FAs, 10^6 bits.
    const struct {
        int ba, bw;
        double fa, bits;
    } rows[] = {{8, 8, 82.9, 7.5}, {6, 6, 53.1, 5.63}, {6, 9, 72.7, 8.43}, {4, 7, 44.7, 6.54}};
    const std::vector<int> arch = *parse_architecture("784-512-512-512-10");
    for (const auto& r : rows) {
        const SakrCost c = sakr_cost(arch, r.ba, r.bw);
        // Every row to the table's printed digits (82.94 -> 82.9); relatively up to 0.0502%.
        EXPECT_NEAR(c.fa / 1e6, r.fa, 0.05) << r.ba << "," << r.bw;
        EXPECT_NEAR(c.fa / 1e6, r.fa, 0.000503 * r.fa) << r.ba << "," << r.bw;
        EXPECT_NEAR(c.bits / 1e6, r.bits, 0.006 * r.bits) << r.ba << "," << r.bw;
    }
    // (8, 8): 512*(785*64 + 784*25) + 2*512*(513*64 + 512*25) + 10*(513*64 + 512*25)
    //   = 35,758,080 + 46,727,168 + 456,320 = 82,941,568.
    EXPECT_EQ(sakr_cost(arch, 8, 8).fa, 82941568);
    EXPECT_EQ(sakr_cost(arch, 8, 8).bits, (2320 + 930816) * 8.0);
}

TEST(sakr, GradientsMatchFiniteDifferences) {
    for (Activation act : {Activation::tanh, Activation::relu, Activation::hardsigmoid}) {
        const Model m = random_model({4, 5, 3, 3}, act, 11);
        const Dataset d = random_data(3, 4, 3, 5);
        for (std::size_t s = 0; s < d.size(); ++s) {
            const Eigen::VectorXd z = logits(m, d.row(s));
            int y = 0;
            for (int i = 1; i < 3; ++i)
                if (z(i) > z(y)) y = i;
            for (int cls = 0; cls < 3; ++cls) {
                if (cls == y) continue;
                const SakrDerivatives der = sakr_derivatives(m, d.row(s), cls);
                ASSERT_EQ(der.decision, y);
                EXPECT_NEAR(der.v, z(y) - z(cls), 1e-5);
                const double eps = 1e-5;
                auto diff = [&](int l, int h, int j) {
                    const Eigen::VectorXd p = logits(m, d.row(s), l, h, j, eps),
                                          q = logits(m, d.row(s), l, h, j, -eps);
                    return ((p(cls) - p(y)) - (q(cls) - q(y))) / (2 * eps);
                };
                std::size_t ia = 0, iw = 0;
                for (std::size_t l = 0; l < m.layers.size(); ++l) {
                    for (int h = 0; h < m.layers[l].in; ++h)
                        EXPECT_NEAR(der.a[ia++], diff(static_cast<int>(l), h, -1), 1e-4)
                            << "A layer " << l << " " << h;
                    for (int j = 0; j < m.layers[l].out; ++j)
                        for (int h = 0; h < m.layers[l].in; ++h)
                            EXPECT_NEAR(der.w[iw++], diff(static_cast<int>(l), h, j), 1e-4)
                                << "W layer " << l;
                }
                EXPECT_EQ(ia, der.a.size());
                EXPECT_EQ(iw, der.w.size());
            }
        }
    }
}

// The per-weight reference for one pair: S, the literal log Theorem 2 term, g_A, g_W.
struct Reference {
    double g_a = 0, g_w = 0, lit = 0, s = 0;
};
Reference reference(const SakrDerivatives& der, int ba, int bw) {
    Reference r;
    for (double g : der.a) r.g_a += g * g;
    for (double g : der.w) r.g_w += g * g;  // a plain loop over every weight
    const double ha = std::ldexp(1.0, -ba), hw = std::ldexp(1.0, -bw);
    const double sum_d2 = ha * ha * r.g_a + hw * hw * r.g_w;
    r.s = 3 * der.v * der.v / sum_d2;
    const double t = 3 * der.v / sum_d2;
    // eq. 13 literally: e^{-S} prod_h sinh(T D_h) / (T D_h), the product taken directly (it
    // stays finite on a network this small; e^{-S} may underflow at high precision).
    double prod = 1;
    for (double g : der.a) prod *= g == 0 ? 1 : std::sinh(t * ha * g) / (t * ha * g);
    for (double g : der.w) prod *= g == 0 ? 1 : std::sinh(t * hw * g) / (t * hw * g);
    r.lit = std::exp(-r.s + std::log(prod));
    return r;
}

TEST(sakr, FastPathMatchesPerWeightLoops) {
    const Model m = random_model({6, 5, 4, 3}, Activation::hardsigmoid, 3);
    const Dataset d = random_data(23, 6, 3, 8);
    SakrOptions o;
    o.samples = 0;
    o.batch = 4;
    auto a = analyze_sakr(m, d, o);
    ASSERT_TRUE(a.ok()) << a.status().message();
    ASSERT_EQ(a->samples(), 23u);
    ASSERT_EQ(a->pairs().size(), 46u);
    double ea = 0, ew = 0;
    for (const SakrPair& p : a->pairs()) {
        const SakrDerivatives der = sakr_derivatives(m, a->inputs().row(p.sample).data(), p.cls);
        EXPECT_NEAR(p.v, der.v, 1e-6);
        const Reference r = reference(der, 8, 8);
        EXPECT_NEAR(p.g_a, r.g_a, 1e-5 * r.g_a);
        EXPECT_NEAR(p.g_w, r.g_w, 1e-5 * r.g_w);
        ea += r.g_a / (24 * der.v * der.v), ew += r.g_w / (24 * der.v * der.v);
        // Every even power sum, normalised by the largest derivative.
        double max_a = 0, max_w = 0;
        for (double g : der.a) max_a = std::max(max_a, std::fabs(g));
        for (double g : der.w) max_w = std::max(max_w, std::fabs(g));
        EXPECT_NEAR(p.max_a, max_a, 1e-6 * max_a);
        EXPECT_NEAR(p.max_w, max_w, 1e-6 * max_w);
        for (int k = 1; k <= kSakrSeriesTerms; ++k) {
            double sa = 0, sw = 0;
            for (double g : der.a) sa += std::pow(g / max_a, 2 * k);
            for (double g : der.w) sw += std::pow(g / max_w, 2 * k);
            EXPECT_NEAR(p.pa[static_cast<std::size_t>(k - 1)], sa, 1e-5 * sa + 1e-15) << k;
            EXPECT_NEAR(p.pw[static_cast<std::size_t>(k - 1)], sw, 1e-5 * sw + 1e-15) << k;
        }
    }
    EXPECT_NEAR(a->e_a(), ea / 23, 1e-5 * ea / 23);
    EXPECT_NEAR(a->e_w(), ew / 23, 1e-5 * ew / 23);
    // Theorem 2 literally, from the direct product, at precisions where the series holds and
    // where it does not (2 bits: |T D_h| beyond the radius, the exact fallback).
    for (int bits : {2, 3, 5, 8, 12}) {
        double lit = 0, thm1 = 0;
        int beyond = 0;
        for (const SakrPair& p : a->pairs()) {
            const SakrDerivatives der =
                sakr_derivatives(m, a->inputs().row(p.sample).data(), p.cls);
            const Reference r = reference(der, bits, bits);
            lit += r.lit, thm1 += 1 / (2 * r.s);
            // Pairs that need the exact sum: |T D_h| beyond the series' radius, S not so large
            // that e^{-S/2} (an upper bound of the term) underflows.
            const double h = std::ldexp(1.0, -bits), t = 3 * p.v / (h * h * (p.g_a + p.g_w));
            beyond += t * h * std::max(p.max_a, p.max_w) > kSakrSeriesRadius && r.s < 1500;
        }
        const SakrBounds b = a->bounds(bits, bits);
        EXPECT_NEAR(b.thm2, lit / 23, 1e-6 * lit / 23 + 1e-300) << bits;
        EXPECT_NEAR(b.thm1, thm1 / 23, 1e-5 * thm1 / 23) << bits;
        EXPECT_LE(b.thm2_opt, b.thm2 * (1 + 1e-12)) << bits;
        if (bits <= 3) {
            EXPECT_GT(beyond, 0) << bits;
        }
    }
    // eq. 12.
    EXPECT_EQ(a->suggested_bw_minus_ba(),
              static_cast<int>(std::lround(std::log2(std::sqrt(ew / ea)))));
}

// Conv and max-pool layers: A holds the conv's and the dense layer's inputs (not the pool's), W
// every kernel entry. Derivatives against central differences of the float network's logit
// differences (the net is piecewise linear with the hard sigmoid, so they agree up to float
// rounding unless a step crosses a kink or flips a pool's winner: kFdTolerance covers rounding),
// then the batched fast path against the per-weight sums.
TEST(sakr, ConvLayersMatchFiniteDifferencesAndPerWeightSums) {
    constexpr double kFdStep = 1e-3, kFdTolerance = 2e-3, kSumTolerance = 1e-5,
                     kConvThm2Tolerance = 1e-4;
    auto made = make_model("cnn:6x6x2-c3k3-p2-3:act=hardsigmoid", 72, 3, 4);
    ASSERT_TRUE(made.ok()) << made.status().message();
    Model m = *made;
    for (Layer& L : m.layers)  // keep units inside (0, 2) mostly, so that derivatives are not all 0
        if (L.kind != LayerKind::maxpool2d) L.bias.setConstant(0.6f);
    const Dataset d = random_data(6, 72, 3, 21);
    auto diff_of = [&](const Model& mm, std::size_t s, int cls, int y) {
        Dataset one;
        one.features = 72, one.classes = 3;
        one.x.assign(d.row(s), d.row(s) + 72);
        one.y = {0};
        const Matrix z = predict_scores(mm, one);
        return static_cast<double>(z(0, cls)) - static_cast<double>(z(0, y));
    };
    int checked = 0, agree = 0;
    for (std::size_t s = 0; s < d.size(); ++s)
        for (int cls = 0; cls < 3; ++cls) {
            const SakrDerivatives der = sakr_derivatives(m, d.row(s), cls);
            if (cls == der.decision) continue;
            ASSERT_EQ(der.a.size(), 72u + 12u);       // the conv's input and the dense layer's
            ASSERT_EQ(der.w.size(), 3u * 18u + 36u);  // 3 kernels of 2x3x3, then 3 x 12
            for (int idx = 0; idx < 54; ++idx) {
                Model up = m, down = m;
                up.layers[0].weight.data()[idx] += static_cast<float>(kFdStep);
                down.layers[0].weight.data()[idx] -= static_cast<float>(kFdStep);
                const double fd =
                    (diff_of(up, s, cls, der.decision) - diff_of(down, s, cls, der.decision)) /
                    (2 * kFdStep);
                ++checked;
                const bool ok =
                    std::fabs(fd - der.w[static_cast<std::size_t>(idx)]) <= kFdTolerance;
                agree += ok;
                if (!ok && std::getenv("QLAB_SAKR_DEBUG"))
                    std::printf("s %zu cls %d w %d fd %.6f der %.6f\n", s, cls, idx, fd,
                                der.w[static_cast<std::size_t>(idx)]);
            }
        }
    ASSERT_GT(checked, 200);
    EXPECT_GE(agree, checked * 99 / 100) << "kinks may spoil a few differences, not more";

    SakrOptions o;
    o.samples = 0;
    o.batch = 4;
    auto a = analyze_sakr(m, d, o);
    ASSERT_TRUE(a.ok()) << a.status().message();
    ASSERT_EQ(a->pairs().size(), 12u);
    for (const SakrPair& p : a->pairs()) {
        const SakrDerivatives der = sakr_derivatives(m, a->inputs().row(p.sample).data(), p.cls);
        const Reference r = reference(der, 8, 8);
        EXPECT_NEAR(p.g_a, r.g_a, kSumTolerance * r.g_a);
        EXPECT_NEAR(p.g_w, r.g_w, kSumTolerance * r.g_w);
        double max_w = 0;
        for (double g : der.w) max_w = std::max(max_w, std::fabs(g));
        EXPECT_NEAR(p.max_w, max_w, kSumTolerance * max_w);
        for (int k = 1; k <= kSakrSeriesTerms; ++k) {
            double sw = 0;
            for (double g : der.w) sw += std::pow(g / max_w, 2 * k);
            EXPECT_NEAR(p.pw[static_cast<std::size_t>(k - 1)], sw, kSumTolerance * sw + 1e-15) << k;
        }
    }
    for (int bits : {3, 6, 10}) {
        double lit = 0;
        for (const SakrPair& p : a->pairs())
            lit +=
                reference(sakr_derivatives(m, a->inputs().row(p.sample).data(), p.cls), bits, bits)
                    .lit;
        // thm2 = exp(-S + sum log sinhc) with S up to ~300 here: the kernels' derivatives come
        // from float GEMMs (~1e-8 relative in the sums), i.e. ~3e-6 relative in the bound.
        EXPECT_NEAR(a->bounds(bits, bits).thm2, lit / 6, kConvThm2Tolerance * lit / 6 + 1e-300)
            << bits;
    }
}

TEST(sakr, Theorem1PerPairIsOneOverTwoSAndTheorem2CanExceedIt) {
    // One pair (M = 2) through a linear layer of N = 200 inputs x_h = 0.5, weights +-0.25:
    // z_0 - z_1 = 0.5 * 100 + (b_0 - b_1) = v. d(z_1 - z_0)/dx_h = -0.5 (g_A = 50) and
    // d/dW = -+x_h (g_W = 400 * 0.25 = 100): many equal small D_h, so the sum of
    // log(sinh x/x) is close to its bound T^2 sum D_h^2 / 6 = S/2 and Theorem 2 ~ e^{-S/2}, which
    // is above Theorem 1's 1/(2S) for S in about (0.7, 4.3) and below it outside.
    const int n = 200;
    Dataset d;
    d.features = n, d.classes = 2;
    d.x.assign(n, 0.5f);
    d.y = {0};
    for (double target_s : {2.0, 3.0, 10.0, 0.3}) {
        Model m;
        Layer L;
        L.in = n, L.out = 2, L.activation = Activation::none;
        L.weight.resize(2, n);
        L.weight.row(0).setConstant(0.25f);
        L.weight.row(1).setConstant(-0.25f);
        // S = 3 v^2 / sum D^2, sum D^2 = (Delta/2)^2 (50 + 100) at B_A = B_W = 6.
        const double h = std::ldexp(1.0, -6), v = std::sqrt(target_s * h * h * 150 / 3);
        L.bias.resize(2);
        L.bias << static_cast<float>(v - 50), 0.0f;
        m.layers.push_back(L);
        auto a = analyze_sakr(m, d, {});
        ASSERT_TRUE(a.ok()) << a.status().message();
        ASSERT_EQ(a->pairs().size(), 1u);
        const SakrPair& p = a->pairs()[0];
        EXPECT_NEAR(p.g_a, 50, 1e-4);
        EXPECT_NEAR(p.g_w, 100, 1e-4);
        const double s = 3 * p.v * p.v / (h * h * 150);
        EXPECT_NEAR(s, target_s, 0.05 * target_s);
        const SakrBounds b = a->bounds(6, 6);
        EXPECT_NEAR(b.thm1, 1 / (2 * s), 1e-9 / s);       // Theorem 1 per pair is exactly 1/(2S)
        EXPECT_NEAR(std::log(b.thm2), -s / 2, 0.01 * s);  // ~ e^{-S/2}
        if (target_s > 0.7 && target_s < 4)
            EXPECT_GT(b.thm2, b.thm1) << s;
        else
            EXPECT_LT(b.thm2, b.thm1) << s;
        EXPECT_LE(b.thm2_opt, b.thm2 * (1 + 1e-12));
    }
}

TEST(sakr, BoundsLieAboveMonteCarloOfTheLinearisedModel) {
    // A 4-3-2 network; noise uniform in [-Delta/2, Delta/2] on every activation in A and every
    // weight in W, as the theorems assume. The bounds hold for the linearised model (eq. 7).
    const Model m = random_model({4, 3, 2}, Activation::hardsigmoid, 21, 1.0f);
    const Dataset d = random_data(300, 4, 2, 4);
    SakrOptions o;
    o.samples = 0;
    auto a = analyze_sakr(m, d, o);
    ASSERT_TRUE(a.ok());
    int checked = 0;
    for (int bits : {1, 2, 4, 6}) {
        const SakrNoiseResult mc = sakr_noise_mc(m, a->inputs(), bits, bits, 100, 7);
        EXPECT_EQ(mc.trials, 30000);
        const double sigma = std::sqrt(mc.p_m_linear * (1 - mc.p_m_linear) / 30000.0);
        const SakrBounds b = a->bounds(bits, bits);
        EXPECT_GE(b.thm1, mc.p_m_linear - 3 * sigma) << bits;
        EXPECT_GE(b.thm2, mc.p_m_linear - 3 * sigma) << bits;
        EXPECT_GE(b.thm2_opt, mc.p_m_linear - 3 * sigma) << bits;
        EXPECT_LE(b.thm2_opt, b.thm2 * (1 + 1e-12));
        if (bits <= 2) {
            EXPECT_GT(mc.p_m_linear, 0.005) << bits;  // a real test, not 0 >= 0
            EXPECT_GT(mc.p_m_exact, 0.005) << bits;
            ++checked;
        }
        // The exact noisy network is close to the linearised one at these small noise levels.
        EXPECT_NEAR(mc.p_m_exact, mc.p_m_linear, 0.05 + 0.5 * mc.p_m_linear) << bits;
    }
    EXPECT_EQ(checked, 2);
}

TEST(sakr, JobIsResumableAndBatchIndependent) {
    const Model m = random_model({5, 4, 3}, Activation::relu, 9);
    const Dataset d = random_data(50, 5, 3, 2);
    SakrOptions o;
    o.samples = 20;
    o.batch = 3;
    SakrJob job(m, d, o);
    EXPECT_EQ(job.progress().total, 7);
    int calls = 0;
    while (job.step(1)) ++calls;
    EXPECT_EQ(calls, 6);
    ASSERT_EQ(job.state(), JobState::finished);
    EXPECT_EQ(job.progress().done, 7);
    o.batch = 20;
    auto b = analyze_sakr(m, d, o);
    ASSERT_TRUE(b.ok());
    EXPECT_NEAR(job.result().e_a(), b->e_a(), 1e-6 * b->e_a());  // float GEMMs of other shapes
    EXPECT_NEAR(job.result().e_w(), b->e_w(), 1e-6 * b->e_w());
    EXPECT_EQ(job.result().samples(), 20u);
    EXPECT_NEAR(job.result().bounds(4, 6).thm2, b->bounds(4, 6).thm2, 1e-6);
    SakrJob cancelled(m, d, o);
    cancelled.cancel();
    EXPECT_EQ(cancelled.state(), JobState::cancelled);
    // Bad input fails in the constructor.
    SakrJob bad(m, random_data(5, 4, 3, 1), o);
    EXPECT_EQ(bad.state(), JobState::failed);
}

TEST(sakr, BoundsJobSpreadsTheExactSumsAndEqualsBounds) {
    // At 1-2 bits many pairs lie beyond the series' radius and need the exact sum (a backward
    // pass each): the job does at most one per unit here, and ends bit-identical to bounds().
    const Model m = random_model({6, 8, 4}, Activation::hardsigmoid, 5, 1.0f);
    const Dataset d = random_data(80, 6, 4, 3);
    SakrOptions o;
    o.samples = 0;
    auto a = analyze_sakr(m, d, o);
    ASSERT_TRUE(a.ok());
    std::size_t most_exact = 0;
    for (auto [ba, bw] : {std::pair{1, 1}, {1, 3}, {2, 2}, {4, 6}, {8, 8}}) {
        SakrBoundsJob job(*a, ba, bw, 1);
        const SakrBounds whole = a->bounds(ba, bw);
        EXPECT_EQ(job.result().thm1, whole.thm1);  // arithmetic: there at once
        long long units = 0;
        std::size_t exact_before = 0;
        while (job.running()) {
            job.step(1);
            ++units;
            EXPECT_LE(job.exact_sums() - exact_before, 1u);
            exact_before = job.exact_sums();
        }
        EXPECT_EQ(job.state(), JobState::finished);
        EXPECT_GE(units, static_cast<long long>(std::max<std::size_t>(job.exact_sums(), 1)));
        EXPECT_EQ(job.result().thm2, whole.thm2) << ba << "," << bw;
        EXPECT_EQ(job.result().thm2_opt, whole.thm2_opt) << ba << "," << bw;
        EXPECT_EQ(job.progress().done, job.progress().total);
        most_exact = std::max(most_exact, job.exact_sums());
    }
    EXPECT_GT(most_exact, 10u);  // the slicing is real at low bits
}

TEST(sakr, ExactTieIsReportedAndTheorem1IsInfinite) {
    Model m = random_model({3, 2, 3}, Activation::relu, 1);
    m.layers[1].weight.setZero();
    m.layers[1].bias.setZero();  // every logit 0: every pair ties
    auto a = analyze_sakr(m, random_data(4, 3, 3, 1), {});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->ties(), 8);
    EXPECT_NE(a->tie_message().find("8 (sample, class) pairs"), std::string::npos)
        << a->tie_message();
    EXPECT_TRUE(std::isinf(a->e_a()));
    EXPECT_TRUE(std::isinf(a->bounds(8, 8).thm1));
    EXPECT_EQ(a->bounds(8, 8).thm2, 2);  // each tied pair counts 1, two per sample
    EXPECT_EQ(a->suggested_bw_minus_ba(), 0);
}

TEST(sakr, FixedPointSimulation) {
    const Model m = random_model({4, 6, 3}, Activation::hardsigmoid, 5, 0.9f);
    const Dataset d = random_data(400, 4, 3, 3);
    const std::vector<int> fl = float_decisions(m, d);
    double float_error = 0;
    for (std::size_t i = 0; i < d.size(); ++i) float_error += fl[i] != d.y[i];
    float_error /= static_cast<double>(d.size());
    const SakrSimulation hi = sakr_simulate(m, d, fl, 16, 16);
    EXPECT_LE(hi.p_m, 0.005);
    EXPECT_NEAR(hi.error, float_error, 0.005);
    const SakrSimulation lo = sakr_simulate(m, d, fl, 2, 2);
    EXPECT_GT(lo.p_m, 0.05);
    // eq. 1: p_e,fx <= p_e,fl + p_m.
    EXPECT_LE(lo.error, float_error + lo.p_m + 1e-12);
}

}  // namespace
}  // namespace qlab
