// Kundu et al. 2017, ternary residual networks: the optimal ternary (alpha*, T*) (eq. 7 as
// corrected in the formats), fine-grained blocks of N contiguous weights, Algorithm 2's residuals
// down to a tolerance, Table 2's figures, accuracy per residual level and power-performance.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

// Algorithm 1 on a vector: alpha* and the ternary signs, from the `ternary` format's fit (exact
// over the sorted magnitudes: alpha* = mean_{I_T}|W_i|, T* = argmax (sum_{I_T}|W_i|)^2/|I_T|).
struct TernaryVector {
    double alpha = 0;
    double threshold = 0;  // any T between the smallest kept and largest dropped magnitude
    std::vector<std::int8_t> signs;  // -1, 0, +1
};
TernaryVector ternarize(const double* w, std::size_t n);

// One block of N contiguous weights (the last may be shorter) and its ternary terms, term 0 the
// plain FGQ ternary, terms 1.. the residuals Algorithm 2 added to it.
struct ResidualBlock {
    std::size_t begin = 0, size = 0;
    std::vector<TernaryVector> terms;
    int residuals() const { return static_cast<int>(terms.size()) - 1; }  // r_i
};

struct ResidualOptions {
    std::size_t block = 64;   // N (0: the whole tensor is one block)
    double tolerance = 0.05;  // epsilon: stop once ||W - W^||^2 / ||W||^2 <= epsilon^2 (line 7)
    int max_residuals = 32;   // per block, a guard (Theorem 3 never stalls above a zero residual)
};

// Algorithm 2 on one tensor (flattened row-major: contiguous blocks as the paper's unrolling).
struct ResidualTensor {
    std::vector<ResidualBlock> blocks;
    std::vector<double> errors;  // ||W - W^||_F after line 3, then after every residual (line 13)
    std::vector<std::size_t> order;  // the block each residual went to, in Algorithm 2's order
    double norm = 0;                 // ||W||_F
    std::size_t n = 0;
    bool stopped_at_guard = false;  // a block hit max_residuals before the tolerance was met

    // Table 2, "FGQ + Ternary Residual", for what was built (8-bit alphas as in the paper;
    // a short last block counts its own length): model size sum_i (r_i + 1)(8 + 2 n_i) bits,
    // which is (8 + 2n/k) sum_i (r_i + 1) for equal blocks; capacity sum_i 3^(r_i + 1) - k + 1;
    // scale factors sum_i (r_i + 1).
    double model_size_bits() const;
    double capacity() const;
    long long scale_factors() const;
    int max_residuals() const;
    // The weights with every block keeping at most `level` residual terms (-1: none at all).
    std::vector<double> reconstruct(int level) const;
    // Terms kept at a level, weighted by block length, over the blocks: compute relative to FGQ.
    double compute_factor(int level) const;
};
ResidualTensor ternary_residual(const std::vector<double>& w, const ResidualOptions& options = {});

// Kundu §4 / §6.2: power-performance gain over 8-8 of FGQ ternary with C x the compute of plain
// FGQ, block size N and 8-2 gain X: X / (C (X/N + 1)).
double power_performance(double x, double c, double n);
// Kundu §6.2, memory-bandwidth bound: pi_m = 4 / (C (1/N + 1)) over 8-8 (weights streamed from
// memory at 2 bits plus one 8-bit alpha per block, C times over).
double memory_gain(double c, double n);

// The whole network: Algorithm 2 on every weighted layer, then the test accuracy with 0, 1, 2, ...
// residual terms kept per block ("battery-saving mode": the last residuals go first; a block's
// terms shrink as they come, so they are the least important).
struct KunduOptions {
    ResidualOptions residual;
    double gain_x = 5.5;      // X, the paper's estimate for N = 64 (§4)
    std::string activations;  // activation format at inference (empty: float; the paper: 8-bit)
};
struct KunduLayer {
    std::size_t layer = 0;  // index into Model::layers
    ResidualTensor tensor;
};
struct KunduLevel {
    int level = 0;  // residual terms kept per block
    double accuracy = 0;
    double compute = 0;  // C: ternary blocks relative to plain FGQ, MAC-weighted over layers
    double power_performance = 0;
    double memory_gain = 0;  // pi_m (§6.2)
    double model_size_bits = 0;
    long long scale_factors = 0;
};
struct KunduResult {
    std::vector<KunduLayer> layers;
    std::vector<KunduLevel> levels;
    double float_accuracy = 0;
};
// One unit is one layer's Algorithm 2, then one level's accuracy. Keeps references to model and
// test data, which must outlive the job.
class TernaryResidualJob : public Job {
  public:
    TernaryResidualJob(const Model& model, const Dataset& test, const KunduOptions& options = {});
    ~TernaryResidualJob() override;
    JobProgress progress() const override;
    const KunduResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};
Result<KunduResult> ternary_residual_network(const Model& model, const Dataset& test,
                                             const KunduOptions& options = {});
// The model whose weighted layers hold the ternary residual weights at a level.
Model residual_model(const Model& model, const KunduResult& result, int level);

}  // namespace qlab

// ---- What the browser lesson shows beside the CLI's figures (kundu_lab.cpp) -------------------
namespace qlab {

// Multiplications per example at a residual level. Kundu §3.2.1 / Table 2: the ternary terms only
// add and subtract; each kept term of a block costs one multiplication by its alpha for every
// output the block feeds (a block of a row-major out x in matrix that crosses a row boundary
// feeds two rows), times the layer's reuse (conv: output positions). 8-8 inference multiplies
// every weight use: the MACs.
struct KunduCost {
    double macs = 0;             // weight multiply-adds per example (the 8-8 multiplications)
    double multiplications = 0;  // alpha multiplications of the ternary residual network
    double reduction() const { return multiplications > 0 ? macs / multiplications : 0; }
};
KunduCost kundu_cost(const Model& model, const KunduResult& result, int level);

// Every weight the result covers (the denominator of bits per weight).
std::size_t kundu_weights(const KunduResult& result);

// The r_i of one tensor as a histogram: counts[r] blocks have r residual terms.
std::vector<long long> residual_histogram(const ResidualTensor& tensor);

// Table 2's "FGQ Ternary (k blocks)" row for the same blocks without residuals: model size
// 8k + 2n bits, capacity 2k + 1, k scale factors (8-bit alphas).
struct Table2Row {
    double model_size_bits = 0;
    double capacity = 0;
    long long scale_factors = 0;
};
Table2Row fgq_row(const ResidualTensor& tensor);
// The "FGQ + Ternary Residual" row of what Algorithm 2 built (the tensor's own figures).
Table2Row residual_row(const ResidualTensor& tensor);

}  // namespace qlab
