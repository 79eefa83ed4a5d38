// An imported ONNX model as the shared model's origin: the PyTorch fixtures (tests/data/onnx)
// dropped on the lab, the data that follows the model's input, the preprocessing key, bad files
// that leave the last model in place, QDQ formats kept as per-layer formats, and the way back to
// the lab's own network.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "fake_host.hpp"
#include "lab/model_assumptions.hpp"
#include "lab/shared_model.hpp"
#include "lessons/layers/layers_sensitivity_lesson.hpp"

namespace quantlab {
namespace {

using test::dataset_bytes;
using test::FakeHost;
using test::state_with;

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(QLAB_ONNX_DIR) + "/" + name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Hands the model's owner the files it asked for, as the page does.
void deliver(SharedModel& m, FakeHost& host, const qlab::LabState& s) {
    const std::vector<std::string> asked = std::move(host.requested);
    host.requested.clear();
    for (const std::string& name : asked) m.on_dataset(s, name, dataset_bytes(name));
}

// A lab open on `panel` with `data` loaded and the fixture dropped on it; the data key follows
// the model's input as the App makes it (take_wanted_data).
struct Lab {
    FakeHost host;
    SharedModel m{host};
    qlab::LabState s;
    explicit Lab(const std::string& data, const std::string& panel = "train")
        : s(state_with({{"panel", panel}, {"data", data}})) {
        m.sync(s);
        deliver(m, host, s);
    }
    void set(const std::string& key, const std::string& value) {
        qlab::StateChange c = qlab::set_state(s, {{key, value}});
        EXPECT_TRUE(c.ok()) << key << "=" << value;
        m.on_state_changed(s, c.changed);
        m.sync(s);
        deliver(m, host, s);
        m.tick(s, false);  // between frames: the sliced passes finish
    }
    void drop(const std::string& name, const std::string& bytes) {
        ASSERT_TRUE(m.on_upload(s, name, bytes));
        const std::string want = m.take_wanted_data();
        if (!want.empty()) set("data", want);
        m.sync(s);
        deliver(m, host, s);
        m.tick(s, false);
    }
};

TEST(OnnxImport, TheMlpFixtureBringsMnistAndIsTrained) {
    Lab lab("digits");  // 64 features: the 784-input model asks for MNIST
    ASSERT_TRUE(lab.m.has_model());
    const ModelVersion before = lab.m.version();
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    EXPECT_EQ(lab.s.data, "mnist");
    ASSERT_TRUE(lab.m.has_model());
    EXPECT_EQ(lab.m.origin(), ModelOrigin::imported);
    EXPECT_TRUE(lab.m.imported());
    EXPECT_TRUE(lab.m.trained());  // an imported model counts as trained
    EXPECT_TRUE(lab.m.analysable());
    EXPECT_NE(lab.m.version(), before);
    EXPECT_EQ(lab.m.file_name(), "mlp_relu.onnx");
    EXPECT_EQ(lab.m.state_word(), "imported from mlp_relu.onnx");
    EXPECT_EQ(lab.m.model().inputs(), 784);
    EXPECT_EQ(lab.m.model().layers.size(), 2u);  // 784-128-10
    // Not rescaled (as qlab predict reads data for an ONNX model): pixels / 255 in [0, 1].
    EXPECT_EQ(lab.m.data().preprocessing(), "none");
    float lo = 1, hi = 0;
    for (float v : lab.m.data().split().test.x) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    // PyTorch trained it on these pixels: the float accuracy shows it (shown first).
    EXPECT_GT(lab.m.float_accuracy(), 0.9);
    lab.m.refresh_predictions(lab.s, false);
    EXPECT_DOUBLE_EQ(lab.m.test_accuracy(), lab.m.float_accuracy());  // no formats chosen
    EXPECT_TRUE(lab.host.said("imported mlp_relu.onnx: 2 layers, input 784; float accuracy 0."))
        << (lab.host.messages.empty() ? "" : lab.host.messages.back().first);
}

TEST(OnnxImport, TheCnnKeepsItsShapeAndNotesAndFashionMnistFitsToo) {
    Lab lab("mnist", "layers");
    lab.drop("lenet_bn.onnx", fixture("lenet_bn.onnx"));
    ASSERT_TRUE(lab.m.has_model());
    ASSERT_NE(lab.m.import(), nullptr);
    EXPECT_EQ(shape_text(lab.m.import()->input_shape), "1x28x28");
    EXPECT_EQ(lab.m.model().layers.front().kind, qlab::LayerKind::conv2d);
    EXPECT_FALSE(lab.m.import()->notes.empty());
    EXPECT_TRUE(lab.host.said("BatchNormalization"));  // the folding is reported
    const double mnist = lab.m.float_accuracy();
    EXPECT_GT(mnist, 0.9);
    // The same 784 inputs take Fashion-MNIST: the model stays, its accuracy shows the mismatch.
    lab.set("data", "fashion");
    ASSERT_TRUE(lab.m.has_model());
    EXPECT_TRUE(lab.m.imported());
    EXPECT_EQ(lab.m.data().label(), "fashion");
    EXPECT_EQ(lab.m.data().split().test.size(), 2000u);
    EXPECT_LT(lab.m.float_accuracy(), 0.5);
}

TEST(OnnxImport, TheFloatAccuracyIsSlicedOverFramesAndThenAnnounced) {
    Lab lab("mnist", "precision");
    ASSERT_TRUE(lab.m.on_upload(lab.s, "lenet_bn.onnx", fixture("lenet_bn.onnx")));
    lab.m.sync(lab.s);  // frames only from here: no between-frames tick
    auto announced = [&] {
        int n = 0;
        for (const auto& [text, level] : lab.host.messages)
            n += text.rfind("imported lenet", 0) == 0;
        return n;
    };
    // A CNN on 2,000 test rows is more than a frame's share: nothing is known or said yet.
    EXPECT_LT(lab.m.float_accuracy(), 0);
    EXPECT_EQ(announced(), 0);
    int frames = 0;
    while (lab.m.float_accuracy() < 0 && frames < 100000) {
        lab.m.tick(lab.s, true);
        ++frames;
    }
    EXPECT_GT(frames, 3);
    EXPECT_GT(lab.m.float_accuracy(), 0.9);
    EXPECT_EQ(announced(), 1);
    for (int i = 0; i < 500; ++i) lab.m.tick(lab.s, true);  // the predictions follow, once
    EXPECT_EQ(announced(), 1);
    EXPECT_DOUBLE_EQ(lab.m.test_accuracy(), lab.m.float_accuracy());  // no formats chosen
}

// A 10 MB export (2.65e6 parameters) is past the lab's training limit of 2e6 but within what an
// imported model may have (4e6); a model past that is refused by name and the last one stays.
TEST(OnnxImport, ALargerModelThanTheLabTrainsImportsUpToItsOwnLimit) {
    auto export_of = [](const char* spec) {
        auto model = qlab::make_model(spec, 784, 10, 1);
        EXPECT_TRUE(model.ok()) << spec;
        auto bytes = qlab::export_onnx(*model);
        EXPECT_TRUE(bytes.ok());
        return std::move(bytes).value();
    };
    Lab lab("mnist");
    const std::string ten_mb = export_of("mlp:784-1024-1024-768-10");
    EXPECT_GT(ten_mb.size(), 10'000'000u);
    lab.drop("ten.onnx", ten_mb);
    ASSERT_TRUE(lab.m.imported());
    EXPECT_EQ(lab.m.file_name(), "ten.onnx");
    EXPECT_GT(qlab::mlp_parameter_count(784, {1024, 1024, 768}, 10), qlab::kMaxModelParameters);
    EXPECT_GE(lab.m.float_accuracy(), 0);
    lab.drop("big.onnx", export_of("mlp:784-2048-1024-1024-10"));  // 4.7e6 parameters
    EXPECT_EQ(lab.m.file_name(), "ten.onnx");                      // the last model stays
    EXPECT_TRUE(lab.host.said("big.onnx: "));
    EXPECT_TRUE(lab.host.said("beyond the lab's limit of 4000000"))
        << lab.host.messages.back().first;
}

TEST(OnnxImport, DataOfAnotherSizeGetsAMessageNotACrash) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    ASSERT_TRUE(lab.m.has_model());
    lab.set("data", "digits");
    EXPECT_FALSE(lab.m.has_model());
    EXPECT_FALSE(lab.m.analysable());
    EXPECT_TRUE(lab.host.said(
        "mlp_relu.onnx takes 784 inputs and gives 10 outputs, but 'digits' has 64 features and "
        "10 classes: choose mnist or fashion"));
    EXPECT_EQ(lab.m.status_text(), lab.m.import_problem());
    lab.set("data", "mnist");  // back to a set that fits: the model is studied again
    EXPECT_TRUE(lab.m.has_model());
    EXPECT_TRUE(lab.m.imported());
}

TEST(OnnxImport, ABadFileKeepsTheLastModelAndSaysWhy) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    const ModelVersion v = lab.m.version();
    const std::string good = fixture("lenet_bn.onnx");
    lab.drop("cut.onnx", good.substr(0, good.size() / 2));  // truncated
    EXPECT_EQ(lab.m.version(), v);
    EXPECT_EQ(lab.m.file_name(), "mlp_relu.onnx");
    ASSERT_FALSE(lab.host.messages.empty());
    const auto& last = lab.host.messages.back();
    EXPECT_EQ(last.second, MessageLevel::error);
    EXPECT_EQ(last.first.rfind("cut.onnx: ", 0), 0u) << last.first;
    EXPECT_NE(last.first.find("(the lab keeps its model)"), std::string::npos);
    // import_onnx's own message, word for word.
    auto direct = qlab::import_onnx(good.substr(0, good.size() / 2));
    ASSERT_FALSE(direct.ok());
    EXPECT_NE(last.first.find(direct.status().message()), std::string::npos) << last.first;
    // A file that is no ONNX at all, recognised by name.
    lab.drop("notes.onnx", "hello");
    EXPECT_EQ(lab.m.version(), v);
    EXPECT_EQ(lab.host.messages.back().second, MessageLevel::error);
}

