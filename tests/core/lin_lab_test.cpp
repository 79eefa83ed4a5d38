// The Layers lesson's core parts: Lin's formats at one width (the same as a sweep's row), and the
// per-layer SQNR meter against a written-out quantized forward pass and eq. 9 by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "lin_support.hpp"
#include "qlab/lin.hpp"

namespace qlab {
namespace {

using test::random_data;
using test::small_model;

TEST(LinFormats, SameAsTheSweepRowAtThatWidth) {
    const Model m = small_model();
    const Dataset d = random_data(150, 6, 3);
    LinSweepOptions o;
    o.min_bits = 5, o.max_bits = 7, o.max_rows = 100;
    auto sweep = lin_sweep(m, d, o);
    ASSERT_TRUE(sweep.ok()) << sweep.status().message();
    for (int bits = 5; bits <= 7; ++bits) {
        auto f = lin_formats(m, d, bits, {}, 100);
        ASSERT_TRUE(f.ok()) << f.status().message();
        const LinSweepRow& row = sweep->rows[static_cast<std::size_t>(bits - 5)];
        ASSERT_EQ(f->steps.size(), row.formats.size());
        for (std::size_t i = 0; i < f->steps.size(); ++i) {
            EXPECT_EQ(f->steps[i].format, row.formats[i]) << bits << " " << i;
            EXPECT_EQ(f->steps[i].name(), sweep->steps[i].name());
            const LayerFormats& lf = f->eval.layers[f->steps[i].layer];
            EXPECT_EQ(f->steps[i].role == StepRole::weights ? lf.weights : lf.activations,
                      row.formats[i]);
        }
        // model_sqnr with these formats measures the sweep's per-step SQNRs.
        SqnrOptions so;
        so.max_rows = 100;
        auto s = model_sqnr(m, d, f->eval, so);
        ASSERT_TRUE(s.ok());
        for (std::size_t i = 0; i < s->steps.size(); ++i)
            EXPECT_DOUBLE_EQ(s->steps[i].sqnr_db, row.step_db[i]);
        EXPECT_DOUBLE_EQ(s->predicted_output_db, row.predicted_output_db);
    }
    EXPECT_FALSE(lin_formats(m, d, 1).ok());
    EXPECT_FALSE(lin_formats(m, random_data(10, 5, 1), 6).ok());
}

// A slow forward pass written out to layer `stop` (ReLU hidden layers), with fake quantization by
// the scalar reference; returns that layer's output after its activation format.
std::vector<double> forward_to(const Model& m, const std::vector<double>& x, std::size_t stop,
                               const EvalOptions* q) {
    std::vector<double> in = x;
    for (std::size_t l = 0;; ++l) {
        const Layer& L = m.layers[l];
        std::optional<Format> wf, af;
        if (q && !q->layers[l].weights.empty()) wf = *Format::parse(q->layers[l].weights);
        if (q && !q->layers[l].activations.empty()) af = *Format::parse(q->layers[l].activations);
        std::vector<double> out(static_cast<std::size_t>(L.out));
        for (int o = 0; o < L.out; ++o) {
            double sum = L.bias[o];
            for (int i = 0; i < L.in; ++i) {
                const double wv = wf ? wf->quantize_ref(L.weight(o, i)) : L.weight(o, i);
                sum +=
                    static_cast<double>(static_cast<float>(wv)) * in[static_cast<std::size_t>(i)];
            }
            out[static_cast<std::size_t>(o)] =
                L.activation == Activation::relu ? std::max(0.0, sum) : sum;
        }
        if (af && l + 1 < m.layers.size())
            for (double& v : out) v = af->quantize_ref(static_cast<float>(v));
        if (l == stop) return out;
        in = out;
    }
}

TEST(LinLayerMeters, MeasuredByHandAndPredictedByEq9) {
    const Model m = small_model();
    const Dataset d = random_data(200, 6, 5);
    auto f = lin_formats(m, d, 5);
    ASSERT_TRUE(f.ok());
    auto s = model_sqnr(m, d, f->eval);
    ASSERT_TRUE(s.ok());
    auto meters = layer_sqnr_meters(m, d, f->eval, *s);
    ASSERT_TRUE(meters.ok()) << meters.status().message();
    ASSERT_EQ(meters->size(), 3u);
    // eq. 9 over the steps so far: W1 a1 | W1 a1 W2 a2 | all five.
    const auto& st = s->steps;
    EXPECT_DOUBLE_EQ((*meters)[0].predicted_db,
                     predicted_output_sqnr_db({st[0].sqnr_db, st[1].sqnr_db}));
    EXPECT_EQ((*meters)[1].steps, 4u);
    EXPECT_DOUBLE_EQ(
        (*meters)[1].predicted_db,
        predicted_output_sqnr_db({st[0].sqnr_db, st[1].sqnr_db, st[2].sqnr_db, st[3].sqnr_db}));
    EXPECT_DOUBLE_EQ((*meters)[2].predicted_db, s->predicted_output_db);
    EXPECT_DOUBLE_EQ((*meters)[2].measured_db, s->measured_output_db);
    // Measured: the quantized network's a^(l) against the float one, by direct sums.
    for (std::size_t l = 0; l < 2; ++l) {
        double sig = 0, noise = 0;
        for (std::size_t i = 0; i < d.size(); ++i) {
            const std::vector<double> x(d.row(i), d.row(i) + d.features);
            const auto a = forward_to(m, x, l, nullptr), aq = forward_to(m, x, l, &f->eval);
            for (std::size_t k = 0; k < a.size(); ++k) {
                const double fa = static_cast<float>(a[k]);
                sig += fa * fa, noise += (fa - aq[k]) * (fa - aq[k]);
            }
        }
        EXPECT_NEAR((*meters)[l].measured_db, 10 * std::log10(sig / noise), 0.02) << l;
        EXPECT_EQ((*meters)[l].layer, l);
    }
    // Noise grows through the network: each layer's predicted SQNR is below the one before.
    EXPECT_LT((*meters)[1].predicted_db, (*meters)[0].predicted_db);
    EXPECT_LT((*meters)[2].predicted_db, (*meters)[1].predicted_db);
}

TEST(LinLayerMeters, FloatStepsAreInfinite) {
    const Model m = small_model();
    const Dataset d = random_data(50, 6, 2);
    EvalOptions none;
    auto s = model_sqnr(m, d, none);
    ASSERT_TRUE(s.ok());
    auto meters = layer_sqnr_meters(m, d, none, *s);
    ASSERT_TRUE(meters.ok());
    for (const auto& mt : *meters) {
        EXPECT_TRUE(std::isinf(mt.predicted_db) && mt.predicted_db > 0);
        EXPECT_TRUE(std::isinf(mt.measured_db) && mt.measured_db > 0);
    }
}

}  // namespace
}  // namespace qlab
