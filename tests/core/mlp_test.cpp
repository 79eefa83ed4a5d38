// MLP training: numerical gradient check, JSON schema (hand-written model, malformed corpus,
// round trip), learning, QAT against post-training quantization, divergence, lost updates.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/mlp.hpp"
#include "training_support.hpp"

namespace qlab {
namespace {

constexpr double kGradientTolerance = 2e-3;

using test::mean_loss;

Dataset small_data() {
    Dataset d = *load_data_spec("synth:gauss:n=24,noise=0.3,seed=3");
    for (float& v : d.x) v *= 0.3f;
    return d;
}

TEST(Mlp, GradientsMatchFiniteDifferences) {
    const Dataset d = small_data();
    for (const char* act : {"tanh", "relu", "hardsigmoid"}) {
        Model m = *make_model(std::string("mlp:2-5-4-2:act=") + act, 2, 2, 7);
        for (auto& L : m.layers)
            L.bias.setConstant(0.3f);  // keep ReLU and hard-sigmoid units off their kinks
        // One full-batch SGD step of size lr moves every weight by -lr * dL/dw.
        Model stepped = m;
        TrainOptions o;
        o.optimizer = Optimizer::sgd;
        o.learning_rate = 1e-2f;
        o.epochs = 1;
        o.batch = static_cast<int>(d.size());
        ASSERT_TRUE(train_model(stepped, d, nullptr, o).ok());
        int checked = 0;
        for (std::size_t l = 0; l < m.layers.size(); ++l) {
            for (Eigen::Index i = 0; i < m.layers[l].weight.size(); i += 3) {
                const double analytic =
                    -(stepped.layers[l].weight.data()[i] - m.layers[l].weight.data()[i]) /
                    o.learning_rate;
                Model plus = m, minus = m;
                // Small enough not to cross a ReLU/hard-sigmoid kink, large enough for float
                // losses.
                const float eps = 1e-3f;
                plus.layers[l].weight.data()[i] += eps;
                minus.layers[l].weight.data()[i] -= eps;
                const double numeric = (mean_loss(plus, d) - mean_loss(minus, d)) / (2 * eps);
                EXPECT_NEAR(analytic, numeric, kGradientTolerance)
                    << act << " layer " << l << " weight " << i;
                ++checked;
            }
        }
        EXPECT_GT(checked, 5);
    }
}

TEST(ModelJson, HandWrittenModelLoadsAndPredicts) {
    const char* text = R"({"format":"quantlab-model","version":1,"layers":[
        {"type":"dense","in":2,"out":2,"activation":"none","weight":[[1,0],[0,1]],"bias":[0,0.5]}]})";
    auto m = model_from_json(text);
    ASSERT_TRUE(m.ok()) << m.status().message();
    Dataset d;
    d.features = 2, d.classes = 2;
    d.x = {1, 1, 2, 0};
    d.y = {1, 0};
    const Matrix s = predict_scores(*m, d);
    EXPECT_FLOAT_EQ(s(0, 0), 1);
    EXPECT_FLOAT_EQ(s(0, 1), 1.5f);
    EXPECT_FLOAT_EQ(s(1, 0), 2);
    EXPECT_EQ(accuracy(*m, d), 1.0);
    // The accumulator role rounds each pre-activation sum: 1.5 stays, 0.5 + 0 -> 0 or 1 (ties to
    // even in fixed:w=4,f=0), 2 stays.
    EvalOptions acc;
    acc.roles.accumulator = "fixed:w=4,f=0";
    const Matrix r = predict_scores(*m, d, acc);
    EXPECT_FLOAT_EQ(r(0, 0), 1);
    EXPECT_FLOAT_EQ(r(0, 1), 2);  // 1.5 -> 2 (even)
    EXPECT_FLOAT_EQ(r(1, 1), 0);  // 0.5 -> 0 (even)
    // Round trip keeps every float exactly.
    Model trained = *make_model("mlp:2-8-3:act=tanh", 2, 3, 4);
    auto back = model_from_json(model_to_json(trained));
    ASSERT_TRUE(back.ok());
    for (std::size_t l = 0; l < trained.layers.size(); ++l) {
        EXPECT_EQ(back->layers[l].weight, trained.layers[l].weight);
        EXPECT_EQ(back->layers[l].bias, trained.layers[l].bias);
        EXPECT_EQ(back->layers[l].activation, trained.layers[l].activation);
    }
}

