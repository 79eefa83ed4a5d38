// The shared model's owner (see shared_model.hpp).
// Sections: 1. following the state  2. files  3. training  4. predictions on the test split
// 5. export.
#include "lab/shared_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "qlab/lin.hpp"

namespace quantlab {

namespace {

// Predictions are refreshed a few times a second when they cost less than this many multiply-adds;
// costlier ones (MNIST) wait for an epoch's end or a pause, so a frame never stalls on them.
constexpr double kCheapPredictionMacs = 4e6;
constexpr double kPredictionRefreshMs = 250;
// Throughput is measured over the last few seconds of running.
constexpr double kThroughputWindowS = 3.0;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
bool ends_with(const std::string& s, const char* tail) {
    const std::string t(tail);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

bool contains(const std::vector<std::string>& keys, const char* key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// An ONNX ModelProto starts with a field tag: ir_version (field 1, varint: 0x08) in every file
// the exporters write. JSON starts with '{', CSV and libsvm with text.
bool looks_like_onnx(const std::string& bytes) {
    return !bytes.empty() && bytes[0] == '\x08';
}

}  // namespace

std::vector<std::string> data_sets_for_inputs(int features) {
    if (features == 784) return {"mnist", "fashion"};
    if (features == 64) return {"digits"};
    if (features == 2) return {"circle", "xor", "gauss", "spiral", "linear"};
    return {};
}

std::string shape_text(const std::vector<int>& shape) {
    std::string t;
    for (int d : shape) t += (t.empty() ? "" : "x") + std::to_string(d);
    return t;
}

// ---- 1. following the state ---------------------------------------------------------------------

void SharedModel::sync(const qlab::LabState& s) {
    if (data_.sync(s)) rebuild(s);
    if (run_when_ready_ && data_.ready() && have_model_) {
        run_when_ready_ = false;
        set_running(s, true);
    }
    if (run_when_ready_ && !data_.loading() && !data_.ready()) run_when_ready_ = false;  // failed
}

void SharedModel::on_state_changed(const qlab::LabState& s, const std::vector<std::string>& keys) {
    bool new_data = false, new_model = false;
    for (const std::string& key : keys) {
        const qlab::Property* p = qlab::find_property(key);
        if (!p) continue;
        new_data = new_data || p->model == qlab::ModelEffect::new_data;
        new_model = new_model || p->model == qlab::ModelEffect::new_model;
    }
    if (contains(keys, "data")) data_.forget_upload(), data_.forget_failures();
    // The network's shape asked for: the lab's own network replaces an imported one.
    if (import_ && (contains(keys, "hidden") || contains(keys, "act"))) {
        host_.report("the lab's own network (hidden " + s.hidden + ", " + s.act + ") replaces " +
                         import_name_,
                     MessageLevel::info);
        forget_import(s);
        return;
    }
    if (new_data) {
        // The split follows at once when a lesson on the model is open, else at the next sync
        // (when one opens), so other lessons never download a data set.
        drop_job();
        pending_.active = false;
        if (qlab::lesson_uses_model(s.panel)) sync(s);
        return;
    }
    if (new_model && data_.ready()) restart(s);
    // Live, mid-run; a run in the worker changes there and its mirror follows.
    if (contains(keys, "urounding") && job_) {
        auto r = qlab::parse_rounding(s.urounding);
        if (r && in_worker()) runner()->set_update_rounding(remote_run_, *r);
        if (r && !in_worker()) job_->set_update_rounding(*r);
    }
    if (contains(keys, "epochs") && job_ && job_->running()) {
        if (in_worker()) runner()->set_epochs(remote_run_, static_cast<int>(s.epochs));
        if (!in_worker()) job_->set_epochs(static_cast<int>(s.epochs));
    }
}

void SharedModel::on_dataset(const qlab::LabState& s, const std::string& name,
                             const std::string& bytes) {
    const bool studied = qlab::lesson_uses_model(s.panel);  // else a lesson beside it fetched
    if (data_.on_dataset(s, name, bytes, studied)) rebuild(s);
    if (studied) sync(s);
}

void SharedModel::on_dataset_failed(const std::string& name, const std::string& message) {
    data_.on_dataset_failed(name, message);
    run_when_ready_ = false;
}

std::string SharedModel::spec(const qlab::LabState& s) const {
    if (import_) return "onnx:" + import_name_;
    const qlab::Split& sp = data_.split();
    return qlab::lab_model_spec(s.hidden, s.act, sp.train.features, sp.train.classes,
                                data_.image_side());
}

bool SharedModel::trained() const {
    return have_model_ && (from_file() || batches_done() > 0);
}

std::string SharedModel::state_word() const {
    if (!have_model_) return "no model";
    if (imported() && batches_done() == 0) return "imported from " + import_name_;
    if (origin_ == ModelOrigin::file && batches_done() == 0) return "loaded from a file";
    if (running_) return "training";
    if (remote_pausing_) return "pausing";
    if (job_ && job_->running()) return "paused";
    return batches_done() > 0 ? "trained" : "untrained";
}

void SharedModel::rebuild(const qlab::LabState& s) {
    ++data_tag_;
    reset(s);  // a run on the old data stops; one asked for while the data loaded starts at sync
}

void SharedModel::restart(const qlab::LabState& s) {
    const bool was = running_;
    reset(s);
    if (was) set_running(s, true);
}

// ---- 2. files -----------------------------------------------------------------------------------

bool SharedModel::on_upload(const qlab::LabState& s, const std::string& name,
                            const std::string& bytes, const std::string& url) {
    const std::string lname = lower(name);
    if (ends_with(lname, ".onnx") || (!ends_with(lname, ".json") && looks_like_onnx(bytes))) {
        load_onnx(s, name, bytes, url);
        return true;
    }
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    const bool is_json =
        ends_with(lname, ".json") || (first != std::string::npos && bytes[first] == '{');
    if (is_json) {
        const ModelVersion before = version();
        load_model_file(s, name, bytes);
        if (version() != before && origin_ == ModelOrigin::file) model_url_ = url;
        return true;
    }
    const bool is_libsvm = ends_with(lname, ".libsvm") || ends_with(lname, ".svm");
    const bool is_csv = ends_with(lname, ".csv") || ends_with(lname, ".txt");
    if (!is_libsvm && !is_csv) return false;
    return load_data_file(s, name, bytes);
}

bool SharedModel::load_model_file(const qlab::LabState& s, const std::string& name,
                                  const std::string& bytes) {
    auto m = qlab::model_from_json(bytes);
    if (!m) {
        host_.report(name + ": " + m.status().message(), MessageLevel::error);
        return true;
    }
    if (import_) {  // a model JSON replaces the import; the data goes back to the lab's scaling
        import_.reset();
        data_.set_model_imported(false);
        data_.sync(s);
    }
    if (!data_.ready()) {
        host_.report(name + ": load a data set before a model", MessageLevel::error);
        return true;
    }
    const int features = data_.split().train.features, classes = data_.split().train.classes;
    if (m->inputs() != features || m->outputs() != classes) {
        host_.report(name + ": the model takes " + std::to_string(m->inputs()) +
                         " inputs and gives " + std::to_string(m->outputs()) + " classes, but '" +
                         data_.label() + "' has " + std::to_string(features) + " features and " +
                         std::to_string(classes) + " classes; the lab keeps its model",
                     MessageLevel::error);
        return true;
    }
    drop_job();
    pending_.active = false;
    model_ = std::move(m).value();
    have_model_ = true;
    origin_ = ModelOrigin::file;
    file_name_ = name;
    model_url_.clear();
    float_acc_ = -1;
    ++generation_;
    refresh_predictions(s, false);
    char text[160];
    std::snprintf(text, sizeof text, "loaded the model from %s: test accuracy %.4f", name.c_str(),
                  test_acc_);
    host_.report(text, MessageLevel::info);
    return true;
}

bool SharedModel::load_data_file(const qlab::LabState& s, const std::string& name,
                                 const std::string& bytes) {
    const bool is_libsvm = ends_with(lower(name), ".libsvm") || ends_with(lower(name), ".svm");
    auto d = is_libsvm ? qlab::parse_libsvm(bytes, name) : qlab::parse_csv(bytes, name);
    if (!d) {
        // The parser's message names the line; the lab keeps the data set it had.
        host_.report(d.status().message() + " (the lab keeps '" + data_.label() + "')",
                     MessageLevel::error);
        return true;
    }
    auto widths = qlab::parse_hidden_widths(s.hidden);  // a CNN: its own check in reset
    const double params =
        qlab::mlp_parameter_count(d->features, widths ? *widths : std::vector<int>{}, d->classes);
    if (params > qlab::kMaxModelParameters) {
        host_.report(name + ": " + std::to_string(d->features) + " features with hidden layers '" +
                         s.hidden + "' make a model beyond the lab's limit of 2e6 parameters",
                     MessageLevel::error);
        return true;
    }
    const std::size_t rows = d->size();
    const int features = d->features, classes = d->classes;
    if (!data_.use_upload(s, name, std::move(d).value())) return true;
    rebuild(s);
    host_.report("training on " + name + ": " + std::to_string(rows) + " rows, " +
                     std::to_string(features) + " features, " + std::to_string(classes) +
                     " classes",
                 MessageLevel::info);
    return true;
}

void SharedModel::load_onnx(const qlab::LabState& s, const std::string& name,
                            const std::string& bytes, const std::string& url) {
    if (bytes.size() > qlab::kMaxOnnxBytes) {
        host_.report(name + ": the file is " + std::to_string(bytes.size() >> 20) +
                         " MB; the lab takes models up to 64 MB (the lab keeps its model)",
                     MessageLevel::error);
        return;
    }
    qlab::OnnxImportOptions o;
    o.max_parameters = qlab::kMaxImportedModelParameters;  // a browser tab's model
    const double start = host_.now_ms();
    auto m = qlab::import_onnx(bytes, o);
    import_ms_ = host_.now_ms() - start;
    if (!m) {
        // import_onnx's message names the problem and the node; nothing was half-loaded.
        host_.report(name + ": " + m.status().message() + " (the lab keeps its model)",
                     MessageLevel::error);
        return;
    }
    drop_job();
    pending_.active = false;
    import_ = std::make_unique<qlab::ImportedModel>(std::move(m).value());
    import_name_ = name;
    model_url_ = url;
    import_problem_.clear();
    announce_import_ = true;  // said once it meets data of its size
    data_.set_model_imported(true);
    const int features = import_->model.inputs();
    const std::vector<std::string> fits = data_sets_for_inputs(features);
    // The data follows the model when the current set has another size: the first that fits.
    const bool here_fits = data_.uploaded()
                               ? data_.ready() && data_.split().train.features == features
                               : std::find(fits.begin(), fits.end(), s.data) != fits.end();
    if (!here_fits && !fits.empty()) {
        data_.forget_upload();
        wanted_data_ = fits.front();
        import_problem_ = "waiting for " + fits.front() + " (the model takes " +
                          shape_text(import_->input_shape) + " inputs)";
        have_model_ = false;
        origin_ = ModelOrigin::imported;
        file_name_ = name;
        return;
    }
    data_.sync(s);  // the automatic preprocessing of an ONNX model: none
    reset(s);
}

bool SharedModel::install_import(const qlab::LabState& s) {
    (void)s;
    origin_ = ModelOrigin::imported;
    file_name_ = import_name_;
    if (!data_.ready()) return false;
    const qlab::Split& sp = data_.split();
    const int features = import_->model.inputs(), outputs = import_->model.outputs();
    if (sp.train.features != features || sp.train.classes != outputs) {
        const std::vector<std::string> fits = data_sets_for_inputs(features);
        std::string list;
        for (const std::string& f : fits) list += (list.empty() ? "" : " or ") + f;
        import_problem_ =
            import_name_ + " takes " + shape_text(import_->input_shape) + " inputs and gives " +
            std::to_string(outputs) + " outputs, but '" + data_.label() + "' has " +
            std::to_string(sp.train.features) + " features and " +
            std::to_string(sp.train.classes) + " classes: " +
            (list.empty() ? "upload data with " + std::to_string(features) + " features"
                          : "choose " + list + " or upload data of that size");
        host_.report(import_problem_, MessageLevel::error);
        return false;
    }
    import_problem_.clear();
    model_ = import_->model;
    have_model_ = true;
    ++generation_;
    // The float accuracy is a pass over the test split like the predictions, sliced over frames
    // (a CNN on 2,000 rows takes about a second in the browser); the model is announced with it.
    float_acc_ = -1;
    start_pass(float_pass_, qlab::EvalOptions{});
    if (advance_pass(float_pass_, true)) finish_float_pass();
    return true;
}

void SharedModel::finish_float_pass() {
    const std::size_t rows = float_pass_.pred.size();
    float_acc_ = rows ? static_cast<double>(float_pass_.right) / static_cast<double>(rows) : 0;
    if (!announce_import_ || !import_) return;
    announce_import_ = false;  // once per file, when it first meets data of its size
    char text[512];
    std::snprintf(
        text, sizeof text, "imported %s: %zu layers, input %s; float accuracy %.4f on %s (%s)%s",
        import_name_.c_str(), model_.layers.size(), shape_text(import_->input_shape).c_str(),
        float_acc_, data_.label().c_str(), data_.preprocessing().c_str(),
        import_->quantized() ? "; its QDQ formats kept" : "");
    host_.report(text, MessageLevel::info);
    for (const std::string& note : import_->notes)
        host_.report(import_name_ + ": " + note, MessageLevel::info);
}

void SharedModel::forget_import(const qlab::LabState& s) {
    import_.reset();
    import_name_.clear();
    model_url_.clear();
    import_problem_.clear();
    wanted_data_.clear();
    float_acc_ = -1;
    float_pass_.active = false;
    data_.set_model_imported(false);
    drop_job();
    pending_.active = false;
    if (qlab::lesson_uses_model(s.panel)) data_.sync(s);
    reset(s);
}

// ---- 3. training --------------------------------------------------------------------------------

void SharedModel::drop_job() {
    if (in_worker()) runner()->stop();
    remote_run_ = 0;
    remote_pausing_ = false;
    job_.reset();
    running_ = false;
    throughput_.clear();
}

void SharedModel::reset(const qlab::LabState& s) {
    drop_job();
    pending_.active = false;
    origin_ = ModelOrigin::none;
    file_name_.clear();
    test_pred_.clear();
    test_acc_ = -1;
    predicted_version_ = {};
    have_model_ = false;
    if (import_) {  // an imported model starts from its file's weights
        if (install_import(s)) refresh_predictions(s, true);
        return;
    }
    float_acc_ = -1;
    float_pass_.active = false;
    model_url_.clear();
    if (!data_.ready()) return;
    const qlab::Split& sp = data_.split();
    if (qlab::hidden_is_cnn(s.hidden) && data_.image_side() == 0) {
        host_.report("the CNN '" + s.hidden + "' needs images; '" + data_.label() +
                         "' is not: give hidden widths such as 128",
                     MessageLevel::error);
        return;
    }
    auto m = qlab::make_model(spec(s), sp.train.features, sp.train.classes,
                              static_cast<std::uint64_t>(s.seed));
    if (!m) {
        host_.report(m.status().message(), MessageLevel::error);
        return;
    }
    model_ = std::move(m).value();
    have_model_ = true;
    origin_ = ModelOrigin::trained_here;
    ++generation_;
    refresh_predictions(s, true);
}

qlab::EvalOptions SharedModel::eval_options(const qlab::LabState& s) const {
    qlab::EvalOptions e;
    e.roles.weights = s.weights;
    e.roles.activations = s.activations;
    e.roles.accumulator = s.accumulator;
    // An imported model's QDQ formats are its per-layer formats, until the state names others.
    if (imported() && import_ && import_->quantized() && s.weights.empty() && s.activations.empty())
        e.layers = import_->layers;
    return e;
}

qlab::TrainOptions SharedModel::train_options(const qlab::LabState& s) const {
    qlab::TrainOptions o;
    o.optimizer = qlab::parse_optimizer(s.optimizer).value_or(o.optimizer);  // validated key
    o.learning_rate = static_cast<float>(s.lr);
    o.epochs = static_cast<int>(s.epochs);
    o.batch = static_cast<int>(s.batch);
    o.lr_decay = static_cast<float>(s.decay);  // the data set's default unless the link sets it
    o.dropout = static_cast<float>(s.dropout);
    o.seed = static_cast<std::uint64_t>(s.seed);
    o.roles.weights = s.weights;
    o.roles.activations = s.activations;
    o.roles.gradients = s.gradients;
    o.roles.updates = s.updates;
    o.roles.accumulator = s.accumulator;
    o.roles.update_rounding = qlab::parse_rounding(s.urounding).value_or(o.roles.update_rounding);
    return o;
}

bool SharedModel::start_job(const qlab::LabState& s) {
    const qlab::TrainOptions o = train_options(s);
    job_batch_ = o.batch;
    job_ = std::make_unique<qlab::TrainJob>(model_, data_.split().train, &data_.split().test, o);
    if (job_->state() == qlab::JobState::failed) {
        host_.report("training: " + job_->status().message(), MessageLevel::error);
        job_.reset();
        return false;
    }
    for (const std::string& w : job_->report().warnings) host_.report(w, MessageLevel::warning);
    return true;
}

void SharedModel::set_running(const qlab::LabState& s, bool run) {
    if (!run) {
        if (running_ && in_worker()) runner()->pause(remote_run_), remote_pausing_ = true;
        running_ = false;
        run_when_ready_ = run_after_pause_ = false;
        return;
    }
    if (remote_pausing_) {  // runs again once the worker has handed the paused run back
        run_after_pause_ = true;
        return;
    }
    if (!have_model_) {
        // Pressed while the data set loads: start as soon as it is here (and say so meanwhile).
        run_when_ready_ = data_.loading();
        return;
    }
    if (!ensure_job(s)) return;
    running_ = true;
    start_in_worker();
    throughput_.clear();
    throughput_.emplace_back(host_.now_ms() / 1000.0, samples_done());
}

// A job to run or step: a finished (or cancelled) run starts over from fresh weights; a loaded
// model is fine-tuned.
bool SharedModel::ensure_job(const qlab::LabState& s) {
    if (job_ && !job_->running()) reset(s);
    if (!have_model_) return false;
    return job_ || start_job(s);
}

// Step trains here, in the page (never handed to the worker: the batches are done on return).
int SharedModel::step(const qlab::LabState& s, int batches) {
    if (batches <= 0 || in_worker()) return 0;  // the worker has the run
    if (!have_model_) {
        set_running(s, true);  // pressed while the data loads: it runs when the data is here
        return 0;
    }
    if (!ensure_job(s) || !job_->running()) return 0;
    const long long before = job_->batches_done();
    job_->step_batches(batches);  // with the accuracy the last batch ends an epoch with
    return static_cast<int>(job_->batches_done() - before);
}

std::vector<ScheduledJob> SharedModel::jobs() {
    if (running_ && job_) return {{"training", job_.get(), in_worker()}};
    return {};
}

long long SharedModel::samples_done() const {
    if (!job_) return 0;
    const long long per = std::max(1LL, job_->batches_per_epoch());
    const auto n = static_cast<long long>(data_.split().train.size());
    const long long batch = std::max(1LL, job_batch_);
    const long long b = job_->batches_done();
    return (b / per) * n + std::min((b % per) * batch, n);
}

double SharedModel::samples_per_second() const {
    if (throughput_.size() < 2) return 0;
    const double dt = throughput_.back().first - throughput_.front().first;
    return dt > 0 ? static_cast<double>(throughput_.back().second - throughput_.front().second) / dt
                  : 0;
}

std::string SharedModel::status_text() const {
    if (!data_.ready() && run_when_ready_)
        return "waiting for " + data_.loading_name() + " to load, then it runs";
    if (import_ && !have_model_) return import_problem_;
    if (!job_)
        return imported() ? "model imported from " + import_name_ + " (Run fine-tunes it)"
               : origin_ == ModelOrigin::file ? "model loaded from a file (Run fine-tunes it)"
                                              : "ready: press Run or Step";
    const long long per = std::max(1LL, job_->batches_per_epoch());
    const long long in_epoch = job_->batches_done() - per * (job_->epoch() - 1);
    const char* state = !job_->running()  ? qlab::job_state_name(job_->state())
                        : running_        ? (in_worker() ? "running in a worker" : "running")
                        : remote_pausing_ ? "pausing"
                                          : "paused";
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s: epoch %d of %d, batch %lld of %lld, %.0f samples/s", state,
                  job_->epoch(), job_->epochs(), std::min(in_epoch, per), per,
                  samples_per_second());
    return buf;
}

// ---- 4. predictions on the test split -----------------------------------------------------------

void SharedModel::tick(const qlab::LabState& s, bool in_frame) {
    if (in_worker() && job_->state() == qlab::JobState::cancelled) {
        runner()->stop();  // Cancel (the shell's progress line) stopped the mirror: stop the run
        remote_run_ = 0, remote_pausing_ = false;
    }
    if (in_worker()) take_worker_messages(s);
    if (running_ && !in_worker()) start_in_worker();  // a worker up since the run started
    // Throughput over the last seconds of running, on the wall clock (jobs also run between
    // frames, so a short run may end between two ticks); kept after a pause so it stays readable.
    if (running_ && job_) {
        throughput_.emplace_back(host_.now_ms() / 1000.0, samples_done());
        while (throughput_.size() > 2 &&
               throughput_.back().first - throughput_.front().first > kThroughputWindowS)
            throughput_.pop_front();
    }
    if (job_ && running_ && !job_->running()) running_ = false;
    if (!have_model_ || !data_.ready()) return;
    if (float_pass_.active) {
        if (!advance_pass(float_pass_, in_frame)) return;
        finish_float_pass();
        if (in_frame) return;
    }
    if (pending_.active) return advance_predictions(in_frame);
    if (version() == predicted_version_) return;
    const double macs = qlab::total_macs(model_) * static_cast<double>(data_.split().test.size());
    const std::size_t epochs_done = job_ ? job_->report().history.size() : 0;
    const bool due = macs < kCheapPredictionMacs
                         ? host_.now_ms() - predicted_ms_ > kPredictionRefreshMs || !running_
                         : !running_ || epochs_done != predicted_history_;
    if (due) refresh_predictions(s, in_frame);
}

void SharedModel::refresh_predictions(const qlab::LabState& s, bool in_frame) {
    if (!have_model_ || !data_.ready()) return;
    start_pass(pending_, eval_options(s));
    pending_.history = job_ ? job_->report().history.size() : 0;
    advance_predictions(in_frame);
}

void SharedModel::start_pass(PendingPredictions& p, qlab::EvalOptions eval) const {
    p.active = true;
    p.model = model_;  // training may go on between slices
    p.eval = std::move(eval);
    p.next = p.right = 0;
    p.pred.assign(data_.split().test.size(), 0);
    p.version = version();
}

bool SharedModel::advance_pass(PendingPredictions& p, bool in_frame) const {
    const qlab::Dataset& test = data_.split().test;
    const double row_macs = std::max(1.0, qlab::total_macs(p.model));
    std::size_t rows = test.size() - p.next;
    if (in_frame && row_macs * static_cast<double>(rows) > kCheapPredictionMacs)
        rows = std::max<std::size_t>(16, static_cast<std::size_t>(kCheapPredictionMacs / row_macs));
    rows = std::min(rows, test.size() - p.next);
    qlab::Dataset slice;
    slice.features = test.features;
    slice.classes = test.classes;
    const auto f = static_cast<std::size_t>(test.features);
    slice.x.assign(test.x.begin() + static_cast<std::ptrdiff_t>(p.next * f),
                   test.x.begin() + static_cast<std::ptrdiff_t>((p.next + rows) * f));
    slice.y.assign(test.y.begin() + static_cast<std::ptrdiff_t>(p.next),
                   test.y.begin() + static_cast<std::ptrdiff_t>(p.next + rows));
    const qlab::Matrix scores = qlab::predict_scores(p.model, slice, p.eval);
    const int classes = static_cast<int>(scores.cols());
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        const int best = qlab::first_max(scores.data() + i * classes, classes);
        const std::size_t row = p.next + static_cast<std::size_t>(i);
        p.pred[row] = best;
        p.right += best == test.y[row];
    }
    p.next += rows;
    if (p.next < test.size()) return false;
    p.active = false;
    return true;
}

void SharedModel::advance_predictions(bool in_frame) {
    PendingPredictions& p = pending_;
    if (!advance_pass(p, in_frame)) return;
    const qlab::Dataset& test = data_.split().test;
    test_pred_ = std::move(p.pred);
    test_acc_ = test.size() ? static_cast<double>(p.right) / static_cast<double>(test.size()) : 0;
    predicted_version_ = p.version;
    predicted_history_ = p.history;
    predicted_ms_ = host_.now_ms();
}

// ---- 5. export ----------------------------------------------------------------------------------

qlab::Result<std::string> export_onnx_file(const qlab::LabState& s, const SharedModel& m,
                                           std::vector<std::string>* notes) {
    if (!m.has_model()) return qlab::Status::error("there is no model to export");
    qlab::ExportOptions o;
    o.formats = m.eval_options(s);
    o.formats.roles.accumulator.clear();  // not exported (ONNX has no accumulator format)
    if (const qlab::ImportedModel* im = m.imported() ? m.import() : nullptr) {
        o.input_shape = im->input_shape;
        o.output = im->output;
        if (s.weights.empty() && s.activations.empty()) {
            o.input_format = im->input_format;
            o.output_format = im->output_format;
        }
    }
    return qlab::export_onnx(m.model(), o, notes);
}

// ---- 5. the run in a Web Worker
// ------------------------------------------------------------------

AnalysisRunner* SharedModel::analysis_runner() const {
    return host_.analysis_runner();
}

TrainRunner* SharedModel::runner() const {
    return host_.train_runner();
}

// Hands the run to the worker as a checkpoint; the job here becomes its mirror.
bool SharedModel::start_in_worker() {
    TrainRunner* r = runner();
    if (!r || !r->ready() || worker_deaths_ > kMaxWorkerDeaths || !job_ || !job_->running())
        return false;
    while (job_->evaluating() && job_->step(1)) {  // a checkpoint falls between units
    }
    if (!job_->running() || !job_->exact()) return false;
    last_checkpoint_ = job_->save(qlab::TrainJob::Saved::checkpoint);
    r->send_data(data_tag_, data_.split());
    remote_run_ = ++runs_started_;
    r->start(remote_run_, qlab::model_to_json(model_, qlab::ModelWeights::omitted),
             last_checkpoint_);
    return true;
}

void SharedModel::take_worker_messages(const qlab::LabState& s) {
    for (RunnerMessage& m : runner()->take()) {
        if (m.run != remote_run_ || !in_worker()) continue;  // from a run dropped since
        if (m.kind == RunnerMessage::Kind::died || m.kind == RunnerMessage::Kind::failed)
            return worker_died(m.text);
        if (qlab::Status st = job_->restore(m.bytes); !st) return worker_died(st.message());
        if (m.kind != RunnerMessage::Kind::checkpoint) continue;
        last_checkpoint_ = std::move(m.bytes);
        if (!m.last) continue;
        remote_run_ = 0, remote_pausing_ = false;  // the job here is the run again
        if (std::exchange(run_after_pause_, false)) set_running(s, true);
    }
}

// The worker stopped or refused the run: the run goes on from its last checkpoint, in a restarted
// worker or, after several deaths, in the page's frames.
void SharedModel::worker_died(const std::string& why) {
    remote_run_ = 0;
    remote_pausing_ = false;
    ++worker_deaths_;
    (void)job_->restore(last_checkpoint_);  // a save of this very job: it fits
    const std::string where =
        worker_deaths_ > kMaxWorkerDeaths ? "here, in the page's frames" : "in a restarted worker";
    host_.report("training worker: " + why + "; the run goes on from batch " +
                     std::to_string(job_->batches_done()) + ", " + where,
                 MessageLevel::warning);
    if (running_) start_in_worker();
}

}  // namespace quantlab
