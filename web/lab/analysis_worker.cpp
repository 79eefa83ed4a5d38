// Analyses in the Web Worker (analysis_worker.hpp): the requests and messages as bytes, the
// worker's jobs by kind, and the page's mirrors.
#include "lab/analysis_worker.hpp"

#include <algorithm>

#include "qlab/bytes.hpp"

namespace quantlab {

namespace {

// ---- the kinds the worker runs: each builds its job from the request and says its result.
struct Kind {
    const char* name;
    // The job over `model` and `data` (kept alive beside it) with the options' bytes; an error
    // when the options do not read.
    std::function<qlab::Result<std::unique_ptr<qlab::Job>>(
        const qlab::Model& model, const qlab::Dataset& data, std::string_view options)>
        make;
    std::function<std::string(const qlab::Job& job)> result;
    // Whether its result while it runs is worth sending (the sensitivity's rows so far are shown;
    // a Sakr analysis is read only whole, and it is large: its estimation set and pairs).
    bool partial = true;
};

template <class J, class Options>
Kind kind(const char* name, bool partial) {
    return {
        name,
        [](const qlab::Model& model, const qlab::Dataset& data,
           std::string_view bytes) -> qlab::Result<std::unique_ptr<qlab::Job>> {
            Options o;
            if (qlab::Status st = qlab::from_bytes(bytes, o); !st) return st;
            return std::unique_ptr<qlab::Job>(std::make_unique<J>(model, data, o));
        },
        [](const qlab::Job& job) { return qlab::to_bytes(static_cast<const J&>(job).result()); },
        partial};
}

// Sakr's simulations: the fixed-point network on the data and/or the noise on the estimation set,
// their inputs beyond the model and data in a SakrSimRequest.
Kind sakr_sim_kind() {
    return {"sakr-sim",
            [](const qlab::Model& model, const qlab::Dataset& data,
               std::string_view bytes) -> qlab::Result<std::unique_ptr<qlab::Job>> {
                qlab::SakrSimRequest q;
                if (qlab::Status st = qlab::from_bytes(bytes, q); !st) return st;
                return std::unique_ptr<qlab::Job>(std::make_unique<qlab::SakrSimJob>(
                    model, q.with_data ? &data : nullptr,
                    q.noise_rows.size() > 0 ? &q.noise_rows : nullptr, std::move(q.float_decisions),
                    std::move(q.precisions), q.options));
            },
            [](const qlab::Job& job) {
                return qlab::to_bytes(static_cast<const qlab::SakrSimJob&>(job).result());
            },
            true};
}

// KunduTablesJob also reads a calibration set: the request's options carry it
// (qlab::KunduTablesRequest) and the job owns it, built before the job that reads it (a base
// class is initialised before the next one).
struct CalibrationSet {
    qlab::Dataset calibration;
};
class OwnedKunduTablesJob final : private CalibrationSet, public qlab::KunduTablesJob {
  public:
    OwnedKunduTablesJob(const qlab::Model& model, const qlab::Dataset& test,
                        qlab::KunduTablesRequest request)
        : CalibrationSet{std::move(request.calibration)},
          qlab::KunduTablesJob(model, test, calibration, request.options) {}
};

Kind kundu_tables_kind() {
    return {"kundu-tables",
            [](const qlab::Model& model, const qlab::Dataset& data,
               std::string_view bytes) -> qlab::Result<std::unique_ptr<qlab::Job>> {
                qlab::KunduTablesRequest request;
                if (qlab::Status st = qlab::from_bytes(bytes, request); !st) return st;
                return std::unique_ptr<qlab::Job>(
                    std::make_unique<OwnedKunduTablesJob>(model, data, std::move(request)));
            },
            [](const qlab::Job& job) {
                return qlab::to_bytes(static_cast<const qlab::KunduTablesJob&>(job).result());
            },
            false};
}

// The Ternary lesson reads Kundu's result and the tables only whole (and the residuals' signs
// are as many as the weights); the Pareto view shows its points as they come.
// Cherkhev's format sweep: the request's data are the rows it trains on (or all rows, split by the
// plan); its held-out rows come in the options, and the job owns them.
struct HeldOutRows {
    qlab::Dataset held_out;
};
class OwnedSweepJob final : private HeldOutRows, public qlab::SweepJob {
  public:
    OwnedSweepJob(const qlab::Dataset& train, qlab::SweepRequest q)
        : HeldOutRows{std::move(q.test)},
          qlab::SweepJob(train, q.has_test ? &held_out : nullptr, std::move(q.grid), q.base,
                         q.algorithm) {}
};

Kind sweep_kind() {
    return {
        "sweep",
        [](const qlab::Model&, const qlab::Dataset& data,
           std::string_view bytes) -> qlab::Result<std::unique_ptr<qlab::Job>> {
            qlab::SweepRequest q;
            if (qlab::Status st = qlab::from_bytes(bytes, q); !st) return st;
            if (q.use_plan)
                return std::unique_ptr<qlab::Job>(std::make_unique<qlab::SweepJob>(
                    data, std::move(q.grid), q.base, q.plan, q.algorithm));
            return std::unique_ptr<qlab::Job>(std::make_unique<OwnedSweepJob>(data, std::move(q)));
        },
        [](const qlab::Job& job) {
            return qlab::to_bytes(static_cast<const qlab::SweepJob&>(job).result());
        },
        true};
}

// Post-training calibration: its calibration rows come in the options, and the job copies them.
Kind calibration_kind() {
    return {"calibration",
            [](const qlab::Model& model, const qlab::Dataset& data,
               std::string_view bytes) -> qlab::Result<std::unique_ptr<qlab::Job>> {
                qlab::CalibrationRequest q;
                if (qlab::Status st = qlab::from_bytes(bytes, q); !st) return st;
                return std::unique_ptr<qlab::Job>(
                    std::make_unique<qlab::CalibrationJob>(model, q.calibration, data, q.options));
            },
            [](const qlab::Job& job) {
                return qlab::to_bytes(static_cast<const qlab::CalibrationJob&>(job).result());
            },
            false};
}

const std::vector<Kind>& kinds() {
    static const std::vector<Kind> all = {
        kind<qlab::SensitivityJob, qlab::SensitivityOptions>("sensitivity", true),
        kind<qlab::SakrJob, qlab::SakrOptions>("sakr", false),
        sakr_sim_kind(),
        kind<qlab::LinSweepJob, qlab::LinSweepOptions>("lin-sweep", true),
        kind<qlab::TradeoffJob, qlab::TradeoffOptions>("tradeoff", true),
        kind<qlab::BitFlipJob, qlab::BitFlipOptions>("bitflip", true),
        kind<qlab::TernaryResidualJob, qlab::KunduOptions>("ternary", false),
        kind<qlab::ParetoJob, qlab::ParetoOptions>("pareto", true),
        kundu_tables_kind(),
        sweep_kind(),
        calibration_kind(),
    };
    return all;
}

const Kind* find_kind(const std::string& name) {
    for (const Kind& k : kinds())
        if (name == k.name) return &k;
    return nullptr;
}

}  // namespace

// ---- bytes

std::string request_to_bytes(const AnalysisRequest& request) {
    qlab::ByteWriter w;
    w.text(request.kind);
    w.text(request.model ? qlab::model_to_bytes(*request.model) : std::string());  // "": none
    w.text(qlab::dataset_to_bytes(request.data ? *request.data : qlab::Dataset{}));
    w.text(request.options);
    return w.take();
}

std::string message_to_bytes(const AnalysisMessage& m) {
    qlab::ByteWriter w;
    w.pod<std::int64_t>(m.id), w.pod<std::uint8_t>(static_cast<std::uint8_t>(m.state));
    w.text(m.progress.stage), w.pod<std::int64_t>(m.progress.done);
    w.pod<std::int64_t>(m.progress.total);
    w.text(m.message), w.text(m.result);
    return w.take();
}

qlab::Result<AnalysisMessage> message_from_bytes(std::string_view bytes) {
    qlab::ByteReader r(bytes);
    AnalysisMessage m;
    m.id = r.pod<std::int64_t>();
    const auto state = r.pod<std::uint8_t>();
    if (state > static_cast<std::uint8_t>(qlab::JobState::failed)) r.fail();
    m.state = static_cast<qlab::JobState>(state);
    m.progress.stage = r.text(), m.progress.done = r.pod<std::int64_t>();
    m.progress.total = r.pod<std::int64_t>();
    m.message = r.text(), m.result = r.text();
    if (!r.ok() || !r.at_end()) return qlab::Status::error("an analysis message cut short");
    return m;
}

// ---- the worker's side

struct AnalysisWorker::Run {
    long long id = 0;
    const Kind* kind = nullptr;
    qlab::Model model;  // the job reads these
    qlab::Dataset data;
    std::unique_ptr<qlab::Job> job;
    double last_sent_ms = -1e300;
};

AnalysisWorker::AnalysisWorker(std::function<double()> now_ms) : now_ms_(std::move(now_ms)) {}
AnalysisWorker::~AnalysisWorker() = default;

void AnalysisWorker::start(long long id, std::string_view request) {
    auto refuse = [&](const std::string& why) {
        AnalysisMessage m;
        m.id = id;
        m.state = qlab::JobState::failed;
        m.message = "the worker could not start the analysis: " + why;
        early_.push_back(std::move(m));
    };
    qlab::ByteReader r(request);
    const std::string kind_name = r.text(), model = r.text(), data = r.text(), options = r.text();
    if (!r.ok() || !r.at_end()) return refuse("its request is cut short");
    const Kind* kind = find_kind(kind_name);
    if (!kind) return refuse("no analysis is called \"" + kind_name + "\"");
    auto run = std::make_unique<Run>();
    run->id = id;
    run->kind = kind;
    if (!model.empty()) {  // none for a kind without a network (the sweep's perceptrons)
        auto m = qlab::model_from_bytes(model);
        if (!m) return refuse(m.status().message());
        run->model = std::move(m).value();
    }
    auto d = qlab::dataset_from_bytes(data);
    if (!d) return refuse(d.status().message());
    run->data = std::move(d).value();
    auto job = kind->make(run->model, run->data, options);
    if (!job) return refuse(job.status().message());
    run->job = std::move(job).value();
    runs_.push_back(std::move(run));
}

void AnalysisWorker::cancel(long long id) {
    runs_.erase(std::remove_if(runs_.begin(), runs_.end(),
                               [id](const std::unique_ptr<Run>& r) { return r->id == id; }),
                runs_.end());
}

std::vector<AnalysisMessage> AnalysisWorker::step(double budget_ms) {
    std::vector<AnalysisMessage> out = std::move(early_);
    early_.clear();
    const double start = now_ms_();
    // Round robin, one unit each, until the budget is spent (at least one unit).
    for (bool first = true; !runs_.empty() && (first || now_ms_() - start < budget_ms);
         first = false) {
        next_ %= runs_.size();
        Run& run = *runs_[next_];
        run.job->step(1);
        const bool over = !run.job->running();
        const double now = now_ms_();
        if (over || now - run.last_sent_ms >= kProgressMs) {
            run.last_sent_ms = now;
            AnalysisMessage m;
            m.id = run.id;
            m.state = run.job->state();
            m.progress = run.job->progress();
            m.message = run.job->status().message();
            // A failed job's result is not read; a finished one's is whole.
            const bool send = over ? m.state == qlab::JobState::finished : run.kind->partial;
            if (send) m.result = run.kind->result(*run.job);
            out.push_back(std::move(m));
        }
        if (over)
            runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(next_));
        else
            ++next_;
    }
    return out;
}

