// Training off the UI thread (docs/architecture.md, "Training in a Web Worker"). The page's
// shared model hands a run to a TrainRunner (in the browser: a Web Worker running the same
// WebAssembly) as a checkpoint, mirrors the progress it sends back, and takes the run back as a
// checkpoint when it pauses, ends or fails. TrainWorker is the worker's side; both are free of
// the browser, so tests run them in one process.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/mlp.hpp"

namespace quantlab {

// What the worker sends back about run `run`.
struct RunnerMessage {
    enum class Kind {
        progress,    // a TrainJob progress save: weights, position, history, new batch records
        checkpoint,  // a TrainJob checkpoint; `last`: the run stopped there (paused or over)
        failed,      // the run could not start: `text` says why
        died         // the worker stopped (and is being restarted): `text` says why
    };
    long long run = 0;
    Kind kind = Kind::progress;
    std::string bytes;
    bool last = false;
    std::string text;
};

// Where the page's training runs when it does not run in the page's own frames.
class TrainRunner {
  public:
    virtual ~TrainRunner() = default;
    // The worker is up and takes runs (false: the page trains in its frames).
    virtual bool ready() const = 0;
    // The data split to train on, tagged: sent again only when the tag changes (or the worker
    // was restarted).
    virtual void send_data(long long tag, const qlab::Split& split) = 0;
    // Drops any run and starts run `run` over the last data sent: a model of this shape (model
    // JSON) and the job restored from `checkpoint` (TrainJob::save).
    virtual void start(long long run, const std::string& model_json,
                       const std::string& checkpoint) = 0;
    virtual void pause(long long run) = 0;  // answered by a last checkpoint
    virtual void stop() = 0;                // drops the run; what it still sends is ignored
    virtual void set_update_rounding(long long run, qlab::Rounding rounding) = 0;
    virtual void set_epochs(long long run, int epochs) = 0;
    // What arrived since the last call, in order.
    virtual std::vector<RunnerMessage> take() = 0;
};

// The worker's side: holds the data, the model and the job, steps it in slices and says what
// to send back: progress at a bounded rate, a checkpoint now and then (so a worker that dies
// loses little), and a last checkpoint when the run pauses or ends.
class TrainWorker {
  public:
    explicit TrainWorker(std::function<double()> now_ms) : now_ms_(std::move(now_ms)) {}
    ~TrainWorker();
    void set_data(qlab::Split split);
    // "" when the run started; else why not (and no run).
    std::string start(long long run, const std::string& model_json, const std::string& checkpoint);
    void pause(long long run);  // the next step() ends an evaluation in progress and answers
    void stop();
    void set_update_rounding(long long run, qlab::Rounding rounding);
    void set_epochs(long long run, int epochs);
    // Steps the run for about `budget_ms`; what to send back.
    std::vector<RunnerMessage> step(double budget_ms);
    bool busy() const;  // a run to step (or a pause to answer)

    // Progress goes out at most every kProgressMs, and no faster than kProgressBytesPerMs
    // allows for a big model (its weights travel each time); a checkpoint every kCheckpointMs.
    static constexpr double kProgressMs = 100;
    static constexpr double kProgressBytesPerMs = 40e3;  // 40 MB/s
    static constexpr double kCheckpointMs = 2000;

  private:
    RunnerMessage checkpoint(bool last) const;
    std::function<double()> now_ms_;
    qlab::Split split_;
    qlab::Model model_;
    std::unique_ptr<qlab::TrainJob> job_;
    long long run_ = 0;
    bool pausing_ = false;
    std::size_t records_sent_ = 0;
    double last_progress_ms_ = -1e300, last_checkpoint_ms_ = -1e300, progress_gap_ms_ = kProgressMs;
};

}  // namespace quantlab
