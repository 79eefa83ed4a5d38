// The Layers lesson's analysis (see layers_lesson.hpp): every number here comes from core's Lin
// functions (lin.hpp); this file only decides when they are recomputed and keeps them for drawing.
#include "layers_lesson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qlab/format.hpp"

namespace quantlab::layers {
namespace {

// One job unit (a bit width of the sweep, an allocation of the size/error job) is a forward pass
// over the analysed rows: this many multiply-adds keep it to a few milliseconds in WebAssembly.
constexpr double kUnitMacs = 6e6;
constexpr std::size_t kMaxRows = 1000;  // as SqnrOptions: enough for the statistics
constexpr int kBins = 48;
// While training runs the snapshot follows the weights at most this often (seconds).
constexpr double kLiveRefresh = 1.0, kLiveRefreshSlow = 5.0, kSlowSnapshotMs = 30;

std::string shape_of(const qlab::Layer& L) {
    if (L.kind == qlab::LayerKind::conv2d)
        return "conv " + std::to_string(L.out) + "x" + std::to_string(L.kernel) + "x" +
               std::to_string(L.kernel);
    return "dense " + std::to_string(L.in) + " x " + std::to_string(L.out);
}

// The view of one step: its values' histogram over a range that holds the values and, within
// reason, the format's range (so clipping shows), and the format's levels inside it.
StepView view_of(const qlab::QuantStep& step, const float* v, std::size_t n) {
    StepView sv;
    sv.step = step;
    double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = v[i];
        sum += x * x, lo = std::min(lo, x), hi = std::max(hi, x);
    }
    if (n == 0) lo = hi = 0;
    sv.rms = n ? std::sqrt(sum / static_cast<double>(n)) : 0;
    sv.min = lo, sv.max = hi;
    auto f = qlab::Format::parse(step.format);
    if (f) {
        sv.clip_lo = f->min_finite(), sv.clip_hi = f->max_finite(), sv.step_size = f->epsilon();
    }
    const double amax = std::max({std::fabs(lo), std::fabs(hi), 1e-12});
    double view_hi = std::max(hi, f ? std::min(sv.clip_hi, 1.25 * amax) : hi);
    double view_lo =
        lo < 0 ? std::min(lo, f ? std::max(sv.clip_lo, -1.25 * amax) : lo) : -0.06 * view_hi;
    if (!(view_hi > view_lo)) view_hi = view_lo + 1;
    const double pad = (view_hi - view_lo) * 0.02;
    sv.hist = make_histogram(v, n, view_lo - pad, view_hi + pad, kBins);
    if (f) {
        const qlab::AtomList atoms = f->atoms_in(sv.hist.lo, sv.hist.hi, 4096);
        // Beyond 4096 levels in view (wide formats) lines would only fill the plot: none are drawn
        // and the panel says how dense they are.
        sv.levels_truncated = atoms.truncated;
        if (!atoms.truncated) sv.levels = atoms.atoms;
        for (std::size_t i = 0; i < n; ++i) sv.clipped += v[i] < sv.clip_lo || v[i] > sv.clip_hi;
    }
    return sv;
}

}  // namespace

Histogram make_histogram(const float* v, std::size_t n, double lo, double hi, int bins) {
    Histogram h;
    h.lo = lo, h.hi = hi;
    h.counts.assign(static_cast<std::size_t>(std::max(1, bins)), 0);
    h.values = n;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = v[i];
        if (x < lo)
            ++h.below;
        else if (x > hi)
            ++h.above;
        else
            ++h.counts[static_cast<std::size_t>(
                std::min(bins - 1, static_cast<int>((x - lo) / (hi - lo) * bins)))];
    }
    return h;
}

std::size_t Analysis::rows_for(const qlab::Model& model, std::size_t available,
                               std::size_t at_least) {
    double macs = 0;
    for (double m : qlab::layer_macs(model)) macs += m;
    const double fit = macs > 0 ? kUnitMacs / macs : static_cast<double>(kMaxRows);
    const auto rows = static_cast<std::size_t>(
        std::clamp(fit, static_cast<double>(at_least), static_cast<double>(kMaxRows)));
    return std::min(rows, available);
}

