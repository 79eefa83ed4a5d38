// Long work as jobs: MLP training, the quantized perceptron / Frank-Wolfe and format sweeps,
// stepped one unit at a time, give exactly what the one-shot calls give; progress, cancel,
// failures, switching the update rounding mid-run, sinks, and grid expansion.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/perceptron.hpp"
#include "qlab/sweep.hpp"

namespace qlab {
namespace {

Dataset tiny(const std::vector<std::vector<float>>& rows, const std::vector<int>& labels) {
    Dataset d;
    d.name = "tiny";
    d.features = static_cast<int>(rows.front().size());
    d.classes = 2;
    for (const auto& r : rows) d.x.insert(d.x.end(), r.begin(), r.end());
    d.y = labels;
    return d;
}

TrainOptions small_training() {
    TrainOptions o;
    o.learning_rate = 0.01f;
    o.epochs = 3;
    o.batch = 32;
    o.seed = 9;
    o.dropout = 0.1f;  // draws from the job's generator between batches too
    o.roles.updates = "fixed:w=12,f=9";
    o.roles.update_rounding = Rounding::stochastic;
    return o;
}

TEST(TrainJob, SteppingOneBatchAtATimeIsBitIdenticalToTrainModel) {
    const Split s = split_dataset(*load_data_spec("synth:circle:n=300,noise=0.05"), 0.25, 1);
    const TrainOptions o = small_training();
    Model once = *make_model("mlp:2-8-8-2", 2, 2, 4);
    const TrainReport expected = *train_model(once, s.train, &s.test, o);

    Model stepped = *make_model("mlp:2-8-8-2", 2, 2, 4);
    TrainJob job(stepped, s.train, &s.test, o);
    ASSERT_EQ(s.train.size(), 225u);
    EXPECT_EQ(job.batches_per_epoch(), 8);  // ceil(225 / 32)
    EXPECT_EQ(job.progress().total, 24);
    // A unit is a batch, or after an epoch's last batch a chunk of its evaluation (225 train rows
    // and 75 test rows: one chunk each), during which progress stays at the epoch's end.
    long long units = 0, batches = 0;
    while (job.running()) {
        EXPECT_EQ(job.progress().done, batches);
        EXPECT_EQ(job.batches_done(), batches);
        const bool evaluating = job.evaluating();
        EXPECT_EQ(evaluating,
                  batches > 0 && batches % 8 == 0 &&
                      static_cast<long long>(job.report().history.size()) < batches / 8);
        if (evaluating) {
            EXPECT_EQ(job.progress().stage,
                      "epoch " + std::to_string(batches / 8) + " of 3: accuracy");
        }
        job.step(1);
        ++units;
        if (!evaluating) ++batches;
    }
    EXPECT_EQ(job.state(), JobState::finished);
    EXPECT_EQ(units, 24 + 3 * 2);
    EXPECT_EQ(job.progress().done, 24);
    EXPECT_EQ(job.epoch(), 3);
    for (std::size_t l = 0; l < once.layers.size(); ++l) {
        EXPECT_EQ(stepped.layers[l].weight, once.layers[l].weight) << "layer " << l;
        EXPECT_EQ(stepped.layers[l].bias, once.layers[l].bias) << "layer " << l;
    }
    const TrainReport& r = job.report();
    ASSERT_EQ(r.history.size(), 3u);
    for (std::size_t e = 0; e < 3; ++e) {
        EXPECT_EQ(r.history[e].loss, expected.history[e].loss);
        EXPECT_EQ(r.history[e].test_accuracy, expected.history[e].test_accuracy);
    }
    EXPECT_EQ(r.updates, expected.updates);
    EXPECT_EQ(r.lost_updates, expected.lost_updates);
    EXPECT_GT(r.lost_updates, 0);
    EXPECT_EQ(r.test_accuracy, expected.test_accuracy);
    EXPECT_EQ(r.train_accuracy, r.history.back().train_accuracy);
    // One record per batch; the last one's cumulative count is the report's.
    ASSERT_EQ(job.batches().size(), 24u);
    EXPECT_EQ(job.batches().front().step, 1);
    EXPECT_EQ(job.batches().back().step, 24);
    EXPECT_EQ(job.batches().back().lost_updates, r.lost_updates);
    // The epoch's loss is the example-weighted mean of its batches' losses (7 of 32, one of 1).
    double sum = 0;
    for (int b = 16; b < 24; ++b) sum += job.batches()[b].loss * (b == 23 ? 225 - 7 * 32 : 32);
    EXPECT_NEAR(sum / 225, r.history[2].loss, 1e-12);
    EXPECT_EQ(job.epoch_loss(), r.history[2].loss);
    // Big steps: the same again.
    Model big = *make_model("mlp:2-8-8-2", 2, 2, 4);
    TrainJob fast(big, s.train, &s.test, o);
    while (fast.step(5)) {
    }
    EXPECT_EQ(big.layers[0].weight, once.layers[0].weight);
}

TEST(TrainJob, RunningEpochLossAndSetEpochs) {
    const Dataset d = *load_data_spec("synth:gauss:n=100");
    TrainOptions o;
    o.epochs = 4;
    o.batch = 25;
    Model m = *make_model("mlp:2-4-2", 2, 2, 1);
    TrainJob job(m, d, nullptr, o);
    job.step(2);
    EXPECT_EQ(job.progress().stage, "epoch 1 of 4");
    EXPECT_NEAR(job.epoch_loss(), (job.batches()[0].loss + job.batches()[1].loss) / 2, 1e-12);
    // Fewer epochs while running: the same as asking for two from the start.
    job.set_epochs(2);
    EXPECT_EQ(job.epochs(), 2);
    EXPECT_EQ(job.progress().total, 8);
    EXPECT_EQ(run_job(job).ok(), true);
    Model two = *make_model("mlp:2-4-2", 2, 2, 1);
    o.epochs = 2;
    const TrainReport r = *train_model(two, d, nullptr, o);
    EXPECT_EQ(m.layers[0].weight, two.layers[0].weight);
    EXPECT_EQ(job.report().history.size(), 2u);
    EXPECT_EQ(job.report().train_accuracy, r.train_accuracy);
    // Never below the epoch in progress.
    Model again = *make_model("mlp:2-4-2", 2, 2, 1);
    TrainJob late(again, d, nullptr, o);
    late.step_batches(5);  // into epoch 2
    late.set_epochs(1);
    EXPECT_EQ(late.epochs(), 2);
    // At an epoch boundary, cutting to the epochs done finishes the job at once.
    o.epochs = 3;
    Model cut = *make_model("mlp:2-4-2", 2, 2, 1);
    TrainJob boundary(cut, d, nullptr, o);
    boundary.step(4);  // the epoch's batches; its accuracy is counted in the next unit
    EXPECT_TRUE(boundary.evaluating());
    boundary.step(1);
    EXPECT_FALSE(boundary.evaluating());
    boundary.set_epochs(1);
    EXPECT_EQ(boundary.state(), JobState::finished);
    EXPECT_EQ(boundary.report().history.size(), 1u);
    EXPECT_EQ(boundary.report().train_accuracy, boundary.report().history[0].train_accuracy);
}

TEST(TrainJob, CancelStopsUpdates) {
    const Dataset d = *load_data_spec("synth:gauss:n=200");
    TrainOptions o;
    o.epochs = 2;
    o.batch = 10;
    Model m = *make_model("mlp:2-4-2", 2, 2, 1);
    TrainJob job(m, d, nullptr, o);
    EXPECT_TRUE(job.step(5));
    const Matrix w = m.layers[0].weight;
    const long long updates = job.report().updates;
    job.cancel();
    EXPECT_EQ(job.state(), JobState::cancelled);
    EXPECT_FALSE(job.step(10));
    EXPECT_EQ(job.batches_done(), 5);
    EXPECT_EQ(job.progress().done, 5);
    EXPECT_EQ(job.report().updates, updates);
    EXPECT_EQ(m.layers[0].weight, w);
    EXPECT_EQ(run_job(job).message(), "cancelled");
}

TEST(TrainJob, BadOptionsAndDivergenceFailWithAMessage) {
    const Dataset d = *load_data_spec("synth:gauss:n=50");
    Model m = *make_model("mlp:2-4-2", 2, 2, 1);
    TrainOptions o;
    o.batch = 0;
    TrainJob bad(m, d, nullptr, o);
    EXPECT_EQ(bad.state(), JobState::failed);
    EXPECT_NE(bad.status().message().find("batch >= 1"), std::string::npos)
        << bad.status().message();
    EXPECT_FALSE(bad.step());
    EXPECT_EQ(bad.progress().done, 0);
    o = TrainOptions{};
    o.roles.updates = "fixed:w=99";
    TrainJob bad_format(m, d, nullptr, o);
    EXPECT_EQ(bad_format.state(), JobState::failed);
    EXPECT_NE(bad_format.status().message().find("--updates"), std::string::npos);
    Model wide = *make_model("mlp:3-4-2", 3, 2, 1);
    TrainJob shape(wide, d, nullptr, TrainOptions{});
    EXPECT_EQ(shape.status().message(), "the data has 2 features, the model takes 3");

    o = TrainOptions{};
    o.optimizer = Optimizer::sgd;
    o.learning_rate = 1e8f;
    o.epochs = 3;
    const Dataset more =
        *load_data_spec("synth:gauss:n=200");  // a job keeps a reference: no temporaries
    Model fresh = *make_model("mlp:2-8-2", 2, 2, 1);
    TrainJob diverging(fresh, more, nullptr, o);
    EXPECT_EQ(run_job(diverging).ok(), false);
    EXPECT_EQ(diverging.state(), JobState::failed);
    EXPECT_EQ(diverging.status().message().rfind("training diverged in epoch ", 0), 0u)
        << diverging.status().message();
}

TEST(TrainJob, SwitchingUpdateRoundingTakesEffectAtTheNextBatch) {
    // Stored weights with a step of 2^-8 and SGD steps mostly below half of it: nearest rounding
    // throws most updates away, stochastic rounding keeps them on average.
    const Dataset d = *load_data_spec("synth:gauss:n=200");
    TrainOptions o;
    o.optimizer = Optimizer::sgd;
    o.learning_rate = 0.02f;
    o.epochs = 4;
    o.batch = 20;
    o.roles.updates = "fixed:w=10,f=8";
    Model a = *make_model("mlp:2-8-2", 2, 2, 1), b = *make_model("mlp:2-8-2", 2, 2, 1);
    TrainJob nearest(a, d, nullptr, o), switched(b, d, nullptr, o);
    EXPECT_EQ(switched.update_rounding(), Rounding::nearest_even);
    nearest.step_batches(20), switched.step_batches(20);  // two epochs alike
    ASSERT_EQ(switched.report().lost_updates, nearest.report().lost_updates);
    const long long before = nearest.report().lost_updates;
    switched.set_update_rounding(Rounding::stochastic);
    EXPECT_EQ(switched.update_rounding(), Rounding::stochastic);
    run_job(nearest), run_job(switched);
    const long long lost_nearest = nearest.report().lost_updates - before;
    const long long lost_stochastic = switched.report().lost_updates - before;
    const long long tried =
        nearest.report().updates / 2;  // the same count of nonzero updates per batch
    EXPECT_GT(tried, 0);
    EXPECT_GT(lost_nearest, tried / 2) << lost_nearest << " of " << tried;
    EXPECT_LT(lost_stochastic, lost_nearest) << lost_stochastic << " vs " << lost_nearest;
    EXPECT_NE(a.layers[0].weight, b.layers[0].weight);
    // The records show where the rounding changed: equal through batch 20, then apart.
    EXPECT_EQ(switched.batches()[19].lost_updates, nearest.batches()[19].lost_updates);
    EXPECT_LT(switched.batches().back().lost_updates, nearest.batches().back().lost_updates);
}

QuantizedLinearResult step_to_end(QuantizedLinearJob& job, long long& units) {
    units = 0;
    while (job.running()) {
        EXPECT_EQ(job.progress().done <= job.progress().total, true);
        job.step(1);
        ++units;
    }
    return job.result();
}

void expect_same(const QuantizedLinearResult& a, const QuantizedLinearResult& b) {
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.updates, b.updates);
    EXPECT_EQ(a.epochs_run, b.epochs_run);
    EXPECT_EQ(a.converged, b.converged);
    EXPECT_EQ(a.stalled_updates, b.stalled_updates);
    EXPECT_EQ(a.sink_atoms, b.sink_atoms);
    EXPECT_EQ(a.ended_in_sink, b.ended_in_sink);
    EXPECT_EQ(a.train_accuracy, b.train_accuracy);
    EXPECT_EQ(a.test_accuracy, b.test_accuracy);
    EXPECT_EQ(a.margin, b.margin);
    EXPECT_EQ(a.delta, b.delta);
    EXPECT_EQ(a.observed_delta, b.observed_delta);
    EXPECT_EQ(a.mistake_bound, b.mistake_bound);
    ASSERT_EQ(a.history.size(), b.history.size());
    for (std::size_t e = 0; e < a.history.size(); ++e) {
        EXPECT_EQ(a.history[e].mistakes, b.history[e].mistakes);
        EXPECT_EQ(a.history[e].stalled, b.history[e].stalled);
    }
}

TEST(QuantizedLinearJob, SteppingOneUnitAtATimeEqualsTheOneShotRun) {
    const Split s =
        split_dataset(*load_data_spec("synth:linear:d=3,n=150,margin=0.05,seed=2"), 0.2, 1);
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=9";
    o.rounding = Rounding::stochastic;
    o.epochs = 7;
    const auto expected = *train_quantized_perceptron(s.train, &s.test, o);
    QuantizedLinearJob job(s.train, &s.test, o);
    EXPECT_EQ(job.progress().total, 7 * 120);
    long long units = 0;
    const auto got = step_to_end(job, units);
    expect_same(got, expected);
    EXPECT_EQ(expected.epochs_run, 7);  // a coarse lattice: it does not converge, so every unit ran
    EXPECT_EQ(units, 7 * 120);
    EXPECT_EQ(job.mistakes(), expected.updates);
    EXPECT_EQ(job.weights(), expected.weights);
    EXPECT_EQ(static_cast<long>(job.sinks().size()), expected.sink_atoms);
    EXPECT_EQ(job.margin(), expected.margin);
    EXPECT_EQ(job.delta(), expected.delta);
    EXPECT_EQ(job.mistake_bound(), expected.mistake_bound);

    o.format = "float:e=3,m=3";
    o.steps = 300;
    const auto fw = *train_quantized_frank_wolfe(s.train, &s.test, o);
    QuantizedLinearJob fw_job(s.train, &s.test, o, QuantizedLinearAlgorithm::frank_wolfe);
    EXPECT_EQ(fw_job.progress().total, 300);
    const auto fw_got = step_to_end(fw_job, units);
    expect_same(fw_got, fw);
    EXPECT_EQ(units, fw.updates);
    EXPECT_GE(fw_job.last_example(), 0);
}

TEST(QuantizedLinearJob, GammaIsKnownBeforeTheRunAndCancelStops) {
    const Dataset d = *load_data_spec("synth:linear:d=2,n=200,margin=0.1,seed=1");
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=4";
    QuantizedLinearJob job(d, nullptr, o);
    EXPECT_EQ(job.last_example(), -1);
    const double gamma = job.margin();
    EXPECT_GT(job.radius(), 0);
    EXPECT_TRUE(job.step(50));
    EXPECT_EQ(job.epoch(), 1);
    EXPECT_EQ(job.progress().done, 50);
    const long mistakes = job.mistakes();
    const std::vector<double> w = job.weights();
    job.cancel();
    EXPECT_EQ(job.state(), JobState::cancelled);
    EXPECT_FALSE(job.step(100));
    EXPECT_EQ(job.mistakes(), mistakes);
    EXPECT_EQ(job.weights(), w);
    EXPECT_EQ(job.progress().done, 50);
    EXPECT_EQ(job.result().margin, gamma);
    EXPECT_EQ(job.result().weights, w);
}

TEST(QuantizedLinearJob, FineLatticeSeparatesMarginDataCoarseOneDoesNot) {
    // synth:linear with margin 0.1 in [-1, 1]^2: 32 atoms per coordinate (step 0.065) learn it
    // exactly; 4 atoms (-1, -1/3, 1/3, 1) cannot represent a separating direction well enough.
    const Dataset d = *load_data_spec("synth:linear:d=2,n=200,margin=0.1,seed=1");
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=32";
    QuantizedLinearJob fine(d, nullptr, o);
    ASSERT_TRUE(run_job(fine).ok());
    const auto r = fine.result();
    EXPECT_EQ(r.train_accuracy, 1.0);
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(fine.stalled_updates(), 0);
    EXPECT_LT(fine.progress().total, 50 * 200 + 1);
    o.format = "lattice:range=1,points=4";
    QuantizedLinearJob coarse(d, nullptr, o);
    ASSERT_TRUE(run_job(coarse).ok());
    const auto c = coarse.result();
    EXPECT_LT(c.train_accuracy, 0.8);
    EXPECT_FALSE(c.converged);
    EXPECT_EQ(c.epochs_run, 50);
    EXPECT_GT(coarse.stalled_updates(), 100);
    EXPECT_FALSE(coarse.sinks().empty());
}

TEST(QuantizedLinearJob, CountsAStallAtAConstructedSink) {
    // Atoms {-1, 0, 1}. x1 = (0.3, 0.2) (+) is stored as (0, 0): it always scores 0, a mistake,
    // and w + 0 = w, a stall. x2 = (1, 0) (-) is stored as (1, 0). In data order:
    // pass 1: x1 stalls at (0, 0); x2 scores 0, w = (0, 0) - (1, 0) = (-1, 0).
    // pass 2: x1 stalls at (-1, 0) (a second sink); x2 scores -1 * -1 = 1, right. Pass 3 as 2.
    const Dataset d = tiny({{0.3f, 0.2f}, {1.0f, 0.0f}}, {1, 0});
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=3";
    o.shuffle = false;
    o.epochs = 3;
    QuantizedLinearJob job(d, nullptr, o);
    job.step(1);
    EXPECT_EQ(job.last_example(), 0);
    EXPECT_EQ(job.mistakes(), 1);
    EXPECT_EQ(job.stalled_updates(), 1);
    ASSERT_EQ(job.sinks().size(), 1u);
    EXPECT_EQ(job.sinks()[0], (std::vector<double>{0, 0}));
    job.step(1);
    EXPECT_EQ(job.last_example(), 1);
    EXPECT_EQ(job.weights(), (std::vector<double>{-1, 0}));
    EXPECT_EQ(job.history().size(), 1u);
    ASSERT_TRUE(run_job(job).ok());
    EXPECT_EQ(job.mistakes(), 4);
    EXPECT_EQ(job.stalled_updates(), 3);
    ASSERT_EQ(job.sinks().size(), 2u);
    EXPECT_EQ(job.sinks()[1], (std::vector<double>{-1, 0}));
    const auto r = job.result();
    EXPECT_EQ(r.sink_atoms, 2);
    EXPECT_TRUE(r.ended_in_sink);
    EXPECT_EQ(r.train_accuracy, 0.5);
    EXPECT_LE(r.margin, 0);  // (0, 0) is a data point: the hull holds the origin
    EXPECT_EQ(r.mistake_bound, INFINITY);
}

TEST(QuantizedLinearJob, BadInputFailsInTheConstructor) {
    Dataset three = *load_data_spec("synth:linear:d=2,n=20");
    three.classes = 3;
    QuantizedLinearJob job(three, nullptr, QuantizedLinearOptions{});
    EXPECT_EQ(job.state(), JobState::failed);
    EXPECT_NE(job.status().message().find("need exactly 2"), std::string::npos);
    EXPECT_EQ(job.progress().done, 0);
    QuantizedLinearOptions o;
    o.vector_kmeans = 2;
    const Dataset two = *load_data_spec("synth:linear:d=2,n=20");
    QuantizedLinearJob fw(two, nullptr, o, QuantizedLinearAlgorithm::frank_wolfe);
    EXPECT_EQ(fw.status().message(), "vector atoms (k-means centres) are for the perceptron only");
}

TEST(SweepGrid, ExpandsChoicesAndBitBudgets) {
    auto g = expand_grid("lattice:range={0.5,1,2},points={4,8,16,32}");
    ASSERT_TRUE(g.ok()) << g.status().message();
    EXPECT_EQ(g->specs.size(), 12u);
    EXPECT_EQ(g->rows(), 3u);
    EXPECT_EQ(g->columns(), 4u);
    EXPECT_EQ(g->specs[0], "lattice:range=0.5,points=4");
    EXPECT_EQ(g->specs[5], "lattice:range=1,points=8");
    auto f = expand_grid("float:e={2,6},bits={6,7},sub=0");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->specs, (std::vector<std::string>{"float:e=2,m=3,sub=0", "float:e=2,m=4,sub=0",
                                                  "float:e=6,m=0,sub=0", "float:e=6,m=0,sub=0"}));
    // Cherkhev's Tables 3-4 print "-" where no mantissa bit is left (m <= 0).
    EXPECT_EQ(f->possible, (std::vector<bool>{true, true, false, false}));
    EXPECT_EQ(expand_grid("lattice:range={1,2,points=8").status().message(),
              "unclosed '{' at character 15");
    EXPECT_EQ(expand_grid("lattice:range={1,},points=8").status().message(),
              "empty choice in '{1,}'");
    EXPECT_EQ(expand_grid("lattice:range={1,2,3,4,5,6,7,8,9,10},points={1,2,3,4,5,6,7,8,9,10},x={1,"
                          "2,3,4,5,6,7,8,9,10}")
                  .status()
                  .message(),
              "1000 combinations; at most 400");
    EXPECT_EQ(expand_grid("float:bits={6,7}").status().message(),
              "float:bits=6: bits= needs e= too");
    EXPECT_NE(expand_grid("lattice:range={1,-2},points=8")
                  .status()
                  .message()
                  .find("key 'range' must be positive"),
              std::string::npos);
}

