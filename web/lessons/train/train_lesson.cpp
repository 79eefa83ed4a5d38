// The Train lesson's logic (see train_lesson.hpp).
#include "lessons/train/train_lesson.hpp"

#include <cmath>

#include "qlab/calibration.hpp"

namespace quantlab::train {

void Lesson::update(const qlab::LabState& s, const SharedModel& model) {
    take_calibration();
    const ModelVersion v = model.predicted_version();
    if (v == shown_) return;
    shown_ = v;
    confusion_.clear();
    boundary_.clear();
    const std::vector<int>& pred = model.test_predictions();
    if (pred.empty() || !model.data().ready() || !model.has_model()) return;
    const qlab::Dataset& test = model.data().split().test;
    const int k = test.classes;
    confusion_.assign(static_cast<std::size_t>(k) * static_cast<std::size_t>(k), 0);
    for (std::size_t i = 0; i < pred.size() && i < test.size(); ++i)
        if (test.y[i] >= 0 && test.y[i] < k && pred[i] >= 0 && pred[i] < k)
            ++confusion_[static_cast<std::size_t>(test.y[i] * k + pred[i])];
    if (test.features != 2 || k != 2) return;
    // The decision value p(blue) - p(orange) = tanh((s1 - s0) / 2) over [-1, 1]^2, as the
    // Playground shades its output neuron.
    qlab::Dataset grid;
    grid.features = 2;
    grid.classes = 2;
    grid.x.reserve(2 * kGrid * kGrid);
    for (int r = 0; r < kGrid; ++r)
        for (int c = 0; c < kGrid; ++c) {
            grid.x.push_back(-1 + 2 * (static_cast<float>(c) + 0.5f) / kGrid);
            grid.x.push_back(-1 + 2 * (static_cast<float>(r) + 0.5f) / kGrid);
            grid.y.push_back(0);
        }
    const qlab::Matrix g = qlab::predict_scores(model.model(), grid, model.eval_options(s));
    boundary_.resize(static_cast<std::size_t>(kGrid * kGrid));
    for (Eigen::Index i = 0; i < g.rows(); ++i)
        boundary_[static_cast<std::size_t>(i)] = std::tanh((g(i, 1) - g(i, 0)) / 2);
}

void Lesson::calibrate(const qlab::LabState& s, const SharedModel& model, Host& host) {
    if (!model.has_model() || !model.data().ready()) {
        host.report("calibration needs a model and data: wait for the data set to load",
                    MessageLevel::warning);
        return;
    }
    qlab::CalibrationOptions o;
    auto method = qlab::parse_calibration(s.calib);
    if (!method) {
        host.report(method.status().message(), MessageLevel::error);
        return;
    }
    o.method = *method;
    o.bits = static_cast<int>(s.cbits);
    o.symmetric = s.asym == 0;
    o.per_channel = s.per_channel != 0;
    // Calibration sees the training split (the core uses at most its first kCalibrationRows).
    const qlab::Split& split = model.data().split();
    pending_.method = s.calib;
    pending_.bits = o.bits;
    pending_.per_channel = o.per_channel;
    pending_.asym = !o.symmetric;
    pending_.at_batch = model.batches_done();
    calibrated_model_ = model.model();
    qlab::CalibrationRequest q{o, qlab::first_rows(split.train, qlab::kCalibrationRows)};
    calibration_.start(
        model.analysis_runner(),
        {"calibration", &calibrated_model_, &split.test, qlab::to_bytes(q)}, [this, &model, q] {
            return std::make_unique<qlab::CalibrationJob>(calibrated_model_, q.calibration,
                                                          model.data().split().test, q.options);
        });
    // Bad options fail the page's own job at once; in the worker the scheduler reports the
    // failure under the job's label.
    const qlab::Job* job = calibration_.job();
    if (job->state() == qlab::JobState::failed) {
        host.report("calibration: " + job->status().message(), MessageLevel::error);
        calibration_.reset();
    }
    take_calibration();
}

void Lesson::take_calibration() {
    const qlab::Job* job = calibration_.job();
    if (!job || job->state() != qlab::JobState::finished) return;
    ptq_ = pending_;
    ptq_.accuracy = calibration_.result().accuracy;
    ptq_.in_worker = calibration_.in_worker();
    have_ptq_ = true;
    calibration_.reset();
}

TrainSettingsText train_settings_text(const qlab::LabState& s) {
    const qlab::LabTrainSettings t = qlab::lab_train_settings(s);
    TrainSettingsText out;
    const std::string tag = " (" + t.source + ")";
    out.lr = "lr " + qlab::shortest_repr(t.lr) + (t.lr_default ? tag : "");
    out.batch_label = "batch" + (t.batch_default ? tag : "");
    out.batch = "batch " + std::to_string(t.batch) + (t.batch_default ? tag : "");
    out.decay = (t.decay == 1 ? std::string("constant lr")
                              : "lr x" + qlab::shortest_repr(t.decay) + " per epoch") +
                (t.decay_default ? tag : "");
    out.all_default = t.lr_default && t.batch_default && t.decay_default;
    out.title = std::string("Optimizer (") + (out.all_default ? "" : "changed from ") + "the " +
                t.source + "s)";
    return out;
}

}  // namespace quantlab::train
