// Cherkhev's quantized perceptron and Frank-Wolfe: a hand-worked run, a sink built on purpose,
// the mistake bound on separable data, the max-margin computation, and determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "qlab/perceptron.hpp"

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

TEST(QuantizedPerceptron, HandWorkedRun) {
    // Atoms -1, -0.5, 0, 0.5, 1. x2 = (-0.5, 0.25) is stored as (-0.5, 0): 0.25 is a tie between
    // 0 (index 2, even) and 0.5 (index 3).
    const Dataset d = tiny({{0.5f, 0.5f}, {-0.5f, 0.25f}}, {1, 0});
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=5";
    o.shuffle = false;
    const auto r = *train_quantized_perceptron(d, nullptr, o);
    // Pass 1: x1 scores 0, a mistake: w = q(0 + (0.5, 0.5)) = (0.5, 0.5). x2 scores
    // -1 * (0.5 * -0.5 + 0.5 * 0) = 0.25 > 0: right. Pass 2: no mistake.
    EXPECT_EQ(r.weights, (std::vector<double>{0.5, 0.5}));
    EXPECT_EQ(r.updates, 1);
    EXPECT_EQ(r.epochs_run, 2);
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(r.stalled_updates, 0);
    EXPECT_EQ(r.train_accuracy, 1.0);
    // gamma: the hull of (0.5, 0.5) and (0.5, 0) is nearest the origin at (0.5, 0): gamma = 0.5.
    EXPECT_NEAR(r.margin, 0.5, 1e-9);
    EXPECT_NEAR(r.radius, std::sqrt(0.5), 1e-12);
    EXPECT_NEAR(r.delta, std::sqrt(2.0) * 0.25, 1e-12);  // sqrt(d) * half the step
    EXPECT_EQ(r.delta_box, 0.5);
    EXPECT_NEAR(r.mistake_bound, 0.5 / std::pow(0.5 - std::sqrt(2.0) * 0.25, 2), 1e-9);
    EXPECT_EQ(r.observed_delta, 0);  // the one update landed on atoms exactly
}

TEST(QuantizedPerceptron, DeltaFollowsTheRoundingInUse) {
    // The same hand-worked set: step 0.5. Nearest rounding errs by at most half a step per
    // coordinate, rtz and stochastic by up to a whole one (the sup of x - a over [a, a + step)).
    const Dataset d = tiny({{0.5f, 0.5f}, {-0.5f, 0.25f}}, {1, 0});
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=5";
    o.shuffle = false;
    for (const auto& [mode, per_coordinate] :
         std::vector<std::pair<Rounding, double>>{{Rounding::nearest_even, 0.25},
                                                  {Rounding::toward_zero, 0.5},
                                                  {Rounding::stochastic, 0.5}}) {
        o.rounding = mode;
        const auto r = *train_quantized_perceptron(d, nullptr, o);
        EXPECT_NEAR(r.delta, std::sqrt(2.0) * per_coordinate, 1e-12) << rounding_name(mode);
        EXPECT_FALSE(r.delta_is_lower_estimate);
        EXPECT_EQ(r.mistake_bound, perceptron_mistake_bound(r.margin, r.delta, r.radius));
    }
}

TEST(QuantizedPerceptron, SafeBoundClosesTheProofsGap) {
    // R^2 / (gamma - 2 delta)^2 from w_0 = 0, valid for delta < gamma / 2.
    EXPECT_NEAR(perceptron_mistake_bound_safe(0.5, 0.1, 1.0), 1 / (0.3 * 0.3), 1e-12);
    EXPECT_NEAR(perceptron_mistake_bound_safe(0.5, 0.1, 2.0), 4 / (0.3 * 0.3), 1e-12);
    EXPECT_EQ(perceptron_mistake_bound_safe(0.5, 0.25, 1.0), INFINITY);
    EXPECT_EQ(perceptron_mistake_bound_safe(0.5, 0.3, 1.0), INFINITY);
    EXPECT_NEAR(perceptron_mistake_bound(0.5, 0.1, 1.0), 1 / (0.4 * 0.4), 1e-12);
    EXPECT_EQ(perceptron_mistake_bound(0.5, 0.5, 1.0), INFINITY);
    // From a start of norm s: the largest t with (gamma - 2 delta) t = R sqrt(t) + 2 s.
    const double g = 0.5 - 2 * 0.1, s0 = 0.3, t = perceptron_mistake_bound_safe(0.5, 0.1, 1.5, s0);
    EXPECT_NEAR(g * t, 1.5 * std::sqrt(t) + 2 * s0, 1e-9);
    EXPECT_GT(t, perceptron_mistake_bound_safe(0.5, 0.1, 1.5));
}

