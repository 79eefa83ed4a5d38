// SQNR and Lin's optimal uniform quantizer: Table 1, kappa, the integrator against Monte Carlo,
// and the sampler's moments.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/sqnr.hpp"

namespace qlab {
namespace {

constexpr double kTableTolerance = 0.01;  // the "within 1%"
constexpr double kMonteCarloSigmas = 5.0;
constexpr double kRiemannTolerance = 1e-5;
constexpr std::size_t kSamples = 400000;

TEST(LinTable1, OptimalStepsWithinOnePercent) {
    struct Row {
        Distribution d;
        double steps[4];
    };
    // Lin 2016 Table 1 (from Shi & Sun 2008), bits 1..4.
    const Row table[] = {
        {Distribution::uniform, {1.0, 0.5, 0.25, 0.125}},
        {Distribution::gaussian, {1.596, 0.996, 0.586, 0.335}},
        {Distribution::laplacian, {1.414, 1.087, 0.731, 0.456}},
        {Distribution::gamma, {1.154, 1.060, 0.796, 0.540}},
    };
    for (const Row& row : table) {
        for (int b = 1; b <= 4; ++b) {
            const double step = optimal_uniform_step(row.d, b).step;
            const double printed = row.steps[b - 1];
            if (row.d == Distribution::laplacian && b == 4) {
                // The printed 0.456 is 1.1% below the true optimum 0.4610 (a brute-force Riemann
                // sum agrees, as does Jayant & Noll's classic table); check against the optimum.
                EXPECT_NEAR(step, 0.4610, 0.0005);
                EXPECT_GT(std::fabs(step / printed - 1), kTableTolerance);
                continue;
            }
            EXPECT_NEAR(step / printed, 1.0, kTableTolerance)
                << distribution_name(row.d) << " " << b << " bits: " << step << " vs " << printed;
        }
    }
}

TEST(LinTable1, OneBitStepIsTwiceTheMeanMagnitude) {
    // For 2 levels the optimal level is E|X|: exact values to compare the search against.
    EXPECT_NEAR(optimal_uniform_step(Distribution::gaussian, 1).step, 2 * std::sqrt(2 / M_PI),
                1e-6);
    EXPECT_NEAR(optimal_uniform_step(Distribution::laplacian, 1).step, std::sqrt(2.0), 1e-6);
    EXPECT_NEAR(optimal_uniform_step(Distribution::gamma, 1).step, 2 / std::sqrt(3.0), 1e-6);
    EXPECT_NEAR(optimal_uniform_step(Distribution::uniform, 1).step, 1.0, 1e-6);
}

TEST(QuantizationEfficiency, SixForUniformAboutFiveForGaussian) {
    EXPECT_NEAR(quantization_efficiency(Distribution::uniform, 1, 8), 20 * std::log10(2.0), 1e-3);
    const double gaussian = quantization_efficiency(Distribution::gaussian, 1, 8);
    EXPECT_GT(gaussian, 4.9);
    EXPECT_LT(gaussian, 5.4);
    // Heavier tails quantize less efficiently (Lin: efficiency falls as kurtosis rises).
    EXPECT_LT(quantization_efficiency(Distribution::laplacian, 1, 8), gaussian);
    EXPECT_LT(quantization_efficiency(Distribution::gamma, 1, 8),
              quantization_efficiency(Distribution::laplacian, 1, 8));
}

TEST(Integrator, AgreesWithMonteCarloWithinItsStandardError) {
    for (Distribution d : all_distributions()) {
        const std::vector<double> x = sample_distribution(d, kSamples, 5);
        for (int bits : {1, 3, 5}) {
            const double step = optimal_uniform_step(d, bits).step;
            const long half = 1L << (bits - 1);
            double sum = 0, sum_sq = 0;
            for (double v : x) {
                const double j =
                    std::min(std::floor(std::fabs(v) / step), static_cast<double>(half - 1));
                const double q = std::copysign((j + 0.5) * step, v);
                const double e2 = (v - q) * (v - q);
                sum += e2, sum_sq += e2 * e2;
            }
            const double n = static_cast<double>(x.size());
            const double mean = sum / n;
            // Overload error of heavy tails lives in rare samples: use the sample's own spread.
            const double standard_error = std::sqrt((sum_sq / n - mean * mean) / n);
            EXPECT_NEAR(mean, uniform_quantizer_mse(d, bits, step),
                        kMonteCarloSigmas * standard_error)
                << distribution_name(d) << " " << bits;
        }
    }
}

TEST(Integrator, AgreesWithAPlainMidpointSum) {
    // An independent deterministic check: a fine midpoint Riemann sum over [0, 40].
    for (Distribution d : {Distribution::gaussian, Distribution::laplacian}) {
        for (int bits : {2, 4, 6}) {
            const double step = optimal_uniform_step(d, bits).step;
            const long half = 1L << (bits - 1);
            const int n = 400000;
            const double h = 40.0 / n;
            double sum = 0;
            for (int i = 0; i < n; ++i) {
                const double x = (i + 0.5) * h;
                const double j = std::min(std::floor(x / step), static_cast<double>(half - 1));
                const double e = x - (j + 0.5) * step;
                sum += e * e * distribution_pdf(d, x);
            }
            EXPECT_NEAR(2 * sum * h / uniform_quantizer_mse(d, bits, step), 1.0, kRiemannTolerance)
                << distribution_name(d) << " " << bits;
        }
    }
}

TEST(Sampler, MomentsAndDeterminism) {
    for (Distribution d : all_distributions()) {
        const std::vector<double> x = sample_distribution(d, kSamples, 1);
        double mean = 0, var = 0;
        for (double v : x) mean += v;
        mean /= static_cast<double>(x.size());
        for (double v : x) var += (v - mean) * (v - mean);
        var /= static_cast<double>(x.size());
        EXPECT_NEAR(mean, 0, 0.01) << distribution_name(d);
        EXPECT_NEAR(var / distribution_variance(d), 1, 0.02) << distribution_name(d);
        EXPECT_EQ(sample_distribution(d, 100, 7), sample_distribution(d, 100, 7));
    }
    EXPECT_FALSE(parse_distribution("cauchy").ok());
}

TEST(Sqnr, FixedPointOnUniformDataIsSixDbPerBit) {
    // Step 2^-4 on U(-1, 1): noise step^2/12, signal 1/3, so SQNR = 10 log10(1024) = 30.10 dB.
    const std::vector<double> x = sample_distribution(Distribution::uniform, kSamples, 2);
    const Format f = *Format::parse("fixed:w=8,f=4");
    EXPECT_NEAR(sqnr_db(f, x), 10 * std::log10(1024.0), 0.1);
    const Format f2 = *Format::parse("fixed:w=10,f=6");
    EXPECT_NEAR(sqnr_db(f2, x) - sqnr_db(f, x), 2 * 20 * std::log10(2.0), 0.15);
    EXPECT_EQ(sqnr_db({1, 2}, {1, 2}), INFINITY);
}

}  // namespace
}  // namespace qlab
