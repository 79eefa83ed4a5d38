// Sakr et al. 2017, "Analytical guarantees on numerical precision of deep neural networks": E_A,
// E_W, Theorem 1 (eq. 8/11), Theorem 2 (eq. 13, literal and with t optimised), eq. 12's offset,
// the costs of eq. 3-4, and noise / fixed-point simulations to hold the bounds against.
//
// Conventions (also in the README):
// - A is the input of every dense or conv layer: the network input and every hidden output after
//   its activation (after pooling); the logits are not in A. W is every weight or kernel entry;
//   biases are not in W.
// - Delta_A = 2^-(B_A-1), Delta_W = 2^-(B_W-1). Weights fixed:w=B_W,f=B_W-1; hidden activations in
//   [0, 2] ufixed:w=B_A,f=B_A-1 (fixed:w=B_A,f=B_A-1 after tanh/none); inputs in [-1, 1]
//   fixed:w=B_A,f=B_A-1.
// - Per sample, y^ is the float decision (a tie goes to the first index). For i != y^,
//   d_i = z_i - z_y^, g_A(i) = sum over A of (d(z_i - z_y^)/da_h)^2, g_W(i) likewise over W.
//   Derivatives at kinks are 0 (ReLU at 0, the hard sigmoid at 0 and 2).
// - E_A = mean over samples of sum_i g_A(i) / (24 d_i^2); E_W likewise.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

// Terms of the even power series of log(sinh x / x) kept per (sample, class) pair, and the |x|
// up to which the series is used (its radius of convergence is pi; at |x| <= 2 the 17th term
// is below 1e-8 of x^2/6).
constexpr int kSakrSeriesTerms = 16;
constexpr double kSakrSeriesRadius = 2.0;

// log(sinh x / x), accurate near 0 (x^2/6 - x^4/180 + ...) and for large |x| (|x| - log(2|x|)).
double log_sinhc(double x);
// c_k in log(sinh x / x) = sum_{k>=1} c_k x^{2k}: c_k = 2^{2k} B_{2k} / (2k (2k)!), k = 1..16.
double log_sinhc_coefficient(int k);

// Sakr's inputs lie in [-1, 1], the range of the fixed-point input format fixed:w=B_A,f=B_A-1.
// Scaling fitted on the training rows can put a held-out value beyond it; the fixed-point network
// saturates it, an error no theorem models (it persists at any precision). So every part of the
// analysis sees its inputs clipped to [-1, 1]: SakrJob's estimation set, float_decisions (and so
// the p_m of sakr_simulate and SakrSimJob) and the noise simulation on the estimation set. The
// lab and `qlab bounds` both get the rule from here.
long long sakr_clip_inputs(Dataset& data);                // in place; the values it moved
long long sakr_inputs_beyond_range(const Dataset& data);  // how many values it would move

struct SakrOptions {
    // The estimation set: this many random rows, or 0 = all rows (the default: E_A and E_W are
    // means dominated by a few rows of tiny float margin, so Sakr's 1000 random samples can move
    // them by large factors; see sakr_paper.hpp's bootstrap).
    int samples = 0;
    int batch = 25;          // samples per job unit
    std::uint64_t seed = 1;  // which rows form the estimation set, and the Monte Carlo noise
    int grid_min = 2, grid_max = 16;  // B_A range of a grid
    int offset = 0;                   // B_W = B_A + offset in a grid
    int noise_trials = 0;             // Monte Carlo trials of the noise simulation (0: none)
};

// One (sample, class i != y^) pair: everything a new (B_A, B_W) needs, as plain numbers.
struct SakrPair {
    int sample = 0;               // index into the estimation set
    int cls = 0;                  // i
    double v = 0;                 // z_y^ - z_i >= 0 (= -d_i)
    double g_a = 0, g_w = 0;      // sums of squared derivatives of z_i - z_y^ over A and W
    double max_a = 0, max_w = 0;  // largest |derivative| over A and over W
    // Normalised even power sums sum_h (deriv_h / max)^{2k}, k = 1..K (index k-1): Theorem 2's
    // sum of log(sinh(T D_h) / (T D_h)) is a series in them (see sakr_bounds.cpp).
    std::array<double, kSakrSeriesTerms> pa{}, pw{};
};

