// The Layers lesson's analysis of the shared model, without drawing (Lin et al. 2016): Lin's
// formats at lbits for every step, histograms with their levels, per-step SQNRs and eq. 9 meters
// (a snapshot), kappa from a sweep job, the bit allocation (eq. 14-16) and the size/error job.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/host.hpp"
#include "lab/shared_model.hpp"
#include "qlab/dataset.hpp"
#include "qlab/lab_state.hpp"
#include "qlab/lin.hpp"
#include "qlab/lin_paper.hpp"
#include "qlab/mlp.hpp"

namespace quantlab::layers {

// Which weights an analysis is for: the shared model's version.
using ModelKey = ModelVersion;

// Counts of values over [lo, hi]; `zero_bin` holds 0 (ReLU outputs pile up there).
struct Histogram {
    double lo = 0, hi = 1;
    std::vector<int> counts;
    std::size_t values = 0, below = 0, above = 0;  // in all, and outside [lo, hi]
};
Histogram make_histogram(const float* v, std::size_t n, double lo, double hi, int bins);

// One quantization step as drawn: its values' histogram and the levels of its format.
struct StepView {
    qlab::QuantStep step;  // name, format (Lin's at lbits), count, measured sqnr_db
    Histogram hist;
    std::vector<double> levels;       // the format's atoms inside the histogram's range (ascending)
    bool levels_truncated = false;    // more than 4096 in range: `levels` is left empty
    double clip_lo = 0, clip_hi = 0;  // the format's smallest and largest atoms
    double step_size = 0;             // 2^-f
    double rms = 0, min = 0, max = 0;
    std::size_t clipped = 0;  // values beyond [clip_lo, clip_hi]
};

struct LayerView {
    std::size_t layer = 0;  // index into Model::layers
    std::string name;       // "layer 1"
    std::string shape;      // "dense 64 x 32"
    double params = 0, macs = 0;
    int w_step = -1, a_step = -1;  // into Snapshot::steps (-1: none, the output layer's a)
    qlab::LayerSqnrMeter meter;    // the SQNR at its output, measured and by eq. 9
};

struct Snapshot {
    ModelKey key;
    int bits = 0;
    std::size_t rows = 0;
    std::vector<StepView> steps;
    std::vector<LayerView> layers;
    double predicted_output_db = 0, measured_output_db = 0;
    double float_accuracy = 0, quantized_accuracy = 0;
    double compute_ms = 0;
};

// A copy of the weights and rows the jobs work on (they keep references; training goes on).
using SweepAnalysis = BackgroundAnalysis<qlab::LinSweepJob, qlab::LinSweepResult>;
using TradeoffAnalysis = BackgroundAnalysis<qlab::TradeoffJob, qlab::TradeoffResult>;

struct Frozen {
    ModelKey key;
    qlab::Model model;
    qlab::Dataset rows;
};

// The state of the analysis the panel draws; update() brings it up to date once per frame.
class Analysis {
  public:
    // Refreshes what is stale: the snapshot (at once when training is not running, at most once
    // a second while it runs), the kappa sweep and the size/error job (started once training is
    // not running), and the allocation. Problems go to `problems` (each reported once).
    // An untrained model (fresh random weights) is not analysed: the lesson says so instead.
    void update(const qlab::LabState& s, const SharedModel& model, Host& host,
                std::vector<std::string>& problems);

    const Snapshot* snapshot() const { return snap_ ? &*snap_ : nullptr; }
    bool snapshot_current(const SharedModel& model, int bits) const;

    // The jobs run in the Web Worker where there is one (lab/analysis_worker.hpp); null: none.
    SweepAnalysis* sweep() { return sweep_job_.job() ? &sweep_job_ : nullptr; }
    const SweepAnalysis* sweep() const { return sweep_job_.job() ? &sweep_job_ : nullptr; }
    ScheduledJob sweep_scheduled(std::string label) {
        return sweep_job_.scheduled(std::move(label));
    }
    ModelKey sweep_key() const { return sweep_frozen_ ? sweep_frozen_->key : ModelKey{}; }
    bool sweep_done() const {
        return sweep_job_.job() && sweep_job_.state() == qlab::JobState::finished;
    }
    // Per step of the snapshot: kappa (dB/bit) from the sweep, NaN until it is done.
    double step_kappa(std::size_t step) const;

    TradeoffAnalysis* tradeoff() { return trade_job_.job() ? &trade_job_ : nullptr; }
    const TradeoffAnalysis* tradeoff() const { return trade_job_.job() ? &trade_job_ : nullptr; }
    ScheduledJob tradeoff_scheduled(std::string label) {
        return trade_job_.scheduled(std::move(label));
    }
    std::size_t tradeoff_rows() const { return trade_frozen_ ? trade_frozen_->rows.size() : 0; }
    ModelKey tradeoff_key() const { return trade_frozen_ ? trade_frozen_->key : ModelKey{}; }

    // kappa for the allocation: the state's, or the mean of the weights' kappas (0: not known yet).
    double kappa_used() const { return kappa_used_; }
    const char* kappa_source() const { return kappa_source_; }
    const qlab::Allocation* allocation() const { return alloc_ ? &*alloc_ : nullptr; }
    qlab::AllocationObjective objective() const { return objective_; }

    // Rows analysed: every test row up to what keeps one job unit within a few milliseconds.
    static std::size_t rows_for(const qlab::Model& model, std::size_t available,
                                std::size_t at_least);

