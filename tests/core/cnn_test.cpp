// CNNs: convolution and max-pool by hand, gradients through conv -> pool -> dense against finite
// differences, the conv2d/maxpool2d JSON schema, learning real digits, QAT and calibration.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/calibration.hpp"
#include "qlab/mlp.hpp"
#include "training_support.hpp"

namespace qlab {
namespace {

constexpr double kGradientTolerance = 2e-3;

Dataset one_image(std::vector<float> pixels, int classes = 2) {
    Dataset d;
    d.features = static_cast<int>(pixels.size());
    d.classes = classes;
    d.x = std::move(pixels);
    d.y = {0};
    return d;
}

TEST(Cnn, ConvolutionAndPoolingByHand) {
    // 3x3 image 1..9, one 2x2 kernel [[1, 0], [0, 1]], bias 0.5: each output is a + d + 0.5.
    const char* conv = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"conv2d","channels":1,"height":3,"width":3,"kernel":2,"out":1,"activation":"none",
         "weight":[[1,0,0,1]],"bias":[0.5]}]})";
    const Model m = *model_from_json(conv);
    EXPECT_EQ(m.outputs(), 4);
    const Matrix s = predict_scores(m, one_image({1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(s, (Matrix(1, 4) << 6.5f, 8.5f, 12.5f, 14.5f).finished());
    // Two output channels come out channel-major: all of channel 0, then channel 1.
    const char* two = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"conv2d","channels":1,"height":2,"width":2,"kernel":2,"out":2,"activation":"relu",
         "weight":[[1,1,1,1],[-1,0,0,0]],"bias":[0,0]}]})";
    EXPECT_EQ(predict_scores(*model_from_json(two), one_image({1, 2, 3, 4})),
              (Matrix(1, 2) << 10, 0).finished());
    // 2x2 max-pool of a 4x4 image.
    const char* pool = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"maxpool2d","channels":1,"height":4,"width":4,"size":2}]})";
    const Matrix p = predict_scores(*model_from_json(pool),
                                    one_image({1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 9, 9, 7, 0, 9, 10}));
    EXPECT_EQ(p, (Matrix(1, 4) << 5, 8, 7, 10).finished());
}

using test::mean_loss;

TEST(Cnn, GradientsMatchFiniteDifferences) {
    Dataset d;
    d.features = 36;
    d.classes = 3;
    Rng rng(4);
    for (int i = 0; i < 12; ++i) {
        for (int j = 0; j < 36; ++j) d.x.push_back(static_cast<float>(rng.uniform()));
        d.y.push_back(i % 3);
    }
    Model m = *make_model("cnn:6x6x1-c2k3-p2-3:act=tanh", 36, 3, 3);
    Model stepped = m;
    TrainOptions o;
    o.optimizer = Optimizer::sgd;
    o.learning_rate = 1e-2f;
    o.epochs = 1;
    o.batch = 12;
    ASSERT_TRUE(train_model(stepped, d, nullptr, o).ok());
    int checked = 0;
    for (std::size_t l : {std::size_t{0}, std::size_t{2}}) {  // the conv and the dense layer
        for (Eigen::Index i = 0; i < m.layers[l].weight.size(); i += 2) {
            const double analytic =
                -(stepped.layers[l].weight.data()[i] - m.layers[l].weight.data()[i]) /
                o.learning_rate;
            Model plus = m, minus = m;
            const float eps = 1e-3f;
            plus.layers[l].weight.data()[i] += eps;
            minus.layers[l].weight.data()[i] -= eps;
            const double numeric = (mean_loss(plus, d) - mean_loss(minus, d)) / (2 * eps);
            EXPECT_NEAR(analytic, numeric, kGradientTolerance) << "layer " << l << " weight " << i;
            ++checked;
        }
    }
    EXPECT_GT(checked, 10);
}

