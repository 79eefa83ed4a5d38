// The precision lesson's model of the world, without drawing: Sakr's analysis of the shared
// model (a SakrJob, once per weights), the bounds per (B_A, B_W) (cached arithmetic), the
// fixed-point and noise simulations over the Fig. 1 curve (SakrSimJobs, the current pair first),
// and the bit-flip sensitivity map (a BitFlipJob). precision_panel.cpp draws it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/analysis_worker.hpp"
#include "lab/host.hpp"
#include "lab/shared_model.hpp"
#include "qlab/bitflip.hpp"
#include "qlab/sakr.hpp"
#include "qlab/sakr_paper.hpp"

namespace quantlab {

namespace precision {

// Fig. 1's x axis: B_A from kCurveMin to kCurveMax, with B_W = B_A + the current B_W - B_A.
constexpr int kCurveMin = 2, kCurveMax = 16;  // fixed:w=1 does not exist
// Monte Carlo trials per estimation-set row of the theorems' noise (the p_m the bounds bound);
// large networks get 2, so a job unit stays short.
constexpr int kNoiseTrials = 8;

enum class AnalysisState { no_data, untrained, training, running, finished, failed, cancelled };
const char* state_name(AnalysisState s);

// Everything known at one (B_A, B_W); a field is null (has_* false) until computed.
struct Row {
    int ba = 0, bw = 0;
    std::optional<double> thm1;  // arithmetic: there as soon as the analysis is
    bool has_bounds = false;     // Theorem 2 as well (a SakrBoundsJob, a few frames at low bits)
    qlab::SakrBounds bounds;
    const qlab::SakrSimPoint* fixed = nullptr;  // p_m, error and decisions on the test set
    const qlab::SakrSimPoint* noise = nullptr;  // linearised / exact p_m under the theorems' noise
};

// Sakr's Table 1 (MNIST, 784-512-512-512-10): the four design options and their printed numbers.
struct Table1Row {
    const char* option;
    int ba, bw;
    double error_pct, fa_millions, bits_millions;
};
extern const Table1Row kTable1[4];

// Where a bound falls below the fixed-point network's simulated mismatch p_m, and why (the
// theorems bound p_m under their uniform noise through the linearised network, estimated as a
// mean over the estimation set; the simulation rounds and saturates on every row).
struct BelowSimulation {
    bool thm1 = false, thm2 = false;
    std::string why;     // empty when neither is below
    std::string reason;  // the likeliest cause in a few words (why has them all)
};
// `hidden_saturate`: hidden outputs can exceed 2 (ReLU; hidden_outputs_saturate); `thm1_hi` the top
// of Theorem 1's bootstrap interval (NaN: none).
BelowSimulation below_simulation(const Row& row, bool hidden_saturate, double thm1_hi);

struct BitFlipSettings {
    double rate = 0.1;         // probability that a stored value's bit flips
    bool activations = false;  // flip the activations entering each layer instead of its weights
    std::uint64_t seed = 1;
};

class Lesson {
  public:
    // Follows the shared model (dropping results made for other weights), starts the jobs that
    // are due, and brings the current (B_A, B_W) up to date: its bounds at once, its fixed-point
    // simulation at once when it is cheap. Curve bounds are filled for up to fill_ms.
    void update(const qlab::LabState& state, const SharedModel& model, Host& host, double fill_ms);

    AnalysisState state() const { return state_; }
    double analysis_fraction() const;
    const qlab::SakrAnalysis* analysis() const;  // null until finished
    // How sure E_A and E_W are (qlab::sakr_spread with qlab bounds' defaults and the link's seed:
    // a bootstrap interval and the largest terms' share); null until the analysis finished.
    const qlab::SakrSpread* spread() const { return spread_.get(); }
    const std::string& failure() const { return failure_; }
    void restart_analysis() {
        analysis_job_.reset(), spread_.reset(), failure_.clear(), cancelled_ = false;
    }

    int ba() const { return ba_; }
    int bw() const { return bw_; }
    Row row(int ba, int bw) const;
    Row current() const { return row(ba_, bw_); }
    // The Fig. 1 curve at the current offset B_W - B_A (pairs with B_W outside 1..24 skipped).
    std::vector<std::pair<int, int>> curve() const;
    const std::vector<int>& float_decisions() const { return float_dec_; }
    double float_error() const { return float_error_; }  // on the test set, -1 before known
    // Test rows whose fixed-point decision differs from the float one at the current precision.
    std::vector<std::size_t> flips() const;
    double last_precision_ms() const { return precision_ms_; }       // work a new (B_A, B_W) cost
    double slowest_bounds_ms() const { return slowest_bounds_ms_; }  // one step of a bounds job
    int noise_trials() const { return noise_trials_; }
    // Sakr's design options on this model: the smallest B_A with the bound <= 1% at offset 0
    // (A: Thm 1, B: Thm 2 opt) and at eq. 12's offset (C, D); 0 when none up to kCurveMax.
    int smallest_ba(int offset, bool theorem2) const;