struct SakrBounds {
    int ba = 0, bw = 0;
    double thm1 = 0;      // eq. 11: Delta_A^2 E_A + Delta_W^2 E_W (infinite on an exact tie)
    double thm2 = 0;      // eq. 13 literally (t = T = 3v / sum D_h^2)
    double thm2_opt = 0;  // the same Chernoff bound (eq. 14) with t minimising it per pair
};

// Every derivative of z_cls - z_y^ for one sample, one weight at a time: over A (layer inputs in
// order) and W (layer by layer, row-major). The slow, obviously correct path: the reference in
// tests, and the exact Theorem 2 sum where the series does not converge.
struct SakrDerivatives {
    int decision = 0;  // y^
    double v = 0;      // z_y^ - z_cls
    std::vector<double> a, w;
};
SakrDerivatives sakr_derivatives(const Model& model, const float* x, int cls);

class SakrAnalysis {
  public:
    double e_a() const { return e_a_; }
    double e_w() const { return e_w_; }
    // eq. 12: B_W - B_A = round(log2 sqrt(E_W / E_A)) (0 when either is 0 or infinite).
    int suggested_bw_minus_ba() const;
    SakrBounds bounds(int ba, int bw) const;
    std::size_t samples() const { return decisions_.size(); }
    const std::vector<int>& decisions() const { return decisions_; }  // y^ per sample
    const std::vector<SakrPair>& pairs() const { return pairs_; }
    // Pairs with z_i == z_y^ exactly: Theorem 1 and E_A, E_W are then infinite.
    long long ties() const { return ties_; }
    std::string tie_message() const;                       // empty without ties
    const Matrix& inputs() const { return x_; }            // the estimation set's rows (clipped)
    long long inputs_clipped() const { return clipped_; }  // values of the estimation set moved

  private:
    friend class SakrJob;
    friend class SakrBoundsJob;
    friend std::string to_bytes(const SakrAnalysis& analysis);  // qlab/analysis_bytes.hpp
    friend Status from_bytes(std::string_view bytes, SakrAnalysis& out);
    double exact_log_mgf(const SakrPair& p, double t, double half_da, double half_dw) const;
    Model model_;
    Matrix x_;
    std::vector<int> decisions_;
    std::vector<SakrPair> pairs_;
    double e_a_ = 0, e_w_ = 0;
    long long ties_ = 0;
    long long clipped_ = 0;
    std::string first_tie_;
};

