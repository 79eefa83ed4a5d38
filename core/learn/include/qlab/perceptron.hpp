// Learning over a quantization, exactly as Cherkhev §3.3-3.4: the quantized perceptron
// w <- q(r(w) + y r(x)) and quantized Frank-Wolfe, with features quantized too. Reports the
// margin gamma, the error delta, the mistake bounds and the "sink" atoms that stop learning.
//
// Two choices differ from the paper's text, and both keep Theorem 1's argument valid:
// - A zero score y <r(w), r(x)> = 0 counts as a mistake. §3.3 updates on y <r(w), r(x)> < 0 only,
//   under which a perceptron started at w = 0 never updates; the proof's norm step needs only
//   y <r(w), r(x)> <= 0.
// - The start is w_0 = q(0) per coordinate: 0 when 0 is an atom, but +-step/2 for a lattice with
//   an even number of points (no atom at 0). Theorem 1's proof starts from r(w_0) = 0 (and
//   Theorem 2 needs 0 in A); start_norm reports ||r(w_0)||, and the safe bound accounts for it.
//
// The bounds (for data of radius R = max ||r(x)||, margin gamma, quantization error delta):
// - mistake_bound: R^2 / (gamma - delta)^2, Theorem 1 as printed (it assumes ||r(x)|| <= 1;
//   R^2 is the rescaling of the data and the atoms by 1/R).
// - mistake_bound_safe: the proof bounds ||r(w_t)|| by sqrt(t) R but drops the rounding, which can
//   lengthen w by up to delta per step; with it ||r(w_t)|| <= ||r(w_0)|| + sqrt(t) R + t delta,
//   while <w*, r(w_t)> >= -||r(w_0)|| + t (gamma - delta), so t (g) <= R sqrt(t) + 2 ||r(w_0)||
//   with g = gamma - 2 delta: t <= ((R + sqrt(R^2 + 8 ||r(w_0)|| g)) / (2 g))^2, which is
//   R^2 / (gamma - 2 delta)^2 from w_0 = 0. Valid for delta < gamma / 2 (+inf otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/job.hpp"
#include "qlab/status.hpp"

namespace qlab {

struct QuantizedLinearOptions {
    std::string format = "lattice:range=1,points=256";  // atoms of every feature and weight
    Rounding rounding = Rounding::nearest_even;
    int epochs = 50;         // perceptron: passes over the data (stops early once none is wrong)
    int steps = 2000;        // Frank-Wolfe: iterations
    std::uint64_t seed = 1;  // example order and stochastic rounding
    bool shuffle = true;     // perceptron: a new seeded order every pass (false: data order)
    // Cherkhev Fig. 3: when > 0, the atoms are vectors, the centres of `vector_kmeans` k-means
    // clusters of each class's training examples, and features and weights are stored as the
    // nearest centre (Euclidean) instead of coordinate by coordinate in `format`.
    int vector_kmeans = 0;
    // false: result() leaves the margin gamma (and with it the bounds) unknown, NaN and +inf.
    // gamma costs up to 20000 passes over the data (Gilbert's algorithm); a sweep over a large
    // set needs only the accuracies.
    bool compute_margin = true;
};

struct EpochRecord {
    int epoch = 0;
    long mistakes = 0;
    long stalled = 0;
    double train_accuracy = 0;
};

struct QuantizedLinearResult {
    std::string format;           // canonical spec (fitted, for data-dependent specs)
    std::vector<double> weights;  // r(w)
    long updates = 0;             // perceptron mistakes / Frank-Wolfe steps taken
    int epochs_run = 0;
    bool converged = false;      // a full pass without a mistake (perceptron)
    long stalled_updates = 0;    // updates where q(r(w) + y r(x)) == w
    long sink_atoms = 0;         // distinct weight vectors at which an update stalled
    bool ended_in_sink = false;  // every update of the last pass stalled
    double train_accuracy = 0;
    double test_accuracy = 0;
    double margin = 0;  // gamma of the quantized training data (<= 0: not separable)
    double radius = 0;  // R = max ||r(q(x))||
    double delta = 0;   // Cherkhev eq. 1 over [-B, B]^d for the rounding in use: sqrt(d) times
                        // the per-coordinate worst case (a full step for rtz, up, down and
                        // stochastic rounding, half a step for nearest); vector atoms: the
                        // largest error seen, a lower estimate of the worst case
    bool delta_is_lower_estimate = false;  // vector atoms: delta is only the largest error seen
    double delta_box = 0;                  // B: the largest coordinate of a feature or exact update
    double observed_delta = 0;             // largest ||r(w_{t+1}) - (r(w_t) + y r(x))|| seen
    double start_norm = 0;                 // ||r(w_0)||: 0 when 0 is an atom (see above)
    double mistake_bound = 0;       // R^2 / (gamma - delta)^2 (Theorem 1), +inf when delta >= gamma
    double mistake_bound_safe = 0;  // the bound with the proof's gap closed (see above)
    std::vector<EpochRecord> history;
    std::vector<std::vector<double>> vector_atoms;  // the atoms when vector_kmeans > 0
};

enum class QuantizedLinearAlgorithm { perceptron, frank_wolfe };

// Either algorithm as a resumable job. One unit is one example visited (perceptron; a pass ends
// early once it makes no mistake) or one iteration (Frank-Wolfe; it ends early at a fixed point).
// Keeps references to train and test, which must outlive the job; copies the options. Bad options
// or data fail the job in its constructor. Stepped one unit at a time or run to the end, a seed
// gives the same result.
class QuantizedLinearJob : public Job {
  public:
    QuantizedLinearJob(const Dataset& train, const Dataset* test,
                       const QuantizedLinearOptions& options,
                       QuantizedLinearAlgorithm algorithm = QuantizedLinearAlgorithm::perceptron);
    ~QuantizedLinearJob() override;
    QuantizedLinearJob(const QuantizedLinearJob&) = delete;
    QuantizedLinearJob& operator=(const QuantizedLinearJob&) = delete;

