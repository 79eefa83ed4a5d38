// The layers imported models need: convolutions with stride, asymmetric zero padding and dilation,
// max-pools with stride and padding, average pools (padding counted or not), global average
// pools, and the activations LeakyReLU, Clip, sigmoid and ONNX's HardSigmoid. Forward against
// brute-force loops written from the definitions, backward against finite differences, the
// model JSON with its optional fields, and every analysis that walks layers on such a model.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "qlab/bitflip.hpp"
#include "qlab/kundu.hpp"
#include "qlab/lin.hpp"
#include "qlab/pareto.hpp"
#include "qlab/sakr.hpp"
#include "qlab/sensitivity.hpp"
#include "training_support.hpp"

namespace qlab {
namespace {

constexpr double kForwardTolerance = 1e-5;
constexpr double kGradientTolerance = 2e-3;

void fill(Layer& L, Rng& rng, float scale = 0.5f) {
    L.weight.resize(L.out, L.in);
    for (Eigen::Index i = 0; i < L.weight.size(); ++i)
        L.weight.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * scale);
    L.bias.resize(L.out);
    for (Eigen::Index i = 0; i < L.bias.size(); ++i)
        L.bias(i) = static_cast<float>(0.2 * (2 * rng.uniform() - 1));
}

Layer conv(int c, int h, int w, int k, int out, int stride, std::array<int, 4> pads, int dilation,
           Activation act, Rng& rng) {
    Layer L;
    L.kind = LayerKind::conv2d;
    L.channels = c, L.height = h, L.width = w, L.kernel = k, L.out = out;
    L.in = c * k * k;
    L.stride = stride, L.dilation = dilation;
    L.pad_top = pads[0], L.pad_left = pads[1], L.pad_bottom = pads[2], L.pad_right = pads[3];
    L.activation = act;
    default_activation_parameters(act, L.alpha, L.beta);
    fill(L, rng);
    return L;
}

Layer pool(LayerKind kind, int c, int h, int w, int k, int stride, std::array<int, 4> pads,
           bool count_pad = true) {
    Layer L;
    L.kind = kind;
    L.channels = c, L.height = h, L.width = w, L.kernel = k, L.stride = stride;
    L.pad_top = pads[0], L.pad_left = pads[1], L.pad_bottom = pads[2], L.pad_right = pads[3];
    L.count_include_pad = count_pad;
    L.activation = Activation::none;
    return L;
}

Layer dense(int in, int out, Activation act, Rng& rng) {
    Layer L;
    L.in = in, L.out = out, L.activation = act;
    default_activation_parameters(act, L.alpha, L.beta);
    fill(L, rng);
    return L;
}

Dataset random_rows(int n, int features, int classes, std::uint64_t seed) {
    Dataset d;
    d.features = features, d.classes = classes;
    Rng rng(seed);
    for (int i = 0; i < n * features; ++i) d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    for (int i = 0; i < n; ++i) d.y.push_back(i % classes);
    return d;
}

// The definitions, one output at a time, in double.
double conv_at(const Layer& L, const float* in, int o, int y, int x) {
    double s = L.bias(o);
    const int st = L.stride > 0 ? L.stride : 1;
    for (int c = 0; c < L.channels; ++c)
        for (int i = 0; i < L.kernel; ++i)
            for (int j = 0; j < L.kernel; ++j) {
                const int iy = y * st - L.pad_top + i * L.dilation;
                const int ix = x * st - L.pad_left + j * L.dilation;
                if (iy < 0 || iy >= L.height || ix < 0 || ix >= L.width) continue;  // zero pad
                s += static_cast<double>(L.weight(o, (c * L.kernel + i) * L.kernel + j)) *
                     in[(c * L.height + iy) * L.width + ix];
            }
    return s;
}

double pool_at(const Layer& L, const float* in, int c, int y, int x) {
    double best = -INFINITY, sum = 0;
    int inside = 0;
    for (int i = 0; i < L.kernel; ++i)
        for (int j = 0; j < L.kernel; ++j) {
            const int iy = y * L.stride - L.pad_top + i, ix = x * L.stride - L.pad_left + j;
            if (iy < 0 || iy >= L.height || ix < 0 || ix >= L.width) continue;
            const double v = in[(c * L.height + iy) * L.width + ix];
            best = std::max(best, v), sum += v, ++inside;
        }
    if (L.kind == LayerKind::maxpool2d) return best;
    return sum / (L.count_include_pad ? L.kernel * L.kernel : inside);
}

double activate_ref(const Layer& L, double z) {
    switch (L.activation) {
        case Activation::relu:
            return std::max(z, 0.0);
        case Activation::hardsigmoid:
            return std::clamp(z, 0.0, 2.0);
        case Activation::tanh:
            return std::tanh(z);
        case Activation::leakyrelu:
            return z < 0 ? L.alpha * z : z;
        case Activation::clip:
            return std::clamp(z, static_cast<double>(L.alpha), static_cast<double>(L.beta));
        case Activation::sigmoid:
            return 1 / (1 + std::exp(-z));
        case Activation::onnx_hardsigmoid:
            return std::clamp(L.alpha * z + L.beta, 0.0, 1.0);
        case Activation::none:
            break;
    }
    return z;
}

// One layer's output for one row by the definitions.
std::vector<double> layer_ref(const Layer& L, const std::vector<float>& in) {
    std::vector<double> out;
    if (L.kind == LayerKind::dense) {
        for (int o = 0; o < L.out; ++o) {
            double s = L.bias(o);
            for (int i = 0; i < L.in; ++i)
                s += static_cast<double>(L.weight(o, i)) * in[static_cast<std::size_t>(i)];
            out.push_back(activate_ref(L, s));
        }
    } else if (L.kind == LayerKind::globalavgpool) {
        for (int c = 0; c < L.channels; ++c) {
            double s = 0;
            for (int q = 0; q < L.height * L.width; ++q)
                s += in[static_cast<std::size_t>(c * L.height * L.width + q)];
            out.push_back(activate_ref(L, s / (L.height * L.width)));
        }
    } else {
        const int channels = L.kind == LayerKind::conv2d ? L.out : L.channels;
        for (int c = 0; c < channels; ++c)
            for (int y = 0; y < L.output_height(); ++y)
                for (int x = 0; x < L.output_width(); ++x)
                    out.push_back(activate_ref(L, L.kind == LayerKind::conv2d
                                                      ? conv_at(L, in.data(), c, y, x)
                                                      : pool_at(L, in.data(), c, y, x)));
    }
    return out;
}

// Model A: a conv with stride 2, asymmetric padding and dilation 2 (sigmoid), an average pool
// with padding not counted, a dense layer with ONNX's hard sigmoid, a dense output.
Model model_a() {
    Rng rng(3);
    Model m;
    m.layers.push_back(conv(2, 9, 8, 3, 3, 2, {1, 0, 2, 1}, 2, Activation::sigmoid, rng));
    const Layer& c = m.layers[0];  // 3 x 4 x 3
    m.layers.push_back(pool(LayerKind::avgpool2d, 3, c.output_height(), c.output_width(), 2, 2,
                            {1, 1, 0, 0}, false));
    const Layer& p = m.layers[1];
    m.layers.push_back(dense(p.output_size(), 5, Activation::onnx_hardsigmoid, rng));
    m.layers.push_back(dense(5, 3, Activation::none, rng));
    return m;
}

// Model B: a padded conv with LeakyReLU, a 3x3 max-pool of stride 2 with padding, a global
// average pool, a dense layer clipped to [-0.5, 0.7], a dense output.
Model model_b() {
    Rng rng(4);
    Model m;
    m.layers.push_back(conv(1, 7, 7, 3, 4, 1, {1, 1, 1, 1}, 1, Activation::leakyrelu, rng));
    m.layers[0].alpha = 0.1f;
    m.layers.push_back(pool(LayerKind::maxpool2d, 4, 7, 7, 3, 2, {1, 1, 1, 1}));
    m.layers.push_back(pool(LayerKind::globalavgpool, 4, 4, 4, 0, 0, {0, 0, 0, 0}));
    m.layers.push_back(dense(4, 6, Activation::clip, rng));
    m.layers[3].alpha = -0.5f, m.layers[3].beta = 0.7f;
    m.layers.push_back(dense(6, 3, Activation::none, rng));
    return m;
}

TEST(Layers, GeometryAndSizes) {
    const Model a = model_a();
    EXPECT_EQ(a.layers[0].output_height(), 4);  // (9 + 1 + 2 - 5) / 2 + 1: span 5 (dilation 2)
    EXPECT_EQ(a.layers[0].output_width(), 3);   // (8 + 0 + 1 - 5) / 2 + 1
    EXPECT_EQ(a.layers[1].output_height(), 2);  // (4 + 1 - 2) / 2 + 1
    EXPECT_EQ(a.layers[1].output_width(), 2);   // (3 + 1 - 2) / 2 + 1
    for (const Model& m : {a, model_b()})
        for (const Layer& L : m.layers)
            EXPECT_TRUE(check_layer(L).ok()) << check_layer(L).message();
    Layer bad = a.layers[0];
    bad.pad_top = 3;  // padding as large as the window
    EXPECT_NE(check_layer(bad).message().find("padding must be from 0 to"), std::string::npos);
    bad = a.layers[0];
    bad.height = 1;
    EXPECT_NE(check_layer(bad).message().find("does not fit"), std::string::npos);
}

TEST(Layers, ForwardMatchesTheDefinitions) {
    for (const Model& m : {model_a(), model_b()}) {
        const Dataset d = random_rows(5, m.inputs(), 3, 9);
        const Matrix got = predict_scores(m, d);
        for (std::size_t s = 0; s < d.size(); ++s) {
            std::vector<float> x(d.row(s), d.row(s) + d.features);
            std::vector<double> ref;
            for (const Layer& L : m.layers) {
                ref = layer_ref(L, x);
                x.assign(ref.begin(), ref.end());
            }
            ASSERT_EQ(static_cast<Eigen::Index>(ref.size()), got.cols());
            for (std::size_t k = 0; k < ref.size(); ++k)
                EXPECT_NEAR(got(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(k)), ref[k],
                            kForwardTolerance * (1 + std::fabs(ref[k])));
        }
    }
    // Each activation alone, at hand-picked points.
    Layer L;
    L.activation = Activation::leakyrelu, L.alpha = 0.25f;
    Matrix z(1, 3);
    z << -2, 0, 3;
    Matrix out = z;
    apply_activation(L, out);
    EXPECT_EQ(out, (Matrix(1, 3) << -0.5f, 0, 3).finished());
    L.activation = Activation::onnx_hardsigmoid, L.alpha = 0.2f, L.beta = 0.5f;
    out = z;
    apply_activation(L, out);
    EXPECT_NEAR(out(0, 0), 0.1, 1e-7);
    EXPECT_EQ(out(0, 2), 1);
    L.activation = Activation::clip, L.alpha = 0, L.beta = 6;
    out = z;
    apply_activation(L, out);
    EXPECT_EQ(out, (Matrix(1, 3) << 0, 0, 3).finished());
    EXPECT_TRUE(activation_nonnegative(L));
    L.alpha = -1;
    EXPECT_FALSE(activation_nonnegative(L));
}

TEST(Layers, CnnSpecsTakeStridePaddingDilationAndBothAveragePools) {
    auto m = make_model("cnn:10x10x1-c4k3s2p1-a2s1-c6k2d2-g-8-3:act=leakyrelu", 100, 3, 1);
    ASSERT_TRUE(m.ok()) << m.status().message();
    ASSERT_EQ(m->layers.size(), 6u);
    EXPECT_EQ(m->layers[0].step(), 2);
    EXPECT_EQ(m->layers[0].pad_bottom, 1);
    EXPECT_EQ(m->layers[0].output_height(), 5);  // (10 + 2 - 3) / 2 + 1
    EXPECT_EQ(m->layers[1].kind, LayerKind::avgpool2d);
    EXPECT_EQ(m->layers[1].output_height(), 4);  // window 2, stride 1
    EXPECT_EQ(m->layers[2].dilation, 2);
    EXPECT_EQ(m->layers[2].output_height(), 2);  // span 3
    EXPECT_EQ(m->layers[3].kind, LayerKind::globalavgpool);
    EXPECT_EQ(m->layers[4].in, 6);
    EXPECT_FLOAT_EQ(m->layers[0].alpha, 0.01f);  // LeakyReLU's default slope
    const Dataset d = random_rows(40, 100, 3, 3);
    Model trained = *m;
    TrainOptions o;
    o.epochs = 2;
    ASSERT_TRUE(train_model(trained, d, nullptr, o).ok());
    EXPECT_NE(trained.layers[0].weight, m->layers[0].weight);
    EXPECT_NE(make_model("cnn:10x10x1-c4k3p3-10", 100, 10, 1)
                  .status()
                  .message()
                  .find("needs 1..4096 channels"),
              std::string::npos);  // padding as large as the kernel
    EXPECT_NE(make_model("cnn:10x10x1-c4k3x2-10", 100, 10, 1)
                  .status()
                  .message()
                  .find("expected cNkK[sS][pP][dD], pN[sS], aN[sS], g or a dense width"),
              std::string::npos);
}

// Weight gradients from one SGD step (lr 1e-2) against central differences of the mean loss,
// and the input gradients of output_gradients against central differences of a logit.
TEST(Layers, GradientsMatchFiniteDifferences) {
    for (Model m : {model_a(), model_b()}) {
        const Dataset d = random_rows(8, m.inputs(), 3, 5);
        Model stepped = m;
        TrainOptions o;
        o.optimizer = Optimizer::sgd;
        o.learning_rate = 1e-2f;
        o.epochs = 1;
        o.batch = 8;
        o.evaluate_each_epoch = false;
        ASSERT_TRUE(train_model(stepped, d, nullptr, o).ok());
        int checked = 0, agree = 0;
        for (std::size_t l = 0; l < m.layers.size(); ++l) {
            if (!m.layers[l].has_weights()) continue;
            for (Eigen::Index i = 0; i < m.layers[l].weight.size(); i += 3) {
                const double analytic =
                    -(stepped.layers[l].weight.data()[i] - m.layers[l].weight.data()[i]) /
                    o.learning_rate;
                Model plus = m, minus = m;
                const float eps = 1e-3f;
                plus.layers[l].weight.data()[i] += eps;
                minus.layers[l].weight.data()[i] -= eps;
                const double numeric =
                    (test::mean_loss(plus, d) - test::mean_loss(minus, d)) / (2 * eps);
                ++checked;
                agree += std::fabs(analytic - numeric) <= kGradientTolerance;
            }
        }
        EXPECT_GT(checked, 20);
        EXPECT_GE(agree, checked * 97 / 100) << "kinks may spoil a few differences, not more";

        // d(z_0 - z_1)/dx through every layer kind.
        Matrix x = Eigen::Map<const Matrix>(d.row(0), 1, d.features);
        const OutputGradients g = output_gradients(m, x, [](const Matrix& z) {
            Matrix dir = Matrix::Zero(1, z.cols());
            dir(0, 0) = 1, dir(0, 1) = -1;
            return dir;
        });
        int in_checked = 0, in_agree = 0;
        for (Eigen::Index k = 0; k < x.cols(); k += 2) {
            Dataset up = d, down = d;
            up.x[static_cast<std::size_t>(k)] += 1e-3f;
            down.x[static_cast<std::size_t>(k)] -= 1e-3f;
            const Matrix zu = predict_scores(m, up), zd = predict_scores(m, down);
            const double numeric = ((zu(0, 0) - zu(0, 1)) - (zd(0, 0) - zd(0, 1))) / 2e-3;
            ++in_checked;
            in_agree += std::fabs(numeric - g.grad_input[0](0, k)) <= kGradientTolerance;
        }
        EXPECT_GE(in_agree, in_checked * 95 / 100);
    }
}

TEST(Layers, JsonRoundTripKeepsEveryFieldAndPlainModelsWriteAsBefore) {
    for (const Model& m : {model_a(), model_b()}) {
        const std::string text = model_to_json(m);
        auto back = model_from_json(text);
        ASSERT_TRUE(back.ok()) << back.status().message();
        ASSERT_EQ(back->layers.size(), m.layers.size());
        for (std::size_t l = 0; l < m.layers.size(); ++l) {
            const Layer &a = m.layers[l], &b = back->layers[l];
            EXPECT_EQ(a.kind, b.kind);
            EXPECT_EQ(a.step(), b.step());
            EXPECT_EQ(a.dilation, b.dilation);
            EXPECT_EQ(a.pad_top + 10 * a.pad_left + 100 * a.pad_bottom + 1000 * a.pad_right,
                      b.pad_top + 10 * b.pad_left + 100 * b.pad_bottom + 1000 * b.pad_right);
            EXPECT_EQ(a.activation, b.activation);
            EXPECT_EQ(a.alpha, b.alpha);
            EXPECT_EQ(a.beta, b.beta);
            EXPECT_EQ(a.weight, b.weight);
        }
        const Dataset d = random_rows(4, m.inputs(), 3, 2);
        EXPECT_EQ(predict_scores(m, d), predict_scores(*back, d));
        EXPECT_EQ(model_to_json(*back), text);
    }
    const std::string plain = model_to_json(*make_model("cnn:8x8x1-c4k3-p2-10", 64, 10, 1));
    for (const char* key : {"stride", "pads", "dilation", "alpha", "count_include_pad"})
        EXPECT_EQ(plain.find(key), std::string::npos) << key;
    // Bad optional fields name themselves.
    const std::string bad = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"avgpool2d","channels":1,"height":4,"width":4,"size":2,"pads":[0,0,0]}]})";
    EXPECT_NE(model_from_json(bad).status().message().find("\"pads\" must be 4 non-negative"),
              std::string::npos);
    const std::string clip = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"dense","in":1,"out":1,"activation":"clip","min":2,"max":1,"weight":[[1]],"bias":[0]}]})";
    EXPECT_NE(model_from_json(clip).status().message().find("clip needs"), std::string::npos);
}