bool Analysis::snapshot_current(const SharedModel& model, int bits) const {
    return snap_ && snap_->bits == bits && snap_->key == model.version();
}

std::shared_ptr<const Frozen> Analysis::freeze(const SharedModel& model, std::size_t rows) const {
    auto f = std::make_shared<Frozen>();
    f->key = model.version();
    f->model = model.model();
    f->rows = qlab::first_rows(model.data().split().test, rows);
    return f;
}

void Analysis::refresh_snapshot(const qlab::LabState& s, const SharedModel& session, Host& host,
                                std::vector<std::string>& problems) {
    const double start = host.now_ms();
    const qlab::Model& m = session.model();
    const qlab::Dataset& test = session.data().split().test;
    const int bits = static_cast<int>(s.lbits);
    const std::size_t rows = rows_for(m, test.size(), 64);
    snap_time_ = start / 1000.0;
    auto lin = qlab::lin_snapshot(m, test, bits, rows);
    if (!lin) {
        problems.push_back("layers: " + lin.status().message());
        return;  // the last good snapshot stays
    }
    const qlab::ModelSqnr* sq = &lin->sqnr;
    const std::vector<qlab::LayerSqnrMeter>* meters = &lin->meters;
    Snapshot snap;
    snap.key = session.version();
    snap.bits = bits;
    snap.rows = sq->rows;
    snap.predicted_output_db = sq->predicted_output_db;
    snap.measured_output_db = sq->measured_output_db;
    snap.float_accuracy = sq->float_accuracy;
    snap.quantized_accuracy = sq->quantized_accuracy;
    const qlab::Dataset sub = qlab::first_rows(test, rows);
    for (const qlab::QuantStep& st : sq->steps) {
        if (st.role == qlab::StepRole::weights) {
            const qlab::Matrix& w = m.layers[st.layer].weight;
            snap.steps.push_back(view_of(st, w.data(), static_cast<std::size_t>(w.size())));
        } else {
            const qlab::Matrix a = qlab::hidden_outputs(m, sub, st.layer, sub.size());
            snap.steps.push_back(view_of(st, a.data(), static_cast<std::size_t>(a.size())));
        }
    }
    const std::vector<std::size_t> weighted = qlab::weighted_layers(m);
    const std::vector<double> params = qlab::layer_parameters(m), macs = qlab::layer_macs(m);
    for (std::size_t i = 0; i < weighted.size(); ++i) {
        LayerView lv;
        lv.layer = weighted[i];
        lv.name = "layer " + std::to_string(weighted[i] + 1);
        lv.shape = shape_of(m.layers[weighted[i]]);
        lv.params = params[i], lv.macs = macs[i];
        for (std::size_t k = 0; k < snap.steps.size(); ++k) {
            if (snap.steps[k].step.layer != lv.layer) continue;
            (snap.steps[k].step.role == qlab::StepRole::weights ? lv.w_step : lv.a_step) =
                static_cast<int>(k);
        }
        if (i < meters->size()) lv.meter = (*meters)[i];
        snap.layers.push_back(std::move(lv));
    }
    snap.compute_ms = host.now_ms() - start;
    snap_ = std::move(snap);
}

double Analysis::step_kappa(std::size_t step) const {
    if (!sweep_done()) return std::nan("");
    const auto& k = sweep_job_.result().kappa;
    return step < k.size() ? k[step] : std::nan("");
}

void Analysis::update(const qlab::LabState& s, const SharedModel& session, Host& host,
                      std::vector<std::string>& problems) {
    if (!session.has_model() || !session.data().ready()) return;
    if (!session.trained()) {  // fresh random weights: nothing to show, nothing stale either
        snap_.reset(), alloc_.reset();
        sweep_job_.reset(), sweep_frozen_.reset();
        trade_job_.reset(), trade_frozen_.reset();
        return;
    }
    const bool training = session.training();
    const double now_s = host.now_ms() / 1000.0;
    const int bits = static_cast<int>(s.lbits);

    // 1. The snapshot at lbits: now, unless training is moving the weights (then once a second;
    // a new lbits is always drawn at once).
    if (!snapshot_current(session, bits)) {
        const double every =
            snap_ && snap_->compute_ms > kSlowSnapshotMs ? kLiveRefreshSlow : kLiveRefresh;
        const bool due = !training || !snap_ || snap_->bits != bits || now_s - snap_time_ >= every;
        if (due) refresh_snapshot(s, session, host, problems);
    }

    if (!training) ensure_sweep(session, problems);
    update_kappa(s);
    update_allocation(s, problems);
    if (!training) ensure_tradeoff(s, session, problems);

    // Each problem once.
    std::vector<std::string> fresh;
    for (std::string& p : problems)
        if (p != last_problem_) fresh.push_back(p);
    if (!fresh.empty()) last_problem_ = fresh.back();
    problems.swap(fresh);
}

