// The shared model's owner without a browser: which keys rebuild or retrain it (from the
// property table), the one definition of trained, versions, a run asked for while data loads,
// files, and the test-set predictions.
#include "lab/shared_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::state_with;

TEST(ModelKeys, EveryKeyThatChangesTheModelBelongsToTheModelLessons) {
    int effects = 0;
    for (const qlab::Property& p : qlab::lab_properties()) {
        if (p.model == qlab::ModelEffect::none) continue;
        ++effects;
        if (!p.panel) {
            EXPECT_STREQ(p.key, "seed");  // the one shared key the model depends on
            continue;
        }
        for (const char* lesson : {"train", "precision", "layers", "ternary"})
            EXPECT_TRUE(qlab::property_in_panel(p, lesson)) << p.key << " " << lesson;
        EXPECT_FALSE(qlab::property_in_panel(p, "formats")) << p.key;
    }
    EXPECT_EQ(effects, 17);  // seed, data, normalize, hidden, act, five roles, urounding, ...
    // Keys the model's lessons own without changing the model: calibration, B_A, lbits, ...
    EXPECT_EQ(qlab::find_property("calib")->model, qlab::ModelEffect::none);
    EXPECT_EQ(qlab::find_property("ba")->model, qlab::ModelEffect::none);
    EXPECT_EQ(qlab::find_property("urounding")->model, qlab::ModelEffect::live);
    EXPECT_EQ(qlab::find_property("epochs")->model, qlab::ModelEffect::live);
    EXPECT_EQ(qlab::find_property("data")->model, qlab::ModelEffect::new_data);
}

TEST(ModelKeys, TheLessonsOnTheModelComeFromTheTable) {
    for (const char* lesson : {"train", "precision", "layers", "ternary"})
        EXPECT_TRUE(qlab::lesson_uses_model(lesson)) << lesson;
    for (const char* lesson : {"formats", "perceptron", "nonsense"})
        EXPECT_FALSE(qlab::lesson_uses_model(lesson)) << lesson;
}

TEST(SharedModel, GeneratedDataGivesAnUntrainedModelAtOnce) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "xor"}, {"hidden", "8"}});
    EXPECT_FALSE(m.has_model());
    m.sync(s);
    ASSERT_TRUE(m.data().ready());
    ASSERT_TRUE(m.has_model());
    EXPECT_TRUE(host.requested.empty());
    EXPECT_EQ(m.data().split().train.size() + m.data().split().test.size(), 500u);
    EXPECT_EQ(m.data().split().test.size(), 100u);  // the CLI's test fraction, 0.2
    EXPECT_EQ(m.spec(s), "mlp:2-8-2:act=relu");
    EXPECT_EQ(m.origin(), ModelOrigin::trained_here);
    EXPECT_FALSE(m.trained());
    EXPECT_FALSE(m.analysable());
    EXPECT_EQ(m.state_word(), "untrained");
    EXPECT_EQ(m.status_text(), "ready: press Run or Step");
    const ModelVersion fresh = m.version();
    m.sync(s);  // nothing changed: the same weights
    EXPECT_EQ(m.version(), fresh);
}

TEST(SharedModel, OneBatchMakesItTrainedAndEveryBatchIsANewVersion) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "circle"}, {"hidden", "8"}});
    m.sync(s);
    const ModelVersion v0 = m.version();
    EXPECT_EQ(m.step(s, 1), 1);
    EXPECT_TRUE(m.trained());
    EXPECT_FALSE(m.running());  // a step does not start a run
    EXPECT_TRUE(m.analysable());
    EXPECT_EQ(m.state_word(), "paused");
    const ModelVersion v1 = m.version();
    EXPECT_EQ(v1.generation, v0.generation);
    EXPECT_EQ(v1.batches, 1);
    m.step(s, 3);
    EXPECT_EQ(m.version().batches, 4);
    m.reset(s);
    EXPECT_NE(m.version().generation, v0.generation);
    EXPECT_EQ(m.version().batches, 0);
    EXPECT_FALSE(m.trained());
}

TEST(SharedModel, RunningMeansTrainingAndNotAnalysable) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "gauss"}, {"hidden", "4"}});
    m.sync(s);
    m.set_running(s, true);
    EXPECT_TRUE(m.running());
    EXPECT_TRUE(m.training());
    ASSERT_EQ(m.jobs().size(), 1u);
    EXPECT_EQ(m.jobs()[0].label, "training");
    m.jobs()[0].job->step(5);
    EXPECT_TRUE(m.trained());
    EXPECT_FALSE(m.analysable());  // the weights move every batch
    m.set_running(s, false);
    EXPECT_TRUE(m.analysable());
    EXPECT_TRUE(m.jobs().empty());  // a paused run is not stepped
}