  private:
    // The steps of update(), in order (see there).
    void ensure_sweep(const SharedModel& model, std::vector<std::string>& problems);
    void update_kappa(const qlab::LabState& s);
    void update_allocation(const qlab::LabState& s, std::vector<std::string>& problems);
    void ensure_tradeoff(const qlab::LabState& s, const SharedModel& model,
                         std::vector<std::string>& problems);
    void refresh_snapshot(const qlab::LabState& s, const SharedModel& model, Host& host,
                          std::vector<std::string>& problems);
    std::shared_ptr<const Frozen> freeze(const SharedModel& model, std::size_t rows) const;

    std::optional<Snapshot> snap_;
    double snap_time_ = -1e9;

    std::shared_ptr<const Frozen> sweep_frozen_;
    SweepAnalysis sweep_job_;  // after its Frozen: destroyed first

    std::shared_ptr<const Frozen> trade_frozen_;
    TradeoffAnalysis trade_job_;
    double trade_kappa_ = 0;
    qlab::AllocationObjective trade_objective_ = qlab::AllocationObjective::size;

    double kappa_used_ = 0;
    const char* kappa_source_ = "measured";
    qlab::AllocationObjective objective_ = qlab::AllocationObjective::size;
    std::optional<qlab::Allocation> alloc_;
    std::string last_problem_;
};

// The lattice designer: a codebook for one weighted layer's weights (or every layer's), its
// levels placed by k-means or Lin's uniform format and then moved by hand, and the model
// evaluated with its weights on exactly those levels (activations stay float, so the accuracy and
// SQNRs measure the codebook alone). The link holds the levels (dlevels: k-means K, Lin uniform B
// or the values), the layer (dlayer) and the scope (dall); the panel applies them with these calls.
class Designer {
  public:
    // Levels from 1-D k-means on the layer's weights (the codebook:kmeans format).
    void start_kmeans(const qlab::Model& model, int k);
    // Levels of Lin's fixed-point format for the layer's weights at `bits` (2^bits levels).
    void start_uniform(const qlab::Model& model, int bits);
    // Levels given as values (ascending, distinct), e.g. edited by hand or from a link.
    void set_levels(const qlab::Model& model, std::vector<double> values, std::string from);
    void select_layer(const qlab::Model& model, int position);  // a weighted layer's position
    void set_all_layers(bool all);

    // Re-evaluates when the levels, the layer, the scope or the weights changed. Returns a problem
    // or "".
    std::string evaluate(const qlab::Model& model, const qlab::Dataset& test, ModelKey key,
                         const Host& clock);

    int position = 0;            // which weighted layer (0-based)
    bool all_layers = false;     // every weighted layer on the same levels
    std::vector<double> levels;  // ascending, distinct
    std::string source;  // "k-means 16", "Lin uniform 4 bits", "edited", "levels from the link"
    bool edited_here = false;  // the page just wrote the levels into the state (a drag, a click)
    Histogram hist;            // the layer's weights, over a range that shows every level
    // The last evaluation.
    bool evaluated = false;
    ModelKey evaluated_for;
    double accuracy = 0, float_accuracy = 0, weight_sqnr_db = 0, output_sqnr_db = 0;
    std::size_t rows = 0;
    long evaluations = 0;
    double eval_ms = 0;
    std::string spec;    // the codebook format evaluated
    int index_bits = 0;  // bits of an index into the levels (the format's bits())

    // Fine-tuning on the levels: one epoch of QAT (float master weights, the forward pass on the
    // codebook, clipped straight-through gradients) on a copy of the model, with every layer on
    // the levels (training takes one weight format for all layers). The shared model is untouched.
    std::string start_finetune(const qlab::Model& model, const qlab::Split& split,
                               const qlab::LabState& s);
    qlab::TrainJob* finetune_job() { return tune_job_.get(); }
    const qlab::TrainJob* finetune_job() const { return tune_job_.get(); }
    // Evaluates the tuned copy once its job has finished; true when it did so now.
    bool poll_finetune();
    bool tuned = false;         // tuned_accuracy is there
    double tuned_accuracy = 0;  // the tuned copy on tuned_spec, same rows as `accuracy`
    double tuned_from = 0;      // the codebook's accuracy before tuning (all layers)
    std::string tuned_spec;
    std::vector<qlab::LayerFormats>
        tuned_layers;  // the layers on tuned_spec (one, or all weighted)

  private:
    void changed() { dirty_ = true; }
    void rebuild_histogram(const qlab::Model& model);
    bool dirty_ = true;
    std::size_t layer_ = 0;  // index into Model::layers
    struct Tuning {
        qlab::Model model;
        qlab::Dataset train, test;  // copies: the job keeps references
    };
    std::shared_ptr<Tuning> tuning_;
    std::unique_ptr<qlab::TrainJob> tune_job_;  // after its Tuning: destroyed first
};

// Steps of the sweep: bit widths 2..12, as measured_weight_kappa measures Lin's single kappa.
constexpr int kSweepMinBits = 2, kSweepMaxBits = 12;

// Lin Table 6's pairs beside the same pairing on the measured trade-off (qlab allocate --table6
// and --tradeoff): each optimised point against the smallest equal-width one within `match`
// points of its error (Lin §5.2's "same performance"). Ours only once the trade-off finished.
struct Table6Beside {
    double match = 0.1;
    std::vector<qlab::LinPoint> paper_points, our_points;  // Mbit and % both
    std::vector<qlab::LinSaving> paper, ours;
    bool measured = false;  // the trade-off finished
};
Table6Beside table6_beside(const TradeoffAnalysis* tradeoff, double match = 0.1);

}  // namespace quantlab::layers