TEST(Cnn, SchemaRoundTripAndSpecErrors) {
    const Model m = *make_model("cnn:8x8x1-c4k3-p2-c6k2-16-10", 64, 10, 2);
    ASSERT_EQ(m.layers.size(), 5u);
    EXPECT_EQ(m.layers[0].output_size(), 4 * 6 * 6);
    EXPECT_EQ(m.layers[1].output_size(), 4 * 3 * 3);
    EXPECT_EQ(m.layers[2].output_size(), 6 * 2 * 2);
    EXPECT_EQ(m.layers[3].in, 24);
    const Model back = *model_from_json(model_to_json(m));
    ASSERT_EQ(back.layers.size(), m.layers.size());
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        EXPECT_EQ(back.layers[l].kind, m.layers[l].kind);
        EXPECT_EQ(back.layers[l].weight, m.layers[l].weight);
        EXPECT_EQ(back.layers[l].output_size(), m.layers[l].output_size());
    }
    EXPECT_NE(make_model("cnn:8x8x2-c4k3-10", 64, 10, 1)
                  .status()
                  .message()
                  .find("is 128 values, the data has 64"),
              std::string::npos);
    EXPECT_NE(make_model("cnn:8x8x1-c4k9-10", 64, 10, 1).status().message().find("layer 'c4k9'"),
              std::string::npos);
    EXPECT_NE(make_model("cnn:8x8x1-c4k3-p2", 64, 10, 1)
                  .status()
                  .message()
                  .find("must end in a dense layer of 10"),
              std::string::npos);
    EXPECT_NE(make_model("cnn:8x8x1-q3-10", 64, 10, 1)
                  .status()
                  .message()
                  .find("expected cNkK[sS][pP][dD], pN[sS], aN[sS], g or a dense width"),
              std::string::npos);
}

// By hand: c8k5 on 28x28x1 has 1*5*5*8 + 8 = 208 parameters and gives 24x24x8, p2 12x12x8; c16k5
// has 8*5*5*16 + 16 = 3216 and gives 8x8x16, p2 4x4x16 = 256 features; the dense 256*10 + 10.
TEST(Cnn, ParameterCountFromTheShapesAlone) {
    const char* spec = "cnn:28x28x1-c8k5-p2-c16k5-p2-10";
    EXPECT_EQ(*cnn_parameter_count(spec, 784, 10), 208 + 3216 + 2570);
    const Model m = *make_model(spec, 784, 10, 1);
    double weights = 0;
    for (const Layer& L : m.layers) weights += static_cast<double>(L.weight.size() + L.bias.size());
    EXPECT_EQ(*cnn_parameter_count(spec, 784, 10), weights);
    // A model far past any limit is counted, not built (4096 channels of 3x3, then 65536 wide).
    EXPECT_GT(*cnn_parameter_count("cnn:28x28x1-c4096k3-65536-10", 784, 10), 1e11);
    EXPECT_NE(cnn_parameter_count("cnn:8x8x1-c4k9-10", 64, 10).status().message().find("c4k9"),
              std::string::npos);
}

TEST(Cnn, LearnsRealDigitsWithAndWithoutQuantization) {
    const std::optional<Split> digits = test::scaled_digits();
    if (!digits) GTEST_SKIP() << "sklearn digits not installed (scripts/bootstrap.sh)";
    Split s = *digits;
    TrainOptions o;
    o.learning_rate = 0.01f;
    o.epochs = 10;
    o.batch = 32;
    Model m = *make_model("cnn:8x8x1-c8k3-p2-10", 64, 10, 1);
    const auto r = *train_model(m, s.train, &s.test, o);
    EXPECT_GE(r.test_accuracy, 0.95);
    // 8-bit calibrated per channel: conv rows are output channels.
    CalibrationOptions c;
    c.per_channel = true;
    const EvalOptions q = *calibrate_model(m, s.train, c);
    EXPECT_EQ(q.layers[0].weight_rows.size(), 8u);
    EXPECT_TRUE(q.layers[1].weights.empty() &&
                q.layers[1].weight_rows.size() == 0u);  // the pool has none
    EXPECT_NEAR(accuracy(m, s.test, q), r.test_accuracy, 0.02);
    // QAT with ternary weights still learns.
    o.roles.weights = "ternary:alpha=0.3";
    o.roles.activations = "ufixed:w=4,f=2";
    Model qat = *make_model("cnn:8x8x1-c8k3-p2-10", 64, 10, 1);
    EXPECT_GE(train_model(qat, s.train, &s.test, o)->test_accuracy, 0.85);
}

}  // namespace
}  // namespace qlab
