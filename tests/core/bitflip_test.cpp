// Bit-flip injection: codes of fixed:w=B,f=F by hand, sign and LSB flips, rate 0 and rate 1,
// seeded reproducibility, and the sensitivity map job (sign bit worse than LSB).
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/bitflip.hpp"
#include "qlab/format.hpp"
#include "qlab/sakr.hpp"

namespace qlab {
namespace {

TEST(BitFlip, CodesByHand) {
    // fixed:w=4,f=3: codes -8..7 are -1 .. 0.875 in steps of 1/8.
    EXPECT_EQ(fixed_code(0.5, 4, 3), 4);
    EXPECT_EQ(fixed_code(-0.5, 4, 3), -4);
    EXPECT_EQ(fixed_code(0.9999, 4, 3), 7);  // saturates at 0.875
    EXPECT_EQ(fixed_code(-3.0, 4, 3), -8);   // and at -1
    EXPECT_EQ(fixed_code(0.0625, 4, 3), 0);  // a tie goes to the even code
    EXPECT_EQ(fixed_code(0.1875, 4, 3), 2);
    EXPECT_DOUBLE_EQ(fixed_code_value(-8, 3), -1.0);
    // The sign bit of 0.5 (0100) gives 1100 = -4, i.e. -0.5.
    EXPECT_EQ(flip_code_bit(4, 3, 4), -4);
    EXPECT_DOUBLE_EQ(fixed_code_value(flip_code_bit(fixed_code(0.5, 4, 3), 3, 4), 3), -0.5);
    // The LSB of 0.5 gives 0101 = 0.625; bit 2 of 0.5 gives 0000.
    EXPECT_DOUBLE_EQ(fixed_code_value(flip_code_bit(4, 0, 4), 3), 0.625);
    EXPECT_EQ(flip_code_bit(4, 2, 4), 0);
    // -1 (1000) with its sign flipped is 0; -0.125 (1111) with its LSB flipped is -0.25 (1110).
    EXPECT_EQ(flip_code_bit(-8, 3, 4), 0);
    EXPECT_EQ(flip_code_bit(-1, 0, 4), -2);
}

TEST(BitFlip, CodesAgreeWithTheFixedFormat) {
    for (int w : {2, 4, 6, 9}) {
        const Format f =
            *Format::parse("fixed:w=" + std::to_string(w) + ",f=" + std::to_string(w - 1));
        for (double x = -1.3; x <= 1.3; x += 0.0137)
            EXPECT_DOUBLE_EQ(fixed_code_value(fixed_code(x, w, w - 1), w - 1), f.quantize_ref(x))
                << w << " " << x;
    }
}

TEST(BitFlip, RateZeroChangesNothingRateOneFlipsEveryValue) {
    std::vector<float> v = {0.5f, -0.25f, 0.875f, -1.0f, 0.0f, 0.125f};
    const std::vector<float> orig = v;
    Rng rng(7);
    BitFlipCount c = flip_bits(v.data(), v.size(), 4, 3, 3, 0.0, rng);
    EXPECT_EQ(c.flipped, 0);
    EXPECT_EQ(v, orig);  // already on the grid: rounding changes nothing either
    for (int bit = 0; bit < 4; ++bit) {
        std::vector<float> u = orig;
        c = flip_bits(u.data(), u.size(), 4, 3, bit, 1.0, rng);
        EXPECT_EQ(c.flipped, 6);
        for (std::size_t i = 0; i < u.size(); ++i) {
            const std::int64_t before = fixed_code(orig[i], 4, 3), after = fixed_code(u[i], 4, 3);
            EXPECT_EQ((static_cast<std::uint64_t>(before ^ after) & 15u), 1u << bit) << i;
        }
    }
}

Model small_model() {
    Model m;
    Rng rng(5);
    for (auto [in, out] : {std::pair{8, 12}, std::pair{12, 4}}) {
        Layer L;
        L.in = in, L.out = out;
        L.activation = out == 4 ? Activation::none : Activation::hardsigmoid;
        L.weight.resize(out, in);
        for (Eigen::Index i = 0; i < L.weight.size(); ++i)
            L.weight.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * 0.9);
        L.bias = Vector::Constant(out, 0.1f);
        m.layers.push_back(L);
    }
    return m;
}

TEST(BitFlip, ModelFlipsAreSeededAndPerLayer) {
    const Model m = small_model();
    BitFlipCount c1, c2;
    const Model a = flip_weight_bits(m, 0, 6, 5, 0.3, 42, &c1);
    const Model b = flip_weight_bits(m, 0, 6, 5, 0.3, 42, &c2);
    EXPECT_EQ(c1.flipped, c2.flipped);
    EXPECT_EQ(c1.values, 96);
    EXPECT_GT(c1.flipped, 10);
    EXPECT_LT(c1.flipped, 50);
    EXPECT_TRUE(a.layers[0].weight == b.layers[0].weight);
    EXPECT_TRUE(a.layers[1].weight == m.layers[1].weight);  // the other layer untouched
    const Model all = flip_weight_bits(m, -1, 6, 0, 1.0, 1, &c1);
    EXPECT_EQ(c1.flipped, 96 + 48);
}

TEST(BitFlip, SensitivityMapSignBitHurtsMoreThanLsb) {
    const Model m = small_model();
    Dataset d;
    d.features = 8, d.classes = 4;
    Rng rng(9);
    for (int i = 0; i < 300 * 8; ++i) d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    // Labels: the model's own fixed-point decisions, so the baseline is 100%.
    d.y.assign(300, 0);
    d.y = sakr_fixed_decisions(m, d, 8, 8);
    BitFlipOptions o;
    o.ba = 8, o.bw = 8, o.rate = 0.1, o.seed = 3;
    BitFlipJob job(m, d, o);
    ASSERT_TRUE(run_job(job).ok());
    EXPECT_DOUBLE_EQ(job.baseline(), 1.0);
    ASSERT_EQ(job.layers(), 2);
    ASSERT_EQ(job.bits(), 8);
    for (int l = 0; l < 2; ++l) {
        const double lsb = job.accuracy()[static_cast<std::size_t>(l * 8)];
        const double sign = job.accuracy()[static_cast<std::size_t>(l * 8 + 7)];
        EXPECT_LT(sign, lsb) << l;
        EXPECT_GT(lsb, 0.9) << l;
    }
    // The same seed gives the same map, however the job is stepped and sliced.
    o.rows_per_unit = 7;
    BitFlipJob again(m, d, o);
    while (again.step(3)) {
    }
    EXPECT_EQ(again.accuracy(), job.accuracy());
}

TEST(BitFlip, ActivationFlipsAtRateZeroAreTheFixedPointNetwork) {
    const Model m = small_model();
    Dataset d;
    d.features = 8, d.classes = 4;
    Rng data_rng(4);
    for (int i = 0; i < 200 * 8; ++i) d.x.push_back(static_cast<float>(2 * data_rng.uniform() - 1));
    d.y.assign(200, 0);
    const Model q = sakr_quantize_weights(m, 6);
    for (int layer : {0, 1}) {
        Rng rng(1);
        BitFlipCount c;
        EXPECT_EQ(activation_flip_decisions(q, d, 5, layer, 4, 0.0, rng, &c),
                  sakr_fixed_decisions(m, d, 5, 6));
        EXPECT_EQ(c.flipped, 0);
        EXPECT_EQ(c.values, layer == 0 ? 200 * 8 : 200 * 12);
        // Rate 1 flips every stored value once.
        activation_flip_decisions(q, d, 5, layer, 2, 1.0, rng, &c);
        EXPECT_EQ(c.flipped, c.values);
    }
}

TEST(BitFlip, ActivationMapTheTopBitHurtsMoreThanTheLsb) {
    const Model m = small_model();
    Dataset d;
    d.features = 8, d.classes = 4;
    Rng rng(9);
    for (int i = 0; i < 300 * 8; ++i) d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    d.y.assign(300, 0);  // (size() counts labels) then the model's own decisions
    d.y = sakr_fixed_decisions(m, d, 8, 8);
    BitFlipOptions o;
    o.ba = 6, o.bw = 8, o.rate = 0.2, o.seed = 3, o.activations = true;
    BitFlipJob job(m, d, o);
    const Status st = run_job(job);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_EQ(job.bits(), 6);
    for (int l = 0; l < 2; ++l)
        EXPECT_LT(job.accuracy()[static_cast<std::size_t>(l * 6 + 5)],
                  job.accuracy()[static_cast<std::size_t>(l * 6)])
            << l;
    o.rows_per_unit = 11;  // sliced differently, the same map
    BitFlipJob again(m, d, o);
    ASSERT_TRUE(run_job(again).ok());
    EXPECT_EQ(again.accuracy(), job.accuracy());
}

}  // namespace
}  // namespace qlab