TEST(ModelJson, MalformedModelsNameTheProblem) {
    const std::pair<const char*, const char*> cases[] = {
        {"{\"format\":", "malformed at byte"},
        {"[1,2]", "must be an object"},
        {R"({"format":"other","version":1,"layers":[]})", "\"format\" must be \"quantlab-model\""},
        {R"({"format":"quantlab-model","version":2,"layers":[]})", "version 2 is not supported"},
        {R"({"format":"quantlab-model","version":1,"layers":[]})",
         "\"layers\" must be a non-empty array"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"conv2d"}]})",
         "layer 0: \"channels\", \"height\" and \"width\" must be integers"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"lstm"}]})",
         "layer 0: type 'lstm' is not supported"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"maxpool2d","channels":1,"height":2,"width":2,"size":3}]})",
         "\"size\" must be an integer no larger"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":0,"out":1}]})",
         "layer 0: \"in\" must be an integer"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":1,"out":1,"activation":"gelu","weight":[[1]],"bias":[0]}]})",
         "unknown activation 'gelu'"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":2,"out":1,"activation":"none","weight":[[1]],"bias":[0]}]})",
         "weight row 0 must hold 2 numbers"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":1,"out":1,"activation":"none","weight":[["x"]],"bias":[0]}]})",
         "weight[0][0] is not a finite number"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":1,"out":1,"activation":"none","weight":[[1]],"bias":[]}]})",
         "\"bias\" must be an array of 1 numbers"},
        {R"({"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":1,"out":2,"activation":"relu","weight":[[1],[1]],"bias":[0,0]},
            {"type":"dense","in":3,"out":1,"activation":"none","weight":[[1,1,1]],"bias":[0]}]})",
         "layer 1: takes 3 values but the previous layer outputs 2"},
    };
    for (const auto& [text, expected] : cases) {
        auto m = model_from_json(text);
        ASSERT_FALSE(m.ok()) << text;
        EXPECT_NE(m.status().message().find(expected), std::string::npos) << m.status().message();
    }
    EXPECT_FALSE(load_model("/nonexistent/model.json").ok());
}

// Bytes (what the lab sends its analysis worker): every weight exactly, the geometry kept, and
// any cut refused with a message instead of a short model.
TEST(ModelBytes, RoundTripExactlyAndRefuseEveryCut) {
    Model cnn = *make_model("cnn:8x8x1-c4k3-p2-c6k2-16-3:act=tanh", 64, 3, 5);
    cnn.layers[0].weight(0, 0) = -0.0f;  // signs of zero and tiny values survive
    cnn.layers[0].weight(1, 0) = 1e-45f;
    const std::string bytes = model_to_bytes(cnn);
    auto back = model_from_bytes(bytes);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(model_to_json(*back), model_to_json(cnn));
    EXPECT_TRUE(std::signbit(back->layers[0].weight(0, 0)));
    EXPECT_EQ(back->layers[0].weight(1, 0), 1e-45f);
    for (std::size_t cut : {std::size_t{0}, std::size_t{7}, bytes.size() / 2, bytes.size() - 1}) {
        const auto short_model = model_from_bytes(std::string_view(bytes).substr(0, cut));
        EXPECT_FALSE(short_model.ok()) << cut;
    }
    EXPECT_EQ(model_from_bytes(bytes + "x").status().message(),
              "model bytes that do not fit their shape: bytes left over");
}

// The shape alone (what the lab sends its training worker): geometry and activations kept,
// weights read back as zeros, and each reader refuses the other's document.
TEST(ModelJson, TheShapeAloneRoundTripsWithZeroWeights) {
    const Model cnn = *make_model("cnn:8x8x1-c4k3-p2-c6k2-16-3:act=tanh", 64, 3, 5);
    const std::string shape = model_to_json(cnn, ModelWeights::omitted);
    EXPECT_EQ(shape.find("\"weight\""), std::string::npos);
    EXPECT_LT(shape.size(), 1000u);
    auto back = model_from_json(shape, ModelWeights::omitted);
    ASSERT_TRUE(back.ok()) << back.status().message();
    ASSERT_EQ(back->layers.size(), cnn.layers.size());
    for (std::size_t l = 0; l < cnn.layers.size(); ++l) {
        const Layer &a = back->layers[l], &b = cnn.layers[l];
        EXPECT_EQ(a.kind, b.kind);
        EXPECT_EQ(a.activation, b.activation);
        EXPECT_EQ(a.input_size(), b.input_size());
        EXPECT_EQ(a.output_size(), b.output_size());
        EXPECT_EQ(a.weight.rows(), b.weight.rows());
        EXPECT_EQ(a.weight.cols(), b.weight.cols());
        EXPECT_EQ(a.bias.size(), b.bias.size());
        if (a.weight.size() > 0) {
            EXPECT_EQ(a.weight.cwiseAbs().maxCoeff(), 0.0f);
        }
    }
    const auto full_as_shape = model_from_json(model_to_json(cnn), ModelWeights::omitted);
    ASSERT_FALSE(full_as_shape.ok());
    EXPECT_NE(full_as_shape.status().message().find("holds weights where only the shape"),
              std::string::npos);
    const auto shape_as_full = model_from_json(shape);
    ASSERT_FALSE(shape_as_full.ok());
    EXPECT_NE(shape_as_full.status().message().find("\"weight\" must be an array"),
              std::string::npos);
}

