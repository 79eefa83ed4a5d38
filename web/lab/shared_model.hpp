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
#include "lab/train_worker.hpp"
#include "qlab/lab_state.hpp"
#include "qlab/mlp.hpp"
#include "qlab/onnx.hpp"

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

// imported: an ONNX file (dropped, picked, or named by the link's model key). Its weights are the
// model's starting point: a fresh start (new formats, a finished run, new data of its size)
// goes back to them, as fresh random weights do for the lab's own network.
enum class ModelOrigin { none, trained_here, file, imported };

// The lab's data sets that fit a model taking `features` inputs: 784 (1x28x28) MNIST and
// Fashion-MNIST, 64 (1x8x8) the digits, 2 the generated sets; others none (an upload fits).
std::vector<std::string> data_sets_for_inputs(int features);
// "1x28x28" or "784".
std::string shape_text(const std::vector<int>& shape);

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
    // Model JSON, ONNX (by its name or its first byte), or CSV / libsvm data; false only when
    // neither name nor bytes say which. `url`: where an ONNX or JSON model came from (the link).
    bool on_upload(const qlab::LabState& s, const std::string& name, const std::string& bytes,
                   const std::string& url = "");
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
    bool from_file() const { return origin_ == ModelOrigin::file || imported(); }
    bool imported() const { return origin_ == ModelOrigin::imported; }
    const std::string& file_name() const { return file_name_; }

    // ---- an imported ONNX model -------------------------------------------------------------
    // What the import kept: the file's per-layer formats, notes (folded BatchNorm, dropped nodes),
    // input shape and output meaning; null unless an imported model is the one studied (or waits
    // for data of its size).
    const qlab::ImportedModel* import() const { return import_.get(); }
    const std::string& import_name() const { return import_name_; }
    // The link's URL the model (ONNX or JSON) came from; "" for a dropped file or none.
    const std::string& model_url() const { return model_url_; }
    // The data set the import asks for (its input size fits it, the current one does not); the
    // App sets the data key to it once, then clears it.
    std::string take_wanted_data() { return std::exchange(wanted_data_, std::string()); }
    // Why an imported model is not studied now ("" when it is, or none is imported).
    const std::string& import_problem() const { return import_problem_; }
    // The float model's accuracy on the test split (no formats at all), -1 before it is known:
    // shown first, so data that does not match the model shows at once.
    double float_accuracy() const { return float_acc_; }
    // A real data set for a lesson beside the model (see LabData::fetch).
    const qlab::Dataset* fetch_dataset(const std::string& data) { return data_.fetch(data); }
    // Milliseconds the last import_onnx call took (the file's parse and conversion alone).
    double import_ms() const { return import_ms_; }
    // Leaves the imported model: the lab's own network from the state's keys again.
    void forget_import(const qlab::LabState& s);
    // The network the state describes for the data ("mlp:64-32-10:act=relu", "logreg"), or
    // "onnx:NAME" for an imported model.
    std::string spec(const qlab::LabState& s) const;
    // The one definition of trained: weights loaded from a file, or trained here for at least one
    // batch. Fresh random weights are untrained: analyses show no numbers for them.
    bool trained() const;
    // A run is going (or a worker is still handing back a paused one): the weights change, so
    // analyses wait for a pause.
    bool training() const { return running_ || remote_pausing_; }
    // What an analysis may study now: a trained model whose weights hold still.
    bool analysable() const { return have_model_ && trained() && !training(); }
    // The run goes on in a Web Worker (the job here mirrors it), not in the page's frames.
    bool in_worker() const { return remote_run_ != 0; }
    // Runs handed to a worker so far (a short run may come back before anyone looks).
    long long worker_runs() const { return runs_started_; }
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
    // Where the lessons' analyses run off the UI thread (null: in the frames).
    AnalysisRunner* analysis_runner() const;

  private:
    void rebuild(const qlab::LabState& s);  // the data changed: fresh weights, no run
    void restart(const qlab::LabState& s);  // the training settings changed: fresh weights
    void drop_job();
    bool start_job(const qlab::LabState& s);
    bool ensure_job(const qlab::LabState& s);
    bool load_model_file(const qlab::LabState& s, const std::string& name,
                         const std::string& bytes);
    bool load_data_file(const qlab::LabState& s, const std::string& name, const std::string& bytes);
    void load_onnx(const qlab::LabState& s, const std::string& name, const std::string& bytes,
                   const std::string& url);
    bool install_import(const qlab::LabState& s);  // false: no data of its size (says why)
    void finish_float_pass();                      // the float accuracy known: announce the import
    void advance_predictions(bool in_frame);
    // ---- the run in a Web Worker (lab/train_worker.hpp)
    TrainRunner* runner() const;
    bool start_in_worker();  // false: it trains in the frames
    void take_worker_messages(const qlab::LabState& s);
    void worker_died(const std::string& why);

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
    std::unique_ptr<qlab::ImportedModel> import_;
    std::string import_name_, model_url_, wanted_data_, import_problem_;
    double float_acc_ = -1, import_ms_ = -1;
    bool announce_import_ = false;
    long long remote_run_ = 0, runs_started_ = 0;  // the worker's run (0: none)
    bool remote_pausing_ = false;                  // Pause sent, its checkpoint not back yet
    bool run_after_pause_ = false;                 // Run pressed meanwhile
    long long data_tag_ = 0;                       // changes with the data the split holds
    std::string last_checkpoint_;                  // the run's last exact state from the worker
    int worker_deaths_ = 0;                        // more than kMaxWorkerDeaths: train here
    static constexpr int kMaxWorkerDeaths = 3;

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
    // Starts a pass of the current weights at `eval`; advances it by one frame's share of the
    // test split (all of it between frames) and says whether it is done.
    void start_pass(PendingPredictions& p, qlab::EvalOptions eval) const;
    bool advance_pass(PendingPredictions& p, bool in_frame) const;
    PendingPredictions pending_;
    PendingPredictions float_pass_;  // an imported model's float accuracy
    std::vector<int> test_pred_;
    double test_acc_ = -1;
    ModelVersion predicted_version_;
    std::size_t predicted_history_ = 0;
    double predicted_ms_ = -1e9;
};

// The shared model as standard ONNX at the state's formats (an import's own QDQ formats while
// the state names none), with an import's input shape, QDQ on input and output, and output
// meaning: the bytes `exportModel('onnx')` and the Train lesson's Export button give, the file
// `qlab export` writes for the same model and formats. `notes` gets export_onnx's notes.
qlab::Result<std::string> export_onnx_file(const qlab::LabState& s, const SharedModel& m,
                                           std::vector<std::string>* notes = nullptr);

}  // namespace quantlab
