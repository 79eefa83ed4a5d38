// The Ternary lesson's analysis without drawing: Kundu's TernaryResidualJob on a snapshot of the
// shared model (Algorithm 2 per layer, accuracy per residual level), restarted when the weights,
// N or epsilon change, and the figures the panel draws, computed once per result. Its three jobs
// run in the Web Worker where there is one (lab/analysis_worker.hpp), else in the page's frames.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/shared_model.hpp"
#include "qlab/dataset.hpp"
#include "qlab/kundu.hpp"
#include "qlab/kundu_tables.hpp"
#include "qlab/mlp.hpp"
#include "qlab/pareto.hpp"

namespace quantlab::ternary {

// Kundu §4: X ~ 5.5 for N = 64, the 8-2 over 8-8 gain the power-performance estimate scales (the
// `tx` key's default; other N need their own estimate).
constexpr double kGainX = qlab::kKunduGainX;

// A core job built by its first unit: the copy of the weights and test data and the constructor's
// float accuracy (a forward pass over the test set, ~50 ms on MNIST) run between frames inside
// the job budget, not in the frame that asked for the job. It is the page's own job of a
// BackgroundAnalysis (whose worker builds the core job at once: it has no frames to stall), so it
// gives the inner job's result, empty before that is built (as the worker's before it sends one).
template <class Inner>
class DeferredJob final : public qlab::Job {
  public:
    using Result = std::decay_t<decltype(std::declval<const Inner&>().result())>;
    explicit DeferredJob(std::function<std::unique_ptr<Inner>()> make) : make_(std::move(make)) {}
    const Result& result() const {
        static const Result empty{};
        return inner_ ? inner_->result() : empty;
    }
    qlab::JobProgress progress() const override {
        if (inner_) return inner_->progress();
        qlab::JobProgress p;
        p.stage = "copying the weights";
        return p;
    }
    const Inner* inner() const { return inner_.get(); }

  protected:
    qlab::Status do_unit() override {
        if (!inner_)
            inner_ = make_();
        else
            inner_->step(1);
        return inner_->state() == qlab::JobState::failed ? inner_->status()
                                                         : qlab::Status::success();
    }
    bool is_done() const override { return inner_ && inner_->state() == qlab::JobState::finished; }

  private:
    std::function<std::unique_ptr<Inner>()> make_;
    std::unique_ptr<Inner> inner_;
};

// What the analysis is for: the weights (the shared model's version) and Algorithm 2's options.
struct AnalysisKey {
    ModelVersion version;
    std::size_t block = 0;
    double tolerance = 0;
    double gain_x = kGainX;  // X (the `tx` key): the power-performance figures use it
    bool operator==(const AnalysisKey& o) const {
        return version == o.version && block == o.block && tolerance == o.tolerance &&
               gain_x == o.gain_x;
    }
    bool operator!=(const AnalysisKey& o) const { return !(*this == o); }
};

// Per level, what core's KunduLevel does not hold: multiplications and bits per weight.
struct LevelFigures {
    qlab::KunduCost cost;
    double bits_per_weight = 0;
    std::vector<double> layer_errors;  // ||W - W^_level|| / ||W|| per layer
};

// Per layer, the views' data: the r_i histogram, Table 2's rows, the error curve thinned for
// drawing.
struct LayerFigures {
    std::vector<long long> histogram;
    qlab::Table2Row fgq, residual;
    std::vector<double> curve_x, curve_y;  // relative error after Algorithm 2 step x (thinned)
    std::size_t rows = 0, cols = 0;        // the weight matrix (out x in)
};

class Analysis {
  public:
    enum class Phase { no_model, untrained, training, running, finished, failed };

    // Starts a fresh job when the key changed and the weights are trained and not being trained;
    // drops the job (keeping the last result as stale) while they are.
    void update(const SharedModel& model, const AnalysisKey& key, double now_ms);
    // Notices a job that finished (figures, timing); cheap when nothing changed.
    void poll(double now_ms);

    qlab::Job* job() { return job_.job(); }
    const qlab::Job* job() const { return job_.job(); }
    bool job_running() const { return job() && job()->running(); }
    bool in_worker() const { return job_.in_worker(); }
    // For the scheduler: a job in the worker is marked elsewhere (watched, never stepped).
    ScheduledJob scheduled(std::string label) { return job_.scheduled(std::move(label)); }
    Phase phase() const { return phase_; }
    const std::string& error() const { return error_; }
    // The last finished result (maybe for older weights: see current()).
    const qlab::KunduResult* result() const { return have_result_ ? &result_ : nullptr; }
    bool current() const { return have_result_ && result_key_ == want_; }
    const AnalysisKey& result_key() const { return result_key_; }
    const qlab::Model& result_model() const { return result_model_; }
    const std::vector<LevelFigures>& levels() const { return levels_; }
    const std::vector<LayerFigures>& layers() const { return layers_; }
    std::size_t weights() const { return weights_; }
    int max_level() const {
        return have_result_ ? static_cast<int>(result_.levels.size()) - 1 : -1;
    }
    // The level a keep value selects (keep beyond the deepest block keeps everything).
    int level_for(double keep) const;
    double job_ms() const { return job_ms_; }  // wall time of the last finished job
    // After a failure or Cancel: the next update starts a fresh job for the same weights.
    void retry() {
        job_.reset();
        phase_ = Phase::no_model;
    }
    double started_ms() const { return started_ms_; }
    long long jobs_started() const { return jobs_started_; }

