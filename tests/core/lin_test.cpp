// Lin 2016 analyses: Table 4 and Table 6 by hand, eq. 9, per-step and output SQNR against a
// hand-written forward pass with direct sums, kappa from a sweep, the size/error job.
#include <gtest/gtest.h>

#include <cmath>

#include "lin_support.hpp"
#include "qlab/lin.hpp"

namespace qlab {
namespace {

// Lin Table 3's parameters (x 10^6) of conv0..conv5 and kappa = 3 dB/bit. eq. 16 relative to
// conv0: beta_i - beta_0 = 10 log10(rho_0 / rho_i) / 3:
//   conv1, conv2: 10 log10(0.007/0.295) / 3 = -16.247 / 3 = -5.42 -> -5
//   conv3, conv4: 10 log10(0.007/0.590) / 3 = -19.258 / 3 = -6.42 -> -6
//   conv5:        10 log10(0.007/1.606) / 3 = -23.606 / 3 = -7.87 -> -8
// which is Table 4: (0, -5, -5, -6, -6, -8).
TEST(LinAllocation, ReproducesTable4FromTable3) {
    auto a = allocate_bits({0.007, 0.295, 0.295, 0.590, 0.590, 1.606}, 3, 16);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->offsets, (std::vector<int>{0, -5, -5, -6, -6, -8}));
    EXPECT_NEAR(a->exact_offsets[1], -5.4157, 1e-3);
    EXPECT_NEAR(a->exact_offsets[5], -7.8687, 1e-3);
    // Table 6 case 7 is beta_0 = 16: (16, 11, 11, 10, 10, 8).
    EXPECT_EQ(a->bits, (std::vector<int>{16, 11, 11, 10, 10, 8}));
}

// Table 6's model sizes from the exact parameter counts of Table 5's layers (k x k x in x out):
// 3*256*9 = 6912, 256*128*9 = 294912, 128*256*9 = 294912, 256*256*9 = 589824 (twice) and
// 256*128*49 = 1605632, 3382016 in all. Case 1 (9 bits everywhere): 9 * 3382016 = 30.44e6; case
// 7: 16*6912 + 11*2*294912 + 10*2*589824 + 8*1605632 = 31240192 = 31.24e6, as printed.
TEST(LinAllocation, Table6ModelSizes) {
    const std::vector<double> params = {6912, 294912, 294912, 589824, 589824, 1605632};
    auto equal = allocate_bits(params, 1e9, 9);  // a huge kappa: every offset 0
    ASSERT_TRUE(equal.ok());
    EXPECT_DOUBLE_EQ(equal->weighted_bits, 9.0 * 3382016);
    auto optimised = allocate_bits(params, 3, 16);
    ASSERT_TRUE(optimised.ok());
    EXPECT_EQ(optimised->offsets, (std::vector<int>{0, -5, -5, -6, -6, -8}));
    EXPECT_DOUBLE_EQ(optimised->weighted_bits, 31240192.0);
    // Case 13: beta_0 = 10 gives (10, 5, 5, 4, 4, 2) and 10.95e6 bits.
    auto small = allocate_bits(params, 3, 10);
    EXPECT_EQ(small->bits, (std::vector<int>{10, 5, 5, 4, 4, 2}));
    EXPECT_NEAR(small->weighted_bits / 1e6, 10.95, 0.005);
}

TEST(LinAllocation, RejectsBadInput) {
    EXPECT_FALSE(allocate_bits({}, 3, 8).ok());
    EXPECT_FALSE(allocate_bits({1, 0}, 3, 8).ok());
    EXPECT_FALSE(allocate_bits({1, 2}, 0, 8).ok());
    auto floor = allocate_bits({1, 1e6}, 3, 4, 2);  // offset -20 would leave -16 bits
    EXPECT_EQ(floor->bits, (std::vector<int>{4, 2}));
    EXPECT_FALSE(parse_objective("speed").ok());
}

// eq. 9: two steps of 20 dB each: 1/gamma = 2/100, 10 log10(50) = 16.9897 dB.
TEST(LinEq9, InverseSqnrsAdd) {
    EXPECT_NEAR(predicted_output_sqnr_db({20, 20}), 16.98970, 1e-4);
    EXPECT_NEAR(predicted_output_sqnr_db({30, INFINITY}), 30, 1e-12);
    EXPECT_TRUE(std::isinf(predicted_output_sqnr_db({})));
    EXPECT_NEAR(least_squares_slope({1, 2, 3, 4}, {3, 5, 7, 9}), 2, 1e-12);
}

using test::random_data;
using test::small_model;

// A slow forward pass written out: ReLU hidden layers, optional quantization (scalar reference).
std::vector<std::vector<double>> forward_ref(const Model& m, const std::vector<double>& x,
                                             const Format* w, const Format* a,
                                             std::vector<std::vector<double>>* hidden) {
    std::vector<double> in = x;
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        const Layer& L = m.layers[l];
        std::vector<double> out(static_cast<std::size_t>(L.out));
        for (int o = 0; o < L.out; ++o) {
            double sum = L.bias[o];
            for (int i = 0; i < L.in; ++i) {
                const double wv = w ? w->quantize_ref(L.weight(o, i)) : L.weight(o, i);
                sum +=
                    static_cast<double>(static_cast<float>(wv)) * in[static_cast<std::size_t>(i)];
            }
            out[static_cast<std::size_t>(o)] =
                L.activation == Activation::relu ? std::max(0.0, sum) : sum;
        }
        if (l + 1 == m.layers.size()) return {out};
        if (hidden) hidden->push_back(out);
        if (a)
            for (double& v : out) v = a->quantize_ref(static_cast<float>(v));
        in = out;
    }
    return {};
}

