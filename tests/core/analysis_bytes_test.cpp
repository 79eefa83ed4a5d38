// The analyses' options and results as bytes (qlab/analysis_bytes.hpp): each round-trips exactly,
// a result is never read as another's, and every cut is refused with `out` left alone.
#include "qlab/analysis_bytes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qlab/bytes.hpp"
#include "qlab/calibration.hpp"
#include "qlab/random.hpp"
#include "qlab/sweep.hpp"

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

// ---- Kundu and Pareto

// A small network and 40 random rows (as above), for the jobs whose results travel.
struct KunduBytes : ::testing::Test {
    Model m = *make_model("mlp:6-5-4", 6, 4, 11);
    Dataset d;
    void SetUp() override {
        d.name = "rows";
        d.features = 6, d.classes = 4;
        d.class_names = {"a", "b", "c", "d"};
        Rng rng(3);
        for (int i = 0; i < 40; ++i) {
            for (int f = 0; f < 6; ++f) d.x.push_back(static_cast<float>(rng.uniform() * 2 - 1));
            d.y.push_back(i % 4);
        }
    }
};

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST_F(KunduBytes, KunduOptionsAndResultRoundTripExactly) {
    KunduOptions o;
    o.residual = {4, 0.0625, 7};
    o.gain_x = 3.25;
    o.activations = "fixed:w=8,f=4";
    KunduOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(o2.residual.block, 4u);
    EXPECT_EQ(o2.residual.tolerance, 0.0625);
    EXPECT_EQ(o2.residual.max_residuals, 7);
    EXPECT_EQ(o2.gain_x, 3.25);
    EXPECT_EQ(o2.activations, "fixed:w=8,f=4");
    expect_cuts_refused(to_bytes(o), KunduOptions{});

    TernaryResidualJob job(m, d, o);
    ASSERT_TRUE(run_job(job).ok());
    KunduResult r = job.result();
    ASSERT_EQ(r.layers.size(), 2u);
    ASSERT_GE(r.levels.size(), 2u);
    r.levels[1].power_performance = kInf;  // what a zero compute would give
    r.levels[0].memory_gain = std::numeric_limits<double>::quiet_NaN();
    r.layers[1].tensor.stopped_at_guard = true;
    KunduResult back;
    ASSERT_TRUE(from_bytes(to_bytes(r), back));
    EXPECT_EQ(back.float_accuracy, r.float_accuracy);
    ASSERT_EQ(back.layers.size(), r.layers.size());
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const ResidualTensor &a = back.layers[i].tensor, &b = r.layers[i].tensor;
        EXPECT_EQ(back.layers[i].layer, r.layers[i].layer);
        EXPECT_EQ(a.errors, b.errors);
        EXPECT_EQ(a.order, b.order);
        EXPECT_EQ(a.norm, b.norm);
        EXPECT_EQ(a.n, b.n);
        EXPECT_EQ(a.stopped_at_guard, b.stopped_at_guard);
        ASSERT_EQ(a.blocks.size(), b.blocks.size());
        for (std::size_t k = 0; k < b.blocks.size(); ++k) {
            EXPECT_EQ(a.blocks[k].begin, b.blocks[k].begin);
            EXPECT_EQ(a.blocks[k].size, b.blocks[k].size);
            ASSERT_EQ(a.blocks[k].terms.size(), b.blocks[k].terms.size());
            for (std::size_t t = 0; t < b.blocks[k].terms.size(); ++t) {
                EXPECT_EQ(a.blocks[k].terms[t].alpha, b.blocks[k].terms[t].alpha);
                EXPECT_EQ(a.blocks[k].terms[t].threshold, b.blocks[k].terms[t].threshold);
                EXPECT_EQ(a.blocks[k].terms[t].signs, b.blocks[k].terms[t].signs);
            }
        }
        // What the lesson draws from it: the weights at every level.
        for (int level = -1; level <= b.max_residuals(); ++level)
            EXPECT_EQ(a.reconstruct(level), b.reconstruct(level)) << level;
    }
    ASSERT_EQ(back.levels.size(), r.levels.size());
    for (std::size_t i = 0; i < r.levels.size(); ++i) {
        EXPECT_EQ(back.levels[i].level, r.levels[i].level);
        EXPECT_EQ(back.levels[i].accuracy, r.levels[i].accuracy);
        EXPECT_EQ(back.levels[i].compute, r.levels[i].compute);
        EXPECT_EQ(back.levels[i].model_size_bits, r.levels[i].model_size_bits);
        EXPECT_EQ(back.levels[i].scale_factors, r.levels[i].scale_factors);
        if (i > 0) {
            EXPECT_EQ(back.levels[i].memory_gain, r.levels[i].memory_gain);
        }
    }
    EXPECT_EQ(back.levels[1].power_performance, kInf);
    EXPECT_TRUE(std::isnan(back.levels[0].memory_gain));
    EXPECT_TRUE(back.layers[1].tensor.stopped_at_guard);
    EXPECT_EQ(to_bytes(back), to_bytes(r));
    expect_cuts_refused(to_bytes(r), KunduResult{});
    KunduResult wrong;
    EXPECT_EQ(from_bytes(to_bytes(o), wrong).message(), "not the bytes of a Kundu result");
}

