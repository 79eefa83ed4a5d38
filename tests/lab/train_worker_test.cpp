// Training in a Web Worker, without a browser: the shared model hands its run to a TrainRunner
// (here the worker's side in-process), mirrors its progress, takes it back exactly on Pause and at
// the end, follows live settings, survives a worker that dies, and gives bit for bit the run the
// page's own frames give.
#include "lab/train_worker.hpp"

#include <gtest/gtest.h>

#include "fake_runner.hpp"
#include "lab/scheduler.hpp"
#include "lab/shared_model.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::FakeRunner;
using test::state_with;

qlab::LabState circle_state(const char* epochs = "3") {
    return state_with({{"panel", "train"},
                       {"data", "circle"},
                       {"hidden", "16"},
                       {"epochs", epochs},
                       {"updates", "fixed:w=12,f=9"},
                       {"urounding", "stochastic"}});
}

// The same run trained in the page's frames (no worker), to the end.
qlab::Model trained_in_frames(const qlab::LabState& s, qlab::TrainReport* report = nullptr) {
    FakeHost host;
    SharedModel m(host);
    m.sync(s);
    m.set_running(s, true);
    EXPECT_FALSE(m.in_worker());
    while (m.running()) {
        for (ScheduledJob& j : m.jobs()) j.job->step(1);
        m.tick(s, false);
    }
    if (report) *report = m.job()->report();
    return m.model();
}

void expect_same_weights(const qlab::Model& a, const qlab::Model& b) {
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        EXPECT_EQ(a.layers[l].weight, b.layers[l].weight) << "layer " << l;
        EXPECT_EQ(a.layers[l].bias, b.layers[l].bias) << "layer " << l;
    }
}

// The page's shared model with the worker's side in-process as its runner.
class TrainWorker : public ::testing::Test {
  protected:
    TrainWorker() { host.runner = &runner; }
    FakeHost host;
    FakeRunner runner{host};
    SharedModel m{host};
};

TEST_F(TrainWorker, TheRunInTheWorkerIsMirroredAndNotSteppedHere) {
    Scheduler scheduler(host);
    const qlab::LabState s = circle_state();
    m.sync(s);
    m.set_running(s, true);
    ASSERT_TRUE(m.in_worker());
    EXPECT_EQ(runner.starts, 1);
    EXPECT_EQ(runner.data_sent, 1);
    // The scheduler watches the mirror but never steps it.
    ASSERT_EQ(m.jobs().size(), 1u);
    EXPECT_TRUE(m.jobs()[0].elsewhere);
    EXPECT_EQ(scheduler.run(m.jobs(), 50), -1);
    EXPECT_EQ(m.batches_done(), 0);
    EXPECT_EQ(m.step(s, 3), 0);  // Step while the worker has the run does nothing here
    // 12 batches in the worker, 10 ms each: progress every 100 ms reaches the page.
    runner.pump(12);
    m.tick(s, false);
    EXPECT_EQ(m.batches_done(), 10);  // the last progress went out after the tenth
    EXPECT_TRUE(m.trained());
    EXPECT_TRUE(m.training());
    EXPECT_FALSE(m.analysable());
    EXPECT_EQ(m.job()->batches().size(), 10u);
    EXPECT_EQ(m.status_text().rfind("running in a worker: epoch 1 of 3, batch 10 of 13", 0), 0u)
        << m.status_text();
    EXPECT_FALSE(m.job()->exact());
    EXPECT_GT(scheduler.timing(m.job()).elapsed_s, -1);  // watched
    // Pause: the worker hands the run back as a checkpoint; until then the model is not still.
    m.set_running(s, false);
    EXPECT_TRUE(m.training());
    EXPECT_EQ(m.state_word(), "pausing");
    runner.pump();
    m.tick(s, false);
    EXPECT_FALSE(m.in_worker());
    EXPECT_FALSE(m.training());
    EXPECT_TRUE(m.analysable());
    EXPECT_TRUE(m.job()->exact());
    EXPECT_EQ(m.batches_done(), 12);
    EXPECT_EQ(m.state_word(), "paused");
}

// Bug: Step on a fresh model handed its new job to the worker and then stepped it here too, so
// the worker's progress overwrote the batches Step had trained.
TEST_F(TrainWorker, StepOnAFreshModelTrainsHereAndHandsNothingOver) {
    const qlab::LabState s = circle_state();
    m.sync(s);
    EXPECT_EQ(m.step(s, 5), 5);
    EXPECT_FALSE(m.in_worker());
    EXPECT_FALSE(m.running());
    EXPECT_EQ(runner.starts, 0);
    EXPECT_TRUE(m.job()->exact());
    runner.pump(20);
    m.tick(s, false);
    EXPECT_EQ(m.batches_done(), 5);
}

TEST_F(TrainWorker, CancelStopsTheRunInTheWorker) {
    const qlab::LabState s = circle_state();
    m.sync(s);
    m.set_running(s, true);
    runner.pump(12);
    m.tick(s, false);
    m.jobs()[0].job->cancel();  // the shell's Cancel
    m.tick(s, false);
    EXPECT_FALSE(m.running());
    EXPECT_FALSE(m.in_worker());
    EXPECT_FALSE(runner.busy());
    const qlab::Model kept = m.model();
    runner.pump(5);
    m.tick(s, false);
    EXPECT_EQ(m.model().layers[0].weight, kept.layers[0].weight);
    EXPECT_EQ(m.job()->state(), qlab::JobState::cancelled);
    m.set_running(s, true);  // a cancelled run starts over, in the worker
    EXPECT_TRUE(m.in_worker());
    EXPECT_EQ(m.batches_done(), 0);
}

