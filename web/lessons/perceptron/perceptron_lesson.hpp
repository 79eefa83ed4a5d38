// The Perceptron lesson's data and jobs, without drawing: the 2-D set from the state (generated,
// minus removed points, plus hand-added ones), the quantized perceptron / Frank-Wolfe run as a
// traced core job, and the accuracy sweep over a grid of formats (Cherkhev §3-4, Tables 2-4).
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "qlab/cherkhev.hpp"
#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/lab_state.hpp"
#include "qlab/perceptron.hpp"
#include "qlab/sweep.hpp"

namespace quantlab::perceptron {

// The playground sets span about [-5, 5]; they are shown and trained at 1/5 of that so a lattice
// of range 1 covers them as it covers the linear set (the same scale as the TF Playground's view).
constexpr double kPlaygroundScale = 0.2;

// Where a training row came from: a generated point (its index) or a hand-added one.
struct RowSource {
    int generated = -1;  // index in the generated set, or -1
    int added = -1;      // index in the `add` list, or -1
};

// The quantized perceptron / Frank-Wolfe job, wrapped so the lesson sees every unit: it records
// the mistake count whenever it changes (the mistakes-over-updates plot) and stays a core Job,
// so the shell steps it within its frame budget and shows its progress and Cancel.
class TrainingRun final : public qlab::Job {
  public:
    TrainingRun(const qlab::Dataset& train, const qlab::QuantizedLinearOptions& options,
                qlab::QuantizedLinearAlgorithm algorithm);
    qlab::JobProgress progress() const override { return inner_.progress(); }
    const qlab::QuantizedLinearJob& inner() const { return inner_; }
    long long visited() const {
        return visited_;
    }  // examples visited (perceptron) / iterations (FW)
    // (visited, mistakes) at every change of the mistake count, starting at (0, 0).
    const std::vector<std::pair<long long, long>>& trace() const { return trace_; }

  protected:
    qlab::Status do_unit() override;
    bool is_done() const override { return !inner_.running(); }

  private:
    qlab::QuantizedLinearJob inner_;
    long long visited_ = 0;
    std::vector<std::pair<long long, long>> trace_;
};

// The sweep grids the lesson offers (the `grid` key): range x points, float e x bits, or one of
// Cherkhev's tables (2, 3-fixed, ...), whose grid is the one `qlab sweep --table ID` runs.
std::string grid_text(const std::string& key);
// The Cherkhev table a grid key names (nullptr for range and float).
const qlab::CherkhevTable* paper_table(const std::string& key);
// The sweep's protocol (the `protocol` key; Cherkhev §4.2's is the default).
qlab::SweepPlan sweep_plan(const qlab::LabState& s);

// One cell of a Cherkhev table beside ours, as `qlab sweep --table` prints it: his printed value
// (NaN where he prints "-") and ours in % (NaN while not yet computed), "-" where the bit budget
// leaves no mantissa bit, n/a where the lab has no such format (an IEEE-style float with e = 1).
struct PaperCell {
    double paper = NAN;
    double ours = NAN;
    bool ours_dash = false, ours_na = false, ours_done = false;
};
struct PaperRow {
    std::string label;
    std::vector<PaperCell> cells;
};
// The format sweep: in the Web Worker where there is one (lab/analysis_worker.hpp), else a
// SweepJob the scheduler steps in the frames. It reads as the SweepJob did; its grid and cells
// are there from the start (a worker's first message brings the first results).
class SweepRun {
  public:
    using MakeLocal = std::function<std::unique_ptr<qlab::SweepJob>()>;
    // `data`: the rows the job is built on (the training rows, or all rows with a plan).
    void start(AnalysisRunner* runner, const qlab::Dataset& data, const qlab::SweepRequest& request,
               const MakeLocal& make_local);
    const qlab::SweepResult& result() const {
        const qlab::SweepResult& r = a_.result();
        return r.cells.empty() ? initial_ : r;
    }
    const qlab::SweepGrid& grid() const { return result().grid; }
    const std::vector<qlab::SweepCell>& cells() const { return result().cells; }
    std::size_t cells_done() const { return result().cells_done; }
    double score(const qlab::SweepCell& cell) const { return result().score(cell); }
    int epochs() const { return result().epochs; }
    bool scores_test() const { return result().scores_test; }
    std::size_t train_size() const { return result().train_rows; }
    std::size_t test_size() const { return result().test_rows; }
    qlab::Job* job() { return a_.job(); }
    qlab::JobState state() const { return a_.state(); }
    const qlab::Status& status() const { return a_.status(); }
    bool running() const { return a_.job() && a_.job()->running(); }
    bool in_worker() const { return a_.in_worker(); }
    ScheduledJob scheduled(std::string label) { return a_.scheduled(std::move(label)); }

