// Cherkhev's Tables 2-4 as transcribed (shapes, the "-" rule and its one exception), the sweep's
// protocols (the paper's 3 passes scored on held-out data, or 50 passes on the training data),
// the data spec modifiers the substitutes use, and the search for runs beyond Theorem 1's bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qlab/cherkhev.hpp"
#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/perceptron.hpp"
#include "qlab/sweep.hpp"

namespace qlab {
namespace {

TEST(CherkhevTables, ShapesAndGridsMatchThePrintedAxes) {
    ASSERT_EQ(cherkhev_tables().size(), 5u);
    for (const CherkhevTable& t : cherkhev_tables()) {
        SCOPED_TRACE(t.id);
        EXPECT_EQ(t.cells.size(), t.rows.size() * t.columns.size());
        EXPECT_EQ(t.grid_row.size(), t.rows.size());
        auto grid = expand_grid(t.grid);
        ASSERT_TRUE(grid) << grid.status().message();
        ASSERT_EQ(grid->axes.size(), 2u);
        EXPECT_EQ(grid->columns(), t.columns.size());
        int lab_rows = 0;
        for (int g : t.grid_row) lab_rows += g >= 0;
        EXPECT_EQ(grid->rows(), static_cast<std::size_t>(lab_rows));
        for (double v : t.cells) {
            if (!std::isnan(v)) {
                EXPECT_TRUE(v >= 0 && v <= 100);
            }
        }
    }
    // Spot checks against the paper's text.
    const CherkhevTable* t2 = find_cherkhev_table("2");
    ASSERT_NE(t2, nullptr);
    EXPECT_EQ(t2->cell(5, 4), 85);  // [-8, 8], 128 points
    EXPECT_EQ(t2->cell(2, 5), 100);
    EXPECT_EQ(find_cherkhev_table("3-fixed")->cell(2, 2), 94);
    EXPECT_EQ(find_cherkhev_table("4-fixed")->cell(0, 3), 86);
    EXPECT_EQ(find_cherkhev_table("nope"), nullptr);
}

// The fixed-point tables count 2^bits points; the float tables' columns are bit budgets.
TEST(CherkhevTables, FixedPointColumnsAreTwoToTheBits) {
    for (const char* id : {"3-fixed", "4-fixed"}) {
        const CherkhevTable& t = *find_cherkhev_table(id);
        const SweepGrid g = *expand_grid(t.grid);
        for (std::size_t c = 0; c < t.columns.size(); ++c)
            EXPECT_EQ(std::stoi(g.axes[1][c]), 1 << std::stoi(t.columns[c])) << id;
    }
}

TEST(CherkhevTables, DashCellsAreTheNoMantissaRuleButOne) {
    int exceptions = 0;
    for (const char* id : {"3-float", "4-float"}) {
        const CherkhevTable& t = *find_cherkhev_table(id);
        const SweepGrid g = *expand_grid(t.grid);
        for (std::size_t r = 0; r < t.rows.size(); ++r)
            for (std::size_t c = 0; c < t.columns.size(); ++c) {
                const int e = static_cast<int>(r) + 1, bits = std::stoi(t.columns[c]);
                const bool dash = std::isnan(t.cell(r, c));
                if (dash == !cherkhev_float_cell_exists(e, bits)) continue;
                ++exceptions;
                // The one: Table 4, e = 7 at 9 bits leaves m = 1 and is printed "-".
                EXPECT_EQ(std::string(id), "4-float");
                EXPECT_EQ(e, 7);
                EXPECT_EQ(bits, 9);
                EXPECT_TRUE(dash);
            }
        // The lab's grid marks exactly the no-mantissa cells (m <= 0) as impossible.
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            if (t.grid_row[r] < 0) continue;
            for (std::size_t c = 0; c < t.columns.size(); ++c) {
                const std::size_t k = static_cast<std::size_t>(t.grid_row[r]) * g.columns() + c;
                EXPECT_EQ(g.possible[k], cherkhev_float_cell_exists(static_cast<int>(r) + 1,
                                                                    std::stoi(t.columns[c])))
                    << g.specs[k];
            }
        }
    }
    EXPECT_EQ(exceptions, 1);
    // Budgets: 6 bits with e = 5 leaves m = 0, a "-" cell; 7 bits leaves m = 1.
    const SweepGrid g = *expand_grid("float:e=5,bits={6,7},sub=0,sat=1");
    EXPECT_FALSE(g.possible[0]);
    EXPECT_TRUE(g.possible[1]);
    EXPECT_EQ(g.specs[1], "float:e=5,m=1,sub=0,sat=1");
}

Dataset two_blobs(int n, std::uint64_t seed) {
    Rng rng(seed);
    Dataset d;
    d.name = "blobs";
    d.features = 2;
    d.classes = 2;
    for (int i = 0; i < n; ++i) {
        const int y = i % 2;
        d.x.push_back(static_cast<float>((y ? 0.5 : -0.5) + 0.3 * rng.normal()));
        d.x.push_back(static_cast<float>(0.2 + 0.3 * rng.normal()));
        d.y.push_back(y);
    }
    return d;
}

TEST(SweepProtocol, PaperIsThreePassesScoredOnHeldOutRows) {
    const Dataset data = two_blobs(200, 3);
    QuantizedLinearOptions base;
    base.epochs = 17;  // replaced by the protocol's
    SweepPlan plan;
    SweepJob job(data, *expand_grid("lattice:range=1,points={8,33}"), base, plan);
    ASSERT_EQ(run_job(job).ok(), true);
    EXPECT_EQ(job.epochs(), kCherkhevEpochs);
    EXPECT_TRUE(job.scores_test());
    ASSERT_NE(job.test(), nullptr);
    EXPECT_EQ(job.train().size() + job.test()->size(), data.size());
    EXPECT_EQ(job.test()->size(), 40u);
    // The same cell trained directly on the same split: the same held-out accuracy.
    const Split split = split_dataset(data, plan.test_fraction, plan.seed);
    QuantizedLinearOptions o = base;
    o.epochs = 3;
    o.format = "lattice:range=1,points=33";
    const auto direct = *train_quantized_perceptron(split.train, &split.test, o);
    EXPECT_EQ(job.score(job.cells()[1]), direct.test_accuracy);
    EXPECT_LE(job.cells()[1].result.epochs_run, 3);
    EXPECT_EQ(parse_sweep_protocol("paper").value(), SweepProtocol::paper);
    EXPECT_FALSE(parse_sweep_protocol("fast"));
}

TEST(SweepProtocol, ConvergeIsFiftyPassesScoredOnTrainingRows) {
    const Dataset data = two_blobs(120, 4);
    SweepPlan plan;
    plan.protocol = SweepProtocol::converge;
    SweepJob job(data, *expand_grid("lattice:range=1,points={9}"), {}, plan);
    ASSERT_TRUE(run_job(job).ok());
    EXPECT_EQ(job.epochs(), kConvergeEpochs);
    EXPECT_FALSE(job.scores_test());
    EXPECT_EQ(job.train().size(), data.size());
    QuantizedLinearOptions o;
    o.format = "lattice:range=1,points=9";
    o.epochs = 50;
    EXPECT_EQ(job.score(job.cells()[0]),
              train_quantized_perceptron(data, nullptr, o)->train_accuracy);
    // A test fraction outside (0, 1) fails the paper's protocol with a message.
    SweepPlan bad;
    bad.test_fraction = 0;
    SweepJob failing(data, *expand_grid("lattice:range=1,points=9"), {}, bad);
    EXPECT_EQ(failing.state(), JobState::failed);
    EXPECT_NE(failing.status().message().find("test fraction"), std::string::npos);
}

TEST(DataModifiers, ClassPairAndBinarize) {
    Dataset d;
    d.name = "three";
    d.features = 2;
    d.classes = 3;
    d.x = {0.1f, 0.9f, 0.6f, 0.4f, 0.7f, 0.2f, 0.5f, 0.51f};
    d.y = {0, 1, 2, 1};
    const Dataset p = *class_pair(d, 2, 1);  // 2 -> 0, 1 -> 1, rows in order
    EXPECT_EQ(p.classes, 2);
    EXPECT_EQ(p.y, (std::vector<int>{1, 0, 1}));
    EXPECT_EQ(p.x, (std::vector<float>{0.6f, 0.4f, 0.7f, 0.2f, 0.5f, 0.51f}));
    const Dataset b = binarized(d, 0.5);
    EXPECT_EQ(b.x, (std::vector<float>{0, 1, 1, 0, 1, 0, 0, 1}));
    EXPECT_FALSE(class_pair(d, 1, 1));
    const auto bad = class_pair(d, 0, 5);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.status().message().find("not 5"), std::string::npos);
}