TEST(LinModelSqnr, MatchesDirectSumsOnAHandWrittenForwardPass) {
    const Model m = small_model();
    const Dataset d = random_data(200, 6, 5);
    EvalOptions q;
    q.roles.weights = "fixed:w=6,f=4";
    q.roles.activations = "fixed:w=6,f=3";
    auto r = model_sqnr(m, d, q);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->steps.size(), 5u);  // W1 a1 W2 a2 W3
    EXPECT_EQ(r->steps[0].name(), "W1");
    EXPECT_EQ(r->steps[1].name(), "a1");
    EXPECT_EQ(r->steps[4].name(), "W3");
    const Format wf = *Format::parse(q.roles.weights), af = *Format::parse(q.roles.activations);
    // Weights: sum w^2 / sum (w - q(w))^2 over the layer.
    for (std::size_t s : {0u, 2u, 4u}) {
        const Layer& L = m.layers[r->steps[s].layer];
        double sig = 0, noise = 0;
        for (Eigen::Index i = 0; i < L.weight.size(); ++i) {
            const double v = L.weight.data()[i], e = v - wf.quantize_ref(v);
            sig += v * v, noise += e * e;
        }
        EXPECT_NEAR(r->steps[s].sqnr_db, 10 * std::log10(sig / noise), 1e-4) << s;
    }
    // Activations (float network) and the output, from the written-out forward passes.
    double sig[2] = {0, 0}, noise[2] = {0, 0}, out_sig = 0, out_noise = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        const std::vector<double> x(d.row(i), d.row(i) + d.features);
        std::vector<std::vector<double>> hidden;
        const auto z = forward_ref(m, x, nullptr, nullptr, &hidden)[0];
        const auto zq = forward_ref(m, x, &wf, &af, nullptr)[0];
        for (int h = 0; h < 2; ++h)
            for (double v : hidden[static_cast<std::size_t>(h)]) {
                const double fv = static_cast<float>(v), e = fv - af.quantize_ref(fv);
                sig[h] += fv * fv, noise[h] += e * e;
            }
        for (std::size_t c = 0; c < z.size(); ++c)
            out_sig += z[c] * z[c], out_noise += (z[c] - zq[c]) * (z[c] - zq[c]);
    }
    EXPECT_NEAR(r->steps[1].sqnr_db, 10 * std::log10(sig[0] / noise[0]), 1e-3);
    EXPECT_NEAR(r->steps[3].sqnr_db, 10 * std::log10(sig[1] / noise[1]), 1e-3);
    EXPECT_NEAR(r->measured_output_db, 10 * std::log10(out_sig / out_noise), 0.05);
    std::vector<double> dbs;
    for (const auto& s : r->steps) dbs.push_back(s.sqnr_db);
    EXPECT_DOUBLE_EQ(r->predicted_output_db, predicted_output_sqnr_db(dbs));
    EXPECT_EQ(r->rows, 200u);
}

// Lin §3.3 by hand: RMS 0.5, 4 bits: s = 3 * 0.5 * 0.3352 (Gaussian optimal step, Table 1)
// = 0.5028, n = -ceil(log2 0.5028) = -ceil(-0.992) = 0: "fixed:w=4,f=0"; at 8 bits the step is
// 0.03 (Table 1: 0.0308...), s = 0.0462, n = -ceil(-4.43) = 4.
TEST(LinFormat, FractionalBitsFromTable1) {
    const std::vector<double> v = {0.5, -0.5, 0.5, -0.5};
    EXPECT_EQ(lin_fixed_format(v, 4), "fixed:w=4,f=0");
    EXPECT_EQ(lin_fixed_format(v, 8), "fixed:w=8,f=4");
}