// 2. kappa per step (eq. 2) from a sweep over 2..12 bits on a copy of the weights, started once
// training is not running (a sweep of weights that keep changing would say little).
void Analysis::ensure_sweep(const SharedModel& session, std::vector<std::string>& problems) {
    if (sweep_job_.job() && sweep_frozen_->key == session.version()) return;
    sweep_job_.reset();
    sweep_frozen_ =
        freeze(session, rows_for(session.model(), session.data().split().test.size(), 64));
    qlab::LinSweepOptions o;
    o.min_bits = kSweepMinBits, o.max_bits = kSweepMaxBits;
    o.max_rows = sweep_frozen_->rows.size();
    const std::shared_ptr<const Frozen> frozen = sweep_frozen_;  // kept by the page's own job
    sweep_job_.start(session.analysis_runner(),
                     {"lin-sweep", &frozen->model, &frozen->rows, qlab::to_bytes(o)}, [frozen, o] {
                         return std::make_unique<qlab::LinSweepJob>(frozen->model, frozen->rows, o);
                     });
    // In the worker a failure comes later: the scheduler reports it with the job's label.
    if (sweep_job_.state() == qlab::JobState::failed)
        problems.push_back("kappa sweep: " + sweep_job_.status().message());
}

// 3. The kappa of the allocation: given, or Lin's single kappa measured from the weights (the
// mean of the weight steps' slopes, as measured_weight_kappa takes it).
void Analysis::update_kappa(const qlab::LabState& s) {
    if (s.kappa > 0) {
        kappa_used_ = s.kappa, kappa_source_ = "given";
        return;
    }
    kappa_source_ = "measured";
    if (sweep_done()) {
        const qlab::LinSweepResult& r = sweep_job_.result();
        double sum = 0;
        int n = 0;
        for (std::size_t i = 0; i < r.steps.size() && i < r.kappa.size(); ++i)
            if (r.steps[i].role == qlab::StepRole::weights && std::isfinite(r.kappa[i]))
                sum += r.kappa[i], ++n;
        if (n) kappa_used_ = sum / n;
    } else if (!sweep_job_.job() || sweep_job_.state() != qlab::JobState::running) {
        kappa_used_ = 0;
    }
    // While a new sweep runs the previous measured kappa stays (no flicker of the table).
}

// 4. The allocation (eq. 14-16): rho = parameters (size) or multiply-adds (compute), the first
// layer at lbits.
void Analysis::update_allocation(const qlab::LabState& s, std::vector<std::string>& problems) {
    objective_ = s.objective == "compute" ? qlab::AllocationObjective::compute
                                          : qlab::AllocationObjective::size;
    alloc_.reset();
    if (!snap_ || !(kappa_used_ > 0)) return;
    std::vector<double> rho;
    for (const LayerView& lv : snap_->layers)
        rho.push_back(objective_ == qlab::AllocationObjective::size ? lv.params : lv.macs);
    auto a = qlab::allocate_bits(rho, kappa_used_, static_cast<int>(s.lbits), 2);
    if (a)
        alloc_ = std::move(a).value();
    else
        problems.push_back("allocation: " + a.status().message());
}