// Every file of the bad corpus (tests/data/onnx_bad/manifest.json) gives its message and the lab
// keeps the model it had.
TEST(OnnxImport, EveryBadFileOfTheCorpusKeepsTheModel) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    const ModelVersion v = lab.m.version();
    std::ifstream in(std::string(QLAB_ONNX_DIR) + "/../onnx_bad/manifest.json");
    std::ostringstream text;
    text << in.rdbuf();
    const std::string manifest = text.str();
    int files = 0;
    for (std::size_t at = manifest.find("\"file\": \""); at != std::string::npos;
         at = manifest.find("\"file\": \"", at + 1)) {
        const std::size_t start = at + 9, end = manifest.find('"', start);
        const std::string name = manifest.substr(start, end - start);
        const std::size_t m0 = manifest.find("\"message\": \"", end) + 12;
        const std::string want = manifest.substr(m0, manifest.find('"', m0) - m0);
        std::ifstream f(std::string(QLAB_ONNX_DIR) + "/../onnx_bad/" + name, std::ios::binary);
        std::ostringstream bytes;
        bytes << f.rdbuf();
        lab.drop(name, bytes.str());
        ASSERT_FALSE(lab.host.messages.empty());
        EXPECT_EQ(lab.host.messages.back().second, MessageLevel::error) << name;
        EXPECT_EQ(lab.host.messages.back().first.rfind(name + ": ", 0), 0u)
            << lab.host.messages.back().first;
        EXPECT_NE(lab.host.messages.back().first.find(want), std::string::npos)
            << lab.host.messages.back().first << " / " << want;
        EXPECT_EQ(lab.m.version(), v) << name;
        EXPECT_EQ(lab.m.file_name(), "mlp_relu.onnx") << name;
        ++files;
    }
    EXPECT_GE(files, 20);
}

