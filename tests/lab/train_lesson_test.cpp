// The Train lesson's logic without a browser: the confusion matrix and the decision boundary of
// the shared model's latest predictions, and post-training calibration beside the core's.
#include "lessons/train/train_lesson.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "fake_analysis_runner.hpp"
#include "fake_host.hpp"
#include "qlab/calibration.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::state_with;

TEST(TrainLesson, TheConfusionMatrixCountsThePredictionsItWasMadeFrom) {
    FakeHost host;
    SharedModel model(host);
    train::Lesson lesson;
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "xor"}, {"hidden", "8"}});
    model.sync(s);
    test::train_batches(model, s, 40);
    model.tick(s, false);
    lesson.update(s, model);
    EXPECT_EQ(lesson.shown_version(), model.version());
    const std::vector<long long>& cm = lesson.confusion();
    ASSERT_EQ(cm.size(), 4u);
    EXPECT_EQ(std::accumulate(cm.begin(), cm.end(), 0LL),
              static_cast<long long>(model.data().split().test.size()));
    const double diagonal = static_cast<double>(cm[0] + cm[3]);
    EXPECT_DOUBLE_EQ(diagonal / static_cast<double>(model.data().split().test.size()),
                     model.test_accuracy());
    // 2-D data: the boundary is tanh((s1 - s0) / 2) of the model's scores over [-1, 1]^2.
    ASSERT_EQ(lesson.boundary().size(), static_cast<std::size_t>(64 * 64));
    qlab::Dataset corner;
    corner.features = 2, corner.classes = 2;
    corner.x = {-1 + 1.0f / 64, -1 + 1.0f / 64};
    corner.y = {0};
    const qlab::Matrix sc = qlab::predict_scores(model.model(), corner, model.eval_options(s));
    EXPECT_FLOAT_EQ(lesson.boundary()[0], std::tanh((sc(0, 1) - sc(0, 0)) / 2));
}

TEST(TrainLesson, CalibrationIsTheCoresOnTheTrainingSplit) {
    FakeHost host;
    SharedModel model(host);
    train::Lesson lesson;
    const qlab::LabState s = state_with({{"panel", "train"},
                                         {"data", "circle"},
                                         {"hidden", "8"},
                                         {"calib", "mse"},
                                         {"cbits", "3"}});
    model.sync(s);
    test::train_batches(model, s, 30);
    lesson.calibrate(s, model, host);
    EXPECT_EQ(lesson.ptq(), nullptr);  // a job: one layer a unit, then the test rows
    ASSERT_NE(lesson.calibration_job(), nullptr);
    EXPECT_TRUE(qlab::run_job(*lesson.calibration_job()).ok());
    lesson.update(s, model);
    EXPECT_EQ(lesson.calibration_job(), nullptr);
    const train::PtqResult* p = lesson.ptq();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->method, "mse");
    EXPECT_EQ(p->bits, 3);
    EXPECT_EQ(p->at_batch, 30);
    qlab::CalibrationOptions o;
    o.method = *qlab::parse_calibration("mse");
    o.bits = 3;
    const auto eval = qlab::calibrate_model(model.model(), model.data().split().train, o);
    ASSERT_TRUE(eval.ok());
    EXPECT_DOUBLE_EQ(p->accuracy, qlab::accuracy(model.model(), model.data().split().test, *eval));
    lesson.forget_ptq();
    EXPECT_EQ(lesson.ptq(), nullptr);
}

TEST(TrainLesson, CalibrationWithoutDataSaysSo) {
    FakeHost host;
    SharedModel model(host);
    train::Lesson lesson;
    const qlab::LabState s = state_with({{"panel", "train"}, {"data", "mnist"}});
    model.sync(s);
    lesson.calibrate(s, model, host);
    EXPECT_EQ(lesson.ptq(), nullptr);
    EXPECT_TRUE(host.said("calibration needs a model and data"));
}

// The optimizer section names the settings in force and whether they are the data set's.
TEST(TrainLesson, TheOptimizerSectionShowsTheDataSetsDefaults) {
    qlab::LabState s = qlab::initial_lab_state("panel=train&data=mnist&hidden=128");
    train::TrainSettingsText t = train::train_settings_text(s);
    EXPECT_EQ(t.lr, "lr 0.003 (MNIST default)");
    EXPECT_EQ(t.batch, "batch 32 (MNIST default)");
    EXPECT_EQ(t.decay, "lr x0.7 per epoch (MNIST default)");
    EXPECT_EQ(t.title, "Optimizer (the MNIST defaults)");
    EXPECT_TRUE(t.all_default);
    qlab::set_state(s, {{"lr", "0.01"}});
    t = train::train_settings_text(s);
    EXPECT_EQ(t.lr, "lr 0.01");
    EXPECT_EQ(t.batch_label, "batch (MNIST default)");
    EXPECT_EQ(t.title, "Optimizer (changed from the MNIST defaults)");
    EXPECT_FALSE(t.all_default);
    t = train::train_settings_text(qlab::initial_lab_state("panel=train&data=digits"));
    EXPECT_EQ(t.decay, "constant lr (lab default)");
    EXPECT_EQ(t.lr, "lr 0.003 (lab default)");
}

// With a Web Worker the calibration runs there and gives the page's own formats and accuracy.
TEST(TrainLesson, InTheWorkerTheCalibrationIsThePagesOwn) {
    FakeHost host;
    SharedModel model(host);
    const qlab::LabState s = state_with({{"panel", "train"},
                                         {"data", "circle"},
                                         {"hidden", "8"},
                                         {"calib", "kl"},
                                         {"cbits", "4"},
                                         {"per_channel", "1"}});
    model.sync(s);
    test::train_batches(model, s, 30);
    train::Lesson here;
    here.calibrate(s, model, host);
    ASSERT_FALSE(here.calibration_in_worker());
    ASSERT_TRUE(qlab::run_job(*here.calibration_job()).ok());
    here.update(s, model);
    ASSERT_NE(here.ptq(), nullptr);

    test::FakeAnalysisRunner runner(&host.now);
    host.analyses = &runner;
    train::Lesson there;
    there.calibrate(s, model, host);
    EXPECT_TRUE(there.calibration_in_worker());
    EXPECT_TRUE(there.calibration_scheduled("calibration").elsewhere);
    runner.pump_all();
    there.update(s, model);
    ASSERT_NE(there.ptq(), nullptr);
    EXPECT_EQ(there.ptq()->accuracy, here.ptq()->accuracy);
    EXPECT_EQ(there.ptq()->bits, 4);
    EXPECT_TRUE(there.ptq()->per_channel);
    EXPECT_TRUE(there.ptq()->in_worker);
    EXPECT_FALSE(here.ptq()->in_worker);
    // The core's one call gives the same number.
    qlab::CalibrationOptions o;
    o.method = qlab::Calibration::kl, o.bits = 4, o.per_channel = true;
    const auto eval = qlab::calibrate_model(model.model(), model.data().split().train, o);
    ASSERT_TRUE(eval.ok());
    EXPECT_EQ(there.ptq()->accuracy,
              qlab::accuracy(model.model(), model.data().split().test, *eval));
    host.analyses = nullptr;
}

}  // namespace
}  // namespace quantlab