// Bug: Run pressed while MNIST downloaded never trained ("ready: press Run or Step" 25 s later).
TEST(SharedModel, ARunAskedForWhileTheDataLoadsStartsWhenItArrives) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "digits"}, {"hidden", "8"}});
    m.sync(s);
    EXPECT_EQ(host.requested, std::vector<std::string>{"digits.csv"});
    EXPECT_TRUE(m.data().loading());
    EXPECT_FALSE(m.has_model());
    m.set_running(s, true);
    EXPECT_TRUE(m.waiting_for_data());
    EXPECT_FALSE(m.running());
    EXPECT_NE(m.status_text().find("waiting for digits"), std::string::npos) << m.status_text();
    const std::string bytes = test::dataset_bytes("digits.csv");
    if (bytes.empty()) GTEST_SKIP() << "the digits data set is not unpacked (scripts/bootstrap.sh)";
    m.on_dataset(s, "digits.csv", bytes);
    ASSERT_TRUE(m.data().ready());
    EXPECT_EQ(m.data().split().test.size(), 359u);  // 20% of sklearn's 1797 digits
    EXPECT_TRUE(m.running());
    EXPECT_FALSE(m.waiting_for_data());
    ASSERT_EQ(m.jobs().size(), 1u);
    m.jobs()[0].job->step(3);
    EXPECT_EQ(m.batches_done(), 3);
}

// The hidden key's CNN body on the digits' 8x8 images: the spec, the layers, training steps.
TEST(SharedModel, TheLabsOwnCnnOnImages) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "precision"},
                                         {"data", "digits"},
                                         {"hidden", "c4k3-p2-16"},
                                         {"act", "hardsigmoid"}});
    m.sync(s);
    const std::string bytes = test::dataset_bytes("digits.csv");
    if (bytes.empty()) GTEST_SKIP() << "the digits data set is not unpacked";
    m.on_dataset(s, "digits.csv", bytes);
    ASSERT_TRUE(m.has_model());
    EXPECT_EQ(m.spec(s), "cnn:8x8x1-c4k3-p2-16-10:act=hardsigmoid");
    ASSERT_EQ(m.model().layers.size(), 4u);
    EXPECT_EQ(m.model().layers[0].kind, qlab::LayerKind::conv2d);
    EXPECT_EQ(m.model().layers[0].activation, qlab::Activation::hardsigmoid);
    EXPECT_EQ(m.model().layers[1].kind, qlab::LayerKind::maxpool2d);
    EXPECT_EQ(m.model().layers[2].in, 4 * 3 * 3);
    EXPECT_EQ(m.step(s, 20), 20);
    EXPECT_EQ(m.batches_done(), 20);
    EXPECT_TRUE(m.trained());
}

TEST(SharedModel, PausingWhileWaitingCancelsTheRunAskedFor) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "digits"}});
    m.sync(s);
    m.set_running(s, true);
    ASSERT_TRUE(m.waiting_for_data());
    m.set_running(s, false);
    EXPECT_FALSE(m.waiting_for_data());
    const std::string bytes = test::dataset_bytes("digits.csv");
    if (bytes.empty()) GTEST_SKIP() << "the digits data set is not unpacked";
    m.on_dataset(s, "digits.csv", bytes);
    EXPECT_FALSE(m.running());
}

TEST(SharedModel, AFailedDownloadStopsWaitingAndIsNotFetchedAgainEveryFrame) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "mnist"}});
    m.sync(s);
    EXPECT_EQ(host.requested.size(), 2u);  // images and labels
    m.set_running(s, true);
    m.on_dataset_failed("mnist-images.idx", "HTTP 404");
    EXPECT_FALSE(m.waiting_for_data());
    EXPECT_FALSE(m.data().loading());
    EXPECT_EQ(m.data().failure(s), "could not load mnist: HTTP 404");
    for (int frame = 0; frame < 3; ++frame) m.sync(s);
    EXPECT_EQ(host.requested.size(), 2u);
    m.forget_upload();  // choosing the data set again tries again
    m.sync(s);
    EXPECT_EQ(host.requested.size(), 4u);
}

