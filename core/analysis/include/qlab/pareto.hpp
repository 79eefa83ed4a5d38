// Accuracy against bits per weight across number-format families on one trained model (the
// weights only; activations stay float), evaluated progressively as a job, and the Pareto
// frontier of the points: fixed point in Lin's per-layer format, float e/m, per-channel calibrated
// int, Kundu's ternary residual levels, k-means codebooks, block floating point and the
// block-scaled formats (MX, NVFP4, group-wise int) the parser knows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/job.hpp"
#include "qlab/kundu.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

// One evaluated format. Bits per weight count every stored bit over the weight matrices: shared
// scales and exponents (bits_per_value), a per-channel int's FP32 scale per row, a codebook's
// FP32 centres per layer, ternary's 8-bit alphas (Kundu Table 2).
struct ParetoPoint {
    std::string family;  // "fixed (Lin)", "float", "int per-channel", "ternary", "codebook", ...
    std::string spec;    // a format spec, or "ternary:block=N,level=L"
    double bits_per_weight = 0;
    double accuracy = 0;
};

// Indices of the non-dominated points (no other point has fewer or equal bits and higher or
// equal accuracy with one of them strict), in increasing bits; of identical points the first.
std::vector<std::size_t> pareto_frontier(const std::vector<ParetoPoint>& points);

// Bits per weight of a format over the model's weight matrices. Block formats count as
// Format::quantize_rows applies them: blocks along each row (a row's last partial block pays a
// whole scale), a per-tensor scale once per layer.
double model_bits_per_weight(const Model& model, const Format& format);

struct ParetoCandidate {
    std::string family, spec;
};
// The element-wise and block format specs of the default families (float e=2..4, m=1..3;
// k-means K = 2, 4, 8, 16; bfp w = 3..8 with blocks of 16; mxfp4, mxfp6:e2m3, mxfp8:e4m3, nvfp4,
// int:b=4,group=32), only those Format::parse accepts (block formats may be absent in a build).
std::vector<ParetoCandidate> pareto_candidates();

struct ParetoOptions {
    std::vector<ParetoCandidate> candidates;  // empty: pareto_candidates()
    int min_bits = 2, max_bits = 8;           // Lin's fixed point and per-channel int widths
    bool lin_fixed = true, calibrated_int = true, ternary = true;
    ResidualOptions ternary_options;  // Algorithm 2's N and epsilon
};

struct ParetoResult {
    std::vector<ParetoPoint> points;    // in evaluation order
    std::vector<std::size_t> frontier;  // pareto_frontier(points), kept up to date
    std::vector<std::string> skipped;   // candidates that did not parse or failed, with why
    double float_accuracy = 0;
    std::size_t weights = 0;
};

// One unit is one format's evaluation (Algorithm 2 over all layers is one unit of its own before
// the ternary levels). Keeps references to model and test data, which must outlive the job.
class ParetoJob : public Job {
  public:
    ParetoJob(const Model& model, const Dataset& test, const ParetoOptions& options = {});
    ~ParetoJob() override;
    JobProgress progress() const override;
    const ParetoResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace qlab