  private:
    BackgroundAnalysis<qlab::SweepJob, qlab::SweepResult> a_;
    qlab::SweepResult initial_;  // the grid and its cells, none done
};

std::vector<PaperRow> paper_beside(const SweepRun& sweep, const qlab::CherkhevTable& table);

// Cherkhev's data sets that are not here have substitutes (the sdata key), made as `qlab sweep`
// makes them from the same files: the lab's data set they come from ("mnist", "fashion"; "" for
// the lesson's own points), and the rows a sweep trains and scores on: the class pair (4/9 or
// 5/7, binarized at 0.5 for fashion), split by the plan's seed (the paper's protocol holds out
// its test fraction; converge keeps every row) and scaled to [-1, 1] with the training rows
// (MNIST) or left as 0/1 (binarized Fashion), as prepare_split does for `--normalize`.
std::string substitute_source(const std::string& sdata);
// What the heatmap's rows are, in words: "MNIST 4 vs 9", "Fashion 5 vs 7, binarized", or the
// name of the lesson's own set.
std::string sweep_data_label(const std::string& sdata, const qlab::Dataset& own);
qlab::Result<qlab::Split> substitute_split(const std::string& sdata, const qlab::Dataset& full,
                                           const qlab::SweepPlan& plan);

class Lesson {
  public:
    // ---- what changes when the state changes, and the run ----
    // Marks what the changed keys make stale: the data (set, n, noise, margin, seed, add,
    // remove), the run (atoms, algo) and the sweep (grid, protocol, algo).
    void on_state_changed(const std::vector<std::string>& keys);
    // Rebuilds what is stale; returns the problems to show the learner. `substitute_full`: the
    // sdata key's source data set when it is here (nullptr while it loads or for points).
    std::vector<std::string> ensure(const qlab::LabState& s,
                                    const qlab::Dataset* substitute_full = nullptr);
    // Space: pauses a run, resumes a paused one, and starts a finished one over.
    std::vector<std::string> toggle_run(const qlab::LabState& s);
    // Steps the run n units (examples visited, or Frank-Wolfe iterations); the units taken.
    int step(int n);
    // A fresh run on the same data and atoms (stopped).
    std::vector<std::string> restart(const qlab::LabState& s);
    bool running() const { return running_ && run && run->running(); }
    // The perceptron converges after a pass without a mistake; Frank-Wolfe has no such pass, so
    // it counts as converged when it stopped with every training point right.
    bool converged() const;

    // Each returns the problems to show the learner (and keeps what it can).
    std::vector<std::string> rebuild_data(const qlab::LabState& s);
    std::vector<std::string> rebuild_training(const qlab::LabState& s);
    std::vector<std::string> rebuild_sweep(const qlab::LabState& s,
                                           const qlab::Dataset* substitute_full = nullptr);
    // Jobs reference `train`: drop them before the data changes.
    void drop_jobs() {
        run.reset();
        sweep.reset();
    }

    qlab::Dataset generated;  // before removals and additions, in view coordinates
    qlab::Dataset train;      // what the perceptron learns from
    std::vector<RowSource> sources;
    std::vector<qlab::AddedPoint> added;
    std::vector<int> removed;
    double view_half = 1.5;              // the data view shows [-view_half, view_half]^2
    std::optional<qlab::Format> format;  // the atoms, fitted to the data when data-dependent
    std::string format_error;
    std::string training_error;

    std::unique_ptr<TrainingRun> run;
    std::unique_ptr<SweepRun> sweep;
    AnalysisRunner* analyses =
        nullptr;  // where the sweep runs off the UI thread (the panel sets it)
    std::string sweep_error;
    std::string sweep_grid;                            // the grid text being swept
    const qlab::CherkhevTable* sweep_table = nullptr;  // the paper's table it reproduces, if any
    qlab::SweepPlan sweep_protocol;                    // how its cells train and score
    // The heatmap on a substitute data set (sdata), and a word while its source loads.
    std::string sweep_data = "points";
    qlab::Split substitute;
    std::string sweep_waiting;  // "loading mnist for the heatmap"

    // A run whose data and format were accepted (a failed constructor has no numbers to ask for).
    bool trainable() const { return run && training_error.empty(); }
    // A cache of result() (margin, delta, accuracy) keyed by the units done.
    const qlab::QuantizedLinearResult& result() const;

  private:
    bool dirty_data_ = true, dirty_training_ = true, dirty_sweep_ = true;
    bool running_ = false;
    mutable long long result_at_ = -1;
    mutable const TrainingRun* result_of_ = nullptr;
    mutable qlab::QuantizedLinearResult result_;
};

// Training options shared by the lesson's run and its sweep (the sweep's passes come from its
// protocol, and it skips gamma, as qlab sweep does: the cells need accuracies only).
qlab::QuantizedLinearOptions training_options(const qlab::LabState& s);
qlab::QuantizedLinearAlgorithm algorithm_of(const qlab::LabState& s);

}  // namespace quantlab::perceptron
