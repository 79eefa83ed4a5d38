// The scheduler: one time budget per frame shared round robin by every job, measured on a clock
// the test moves (each unit of the fake jobs costs a known number of milliseconds).
#include "lab/scheduler.hpp"

#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::FakeHost;

// A job of `units` units, each advancing the host's clock by `ms`.
class TimedJob final : public qlab::Job {
  public:
    TimedJob(FakeHost& host, long long units, double ms, long long fail_at = -1)
        : host_(host), units_(units), ms_(ms), fail_at_(fail_at) {
        if (units == 0) finish_now();  // nothing to do at all
    }
    qlab::JobProgress progress() const override { return {"working", done_, units_}; }
    long long done() const { return done_; }

  protected:
    qlab::Status do_unit() override {
        host_.now += ms_;
        if (done_ == fail_at_) return qlab::Status::error("out of patience");
        ++done_;
        return qlab::Status::success();
    }
    bool is_done() const override { return done_ >= units_; }

  private:
    FakeHost& host_;
    long long units_, done_ = 0;
    double ms_;
    long long fail_at_;
};

// A job of 100 units at 100 ms each: 25 units in 2.5 s from its first step, so 7.5 s are left at
// that rate; the text rounds to whole seconds (half away from zero).
TEST(Scheduler, ElapsedAndTimeLeftFromTheRateOfProgress) {
    FakeHost host;
    Scheduler s(host);
    TimedJob job(host, 100, 100);
    const std::vector<ScheduledJob> jobs = {{"long", &job}};
    EXPECT_EQ(s.timing(&job).elapsed_s, 0);
    EXPECT_EQ(timing_text(s.timing(&job)), "0 s, estimating");
    s.run(jobs, 50);  // one unit: no rate yet
    EXPECT_LT(s.timing(&job).left_s, 0);
    s.run(jobs, 2400);
    EXPECT_EQ(job.done(), 25);
    const JobTiming t = s.timing(&job);
    EXPECT_NEAR(t.elapsed_s, 2.5, 1e-9);  // from the first step's start to the last's end
    EXPECT_NEAR(t.left_s, 2.5 * 0.75 / 0.25, 1e-9);
    EXPECT_EQ(timing_text(t), "3 s, about 8 s left");
    EXPECT_EQ(timing_text({125, 310}), "2 min 5 s, about 5 min 10 s left");
    EXPECT_EQ(timing_text({4000, -1}), "1 h 6 min, estimating");
    // A job no longer listed is forgotten.
    TimedJob other(host, 10, 1);
    s.run({{"other", &other}}, 1);
    EXPECT_EQ(s.timing(&job).elapsed_s, 0);
}

TEST(Scheduler, TheBudgetIsThreeQuartersOfTheFrameIntervalWithinLimits) {
    FakeHost host;
    Scheduler s(host);
    EXPECT_NEAR(s.budget_ms(), 0.75 * 16.7, 1e-9);  // before two frames: 60 Hz assumed
    for (int i = 0; i < 10; ++i) s.begin_frame(i * 20.0);
    EXPECT_DOUBLE_EQ(s.frame_interval_ms_median(), 20);
    EXPECT_DOUBLE_EQ(s.budget_ms(), 15);
    for (int i = 10; i < 300; ++i) s.begin_frame(20.0 * 10 + (i - 10) * 2.0);
    EXPECT_DOUBLE_EQ(s.budget_ms(), 6);  // at least 6 ms
    Scheduler slow(host);
    for (int i = 0; i < 5; ++i) slow.begin_frame(i * 1000.0);
    EXPECT_DOUBLE_EQ(slow.budget_ms(), 250);  // at most 250 ms
}

TEST(Scheduler, JobsShareTheBudgetRoundRobin) {
    FakeHost host;
    Scheduler s(host);
    TimedJob a(host, 100, 1), b(host, 100, 1);
    const double spent = s.run({{"a", &a}, {"b", &b}, {"a again", &a}}, 10);
    EXPECT_DOUBLE_EQ(spent, 10);
    EXPECT_EQ(a.done(), 5);  // one unit each per round, a listed twice is stepped once a round
    EXPECT_EQ(b.done(), 5);
    EXPECT_DOUBLE_EQ(s.ms_this_interval(), 10);
}

TEST(Scheduler, EveryRunningJobGetsAUnitEvenPastTheBudget) {
    FakeHost host;
    Scheduler s(host);
    TimedJob a(host, 10, 30), b(host, 10, 30);
    s.run({{"a", &a}, {"b", &b}}, 1);
    EXPECT_EQ(a.done(), 1);
    EXPECT_EQ(b.done(), 1);
}

TEST(Scheduler, NothingToRunSaysSo) {
    FakeHost host;
    Scheduler s(host);
    TimedJob done(host, 0, 1);
    EXPECT_EQ(s.run({}, 10), -1);
    EXPECT_EQ(s.run({{"finished", &done}, {"none", nullptr}}, 10), -1);
    EXPECT_EQ(s.run_between_frames({{"finished", &done}}, 4), -1);
}

TEST(Scheduler, SlicesBetweenFramesStopAtTheFramesBudget) {
    FakeHost host;
    Scheduler s(host);
    TimedJob a(host, 1000, 1);
    s.begin_frame(0);
    host.now = 20;
    s.begin_frame(20);  // 20 ms frames: a budget of 15 ms per interval
    ASSERT_DOUBLE_EQ(s.budget_ms(), 15);
    EXPECT_DOUBLE_EQ(s.run_between_frames({{"a", &a}}, 4), 4);
    EXPECT_DOUBLE_EQ(s.run_between_frames({{"a", &a}}, 4), 4);
    EXPECT_DOUBLE_EQ(s.run_between_frames({{"a", &a}}, 4), 4);
    EXPECT_DOUBLE_EQ(s.run_between_frames({{"a", &a}}, 4), 3);  // what is left of 15
    EXPECT_EQ(s.run_between_frames({{"a", &a}}, 4), 0);         // used up until the next frame
    EXPECT_EQ(a.done(), 15);
    EXPECT_TRUE(s.pump_is_running(host.now));
    EXPECT_FALSE(s.pump_is_running(host.now + Scheduler::kPumpGapMs + 1));
    s.begin_frame(host.now);
    EXPECT_DOUBLE_EQ(s.ms_last_interval(), 15);
    EXPECT_GT(s.run_between_frames({{"a", &a}}, 4), 0);
}

TEST(Scheduler, AFailedJobIsReportedOnceWithItsLabel) {
    FakeHost host;
    Scheduler s(host);
    TimedJob bad(host, 10, 1, 2);
    s.run({{"sweep", &bad}}, 100);
    ASSERT_EQ(bad.state(), qlab::JobState::failed);
    s.run({{"sweep", &bad}}, 100);
    s.run({{"sweep", &bad}}, 100);
    ASSERT_EQ(host.messages.size(), 1u);
    EXPECT_EQ(host.messages[0].first, "sweep stopped: out of patience");
    EXPECT_EQ(host.messages[0].second, MessageLevel::error);
}

}  // namespace
}  // namespace quantlab
