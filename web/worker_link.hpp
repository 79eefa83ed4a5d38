// The page's side of the Web Worker (web/quantlab-worker.js): a TrainRunner that posts the shared
// model's run to the worker through the JS shell and queues what comes back, and an
// AnalysisRunner that posts the lessons' analyses and hands their messages to the mirror jobs
// (bindings.cpp's workerReady / workerMessage / workerAnalysis / workerDied deliver them).
#pragma once

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/train_worker.hpp"

namespace quantlab {

class WorkerLink final : public TrainRunner, public AnalysisRunner {
  public:
    bool ready() const override { return ready_; }
    void send_data(long long tag, const qlab::Split& split) override;
    void start(long long run, const std::string& model_json,
               const std::string& checkpoint) override;
    void pause(long long run) override;
    void stop() override;
    void set_update_rounding(long long run, qlab::Rounding rounding) override;
    void set_epochs(long long run, int epochs) override;
    std::vector<RunnerMessage> take() override;

    // ---- from the JS shell
    void on_ready() { ready_ = true; }
    void on_message(RunnerMessage message) {
        inbox_.push_back(std::move(message));
        queue_peak_ = std::max(queue_peak_, inbox_.size());
    }
    // Messages not yet taken. Frames take them; where no frame comes (a hidden tab pauses
    // requestAnimationFrame, the worker does not pause) bindings.cpp takes them once there are
    // kMaxQueued, so a long run in a background tab does not pile up its progress saves.
    std::size_t queued() const { return inbox_.size(); }
    static constexpr std::size_t kMaxQueued = 4;
    std::size_t queue_peak() const { return queue_peak_; }  // metrics().worker_queue_peak
    // The worker died (the shell restarts it): the run it had is lost; ready again once it is up.
    void on_died(const std::string& why);
    // What metrics() says: "off" (no worker: the frames train), "starting", "ready".
    const char* status() const;
    bool enabled = false;  // the shell made a worker (set at start-up)
    long long analyses_posted() const { return analyses_posted_; }  // metrics().worker_analyses

  protected:
    void post_start(long long id, const std::string& request) override;
    void post_cancel(long long id) override;

  private:
    bool ready_ = false;
    long long data_tag_ = -1, run_ = 0;
    std::deque<RunnerMessage> inbox_;
    std::size_t queue_peak_ = 0;
    long long analyses_posted_ = 0;
};

}  // namespace quantlab