    // Jobs for the shell (null when none runs).
    qlab::Job* analysis_job() { return analysis_job_.job(); }
    ScheduledJob analysis_scheduled(std::string label) {
        return analysis_job_.scheduled(std::move(label));
    }
    bool analysis_in_worker() const { return analysis_job_.in_worker(); }
    qlab::Job* sim_job() { return sim_job_.job(); }
    qlab::Job* noise_job() { return noise_job_.job(); }
    ScheduledJob sim_scheduled(std::string label) { return sim_job_.scheduled(std::move(label)); }
    ScheduledJob noise_scheduled(std::string label) {
        return noise_job_.scheduled(std::move(label));
    }
    using BitFlipAnalysis = BackgroundAnalysis<qlab::BitFlipJob, qlab::BitFlipResult>;
    const BitFlipAnalysis* bitflip_job() const {
        return bitflip_job_.job() ? &bitflip_job_ : nullptr;
    }
    BitFlipAnalysis* bitflip_job() { return bitflip_job_.job() ? &bitflip_job_ : nullptr; }
    ScheduledJob bitflip_scheduled(std::string label) {
        return bitflip_job_.scheduled(std::move(label));
    }

    // ---- bit flips ----
    BitFlipSettings bitflip;
    void start_bitflip_map(const SharedModel& model, Host& host);
    bool bitflip_stale() const;  // the map was made for other weights, precision or rate
    const qlab::BitFlipOptions& bitflip_made_with() const { return bitflip_options_; }

  private:
    void drop_all();
    bool follow(const qlab::LabState& st, const SharedModel& s);
    void size_units(const qlab::Model& model, std::size_t test_rows);
    void ensure_analysis(const qlab::LabState& st, const SharedModel& s);
    void simulate_now(const SharedModel& s, int ba, int bw);
    void harvest();
    // Steps the bounds job for at most budget_ms: the current pair first, then wanted() in order
    // (with current_only, it stops once the current pair is done).
    void fill_bounds(Host& host, double budget_ms, bool current_only = false);
    std::vector<std::pair<int, int>> wanted() const;  // current first, then the curves
    void start_sims(const SharedModel& model);

    // What the results are for: the weights and the estimation set.
    ModelVersion version_;
    double psamples_ = -1, seed_ = -1;
    AnalysisState state_ = AnalysisState::no_data;
    bool cancelled_ = false;
    std::string failure_;
    // In the Web Worker where there is one (lab/analysis_worker.hpp).
    BackgroundAnalysis<qlab::SakrJob, qlab::SakrAnalysis> analysis_job_;
    bool analysis_done_ = false;
    std::unique_ptr<qlab::SakrSpread> spread_;

    int ba_ = 0, bw_ = 0;
    double precision_ms_ = 0;
    double slowest_bounds_ms_ = 0;  // the longest single step of a bounds job
    std::map<std::pair<int, int>, qlab::SakrBounds> bounds_;
    std::unique_ptr<qlab::SakrBoundsJob> bounds_job_;  // reads analysis_job_'s result
    std::pair<int, int> bounds_job_pair_;
    // Points keep their addresses (a map of unique_ptr), so a Row can point at them.
    std::map<std::pair<int, int>, std::unique_ptr<qlab::SakrSimPoint>> fixed_, noise_;
    using SimAnalysis = BackgroundAnalysis<qlab::SakrSimJob, qlab::SakrSimResult>;
    SimAnalysis sim_job_, noise_job_;  // in the Web Worker where there is one
    std::size_t sim_harvested_ = 0, noise_harvested_ = 0;
    std::vector<std::pair<int, int>> sim_list_, noise_list_;  // what the running jobs compute
    bool sims_cancelled_ = false;
    std::vector<int> float_dec_;
    double float_error_ = -1;
    bool cheap_ = false;       // one fixed-point pass over the test set costs about a millisecond
    int rows_per_unit_ = 128;  // rows per job unit, so a unit stays a few milliseconds
    int noise_trials_ = kNoiseTrials;  // fewer on large networks
    int noise_rows_per_unit_ = 16;

    BitFlipAnalysis bitflip_job_;  // in the Web Worker where there is one
    qlab::BitFlipOptions bitflip_options_;
    ModelVersion bitflip_version_;
};

}  // namespace precision
}  // namespace quantlab