// 5. Size against error (Fig. 4) for equal and optimised widths, on a copy of the weights, once
// training is not running; a measured kappa waits for the sweep of these weights.
void Analysis::ensure_tradeoff(const qlab::LabState& s, const SharedModel& session,
                               std::vector<std::string>& problems) {
    const ModelKey cur = session.version();
    if (!(kappa_used_ > 0)) return;
    if (trade_job_.job() && trade_frozen_->key == cur && trade_kappa_ == kappa_used_ &&
        trade_objective_ == objective_)
        return;
    if (!(s.kappa > 0 || (sweep_done() && sweep_frozen_->key == cur))) return;
    trade_job_.reset();
    trade_frozen_ =
        freeze(session, rows_for(session.model(), session.data().split().test.size(), 200));
    qlab::TradeoffOptions o;
    o.kappa = kappa_used_;
    o.objective = objective_;
    trade_kappa_ = kappa_used_, trade_objective_ = objective_;
    const std::shared_ptr<const Frozen> frozen = trade_frozen_;  // kept by the page's own job
    trade_job_.start(session.analysis_runner(),
                     {"tradeoff", &frozen->model, &frozen->rows, qlab::to_bytes(o)}, [frozen, o] {
                         return std::make_unique<qlab::TradeoffJob>(frozen->model, frozen->rows, o);
                     });
    if (trade_job_.state() == qlab::JobState::failed)
        problems.push_back("size against error: " + trade_job_.status().message());
}

// ---- the lattice designer ----------------------------------------------------------------------

namespace {

std::vector<double> layer_weights(const qlab::Model& model, std::size_t layer) {
    const qlab::Matrix& w = model.layers[layer].weight;
    return std::vector<double>(w.data(), w.data() + w.size());
}

std::string codebook_spec(const std::vector<double>& levels) {
    std::string s = "codebook:values=";
    for (std::size_t i = 0; i < levels.size(); ++i)
        s += (i ? ";" : "") + qlab::shortest_repr(levels[i]);
    return s;
}

}  // namespace

void Designer::select_layer(const qlab::Model& model, int pos) {
    const std::vector<std::size_t> weighted = qlab::weighted_layers(model);
    if (weighted.empty()) return;
    position = std::clamp(pos, 0, static_cast<int>(weighted.size()) - 1);
    layer_ = weighted[static_cast<std::size_t>(position)];
    rebuild_histogram(model);
    changed();
}

void Designer::set_all_layers(bool all) {
    if (all != all_layers) all_layers = all, changed();
}

void Designer::start_kmeans(const qlab::Model& model, int k) {
    select_layer(model, position);
    const std::vector<double> w = layer_weights(model, layer_);
    auto f = qlab::Format::parse("codebook:kmeans=" + std::to_string(k));
    if (!f || w.empty()) return;
    const qlab::Format fitted = f->fit(w);
    levels = fitted.atoms_in(fitted.min_finite(), fitted.max_finite(), 1 << 16).atoms;
    source = "k-means " + std::to_string(k);
    rebuild_histogram(model);
    changed();
}

void Designer::start_uniform(const qlab::Model& model, int bits) {
    select_layer(model, position);
    const std::vector<double> w = layer_weights(model, layer_);
    auto f = qlab::Format::parse(qlab::lin_fixed_format(w, bits));
    if (!f || w.empty()) return;
    levels = f->atoms_in(f->min_finite(), f->max_finite(), 1 << 16).atoms;
    source = "Lin uniform " + std::to_string(bits) + " bits (" + f->to_string() + ")";
    rebuild_histogram(model);
    changed();
}

void Designer::set_levels(const qlab::Model& model, std::vector<double> values, std::string from) {
    select_layer(model, position);
    levels = std::move(values);
    source = std::move(from);
    rebuild_histogram(model);
    changed();
}

void Designer::rebuild_histogram(const qlab::Model& model) {
    const qlab::Matrix& w = model.layers[layer_].weight;
    double lo = w.size() ? w.minCoeff() : -1, hi = w.size() ? w.maxCoeff() : 1;
    if (!levels.empty()) lo = std::min(lo, levels.front()), hi = std::max(hi, levels.back());
    const double pad = std::max(1e-9, (hi - lo) * 0.08);
    hist = make_histogram(w.data(), static_cast<std::size_t>(w.size()), lo - pad, hi + pad, 64);
}

