// Formats beyond fixed/float/lattice: affine int by hand, binary/ternary (Kundu eq. 7 checked by
// brute force), k-means codebooks, block floating point, and per-block fitting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "format_impls.hpp"
#include "qlab/format.hpp"

namespace qlab {
namespace {

Format parse_ok(const std::string& spec) {
    auto f = Format::parse(spec);
    EXPECT_TRUE(f.ok()) << spec << ": " << f.status().message();
    return *f;
}

// E(alpha, T) = ||W - alpha * ternary_T(W)||^2 (Kundu eq. 5).
double ternary_error(const std::vector<double>& w, double alpha, double threshold) {
    double e = 0;
    for (double v : w) {
        const double q = std::fabs(v) > threshold ? std::copysign(alpha, v) : 0.0;
        e += (v - q) * (v - q);
    }
    return e;
}

TEST(IntFormat, AffineByHand) {
    const Format f = parse_ok("int:b=8,scale=0.1");
    EXPECT_EQ(f.quantize_ref(1.04), 0.1 * 10);
    EXPECT_EQ(f.quantize_ref(100), 0.1 * 127);
    EXPECT_EQ(f.quantize_ref(-100), 0.1 * -128);
    EXPECT_EQ(f.atom_count(), 256);
    EXPECT_EQ(f.encode(-0.1).code, 0xFFu);
    const Format narrow = parse_ok("int:b=8,scale=0.1,narrow=1");
    EXPECT_EQ(narrow.quantize_ref(-100), 0.1 * -127);
    EXPECT_EQ(narrow.atom_count(), 255);
    const Format u = parse_ok("int:b=8,scale=0.05,zero=128,signed=0");  // atoms 0.05 * (k - 128)
    EXPECT_EQ(u.min_finite(), 0.05 * -128);
    EXPECT_EQ(u.max_finite(), 0.05 * 127);
    EXPECT_EQ(u.encode(0.0).code, 128u);
    const Format asym = parse_ok("int:b=4,scale=0.5,zero=-3");  // codes -8..7 -> atoms -2.5..5
    EXPECT_EQ(asym.min_finite(), -2.5);
    EXPECT_EQ(asym.max_finite(), 5);
    EXPECT_EQ(asym.quantize_ref(0.26), 0.5);
    // A tie goes to an even offset k - zero (rint(x / scale) + zero, as int8 toolkits do):
    // 0.25 / 0.5 = 0.5 rounds to 0, so code -3 and value 0, although code -3 is odd.
    EXPECT_EQ(asym.quantize_ref(0.25), 0);
    EXPECT_EQ(asym.quantize_ref(0.75), 1);  // 1.5 -> 2
}

TEST(SignFormats, BinaryAndTernaryByHand) {
    const Format b = parse_ok("binary:alpha=0.5");
    EXPECT_EQ(b.quantize_ref(0.01), 0.5);
    EXPECT_EQ(b.quantize_ref(-0.01), -0.5);
    EXPECT_EQ(b.quantize_ref(0.0), 0.5);  // sign(0) = +1
    EXPECT_EQ(b.quantize_ref(-3), -0.5);
    const Format t = parse_ok("ternary:alpha=1,threshold=0.3");
    EXPECT_EQ(t.quantize_ref(0.29), 0);
    EXPECT_EQ(t.quantize_ref(0.3), 0);  // Kundu: nonzero only when |x| > T
    EXPECT_EQ(t.quantize_ref(0.31), 1);
    EXPECT_EQ(t.quantize_ref(-0.31), -1);
    EXPECT_EQ(t.quantize_ref(5), 1);
    EXPECT_EQ(t.quantize_ref(0.2, Rounding::up), 1);
    EXPECT_EQ(t.quantize_ref(-0.2, Rounding::toward_zero), 0);
    EXPECT_EQ(t.encode(-1).code, 3u);
    EXPECT_EQ(t.worst_case_error(-1, 1), 0.7);  // just above T = 0.3 -> 1
}

TEST(Ternary, FitMatchesBruteForceOverAllThresholds) {
    std::mt19937_64 gen(3);
    std::normal_distribution<double> normal;
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> w(1 + gen() % 60);
        for (double& v : w) v = normal(gen) * (trial % 2 ? 1.0 : 0.01);
        const detail::TernaryFit fit = detail::fit_ternary(w.data(), w.size());
        const double fitted = ternary_error(w, fit.alpha, fit.threshold);
        // Every threshold just below a magnitude, with its best alpha (the mean over I_T).
        double best = INFINITY;
        for (double t_source : w) {
            const double t = std::nextafter(std::fabs(t_source), 0.0);
            double sum = 0;
            int count = 0;
            for (double v : w)
                if (std::fabs(v) > t) sum += std::fabs(v), ++count;
            if (count) best = std::min(best, ternary_error(w, sum / count, t));
        }
        EXPECT_NEAR(fitted, best, 1e-12 * (1 + best)) << "trial " << trial;
        // And no (alpha, T) on a grid beats it.
        for (double a = 0.05; a < 3; a += 0.05)
            for (double t = 0; t < 3; t += 0.05)
                ASSERT_LE(fitted, ternary_error(w, a * (trial % 2 ? 1.0 : 0.01),
                                                t * (trial % 2 ? 1.0 : 0.01)) +
                                      1e-12);
    }
}

TEST(Ternary, PrintedEquationSevenWouldKeepOnlyTheLargestWeight) {
    // Why the code departs from eq. 7 as printed (see format_ternary.cpp).
    const std::vector<double> w = {1.0, 0.9, 0.8, 0.1};
    const detail::TernaryFit fit = detail::fit_ternary(w.data(), w.size());
    EXPECT_EQ(fit.nonzero, 3u);
    EXPECT_DOUBLE_EQ(fit.alpha, 0.9);
    EXPECT_DOUBLE_EQ(fit.threshold, 0.45);
}

TEST(Ternary, FineGrainedBlocksFitIndependently) {
    const Format per_block = parse_ok("ternary:block=4");
    const std::vector<double> w = {1, -1, 0.1, 0.9, 10, -9, 0.5, 11};
    const std::vector<double> q = per_block.quantize_tensor_ref(w);
    const std::vector<double> first(w.begin(), w.begin() + 4), second(w.begin() + 4, w.end());
    const Format a = per_block.fit(first), b = per_block.fit(second);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(q[i], a.quantize_ref(w[i]));
    for (int i = 4; i < 8; ++i) EXPECT_EQ(q[i], b.quantize_ref(w[i]));
    EXPECT_NE(a.max_finite(), b.max_finite());
    // One alpha for the whole tensor does worse than one per block (Kundu's FGQ argument).
    const std::vector<double> whole = parse_ok("ternary").quantize_tensor_ref(w);
    double e_block = 0, e_whole = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
        e_block += (w[i] - q[i]) * (w[i] - q[i]), e_whole += (w[i] - whole[i]) * (w[i] - whole[i]);
    EXPECT_LT(e_block, e_whole);
}

TEST(Binary, FittedAlphaIsMeanMagnitude) {
    const Format b = parse_ok("binary").fit({1, -2, 3, -4});
    EXPECT_EQ(b.max_finite(), 2.5);
    EXPECT_EQ(b.to_string(), "binary:alpha=2.5");
}

TEST(BlockFloat, SharedExponentPerBlock) {
    const Format bfp = parse_ok("bfp:w=8,block=4");
    const std::vector<double> q = bfp.quantize_tensor_ref({0.1, -3.3, 2.5, 0.01, 100, 1, 0.4, -64});
    // Block 1: max 3.3 -> e = 1 -> step 2^-5.
    EXPECT_EQ(q[0], 3.0 / 32);
    EXPECT_EQ(q[1], -106.0 / 32);
    EXPECT_EQ(q[2], 2.5);
    EXPECT_EQ(q[3], 0);
    // Block 2: max 100 -> e = 6 -> step 2^0; 100 fits in 127.
    EXPECT_EQ(q[4], 100);
    EXPECT_EQ(q[5], 1);
    EXPECT_EQ(q[6], 0);
    EXPECT_EQ(q[7], -64);
    EXPECT_EQ(bfp.bits(), 10);  // 8 + 8/4 shared exponent bits
}

TEST(Codebook, ExplicitAndKMeans) {
    const Format c = parse_ok("codebook:values=-1;-0.3;0;0.1;0.7;2");
    EXPECT_EQ(c.quantize_ref(0.4), 0.7);
    EXPECT_EQ(c.quantize_ref(0.39), 0.1);
    EXPECT_EQ(c.quantize_ref(-5), -1);
    EXPECT_EQ(c.bits(), 3);
    EXPECT_EQ(c.min_positive(), 0.1);
    const Format km = parse_ok("codebook:kmeans=2").fit({0, 0.1, 0.2, 10, 10.1, 10.2});
    const AtomList atoms = km.atoms_in(-100, 100);
    ASSERT_EQ(atoms.atoms.size(), 2u);
    EXPECT_NEAR(atoms.atoms[0], 0.1, 1e-12);
    EXPECT_NEAR(atoms.atoms[1], 10.1, 1e-12);
    // k-means is a local optimum of the squared error: Lloyd never increases it.
    std::mt19937_64 gen(9);
    std::normal_distribution<double> normal;
    std::vector<double> data(5000);
    for (double& v : data) v = normal(gen);
    auto mse = [&](const std::vector<double>& centres) {
        const Format f = Format(detail::make_codebook(centres));
        double e = 0;
        for (double v : data) e += (v - f.quantize_ref(v)) * (v - f.quantize_ref(v));
        return e / data.size();
    };
    const double e1 = mse(detail::kmeans_1d(data.data(), data.size(), 8, 1));
    const double e50 = mse(detail::kmeans_1d(data.data(), data.size(), 8, 50));
    EXPECT_LE(e50, e1);
    // 8 levels on a Gaussian: Lloyd-Max gives MSE 0.03454 (known value for N(0,1)).
    EXPECT_NEAR(e50, 0.03454, 0.004);
}

TEST(DataDependent, FastPathMatchesReferencePerBlock) {
    std::mt19937 gen(4);
    std::normal_distribution<float> normal;
    std::vector<float> in(10000);
    for (float& v : in) v = normal(gen) * (1 + static_cast<float>(gen() % 4));
    for (const char* spec : {"ternary:block=16", "ternary", "binary:block=64", "bfp:w=8,block=16",
                             "bfp:w=4,block=32", "codebook:kmeans=8"}) {
        const Format f = parse_ok(spec);
        std::vector<float> out(in.size());
        f.quantize(in.data(), out.data(), in.size());
        const std::vector<double> ref =
            f.quantize_tensor_ref(std::vector<double>(in.begin(), in.end()));
        for (std::size_t i = 0; i < in.size(); ++i)
            ASSERT_EQ(out[i], static_cast<float>(ref[i])) << spec << " at " << i;
    }
}

}  // namespace
}  // namespace qlab
