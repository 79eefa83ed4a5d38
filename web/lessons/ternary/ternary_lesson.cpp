// The Ternary lesson's analysis (see ternary_lesson.hpp): the job's life and the figures per
// level and per layer, computed once when a job finishes so drawing a frame stays cheap. Each job
// is a BackgroundAnalysis: the worker's kinds "ternary", "pareto" and "kundu-tables" run the core
// job on the request's copy of the weights; the page's own job is the DeferredJob of before.
#include "ternary_lesson.hpp"

#include <algorithm>
#include <cmath>

namespace quantlab::ternary {

namespace {

// Curves longer than this are thinned for drawing (the error falls monotonically, Theorem 3, so
// every k-th point and the last keep its shape).
constexpr std::size_t kCurvePoints = 600;

}  // namespace

int Analysis::level_for(double keep) const {
    if (!have_result_) return -1;
    return std::clamp(static_cast<int>(keep), 0, max_level());
}

void Analysis::update(const SharedModel& shared, const AnalysisKey& key, double now_ms) {
    want_ = key;
    poll(now_ms);
    if (!shared.has_model() || !shared.data().ready()) {
        job_.reset();
        phase_ = Phase::no_model;
        return;
    }
    const qlab::Model& model = shared.model();
    const qlab::Dataset& test = shared.data().split().test;
    if (!shared.trained()) {
        job_.reset();  // residuals of random weights teach nothing: the lesson says so
        phase_ = Phase::untrained;
        return;
    }
    if (shared.training()) {
        // The weights move every batch: an analysis now would be for weights already gone.
        job_.reset();
        phase_ = Phase::training;
        return;
    }
    if (job() && job_key_ == key) return;  // running, finished or failed for these weights
    if (have_result_ && result_key_ == key && !job()) {
        phase_ = Phase::finished;
        return;
    }
    job_.reset();  // it references model_ and test_
    qlab::KunduOptions o;
    o.residual.block = key.block;
    o.residual.tolerance = key.tolerance;
    o.gain_x = key.gain_x;
    // The session's model and split live as long as the lab; a change before the first unit
    // comes with a new key (or training), which replaces this job before it runs again.
    job_.start(
        shared.analysis_runner(), {"ternary", &model, &test, qlab::to_bytes(o)},
        [this, mp = &model, tp = &test, o] {
            return std::make_unique<DeferredJob<qlab::TernaryResidualJob>>([this, mp, tp, o] {
                model_ = *mp;  // a snapshot: training changes the shared weights in place
                test_ = *tp;
                return std::make_unique<qlab::TernaryResidualJob>(model_, test_, o);
            });
        });
    // The request took the weights as they are now; the figures of its result read this copy.
    if (job_.in_worker()) model_ = model;
    job_key_ = key;
    started_ms_ = now_ms;
    ++jobs_started_;
    error_.clear();
    phase_ = Phase::running;
    poll(now_ms);  // a job that failed in its constructor
}

void Analysis::poll(double now_ms) {
    const qlab::Job* job = job_.job();  // a mirror the worker lost becomes the page's job here
    if (!job || phase_ != Phase::running) return;
    if (job->state() == qlab::JobState::finished) {
        finish(now_ms);
    } else if (job->state() == qlab::JobState::failed) {
        error_ = job->status().message();
        phase_ = Phase::failed;
    } else if (job->state() == qlab::JobState::cancelled) {
        // Cancel in the job row: the next change of weights or options starts a fresh one.
        error_ = "cancelled";
        phase_ = Phase::failed;
    }
}

void Analysis::finish(double now_ms) {
    result_ = job_.result();
    result_key_ = job_key_;
    result_model_ = model_;
    have_result_ = true;
    phase_ = Phase::finished;
    job_ms_ = now_ms - started_ms_;
    weights_ = qlab::kundu_weights(result_);

    layers_.clear();
    for (const qlab::KunduLayer& kl : result_.layers) {
        const qlab::ResidualTensor& t = kl.tensor;
        LayerFigures f;
        f.histogram = qlab::residual_histogram(t);
        f.fgq = qlab::fgq_row(t);
        f.residual = qlab::residual_row(t);
        const qlab::Matrix& w = result_model_.layers[kl.layer].weight;
        f.rows = static_cast<std::size_t>(w.rows());
        f.cols = static_cast<std::size_t>(w.cols());
        const std::size_t steps = t.errors.size();
        const std::size_t stride = std::max<std::size_t>(1, steps / kCurvePoints);
        for (std::size_t i = 0; i < steps; i += stride) {
            f.curve_x.push_back(static_cast<double>(i));
            f.curve_y.push_back(t.norm > 0 ? t.errors[i] / t.norm : 0);
        }
        if (steps > 0 && (steps - 1) % stride != 0) {
            f.curve_x.push_back(static_cast<double>(steps - 1));
            f.curve_y.push_back(t.norm > 0 ? t.errors.back() / t.norm : 0);
        }
        layers_.push_back(std::move(f));
    }

    levels_.clear();
    for (const qlab::KunduLevel& v : result_.levels) {
        LevelFigures f;
        f.cost = qlab::kundu_cost(result_model_, result_, v.level);
        f.bits_per_weight = weights_ ? v.model_size_bits / static_cast<double>(weights_) : 0;
        for (const qlab::KunduLayer& kl : result_.layers) {
            // eq. 8 summed over the blocks: the layer's relative error with this level's terms.
            const std::vector<double> w_hat = kl.tensor.reconstruct(v.level);
            const float* w = result_model_.layers[kl.layer].weight.data();
            double sq = 0;
            for (std::size_t i = 0; i < w_hat.size(); ++i)
                sq += (w[i] - w_hat[i]) * (w[i] - w_hat[i]);
            f.layer_errors.push_back(kl.tensor.norm > 0 ? std::sqrt(sq) / kl.tensor.norm : 0);
        }
        levels_.push_back(std::move(f));
    }
}

// ---- the Pareto view's job ---------------------------------------------------------------------

void Frontier::update(const SharedModel& shared, const AnalysisKey& key, bool wanted,
                      double now_ms) {
    want_ = key;
    training_ = shared.training();
    untrained_ = shared.has_model() && !shared.trained();
    poll(now_ms);
    if (training_ || untrained_) {
        job_.reset();  // its weights are gone (or random); the points would mislead
        return;
    }
    if (!wanted || !shared.has_model() || !shared.data().ready()) return;
    const qlab::Model& model = shared.model();
    const qlab::Dataset& test = shared.data().split().test;
    if (job() && key_ == key) return;
    job_.reset();  // it references model_ and test_
    qlab::ParetoOptions o;
    o.ternary_options.block = key.block;
    o.ternary_options.tolerance = key.tolerance;
    job_.start(shared.analysis_runner(), {"pareto", &model, &test, qlab::to_bytes(o)},
               [this, mp = &model, tp = &test, o] {
                   return std::make_unique<DeferredJob<qlab::ParetoJob>>([this, mp, tp, o] {
                       model_ = *mp;
                       test_ = *tp;
                       return std::make_unique<qlab::ParetoJob>(model_, test_, o);
                   });
               });
    key_ = key;
    started_ms_ = now_ms;
    finished_ = false;
    error_.clear();
    poll(now_ms);
}

void Frontier::poll(double now_ms) {
    const qlab::Job* job = job_.job();
    if (!job || finished_ || job->running()) return;
    finished_ = true;
    job_ms_ = now_ms - started_ms_;
    if (job->state() != qlab::JobState::finished)
        error_ = job->state() == qlab::JobState::cancelled ? "cancelled" : job->status().message();
}

const qlab::ParetoResult* Frontier::result() const {
    const qlab::Job* job = job_.job();
    if (!job) return nullptr;
    const bool any =
        job_.in_worker()
            ? static_cast<const RemoteJob*>(job)->updates() > 0
            : static_cast<const DeferredJob<qlab::ParetoJob>*>(job)->inner() != nullptr;
    return any ? &job_.result() : nullptr;
}

const char* Frontier::state() const {
    if (untrained_) return "untrained";
    if (training_) return "training";
    const qlab::Job* j = job();
    if (!j) return "idle";
    if (j->running()) return "running";
    return j->state() == qlab::JobState::finished ? "finished" : "failed";
}

void Tables::update(const SharedModel& shared, const AnalysisKey& key, bool wanted, double now_ms) {
    want_ = key;
    training_ = shared.training();
    untrained_ = shared.has_model() && !shared.trained();
    poll(now_ms);
    if (training_ || untrained_) {
        job_.reset();  // its weights are gone (or random)
        return;
    }
    if (!wanted || !shared.has_model() || !shared.data().ready()) return;
    if (job() && current()) return;
    job_.reset();  // it references model_, test_ and calibration_
    const qlab::Model& model = shared.model();
    const qlab::Split& split = shared.data().split();
    options_ = qlab::KunduTablesOptions{};  // qlab ternary-tables' defaults
    options_.block = key.block;
    options_.gain_x = key.gain_x;
    // The worker's request carries the calibration rows the job reads (its first
    // calibration_rows), not the whole training split; only a worker reads it.
    AnalysisRunner* runner = shared.analysis_runner();
    std::string request;
    if (runner && runner->ready())
        request = qlab::to_bytes(qlab::KunduTablesRequest{
            options_, qlab::first_rows(split.train, options_.calibration_rows)});
    job_.start(runner, {"kundu-tables", &model, &split.test, std::move(request)},
               [this, mp = &model, sp = &split, o = options_] {
                   return std::make_unique<DeferredJob<qlab::KunduTablesJob>>([this, mp, sp, o] {
                       model_ = *mp;
                       test_ = sp->test;
                       calibration_ = sp->train;
                       return std::make_unique<qlab::KunduTablesJob>(model_, test_, calibration_,
                                                                     o);
                   });
               });
    key_ = key;
    finished_ = false;
    error_.clear();
    poll(now_ms);
}

void Tables::poll(double /*now_ms*/) {
    const qlab::Job* job = job_.job();
    if (!job || finished_ || job->running()) return;
    finished_ = true;
    if (job->state() != qlab::JobState::finished)
        error_ = job->state() == qlab::JobState::cancelled ? "cancelled" : job->status().message();
}

bool Tables::current() const {
    return job() && key_.version == want_.version && key_.block == want_.block &&
           key_.gain_x == want_.gain_x;
}

const qlab::KunduTablesResult* Tables::result() const {
    const qlab::Job* j = job();
    if (!j || j->state() != qlab::JobState::finished) return nullptr;
    return &job_.result();
}

const char* Tables::state() const {
    if (untrained_) return "untrained";
    if (training_) return "training";
    const qlab::Job* j = job();
    if (!j) return "idle";
    if (j->running()) return "running";
    return j->state() == qlab::JobState::finished ? "finished" : "failed";
}

}  // namespace quantlab::ternary