// Sakr: the per-weight loop (with stride, padding and dilation) against finite differences and
// against the analysis's batched im2col sums; then the other analyses run on the new kinds.
TEST(Layers, AnalysesHandleTheNewKinds) {
    const Model m = model_a();
    const Dataset d = random_rows(6, m.inputs(), 3, 21);
    auto diff_of = [&](const Model& mm, std::size_t s, int cls, int y) {
        Dataset one;
        one.features = d.features, one.classes = 3;
        one.x.assign(d.row(s), d.row(s) + d.features);
        one.y = {0};
        const Matrix z = predict_scores(mm, one);
        return static_cast<double>(z(0, cls)) - static_cast<double>(z(0, y));
    };
    int checked = 0, agree = 0;
    for (std::size_t s = 0; s < 3; ++s)
        for (int cls = 0; cls < 3; ++cls) {
            const SakrDerivatives der = sakr_derivatives(m, d.row(s), cls);
            if (cls == der.decision) continue;
            for (int idx = 0; idx < m.layers[0].weight.size(); ++idx) {
                Model up = m, down = m;
                up.layers[0].weight.data()[idx] += 1e-3f;
                down.layers[0].weight.data()[idx] -= 1e-3f;
                const double fd =
                    (diff_of(up, s, cls, der.decision) - diff_of(down, s, cls, der.decision)) /
                    2e-3;
                ++checked;
                agree += std::fabs(fd - der.w[static_cast<std::size_t>(idx)]) <= kGradientTolerance;
            }
        }
    EXPECT_GT(checked, 100);
    EXPECT_GE(agree, checked * 97 / 100);
    SakrOptions so;
    so.samples = 0;
    auto a = analyze_sakr(m, d, so);
    ASSERT_TRUE(a.ok()) << a.status().message();
    for (const SakrPair& p : a->pairs()) {
        const SakrDerivatives der = sakr_derivatives(m, a->inputs().row(p.sample).data(), p.cls);
        double ga = 0, gw = 0;
        for (double v : der.a) ga += v * v;
        for (double v : der.w) gw += v * v;
        EXPECT_NEAR(p.g_a, ga, 1e-5 * ga);
        EXPECT_NEAR(p.g_w, gw, 1e-5 * gw);
    }
    // The average pool's input is in A (its average is quantized again), the max-pool's is not.
    EXPECT_EQ(sakr_derivatives(m, d.row(0), 0).a.size(),
              static_cast<std::size_t>(m.inputs() + m.layers[1].input_size() +
                                       m.layers[2].input_size() + m.layers[3].input_size()));

    // Lin: an average pool's output is a step of its own (no weight step); a max-pool's is none.
    EvalOptions e;
    e.roles.weights = "fixed:w=8,f=6";
    e.roles.activations = "fixed:w=8,f=6";
    auto sq = model_sqnr(m, d, e);
    ASSERT_TRUE(sq.ok()) << sq.status().message();
    std::string names;
    for (const QuantStep& st : sq->steps) names += st.name() + " ";
    EXPECT_EQ(names, "W1 a1 a2 W3 a3 W4 ");
    EXPECT_EQ(weighted_layers(m), (std::vector<std::size_t>{0, 2, 3}));
    auto sq_b = model_sqnr(model_b(), random_rows(6, 49, 3, 2), e);
    ASSERT_TRUE(sq_b.ok());
    names.clear();
    for (const QuantStep& st : sq_b->steps) names += st.name() + " ";
    EXPECT_EQ(names, "W1 a1 a3 W4 a4 W5 ");  // no step for the max-pool, one for the global pool
    auto lf = lin_formats(m, d, 6);
    ASSERT_TRUE(lf.ok());
    EXPECT_TRUE(lf->eval.layers[1].weights.empty());
    EXPECT_FALSE(lf->eval.layers[1].activations.empty());

    // Kundu, Pareto, bit flips and sensitivity run and see only the weighted layers.
    auto t = ternary_residual_network(m, d);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->layers.size(), 3u);
    auto sens = layer_sensitivity(m, d, {"fixed:w=4,f=2", "", 0});
    ASSERT_TRUE(sens.ok()) << sens.status().message();
    ASSERT_EQ(sens->layers.size(), 3u);
    EXPECT_EQ(sens->layers[1].layer, 2u);
    BitFlipOptions bo;
    BitFlipJob flips(model_b(), random_rows(6, 49, 3, 2), bo);
    EXPECT_NE(flips.state(), JobState::failed) << flips.status().message();
    EXPECT_EQ(flips.layers(), 2);  // the two dense layers
}

}  // namespace
}  // namespace qlab