TEST(OnnxImport, ByItsFirstByteWithoutTheExtension) {
    Lab lab("mnist");
    lab.drop("model.bin", fixture("mlp_hardsigmoid.onnx"));
    ASSERT_TRUE(lab.m.imported());
    EXPECT_EQ(lab.m.model().layers.front().activation, qlab::Activation::hardsigmoid);
}

TEST(OnnxImport, QdqFormatsBecomeTheLabsPerLayerFormats) {
    Lab lab("mnist");
    lab.drop("qdq_int8.onnx", fixture("qdq_int8.onnx"));
    ASSERT_TRUE(lab.m.imported());
    ASSERT_TRUE(lab.m.import()->quantized());
    const qlab::EvalOptions e = lab.m.eval_options(lab.s);
    ASSERT_EQ(e.layers.size(), lab.m.model().layers.size());
    EXPECT_EQ(e.layers[0].activations.rfind("int:b=8", 0), 0u) << e.layers[0].activations;
    EXPECT_TRUE(lab.host.said("its QDQ formats kept"));
    lab.m.refresh_predictions(lab.s, false);
    EXPECT_NEAR(lab.m.test_accuracy(), lab.m.float_accuracy(), 0.02);
    // The state's formats, once named, replace the file's.
    lab.set("weights", "fixed:w=2,f=1");
    EXPECT_TRUE(lab.m.eval_options(lab.s).layers.empty());
    EXPECT_TRUE(lab.m.imported());  // a new format starts again from the file's weights
}