// The analysis as a resumable job: one unit is a batch of options.batch samples (one forward and
// one batched backward pass of the M-1 logit differences). The model and data are copied where
// needed; they need not outlive the job. Dense, conv and max-pool layers (a pool's input is not
// in A; conv weights have no per-layer factorisation and cost one small GEMM per pair).
class SakrJob : public Job {
  public:
    SakrJob(const Model& model, const Dataset& data, const SakrOptions& options);
    ~SakrJob() override;
    JobProgress progress() const override;
    const SakrAnalysis& result() const;  // complete once state() is finished

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// SakrAnalysis::bounds at one (B_A, B_W) as a resumable job. Most pairs take the series and cost
// arithmetic; a pair beyond the series' radius whose term matters needs the exact sum over every
// derivative, one backward pass, and a unit does at most `exact_per_unit` of those (at 2-3 bits
// they are many: a lab spreads them over frames). result() equals bounds() once finished; the
// job keeps a reference to the analysis.
class SakrBoundsJob : public Job {
  public:
    SakrBoundsJob(const SakrAnalysis& analysis, int ba, int bw, std::size_t exact_per_unit = 4);
    ~SakrBoundsJob() override;
    JobProgress progress() const override;  // pairs looked at
    const SakrBounds& result() const;       // thm1 at once; thm2 and thm2_opt once finished
    std::size_t exact_sums() const;         // backward passes done so far

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// Runs a SakrJob to its end.
Result<SakrAnalysis> analyze_sakr(const Model& model, const Dataset& data,
                                  const SakrOptions& options);

// eq. 3 summed over every dot product, the bias counted as one more term (D = fan-in + 1), and
// eq. 4 with A = the input and hidden activations of one sample and W = the weights.
struct SakrCost {
    double fa = 0;                           // full adders per decision
    double bits = 0;                         // representational cost
    long long activations = 0, weights = 0;  // |A|, |W|
};
double dot_product_full_adders(long long d, int ba, int bw);  // eq. 3 for one D-term dot product
SakrCost sakr_cost(const std::vector<int>& widths, int ba, int bw);  // a dense net 784-512-...-10
SakrCost sakr_cost(const Model& model, int ba, int bw);              // dense layers of a model
Result<std::vector<int>> parse_architecture(std::string_view arch);  // "784-512-512-512-10"

// Uniform noise in [-Delta/2, Delta/2] on every activation in A and every weight in W, as the
// theorems assume; p_m by Monte Carlo, both through the linearised model of eq. 7 (the one the
// bounds hold for) and through the exact noisy forward pass.
struct SakrNoiseResult {
    double p_m_linear = 0, p_m_exact = 0;
    long long trials = 0;  // samples x trials
};
// Dense layers only: a model with conv or pool layers gets trials = 0 (nothing simulated).
SakrNoiseResult sakr_noise_mc(const Model& model, const Matrix& x, int ba, int bw, int trials,
                              std::uint64_t seed);

// The fixed-point network: both roles quantized at (B_A, B_W) as in the conventions above.
// B_A, B_W >= 2 (fixed:w=1 does not exist); below that p_m and error are NaN.
struct SakrSimulation {
    double p_m = 0;    // disagreement with the float decisions
    double error = 0;  // fixed-point error against the labels
};
std::vector<int> float_decisions(const Model& model, const Dataset& data);
SakrSimulation sakr_simulate(const Model& model, const Dataset& data,
                             const std::vector<int>& float_decisions, int ba, int bw);

// ---- The lab's precision lesson (sakr_lab.cpp) ------------------------------------------------

// The fixed-point network of sakr_simulate, row by row: its decision (the first maximum) at
// (B_A, B_W). sakr_simulate's p_m is the share of rows where this differs from float_decisions.
// Empty when B_A or B_W is below 2 (fixed:w=1 does not exist).
std::vector<int> sakr_fixed_decisions(const Model& model, const Dataset& data, int ba, int bw);
// The same in two steps, for work in slices of rows: the weights in fixed:w=B_W,f=B_W-1 once
// (biases as they are), then the decisions of that model with quantized inputs and activations.
Model sakr_quantize_weights(const Model& model, int bw);
std::vector<int> sakr_fixed_decisions_quantized(const Model& quantized, const Dataset& data,
                                                int ba);

// The simulations over a list of (B_A, B_W) as one resumable job, so a large network never stalls
// a frame: one unit is at most rows_per_unit rows (the float decisions first, when not given; then
// per precision, in the order given: the fixed-point network on `data`, then sakr_noise_mc on
// `noise_rows`, the estimation set, whose linearised p_m is what Theorems 1 and 2 bound).
struct SakrSimOptions {
    int rows_per_unit = 128;
    int noise_trials = 0;    // sakr_noise_mc trials per row (0: no noise simulation)
    std::uint64_t seed = 1;  // the noise; chunk c of precision (ba, bw) is seeded from all three
};
struct SakrSimPoint {
    int ba = 0, bw = 0;
    bool fixed = false;  // p_m, error and decisions are set (data was given)
    double p_m = 0, error = 0;
    std::vector<int> decisions;  // per row of data
    bool noise = false;  // the noise fields are set (rows and trials given, dense layers only)
    double p_m_noise_linear = 0, p_m_noise_exact = 0;
    long long noise_trials = 0;  // rows x trials
};
// What a SakrSimJob has found so far.
struct SakrSimResult {
    bool float_ready = false;
    std::vector<int> float_decisions;  // per row of data; complete once float_ready
    std::vector<SakrSimPoint> points;  // finished precisions, in the order given
};
class SakrSimJob : public Job {
  public:
    // data and noise_rows may be null (that part is skipped); both are copied.
    SakrSimJob(const Model& model, const Dataset* data, const Matrix* noise_rows,
               std::vector<int> float_decisions, std::vector<std::pair<int, int>> precisions,
               const SakrSimOptions& options = {});
    ~SakrSimJob() override;
    JobProgress progress() const override;
    // Complete once float decisions are done (empty before; data must have been given).
    const std::vector<int>& float_decisions() const;
    bool float_ready() const;
    const std::vector<SakrSimPoint>& points() const;  // finished precisions, in the order given
    const SakrSimResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace qlab
