// One time budget per frame shared by every long job of the lab (docs/architecture.md, "Jobs and
// the scheduler"). Jobs run between frames in slices (the JS shell's pump calls
// run_between_frames), round robin one unit each, so two jobs share the budget and none starves;
// a frame's own CPU time stays small and the jobs use the time the browser would idle.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lab/host.hpp"
#include "qlab/job.hpp"

namespace quantlab {

// A job the lab runs, with the label its progress bar and messages show.
struct ScheduledJob {
    std::string label;  // "training", "accuracy sweep"
    qlab::Job* job;     // null or not running: nothing to run or show
    // The job runs elsewhere (a Web Worker) and this is its mirror: the scheduler only watches
    // its progress (for the time left) and reports its failure, and never steps it.
    bool elsewhere = false;
};

// How long a job has run (wall clock since the scheduler first stepped it) and, from the rate its
// progress fraction grew at since then, about how long it has left (-1: not known yet).
struct JobTiming {
    double elapsed_s = 0, left_s = -1;
};
// "12 s, about 30 s left", "2 min 5 s, about 1 min left", "1 s, estimating".
std::string timing_text(const JobTiming& t);

class Scheduler {
  public:
    explicit Scheduler(Host& host) : host_(host) {}

    // Called as each frame starts: the interval since the last frame feeds the budget.
    void begin_frame(double now_ms);
    // Per frame interval the jobs get 75% of the recent median interval, 6 to 250 ms.
    double budget_ms() const;
    double frame_interval_ms_median() const;  // 16.7 before two frames
    double ms_this_interval() const { return ms_this_interval_; }
    double ms_last_interval() const { return ms_last_interval_; }

    // Steps the running jobs among `jobs` (one step each per round, a job listed twice once)
    // until budget_ms has passed, at least one unit each. A job that has failed is reported once
    // with its label. Returns the milliseconds spent, -1 when none runs.
    double run(const std::vector<ScheduledJob>& jobs, double budget_ms);
    // One slice between frames: at most slice_ms and never past this interval's budget. Returns
    // the ms spent, 0 when the budget is used up, -1 when no job runs.
    double run_between_frames(const std::vector<ScheduledJob>& jobs, double slice_ms);
    // The job's timing as the scheduler saw it step (zero for a job it has not stepped).
    JobTiming timing(const qlab::Job* job) const;
    // Whether the JS pump ran lately; without it the frame itself runs the jobs a little.
    bool pump_is_running(double now_ms) const { return now_ms - last_pump_ms_ <= kPumpGapMs; }

    static constexpr double kPumpGapMs = 250;
    static constexpr double kInFrameMs = 4;  // the frame's own share when no pump runs

  private:
    static std::vector<qlab::Job*> running_jobs(const std::vector<ScheduledJob>& jobs,
                                                bool watched);
    void report_failures(const std::vector<ScheduledJob>& jobs);
    void note_progress(const std::vector<ScheduledJob>& jobs,
                       const std::vector<qlab::Job*>& running);
    struct Seen {
        double start_ms = 0, last_ms = 0, start_fraction = 0, fraction = 0;
    };
    std::map<const qlab::Job*, Seen> seen_;
    Host& host_;
    std::deque<double> intervals_;
    double last_frame_start_ = -1;
    double ms_this_interval_ = 0, ms_last_interval_ = 0;
    double last_pump_ms_ = -1e9;
    std::set<const qlab::Job*> reported_;
};

}  // namespace quantlab