TEST_F(KunduBytes, ParetoOptionsAndResultRoundTripExactly) {
    ParetoOptions o;
    o.candidates = {{"float", "float:e=3,m=2"}, {"codebook", "codebook:kmeans=4"}, {"odd", "nope"}};
    o.min_bits = 3, o.max_bits = 5;
    o.lin_fixed = false, o.calibrated_int = true, o.ternary = true;
    o.ternary_options = {4, 0.125, 9};
    ParetoOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    ASSERT_EQ(o2.candidates.size(), 3u);
    EXPECT_EQ(o2.candidates[1].family, "codebook");
    EXPECT_EQ(o2.candidates[1].spec, "codebook:kmeans=4");
    EXPECT_EQ(o2.min_bits, 3);
    EXPECT_EQ(o2.max_bits, 5);
    EXPECT_FALSE(o2.lin_fixed);
    EXPECT_TRUE(o2.calibrated_int && o2.ternary);
    EXPECT_EQ(o2.ternary_options.block, 4u);
    EXPECT_EQ(o2.ternary_options.tolerance, 0.125);
    EXPECT_EQ(o2.ternary_options.max_residuals, 9);
    expect_cuts_refused(to_bytes(o), ParetoOptions{});
    // A flag that is neither 0 nor 1 is not one of ours.
    std::string bad = to_bytes(o);
    bad[bad.size() - 8 - 8 - 4 - 3] = 2;  // lin_fixed (then two flags, N, epsilon and the guard)
    EXPECT_FALSE(from_bytes(bad, o2));

    ParetoJob job(m, d, o);
    ASSERT_TRUE(run_job(job).ok());
    ParetoResult r = job.result();
    ASSERT_GE(r.points.size(), 4u);
    ASSERT_FALSE(r.skipped.empty());  // "nope"
    ASSERT_FALSE(r.frontier.empty());
    r.points[0].bits_per_weight = -kInf;
    r.points[1].accuracy = std::numeric_limits<double>::quiet_NaN();
    ParetoResult back;
    ASSERT_TRUE(from_bytes(to_bytes(r), back));
    ASSERT_EQ(back.points.size(), r.points.size());
    for (std::size_t i = 2; i < r.points.size(); ++i) {
        EXPECT_EQ(back.points[i].family, r.points[i].family);
        EXPECT_EQ(back.points[i].spec, r.points[i].spec);
        EXPECT_EQ(back.points[i].bits_per_weight, r.points[i].bits_per_weight);
        EXPECT_EQ(back.points[i].accuracy, r.points[i].accuracy);
    }
    EXPECT_EQ(back.points[0].bits_per_weight, -kInf);
    EXPECT_TRUE(std::isnan(back.points[1].accuracy));
    EXPECT_EQ(back.frontier, r.frontier);
    EXPECT_EQ(back.skipped, r.skipped);
    EXPECT_EQ(back.float_accuracy, r.float_accuracy);
    EXPECT_EQ(back.weights, r.weights);
    EXPECT_EQ(back.weights, 50u);  // 6 x 5 + 5 x 4
    EXPECT_EQ(to_bytes(back), to_bytes(r));
    expect_cuts_refused(to_bytes(r), ParetoResult{});
    EXPECT_FALSE(from_bytes(to_bytes(r), o2));  // a result is not options
}

