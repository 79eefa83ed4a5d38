// The analyses' options and results as bytes (qlab/analysis_bytes.hpp): each round-trips exactly,
// a result is never read as another's, and every cut is refused with `out` left alone.
#include "qlab/analysis_bytes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qlab/random.hpp"

namespace qlab {
namespace {

// Every strict prefix of `bytes` is refused and leaves `out` as it was.
template <class T>
void expect_cuts_refused(const std::string& bytes, const T& before) {
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        T out = before;
        EXPECT_FALSE(from_bytes(std::string_view(bytes).substr(0, cut), out)) << cut;
        EXPECT_EQ(to_bytes(out), to_bytes(before)) << cut;
    }
}

TEST(AnalysisBytes, SensitivityOptionsAndResultsRoundTripWithInfinities) {
    SensitivityOptions o{"int:b=4,group=32", "fixed:w=8,f=4", 123};
    SensitivityOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(o2.weights, o.weights);
    EXPECT_EQ(o2.activations, o.activations);
    EXPECT_EQ(o2.max_rows, 123u);
    expect_cuts_refused(to_bytes(o), SensitivityOptions{});

    SensitivityResult r;
    r.float_accuracy = 0.9375;
    r.rows = 1000;
    r.layers.push_back({2, "dense 784x128", 0.91, 0.0275, 31.5, 30.25,
                        std::numeric_limits<double>::infinity(), -0.0});
    r.layers.push_back({0, "conv2d 6x1x5x5", 0.5, 0.4375, -3.0, 1e-300, 12.0, 7.5});
    SensitivityResult back;
    ASSERT_TRUE(from_bytes(to_bytes(r), back));
    ASSERT_EQ(back.layers.size(), 2u);
    EXPECT_EQ(back.float_accuracy, 0.9375);
    EXPECT_EQ(back.rows, 1000u);
    EXPECT_EQ(back.layers[0].description, "dense 784x128");
    EXPECT_EQ(back.layers[0].layer, 2u);
    EXPECT_EQ(back.layers[0].weight_sqnr_db, std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::signbit(back.layers[0].activation_sqnr_db));
    EXPECT_EQ(back.layers[1].predicted_sqnr_db, 1e-300);
    EXPECT_EQ(to_bytes(back), to_bytes(r));
    expect_cuts_refused(to_bytes(r), SensitivityResult{});
    // Options are not a result.
    SensitivityResult wrong;
    const Status st = from_bytes(to_bytes(o), wrong);
    EXPECT_EQ(st.message(), "not the bytes of a sensitivity result");
}

TEST(AnalysisBytes, ASakrAnalysisRoundTripsAndGivesTheSameBounds) {
    // A small trained-looking network: its analysis over 40 random rows.
    Model m = *make_model("mlp:6-5-4", 6, 4, 11);
    Dataset d;
    d.features = 6, d.classes = 4;
    Rng rng(3);
    for (int i = 0; i < 40; ++i) {
        for (int f = 0; f < 6; ++f) d.x.push_back(static_cast<float>(rng.uniform() * 2 - 1));
        d.y.push_back(i % 4);
    }
    SakrOptions o;
    o.batch = 7;
    o.seed = 9;
    o.noise_trials = 3;
    SakrOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(to_bytes(o2), to_bytes(o));
    EXPECT_EQ(o2.batch, 7);
    EXPECT_EQ(o2.seed, 9u);
    SakrJob job(m, d, o);
    ASSERT_TRUE(run_job(job).ok());
    const SakrAnalysis& a = job.result();
    SakrAnalysis b;
    ASSERT_TRUE(from_bytes(to_bytes(a), b));
    EXPECT_EQ(b.e_a(), a.e_a());
    EXPECT_EQ(b.e_w(), a.e_w());
    EXPECT_EQ(b.decisions(), a.decisions());
    EXPECT_EQ(b.inputs(), a.inputs());
    EXPECT_EQ(b.pairs().size(), a.pairs().size());
    EXPECT_EQ(b.suggested_bw_minus_ba(), a.suggested_bw_minus_ba());
    for (int ba = 2; ba <= 10; ba += 4) {
        EXPECT_EQ(b.bounds(ba, ba + 2).thm1, a.bounds(ba, ba + 2).thm1);
        EXPECT_EQ(b.bounds(ba, ba + 2).thm2_opt, a.bounds(ba, ba + 2).thm2_opt);
    }
    EXPECT_EQ(to_bytes(b), to_bytes(a));
    const std::string bytes = to_bytes(a);
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 3, bytes.size() - 1}) {
        SakrAnalysis out;
        EXPECT_FALSE(from_bytes(std::string_view(bytes).substr(0, cut), out)) << cut;
        EXPECT_EQ(out.samples(), 0u) << cut;
    }
}

