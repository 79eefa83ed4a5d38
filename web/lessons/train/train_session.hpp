// The Train lesson's model of the world, without drawing: the data set (loaded lazily, or
// uploaded), the network, its TrainJob, test-set predictions, throughput and calibration.
// train_panel.cpp draws it and turns controls into lab-state changes.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qlab/calibration.hpp"
#include "qlab/dataset.hpp"
#include "qlab/lab_state.hpp"
#include "qlab/mlp.hpp"

namespace quantlab {

class App;

struct PtqResult {
    std::string method;
    int bits = 0;
    bool per_channel = false, asym = false;
    double accuracy = 0;
    long long at_batch = 0;  // the model it calibrated (batches trained then)
};

// The one model the lab trains: the Train lesson drives it, and the analysis lessons
// (precision, layers, ternary) study the same model, so training in one and switching to another
// keeps it. Their links carry the model's keys (see core/state: owned by several lessons).
class TrainSession;
TrainSession& training_session();
// Whether this lesson works on the shared model (it then loads the data set when opened).
bool lesson_uses_model(const std::string& panel);

class TrainSession {
  public:
    // ---- data ----
    // Makes the data set the state asks for current (requests real data sets from the shell).
    void sync_data(App& app);
    void on_dataset(App& app, const std::string& name, const std::string& bytes);
    // CSV / libsvm data or model JSON; false only when the name says neither.
    bool on_upload(App& app, const std::string& name, const std::string& bytes);
    void forget_upload() { uploaded_ = false; }

    bool has_data() const { return have_data_; }
    bool loading() const { return !loading_.empty(); }
    const std::string& loading_name() const { return loading_; }
    const std::string& data_name() const { return data_name_; }
    bool uploaded() const { return uploaded_; }
    const std::string& uploaded_name() const { return uploaded_name_; }
    const qlab::Split& split() const { return split_; }
    // Raw pixels of the test rows (for the digit grid), side x side; side 0: not images.
    const qlab::Dataset& raw_test() const { return raw_test_; }
    int image_side() const { return image_side_; }
    float pixel_max() const { return pixel_max_; }
    bool is_2d() const { return have_data_ && split_.train.features == 2; }

    // ---- model and training ----
    // A fresh model from the state's seed (and the job dropped). Reports a bad spec.
    void reset(App& app);
    std::string model_spec(const qlab::LabState& s) const;
    const qlab::Model& model() const { return model_; }
    bool has_model() const { return have_model_; }
    bool model_from_file() const { return model_from_file_; }
    // Changes whenever the weights are replaced (a fresh model, a loaded file); with
    // batches_done() it tells an analysis whether its result is for the current weights.
    long long model_generation() const { return generation_; }
    qlab::TrainJob* job() { return job_.get(); }
    const qlab::TrainJob* job() const { return job_.get(); }
    bool running() const { return running_; }
    void set_running(App& app, bool run);
    int step(App& app, int batches);
    // Training options changed: restart (keeping the running flag).
    void restart(App& app);
    void set_update_rounding(const std::string& urounding);
    void set_epochs(int epochs);
    qlab::EvalOptions eval_options(const qlab::LabState& s) const;
    // Called each frame: notices a finished job, samples throughput, refreshes predictions.
    void tick(App& app);

    long long batches_done() const { return job_ ? job_->batches_done() : 0; }
    long long samples_done() const;
    double samples_per_second() const;

    // ---- predictions on the test set (for the confusion matrix, digit grid and accuracy) ----
    const std::vector<int>& test_predictions() const { return test_pred_; }
    const std::vector<long long>& confusion() const { return confusion_; }
    double test_accuracy_now() const { return test_acc_; }
    // Predicts the test set with the current weights: at once outside a frame (the JS API) or when
    // cheap, otherwise a slice per frame on a snapshot of the weights, so no frame stalls on it.
    void refresh_predictions(App& app);
    // 2-D sets: decision values p(class 1) - p(class 0) on a grid over [-1, 1]^2, row 0 at the
    // bottom.
    const std::vector<float>& boundary() const { return boundary_; }
    static constexpr int kGrid = 64;

    // ---- calibration ----
    void calibrate(App& app);
    const PtqResult* ptq() const { return have_ptq_ ? &ptq_ : nullptr; }
    void forget_ptq() { have_ptq_ = false; }

  private:
    void use_dataset(App& app, qlab::Dataset data, const std::string& name, int image_side,
                     bool normalize_unit, float scale);
    void drop_job();

    // Cached real data sets (parsed once per page).
    std::map<std::string, qlab::Dataset> cache_;
    std::map<std::string, std::string> pending_bytes_;  // mnist: images wait for labels
    std::string loading_;
    qlab::Dataset uploaded_data_;
    bool uploaded_ = false;
    std::string uploaded_name_;

    bool have_data_ = false;
    std::string data_name_;
    std::string built_for_;  // data key + seed the split was made for
    qlab::Split split_;
    qlab::Dataset raw_test_;
    int image_side_ = 0;
    float pixel_max_ = 1;

    qlab::Model model_;
    bool have_model_ = false, model_from_file_ = false;
    long long generation_ = 0;
    std::unique_ptr<qlab::TrainJob> job_;
    bool running_ = false;
    long long job_batch_ = 1;

    std::deque<std::pair<double, long long>> throughput_;  // (seconds, samples) while running
    std::vector<int> test_pred_;
    std::vector<long long> confusion_;
    double test_acc_ = -1;
    // A prediction of the test set in progress (sliced over frames on a copy of the weights).
    struct PendingPredictions {
        bool active = false;
        qlab::Model model;
        qlab::EvalOptions eval;
        std::size_t next = 0, right = 0;
        std::vector<int> pred;
        std::vector<long long> confusion;
        long long at_batch = -2;
        std::size_t history = 0;
    };
    void advance_predictions(App& app);
    PendingPredictions pending_;
    long long predicted_at_ = -2;  // batches_done when predictions were made (-2: never)
    std::size_t predicted_history_ = 0;
    double predicted_time_ = 0;
    std::vector<float> boundary_;

    PtqResult ptq_;
    bool have_ptq_ = false;
};

}  // namespace quantlab