  private:
    void finish(double now_ms);

    AnalysisKey want_, job_key_, result_key_;
    qlab::Model model_;  // the job's snapshot (training changes the shared weights in place)
    qlab::Dataset test_;
    BackgroundAnalysis<DeferredJob<qlab::TernaryResidualJob>, qlab::KunduResult> job_;
    Phase phase_ = Phase::no_model;
    std::string error_;

    bool have_result_ = false;
    qlab::KunduResult result_;
    qlab::Model result_model_;
    std::vector<LevelFigures> levels_;
    std::vector<LayerFigures> layers_;
    std::size_t weights_ = 0;
    double started_ms_ = 0, job_ms_ = 0;
    long long jobs_started_ = 0;
};

// The Pareto view's job (accuracy against bits per weight over the format families), on its own
// snapshot of the weights; its points show while it runs (the worker sends them as they come).
class Frontier {
  public:
    // `wanted`: the view is open (a job starts only then; one already started runs to its end).
    // An untrained model gets no frontier: accuracy against bits of random weights means nothing.
    void update(const SharedModel& model, const AnalysisKey& key, bool wanted, double now_ms);
    void poll(double now_ms);

    qlab::Job* job() { return job_.job(); }
    const qlab::Job* job() const { return job_.job(); }
    bool job_running() const { return job() && job()->running(); }
    bool in_worker() const { return job_.in_worker(); }
    ScheduledJob scheduled(std::string label) { return job_.scheduled(std::move(label)); }
    // "idle" (not asked for yet), "untrained", "training", "running", "finished", "failed"
    const char* state() const;
    const std::string& error() const { return error_; }
    // The points so far (all of them once finished); null before the job has any (the page's
    // job before its first unit, the worker's before its first message).
    const qlab::ParetoResult* result() const;
    bool current() const { return job() && key_ == want_; }
    const AnalysisKey& key() const { return key_; }
    double job_ms() const { return job_ms_; }
    void retry() { job_.reset(); }  // the next update (with the view open) starts a fresh job

  private:
    AnalysisKey want_, key_;
    qlab::Model model_;
    qlab::Dataset test_;
    BackgroundAnalysis<DeferredJob<qlab::ParetoJob>, qlab::ParetoResult> job_;
    bool training_ = false, untrained_ = false, finished_ = false;
    std::string error_;
    double started_ms_ = 0, job_ms_ = 0;
};

// The Tables view's job: Kundu Tables 3-4 on this model (the core's KunduTablesJob, as
// `qlab ternary-tables` runs it): per-layer tolerances (uniform, by sensitivity, compute-aware as
// Fig. 1), "# blocks" and "comp" at about 1% and 2% loss with 8-bit activations (the paper's 8-2
// networks). Activation ranges and sensitivities come from the training split, accuracy from the
// held-out one; it runs on its own snapshot of the weights. Only block and X of the key matter.
class Tables {
  public:
    // `wanted`: the view is open (a job starts only then; one already started runs to its end).
    void update(const SharedModel& model, const AnalysisKey& key, bool wanted, double now_ms);
    void poll(double now_ms);

    qlab::Job* job() { return job_.job(); }
    const qlab::Job* job() const { return job_.job(); }
    bool job_running() const { return job() && job()->running(); }
    bool in_worker() const { return job_.in_worker(); }
    ScheduledJob scheduled(std::string label) { return job_.scheduled(std::move(label)); }
    // "idle", "untrained", "training", "running", "finished", "failed"
    const char* state() const;
    const std::string& error() const { return error_; }
    // Null until the job finished.
    const qlab::KunduTablesResult* result() const;
    const qlab::KunduTablesOptions& options() const { return options_; }
    bool current() const;
    void retry() { job_.reset(); }

  private:
    AnalysisKey want_, key_;
    qlab::Model model_;
    qlab::Dataset test_, calibration_;
    qlab::KunduTablesOptions options_;
    BackgroundAnalysis<DeferredJob<qlab::KunduTablesJob>, qlab::KunduTablesResult> job_;
    bool training_ = false, untrained_ = false, finished_ = false;
    std::string error_;
};

}  // namespace quantlab::ternary