TEST(Mlp, LearnsANonLinearSetAndIsDeterministic) {
    const Split s = split_dataset(*load_data_spec("synth:circle:n=600,noise=0.05"), 0.25, 1);
    Model m = *make_model("mlp:2-16-16-2", 2, 2, 1);
    TrainOptions o;
    o.learning_rate = 0.01f;
    o.epochs = 40;
    o.batch = 32;
    const auto r = train_model(m, s.train, &s.test, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GE(r->test_accuracy, 0.95);
    EXPECT_LT(r->history.back().loss, r->history.front().loss);
    Model again = *make_model("mlp:2-16-16-2", 2, 2, 1);
    ASSERT_TRUE(train_model(again, s.train, &s.test, o).ok());
    EXPECT_EQ(again.layers[1].weight, m.layers[1].weight);
}

TEST(Mlp, QuantizationAwareTrainingBeatsPostTrainingAtLowBits) {
    const Split s = split_dataset(*load_data_spec("synth:circle:n=600,noise=0.05"), 0.25, 2);
    TrainOptions o;
    o.learning_rate = 0.01f;
    o.epochs = 40;
    o.batch = 32;
    o.seed = 3;
    QuantRoles low;
    low.weights = "int:b=2,scale=0.5";  // atoms -1, -0.5, 0, 0.5
    low.activations = "fixed:w=4,f=1,overflow=sat";
    Model full = *make_model("mlp:2-16-16-2", 2, 2, 5);
    ASSERT_TRUE(train_model(full, s.train, &s.test, o).ok());
    EvalOptions ptq;
    ptq.roles = low;
    const double post_training = accuracy(full, s.test, ptq);
    Model qat = *make_model("mlp:2-16-16-2", 2, 2, 5);
    o.roles = low;
    const auto r = train_model(qat, s.train, &s.test, o);
    ASSERT_TRUE(r.ok());
    EXPECT_GT(r->test_accuracy, post_training + 0.05)
        << "QAT " << r->test_accuracy << " vs PTQ " << post_training;
    EXPECT_GE(r->test_accuracy, 0.85);
}

TEST(Mlp, QatBeatsPtqOnRealDigitsWithTernaryWeights) {
    const std::optional<Split> digits = test::scaled_digits();
    if (!digits) GTEST_SKIP() << "sklearn digits not installed (scripts/bootstrap.sh)";
    Split s = *digits;
    TrainOptions o;
    o.learning_rate = 0.01f;
    o.epochs = 30;
    o.batch = 32;
    QuantRoles low;
    low.weights = "ternary:alpha=0.25";  // {-0.25, 0, 0.25}, threshold 0.125
    low.activations = "fixed:w=3,f=1";
    Model full = *make_model("mlp:64-64-10", 64, 10, 1);
    ASSERT_TRUE(train_model(full, s.train, &s.test, o).ok());
    EvalOptions ptq;
    ptq.roles = low;
    const double post_training = accuracy(full, s.test, ptq);
    Model qat = *make_model("mlp:64-64-10", 64, 10, 1);
    o.roles = low;
    const auto r = *train_model(qat, s.train, &s.test, o);
    EXPECT_GT(r.test_accuracy, 0.9);
    EXPECT_GT(r.test_accuracy, post_training + 0.2)
        << "QAT " << r.test_accuracy << " vs PTQ " << post_training;
}

TEST(Mlp, WarnsWhenTheWeightFormatZeroesEveryWeight) {
    // Glorot weights of a 64-64 layer stay below 0.22: a step of 0.5 rounds all of them to 0.
    const Dataset d = *load_data_spec("synth:linear:d=64,n=200,margin=0.01");
    Model m = *make_model("mlp:64-64-2", 64, 2, 1);
    TrainOptions o;
    o.epochs = 1;
    o.roles.weights = "int:b=2,scale=0.5";
    const auto r = *train_model(m, d, nullptr, o);
    ASSERT_EQ(r.warnings.size(), 1u);  // layer 2 (64-2) has Glorot limit 0.30: some weights survive
    EXPECT_NE(r.warnings[0].find("rounds 100% of layer 1's initial weights to zero"),
              std::string::npos)
        << r.warnings[0];
}

TEST(Mlp, DivergenceIsReportedNotHidden) {
    const Dataset d = *load_data_spec("synth:gauss:n=200");
    Model m = *make_model("mlp:2-8-2", 2, 2, 1);
    TrainOptions o;
    o.optimizer = Optimizer::sgd;
    o.learning_rate = 1e8f;
    o.epochs = 3;
    const auto r = train_model(m, d, nullptr, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("training diverged"), std::string::npos)
        << r.status().message();
}

TEST(Mlp, UpdatesBelowHalfAnUlpAreLostUnlessRoundingIsStochastic) {
    const Dataset d = *load_data_spec("synth:gauss:n=200");
    TrainOptions o;
    o.optimizer = Optimizer::sgd;
    o.learning_rate = 1e-4f;  // updates far below the 2^-8 step of the stored weights
    o.epochs = 2;
    o.roles.updates = "fixed:w=16,f=8";
    Model nearest = *make_model("mlp:2-8-2", 2, 2, 1);
    const auto lost = *train_model(nearest, d, nullptr, o);
    EXPECT_GT(lost.updates, 0);
    EXPECT_EQ(lost.lost_updates, lost.updates);
    o.roles.update_rounding = Rounding::stochastic;
    Model stochastic = *make_model("mlp:2-8-2", 2, 2, 1);
    const auto kept = *train_model(stochastic, d, nullptr, o);
    EXPECT_LT(kept.lost_updates, kept.updates);
    EXPECT_NE(stochastic.layers[0].weight, nearest.layers[0].weight);
}

TEST(Mlp, BadSpecsAndShapes) {
    EXPECT_NE(
        make_model("mlp:3-4-2", 2, 2, 1).status().message().find("input width 3 does not match"),
        std::string::npos);
    EXPECT_NE(make_model("mlp:2-x-2", 2, 2, 1).status().message().find("layer width 'x'"),
              std::string::npos);
    EXPECT_NE(
        make_model("mlp:2-4-2:act=gelu", 2, 2, 1).status().message().find("unknown activation"),
        std::string::npos);
    EXPECT_NE(make_model("cnn", 2, 2, 1).status().message().find("unknown model 'cnn'"),
              std::string::npos);
    Model m = *make_model("logreg", 2, 2, 1);
    TrainOptions o;
    o.roles.weights = "fixed:w=99";
    EXPECT_NE(train_model(m, *load_data_spec("synth:gauss:n=10"), nullptr, o)
                  .status()
                  .message()
                  .find("--weights"),
              std::string::npos);
}

TEST(Mlp, AccuracyCountedInChunksEqualsTheWholeAndTheRowsByHand) {
    // 2500 rows: chunks of 1024, 1024 and 452, with quantized activations.
    const Dataset d = *load_data_spec("synth:spiral:n=2500,noise=0.1");
    Model m = *make_model("mlp:2-16-2", 2, 2, 5);
    EvalOptions o;
    o.roles.activations = "fixed:w=4,f=2";
    AccuracyCount count(m, d, o);
    int chunks = 0;
    while (!count.done()) {
        count.step();
        ++chunks;
    }
    EXPECT_EQ(chunks, 3);
    EXPECT_FALSE(count.step());
    // By hand from the scores predict_scores gives (the same chunked pass).
    const Matrix scores = predict_scores(m, d, o);
    std::size_t right = 0;
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        Eigen::Index best;
        scores.row(i).maxCoeff(&best);
        right += best == d.y[static_cast<std::size_t>(i)];
    }
    EXPECT_EQ(count.accuracy(), static_cast<double>(right) / 2500.0);
    EXPECT_EQ(accuracy(m, d, o), count.accuracy());
    EXPECT_GT(count.accuracy(), 0.0);
    const Dataset empty;  // AccuracyCount keeps a reference: no temporary
    AccuracyCount none(m, empty, o);
    EXPECT_TRUE(none.done());
    EXPECT_EQ(none.accuracy(), 0.0);
}

