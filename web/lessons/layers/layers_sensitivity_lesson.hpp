// The Layers lesson's per-layer sensitivity, without drawing: one layer quantized at a time to
// the chosen formats with the rest in float (a core SensitivityJob, in the Web Worker where there
// is one, else stepped by the scheduler), on the first test rows of the shared model's data, for
// the model's current weights. Its rows, sorted most sensitive first, are what
// layers_sensitivity.cpp draws and metrics() reports.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/shared_model.hpp"
#include "qlab/sensitivity.hpp"

namespace quantlab::layers {

// Rows the sensitivity is measured on: the first ones of the test split (the CLI's default).
constexpr std::size_t kSensitivityRows = 1000;  // qlab::SensitivityOptions{}.max_rows

class Sensitivity {
  public:
    // Follows the model and the state's formats (sweights, sacts): a job for the current
    // weights starts when the model is analysable; other weights or formats drop the results.
    void update(const qlab::LabState& s, const SharedModel& model);
    ScheduledJob scheduled(std::string label) { return job_.scheduled(std::move(label)); }
    qlab::Job* job() { return running() ? job_.job() : nullptr; }  // while it runs
    bool running() const { return job_.job() && job_.job()->running(); }
    bool done() const { return job_.job() && job_.job()->state() == qlab::JobState::finished; }
    bool in_worker() const { return job_.in_worker(); }
    // Why there are no rows ("" while it runs or once done): untrained, a failed job's message.
    std::string problem() const;
    const qlab::SensitivityResult* result() const { return job_.job() ? &job_.result() : nullptr; }
    std::vector<qlab::LayerSensitivity> sorted() const;
    const std::string& weights() const { return weights_; }
    const std::string& activations() const { return activations_; }
    std::size_t rows() const { return data_.size(); }
    ModelVersion version() const { return version_; }
    // The test rows the job reads, as the model sees them (the JS API's exportData gives them).
    const qlab::Dataset& data() const { return data_; }

  private:
    BackgroundAnalysis<qlab::SensitivityJob, qlab::SensitivityResult> job_;
    qlab::Model model_;  // copies: the job reads them while the shared model may change
    qlab::Dataset data_;
    ModelVersion version_;
    std::string weights_, activations_, problem_;
    bool have_ = false;
};

}  // namespace quantlab::layers