TEST(DataModifiers, SpecsReadThemAndNameBadOnes) {
    DataSpecOptions o;
    o.data_dir = QLAB_DATA_DIR;
    auto iris = load_data_spec("sklearn:iris@classes=0/2", o);
    if (!iris && iris.status().message().find("bootstrap") != std::string::npos)
        GTEST_SKIP() << "the sklearn CSVs are not installed";
    ASSERT_TRUE(iris) << iris.status().message();
    EXPECT_EQ(iris->classes, 2);
    EXPECT_EQ(iris->size(), 100u);
    EXPECT_EQ(iris->name, "sklearn:iris@classes=0/2");
    const auto both = load_data_spec("sklearn:iris@classes=0/2@binarize=3", o);
    ASSERT_TRUE(both);
    for (float v : both->x) EXPECT_TRUE(v == 0 || v == 1);
    for (const char* spec : {"sklearn:iris@classes=0", "sklearn:iris@classes=0/9",
                             "sklearn:iris@binarize=x", "sklearn:iris@classes=a/b"}) {
        const auto r = load_data_spec(spec, o);
        ASSERT_FALSE(r) << spec;
        EXPECT_NE(r.status().message().find(spec), std::string::npos) << r.status().message();
    }
}

// Cherkhev eq. 1 for a codebook, whose widest gap can be anywhere: against a dense scan.
TEST(CherkhevDelta, EveryGapOfACodebookCounts) {
    const Format f = *Format::parse("codebook:values=-2.594;-0.6831;0;0.1711;0.6831;2.594");
    // The widest gap is 0.6831..2.594, far from zero: half of it, 0.95545.
    EXPECT_NEAR(f.worst_case_error(-3, 3), (2.594 - 0.6831) / 2, 1e-12);
    Rng rng(9);
    for (int trial = 0; trial < 30; ++trial) {
        std::vector<double> v = {0};
        for (int i = 0; i < 6; ++i) {
            const double a = 4 * rng.uniform();
            v.push_back(a), v.push_back(-a);
        }
        std::sort(v.begin(), v.end());
        std::string spec = "codebook:values=";
        for (std::size_t i = 0; i < v.size(); ++i) spec += (i ? ";" : "") + shortest_repr(v[i]);
        const Format c = *Format::parse(spec);
        const double lo = -3 * rng.uniform(), hi = 3 * rng.uniform();
        for (Rounding mode : {Rounding::nearest_even, Rounding::toward_zero}) {
            double scan = 0;
            for (int k = 0; k <= 20000; ++k) {
                const double x = lo + (hi - lo) * k / 20000.0;
                scan = std::max(scan, std::fabs(x - c.quantize_ref(x, mode)));
            }
            const double w = c.worst_case_error(lo, hi, mode);
            EXPECT_GE(w + 1e-12, scan) << spec << " " << rounding_name(mode);
            EXPECT_LE(w, scan + (hi - lo) / 20000.0 + 1e-12) << spec << " " << rounding_name(mode);
        }
    }
}

