// The precision lesson's analysis, simulations and bit-flip map (see precision_lesson.hpp).
// Sections: helpers; following the shared model; bounds; simulations; queries; bit flips.
#include "precision_lesson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "qlab/lin.hpp"

namespace quantlab::precision {

// Sakr Table 1 as printed (test error %, 10^6 full adders, 10^6 bits); options A-D of §4.1.
const Table1Row kTable1[4] = {
    {"A", 8, 8, 1.41, 82.9, 7.5},
    {"B", 6, 6, 1.54, 53.1, 5.63},
    {"C", 6, 9, 1.35, 72.7, 8.43},
    {"D", 4, 7, 1.43, 44.7, 6.54},
};

BelowSimulation below_simulation(const Row& row, bool hidden_saturate, double thm1_hi) {
    BelowSimulation b;
    if (!row.fixed) return b;
    const double p_m = row.fixed->p_m;
    b.thm1 = row.thm1 && *row.thm1 < p_m;
    b.thm2 = row.has_bounds && row.bounds.thm2 < p_m;
    if (!b.thm1 && !b.thm2) return b;
    b.why =
        "No contradiction of the theorems: they bound p_m under independent uniform noise through "
        "the linearised network (eq. 7), as a mean over the estimation set; the simulation "
        "rounds every row, saturating at the top of each range.";
    b.reason = "the theorems bound their linearised noise, not rounding";
    if (b.thm1 && std::isfinite(thm1_hi) && thm1_hi >= p_m)
        b.reason = "rare near-tie rows carry E_A and E_W (see Theorem 1's interval)";
    if (hidden_saturate) b.reason = "ReLU outputs above 2 saturate in fixed point";
    if (hidden_saturate)
        b.why +=
            " ReLU outputs above 2 saturate in ufixed:w=B_A,f=B_A-1 (the theorems assume "
            "hidden outputs in [0, 2]): the hard sigmoid keeps them in range.";
    if (b.thm1 && std::isfinite(thm1_hi) && thm1_hi >= p_m)
        b.why +=
            " Theorem 1's bootstrap interval reaches the simulation: rows with a tiny float "
            "margin, rare in a sample, carry E_A and E_W.";
    return b;
}

namespace {

// One fixed-point pass over the test set below this many multiply-adds takes about a millisecond
// in WebAssembly (digits 64-32-10: 0.85 M), so a new (B_A, B_W) is simulated inside its frame.
constexpr double kCheapMacs = 3e6;
// A job unit should take a few milliseconds whatever the network: about this many multiply-adds
// (Sakr's 784-512-512-512-10 then does 6 rows per unit, digits 64-32-10 256).
constexpr double kUnitMacs = 6e6;
constexpr int kMaxBits = 24;

// A new precision's bounds get this much of the frame it is set in; the rest follow in later
// frames (only low bits need exact sums, a backward pass per pair).
constexpr double kCurrentBoundsMs = 8.0;

bool in_range(int b) {
    return b >= 1 && b <= kMaxBits;
}

}  // namespace

const char* state_name(AnalysisState s) {
    switch (s) {
        case AnalysisState::no_data:
            return "no_data";
        case AnalysisState::untrained:
            return "untrained";
        case AnalysisState::training:
            return "training";
        case AnalysisState::running:
            return "running";
        case AnalysisState::finished:
            return "finished";
        case AnalysisState::failed:
            return "failed";
        case AnalysisState::cancelled:
            return "cancelled";
    }
    return "?";
}

// ---- following the shared model
// ------------------------------------------------------------------

void Lesson::drop_all() {
    bounds_job_.reset();
    analysis_job_.reset();
    spread_.reset();
    analysis_done_ = false;
    cancelled_ = false;
    failure_.clear();
    bounds_.clear();
    fixed_.clear();
    noise_.clear();
    sim_job_.reset();
    noise_job_.reset();
    sim_harvested_ = noise_harvested_ = 0;
    sim_list_.clear();
    noise_list_.clear();
    sims_cancelled_ = false;
    float_dec_.clear();
    float_error_ = -1;
    if (bitflip_job_.job() && bitflip_job_.job()->running()) bitflip_job_.reset();
}

void Lesson::update(const qlab::LabState& st, const SharedModel& s, Host& host, double fill_ms) {
    const int ba = static_cast<int>(st.ba), bw = static_cast<int>(st.bw);
    const bool new_precision = ba != ba_ || bw != bw_;
    ba_ = ba, bw_ = bw;
    if (!follow(st, s)) return;
    const double start = host.now_ms();
    size_units(s.model(), s.data().split().test.size());
    ensure_analysis(st, s);
    // The current precision first: its bounds (arithmetic, plus exact sums at low bits, which may
    // take a few frames), then its simulation.
    if (analysis_done_ && in_range(ba) && in_range(bw) && !bounds_.count({ba, bw}))
        fill_bounds(host, kCurrentBoundsMs, true);
    harvest();
    if (cheap_ && ba >= 2 && bw >= 2 && !fixed_.count({ba, bw})) simulate_now(s, ba, bw);
    if (new_precision) precision_ms_ = host.now_ms() - start;
    const qlab::Dataset& test = s.data().split().test;
    if (float_error_ < 0 && float_dec_.size() == test.size() && !float_dec_.empty()) {
        long long wrong = 0;
        for (std::size_t i = 0; i < float_dec_.size(); ++i) wrong += float_dec_[i] != test.y[i];
        float_error_ = static_cast<double>(wrong) / static_cast<double>(float_dec_.size());
    }
    start_sims(s);
    fill_bounds(host, fill_ms);
}

// Drops what was computed for other weights or another estimation set; false (with the state
// said) while there is nothing to analyse: no data, weights that move, or untrained ones.
bool Lesson::follow(const qlab::LabState& st, const SharedModel& s) {
    if (!s.data().ready() || !s.has_model()) {
        if (version_ != ModelVersion{}) drop_all();
        version_ = {};
        state_ = AnalysisState::no_data;
        return false;
    }
    if (s.version() != version_) {
        drop_all();
        version_ = s.version();
    }
    if (st.psamples != psamples_ || st.seed != seed_) {
        // A new estimation set: the analysis and what rests on it, not the fixed-point runs.
        bounds_job_.reset();
        analysis_job_.reset();
        spread_.reset();
        analysis_done_ = false, cancelled_ = false;
        failure_.clear();
        bounds_.clear();
        noise_.clear();
        noise_job_.reset();
        noise_harvested_ = 0;
        noise_list_.clear();
        psamples_ = st.psamples, seed_ = st.seed;
    }
    if (s.training()) {
        state_ = AnalysisState::training;  // the weights change every batch: wait for a pause
        return false;
    }
    if (!s.trained()) {
        state_ = AnalysisState::untrained;  // bounds on random weights teach nothing
        return false;
    }
    return true;
}

// Units of a few milliseconds whatever the network: rows per simulation unit, noise trials.
void Lesson::size_units(const qlab::Model& model, std::size_t test_rows) {
    const double macs = qlab::total_macs(model);
    cheap_ = macs * static_cast<double>(test_rows) <= kCheapMacs;
    rows_per_unit_ = static_cast<int>(std::clamp(kUnitMacs / std::max(1.0, macs), 1.0, 256.0));
    // Noise: a backward pass of M - 1 directions plus one forward pass per trial, per row.
    const double noise_row = macs * (model.outputs() - 1 + kNoiseTrials);
    noise_trials_ = noise_row <= kUnitMacs ? kNoiseTrials : 2;
    noise_rows_per_unit_ = static_cast<int>(std::clamp(
        kUnitMacs / std::max(1.0, macs * (model.outputs() - 1 + noise_trials_)), 1.0, 256.0));
}

// The analysis: once per weights and estimation set, and its state.
void Lesson::ensure_analysis(const qlab::LabState& st, const SharedModel& s) {
    if (!analysis_job_.job() && !cancelled_) {
        qlab::SakrOptions o;
        o.samples = static_cast<int>(st.psamples);
        o.seed = static_cast<std::uint64_t>(st.seed);
        // One unit: a batch of samples, each a backward pass of M - 1 logit differences.
        const double macs = qlab::total_macs(s.model());
        o.batch = static_cast<int>(std::clamp(
            kUnitMacs / std::max(1.0, macs * std::max(1, s.model().outputs() - 1)), 1.0, 25.0));
        // The page's own job (no worker, or it died) reads the shared model as it is then: any
        // change of weights or estimation set has dropped this analysis first.
        analysis_job_.start(
            s.analysis_runner(), {"sakr", &s.model(), &s.data().split().test, qlab::to_bytes(o)},
            [&s, o] {
                return std::make_unique<qlab::SakrJob>(s.model(), s.data().split().test, o);
            });
    }
    const qlab::Job* job = analysis_job_.job();
    switch (job ? job->state() : qlab::JobState::cancelled) {
        case qlab::JobState::running:
            state_ = AnalysisState::running;
            break;
        case qlab::JobState::finished:
            state_ = AnalysisState::finished;
            analysis_done_ = true;
            if (!spread_) {  // 1000 resamples of the per-sample terms: a few ms on 10,000 rows
                qlab::SakrSpreadOptions so;
                so.seed = static_cast<std::uint64_t>(st.seed);
                spread_ = std::make_unique<qlab::SakrSpread>(
                    qlab::sakr_spread(analysis_job_.result(), so));
            }
            break;
        case qlab::JobState::failed:
            state_ = AnalysisState::failed;
            failure_ = job->status().message();
            break;
        case qlab::JobState::cancelled:
            state_ = AnalysisState::cancelled;
            cancelled_ = true;
            break;
    }
}

// A cheap network's fixed-point run at the current precision, inside the call that set it.
void Lesson::simulate_now(const SharedModel& s, int ba, int bw) {
    qlab::SakrSimJob now(s.model(), &s.data().split().test, nullptr, float_dec_, {{ba, bw}});
    qlab::run_job(now);
    if (now.state() != qlab::JobState::finished) return;
    if (float_dec_.empty()) float_dec_ = now.float_decisions();
    fixed_[{ba, bw}] = std::make_unique<qlab::SakrSimPoint>(now.points().front());
}

// ---- bounds -------------------------------------------------------------------------------------

std::vector<std::pair<int, int>> Lesson::curve() const {
    std::vector<std::pair<int, int>> c;
    const int offset = bw_ - ba_;
    for (int b = kCurveMin; b <= kCurveMax; ++b)
        if (in_range(b + offset)) c.emplace_back(b, b + offset);
    return c;
}

std::vector<std::pair<int, int>> Lesson::wanted() const {
    std::vector<std::pair<int, int>> w = {{ba_, bw_}};
    for (const auto& p : curve()) w.push_back(p);
    // Sakr's options A-D need the curves at offset 0 and at eq. 12's offset, and Table 1's pairs.
    const int suggested = analysis() ? analysis()->suggested_bw_minus_ba() : 0;
    for (int offset : {0, suggested})
        for (int b = kCurveMin; b <= kCurveMax; ++b)
            if (in_range(b + offset)) w.emplace_back(b, b + offset);
    for (const Table1Row& t : kTable1) w.emplace_back(t.ba, t.bw);
    return w;
}

void Lesson::fill_bounds(Host& host, double budget_ms, bool current_only) {
    if (!analysis_done_) return;
    const std::pair<int, int> current{ba_, bw_};
    const bool current_missing = in_range(ba_) && in_range(bw_) && !bounds_.count(current);
    // A new precision goes first: a job for another pair is dropped (it restarts when wanted).
    if (bounds_job_ && current_missing && bounds_job_pair_ != current) bounds_job_.reset();
    const double start = host.now_ms();
    for (;;) {
        if (!bounds_job_) {
            std::optional<std::pair<int, int>> next;
            for (const auto& p : wanted())
                if (in_range(p.first) && in_range(p.second) && !bounds_.count(p)) {
                    next = p;
                    break;
                }
            if (!next) return;
            bounds_job_ = std::make_unique<qlab::SakrBoundsJob>(analysis_job_.result(), next->first,
                                                                next->second);
            bounds_job_pair_ = *next;
        }
        const double before = host.now_ms();
        bounds_job_->step(1);
        slowest_bounds_ms_ = std::max(slowest_bounds_ms_, host.now_ms() - before);
        if (!bounds_job_->running()) {
            bounds_[bounds_job_pair_] = bounds_job_->result();
            const bool was_current = bounds_job_pair_ == current;
            bounds_job_.reset();
            if (current_only && was_current) return;  // the curve waits for its own budget
        }
        if (host.now_ms() - start > budget_ms) return;
    }
}

// ---- simulations --------------------------------------------------------------------------------

void Lesson::harvest() {
    if (const qlab::Job* job = sim_job_.job()) {
        const qlab::SakrSimResult& r = sim_job_.result();
        for (; sim_harvested_ < r.points.size(); ++sim_harvested_) {
            const qlab::SakrSimPoint& p = r.points[sim_harvested_];
            fixed_[{p.ba, p.bw}] = std::make_unique<qlab::SakrSimPoint>(p);
        }
        if (float_dec_.empty() && r.float_ready) float_dec_ = r.float_decisions;
        if (job->state() == qlab::JobState::cancelled) sims_cancelled_ = true;
        if (!job->running()) sim_job_.reset(), sim_harvested_ = 0, sim_list_.clear();
    }
    if (const qlab::Job* job = noise_job_.job()) {
        const qlab::SakrSimResult& r = noise_job_.result();
        for (; noise_harvested_ < r.points.size(); ++noise_harvested_) {
            const qlab::SakrSimPoint& p = r.points[noise_harvested_];
            noise_[{p.ba, p.bw}] = std::make_unique<qlab::SakrSimPoint>(p);
        }
        if (job->state() == qlab::JobState::cancelled) sims_cancelled_ = true;
        if (!job->running()) noise_job_.reset(), noise_harvested_ = 0, noise_list_.clear();
    }
}

void Lesson::start_sims(const SharedModel& s) {
    if (sims_cancelled_) return;
    std::vector<std::pair<int, int>> pairs = {{ba_, bw_}};
    for (const auto& p : curve())
        if (p != pairs.front()) pairs.push_back(p);
    // The fixed-point network needs 2 bits or more (fixed:w=1 does not exist); the noise does not.
    const auto missing = [&](const auto& cache, int min_bits) {
        std::vector<std::pair<int, int>> m;
        for (const auto& p : pairs)
            if (p.first >= min_bits && p.second >= min_bits && in_range(p.first) &&
                in_range(p.second) && !cache.count(p))
                m.push_back(p);
        return m;
    };
    // A running job whose next pair is not the one on screen starts over with it first (the
    // finished pairs are kept); otherwise it goes on.
    const auto restart_due = [&](const qlab::Job* job, std::size_t harvested,
                                 const std::vector<std::pair<int, int>>& list, const auto& cache,
                                 int min_bits) {
        if (!job) return true;
        if (ba_ < min_bits || bw_ < min_bits || cache.count({ba_, bw_})) return false;
        return harvested >= list.size() || list[harvested] != std::make_pair(ba_, bw_);
    };
    if (restart_due(sim_job_.job(), sim_harvested_, sim_list_, fixed_, 2)) {
        const auto m = missing(fixed_, 2);
        if (!m.empty()) {
            qlab::SakrSimOptions o;
            o.rows_per_unit = rows_per_unit_;
            qlab::SakrSimRequest q{true, {}, float_dec_, m, o};
            sim_job_.start(s.analysis_runner(),
                           {"sakr-sim", &s.model(), &s.data().split().test, qlab::to_bytes(q)},
                           [&s, q] {
                               return std::make_unique<qlab::SakrSimJob>(
                                   s.model(), &s.data().split().test, nullptr, q.float_decisions,
                                   q.precisions, q.options);
                           });
            sim_harvested_ = 0;
            sim_list_ = m;
        }
    }
    if (analysis_done_ && restart_due(noise_job_.job(), noise_harvested_, noise_list_, noise_, 1)) {
        const auto m = missing(noise_, 1);
        if (!m.empty()) {
            qlab::SakrSimOptions o;
            o.rows_per_unit = noise_rows_per_unit_ * (1 + noise_trials_);  // the job divides it
            o.noise_trials = noise_trials_;
            o.seed = static_cast<std::uint64_t>(seed_);
            // The estimation set travels with the request (the job copies it either way).
            qlab::SakrSimRequest q{false, analysis_job_.result().inputs(), {}, m, o};
            noise_job_.start(s.analysis_runner(),
                             {"sakr-sim", &s.model(), nullptr, qlab::to_bytes(q)},
                             [this, &s, m, o] {
                                 return std::make_unique<qlab::SakrSimJob>(
                                     s.model(), nullptr, &analysis_job_.result().inputs(),
                                     std::vector<int>{}, m, o);
                             });
            noise_harvested_ = 0;
            noise_list_ = m;
        }
    }
}

// ---- queries ------------------------------------------------------------------------------------

double Lesson::analysis_fraction() const {
    if (analysis_done_) return 1;
    const qlab::Job* job = analysis_job_.job();
    return job ? job->progress().fraction() : 0;
}

const qlab::SakrAnalysis* Lesson::analysis() const {
    return analysis_done_ && analysis_job_.job() ? &analysis_job_.result() : nullptr;
}

Row Lesson::row(int ba, int bw) const {
    Row r;
    r.ba = ba, r.bw = bw;
    auto b = bounds_.find({ba, bw});
    if (b != bounds_.end()) r.has_bounds = true, r.bounds = b->second;
    if (const qlab::SakrAnalysis* a = analysis(); a && in_range(ba) && in_range(bw)) {
        // Theorem 1, eq. 11: Delta_A^2 E_A + Delta_W^2 E_W (infinite with exact ties).
        const double da = std::ldexp(1.0, -(ba - 1)), dw = std::ldexp(1.0, -(bw - 1));
        r.thm1 = a->ties() ? std::numeric_limits<double>::infinity()
                           : da * da * a->e_a() + dw * dw * a->e_w();
    }
    auto f = fixed_.find({ba, bw});
    if (f != fixed_.end()) r.fixed = f->second.get();
    auto n = noise_.find({ba, bw});
    if (n != noise_.end()) r.noise = n->second.get();
    return r;
}

std::vector<std::size_t> Lesson::flips() const {
    std::vector<std::size_t> out;
    const Row r = current();
    if (!r.fixed || r.fixed->decisions.size() != float_dec_.size()) return out;
    for (std::size_t i = 0; i < float_dec_.size(); ++i)
        if (r.fixed->decisions[i] != float_dec_[i]) out.push_back(i);
    return out;
}

int Lesson::smallest_ba(int offset, bool theorem2) const {
    for (int b = kCurveMin; b <= kCurveMax; ++b) {
        if (!in_range(b + offset)) continue;
        auto it = bounds_.find({b, b + offset});
        if (it == bounds_.end()) return -1;  // not computed yet
        const double v = theorem2 ? it->second.thm2_opt : it->second.thm1;
        if (v <= 0.01) return b;
    }
    return 0;
}

// ---- bit flips ----------------------------------------------------------------------------------

void Lesson::start_bitflip_map(const SharedModel& s, Host& host) {
    if (!s.has_model() || !s.data().ready()) {
        host.report("bit flips need a model and its data: wait for the data set to load",
                    MessageLevel::warning);
        return;
    }
    if (ba_ < 2 || bw_ < 2) {
        host.report(
            "bit flips need B_A, B_W >= 2 (the fixed-point network; B_W: a sign bit and one more)",
            MessageLevel::warning);
        return;
    }
    qlab::BitFlipOptions o;
    o.ba = ba_, o.bw = bw_;
    o.rate = bitflip.rate;
    o.seed = bitflip.seed;
    o.rows_per_unit = rows_per_unit_;
    o.activations = bitflip.activations;
    bitflip_job_.start(s.analysis_runner(),
                       {"bitflip", &s.model(), &s.data().split().test, qlab::to_bytes(o)}, [&s, o] {
                           return std::make_unique<qlab::BitFlipJob>(s.model(),
                                                                     s.data().split().test, o);
                       });
    bitflip_options_ = o;
    bitflip_version_ = s.version();
    if (bitflip_job_.state() == qlab::JobState::failed)
        host.report("bit flips: " + bitflip_job_.status().message(), MessageLevel::error);
}

bool Lesson::bitflip_stale() const {
    return !bitflip_job_.job() || bitflip_version_ != version_ || bitflip_options_.ba != ba_ ||
           bitflip_options_.bw != bw_ || bitflip_options_.rate != bitflip.rate ||
           bitflip_options_.activations != bitflip.activations;
}

}  // namespace quantlab::precision