std::string Designer::evaluate(const qlab::Model& model, const qlab::Dataset& test, ModelKey key,
                               const Host& clock) {
    const std::vector<std::size_t> weighted = qlab::weighted_layers(model);
    if (weighted.empty() || test.size() == 0) return "";
    if (layer_ >= model.layers.size() || model.layers[layer_].kind == qlab::LayerKind::maxpool2d ||
        static_cast<std::size_t>(position) >= weighted.size() ||
        weighted[static_cast<std::size_t>(position)] != layer_) {
        // A new architecture: start over on its first layer.
        position = 0;
        levels.clear();
    }
    if (levels.empty()) start_kmeans(model, 16);
    if (!dirty_ && evaluated && evaluated_for == key) return "";
    const double start = clock.now_ms();
    rebuild_histogram(model);
    spec = codebook_spec(levels);
    if (auto f = qlab::Format::parse(spec)) index_bits = f->bits();
    qlab::EvalOptions eval;
    eval.layers.resize(model.layers.size());
    for (std::size_t l : weighted)
        if (all_layers || l == layer_) eval.layers[l].weights = spec;
    qlab::SqnrOptions o;
    rows = Analysis::rows_for(model, test.size(), 500);
    o.max_rows = rows;
    auto r = qlab::model_sqnr(model, test, eval, o);
    dirty_ = false;
    evaluated_for = key;
    if (!r) return "designer: " + r.status().message();
    accuracy = r->quantized_accuracy;
    float_accuracy = r->float_accuracy;
    output_sqnr_db = r->measured_output_db;
    for (const qlab::QuantStep& st : r->steps)
        if (st.layer == layer_ && st.role == qlab::StepRole::weights) weight_sqnr_db = st.sqnr_db;
    evaluated = true;
    ++evaluations;
    eval_ms = clock.now_ms() - start;
    return "";
}

std::string Designer::start_finetune(const qlab::Model& model, const qlab::Split& split,
                                     const qlab::LabState& s) {
    if (levels.empty() || split.train.size() == 0)
        return "fine-tune: no levels or no training data";
    tune_job_.reset();
    tuned = false;
    tuning_ = std::make_shared<Tuning>();
    tuning_->model = model;
    tuning_->train = split.train;
    tuning_->test = qlab::first_rows(split.test, rows);
    tuned_spec = codebook_spec(levels);
    // The designed layer alone (or every weighted layer) trains and is evaluated on the levels,
    // the others stay float, exactly as the designer's evaluation puts them.
    tuned_layers.assign(model.layers.size(), {});
    for (std::size_t l : qlab::weighted_layers(model))
        if (all_layers || l == layer_) tuned_layers[l].weights = tuned_spec;
    qlab::EvalOptions eval;
    eval.layers = tuned_layers;
    tuned_from = qlab::accuracy(tuning_->model, tuning_->test, eval);
    qlab::TrainOptions o;
    o.optimizer = qlab::parse_optimizer(s.optimizer).value_or(o.optimizer);  // a validated key
    o.learning_rate = static_cast<float>(s.lr);
    o.batch = static_cast<int>(s.batch);
    o.epochs = 1;
    o.seed = static_cast<std::uint64_t>(s.seed);
    o.layers = tuned_layers;
    o.evaluate_each_epoch = false;
    tune_job_ = std::make_unique<qlab::TrainJob>(tuning_->model, tuning_->train, &tuning_->test, o);
    if (tune_job_->state() == qlab::JobState::failed)
        return "fine-tune: " + tune_job_->status().message();
    return "";
}

bool Designer::poll_finetune() {
    if (!tune_job_ || tuned || tune_job_->state() != qlab::JobState::finished) return false;
    qlab::EvalOptions eval;
    eval.layers = tuned_layers;
    tuned_accuracy = qlab::accuracy(tuning_->model, tuning_->test, eval);
    tuned = true;
    return true;
}

Table6Beside table6_beside(const TradeoffAnalysis* tradeoff, double match) {
    Table6Beside t;
    t.match = match;
    t.paper_points = qlab::lin_points(qlab::lin_table6());
    t.paper = qlab::lin_savings(t.paper_points, match);
    if (tradeoff && tradeoff->state() == qlab::JobState::finished) {
        t.measured = true;
        t.our_points = qlab::lin_points(tradeoff->result());
        t.ours = qlab::lin_savings(t.our_points, match);
    }
    return t;
}

}  // namespace quantlab::layers