TEST(SweepJob, OneCellPerUnitEachEqualToASingleRun) {
    const Split s =
        split_dataset(*load_data_spec("synth:linear:d=2,n=200,margin=0.1,seed=1"), 0.2, 1);
    QuantizedLinearOptions base;
    base.epochs = 20;
    SweepJob job(s.train, &s.test, *expand_grid("float:e={2,6},bits={6,7}"), base);
    EXPECT_EQ(job.progress().total, 4);
    for (long long i = 0; i < 4; ++i) {
        EXPECT_EQ(job.progress().done, i);
        EXPECT_EQ(job.cells_done(), static_cast<std::size_t>(i));
        job.step(1);
        EXPECT_TRUE(job.cells()[static_cast<std::size_t>(i)].done);
    }
    EXPECT_EQ(job.state(), JobState::finished);
    for (std::size_t i : {2u, 3u}) {  // e = 6 with 6 or 7 bits leaves no mantissa bit
        const SweepCell& impossible = job.cells()[i];
        EXPECT_FALSE(impossible.possible);
        EXPECT_FALSE(impossible.error.empty());
    }
    for (std::size_t i : {0u, 1u}) {
        const SweepCell& c = job.cells()[i];
        EXPECT_TRUE(c.error.empty()) << c.error;
        QuantizedLinearOptions o = base;
        o.format = c.spec;
        const auto single = *train_quantized_perceptron(s.train, &s.test, o);
        EXPECT_EQ(c.result.weights, single.weights) << c.spec;
        EXPECT_EQ(c.result.test_accuracy, single.test_accuracy) << c.spec;
        EXPECT_EQ(c.result.updates, single.updates) << c.spec;
    }
    // Frank-Wolfe cells, and a cancel part way.
    SweepJob fw(s.train, nullptr, *expand_grid("lattice:range=1,points={5,9,17}"), base,
                QuantizedLinearAlgorithm::frank_wolfe);
    fw.step(1);
    fw.cancel();
    EXPECT_EQ(fw.state(), JobState::cancelled);
    EXPECT_EQ(fw.cells_done(), 1u);
    QuantizedLinearOptions o = base;
    o.format = "lattice:range=1,points=5";
    EXPECT_EQ(fw.cells()[0].result.weights,
              train_quantized_frank_wolfe(s.train, nullptr, o)->weights);
    EXPECT_FALSE(fw.cells()[1].done);
}

TEST(SweepJob, ATrainingErrorFailsTheJobNamingTheCell) {
    Dataset three = *load_data_spec("synth:linear:d=2,n=20");
    three.classes = 3;
    SweepJob job(three, nullptr, *expand_grid("lattice:range={1,2},points=8"),
                 QuantizedLinearOptions{});
    EXPECT_FALSE(run_job(job).ok());
    EXPECT_EQ(job.state(), JobState::failed);
    EXPECT_EQ(job.status().message().rfind(
                  "lattice:range=1,points=8: data 'synth:linear:d=2,n=20' has 3 classes", 0),
              0u)
        << job.status().message();
    EXPECT_FALSE(job.cells()[0].error.empty());
}

}  // namespace
}  // namespace qlab