TEST_F(KunduBytes, KunduTablesOptionsResultAndRequestRoundTripExactly) {
    KunduTablesOptions o;
    o.block = 4;
    o.gain_x = 4.5;
    o.activation_bits = 6;
    o.losses = {0.05, 0.25, kInf};
    o.epsilon_max = 0.5, o.epsilon_min = 0.05, o.scales = 3, o.max_residuals = 6;
    o.schemes = {ToleranceScheme::compute, ToleranceScheme::uniform};
    o.calibration_rows = 30;
    o.sensitivity_epsilon = 0.1;
    o.seed = 0xfedcba9876543210ULL;
    KunduTablesOptions o2;
    ASSERT_TRUE(from_bytes(to_bytes(o), o2));
    EXPECT_EQ(o2.block, 4u);
    EXPECT_EQ(o2.gain_x, 4.5);
    EXPECT_EQ(o2.activation_bits, 6);
    EXPECT_EQ(o2.losses, o.losses);
    EXPECT_EQ(o2.epsilon_max, 0.5);
    EXPECT_EQ(o2.epsilon_min, 0.05);
    EXPECT_EQ(o2.scales, 3);
    EXPECT_EQ(o2.max_residuals, 6);
    EXPECT_EQ(o2.schemes, o.schemes);
    EXPECT_EQ(o2.calibration_rows, 30u);
    EXPECT_EQ(o2.sensitivity_epsilon, 0.1);
    EXPECT_EQ(o2.seed, 0xfedcba9876543210ULL);
    expect_cuts_refused(to_bytes(o), KunduTablesOptions{});
    std::string bad = to_bytes(o);  // a scheme the build does not have
    bad[bad.size() - 8 - 8 - 8 - 2] = 3;
    EXPECT_EQ(from_bytes(bad, o2).message(),
              "the bytes of Kundu tables options are cut short or too long");

    o.losses = {0.05, 0.25};
    o.schemes = {ToleranceScheme::uniform, ToleranceScheme::sensitivity, ToleranceScheme::compute};
    KunduTablesJob job(m, d, d, o);
    ASSERT_TRUE(run_job(job).ok());
    KunduTablesResult r = job.result();
    ASSERT_EQ(r.schemes.size(), 3u);
    ASSERT_EQ(r.schemes[2].points.size(), 3u);
    r.schemes[2].points[1].power_performance = kInf;
    r.sensitivity.push_back(std::numeric_limits<double>::quiet_NaN());
    KunduTablesResult back;
    ASSERT_TRUE(from_bytes(to_bytes(r), back));
    EXPECT_EQ(back.float_accuracy, r.float_accuracy);
    EXPECT_EQ(back.activation_accuracy, r.activation_accuracy);
    EXPECT_EQ(back.fgq_accuracy, r.fgq_accuracy);
    EXPECT_EQ(back.layers, r.layers);
    ASSERT_EQ(back.sensitivity.size(), r.sensitivity.size());
    EXPECT_EQ(back.sensitivity.front(), r.sensitivity.front());
    EXPECT_TRUE(std::isnan(back.sensitivity.back()));
    EXPECT_EQ(back.compute_share, r.compute_share);
    EXPECT_EQ(back.activation_formats, r.activation_formats);
    ASSERT_EQ(back.schemes.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(back.schemes[i].scheme, r.schemes[i].scheme);
        EXPECT_EQ(back.schemes[i].at_loss, r.schemes[i].at_loss);
        ASSERT_EQ(back.schemes[i].points.size(), r.schemes[i].points.size());
        for (std::size_t k = 0; k < r.schemes[i].points.size(); ++k) {
            const KunduTablePoint &a = back.schemes[i].points[k], &b = r.schemes[i].points[k];
            EXPECT_EQ(a.epsilon, b.epsilon);
            EXPECT_EQ(a.layer_epsilon, b.layer_epsilon);
            EXPECT_EQ(a.layer_steps, b.layer_steps);
            EXPECT_EQ(a.accuracy, b.accuracy);
            EXPECT_EQ(a.loss, b.loss);
            EXPECT_EQ(a.blocks, b.blocks);
            EXPECT_EQ(a.compute, b.compute);
            EXPECT_EQ(a.power_performance, b.power_performance);
        }
    }
    EXPECT_EQ(back.schemes[2].points[1].power_performance, kInf);
    EXPECT_EQ(to_bytes(back), to_bytes(r));
    expect_cuts_refused(to_bytes(r), KunduTablesResult{});

    // The request: the options and the calibration rows, every value.
    KunduTablesRequest q{o, first_rows(d, 30)};
    KunduTablesRequest q2;
    ASSERT_TRUE(from_bytes(to_bytes(q), q2));
    EXPECT_EQ(to_bytes(q2.options), to_bytes(o));
    EXPECT_EQ(q2.calibration.x, q.calibration.x);
    EXPECT_EQ(q2.calibration.y, q.calibration.y);
    EXPECT_EQ(q2.calibration.features, 6);
    EXPECT_EQ(q2.calibration.classes, 4);
    EXPECT_EQ(q2.calibration.class_names, d.class_names);
    EXPECT_EQ(q2.calibration.name, "rows");
    expect_cuts_refused(to_bytes(q), KunduTablesRequest{});
    // Options that do not read are named as such, not as a cut request.
    ByteWriter w;
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(to_bytes(q)[0]));  // the request's tag
    w.text(to_bytes(r)), w.text(dataset_to_bytes(d));
    EXPECT_EQ(from_bytes(w.take(), q2).message(), "not the bytes of Kundu tables options");
}

