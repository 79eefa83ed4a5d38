// Lin, Talathi & Annapureddy 2016 on a learner's model: the measured SQNR of every quantization
// step, the efficiency kappa per step (eq. 2), the output SQNR predicted by eq. 9 beside the one
// measured, cross-layer bit allocation (eq. 14-16) and model size against error (Fig. 4, Table 6).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/sqnr.hpp"
#include "qlab/status.hpp"

namespace qlab {

// One quantization step of eq. 9: a layer's weights (W^(l)) or a hidden layer's output (a^(l)).
// The network input and the scores are not quantized by predict_scores, so they are no steps; a
// max-pool's output is no step either (the max of values on a grid is on that grid).
enum class StepRole { weights, activations };
struct QuantStep {
    std::size_t layer = 0;  // index into Model::layers
    StepRole role = StepRole::weights;
    std::string format;        // the format applied (empty: none, SQNR +inf)
    std::size_t count = 0;     // values measured
    double sqnr_db = 0;        // 10 log10(sum x^2 / sum (x - q(x))^2), by direct sums in double
    std::string name() const;  // "W1", "a1", ... (1-based layer numbers)
};

// The SQNR of each step and of the output, with the formats the EvalOptions give (per layer when
// options.layers is set, else the roles; per-row weight formats are measured row by row).
struct ModelSqnr {
    std::vector<QuantStep> steps;
    double predicted_output_db = 0;  // eq. 9: 1/gamma_out = sum over steps of 1/gamma_step
    double measured_output_db = 0;   // float scores against the quantized network's scores
    double float_accuracy = 0, quantized_accuracy = 0;
    std::size_t rows = 0;  // examples used
};
struct SqnrOptions {
    std::size_t max_rows = 1000;  // examples used for activations and outputs (0: all)
};
Result<ModelSqnr> model_sqnr(const Model& model, const Dataset& data, const EvalOptions& formats,
                             const SqnrOptions& options = {});

// eq. 9 itself: 10 log10 of 1 / sum_i 10^(-gamma_i/10), with gamma_i in dB (+inf terms add 0).
double predicted_output_sqnr_db(const std::vector<double>& step_db);

// Lin §3.3's fixed-point format for `values` at `bits`: step s = sigma_hat * Stepsize(bits) from
// the optimal uniform quantizer of `distribution` (Table 1), sigma_hat = sigma_factor * sigma,
// fractional bits n = -ceil(log2 s): "fixed:w=bits,f=n" (signed). sigma is the RMS (the
// quantizer is symmetric about 0). Lin's experiments use sigma_hat = 3 sigma.
struct LinFormatOptions {
    double sigma_factor = 3;
    Distribution distribution = Distribution::gaussian;
};
std::string lin_fixed_format(const std::vector<double>& values, int bits,
                             const LinFormatOptions& options = {});

// The least-squares slope of y over x (dB per bit: Lin's kappa, eq. 2); finite points only.
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

// SQNR per step and at the output across bit widths, every step at the same width with Lin's
// formats (weights and activations alike): one unit is one bit width.
struct LinSweepOptions {
    int min_bits = 2, max_bits = 12;
    LinFormatOptions format;
    std::size_t max_rows = 1000;
    bool measure_output = true;  // false: only the per-step SQNRs (kappa), no forward passes
};
struct LinSweepRow {
    int bits = 0;
    std::vector<std::string> formats;  // per step
    std::vector<double> step_db;       // per step
    double predicted_output_db = 0, measured_output_db = 0, accuracy = 0;
};
struct LinSweepResult {
    std::vector<QuantStep> steps;  // which steps (sqnr_db unset); rows hold the values
    std::vector<LinSweepRow> rows;
    std::vector<double> kappa;  // per step, slope of step_db over bits (eq. 2)
    double output_kappa = 0;    // slope of the measured output SQNR
    double float_accuracy = 0;
};
// Keeps references to model and data, which must outlive the job.
class LinSweepJob : public Job {
  public:
    LinSweepJob(const Model& model, const Dataset& data, const LinSweepOptions& options = {});
    ~LinSweepJob() override;
    JobProgress progress() const override;
    const LinSweepResult& result() const;  // rows so far; kappa once finished

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};
Result<LinSweepResult> lin_sweep(const Model& model, const Dataset& data,
                                 const LinSweepOptions& options = {});

// Cross-layer bit allocation (eq. 14-16). Minimising sum_i rho_i beta_i subject to
// sum_i 1/gamma_i <= C with 10 log10 gamma_i = kappa beta_i gives rho_i / lambda_i = const
// (eq. 14), so 10 log10(rho_i)/kappa + beta_i = const (eq. 15) and
// beta_i - beta_0 = 10 log10(rho_0 / rho_i) / kappa (eq. 16), rounded to the nearest integer.
enum class AllocationObjective { size, compute };  // rho = parameters or multiply-accumulates
const char* objective_name(AllocationObjective o);
Result<AllocationObjective> parse_objective(std::string_view name);

struct AllocationOptions {
    AllocationObjective objective = AllocationObjective::size;
    double kappa = 3;   // dB/bit (Lin's example); <= 0 with a model: measured (mean weight kappa)
    int base_bits = 8;  // beta_0, the first layer's width
    int min_bits = 1;   // no layer gets fewer
};
struct Allocation {
    std::vector<double> rho;
    std::vector<double> exact_offsets;  // 10 log10(rho_0 / rho_i) / kappa
    std::vector<int> offsets;           // rounded to the nearest integer (halves away from 0)
    std::vector<int> bits;              // base_bits + offset, at least min_bits
    double kappa = 0;
    double weighted_bits = 0;  // sum_i rho_i bits_i (model size in bits for size)
};
Result<Allocation> allocate_bits(const std::vector<double>& rho, double kappa, int base_bits,
                                 int min_bits = 1);

// The dense and conv layers (those with weights), and their rho.
std::vector<std::size_t> weighted_layers(const Model& model);
std::vector<double> layer_parameters(const Model& model);  // weight entries (biases excluded, as
                                                           // Lin's Table 3)
std::vector<double> layer_macs(const Model& model);
// Their sum: the multiply-adds of one forward pass, what a lab sizes its slices of work by.
double total_macs(const Model& model);  // per example

// Model size against error (Fig. 4 / Table 6): the weights of every weighted layer at Lin's
// format, equal widths min_bits..max_bits, then the optimised allocation shifted so that its
// narrowest layer takes min_bits..max_bits; activations at activation_bits (Lin: 16). One unit is
// one allocation.
struct TradeoffOptions {
    int min_bits = 2, max_bits = 10;
    double kappa = 3;  // <= 0: measured from the weights (as in AllocationOptions)
    AllocationObjective objective = AllocationObjective::size;
    int activation_bits = 16;
    LinFormatOptions format;
};
struct TradeoffPoint {
    bool optimised = false;
    std::vector<int> bits;       // per weighted layer
    double model_size_bits = 0;  // sum of parameters x bits
    double error = 0;            // 1 - accuracy on the data
};
struct TradeoffResult {
    double kappa = 0;
    std::vector<int> offsets;
    std::vector<TradeoffPoint> points;
    double float_error = 0;
};
class TradeoffJob : public Job {
  public:
    TradeoffJob(const Model& model, const Dataset& data, const TradeoffOptions& options = {});
    ~TradeoffJob() override;
    JobProgress progress() const override;
    const TradeoffResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};
Result<TradeoffResult> lin_tradeoff(const Model& model, const Dataset& data,
                                    const TradeoffOptions& options = {});

// The mean of the per-layer weight kappas over min_bits..max_bits (Lin's single kappa).
Result<double> measured_weight_kappa(const Model& model, int min_bits = 2, int max_bits = 12,
                                     const LinFormatOptions& format = {});

// ---- The Layers lesson (lin_lab.cpp) ---------------------------------------------------------

// Lin's formats (lin_fixed_format) at one width for every step: each weighted layer's weights
// from its weights, each hidden output from the float network's outputs on `data` (its first
// max_rows rows), as per-layer EvalOptions; `steps` names them with their formats (sqnr_db unset).
struct LinFormats {
    std::vector<QuantStep> steps;
    EvalOptions eval;
};
Result<LinFormats> lin_formats(const Model& model, const Dataset& data, int bits,
                               const LinFormatOptions& format = {}, std::size_t max_rows = 1000);

// The SQNR at the output of every weighted layer l of the quantized network against the float
// one (after l's own activation quantizer for hidden layers; the scores for the last), beside
// eq. 9 applied to the steps up to l: the noise of every earlier step reaches a^(l) as it
// reaches the output in Lin's derivation, so 1/gamma_a(l) = sum over those steps of 1/gamma_i.
struct LayerSqnrMeter {
    std::size_t layer = 0;    // index into Model::layers
    double measured_db = 0;   // 10 log10(sum a^2 / sum (a - a_q)^2) over the rows
    double predicted_db = 0;  // eq. 9 over W1, a1, ..., W_l (and a_l for a hidden layer)
    std::size_t steps = 0;    // how many steps eq. 9 summed
};
// `sqnr` is model_sqnr's result for the same model, data, formats and max_rows.
Result<std::vector<LayerSqnrMeter>> layer_sqnr_meters(const Model& model, const Dataset& data,
                                                      const EvalOptions& formats,
                                                      const ModelSqnr& sqnr,
                                                      std::size_t max_rows = 1000);

// The three above at once: Lin's formats at `bits` for every step, the SQNR of each step and of
// the output measured beside eq. 9, and the meter at each layer's output, on the first max_rows
// rows. The Layers lesson's snapshot and `qlab sqnr --model --lin-bits` both come from here.
struct LinSnapshot {
    LinFormats formats;
    ModelSqnr sqnr;  // steps carry their formats and measured SQNRs
    std::vector<LayerSqnrMeter> meters;
};
Result<LinSnapshot> lin_snapshot(const Model& model, const Dataset& data, int bits,
                                 std::size_t max_rows);

}  // namespace qlab
