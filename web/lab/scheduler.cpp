// The per-frame job budget and the round-robin stepping of jobs (see scheduler.hpp).
#include "lab/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace quantlab {

namespace {
constexpr std::size_t kIntervalsKept = 120;
constexpr double kBudgetShare = 0.75, kMinBudgetMs = 6, kMaxBudgetMs = 250;
// An estimate of the time left needs some progress to extrapolate from.
constexpr double kMinEstimateSeconds = 0.5, kMinEstimateFraction = 0.01;

std::string duration_text(double seconds) {
    char buf[48];
    const long s = std::lround(std::max(0.0, seconds));
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%ld s", s);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%ld min %ld s", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld h %ld min", s / 3600, s % 3600 / 60);
    return buf;
}
}  // namespace

std::string timing_text(const JobTiming& t) {
    return duration_text(t.elapsed_s) +
           (t.left_s < 0 ? ", estimating" : ", about " + duration_text(t.left_s) + " left");
}

JobTiming Scheduler::timing(const qlab::Job* job) const {
    JobTiming t;
    const auto it = seen_.find(job);
    if (it == seen_.end()) return t;
    const Seen& s = it->second;
    t.elapsed_s = (s.last_ms - s.start_ms) / 1000;
    const double done = s.fraction - s.start_fraction;
    if (t.elapsed_s >= kMinEstimateSeconds && done >= kMinEstimateFraction)
        t.left_s = t.elapsed_s * (1 - s.fraction) / done;
    return t;
}

// Each running job's first and latest step time and progress fraction. A job whose fraction
// went back (a new job at a reused address, a run started over) starts a new timing; jobs no
// longer listed are forgotten.
void Scheduler::note_progress(const std::vector<ScheduledJob>& jobs,
                              const std::vector<qlab::Job*>& running) {
    const double now = host_.now_ms();
    for (auto it = seen_.begin(); it != seen_.end();) {
        const bool listed = std::any_of(jobs.begin(), jobs.end(),
                                        [&](const ScheduledJob& j) { return j.job == it->first; });
        it = listed ? std::next(it) : seen_.erase(it);
    }
    for (const qlab::Job* job : running) {
        const double f = job->progress().fraction();
        auto [it, fresh] = seen_.try_emplace(job);
        Seen& s = it->second;
        if (fresh || f + 1e-12 < s.fraction) s = Seen{now, now, f, f};
        s.last_ms = now;
        s.fraction = f;
    }
}

void Scheduler::begin_frame(double now_ms) {
    if (last_frame_start_ >= 0) {
        intervals_.push_back(now_ms - last_frame_start_);
        if (intervals_.size() > kIntervalsKept) intervals_.pop_front();
    }
    last_frame_start_ = now_ms;
    ms_last_interval_ = ms_this_interval_;
    ms_this_interval_ = 0;
}

double Scheduler::frame_interval_ms_median() const {
    if (intervals_.empty()) return 16.7;
    std::vector<double> sorted(intervals_.begin(), intervals_.end());
    const auto mid = sorted.begin() + static_cast<long>(sorted.size() / 2);
    std::nth_element(sorted.begin(), mid, sorted.end());
    return *mid;
}

double Scheduler::budget_ms() const {
    return std::clamp(kBudgetShare * frame_interval_ms_median(), kMinBudgetMs, kMaxBudgetMs);
}

// The running jobs, each once: those to step here, or with `watched` also those elsewhere.
std::vector<qlab::Job*> Scheduler::running_jobs(const std::vector<ScheduledJob>& jobs,
                                                bool watched) {
    std::vector<qlab::Job*> running;
    for (const ScheduledJob& j : jobs)
        if (j.job && j.job->running() && (watched || !j.elsewhere) &&
            std::find(running.begin(), running.end(), j.job) == running.end())
            running.push_back(j.job);
    return running;
}

double Scheduler::run(const std::vector<ScheduledJob>& jobs, double budget_ms) {
    const double start = host_.now_ms();
    std::vector<qlab::Job*> running = running_jobs(jobs, false);
    if (running.empty()) {
        note_progress(jobs, running_jobs(jobs, true));
        report_failures(jobs);
        return -1;
    }
    note_progress(jobs, running_jobs(jobs, true));
    do {
        for (qlab::Job* job : running) job->step(1);
        running.erase(std::remove_if(running.begin(), running.end(),
                                     [](const qlab::Job* j) { return !j->running(); }),
                      running.end());
    } while (!running.empty() && host_.now_ms() - start < budget_ms);
    note_progress(jobs, running_jobs(jobs, true));
    report_failures(jobs);
    const double spent = host_.now_ms() - start;
    ms_this_interval_ += spent;
    return spent;
}

double Scheduler::run_between_frames(const std::vector<ScheduledJob>& jobs, double slice_ms) {
    last_pump_ms_ = host_.now_ms();
    if (running_jobs(jobs, false).empty()) {
        note_progress(jobs, running_jobs(jobs, true));
        report_failures(jobs);
        return -1;
    }
    const double left = budget_ms() - ms_this_interval_;
    if (left <= 0) return 0;
    return std::max(1e-3, run(jobs, std::min(slice_ms, left)));
}

void Scheduler::report_failures(const std::vector<ScheduledJob>& jobs) {
    for (const ScheduledJob& j : jobs) {
        if (!j.job) continue;
        // A running job at a reported address is a new job there: it may fail and say so too.
        if (j.job->running()) reported_.erase(j.job);
        if (j.job->state() == qlab::JobState::failed && reported_.insert(j.job).second)
            host_.report(j.label + " stopped: " + j.job->status().message(), MessageLevel::error);
    }
}

}  // namespace quantlab