    JobProgress progress() const override;  // perceptron: examples visited of epochs x n; FW: steps
    QuantizedLinearAlgorithm algorithm() const;
    const std::vector<double>& weights() const;  // r(w) now
    long mistakes() const;         // perceptron mistakes (= updates) / Frank-Wolfe steps so far
    long stalled_updates() const;  // updates where q(r(w) + y r(x)) == w
    // The distinct weight vectors at which an update stalled, in the order first seen.
    const std::vector<std::vector<double>>& sinks() const;
    int epoch() const;  // the pass in progress (1-based; the last one once finished)
    long long last_example()
        const;  // row of `train` visited last (FW: the worst example), -1 before any
    const std::vector<EpochRecord>& history() const;  // finished passes
    // Depend only on the quantized training data: computed once, on first use (gamma by Gilbert's
    // algorithm, up to 20000 iterations over the data).
    double margin() const;
    double radius() const;
    // Over the box [-B, B]^d of the run so far (B grows as updates do), so final only at the end.
    double delta() const;
    double mistake_bound() const;       // R^2 / (gamma - delta)^2, Theorem 1 as printed
    double mistake_bound_safe() const;  // with the proof's gap closed (see the top of the file)
    double start_norm() const;          // ||r(w_0)||
    // The describe() numbers of the weights now: the final result once the job has finished.
    QuantizedLinearResult result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// Both run a QuantizedLinearJob to its end. Both require two classes; class 1 is y = +1.
Result<QuantizedLinearResult> train_quantized_perceptron(
    const Dataset& train, const Dataset* test, const QuantizedLinearOptions& options = {});
Result<QuantizedLinearResult> train_quantized_frank_wolfe(
    const Dataset& train, const Dataset* test, const QuantizedLinearOptions& options = {});

// The two bounds of the top of this file: R^2 / (gamma - delta)^2 (+inf unless delta < gamma), and
// the safe one from a start of norm start_norm (+inf unless delta < gamma / 2).
double perceptron_mistake_bound(double margin, double delta, double radius);
double perceptron_mistake_bound_safe(double margin, double delta, double radius,
                                     double start_norm = 0);

// The largest margin through the origin, min_i y_i <x_i, w> over unit w, as the distance from the
// origin to the convex hull of {y_i x_i} (Gilbert's algorithm: real-valued Frank-Wolfe with line
// search). Returns the margin the final direction achieves (<= 0 when not separable).
double max_margin(const std::vector<std::vector<double>>& signed_points, int iterations = 20000);

}  // namespace qlab
