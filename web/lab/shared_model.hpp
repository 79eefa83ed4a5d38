// The one model the lab's lessons share, and its one owner (docs/architecture.md, "The shared
// model"): the App holds it and passes it to the lessons. It holds the data set, the weights,
// where they came from, a version that changes whenever they change, the run that trains them,
// and the one definition of trained and of current. Which state keys rebuild or retrain it comes
// from the property table (qlab::Property::model); lessons only read it and compare versions.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/host.hpp"
#include "lab/lab_data.hpp"
#include "lab/scheduler.hpp"
#include "qlab/lab_state.hpp"
#include "qlab/mlp.hpp"

namespace quantlab {

// Which weights a result was computed for: generation changes when the weights are replaced (a
// fresh model, a loaded file), batches with every training step.
struct ModelVersion {
    long long generation = -1, batches = -1;
    bool operator==(const ModelVersion& o) const {
        return generation == o.generation && batches == o.batches;
    }
    bool operator!=(const ModelVersion& o) const { return !(*this == o); }
};

enum class ModelOrigin { none, trained_here, file };

class SharedModel {
  public:
    explicit SharedModel(Host& host) : host_(host), data_(host) {}

    // ---- following the state -------------------------------------------------------------------
    // Makes the data and the model the ones the state asks for (a lesson that studies the model
    // is open); a run asked for while the data loaded starts once it is here.
    void sync(const qlab::LabState& s);
    // Keys changed: their ModelEffect in the property table says what happens.
    void on_state_changed(const qlab::LabState& s, const std::vector<std::string>& keys);
    void on_dataset(const qlab::LabState& s, const std::string& name, const std::string& bytes);
    void on_dataset_failed(const std::string& name, const std::string& message);
    // Model JSON, or CSV / libsvm data; false only when the name says neither.
    bool on_upload(const qlab::LabState& s, const std::string& name, const std::string& bytes);
    // Once per frame and before metrics: notices a finished run, samples the throughput, and
    // brings the test-set predictions up to date (a slice per call when `in_frame` and costly).
    void tick(const qlab::LabState& s, bool in_frame);

    // ---- the data ------------------------------------------------------------------------------
    const LabData& data() const { return data_; }
    // The state's data set again instead of an upload (and a failed download tried again).
    void forget_upload() { data_.forget_upload(), data_.forget_failures(); }

    // ---- the model -----------------------------------------------------------------------------
    bool has_model() const { return have_model_; }
    const qlab::Model& model() const { return model_; }
    ModelVersion version() const { return {generation_, batches_done()}; }
    ModelOrigin origin() const { return origin_; }
    bool from_file() const { return origin_ == ModelOrigin::file; }
    const std::string& file_name() const { return file_name_; }
    // The network the state describes for the data ("mlp:64-32-10:act=relu", "logreg").
    std::string spec(const qlab::LabState& s) const;
    // The one definition of trained: weights loaded from a file, or trained here for at least one
    // batch. Fresh random weights are untrained: analyses show no numbers for them.
    bool trained() const;
    // A run is going: the weights change every batch, so analyses wait for a pause.
    bool training() const { return running_; }
    // What an analysis may study now: a trained model whose weights hold still.
    bool analysable() const { return have_model_ && trained() && !running_; }
    // One word on the model: "untrained", "training", "paused", "trained", "loaded from a file".
    std::string state_word() const;

    // ---- training ------------------------------------------------------------------------------
    qlab::TrainJob* job() { return job_.get(); }
    const qlab::TrainJob* job() const { return job_.get(); }
    bool running() const { return running_; }
    // Run was pressed while the data set loaded: the run starts when it arrives.
    bool waiting_for_data() const { return run_when_ready_; }
    // Runs or pauses. A finished run starts over from fresh weights; a loaded model is fine-tuned.
    void set_running(const qlab::LabState& s, bool run);
    // Trains `batches` more (and the evaluation the last one ends an epoch with); the units taken.
    int step(const qlab::LabState& s, int batches);
    // Fresh weights from the state's seed (the run dropped).
    void reset(const qlab::LabState& s);
    // The training run while it runs, for the scheduler (a paused run is not stepped).
    std::vector<ScheduledJob> jobs();
    long long batches_done() const { return job_ ? job_->batches_done() : 0; }
    long long samples_done() const;
    double samples_per_second() const;
    // The run's state as the lab words it: "ready: press Run or Step", "waiting for mnist to
    // load, then it runs",
    // "running: epoch 2 of 10, batch 5 of 45, 9000 samples/s", ...
    std::string status_text() const;
    // The state's weights, activations and accumulator formats, as evaluation applies them.
    qlab::EvalOptions eval_options(const qlab::LabState& s) const;
    qlab::TrainOptions train_options(const qlab::LabState& s) const;

    // ---- the current weights on the test split
    // ---------------------------------------------------
    double test_accuracy() const { return test_acc_; }  // -1 before the first prediction
    const std::vector<int>& test_predictions() const { return test_pred_; }
    // Which weights the predictions are for.
    ModelVersion predicted_version() const { return predicted_version_; }
    void refresh_predictions(const qlab::LabState& s, bool in_frame);

  private:
    void rebuild(const qlab::LabState& s);  // the data changed: fresh weights, no run
    void restart(const qlab::LabState& s);  // the training settings changed: fresh weights
    void drop_job();
    bool start_job(const qlab::LabState& s);
    bool load_model_file(const qlab::LabState& s, const std::string& name,
                         const std::string& bytes);
    bool load_data_file(const qlab::LabState& s, const std::string& name, const std::string& bytes);
    void advance_predictions(bool in_frame);

    Host& host_;
    LabData data_;
    qlab::Model model_;
    bool have_model_ = false;
    ModelOrigin origin_ = ModelOrigin::none;
    std::string file_name_;
    long long generation_ = 0;
    std::unique_ptr<qlab::TrainJob> job_;
    long long job_batch_ = 1;
    bool running_ = false, run_when_ready_ = false;
    std::deque<std::pair<double, long long>> throughput_;  // (seconds, samples) while running

    // A prediction of the test set in progress, sliced over frames on a copy of the weights.
    struct PendingPredictions {
        bool active = false;
        qlab::Model model;
        qlab::EvalOptions eval;
        std::size_t next = 0, right = 0;
        std::vector<int> pred;
        ModelVersion version;
        std::size_t history = 0;
    };
    PendingPredictions pending_;
    std::vector<int> test_pred_;
    double test_acc_ = -1;
    ModelVersion predicted_version_;
    std::size_t predicted_history_ = 0;
    double predicted_ms_ = -1e9;
};

}  // namespace quantlab