TEST(AnalysisBytes, SakrSimulationRequestsAndResultsRoundTrip) {
    SakrSimRequest q;
    q.with_data = false;
    q.noise_rows = Matrix::Random(3, 4);
    q.float_decisions = {1, 0, 2};
    q.precisions = {{4, 5}, {8, 8}};
    q.options.rows_per_unit = 17, q.options.noise_trials = 5, q.options.seed = 77;
    SakrSimRequest q2;
    ASSERT_TRUE(from_bytes(to_bytes(q), q2));
    EXPECT_FALSE(q2.with_data);
    EXPECT_EQ(q2.noise_rows, q.noise_rows);
    EXPECT_EQ(q2.float_decisions, q.float_decisions);
    EXPECT_EQ(q2.precisions, q.precisions);
    EXPECT_EQ(q2.options.rows_per_unit, 17);
    EXPECT_EQ(q2.options.noise_trials, 5);
    EXPECT_EQ(q2.options.seed, 77u);
    expect_cuts_refused(to_bytes(q), SakrSimRequest{});

    SakrSimResult r;
    r.float_ready = true;
    r.float_decisions = {3, 1};
    SakrSimPoint p;
    p.ba = 6, p.bw = 7, p.fixed = true, p.p_m = 0.125, p.error = 0.0625, p.decisions = {3, 2};
    p.noise = true, p.p_m_noise_linear = 1e-9, p.p_m_noise_exact = 2e-9, p.noise_trials = 600;
    r.points = {p, SakrSimPoint{}};
    SakrSimResult r2;
    ASSERT_TRUE(from_bytes(to_bytes(r), r2));
    EXPECT_TRUE(r2.float_ready);
    EXPECT_EQ(r2.float_decisions, r.float_decisions);
    ASSERT_EQ(r2.points.size(), 2u);
    EXPECT_EQ(r2.points[0].decisions, p.decisions);
    EXPECT_EQ(r2.points[0].p_m_noise_exact, 2e-9);
    EXPECT_EQ(r2.points[0].noise_trials, 600);
    EXPECT_EQ(to_bytes(r2), to_bytes(r));
    expect_cuts_refused(to_bytes(r), SakrSimResult{});
}

TEST(AnalysisBytes, KappaSweepsAndTradeoffsRoundTrip) {
    LinSweepOptions o;
    o.min_bits = 3, o.max_bits = 9, o.max_rows = 64, o.measure_output = false;
    o.format.sigma_factor = 4, o.format.distribution = Distribution::laplacian;
    LinSweepOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(to_bytes(o2), to_bytes(o));
    EXPECT_EQ(o2.format.distribution, Distribution::laplacian);
    EXPECT_FALSE(o2.measure_output);
    expect_cuts_refused(to_bytes(o), LinSweepOptions{});

    LinSweepResult r;
    r.steps = {{2, StepRole::activations, "fixed:w=4,f=2", 640, 17.5}};
    r.rows = {{4, {"fixed:w=4,f=2"}, {std::numeric_limits<double>::infinity()}, 12, 11.5, 0.75}};
    r.kappa = {5.9}, r.output_kappa = 6.02, r.float_accuracy = 0.9;
    LinSweepResult r2;
    ASSERT_TRUE(from_bytes(to_bytes(r), r2));
    EXPECT_EQ(to_bytes(r2), to_bytes(r));
    EXPECT_EQ(r2.steps[0].role, StepRole::activations);
    EXPECT_EQ(r2.steps[0].name(), "a3");
    EXPECT_EQ(r2.rows[0].step_db[0], std::numeric_limits<double>::infinity());
    expect_cuts_refused(to_bytes(r), LinSweepResult{});

    TradeoffOptions t;
    t.kappa = 2.5, t.objective = AllocationObjective::compute, t.activation_bits = 12;
    TradeoffOptions t2;
    ASSERT_TRUE(from_bytes(to_bytes(t), t2));
    EXPECT_EQ(t2.objective, AllocationObjective::compute);
    EXPECT_EQ(to_bytes(t2), to_bytes(t));
    expect_cuts_refused(to_bytes(t), TradeoffOptions{});
    TradeoffResult x;
    x.kappa = 3, x.offsets = {0, -2}, x.float_error = 0.02;
    x.points = {{true, {8, 6}, 1234.0, 0.03}, {false, {4, 4}, 99.0, 0.5}};
    TradeoffResult x2;
    ASSERT_TRUE(from_bytes(to_bytes(x), x2));
    EXPECT_EQ(to_bytes(x2), to_bytes(x));
    EXPECT_TRUE(x2.points[0].optimised);
    EXPECT_EQ(x2.points[1].bits, (std::vector<int>{4, 4}));
    expect_cuts_refused(to_bytes(x), TradeoffResult{});
}

TEST(AnalysisBytes, BitFlipMapsRoundTripAndTheirSizesAreChecked) {
    BitFlipOptions o;
    o.ba = 6, o.bw = 5, o.rate = 0.25, o.seed = 3, o.rows_per_unit = 9, o.activations = true;
    BitFlipOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(to_bytes(o2), to_bytes(o));
    EXPECT_TRUE(o2.activations);
    expect_cuts_refused(to_bytes(o), BitFlipOptions{});
    BitFlipResult r;
    r.layers = 2, r.bits = 2, r.baseline = 0.5;
    r.accuracy = {0.25, std::numeric_limits<double>::quiet_NaN(), 0.5, 0.75};
    r.flipped = {1, 0, 3, 4};
    BitFlipResult r2;
    ASSERT_TRUE(from_bytes(to_bytes(r), r2));
    EXPECT_EQ(to_bytes(r2), to_bytes(r));
    EXPECT_TRUE(std::isnan(r2.accuracy[1]));
    expect_cuts_refused(to_bytes(r), BitFlipResult{});
    r.flipped.pop_back();  // three counts for four cells
    BitFlipResult r3;
    EXPECT_FALSE(from_bytes(to_bytes(r), r3));
}

}  // namespace
}  // namespace qlab