TEST(AnalysisBytes, SweepRequestsAndResultsRoundTrip) {
    Dataset d = make_linear({});
    SweepRequest q;
    q.grid = *expand_grid("float:e={2,3},bits={4,6}");
    q.base.epochs = 2, q.base.seed = 9, q.base.rounding = Rounding::stochastic;
    q.algorithm = QuantizedLinearAlgorithm::frank_wolfe;
    q.use_plan = true, q.plan.protocol = SweepProtocol::converge, q.plan.test_fraction = 0.3;
    q.has_test = true, q.test = first_rows(d, 5);
    SweepRequest q2;
    ASSERT_TRUE(from_bytes(to_bytes(q), q2));
    EXPECT_EQ(to_bytes(q2), to_bytes(q));
    EXPECT_EQ(q2.grid.specs, q.grid.specs);
    EXPECT_EQ(q2.grid.possible, q.grid.possible);
    EXPECT_EQ(q2.grid.axes, q.grid.axes);
    EXPECT_EQ(q2.base.rounding, Rounding::stochastic);
    EXPECT_EQ(q2.algorithm, QuantizedLinearAlgorithm::frank_wolfe);
    EXPECT_EQ(q2.plan.protocol, SweepProtocol::converge);
    EXPECT_EQ(q2.test.x, q.test.x);
    expect_cuts_refused(to_bytes(q), SweepRequest{});

    // A real sweep's cells, every number of their results.
    SweepJob job(d, *expand_grid("lattice:range=1,points={4,16}"), QuantizedLinearOptions{},
                 SweepPlan{});
    ASSERT_TRUE(run_job(job).ok());
    const SweepResult& r = job.result();
    SweepResult r2;
    ASSERT_TRUE(from_bytes(to_bytes(r), r2));
    EXPECT_EQ(to_bytes(r2), to_bytes(r));
    ASSERT_EQ(r2.cells.size(), 2u);
    EXPECT_EQ(r2.cells_done, 2u);
    EXPECT_TRUE(r2.scores_test);
    EXPECT_EQ(r2.score(r2.cells[1]), r.score(r.cells[1]));
    EXPECT_EQ(r2.cells[1].result.history.size(), r.cells[1].result.history.size());
    EXPECT_EQ(r2.cells[1].result.weights, r.cells[1].result.weights);
    expect_cuts_refused(to_bytes(r), SweepResult{});
}

TEST(AnalysisBytes, CalibrationRequestsAndResultsRoundTrip) {
    CalibrationRequest q;
    q.options.method = Calibration::percentile, q.options.bits = 5, q.options.symmetric = false;
    q.options.per_channel = true, q.options.percentile = 99.5;
    q.calibration = make_linear({});
    CalibrationRequest q2;
    ASSERT_TRUE(from_bytes(to_bytes(q), q2));
    EXPECT_EQ(to_bytes(q2), to_bytes(q));
    EXPECT_EQ(q2.options.method, Calibration::percentile);
    EXPECT_FALSE(q2.options.symmetric);
    EXPECT_EQ(q2.calibration.x, q.calibration.x);
    expect_cuts_refused(to_bytes(q), CalibrationRequest{});

    // A real calibration of a small network, per channel: every format back as it was.
    Model m = *make_model("mlp:6-5-4", 6, 4, 11);
    Dataset d;
    d.features = 6, d.classes = 4;
    Rng rng(5);
    for (int i = 0; i < 30; ++i) {
        for (int f = 0; f < 6; ++f) d.x.push_back(static_cast<float>(rng.uniform() * 2 - 1));
        d.y.push_back(i % 4);
    }
    CalibrationOptions o;
    o.per_channel = true, o.bits = 6;
    CalibrationJob job(m, d, d, o);
    ASSERT_TRUE(run_job(job).ok());
    const CalibrationResult& r = job.result();
    ASSERT_TRUE(r.calibrated);
    EXPECT_EQ(r.accuracy, accuracy(m, d, *calibrate_model(m, d, o)));
    CalibrationResult r2;
    ASSERT_TRUE(from_bytes(to_bytes(r), r2));
    EXPECT_EQ(to_bytes(r2), to_bytes(r));
    ASSERT_EQ(r2.formats.layers.size(), 2u);
    EXPECT_EQ(r2.formats.layers[0].weight_rows, r.formats.layers[0].weight_rows);
    EXPECT_EQ(r2.formats.layers[0].activations, r.formats.layers[0].activations);
    EXPECT_EQ(r2.accuracy, r.accuracy);
    expect_cuts_refused(to_bytes(r), CalibrationResult{});
    // Bad options fail the job with calibrate_model's message.
    o.bits = 1;
    CalibrationJob bad(m, d, d, o);
    EXPECT_EQ(bad.status().message(), "calibration bits must be from 2 to 16, got 1");
}

}  // namespace
}  // namespace qlab