TEST(SharedModel, KeysFollowTheirEffectInThePropertyTable) {
    FakeHost host;
    SharedModel m(host);
    qlab::LabState s = state_with({{"panel", "train"}, {"data", "xor"}, {"hidden", "8"}});
    m.sync(s);
    m.set_running(s, true);
    m.jobs()[0].job->step(2);
    const ModelVersion before = m.version();
    // live: the running job takes it, the weights stay.
    qlab::StateChange c = qlab::set_state(s, {{"urounding", "stochastic"}, {"epochs", "20"}});
    m.on_state_changed(s, c.changed);
    EXPECT_EQ(m.version(), before);
    ASSERT_NE(m.job(), nullptr);
    EXPECT_EQ(m.job()->update_rounding(), qlab::Rounding::stochastic);
    EXPECT_EQ(m.job()->epochs(), 20);
    EXPECT_TRUE(m.running());
    // new_model: fresh weights, and the run restarts (it was running).
    c = qlab::set_state(s, {{"lr", "0.01"}});
    m.on_state_changed(s, c.changed);
    EXPECT_NE(m.version().generation, before.generation);
    EXPECT_EQ(m.batches_done(), 0);
    EXPECT_TRUE(m.running());
    // new_data: a new split; a run on the old data stops.
    const std::size_t old_first = static_cast<std::size_t>(m.data().split().train.x[0] * 1e6);
    c = qlab::set_state(s, {{"seed", "7"}});
    m.on_state_changed(s, c.changed);
    EXPECT_FALSE(m.running());
    EXPECT_NE(static_cast<std::size_t>(m.data().split().train.x[0] * 1e6), old_first);
    // Keys that are not the model's change nothing.
    const ModelVersion v = m.version();
    c = qlab::set_state(s, {{"ba", "9"}, {"lbits", "3"}, {"calib", "mse"}});
    m.on_state_changed(s, c.changed);
    EXPECT_EQ(m.version(), v);
}

TEST(SharedModel, ADataChangeOnALessonWithoutTheModelDownloadsNothing) {
    FakeHost host;
    SharedModel m(host);
    qlab::LabState s = state_with({{"panel", "formats"}});
    const qlab::StateChange c = qlab::set_state(s, {{"data", "mnist"}});
    m.on_state_changed(s, c.changed);
    EXPECT_TRUE(host.requested.empty());
    s.panel = "precision";
    m.sync(s);  // the App syncs when a lesson on the model is open
    EXPECT_EQ(host.requested.size(), 2u);
}

TEST(SharedModel, AModelFileReplacesTheWeightsAndIsTrained) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "xor"}, {"hidden", "8"}});
    m.sync(s);
    const ModelVersion before = m.version();
    qlab::Model file = *qlab::make_model("mlp:2-3-2", 2, 2, 5);
    ASSERT_TRUE(m.on_upload(s, "mine.json", qlab::model_to_json(file)));
    EXPECT_EQ(m.origin(), ModelOrigin::file);
    EXPECT_TRUE(m.from_file());
    EXPECT_TRUE(m.trained());
    EXPECT_EQ(m.state_word(), "loaded from a file");
    EXPECT_NE(m.version().generation, before.generation);
    EXPECT_EQ(m.model().layers[0].out, 3);
    EXPECT_TRUE(host.said("loaded the model from mine.json"));
    EXPECT_EQ(m.predicted_version(), m.version());  // predicted at once for the message
    // A model of the wrong shape is refused and the lab keeps the one it has.
    const ModelVersion loaded = m.version();
    qlab::Model wrong = *qlab::make_model("mlp:4-3-2", 4, 2, 5);
    ASSERT_TRUE(m.on_upload(s, "wrong.json", qlab::model_to_json(wrong)));
    EXPECT_TRUE(host.said("the model takes 4 inputs"));
    EXPECT_EQ(m.version(), loaded);
    // Not JSON of a model: a message naming the problem, nothing lost.
    ASSERT_TRUE(m.on_upload(s, "broken.json", "{\"format\": 3"));
    EXPECT_TRUE(host.said("broken.json: "));
    EXPECT_EQ(m.version(), loaded);
    EXPECT_FALSE(m.on_upload(s, "picture.png", "\x89PNG"));  // not a file the model takes
}

