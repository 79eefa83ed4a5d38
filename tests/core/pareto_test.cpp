// The Pareto frontier by hand and against a brute-force dominance check, bits per weight of block
// floating point (4 + 8/16 = 4.5), and the job on a small trained network: every family present,
// 8-bit fixed point within 2% of float, ternary levels counted by Kundu's Table 2.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/pareto.hpp"
#include "qlab/random.hpp"

namespace qlab {
namespace {

ParetoPoint pt(double bits, double acc) {
    return {"f", "s", bits, acc};
}

bool dominates(const ParetoPoint& a, const ParetoPoint& b) {
    return a.bits_per_weight <= b.bits_per_weight && a.accuracy >= b.accuracy &&
           (a.bits_per_weight < b.bits_per_weight || a.accuracy > b.accuracy);
}

// G(1, .1) A(2, .5) B(3, .4) C(3, .7) D(4, .7) E(8, .9) F(8, .9): B is beaten by A, D by C (same
// accuracy, more bits), F is E again. Frontier in bits order: G, A, C, E.
TEST(Pareto, FrontierByHand) {
    const std::vector<ParetoPoint> p = {pt(2, .5), pt(3, .4), pt(3, .7), pt(4, .7),
                                        pt(8, .9), pt(8, .9), pt(1, .1)};
    EXPECT_EQ(pareto_frontier(p), (std::vector<std::size_t>{6, 0, 2, 4}));
    EXPECT_TRUE(pareto_frontier({}).empty());
}

// On random points: a point is on the frontier exactly when no point dominates it (of identical
// points, one).
TEST(Pareto, FrontierIsExactlyTheNonDominatedPoints) {
    Rng rng(4);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<ParetoPoint> p;
        for (int i = 0; i < 30; ++i)
            p.push_back(pt(std::round(8 * rng.uniform()) / 2, std::round(20 * rng.uniform()) / 20));
        const std::vector<std::size_t> f = pareto_frontier(p);
        for (std::size_t i = 0; i < p.size(); ++i) {
            bool dominated = false;
            for (const ParetoPoint& q : p) dominated = dominated || dominates(q, p[i]);
            const bool on = std::find(f.begin(), f.end(), i) != f.end();
            if (on) {
                EXPECT_FALSE(dominated) << trial << " " << i;
            }
            bool twin_on = false;  // an identical point stands for it
            for (std::size_t j : f)
                twin_on = twin_on || (p[j].bits_per_weight == p[i].bits_per_weight &&
                                      p[j].accuracy == p[i].accuracy);
            if (!dominated) {
                EXPECT_TRUE(twin_on) << trial << " " << i;
            }
        }
        for (std::size_t k = 1; k < f.size(); ++k) {
            EXPECT_GT(p[f[k]].bits_per_weight, p[f[k - 1]].bits_per_weight);
            EXPECT_GT(p[f[k]].accuracy, p[f[k - 1]].accuracy);
        }
    }
}

Model trained_net(Dataset& d) {
    Model m = *make_model("mlp:4-16-3", 4, 3, 5);
    Rng rng(8);
    d.features = 4, d.classes = 3;
    for (int i = 0; i < 90; ++i) {
        const int c = i % 3;
        for (int f = 0; f < 4; ++f)
            d.x.push_back(static_cast<float>((f == c) * 1.5 + 0.3 * (2 * rng.uniform() - 1)));
        d.y.push_back(c);
    }
    TrainOptions t;
    t.epochs = 30, t.learning_rate = 0.02f, t.evaluate_each_epoch = false;
    EXPECT_TRUE(train_model(m, d, nullptr, t).ok());
    return m;
}

// bfp:w=4,block=16: 4 bits per element plus an 8-bit exponent shared by 16 = 4.5. Rows of 16 and
// 64 weights hold whole blocks, so the model's figure is 4.5 too. NVFP4 adds its FP32 tensor
// scale once per layer: 4 + 8/16 + 32 / (1024 + 3072) per weight on average.
TEST(Pareto, BitsPerWeightOfBlockFloatingPoint) {
    const Format bfp = *Format::parse("bfp:w=4,block=16");
    EXPECT_EQ(bfp.bits_per_value(), 4.5);
    Model m = *make_model("mlp:16-64-48", 16, 48, 1);
    EXPECT_EQ(model_bits_per_weight(m, bfp), 4.5);
    EXPECT_EQ(model_bits_per_weight(m, *Format::parse("float:e=4,m=3")), 8);
    EXPECT_EQ(model_bits_per_weight(m, *Format::parse("fixed:w=6,f=4")), 6);
    if (auto nv = Format::parse("nvfp4")) {
        EXPECT_DOUBLE_EQ(model_bits_per_weight(m, *nv), 4.5 + 64.0 / 4096);
    }
}

TEST(Pareto, CandidatesAllParse) {
    const std::vector<ParetoCandidate> c = pareto_candidates();
    ASSERT_GE(c.size(), 9u + 4 + 6);  // float 3 x 3, k-means 4, bfp 6 at least
    for (const ParetoCandidate& x : c) EXPECT_TRUE(Format::parse(x.spec).ok()) << x.spec;
}

TEST(Pareto, JobOnATrainedNetwork) {
    Dataset d;
    const Model m = trained_net(d);
    ParetoOptions o;
    o.ternary_options.block = 8;
    o.ternary_options.tolerance = 0.05;
    ParetoJob job(m, d, o);
    ASSERT_TRUE(job.running());
    const long long planned = job.progress().total;  // before Algorithm 2 adds the levels
    EXPECT_EQ(planned, 7 + 7 + static_cast<long long>(pareto_candidates().size()) + 1);
    job.step(3);  // resumable: three units, three points
    EXPECT_EQ(job.result().points.size(), 3u);
    ASSERT_TRUE(run_job(job).ok());
    const ParetoResult& r = job.result();
    EXPECT_EQ(r.float_accuracy, 1.0);
    EXPECT_EQ(r.weights, 4u * 16 + 16 * 3);
    EXPECT_TRUE(r.skipped.empty());

    // Every family, and the frontier's points dominated by none.
    std::vector<std::string> families;
    for (const ParetoPoint& p : r.points)
        if (std::find(families.begin(), families.end(), p.family) == families.end())
            families.push_back(p.family);
    for (const char* f : {"fixed (Lin)", "int per-channel", "float", "codebook", "bfp", "ternary"})
        EXPECT_NE(std::find(families.begin(), families.end(), f), families.end()) << f;
    ASSERT_FALSE(r.frontier.empty());
    EXPECT_EQ(r.frontier, pareto_frontier(r.points));
    for (std::size_t i : r.frontier)
        for (const ParetoPoint& q : r.points)
            EXPECT_FALSE(dominates(q, r.points[i])) << r.points[i].spec;

    for (const ParetoPoint& p : r.points) {
        if (p.spec == "fixed:w=8 (Lin, per layer)") {
            EXPECT_NEAR(p.accuracy, r.float_accuracy, 0.02);
        }
        if (p.family == "fixed (Lin)") {
            EXPECT_EQ(p.bits_per_weight, std::stoi(p.spec.substr(8)));
        }
        // An FP32 scale per output row: 16 + 3 rows over 112 weights.
        if (p.spec == "int:b=4 (per channel)") {
            EXPECT_DOUBLE_EQ(p.bits_per_weight, 4 + 32.0 * 19 / 112);
        }
        // Blocks run along rows: 16 rows of 4 weights (one exponent each), 3 rows of 16.
        if (p.spec == "bfp:w=4,block=16") {
            EXPECT_DOUBLE_EQ(p.bits_per_weight, (16 * (4 * 4 + 8) + 3 * (16 * 4 + 8)) / 112.0);
        }
        // K centres of 32 bits per layer (2 layers) over 112 weights.
        if (p.spec == "codebook:kmeans=4") {
            EXPECT_DOUBLE_EQ(p.bits_per_weight, 2 + 32.0 * 4 * 2 / 112);
        }
    }
    // Ternary level 0 is plain FGQ: Table 2's 8k + 2n over n, with k = 8 + 6 blocks of 8.
    for (const ParetoPoint& p : r.points)
        if (p.spec == "ternary:block=8,level=0") {
            EXPECT_DOUBLE_EQ(p.bits_per_weight, (8.0 * 14 + 2 * 112) / 112);
        }
}

TEST(Pareto, BadInputFails) {
    Dataset d;
    const Model m = trained_net(d);
    Dataset wrong = d;
    wrong.features = 5;
    EXPECT_EQ(ParetoJob(m, wrong).state(), JobState::failed);
    ParetoOptions o;
    o.min_bits = 9, o.max_bits = 3;
    EXPECT_EQ(ParetoJob(m, d, o).state(), JobState::failed);
    o = {};
    o.candidates = {{"nonsense", "nonsense:q=1"}};
    o.lin_fixed = o.calibrated_int = o.ternary = false;
    ParetoJob job(m, d, o);
    ASSERT_TRUE(run_job(job).ok());
    EXPECT_TRUE(job.result().points.empty());
    ASSERT_EQ(job.result().skipped.size(), 1u);
    EXPECT_NE(job.result().skipped[0].find("nonsense"), std::string::npos);
}

}  // namespace
}  // namespace qlab