TEST(TrainJobEvaluation, AnEpochsAccuracyIsSpreadOverUnitsAndMatchesAccuracy) {
    // 3000 rows, 3/4 for training: 2250 train rows (3 chunks) and 750 test rows (1 chunk).
    const Split s = split_dataset(*load_data_spec("synth:circle:n=3000,noise=0.05"), 0.25, 1);
    TrainOptions o;
    o.epochs = 1;
    o.batch = 250;
    Model m = *make_model("mlp:2-8-2", 2, 2, 3);
    TrainJob job(m, s.train, &s.test, o);
    job.step(9);  // the epoch's 9 batches
    EXPECT_EQ(job.batches_done(), 9);
    int units = 0;
    while (job.evaluating()) {
        EXPECT_TRUE(job.report().history.empty());
        job.step(1);
        ++units;
    }
    EXPECT_EQ(units, 4);
    EXPECT_EQ(job.state(), JobState::finished);
    ASSERT_EQ(job.report().history.size(), 1u);
    EvalOptions none;
    EXPECT_EQ(job.report().history[0].train_accuracy, accuracy(m, s.train, none));
    EXPECT_EQ(job.report().history[0].test_accuracy, accuracy(m, s.test, none));
    EXPECT_EQ(job.report().test_accuracy, job.report().history[0].test_accuracy);
}

}  // namespace
}  // namespace qlab