TEST(SharedModel, UploadedRowsReplaceTheDataAndABadFileKeepsIt) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "xor"}, {"hidden", "4"}});
    m.sync(s);
    std::string csv = "a,b,c,label\n";
    for (int i = 0; i < 40; ++i)
        csv += std::to_string(i % 7) + "," + std::to_string(i % 5) + "," + std::to_string(i % 3) +
               "," + std::to_string(i % 2) + "\n";
    ASSERT_TRUE(m.on_upload(s, "mine.csv", csv));
    EXPECT_EQ(m.data().label(), "uploaded:mine.csv");
    EXPECT_EQ(m.data().split().train.features, 3);
    EXPECT_EQ(m.spec(s), "mlp:3-4-2:act=relu");
    ASSERT_TRUE(m.on_upload(s, "bad.csv", "a,b,label\n1,2,0\n3,4\n"));  // a short row
    EXPECT_TRUE(host.said("(the lab keeps 'uploaded:mine.csv')"));
    EXPECT_EQ(m.data().split().train.features, 3);
    ASSERT_TRUE(m.on_upload(s, "tiny.csv", "a,label\n1,0\n2,1\n"));
    EXPECT_TRUE(host.said("needs at least 10 rows and 2 classes"));
}

TEST(SharedModel, PredictionsFollowTheWeightsTheyWereMadeWith) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "circle"}, {"hidden", "8"}});
    m.sync(s);
    m.tick(s, false);
    EXPECT_EQ(m.predicted_version(), m.version());
    m.step(s, 30);
    host.now += 1000;
    m.tick(s, false);
    ASSERT_EQ(m.predicted_version(), m.version());
    const qlab::Dataset& test = m.data().split().test;
    ASSERT_EQ(m.test_predictions().size(), test.size());
    long right = 0;
    for (std::size_t i = 0; i < test.size(); ++i) right += m.test_predictions()[i] == test.y[i];
    EXPECT_DOUBLE_EQ(m.test_accuracy(), static_cast<double>(right) / test.size());
    EXPECT_DOUBLE_EQ(m.test_accuracy(), qlab::accuracy(m.model(), test, m.eval_options(s)));
}

TEST(SharedModel, TrainingOptionsComeFromTheStateAndTheLabPreset) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s;  // the lab's defaults
    const qlab::TrainOptions o = m.train_options(s);
    EXPECT_EQ(o.optimizer, qlab::kLabTrainPreset.optimizer);
    EXPECT_FLOAT_EQ(o.learning_rate, static_cast<float>(qlab::kLabTrainPreset.learning_rate));
    EXPECT_EQ(o.batch, qlab::kLabTrainPreset.batch);
    EXPECT_EQ(o.epochs, qlab::kLabTrainPreset.epochs);
    EXPECT_EQ(qlab::property_text(s, *qlab::find_property("lr")), "");  // the data set's
}

// A newcomer's MNIST run trains with MNIST's defaults (qlab/optimizer.hpp's DataTrainDefaults),
// the settings `qlab train --data mnist` takes; a value set in the link wins.
TEST(SharedModel, MnistTrainsWithItsOwnDefaults) {
    FakeHost host;
    SharedModel m(host);
    qlab::LabState s = qlab::initial_lab_state("panel=train&data=mnist&hidden=128");
    qlab::TrainOptions o = m.train_options(s);
    EXPECT_FLOAT_EQ(o.learning_rate, 0.003f);
    EXPECT_EQ(o.batch, 32);
    EXPECT_EQ(s.decay, 0.7);
    s = qlab::initial_lab_state("panel=train&data=mnist&hidden=128&lr=0.01&batch=64");
    o = m.train_options(s);
    EXPECT_FLOAT_EQ(o.learning_rate, 0.01f);
    EXPECT_EQ(o.batch, 64);
}

// Enable once SharedModel::train_options reads the decay key (one line: o.lr_decay =
// static_cast<float>(s.decay);), which its owner adds while rewriting it.
TEST(SharedModel, MnistTrainsWithItsDecay) {
    FakeHost host;
    SharedModel m(host);
    const qlab::LabState s = qlab::initial_lab_state("panel=train&data=mnist&hidden=128");
    EXPECT_FLOAT_EQ(m.train_options(s).lr_decay, 0.7f);
    EXPECT_FLOAT_EQ(
        m.train_options(qlab::initial_lab_state("panel=train&data=mnist&decay=0.9")).lr_decay,
        0.9f);
}

}  // namespace
}  // namespace quantlab
