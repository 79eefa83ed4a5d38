// The lessons' long analyses off the UI thread (docs/architecture.md, "Analyses in the Web
// Worker"). A lesson starts a BackgroundAnalysis: where the page has a worker it posts the model,
// the data and the options as bytes, and the worker runs the very job the page would have run,
// sending progress and the result so far; the page keeps a mirror job (progress bars, time left)
// and the decoded result. Without a worker, or when it dies, the job runs in the page's frames as
// before. Both sides are free of the browser, so tests run them in one process.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lab/scheduler.hpp"
#include "qlab/analysis_bytes.hpp"
#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/mlp.hpp"

namespace quantlab {

// What the worker runs: a kind the worker knows ("sensitivity", "sakr", "sakr-sim", "lin-sweep",
// "tradeoff", "bitflip", "ternary", "pareto", "kundu-tables", "sweep", "calibration") over a model
// (null for the sweep: its perceptrons have no model), data (null: none) and that kind's options
// (qlab::to_bytes; "kundu-tables" takes a qlab::KunduTablesRequest, its options with the
// calibration set).
struct AnalysisRequest {
    std::string kind;
    const qlab::Model* model = nullptr;
    const qlab::Dataset* data = nullptr;
    std::string options;
};
std::string request_to_bytes(const AnalysisRequest& request);

// What the worker says about analysis `id`: its progress and result so far while it runs, then
// its end (finished, failed with a message, or cancelled).
struct AnalysisMessage {
    long long id = 0;
    qlab::JobState state = qlab::JobState::running;
    qlab::JobProgress progress;
    std::string message;  // a failure's
    std::string result;   // qlab::to_bytes of the job's result
};
std::string message_to_bytes(const AnalysisMessage& message);
qlab::Result<AnalysisMessage> message_from_bytes(std::string_view bytes);

// The worker's side: builds each request's job, steps the jobs in turn, and says what to send:
// progress at most every kProgressMs per job (its result travels each time), and the end.
class AnalysisWorker {
  public:
    explicit AnalysisWorker(std::function<double()> now_ms);
    ~AnalysisWorker();
    void start(long long id, std::string_view request);  // a bad one is answered "failed"
    void cancel(long long id);
    std::vector<AnalysisMessage> step(double budget_ms);  // a budget of 0 steps one unit
    bool busy() const { return !runs_.empty(); }
    static constexpr double kProgressMs = 150;

  private:
    struct Run;
    std::function<double()> now_ms_;
    std::vector<std::unique_ptr<Run>> runs_;
    std::vector<AnalysisMessage> early_;  // answers to requests refused at start
    std::size_t next_ = 0;                // round robin
};

class RemoteJob;

// The page's side of the worker: posts requests and cancellations, and hands what comes back to
// the mirror jobs. The browser's WorkerLink and the tests' fake implement the posting.
class AnalysisRunner {
  public:
    virtual ~AnalysisRunner();
    virtual bool ready() const = 0;
    // A mirror of the request now running in the worker (ready() must be true).
    std::unique_ptr<RemoteJob> start(const AnalysisRequest& request);
    // From the transport.
    void deliver(std::string_view message_bytes);
    void died(
        const std::string& why);  // every mirror is lost (its BackgroundAnalysis runs it here)
    std::size_t mirrors() const { return mirrors_.size(); }

  protected:
    virtual void post_start(long long id, const std::string& request_bytes) = 0;
    virtual void post_cancel(long long id) = 0;

  private:
    friend class RemoteJob;
    void forget(long long id, bool still_running);
    std::map<long long, RemoteJob*> mirrors_;
    long long next_id_ = 1;
};

// A job that runs in the worker, as the page sees it: progress as last heard, the end as told.
// The scheduler watches it (ScheduledJob::elsewhere) and never steps it. Destroyed or cancelled
// while running, it cancels the worker's job.
class RemoteJob final : public qlab::Job {
  public:
    RemoteJob(AnalysisRunner& runner, long long id) : runner_(&runner), id_(id) {}
    ~RemoteJob() override;
    RemoteJob(const RemoteJob&) = delete;
    RemoteJob& operator=(const RemoteJob&) = delete;
    qlab::JobProgress progress() const override { return progress_; }
    void expect(qlab::JobProgress progress) { progress_ = std::move(progress); }  // until told
    const std::string& result_bytes() const { return result_; }
    long long updates() const { return updates_; }  // messages taken (a new result each)
    bool lost() const { return lost_; }             // the worker died under it

  protected:
    qlab::Status do_unit() override;  // never called: it runs elsewhere
    bool is_done() const override { return false; }

  private:
    friend class AnalysisRunner;
    void take(AnalysisMessage message);
    void lose();
    AnalysisRunner* runner_;
    long long id_;
    qlab::JobProgress progress_;
    std::string result_;
    long long updates_ = 0;
    bool lost_ = false;
};

// A lesson's analysis with result type R: in the worker when the runner is ready, else (or once
// the worker died) job J in the page's frames. result() is the latest result either way.
template <class J, class R>
class BackgroundAnalysis {
  public:
    using MakeLocal = std::function<std::unique_ptr<J>()>;
    // Starts the analysis (dropping any before). `make_local` builds the page's own job; it may
    // keep references to what the lesson owns, and so must the request's model and data.
    // `expected`: the progress to show until the worker's first message (the page may know the
    // total already: a sweep's cells).
    void start(AnalysisRunner* runner, AnalysisRequest request, MakeLocal make_local,
               qlab::JobProgress expected = {}) {
        reset();
        make_local_ = std::move(make_local);
        if (runner && runner->ready()) {
            remote_ = runner->start(request);
            remote_->expect(std::move(expected));
            return;
        }
        local_ = make_local_();
    }
    void reset() {
        remote_.reset(), local_.reset();
        decoded_ = R{};
        decoded_updates_ = -1;
    }
    // The job to show and schedule (null before start); a mirror the worker lost is replaced by
    // the page's own job, from the start.
    qlab::Job* job() {
        if (remote_ && remote_->lost()) {
            remote_.reset();
            local_ = make_local_();
        }
        return remote_ ? static_cast<qlab::Job*>(remote_.get()) : local_.get();
    }
    const qlab::Job* job() const {
        return remote_ ? static_cast<const qlab::Job*>(remote_.get()) : local_.get();
    }
    ScheduledJob scheduled(std::string label) {
        qlab::Job* j = job();
        return {std::move(label), j, remote_ != nullptr};
    }
    bool in_worker() const { return remote_ != nullptr; }
    // The job's own, for a started analysis (job() not null).
    qlab::JobState state() const { return job()->state(); }
    qlab::JobProgress progress() const { return job()->progress(); }
    const qlab::Status& status() const { return job()->status(); }
    // The result so far (as the job's result() would give it); a result from the worker that
    // does not read keeps the last one that did.
    const R& result() const {
        if (local_) return local_->result();
        if (remote_ && remote_->updates() != decoded_updates_) {
            decoded_updates_ = remote_->updates();
            R fresh{};
            if (!remote_->result_bytes().empty() &&
                qlab::from_bytes(remote_->result_bytes(), fresh))
                decoded_ = std::move(fresh);
        }
        return decoded_;
    }

  private:
    std::unique_ptr<RemoteJob> remote_;
    std::unique_ptr<J> local_;
    MakeLocal make_local_;
    mutable R decoded_{};
    mutable long long decoded_updates_ = -1;
};

}  // namespace quantlab