// kappa from a sweep. Reference: with no clipping, rounding to a step 2^-n leaves noise of
// variance 4^-n / 12 (uniform error), so gamma_dB = 10 log10(12 E[w^2] 4^n) with n from Lin's
// format at each width; its least-squares slope is the kappa to expect. (It is near 5 dB/bit, not
// 6: Table 1's Gaussian step shrinks by less than half per bit.)
TEST(LinSweep, KappaMatchesTheNoiseModelAndOutputTracksPrediction) {
    const Model m = small_model();
    const Dataset d = random_data(300, 6, 7);
    LinSweepOptions o;
    o.min_bits = 4, o.max_bits = 12;
    LinSweepJob job(m, d, o);
    EXPECT_EQ(job.progress().total, 9);
    job.step(2);
    EXPECT_EQ(job.result().rows.size(), 2u);  // resumable: two widths so far
    ASSERT_TRUE(run_job(job).ok());
    const LinSweepResult& r = job.result();
    ASSERT_EQ(r.rows.size(), 9u);
    double kappa_sum = 0;
    int weight_steps = 0;
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
        if (r.steps[i].role != StepRole::weights) continue;
        const Matrix& w = m.layers[r.steps[i].layer].weight;
        const std::vector<double> values(w.data(), w.data() + w.size());
        const double mean_sq = w.squaredNorm() / static_cast<double>(w.size());
        std::vector<double> bits, db;
        for (int b = o.min_bits; b <= o.max_bits; ++b) {
            const std::string spec = lin_fixed_format(values, b);
            const int n = std::stoi(spec.substr(spec.find("f=") + 2));
            bits.push_back(b);
            db.push_back(10 * std::log10(12 * mean_sq * std::pow(4.0, n)));
        }
        EXPECT_NEAR(r.kappa[i], least_squares_slope(bits, db), 0.3) << i;
        EXPECT_GT(r.kappa[i], 4.5);
        kappa_sum += r.kappa[i], ++weight_steps;
    }
    EXPECT_GT(r.output_kappa, 4);
    for (const LinSweepRow& row : r.rows)
        if (row.bits >= 8) {
            EXPECT_NEAR(row.measured_output_db, row.predicted_output_db, 4) << row.bits;
        }
    auto k = measured_weight_kappa(m, 4, 12);
    ASSERT_TRUE(k.ok());
    EXPECT_NEAR(*k, kappa_sum / weight_steps, 1e-12);
}

// The built-in Gaussian step table is Table 1 as sqnr.hpp derives it (checked up to 10 bits, where
// the derivation is quick): the formats match those built from optimal_uniform_step directly.
TEST(LinFormat, StepTableMatchesTheDerivation) {
    const std::vector<double> v = {0.37, -0.2, 0.05};
    const double rms = std::sqrt((0.37 * 0.37 + 0.2 * 0.2 + 0.05 * 0.05) / 3);
    for (int b = 2; b <= 10; ++b) {
        const double s = 3 * rms * optimal_uniform_step(Distribution::gaussian, b).step;
        const int n = -static_cast<int>(std::ceil(std::log2(s)));
        EXPECT_EQ(lin_fixed_format(v, b),
                  "fixed:w=" + std::to_string(b) + ",f=" + std::to_string(n));
    }
}

TEST(LinTradeoff, EqualAndOptimisedPoints) {
    const Model m = *make_model("mlp:6-40-4-3", 6, 3, 3);
    const Dataset d = random_data(100, 6, 9);
    TradeoffOptions o;
    o.min_bits = 3, o.max_bits = 6;
    auto r = lin_tradeoff(m, d, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    // rho = 240, 160, 12: offsets round(10 log10(240/160)/3) = round(0.59) = 1 and
    // round(10 log10(240/12)/3) = round(4.34) = 4.
    EXPECT_EQ(r->offsets, (std::vector<int>{0, 1, 4}));
    ASSERT_EQ(r->points.size(), 8u);
    EXPECT_EQ(r->points[0].bits, (std::vector<int>{3, 3, 3}));
    EXPECT_DOUBLE_EQ(r->points[0].model_size_bits, 3.0 * (240 + 160 + 12));
    EXPECT_EQ(r->points[4].bits, (std::vector<int>{3, 4, 7}));  // narrowest layer at 3
    for (const auto& p : r->points) EXPECT_TRUE(p.error >= 0 && p.error <= 1);
}

}  // namespace
}  // namespace qlab