TEST(Theorem1Search, NoRunBeyondTheSafeBoundAndTheClosestReproduces) {
    Theorem1SearchOptions o;
    o.trials = 25;
    o.refine = 25;
    o.seed = 7;
    Theorem1SearchJob job(o);
    ASSERT_TRUE(run_job(job).ok());
    const Theorem1SearchResult& r = job.result();
    EXPECT_GT(r.runs, 200);
    EXPECT_GT(r.in_scope, 30);
    EXPECT_GT(r.safe_in_scope, 30);
    EXPECT_EQ(r.above_safe, 0);  // the closed argument (perceptron.hpp) allows none
    ASSERT_TRUE(r.found_worst);
    const Theorem1Run& w = r.worst;
    EXPECT_EQ(w.start_norm, 0);
    EXPECT_LT(w.delta, w.margin);
    // Rerun: the same mistakes; and gamma and R from the quantized data directly.
    const Theorem1Run again = *theorem1_run(w.data, w.format, w.order_seed, o.max_passes);
    EXPECT_EQ(again.mistakes, w.mistakes);
    const Format f = *Format::parse(w.format);
    std::vector<std::vector<double>> z;
    double radius = 0;
    for (std::size_t i = 0; i < w.data.size(); ++i) {
        std::vector<double> v;
        double n2 = 0;
        for (int j = 0; j < w.data.features; ++j) {
            v.push_back(f.quantize_ref(w.data.row(i)[j]) * (w.data.y[i] ? 1 : -1));
            n2 += v.back() * v.back();
        }
        radius = std::max(radius, std::sqrt(n2));
        z.push_back(v);
    }
    EXPECT_NEAR(w.radius, radius, 1e-12);
    EXPECT_NEAR(w.margin, max_margin(z), 1e-9);
    EXPECT_NEAR(w.paper_bound, std::pow(radius / (w.margin - w.delta), 2), 1e-9 * w.paper_bound);
    // Deterministic for a seed.
    Theorem1SearchJob same(o);
    ASSERT_TRUE(run_job(same).ok());
    EXPECT_EQ(same.result().worst.mistakes, w.mistakes);
    EXPECT_EQ(same.result().runs, r.runs);
}

}  // namespace
}  // namespace qlab
