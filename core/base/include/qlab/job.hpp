// Long work as a resumable job: step(budget) does a bounded piece, progress() says where it is,
// cancel() stops it. The CLI loops over a job to the end; the lab steps it inside each frame's
// time budget. One code path for both (docs/architecture.md,
// as ggml_opt_epoch sits beside ggml_opt_fit).
#pragma once

#include <functional>
#include <string>

#include "qlab/status.hpp"

namespace qlab {

struct JobProgress {
    std::string stage;    // what it is doing now, e.g. "epoch 3 of 10"
    long long done = 0;   // units finished (a unit is job-defined: a batch, an update, a grid cell)
    long long total = 0;  // units in all, 0 when not known in advance
    double fraction() const {
        return total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    }
};

enum class JobState { running, finished, cancelled, failed };
// "running", "finished", "cancelled" or "failed": the one text for a job's state (the CLI, the
// lab's progress bars, metrics() and the lessons all print this).
const char* job_state_name(JobState state);

class Job {
  public:
    virtual ~Job() = default;

    // Does at most `units` units of work (at least one unless the job is over). The caller
    // measures time, so the core stays free of clocks and a seed gives the same result whether a
    // job ran in one call or in a thousand. Returns true while work remains.
    bool step(long long units = 1) {
        if (state_ != JobState::running) return false;
        for (long long i = 0; i < units && state_ == JobState::running; ++i) {
            Status s = do_unit();
            if (!s) {
                status_ = std::move(s);
                state_ = JobState::failed;
            } else if (is_done()) {
                state_ = JobState::finished;
            }
        }
        return state_ == JobState::running;
    }
    virtual JobProgress progress() const = 0;
    void cancel() {
        if (state_ == JobState::running) state_ = JobState::cancelled;
    }

    JobState state() const { return state_; }
    bool running() const { return state_ == JobState::running; }
    // The failure's message (empty unless state() is failed).
    const Status& status() const { return status_; }

  protected:
    // One unit of work; an error stops the job with that message.
    virtual Status do_unit() = 0;
    // True once every unit is done (checked after each unit, and before the first).
    virtual bool is_done() const = 0;
    // A job that has nothing to do at all calls this from its constructor.
    void finish_now() { state_ = JobState::finished; }
    void fail_now(Status s) {
        status_ = std::move(s);
        state_ = JobState::failed;
    }
    // A job restored from another copy of itself (TrainJob::restore) takes that copy's state.
    void restore_state(JobState state, Status status) {
        state_ = state;
        status_ = std::move(status);
    }

  private:
    JobState state_ = JobState::running;
    Status status_ = Status::success();
};

// Runs a job to its end, calling on_progress after every `units_per_call` units.
inline Status run_job(Job& job, const std::function<void(const JobProgress&)>& on_progress = {},
                      long long units_per_call = 1) {
    while (job.step(units_per_call))
        if (on_progress) on_progress(job.progress());
    if (on_progress) on_progress(job.progress());
    if (job.state() == JobState::failed) return job.status();
    if (job.state() == JobState::cancelled) return Status::error("cancelled");
    return Status::success();
}

}  // namespace qlab