TEST(OnnxImport, ThePreprocessingKeyRescalesTheData) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    const double none = lab.m.float_accuracy();
    const float first = lab.m.data().split().test.x[200];
    lab.set("normalize", "meanstd:0.1307,0.3081");  // torchvision's MNIST Normalize
    ASSERT_TRUE(lab.m.imported());
    EXPECT_EQ(lab.m.data().preprocessing(), "meanstd:0.1307,0.3081");
    EXPECT_FLOAT_EQ(lab.m.data().split().test.x[200], (first - 0.1307f) / 0.3081f);
    EXPECT_NE(lab.m.float_accuracy(), none);  // trained on plain pixels: it shows
    lab.set("normalize", "unit");
    EXPECT_EQ(lab.m.data().preprocessing(), "unit");
    auto range = [&] {
        const std::vector<float>& x = lab.m.data().split().train.x;
        return std::make_pair(*std::min_element(x.begin(), x.end()),
                              *std::max_element(x.begin(), x.end()));
    };
    EXPECT_EQ(range(), std::make_pair(-1.0f, 1.0f));
    lab.set("normalize", "minmax");  // [0, 1] per feature, from the training split's range
    EXPECT_EQ(lab.m.data().preprocessing(), "minmax");
    EXPECT_EQ(range(), std::make_pair(0.0f, 1.0f));
    lab.set("normalize", "");
    EXPECT_EQ(lab.m.data().preprocessing(), "none");
    EXPECT_DOUBLE_EQ(lab.m.float_accuracy(), none);
    EXPECT_FALSE(qlab::set_state(lab.s, {{"normalize", "meanstd:0.1,0"}}).ok());
}

TEST(OnnxImport, TheLabsOwnNetworkReplacesItWhenItsShapeIsAskedFor) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    ASSERT_TRUE(lab.m.imported());
    lab.set("hidden", "16");
    EXPECT_FALSE(lab.m.imported());
    EXPECT_EQ(lab.m.import(), nullptr);
    ASSERT_TRUE(lab.m.has_model());
    EXPECT_EQ(lab.m.origin(), ModelOrigin::trained_here);
    EXPECT_FALSE(lab.m.trained());
    // The lab's own scaling again: auto, which for MNIST is the pixels / 255 (its data default).
    EXPECT_EQ(lab.m.data().preprocessing(), "none");
    EXPECT_TRUE(lab.host.said("replaces mlp_relu.onnx"));
}

TEST(OnnxImport, FineTuningStartsFromTheFilesWeights) {
    Lab lab("mnist");
    lab.drop("mlp_relu.onnx", fixture("mlp_relu.onnx"));
    const qlab::Model file = lab.m.model();
    EXPECT_EQ(lab.m.step(lab.s, 2), 2);
    EXPECT_TRUE(lab.m.imported());
    EXPECT_GT((lab.m.model().layers[0].weight - file.layers[0].weight).cwiseAbs().maxCoeff(), 0);
    // A fresh start (here: a new learning rate) goes back to the file's weights.
    lab.set("lr", "0.01");
    EXPECT_EQ((lab.m.model().layers[0].weight - file.layers[0].weight).cwiseAbs().maxCoeff(), 0);
}

TEST(OnnxImport, SensitivityOfTheCnnIsTheCoresOnTheFirstTestRows) {
    static_assert(layers::kSensitivityRows == 1000, "the CLI's default rows");
    EXPECT_EQ(layers::kSensitivityRows, qlab::SensitivityOptions{}.max_rows);
    Lab lab("mnist", "layers");
    lab.drop("lenet_bn.onnx", fixture("lenet_bn.onnx"));
    lab.set("lview", "sensitivity");
    layers::Sensitivity sens;
    sens.update(lab.s, lab.m);
    ASSERT_NE(sens.job(), nullptr) << sens.problem();
    while (sens.job()) sens.job()->step(1);
    ASSERT_TRUE(sens.done()) << sens.problem();
    EXPECT_EQ(sens.rows(), 1000u);
    // The core's analysis of the same rows, directly.
    qlab::SensitivityOptions o;
    o.weights = "int:b=4,group=32";
    auto direct = qlab::layer_sensitivity(lab.m.model(), sens.data(), o);
    ASSERT_TRUE(direct.ok()) << direct.status().message();
    const auto rows = sens.sorted(), want = direct->sorted();
    ASSERT_EQ(rows.size(), want.size());
    std::size_t weighted = 0;
    for (const qlab::Layer& L : lab.m.model().layers) weighted += L.has_weights();
    EXPECT_EQ(rows.size(), weighted);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].layer, want[i].layer);
        EXPECT_EQ(rows[i].accuracy, want[i].accuracy);
        EXPECT_EQ(rows[i].measured_sqnr_db, want[i].measured_sqnr_db);
        if (i) {
            EXPECT_GE(rows[i - 1].accuracy_drop, rows[i].accuracy_drop);
        }
    }
    // The same weights and formats: nothing to redo. New formats: a new job.
    sens.update(lab.s, lab.m);
    EXPECT_TRUE(sens.done());
    EXPECT_FALSE(qlab::set_state(lab.s, {{"sweights", "nonsense"}}).ok());  // kept as it was
    sens.update(lab.s, lab.m);
    EXPECT_TRUE(sens.done());
    lab.set("sweights", "int:b=2,group=32");
    sens.update(lab.s, lab.m);
    EXPECT_TRUE(sens.running());
}

