// Learning over a quantization, exactly as Cherkhev §3.3-3.4: the quantized perceptron
// w <- q(r(w) + y r(x)) and quantized Frank-Wolfe, with features quantized too. Reports the
// margin gamma, the error delta, the mistake bound and the "sink" atoms that stop learning.
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
    double margin = 0;     // gamma of the quantized training data (<= 0: not separable)
    double radius = 0;     // R = max ||r(q(x))||
    double delta = 0;      // Cherkhev eq. 1 for vectors over [-B, B]^d: sqrt(d) * per coordinate
                           // (vector atoms: the largest error seen, features and updates)
    double delta_box = 0;  // B: the largest coordinate of a feature or exact update
    double observed_delta = 0;  // largest ||r(w_{t+1}) - (r(w_t) + y r(x))|| seen
    double mistake_bound = 0;   // R^2 / (gamma - delta)^2, +inf when delta >= gamma
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
    double mistake_bound() const;
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

// The largest margin through the origin, min_i y_i <x_i, w> over unit w, as the distance from the
// origin to the convex hull of {y_i x_i} (Gilbert's algorithm: real-valued Frank-Wolfe with line
// search). Returns the margin the final direction achieves (<= 0 when not separable).
double max_margin(const std::vector<std::vector<double>>& signed_points, int iterations = 20000);

}  // namespace qlab