TEST(QuantizedPerceptron, StartsAtZeroOnlyWhenZeroIsAnAtom) {
    const Dataset d = tiny({{0.5f, 0.5f}, {-0.5f, 0.25f}}, {1, 0});
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=5";  // atoms -1, -0.5, 0, 0.5, 1
    EXPECT_EQ(train_quantized_perceptron(d, nullptr, o)->start_norm, 0);
    o.format = "lattice:range=1,points=4";  // -1, -1/3, 1/3, 1: q(0) = +-1/3 per coordinate
    const auto r = *train_quantized_perceptron(d, nullptr, o);
    EXPECT_NEAR(r.start_norm, std::sqrt(2.0) / 3, 1e-12);
    EXPECT_EQ(r.mistake_bound_safe,
              perceptron_mistake_bound_safe(r.margin, r.delta, r.radius, r.start_norm));
}

TEST(QuantizedPerceptron, SinkAtomStopsLearning) {
    // Atoms {-1, +1} only: w starts at q(0) = -1 (a tie, to even index 0), and w + x = 0 rounds
    // straight back to -1. Every update snaps back: a sink.
    const Dataset d = tiny({{1.0f, 1.0f}}, {1});
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=2";
    o.epochs = 5;
    const auto r = *train_quantized_perceptron(d, nullptr, o);
    EXPECT_EQ(r.weights, (std::vector<double>{-1, -1}));
    EXPECT_EQ(r.updates, 5);
    EXPECT_EQ(r.stalled_updates, 5);
    EXPECT_EQ(r.sink_atoms, 1);
    EXPECT_TRUE(r.ended_in_sink);
    EXPECT_FALSE(r.converged);
    EXPECT_EQ(r.train_accuracy, 0.0);
    // Rounding decides: away-from-zero ties pick -1 too, but stochastic rounding escapes.
    o.rounding = Rounding::stochastic;
    const auto s = *train_quantized_perceptron(d, nullptr, o);
    EXPECT_TRUE(s.converged);
}

TEST(QuantizedPerceptron, MistakesWithinTheBoundOnSeparableData) {
    LinearOptions lo;
    lo.dimensions = 4, lo.count = 400, lo.margin = 0.25, lo.seed = 11;
    const Dataset d = make_linear(lo);
    QuantizedLinearOptions o;
    o.format =
        "lattice:range=4,points=4097";  // step 1/512: delta = sqrt(4) / 1024, far below gamma
    o.epochs = 200;
    const auto r = *train_quantized_perceptron(d, nullptr, o);
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(r.train_accuracy, 1.0);
    EXPECT_GT(r.margin, 0.24);
    EXPECT_LT(r.delta, r.margin);
    EXPECT_LE(static_cast<double>(r.updates), r.mistake_bound);
    EXPECT_LE(r.observed_delta, r.delta + 1e-12);
    // A coarse lattice whose delta exceeds the margin has no bound, and learns worse.
    o.format = "lattice:range=4,points=5";
    const auto coarse = *train_quantized_perceptron(d, nullptr, o);
    EXPECT_EQ(coarse.mistake_bound, INFINITY);
    EXPECT_LT(coarse.train_accuracy, 1.0);
}

TEST(QuantizedPerceptron, DeterministicForASeedAndNeedsTwoClasses) {
    const Dataset d = make_linear(LinearOptions{});
    QuantizedLinearOptions o;
    o.format = "float:e=3,m=2,sub=0";
    o.rounding = Rounding::stochastic;
    EXPECT_EQ(train_quantized_perceptron(d, nullptr, o)->weights,
              train_quantized_perceptron(d, nullptr, o)->weights);
    Dataset three = d;
    three.classes = 3;
    auto r = train_quantized_perceptron(three, nullptr, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("need exactly 2"), std::string::npos);
    o.format = "fixed:w=99";
    EXPECT_FALSE(train_quantized_perceptron(d, nullptr, o).ok());
}

