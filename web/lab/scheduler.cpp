// The per-frame job budget and the round-robin stepping of jobs (see scheduler.hpp).
#include "lab/scheduler.hpp"

#include <algorithm>

namespace quantlab {

namespace {
constexpr std::size_t kIntervalsKept = 120;
constexpr double kBudgetShare = 0.75, kMinBudgetMs = 6, kMaxBudgetMs = 250;
}  // namespace

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

double Scheduler::run(const std::vector<ScheduledJob>& jobs, double budget_ms) {
    const double start = host_.now_ms();
    std::vector<qlab::Job*> running;
    for (const ScheduledJob& j : jobs)
        if (j.job && j.job->running() &&
            std::find(running.begin(), running.end(), j.job) == running.end())
            running.push_back(j.job);
    if (running.empty()) {
        report_failures(jobs);
        return -1;
    }
    do {
        for (qlab::Job* job : running) job->step(1);
        running.erase(std::remove_if(running.begin(), running.end(),
                                     [](const qlab::Job* j) { return !j->running(); }),
                      running.end());
    } while (!running.empty() && host_.now_ms() - start < budget_ms);
    report_failures(jobs);
    const double spent = host_.now_ms() - start;
    ms_this_interval_ += spent;
    return spent;
}

double Scheduler::run_between_frames(const std::vector<ScheduledJob>& jobs, double slice_ms) {
    last_pump_ms_ = host_.now_ms();
    const bool any = std::any_of(jobs.begin(), jobs.end(),
                                 [](const ScheduledJob& j) { return j.job && j.job->running(); });
    if (!any) return -1;
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