// ---- the page's side

AnalysisRunner::~AnalysisRunner() {
    for (auto& [id, mirror] : mirrors_) mirror->runner_ = nullptr;
}

std::unique_ptr<RemoteJob> AnalysisRunner::start(const AnalysisRequest& request) {
    const long long id = next_id_++;
    auto mirror = std::make_unique<RemoteJob>(*this, id);
    mirrors_[id] = mirror.get();
    post_start(id, request_to_bytes(request));
    return mirror;
}

void AnalysisRunner::deliver(std::string_view message_bytes) {
    auto m = message_from_bytes(message_bytes);
    if (!m) return;  // not from this build's worker: nothing to hand on
    const auto it = mirrors_.find(m->id);
    if (it == mirrors_.end()) return;  // dropped by the page meanwhile
    RemoteJob* mirror = it->second;
    if (!mirror->running()) {  // cancelled by the page: the worker stops it too
        mirror->runner_ = nullptr;
        forget(m->id, m->state == qlab::JobState::running);
        return;
    }
    if (m->state != qlab::JobState::running) mirrors_.erase(it);
    mirror->take(std::move(m).value());
}

void AnalysisRunner::died(const std::string& why) {
    (void)why;  // the page says why (the training's owner reports the death)
    auto lost = std::move(mirrors_);
    mirrors_.clear();
    for (auto& [id, mirror] : lost) mirror->lose();
}

void AnalysisRunner::forget(long long id, bool still_running) {
    if (mirrors_.erase(id) && still_running) post_cancel(id);
}

// ---- the mirror

RemoteJob::~RemoteJob() {
    if (runner_) runner_->forget(id_, true);
}

qlab::Status RemoteJob::do_unit() {
    return qlab::Status::error("an analysis running in the Web Worker is not stepped here");
}

void RemoteJob::take(AnalysisMessage m) {
    progress_ = std::move(m.progress);
    if (!m.result.empty()) result_ = std::move(m.result);
    ++updates_;
    if (m.state == qlab::JobState::failed) fail_now(qlab::Status::error(m.message));
    if (m.state == qlab::JobState::finished)
        restore_state(qlab::JobState::finished, qlab::Status::success());
    if (m.state == qlab::JobState::cancelled) cancel();
    if (m.state != qlab::JobState::running) runner_ = nullptr;  // the worker dropped it
}

void RemoteJob::lose() {
    lost_ = true;
    runner_ = nullptr;
}

}  // namespace quantlab