TEST(QuantizedPerceptron, VectorAtomsFromKMeans) {
    // Two mirrored clusters around (1, 1) (+) and (-1, -1) (-). With k = 1 the atoms are the two
    // centres; w starts at the atom nearest 0 (a tie: the first, class 0's (-1, -1)), every + is
    // a mistake, and w + x = (0, 0) rounds back to (-1, -1): a sink, accuracy 0 ("0 or 100").
    Dataset d;
    d.name = "mirrored";
    d.features = 2;
    d.classes = 2;
    const float jitter[4][2] = {{0.1f, 0}, {-0.1f, 0}, {0, 0.1f}, {0, -0.1f}};
    for (const auto& j : jitter) {
        d.x.insert(d.x.end(), {1 + j[0], 1 + j[1]}), d.y.push_back(1);
        d.x.insert(d.x.end(), {-1 - j[0], -1 - j[1]}), d.y.push_back(0);
    }
    QuantizedLinearOptions o;
    o.vector_kmeans = 1;
    o.epochs = 5;
    const auto r = *train_quantized_perceptron(d, nullptr, o);
    ASSERT_EQ(r.vector_atoms.size(), 2u);
    EXPECT_NEAR(r.vector_atoms[0][0], -1, 1e-6);
    EXPECT_NEAR(r.vector_atoms[1][1], 1, 1e-6);
    EXPECT_EQ(r.weights, r.vector_atoms[0]);
    EXPECT_TRUE(r.ended_in_sink);
    EXPECT_EQ(r.train_accuracy,
              0.0);  // w points at the negatives: every example scores the wrong sign
    EXPECT_EQ(r.format, "vector atoms: 2 k-means centres");
    // Nine centres per class on Cherkhev's synth02-like set learn it.
    const Split s = split_dataset(*load_data_spec("synth:synth02"), 0.2, 1);
    o.vector_kmeans = 9;
    o.epochs = 50;
    const auto fine = *train_quantized_perceptron(s.train, &s.test, o);
    EXPECT_EQ(fine.vector_atoms.size(), 18u);
    EXPECT_GE(fine.test_accuracy, 0.9);
    EXPECT_FALSE(train_quantized_frank_wolfe(s.train, nullptr, o).ok());
}

TEST(MaxMargin, KnownGeometry) {
    EXPECT_NEAR(max_margin({{1, 0}, {0, 1}}), std::sqrt(0.5), 1e-9);
    EXPECT_NEAR(max_margin({{2, 0}, {2, 1}, {3, -1}}), 2.0, 1e-9);
    EXPECT_LE(max_margin({{1, 0}, {-1, 0}}), 1e-12);  // the hull holds the origin
}

TEST(QuantizedFrankWolfe, FindsALargeMarginOnFineLattices) {
    LinearOptions lo;
    lo.dimensions = 2, lo.count = 200, lo.margin = 0.2, lo.seed = 5;
    const Dataset d = make_linear(lo);
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=1025";
    o.steps = 3000;
    const auto r = *train_quantized_frank_wolfe(d, nullptr, o);
    EXPECT_EQ(r.train_accuracy, 1.0);
    // Theorem 3: the achieved margin approaches gamma - sqrt(24 delta / gamma) or better.
    double achieved = INFINITY;
    const double norm = std::hypot(r.weights[0], r.weights[1]);
    for (std::size_t i = 0; i < d.size(); ++i)
        achieved = std::min(achieved,
                            (d.y[i] == 1 ? 1 : -1) *
                                (r.weights[0] * d.row(i)[0] + r.weights[1] * d.row(i)[1]) / norm);
    EXPECT_GT(achieved, r.margin - std::sqrt(24 * r.delta / r.margin));
    EXPECT_GT(achieved, 0.1);
}

}  // namespace
}  // namespace qlab
