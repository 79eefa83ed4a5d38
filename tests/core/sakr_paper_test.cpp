// Sakr beside its printed numbers: Table 1 from the architectures (eq. 3 written out again here),
// the two readings of Fig. 1's E values, how sure E_A and E_W are (per-sample terms from the slow
// per-weight derivatives, the bootstrap's width against the standard error), and the design
// options against a brute-force scan.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "qlab/sakr_paper.hpp"
#include "sakr_support.hpp"

namespace qlab {
namespace {

// eq. 3 for one D-term dot product, written out independently of sakr.cpp.
double fa(long long d, int ba, int bw) {
    const int log2d = static_cast<int>(std::ceil(std::log2(static_cast<double>(d))));
    return static_cast<double>(d) * ba * bw + static_cast<double>(d - 1) * (ba + bw + log2d - 1);
}
double network_fa(const std::vector<int>& w, int ba, int bw, int bias) {
    double s = 0;
    for (std::size_t l = 0; l + 1 < w.size(); ++l) s += w[l + 1] * fa(w[l] + bias, ba, bw);
    return s;
}

TEST(SakrTable1, EveryRowFromItsArchitecture) {
    const std::vector<SakrTable1Row> rows = sakr_table1();
    ASSERT_EQ(rows.size(), 6u);
    for (const SakrTable1Row& r : rows) {
        const std::vector<int> w = *parse_architecture(r.architecture);
        EXPECT_NEAR(r.with_bias.fa, network_fa(w, r.ba, r.bw, 1), 1e-6) << r.name;
        EXPECT_NEAR(r.without_bias.fa, network_fa(w, r.ba, r.bw, 0), 1e-6) << r.name;
    }
    // Sakr's rows (8, 8) .. (4, 7) to their printed digits with D = fan-in + 1.
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_NEAR(rows[i].with_bias.fa / 1e6, rows[i].paper_fa, 0.05) << rows[i].name;
    // SQ: 533 M either way; 28.75 M bits against the printed 28.
    EXPECT_NEAR(rows[4].with_bias.fa / 1e6, 533.33, 0.01);
    EXPECT_NEAR(rows[4].without_bias.fa / 1e6, 532.74, 0.01);
    EXPECT_NEAR(rows[4].with_bias.bits / 1e6, 28.749, 0.001);
    // BN at (1, 1): 137.0 M (D = fan-in + 1) or 128.5 M (D = fan-in) against the printed 117 M.
    EXPECT_EQ(rows[5].name, "BN (1, 1)");
    EXPECT_NEAR(rows[5].with_bias.fa / 1e6, 137.00, 0.01);
    EXPECT_NEAR(rows[5].without_bias.fa / 1e6, 128.51, 0.01);
    EXPECT_EQ(rows[5].paper_fa, 117);
    EXPECT_NEAR(rows[5].with_bias.bits / 1e6, 10.02, 0.01);
}

TEST(SakrReadings, PrintedEFitTable1OnlyWithoutTheOneOver24) {
    EXPECT_EQ(sakr_printed_e().front().e_a, 41);
    EXPECT_EQ(sakr_printed_e().front().e_w, 3803);
    const std::vector<SakrReading> r = sakr_readings(41, 3803);
    ASSERT_EQ(r.size(), 2u);
    // As eq. 11's E: Theorem 1 at (8, 8) is (41 + 3803) 2^-14 = 23.5%, and the 1% rule picks
    // (11, 11) and (8, 11).
    EXPECT_NEAR(r[0].thm1_8_8, (41 + 3803) * std::ldexp(1.0, -14), 1e-15);
    EXPECT_NEAR(r[0].thm1_8_8, 0.2346, 1e-4);
    EXPECT_EQ(r[0].option_a, (std::pair<int, int>{11, 11}));
    EXPECT_EQ(r[0].option_c, (std::pair<int, int>{8, 11}));
    EXPECT_EQ(r[0].offset, 3);  // log2 sqrt(3803 / 41) = 3.27
    // Without the 1/24 (E = printed / 24): Table 1's (8, 8) and (6, 9).
    EXPECT_NEAR(r[1].thm1_8_8, 0.2346 / 24, 1e-5);
    EXPECT_EQ(r[1].option_a, (std::pair<int, int>{8, 8}));
    EXPECT_EQ(r[1].option_c, (std::pair<int, int>{6, 9}));
    // (7, 7) and (5, 8) are just above 1% in that reading: 3.9% and 1.6%.
    EXPECT_GT(sakr_theorem1(41.0 / 24, 3803.0 / 24, 7, 7), 0.01);
    EXPECT_GT(sakr_theorem1(41.0 / 24, 3803.0 / 24, 5, 8), 0.01);
    EXPECT_EQ(sakr_smallest_precision(1e9, 1e9, 0, 0.01, 4), (std::pair<int, int>{0, 0}));
}

struct Fixture {
    Model model = test::random_model({6, 8, 5, 4}, Activation::hardsigmoid, 11);
    Dataset data = test::random_data(60, 6, 4, 12);
};

TEST(SakrSpread, SampleTermsFromThePerWeightDerivatives) {
    const Fixture f;
    SakrOptions o;
    o.samples = 0;
    const SakrAnalysis a = *analyze_sakr(f.model, f.data, o);
    const std::vector<double> ta = sakr_sample_terms_a(a), tw = sakr_sample_terms_w(a);
    ASSERT_EQ(ta.size(), f.data.size());
    for (std::size_t s = 0; s < f.data.size(); ++s) {
        double ea = 0, ew = 0;
        const float* x = f.data.row(s);
        const int y = sakr_derivatives(f.model, x, 0).decision;
        for (int c = 0; c < 4; ++c) {
            if (c == y) continue;
            const SakrDerivatives d = sakr_derivatives(f.model, x, c);
            const double v2 = d.v * d.v;
            for (double g : d.a) ea += g * g / (24 * v2);
            for (double g : d.w) ew += g * g / (24 * v2);
        }
        EXPECT_NEAR(ta[s], ea, 1e-4 * ea) << s;
        EXPECT_NEAR(tw[s], ew, 1e-4 * ew) << s;
    }
    EXPECT_NEAR(std::accumulate(ta.begin(), ta.end(), 0.0) / static_cast<double>(ta.size()),
                a.e_a(), 1e-9 * a.e_a());
    // The largest terms' share and the largest term.
    SakrSpreadOptions so;
    so.top = 3;
    const SakrSpread s = sakr_spread(a, so);
    std::vector<double> sorted = ta;
    std::sort(sorted.rbegin(), sorted.rend());
    EXPECT_NEAR(s.largest_a, sorted[0], 1e-12);
    EXPECT_NEAR(s.top_share_a,
                (sorted[0] + sorted[1] + sorted[2]) / std::accumulate(ta.begin(), ta.end(), 0.0),
                1e-12);
}

TEST(SakrSpread, BootstrapIntervalMatchesTheStandardError) {
    const Fixture f;
    SakrOptions o;
    o.samples = 0;
    const SakrAnalysis a = *analyze_sakr(f.model, test::random_data(400, 6, 4, 13), o);
    const std::vector<double> tw = sakr_sample_terms_w(a);
    const double n = static_cast<double>(tw.size());
    double mean = 0, var = 0;
    for (double t : tw) mean += t / n;
    for (double t : tw) var += (t - mean) * (t - mean) / (n - 1);
    const double se = std::sqrt(var / n);
    SakrSpreadOptions so;
    so.replicates = 2000;
    const SakrSpread s = sakr_spread(a, so);
    EXPECT_LT(s.e_w_lo, a.e_w());
    EXPECT_GT(s.e_w_hi, a.e_w());
    // A 95% percentile interval of a mean is about 2 x 1.96 standard errors wide (skewed terms
    // make it lopsided, so only its width is checked).
    EXPECT_NEAR(s.e_w_hi - s.e_w_lo, 2 * 1.96 * se, 0.3 * 2 * 1.96 * se);
    // Theorem 1's interval comes from the same resamples: at (B, B) it is Delta^2 (E_A + E_W).
    const auto [lo, hi] = s.theorem1_interval(6, 6);
    EXPECT_LT(lo, sakr_theorem1(a.e_a(), a.e_w(), 6, 6));
    EXPECT_GT(hi, sakr_theorem1(a.e_a(), a.e_w(), 6, 6));
    // Deterministic for a seed.
    EXPECT_EQ(sakr_spread(a, so).e_w_lo, s.e_w_lo);
}

TEST(SakrDesign, OptionsAreTheSmallestPrecisionsByBruteForce) {
    const Fixture f;
    SakrOptions o;
    o.samples = 0;
    const SakrAnalysis a = *analyze_sakr(f.model, f.data, o);
    const std::vector<SakrDesignOption> opts = sakr_design_options(a, f.model, 0.01, 16);
    ASSERT_EQ(opts.size(), 4u);
    const int eq12 = a.suggested_bw_minus_ba();
    for (const SakrDesignOption& d : opts) {
        SCOPED_TRACE(std::string(1, d.label));
        EXPECT_EQ(d.offset, d.label == 'A' || d.label == 'B' ? 0 : eq12);
        int want = 0;
        for (int ba = 1; ba <= 16 && !want; ++ba) {
            const int bw = ba + d.offset;
            if (bw < 1 || bw > 16) continue;
            const SakrBounds b = a.bounds(ba, bw);
            if ((d.theorem2 ? b.thm2 : b.thm1) <= 0.01) want = ba;
        }
        ASSERT_TRUE(d.found);
        EXPECT_EQ(d.ba, want);
        EXPECT_EQ(d.bw, want + d.offset);
        EXPECT_EQ(d.cost.fa, sakr_cost(f.model, d.ba, d.bw).fa);
    }
}

}  // namespace
}  // namespace qlab
