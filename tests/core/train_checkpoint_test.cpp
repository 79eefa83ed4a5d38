// TrainJob::save / restore: a run handed to another job (the lab's Web Worker) at any batch and
// back goes on bit for bit as the uninterrupted run, for every optimizer and stochastic updates;
// a progress save makes a mirror that shows the run but cannot step; bad bytes change nothing.
#include <gtest/gtest.h>

#include "qlab/mlp.hpp"

namespace qlab {
namespace {

constexpr const char* kSpec = "mlp:2-8-8-2";

Split circle() {
    return split_dataset(*load_data_spec("synth:circle:n=300,noise=0.05"), 0.25, 1);
}

TrainOptions options(Optimizer optimizer) {
    TrainOptions o;
    o.optimizer = optimizer;
    o.learning_rate = optimizer == Optimizer::sgd ? 0.1f : 0.01f;
    o.lr_decay = 0.9f;
    o.epochs = 3;
    o.batch = 32;
    o.seed = 9;
    o.dropout = 0.1f;  // draws from the job's generator between batches
    o.roles.updates = "fixed:w=12,f=9";
    o.roles.update_rounding = Rounding::stochastic;
    return o;
}

void expect_same_weights(const Model& a, const Model& b) {
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        EXPECT_EQ(a.layers[l].weight, b.layers[l].weight) << "layer " << l;
        EXPECT_EQ(a.layers[l].bias, b.layers[l].bias) << "layer " << l;
    }
}

// Steps `job` to `batches` batches done (with an epoch's evaluation when the last one ends it).
void step_to(TrainJob& job, long long batches) {
    job.step_batches(batches - job.batches_done());
}

TEST(TrainCheckpoint, AHandOverAtAnyBatchGoesOnBitForBitForEveryOptimizer) {
    const Split s = circle();
    for (Optimizer optimizer : all_optimizers()) {
        SCOPED_TRACE(optimizer_name(optimizer));
        const TrainOptions o = options(optimizer);
        Model whole = *make_model(kSpec, 2, 2, 4);
        TrainJob uninterrupted(whole, s.train, &s.test, o);
        while (uninterrupted.step(1)) {
        }
        for (long long at : {1LL, 7LL, 8LL, 13LL}) {  // mid-epoch, an epoch's end, the next one
            SCOPED_TRACE(at);
            Model here = *make_model(kSpec, 2, 2, 4);
            TrainJob first(here, s.train, &s.test, o);
            step_to(first, at);
            ASSERT_FALSE(first.evaluating());
            const std::string bytes = first.save(TrainJob::Saved::checkpoint);
            // The other side builds its job from the save's options over a model of the shape.
            const Result<TrainOptions> saved = TrainJob::saved_options(bytes);
            ASSERT_TRUE(saved.ok());
            EXPECT_EQ(saved->epochs, 3);
            EXPECT_EQ(saved->roles.update_rounding, Rounding::stochastic);
            // The shape alone, as the lab's worker gets it: the save brings every weight.
            Model there =
                *model_from_json(model_to_json(here, ModelWeights::omitted), ModelWeights::omitted);
            TrainJob second(there, s.train, &s.test, *saved);
            ASSERT_TRUE(second.restore(bytes).ok());
            EXPECT_TRUE(second.exact());
            EXPECT_EQ(second.batches_done(), at);
            EXPECT_EQ(second.progress().done, first.progress().done);
            while (second.step(1)) {
            }
            EXPECT_EQ(second.state(), JobState::finished);
            expect_same_weights(there, whole);
            ASSERT_EQ(second.report().history.size(), 3u);
            for (std::size_t e = 0; e < 3; ++e)
                EXPECT_EQ(second.report().history[e].loss, uninterrupted.report().history[e].loss);
            EXPECT_EQ(second.report().lost_updates, uninterrupted.report().lost_updates);
            EXPECT_EQ(second.batches().size(), 24u);
            EXPECT_EQ(second.batches().back().loss, uninterrupted.batches().back().loss);
            EXPECT_EQ(second.report().test_accuracy, uninterrupted.report().test_accuracy);
        }
    }
}

TEST(TrainCheckpoint, AProgressSaveMakesAMirrorThatShowsTheRunButCannotStep) {
    const Split s = circle();
    const TrainOptions o = options(Optimizer::adam);
    Model worker_model = *make_model(kSpec, 2, 2, 4);
    TrainJob worker(worker_model, s.train, &s.test, o);
    Model page_model = *make_model(kSpec, 2, 2, 4);
    TrainJob page(page_model, s.train, &s.test, o);
    step_to(worker, 5);
    ASSERT_TRUE(page.restore(worker.save(TrainJob::Saved::progress)).ok());
    EXPECT_FALSE(page.exact());
    expect_same_weights(page_model, worker_model);
    EXPECT_EQ(page.batches_done(), 5);
    EXPECT_EQ(page.batches().size(), 5u);
    // The next save sends only the records after the 5 the page has; the epoch's end is there.
    step_to(worker, 7);
    worker.step(1);  // epoch 1's last batch: its accuracy is counted next, and the mirror says so
    ASSERT_TRUE(worker.evaluating());
    ASSERT_TRUE(page.restore(worker.save(TrainJob::Saved::progress, 5)).ok());
    EXPECT_TRUE(page.evaluating());
    EXPECT_EQ(page.progress().stage, "epoch 1 of 3: accuracy");
    step_to(worker, 9);
    ASSERT_TRUE(page.restore(worker.save(TrainJob::Saved::progress, 8)).ok());
    ASSERT_EQ(page.batches().size(), 9u);
    for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(page.batches()[i].loss, worker.batches()[i].loss);
    ASSERT_EQ(page.report().history.size(), 1u);
    EXPECT_EQ(page.report().history[0].test_accuracy, worker.report().history[0].test_accuracy);
    EXPECT_EQ(page.epoch_loss(), worker.epoch_loss());
    EXPECT_EQ(page.epoch(), 2);
    // A mirror never steps on its stale optimizer: it fails and says why.
    EXPECT_FALSE(page.step(1));
    EXPECT_EQ(page.state(), JobState::failed);
    EXPECT_NE(page.status().message().find("elsewhere"), std::string::npos);
    // A checkpoint makes it exact and running again, and it goes on as the worker does.
    ASSERT_TRUE(page.restore(worker.save(TrainJob::Saved::checkpoint)).ok());
    EXPECT_TRUE(page.exact());
    EXPECT_TRUE(page.running());
    step_to(page, 20), step_to(worker, 20);
    expect_same_weights(page_model, worker_model);
}

TEST(TrainCheckpoint, TheJobsEndAndItsLiveSettingsTravel) {
    const Split s = circle();
    TrainOptions o = options(Optimizer::momentum);
    Model a = *make_model(kSpec, 2, 2, 4);
    TrainJob worker(a, s.train, &s.test, o);
    worker.set_update_rounding(Rounding::nearest_even);
    worker.set_epochs(2);
    while (worker.step(1)) {
    }
    Model b = *make_model(kSpec, 2, 2, 4);
    TrainJob page(b, s.train, &s.test, o);
    ASSERT_TRUE(page.restore(worker.save(TrainJob::Saved::checkpoint)).ok());
    EXPECT_EQ(page.state(), JobState::finished);
    EXPECT_EQ(page.epochs(), 2);
    EXPECT_EQ(page.update_rounding(), Rounding::nearest_even);
    EXPECT_EQ(page.report().test_accuracy, worker.report().test_accuracy);
    // A run that failed (it diverged) carries its message.
    o.learning_rate = 1e30f;
    o.roles.updates.clear();
    Model c = *make_model(kSpec, 2, 2, 4);
    TrainJob diverging(c, s.train, &s.test, o);
    while (diverging.step(1)) {
    }
    ASSERT_EQ(diverging.state(), JobState::failed);
    Model d = *make_model(kSpec, 2, 2, 4);
    TrainJob shown(d, s.train, &s.test, o);
    ASSERT_TRUE(shown.restore(diverging.save(TrainJob::Saved::progress)).ok());
    EXPECT_EQ(shown.state(), JobState::failed);
    EXPECT_EQ(shown.status().message(), diverging.status().message());
}

TEST(TrainCheckpoint, BadOrMismatchedBytesAreRefusedAndChangeNothing) {
    const Split s = circle();
    const TrainOptions o = options(Optimizer::adam);
    Model a = *make_model(kSpec, 2, 2, 4);
    TrainJob worker(a, s.train, &s.test, o);
    step_to(worker, 3);
    const std::string bytes = worker.save(TrainJob::Saved::checkpoint);
    Model b = *make_model(kSpec, 2, 2, 5);
    TrainJob page(b, s.train, &s.test, o);
    const Model before = b;  // after the job put its weights in the updates' format
    const auto refused = [&](const std::string& bad) {
        const Status st = page.restore(bad);
        EXPECT_FALSE(st.ok());
        EXPECT_EQ(page.batches_done(), 0);
        EXPECT_TRUE(page.exact());
        expect_same_weights(b, before);
        return st.message();
    };
    EXPECT_NE(refused("").find("not a saved training run"), std::string::npos);
    EXPECT_NE(refused("QLTJ garbage").find("not a saved training run"), std::string::npos);
    for (std::size_t cut : {std::size_t{20}, bytes.size() / 2, bytes.size() - 1})
        EXPECT_NE(refused(bytes.substr(0, cut)).find("does not fit"), std::string::npos) << cut;
    EXPECT_NE(refused(bytes + "x").find("left over"), std::string::npos);
    // Another shape: a wider hidden layer.
    Model wide = *make_model("mlp:2-9-8-2", 2, 2, 4);
    TrainJob other(wide, s.train, &s.test, o);
    EXPECT_NE(refused(other.save(TrainJob::Saved::checkpoint)).find("does not fit"),
              std::string::npos);
    EXPECT_FALSE(TrainJob::saved_options("nope").ok());
    // And the real one still fits.
    EXPECT_TRUE(page.restore(bytes).ok());
    EXPECT_EQ(page.batches_done(), 3);
}

}  // namespace
}  // namespace qlab
