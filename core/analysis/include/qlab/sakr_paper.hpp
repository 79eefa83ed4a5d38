// Sakr et al. 2017 beside its own printed numbers: how sure an estimate of E_A and E_W is (they are
// means over the estimation set, and rare samples with a tiny float margin dominate them), the
// two readings of the printed E values (with or without eq. 11's 1/24), Table 1 complete (SQ and
// BN from their architectures, eq. 3 read with and without the bias term), and the design options
// A-D of §4.1 (Table 1) / A-B of §4.2 (Table 2) on a learner's model.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "qlab/sakr.hpp"

namespace qlab {

// ---- How sure are E_A and E_W? -----------------------------------------------------------------

// Per sample s of the estimation set, e_A(s) = sum_{i != y^} g_A(i) / (24 d_i^2), so that
// E_A = mean_s e_A(s) (eq. 11); e_W(s) likewise. Infinite for a sample with an exact logit tie.
std::vector<double> sakr_sample_terms_a(const SakrAnalysis& analysis);
std::vector<double> sakr_sample_terms_w(const SakrAnalysis& analysis);

struct SakrSpreadOptions {
    int replicates = 1000;  // bootstrap resamples of the estimation set
    double level = 0.95;    // the interval's coverage
    int top = 10;           // the largest this many samples: their share of the sum
    std::uint64_t seed = 1;
};
struct SakrSpread {
    int samples = 0, replicates = 0, top = 0;
    double level = 0;
    double e_a = 0, e_w = 0;  // the estimates themselves (= SakrAnalysis::e_a(), e_w())
    // Percentile bootstrap intervals of the means (resampling whole samples, with replacement).
    double e_a_lo = 0, e_a_hi = 0, e_w_lo = 0, e_w_hi = 0;
    // The share of sum_s e_A(s) the `top` largest samples carry (1/n each if all were equal).
    double top_share_a = 0, top_share_w = 0;
    double largest_a = 0, largest_w = 0;  // the largest single sample's e_A(s), e_W(s)
    // The replicates' (E_A, E_W): Theorem 1 is linear in them, so its interval at any precision
    // comes from the same resamples (theorem1_interval).
    std::vector<std::pair<double, double>> resampled;
    std::pair<double, double> theorem1_interval(int ba, int bw) const;
};
// Empty (samples = 0) for an analysis without samples; infinite bounds with ties.
SakrSpread sakr_spread(const SakrAnalysis& analysis, const SakrSpreadOptions& options = {});

// ---- The printed E values and Theorem 1's design rule -------------------------------------------

// eq. 11: Delta_A^2 E_A + Delta_W^2 E_W with Delta = 2^-(B-1) and E as eq. 11 defines it (the
// 1/24 inside).
double sakr_theorem1(double e_a, double e_w, int ba, int bw);
// Table 1's rule for options A and C: the smallest B_A (1..max_bits, B_W = B_A + offset) whose
// Theorem 1 is at most `threshold`; {0, 0} when none is.
std::pair<int, int> sakr_smallest_precision(double e_a, double e_w, int offset,
                                            double threshold = 0.01, int max_bits = 24);

// The E values Sakr prints: Fig. 1 / §4.1 (MNIST) E_A = 41, E_W = 3803; Fig. 2 / §4.2 (CIFAR-10)
// E_A = 21033, E_W = 31641.
struct SakrPrintedE {
    const char* where;
    double e_a, e_w;
};
const std::vector<SakrPrintedE>& sakr_printed_e();

// One reading of a pair of printed values: as eq. 11's E, or as the sums without the 1/24 (so
// E = printed / 24). Theorem 1 at (8, 8) and the options the 1% rule then picks (B_W = B_A, and
// B_W = B_A + eq. 12's offset, which the ratio alone fixes and is the same in both readings).
struct SakrReading {
    std::string name;
    double e_a = 0, e_w = 0;  // as used in eq. 11
    int offset = 0;           // eq. 12
    double thm1_8_8 = 0;
    std::pair<int, int> option_a, option_c;
};
std::vector<SakrReading> sakr_readings(double printed_e_a, double printed_e_w);

// ---- Table 1 complete ---------------------------------------------------------------------------

// Full adders of a dense network by eq. 3 with D = fan-in (the bias not counted as a product).
SakrCost sakr_cost_without_bias(const std::vector<int>& widths, int ba, int bw);

// A row of Table 1 as printed (test error %, 10^6 full adders, 10^6 bits) with our eq. 3 / eq. 4
// for its architecture: D = fan-in + 1 (the reading that reproduces rows (8, 8) .. (4, 7)) and
// D = fan-in.
struct SakrTable1Row {
    std::string name;  // "(8, 8)" .. "SQ (16, 16)", "BN (1, 1)"
    std::string architecture;
    int ba = 0, bw = 0;
    double paper_error = 0, paper_fa = 0, paper_bits = 0;
    SakrCost with_bias, without_bias;
};
std::vector<SakrTable1Row> sakr_table1();

// ---- Design options on a model (Table 1's A-D, Table 2's A-B) -----------------------------------

// The smallest precision whose bound is at most `threshold` under one rule: Theorem 1 or 2
// (literal eq. 13), B_W = B_A or B_W = B_A + eq. 12's offset.
struct SakrDesignOption {
    char label = 'A';
    bool theorem2 = false;
    int offset = 0;
    bool found = false;  // some B_A in 1..max_bits meets the threshold
    int ba = 0, bw = 0;
    double bound = 0;
    SakrCost cost;
};
std::vector<SakrDesignOption> sakr_design_options(const SakrAnalysis& analysis, const Model& model,
                                                  double threshold = 0.01, int max_bits = 16);

}  // namespace qlab
