// The Train lesson's logic beside the shared model it trains (lab/shared_model.hpp): the
// confusion matrix and, on 2-D data, the decision boundary of the model's latest test-set
// predictions, and post-training calibration (PTQ) of the current float weights to set beside
// QAT. Builds natively; train_panel.cpp draws it.
#pragma once

#include <string>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/host.hpp"
#include "lab/shared_model.hpp"
#include "qlab/calibration.hpp"
#include "qlab/lab_state.hpp"

namespace quantlab::train {

// The optimizer section's words for the settings in force (qlab::lab_train_settings): each value
// with "(MNIST default)" (or "(lab default)") while it is the data set's default, and the title.
struct TrainSettingsText {
    std::string title;  // "Optimizer (the MNIST defaults)" or "(changed from the MNIST defaults)"
    std::string lr;     // "lr 0.003 (MNIST default)" or "lr 0.01"
    std::string batch;  // "batch 32 (MNIST default)"
    std::string batch_label;  // beside the batch field: "batch (MNIST default)" or "batch"
    std::string decay;        // "lr x0.7 per epoch (MNIST default)"; "constant lr" at 1
    bool all_default = true;
};
TrainSettingsText train_settings_text(const qlab::LabState& s);

struct PtqResult {
    std::string method;
    int bits = 0;
    bool per_channel = false, asym = false;
    double accuracy = 0;
    long long at_batch = 0;  // the model it calibrated (batches trained then)
    bool in_worker = false;  // calibrated in the Web Worker
};

class Lesson {
  public:
    // Follows the model's predictions: the confusion matrix and the boundary are for the weights
    // the predictions were made with (recomputed when those change).
    void update(const qlab::LabState& s, const SharedModel& model);

    // Row-major classes x classes counts (truth, predicted) over the test split; empty before.
    const std::vector<long long>& confusion() const { return confusion_; }
    // 2-D sets: p(class 1) - p(class 0) on a kGrid x kGrid grid over [-1, 1]^2, row 0 at the
    // bottom; empty otherwise.
    const std::vector<float>& boundary() const { return boundary_; }
    static constexpr int kGrid = 64;
    ModelVersion shown_version() const { return shown_; }

    // Calibrates the current float weights to the state's int format (calib, cbits, per_channel,
    // asym) on the training split and measures the test accuracy: a CalibrationJob, in the Web
    // Worker where there is one. Problems go to the host; the result shows once the job ends
    // (update() takes it).
    void calibrate(const qlab::LabState& s, const SharedModel& model, Host& host);
    const PtqResult* ptq() const { return have_ptq_ ? &ptq_ : nullptr; }
    void forget_ptq() { have_ptq_ = false; }
    ScheduledJob calibration_scheduled(std::string label) {
        return calibration_.scheduled(std::move(label));
    }
    qlab::Job* calibration_job() { return calibration_.job(); }
    bool calibration_in_worker() const { return calibration_.in_worker(); }

  private:
    ModelVersion shown_;
    std::vector<long long> confusion_;
    std::vector<float> boundary_;
    void take_calibration();   // a finished calibration becomes ptq()
    PtqResult ptq_, pending_;  // pending_: what the running calibration is for
    bool have_ptq_ = false;
    qlab::Model calibrated_model_;  // the weights the calibration reads (copied at the click)
    BackgroundAnalysis<qlab::CalibrationJob, qlab::CalibrationResult> calibration_;
};

}  // namespace quantlab::train
