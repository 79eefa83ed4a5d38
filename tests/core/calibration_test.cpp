// Post-training calibration: hand-derived min-max formats, outlier clipping by percentile,
// MSE never worse than min-max, a KL threshold inside the Gaussian's body, per-channel models.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "qlab/calibration.hpp"

namespace qlab {
namespace {

double mse(const std::vector<float>& v, const std::string& spec) {
    const Format f = *Format::parse(spec);
    double e = 0;
    for (float x : v) e += std::pow(x - f.quantize_ref(x), 2);
    return e / static_cast<double>(v.size());
}

std::vector<float> gaussian_with_outlier(std::size_t n) {
    std::mt19937 gen(1);
    std::normal_distribution<float> normal;
    std::vector<float> v(n);
    for (float& x : v) x = normal(gen);
    v.push_back(60.0f);  // one outlier that min-max must cover
    return v;
}

TEST(Calibration, MinMaxByHand) {
    CalibrationOptions o;
    EXPECT_EQ(calibrate_tensor({-1.27f, 0.5f, 0.25f}, o),
              "int:b=8,scale=" + shortest_repr(static_cast<float>(1.2699999809265137 / 127)) +
                  ",narrow=1");  // float32 scales, as ONNX stores them
    o.symmetric = false;
    EXPECT_EQ(calibrate_tensor({0.0f, 2.55f, 1.0f}, o),
              "int:b=8,scale=" + shortest_repr(static_cast<float>(2.5499999523162842 / 255)) +
                  ",zero=0,signed=0");
    o.bits = 4;
    const std::string spec = calibrate_tensor({-1.0f, 2.0f}, o);  // scale 3/15, zero 5
    EXPECT_EQ(spec, "int:b=4,scale=" + shortest_repr(0.2f) + ",zero=5,signed=0");
    const Format f = *Format::parse(spec);
    EXPECT_EQ(f.quantize_ref(0.0), 0.0);
    EXPECT_NEAR(f.max_finite(), 2.0, 1e-6);
}

TEST(Calibration, PercentileAndMseClipOutliersAndKlStaysInTheBody) {
    const auto v = gaussian_with_outlier(20000);
    CalibrationOptions o;
    o.bits = 6;
    const std::string minmax = calibrate_tensor(v, o);
    o.method = Calibration::percentile;
    o.percentile = 99.9;
    const std::string pct = calibrate_tensor(v, o);
    o.method = Calibration::mse;
    const std::string best = calibrate_tensor(v, o);
    o.method = Calibration::kl;
    const std::string kl = calibrate_tensor(v, o);
    // Percentile clipping serves the body of the distribution (the outlier's own clipping error
    // would dominate an MSE over all values).
    const std::vector<float> body(v.begin(), v.end() - 1);
    EXPECT_LT(mse(body, pct), mse(body, minmax) / 4);
    EXPECT_LE(mse(v, best), mse(v, minmax));
    EXPECT_LE(mse(v, best), mse(v, pct) * 1.05);
    const double kl_range = Format::parse(kl)->max_finite();
    EXPECT_GT(kl_range, 2.0);   // keeps the Gaussian's body...
    EXPECT_LT(kl_range, 20.0);  // ...and drops the outlier at 60
    EXPECT_FALSE(parse_calibration("entropy").ok());
}

TEST(Calibration, KlIgnoresTheSpikeOfExactZeros) {
    // ReLU outputs: 80% exact zeros, the rest spread over (0, 2]. With the zeros in the
    // histogram, KL at 4 bits picked a range of about 0.01 and a trained MNIST net fell to chance.
    std::mt19937 gen(2);
    std::uniform_real_distribution<float> u(0.0f, 2.0f);
    std::vector<float> v(10000, 0.0f);
    for (std::size_t i = 0; i < 2000; ++i) v[i] = u(gen);
    CalibrationOptions o;
    o.method = Calibration::kl;
    o.bits = 4;
    o.symmetric = false;
    EXPECT_GT(Format::parse(calibrate_tensor(v, o))->max_finite(), 1.0);
    // A handful of values (a 2-input layer's channel) makes no histogram: min-max instead.
    CalibrationOptions mm = o;
    mm.method = Calibration::minmax;
    EXPECT_EQ(calibrate_tensor({0.3f, -0.7f}, o), calibrate_tensor({0.3f, -0.7f}, mm));
}

TEST(Calibration, ModelPerTensorAndPerChannel) {
    const Dataset d = *load_data_spec("synth:circle:n=200");
    Model m = *make_model("mlp:2-8-8-2", 2, 2, 1);
    TrainOptions t;
    t.epochs = 5;
    ASSERT_TRUE(train_model(m, d, nullptr, t).ok());
    CalibrationOptions o;
    o.bits = 8;
    const EvalOptions per_tensor = *calibrate_model(m, d, o);
    ASSERT_EQ(per_tensor.layers.size(), 3u);
    EXPECT_FALSE(per_tensor.layers[0].weights.empty());
    EXPECT_FALSE(per_tensor.layers[1].activations.empty());
    EXPECT_TRUE(per_tensor.layers[2].activations.empty());          // logits stay in float
    EXPECT_NEAR(accuracy(m, d, per_tensor), accuracy(m, d), 0.03);  // 8 bits barely matter
    o.per_channel = true;
    const EvalOptions per_channel = *calibrate_model(m, d, o);
    EXPECT_EQ(per_channel.layers[0].weight_rows.size(), 8u);
    EXPECT_EQ(per_channel.layers[2].weight_rows.size(), 2u);
    o.bits = 1;
    EXPECT_FALSE(calibrate_model(m, d, o).ok());
}

}  // namespace
}  // namespace qlab