TEST_F(TrainWorker, PausingStepsAndRunsAgainGiveTheFramesRunBitForBit) {
    const qlab::LabState s = circle_state();
    qlab::TrainReport expected;
    const qlab::Model reference = trained_in_frames(s, &expected);
    m.sync(s);
    m.set_running(s, true);
    runner.pump(7);
    m.set_running(s, false);
    m.set_running(s, true);  // Run again before the paused run is back: it runs once it is
    runner.pump();
    m.tick(s, false);
    ASSERT_TRUE(m.in_worker());
    EXPECT_EQ(runner.starts, 2);
    EXPECT_EQ(runner.data_sent, 1);  // the same data is not sent again
    runner.pump(30);                 // past the first epoch's end and its accuracy
    m.set_running(s, false);
    runner.pump();
    m.tick(s, false);
    ASSERT_FALSE(m.in_worker());
    EXPECT_GT(m.step(s, 2), 0);  // Step trains here, on the exact run
    m.set_running(s, true);
    while (runner.busy()) runner.pump(20);
    m.tick(s, false);
    EXPECT_FALSE(m.running());
    EXPECT_FALSE(m.in_worker());
    EXPECT_EQ(m.job()->state(), qlab::JobState::finished);
    expect_same_weights(m.model(), reference);
    ASSERT_EQ(m.job()->report().history.size(), expected.history.size());
    for (std::size_t e = 0; e < expected.history.size(); ++e)
        EXPECT_EQ(m.job()->report().history[e].test_accuracy, expected.history[e].test_accuracy);
    EXPECT_EQ(m.job()->batches().size(), m.job()->batches().back().step);
}

TEST_F(TrainWorker, LiveSettingsReachTheWorker) {
    qlab::LabState s = circle_state();
    m.sync(s);
    m.set_running(s, true);
    runner.pump(3);
    s = state_with({{"panel", "train"},
                    {"data", "circle"},
                    {"hidden", "16"},
                    {"epochs", "1"},
                    {"updates", "fixed:w=12,f=9"},
                    {"urounding", "nearest"}});
    m.on_state_changed(s, {"urounding", "epochs"});
    while (runner.busy()) runner.pump(5);
    m.tick(s, false);
    EXPECT_EQ(m.job()->update_rounding(), qlab::Rounding::nearest_even);
    EXPECT_EQ(m.job()->epochs(), 1);
    EXPECT_EQ(m.job()->state(), qlab::JobState::finished);
    EXPECT_EQ(m.job()->report().history.size(), 1u);
    EXPECT_FALSE(m.running());
}

TEST_F(TrainWorker, AWorkerThatDiesIsRestartedFromTheLastCheckpointThenTheFramesTakeOver) {
    const qlab::LabState s = circle_state("40");  // 13 batches an epoch
    const qlab::Model reference = trained_in_frames(s);
    m.sync(s);
    m.set_running(s, true);
    runner.pump(250);  // 2.5 s: a checkpoint at 2 s (batch 200 or so)
    m.tick(s, false);
    const long long seen = m.batches_done();
    runner.kill("out of memory");
    m.tick(s, false);
    EXPECT_TRUE(host.said("training worker: out of memory; the run goes on from batch"));
    EXPECT_TRUE(host.said("in a restarted worker"));
    EXPECT_LT(m.batches_done(), seen);  // back to the checkpoint
    EXPECT_GT(m.batches_done(), 0);
    EXPECT_TRUE(m.in_worker());
    EXPECT_EQ(runner.data_sent, 2);  // the new worker gets the data again
    for (int death = 2; death <= 4; ++death) {
        runner.pump(3);
        runner.kill("crashed");
        m.tick(s, false);
    }
    EXPECT_TRUE(host.said("here, in the page's frames"));
    EXPECT_FALSE(m.in_worker());
    ASSERT_TRUE(m.running());
    ASSERT_EQ(m.jobs().size(), 1u);
    EXPECT_FALSE(m.jobs()[0].elsewhere);
    while (m.running()) {
        for (ScheduledJob& j : m.jobs()) j.job->step(1);
        m.tick(s, false);
    }
    expect_same_weights(m.model(), reference);  // nothing lost or done twice
}

TEST_F(TrainWorker, WithoutAWorkerTheFramesTrainAndARefusedRunSaysWhy) {
    runner.up = false;  // no worker: the frames train
    const qlab::LabState s = circle_state();
    m.sync(s);
    m.set_running(s, true);
    EXPECT_FALSE(m.in_worker());
    EXPECT_EQ(runner.starts, 0);
    m.set_running(s, false);
    // A worker that cannot take the run says why; the run goes on from where it was.
    runner.up = true;
    runner.refuse = "out of memory";
    m.set_running(s, true);
    const long long batches = m.batches_done();
    m.tick(s, false);
    EXPECT_TRUE(host.said("training worker: out of memory; the run goes on from batch " +
                          std::to_string(batches)));
    EXPECT_TRUE(m.running());
    EXPECT_EQ(runner.starts, 2);  // tried once more, in a restarted worker
}

}  // namespace
}  // namespace quantlab
