// Kundu et al. 2017 §4: per-layer tolerances epsilon_k (earlier, more sensitive layers tighter;
// Fig. 1's compute-aware choice), the "# blocks" and "comp" columns of Tables 3 and 4 at about 1%
// and 2% accuracy loss with 8-bit activations (the paper's "8-2" networks), on a learner's model;
// the paper's own cells; and the abstract's figures derived from Table 3.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/kundu.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

// X, the power-performance gain of 8-2 over 8-8 operations: §4 estimates X ~ 5.5 for N = 64. §6.2
// calls the same ratio c = C_8 / C_2 and assumes c ~ 5 for N = 64. In §6.2's model c is a ratio of
// two operation costs and does not depend on N; the paper gives no estimate for other N.
constexpr double kKunduGainX = 5.5;
constexpr double kKunduGainC62 = 5.0;

// Tables 3 (ResNet-101) and 4 (AlexNet) as printed: "# Blocks" and "comp" relative to FGQ without
// residuals (1x), at a loss of about 1% and about 2% from FP32.
struct KunduPaperCell {
    int table = 3;
    const char* network;
    int block = 64;      // N
    double loss = 0.01;  // ~1% or ~2%
    double blocks = 0, comp = 0;
};
const std::vector<KunduPaperCell>& kundu_paper_tables();

// The abstract's ResNet-101 figures and what Table 3's N = 64 row gives for them: model size over
// 8-8 8 / ((2 + 8/N) x blocks), multiplications N / (blocks or comp), power-performance
// X / (C (X/N + 1)) with C = comp (or blocks).
struct KunduAbstractFigure {
    std::string what;        // e.g. "~1% loss: power-performance gain over 8-8"
    double printed = 0;      // the abstract's number
    double from_comp = 0;    // from Table 3's comp column
    double from_blocks = 0;  // from its # blocks column
};
std::vector<KunduAbstractFigure> kundu_abstract_derivation(double x = kKunduGainX);

// ---- Per-layer tolerances on a model
// --------------------------------------------------------------

// How epsilon_k follows a global epsilon. s_k is layer k's measured sensitivity (the relative
// change of the scores per relative change of its weights); m_k its share of the multiply-adds.
//  - uniform: epsilon_k = epsilon (the Ternary lesson's single tolerance);
//  - sensitivity: epsilon_k proportional to 1 / s_k (§4: "gradually smaller values ... for
//    earlier layers", which are the more sensitive ones by Theorem 1, eq. 3);
//  - compute: epsilon_k proportional to sqrt(m_k) / s_k (Fig. 1's compute-aware choice: with the
//    error falling geometrically in the residual terms, minimising sum_k m_k terms_k subject to
//    sum_k s_k^2 epsilon_k^2 = const gives epsilon_k^2 proportional to m_k / s_k^2).
// Every scheme is scaled so that sum_k s_k^2 epsilon_k^2 = epsilon^2 sum_k s_k^2, the uniform
// scheme's predicted output perturbation, so one epsilon means the same budget in all three.
enum class ToleranceScheme { uniform, sensitivity, compute };
const char* tolerance_scheme_name(ToleranceScheme scheme);
std::vector<double> layer_tolerances(ToleranceScheme scheme, double epsilon,
                                     const std::vector<double>& sensitivity,
                                     const std::vector<double>& compute_share);

// 8-bit dynamic fixed point for a layer's outputs (one power-of-two step per layer, as the
// paper's [20]): the finest step whose largest code covers max_abs: ufixed:w=B,f=F (fixed:w=B,f=F
// when the values can be negative).
std::string dynamic_fixed_format(double max_abs, int bits, bool is_signed);

// The weights of a tensor after its first `steps` residual steps of Algorithm 2 (steps = 0: the
// plain FGQ ternary; steps = order.size(): everything it built), and the terms each block has then.
std::vector<double> reconstruct_prefix(const ResidualTensor& tensor, std::size_t steps);
std::vector<int> block_terms_at(const ResidualTensor& tensor, std::size_t steps);
// The steps Algorithm 2 needs to reach ||W - W^|| / ||W|| <= tolerance (all it has when it never
// did).
std::size_t steps_for_tolerance(const ResidualTensor& tensor, double tolerance);

struct KunduTablesOptions {
    std::size_t block = 64;                     // N
    double gain_x = kKunduGainX;                // X
    int activation_bits = 8;                    // hidden outputs in dynamic fixed point (0: float)
    std::vector<double> losses = {0.01, 0.02};  // the tables' "~1%" and "~2%"
    double epsilon_max = 0.6, epsilon_min = 0.015;  // the global epsilon scanned, geometrically
    int scales = 16;
    int max_residuals = 32;
    std::vector<ToleranceScheme> schemes = {ToleranceScheme::uniform, ToleranceScheme::sensitivity,
                                            ToleranceScheme::compute};
    std::size_t calibration_rows = 1000;  // activation ranges and sensitivities
    double sensitivity_epsilon = 0.05;    // the relative weight noise of the sensitivity probe
    std::uint64_t seed = 1;
};

struct KunduTablePoint {
    double epsilon = 0;
    std::vector<double> layer_epsilon;  // epsilon_k (Fig. 1 plots epsilon_k^2)
    std::vector<std::size_t> layer_steps;
    double accuracy = 0, loss = 0;  // loss = FP32 accuracy - accuracy
    double blocks = 0;              // sum of terms over blocks / FGQ's blocks ("# Blocks")
    double compute = 0;             // the same weighted by each block's multiply-adds ("comp")
    double power_performance = 0;   // X / (C (X/N + 1)) with C = compute
};
struct KunduSchemeRun {
    ToleranceScheme scheme = ToleranceScheme::uniform;
    std::vector<KunduTablePoint> points;  // epsilon from large to small
    // Per target loss: the point with the least compute among those within it (-1: none).
    std::vector<int> at_loss;
};
struct KunduTablesResult {
    double float_accuracy = 0;          // FP32 weights and activations (the reference of "loss")
    double activation_accuracy = 0;     // FP32 weights, quantized activations
    double fgq_accuracy = 0;            // plain FGQ ternary (no residuals), quantized activations
    std::vector<std::size_t> layers;    // the weighted layers (indices into Model::layers)
    std::vector<double> sensitivity;    // s_k
    std::vector<double> compute_share;  // m_k
    std::vector<std::string> activation_formats;  // per layer (empty for the last)
    std::vector<KunduSchemeRun> schemes;
};

// Units: a sensitivity probe per weighted layer, Algorithm 2 per layer (once, to the tightest
// tolerance any scheme needs; looser ones are its prefixes), then one evaluation per (scheme,
// epsilon). Keeps references to model, test and calibration, which must outlive the job.
class KunduTablesJob : public Job {
  public:
    KunduTablesJob(const Model& model, const Dataset& test, const Dataset& calibration,
                   const KunduTablesOptions& options = {});
    ~KunduTablesJob() override;
    JobProgress progress() const override;
    const KunduTablesResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace qlab
