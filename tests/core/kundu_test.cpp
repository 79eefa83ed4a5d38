// Kundu 2017 analyses: alpha* by hand and against every ternary pattern, Algorithm 2's error
// strictly falling (Theorem 3) and matching a direct recomputation, Table 2, the network job.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/kundu.hpp"
#include "qlab/random.hpp"

namespace qlab {
namespace {

double error_sq(const std::vector<double>& w, const TernaryVector& t) {
    double e = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double d = w[i] - t.alpha * t.signs[i];
        e += d * d;
    }
    return e;
}

// w = (0.1, -0.9, 1.0, 0.2): magnitudes sorted 1.0, 0.9, 0.2, 0.1. The corrected eq. 7 keeps the
// top k maximising (sum of the top k)^2 / k: k=1: 1, k=2: 1.9^2/2 = 1.805, k=3: 2.1^2/3 = 1.47,
// k=4: 2.2^2/4 = 1.21, so k = 2, alpha* = 1.9/2 = 0.95, T* between 0.2 and 0.9 (0.55), and the
// error is 0.1^2 + 0.05^2 + 0.05^2 + 0.2^2 = 0.055. Eq. 7 as printed (sum of squares / k: 1, 0.905,
// ...) would keep only 1.0, with error 0.1^2 + 0.9^2 + 0.2^2 = 0.86.
TEST(KunduTernary, AlphaStarByHand) {
    const std::vector<double> w = {0.1, -0.9, 1.0, 0.2};
    const TernaryVector t = ternarize(w.data(), w.size());
    EXPECT_NEAR(t.alpha, 0.95, 1e-15);
    EXPECT_NEAR(t.threshold, 0.55, 1e-15);
    EXPECT_EQ(t.signs, (std::vector<std::int8_t>{0, -1, 1, 0}));
    EXPECT_NEAR(error_sq(w, t), 0.055, 1e-12);
}

// The slow reference: every one of the 3^n sign patterns with its best alpha <w, s> / ||s||^2.
double brute_force_best(const std::vector<double>& w) {
    const std::size_t n = w.size();
    std::size_t patterns = 1;
    for (std::size_t i = 0; i < n; ++i) patterns *= 3;
    double best = INFINITY;
    for (std::size_t p = 0; p < patterns; ++p) {
        std::vector<int> s(n);
        std::size_t code = p;
        double dot = 0, count = 0;
        for (std::size_t i = 0; i < n; ++i, code /= 3) {
            s[i] = static_cast<int>(code % 3) - 1;
            dot += w[i] * s[i], count += s[i] * s[i];
        }
        const double alpha = count > 0 ? std::max(0.0, dot / count) : 0;
        double e = 0;
        for (std::size_t i = 0; i < n; ++i) e += (w[i] - alpha * s[i]) * (w[i] - alpha * s[i]);
        best = std::min(best, e);
    }
    return best;
}

TEST(KunduTernary, ExactAgainstEverySignPattern) {
    Rng rng(3);
    for (int trial = 0; trial < 40; ++trial) {
        std::vector<double> w(7);
        for (double& v : w)
            v = (2 * rng.uniform() - 1) * (trial % 2 ? 1 : std::pow(rng.uniform(), 3));
        if (trial == 5) w = {0.3, -0.3, 0.3, 0.1, 0, 0, -0.1};  // ties in magnitude, zeros
        const TernaryVector t = ternarize(w.data(), w.size());
        EXPECT_NEAR(error_sq(w, t), brute_force_best(w), 1e-12) << trial;
    }
    const std::vector<double> zeros(5, 0.0);
    const TernaryVector z = ternarize(zeros.data(), zeros.size());
    EXPECT_EQ(z.alpha, 0);
}

std::vector<double> heavy_tailed(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> w(n);
    for (double& v : w) {  // Laplacian-like magnitudes, as pre-trained weights (Kundu §3.2)
        const double u = rng.uniform();
        v = (rng.uniform() < 0.5 ? -1 : 1) * -std::log(1 - u + 1e-12) * 0.05;
    }
    return w;
}

// Theorem 3: delta falls strictly at every step; the errors also equal ||W - W^|| recomputed from
// the terms in Algorithm 2's order, and the loop stops at the first delta <= eps^2.
TEST(KunduAlgorithm2, ErrorStrictlyDecreasesTheorem3) {
    const std::vector<double> w = heavy_tailed(1000, 1);
    ResidualOptions o;
    o.block = 16;
    o.tolerance = 0.05;
    const ResidualTensor t = ternary_residual(w, o);
    ASSERT_GT(t.order.size(), 20u);
    ASSERT_EQ(t.errors.size(), t.order.size() + 1);
    for (std::size_t i = 1; i < t.errors.size(); ++i) EXPECT_LT(t.errors[i], t.errors[i - 1]) << i;
    EXPECT_FALSE(t.stopped_at_guard);
    EXPECT_LE(t.errors.back() / t.norm, 0.05);
    EXPECT_GT(t.errors[t.errors.size() - 2] / t.norm, 0.05);
    // Direct recomputation: apply terms in order.
    std::vector<std::size_t> used(t.blocks.size(), 1);
    std::vector<double> approx(w.size(), 0.0);
    auto add = [&](std::size_t k, std::size_t term) {
        const ResidualBlock& b = t.blocks[k];
        for (std::size_t i = 0; i < b.size; ++i)
            approx[b.begin + i] += b.terms[term].alpha * b.terms[term].signs[i];
    };
    auto err = [&] {
        double e = 0;
        for (std::size_t i = 0; i < w.size(); ++i) e += (w[i] - approx[i]) * (w[i] - approx[i]);
        return std::sqrt(e);
    };
    for (std::size_t k = 0; k < t.blocks.size(); ++k) add(k, 0);
    EXPECT_NEAR(err(), t.errors[0], 1e-9);
    for (std::size_t s = 0; s < t.order.size(); ++s) {
        add(t.order[s], used[t.order[s]]++);
        EXPECT_NEAR(err(), t.errors[s + 1], 1e-9) << s;
    }
}

// Table 2 for what was built. One block, no residual: 8 + 2n bits, capacity 3, one alpha. k
// equal blocks, no residual (FGQ): 8k + 2n bits, capacity 2k + 1, k alphas.
TEST(KunduTable2, FiguresForWhatWasBuilt) {
    const std::vector<double> w = heavy_tailed(64, 2);
    ResidualOptions one;
    one.block = 0, one.tolerance = 10;  // delta <= 100 at once: no residual
    const ResidualTensor t1 = ternary_residual(w, one);
    EXPECT_EQ(t1.scale_factors(), 1);
    EXPECT_DOUBLE_EQ(t1.model_size_bits(), 8 + 2 * 64);
    EXPECT_DOUBLE_EQ(t1.capacity(), 3);
    ResidualOptions fgq = one;
    fgq.block = 16;
    const ResidualTensor t4 = ternary_residual(w, fgq);
    EXPECT_EQ(t4.scale_factors(), 4);
    EXPECT_DOUBLE_EQ(t4.model_size_bits(), 8 * 4 + 2 * 64);
    EXPECT_DOUBLE_EQ(t4.capacity(), 2 * 4 + 1);
    // With residuals: (8 + 2n/k) sum (r_i + 1), sum 3^(r_i + 1) - k + 1, sum (r_i + 1).
    ResidualOptions res = fgq;
    res.tolerance = 0.1;
    const ResidualTensor t = ternary_residual(w, res);
    long long terms = 0;
    double capacity = 1 - 4;
    for (const auto& b : t.blocks)
        terms += b.residuals() + 1, capacity += std::pow(3, b.residuals() + 1);
    EXPECT_GT(terms, 4);
    EXPECT_EQ(t.scale_factors(), terms);
    EXPECT_DOUBLE_EQ(t.model_size_bits(), (8 + 2.0 * 64 / 4) * static_cast<double>(terms));
    EXPECT_DOUBLE_EQ(t.capacity(), capacity);
    // Levels: error falls as residual terms are kept; the last level is the full result.
    double previous = INFINITY;
    for (int level = 0; level <= t.max_residuals(); ++level) {
        const std::vector<double> r = t.reconstruct(level);
        double e = 0;
        for (std::size_t i = 0; i < w.size(); ++i) e += (w[i] - r[i]) * (w[i] - r[i]);
        EXPECT_LT(std::sqrt(e), previous);
        previous = std::sqrt(e);
    }
    EXPECT_NEAR(previous, t.errors.back(), 1e-12);
    EXPECT_DOUBLE_EQ(t.compute_factor(t.max_residuals()), static_cast<double>(terms) / 4);
}

// §6.2 with c = 5, N = 64, r + 1 = 2.4: 5 / (2.4 (5/64 + 1)) = 5 / 2.5875 = 1.932 ("~2").
TEST(KunduPower, PaperExample) {
    EXPECT_NEAR(power_performance(5, 2.4, 64), 1.93237, 1e-5);
    EXPECT_NEAR(power_performance(5.5, 1, 64), 5.5 / (5.5 / 64 + 1), 1e-12);
    // §6.2's example: N = 64, r + 1 = 2.4 FGQ blocks: pi_m = 4 / (2.4 * 65/64) = 1.6410 ("~1.6").
    EXPECT_NEAR(memory_gain(2.4, 64), 1.64103, 1e-5);
    EXPECT_NEAR(memory_gain(1, 1), 2, 1e-12);  // N = 1: the alpha costs as much as the weight
}

TEST(KunduNetwork, JobLevelsAndResume) {
    Model m = *make_model("mlp:4-16-3", 4, 3, 5);
    Rng rng(8);
    Dataset d;
    d.features = 4, d.classes = 3;
    for (int i = 0; i < 90; ++i) {
        const int c = i % 3;
        for (int f = 0; f < 4; ++f)
            d.x.push_back(static_cast<float>((f == c) * 1.5 + 0.3 * (2 * rng.uniform() - 1)));
        d.y.push_back(c);
    }
    TrainOptions t;
    t.epochs = 30, t.learning_rate = 0.02f, t.evaluate_each_epoch = false;
    ASSERT_TRUE(train_model(m, d, nullptr, t).ok());
    KunduOptions o;
    o.residual.block = 8;
    o.residual.tolerance = 0.02;
    TernaryResidualJob job(m, d, o);
    EXPECT_EQ(job.progress().total, 2);  // two layers, levels not known yet
    job.step(2);
    EXPECT_EQ(job.result().layers.size(), 2u);
    ASSERT_TRUE(run_job(job).ok());
    const KunduResult& r = job.result();
    EXPECT_EQ(r.float_accuracy, 1.0);
    const int levels =
        std::max(r.layers[0].tensor.max_residuals(), r.layers[1].tensor.max_residuals()) + 1;
    ASSERT_EQ(r.levels.size(), static_cast<std::size_t>(levels));
    EXPECT_GE(levels, 3);
    EXPECT_EQ(r.levels[0].compute, 1.0);
    for (std::size_t i = 1; i < r.levels.size(); ++i) {
        EXPECT_GT(r.levels[i].compute, r.levels[i - 1].compute);
        EXPECT_LT(r.levels[i].power_performance, r.levels[i - 1].power_performance);
        EXPECT_DOUBLE_EQ(r.levels[i].memory_gain,
                         memory_gain(r.levels[i].compute, 8));  // N = 8 here
    }
    EXPECT_NEAR(r.levels.back().accuracy, 1.0, 0.02);
    EXPECT_DOUBLE_EQ(r.levels.back().model_size_bits,
                     r.layers[0].tensor.model_size_bits() + r.layers[1].tensor.model_size_bits());
    // The same as a run in one go.
    auto again = ternary_residual_network(m, d, o);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->levels.back().accuracy, r.levels.back().accuracy);
}

}  // namespace
}  // namespace qlab