TEST(OnnxImport, TheExportImportsBackToTheSameOutputs) {
    Lab lab("mnist");
    lab.drop("lenet_bn.onnx", fixture("lenet_bn.onnx"));
    auto bytes = export_onnx_file(lab.s, lab.m);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto back = qlab::import_onnx(*bytes);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->input_shape, (std::vector<int>{1, 28, 28}));
    EXPECT_EQ(back->output, qlab::OutputMeaning::logsoftmax);
    const qlab::Matrix a = qlab::predict_scores(lab.m.model(), lab.m.data().split().test);
    const qlab::Matrix b = qlab::predict_scores(back->model, lab.m.data().split().test);
    EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.0f);
    // At the state's formats: int8 weights as QDQ, imported back with the same formats.
    lab.set("weights", "int:b=8,scale=0.01");
    auto q = export_onnx_file(lab.s, lab.m);
    ASSERT_TRUE(q.ok()) << q.status().message();
    auto qback = qlab::import_onnx(*q);
    ASSERT_TRUE(qback.ok()) << qback.status().message();
    ASSERT_TRUE(qback->quantized());
    const qlab::Matrix qa =
        qlab::predict_scores(lab.m.model(), lab.m.data().split().test, lab.m.eval_options(lab.s));
    const qlab::Matrix qb =
        qlab::predict_scores(qback->model, lab.m.data().split().test, qback->eval());
    EXPECT_EQ((qa - qb).cwiseAbs().maxCoeff(), 0.0f);
    // An activation format ONNX cannot express is refused with the exporter's message.
    lab.set("activations", "ternary");
    EXPECT_FALSE(export_onnx_file(lab.s, lab.m).ok());
}

TEST(OnnxImport, SakrsConventionsAreCheckedInWords) {
    Lab lab("mnist", "precision");
    lab.drop("mlp_hardsigmoid.onnx", fixture("mlp_hardsigmoid.onnx"));
    ASSERT_TRUE(lab.m.imported());
    EXPECT_TRUE(sakr_assumption_problems(lab.m).empty());  // pixels in [0, 1], outputs in [0, 2]
    EXPECT_EQ(hidden_activations_text(lab.m.model()), "hardsigmoid");
    EXPECT_FALSE(hidden_outputs_saturate(lab.m.model()));
    lab.set("normalize", "meanstd:0.1307,0.3081");
    auto p = sakr_assumption_problems(lab.m);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].rfind("The inputs span [-0.424, 2.82] (meanstd:0.1307,0.3081)", 0), 0u) << p[0];
    lab.drop("lenet_bn.onnx", fixture("lenet_bn.onnx"));
    lab.set("normalize", "");
    EXPECT_EQ(hidden_activations_text(lab.m.model()), "relu");  // pools are not activations
    EXPECT_TRUE(hidden_outputs_saturate(lab.m.model()));
    p = sakr_assumption_problems(lab.m);
    ASSERT_FALSE(p.empty());
    // Its average pool (no activation) makes the simulation's activations signed, as the core's
    // sakr_fixed_decisions does: fixed on [-1, 1).
    EXPECT_EQ(p[0].rfind("The outputs of layers 1, 3 and 5 (relu, unbounded) exceed the "
                         "fixed-point range [-1, 1)",
                         0),
              0u)
        << p[0];
}

TEST(DataForInputs, EachSizeOffersItsSets) {
    EXPECT_EQ(data_sets_for_inputs(784), (std::vector<std::string>{"mnist", "fashion"}));
    EXPECT_EQ(data_sets_for_inputs(64), (std::vector<std::string>{"digits"}));
    EXPECT_EQ(data_sets_for_inputs(2).size(), 5u);
    EXPECT_TRUE(data_sets_for_inputs(13).empty());
    EXPECT_EQ(shape_text({1, 28, 28}), "1x28x28");
}

}  // namespace
}  // namespace quantlab
