// The Train lesson's data, model, training job, predictions and calibration (see
// train_session.hpp).
#include "train_session.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>

#include <emscripten.h>

#include "app.hpp"

namespace quantlab {
namespace {

constexpr double kTestFraction = 0.2;  // as the CLI's default split
constexpr int kPlaygroundPoints = 500;
constexpr double kPlaygroundNoise = 0.1;
// The Playground's points lie in [-6, 6]^2; dividing by 6 puts them (and the decision-boundary
// grid) in [-1, 1]^2, the range the [-1, 1]-normalised real data sets have too (Sakr §4.1).
constexpr float kPlaygroundScale = 1.0f / 6.0f;
// Predictions are refreshed a few times a second when they cost less than this many multiply-adds;
// costlier ones (MNIST) wait for an epoch's end or a pause, so a frame never stalls on them.
constexpr double kCheapPredictionMacs = 4e6;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
bool ends_with(const std::string& s, const char* tail) {
    const std::string t(tail);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

double model_parameters(int inputs, const std::vector<int>& widths, int classes) {
    double params = 0;
    int prev = inputs;
    for (int w : widths) params += (prev + 1.0) * w, prev = w;
    return params + (prev + 1.0) * classes;
}

double model_macs(const qlab::Model& m) {
    double macs = 0;
    for (const auto& l : m.layers) macs += static_cast<double>(l.in) * l.out;
    return macs;
}

}  // namespace

TrainSession& training_session() {
    static TrainSession session;
    return session;
}

bool lesson_uses_model(const std::string& panel) {
    // The lessons that own the model's keys in the property table (core/state) are the ones on it.
    static const qlab::Property* model_key = qlab::find_property("hidden");
    return model_key && qlab::property_in_panel(*model_key, panel) && model_key->panel != nullptr;
}

// ---- data ---------------------------------------------------------------------------------------

void TrainSession::sync_data(App& app) {
    const qlab::LabState& s = app.state();
    const std::string want = uploaded_ ? "uploaded:" + uploaded_name_ : s.data;
    const std::string key = want + "#" + qlab::shortest_repr(s.seed);
    if (built_for_ == key && (have_data_ || loading_ == s.data)) return;
    const auto seed = static_cast<std::uint64_t>(s.seed);
    if (uploaded_) {
        loading_.clear();
        use_dataset(app, uploaded_data_, want, 0, true, 1);
        built_for_ = key;
        return;
    }
    if (s.data == "digits" || s.data == "mnist") {
        auto it = cache_.find(s.data);
        if (it == cache_.end()) {
            // Real data sets come over the network once, with the shell's progress bar.
            drop_job();
            have_data_ = false, have_model_ = false;
            data_name_ = s.data;
            built_for_ = key;
            if (loading_ != s.data) {
                loading_ = s.data;
                if (s.data == "digits") {
                    app.request_dataset("digits.csv");
                } else {
                    app.request_dataset("mnist-images.idx");
                    app.request_dataset("mnist-labels.idx");
                }
            }
            return;
        }
        loading_.clear();
        use_dataset(app, it->second, s.data, s.data == "digits" ? 8 : 28, true, 1);
        built_for_ = key;
        return;
    }
    loading_.clear();
    qlab::Dataset d;
    if (s.data == "linear") {
        qlab::LinearOptions o;
        o.seed = seed;
        d = qlab::make_linear(o);  // already inside the unit disc
        use_dataset(app, std::move(d), s.data, 0, false, 1);
    } else {
        qlab::PlaygroundOptions o;
        o.shape = s.data == "xor"      ? qlab::PlaygroundShape::xor_quadrants
                  : s.data == "gauss"  ? qlab::PlaygroundShape::gauss
                  : s.data == "spiral" ? qlab::PlaygroundShape::spiral
                                       : qlab::PlaygroundShape::circle;
        o.count = kPlaygroundPoints;
        o.noise = kPlaygroundNoise;
        o.seed = seed;
        use_dataset(app, qlab::make_playground(o), s.data, 0, false, kPlaygroundScale);
    }
    built_for_ = key;
}

void TrainSession::use_dataset(App& app, qlab::Dataset data, const std::string& name,
                               int image_side, bool normalize_unit, float scale) {
    drop_job();
    const auto seed = static_cast<std::uint64_t>(app.state().seed);
    split_ = qlab::split_dataset(data, kTestFraction, seed);
    raw_test_ = split_.test;
    if (normalize_unit) {
        // [-1, 1] per feature with the training split's range, as the CLI does for real data.
        const qlab::Dataset reference = split_.train;
        qlab::normalize(split_.train, reference, qlab::Normalization::scale_to_unit_range);
        qlab::normalize(split_.test, reference, qlab::Normalization::scale_to_unit_range);
    } else if (scale != 1) {
        for (float& v : split_.train.x) v *= scale;
        for (float& v : split_.test.x) v *= scale;
    }
    pixel_max_ = 1;
    for (float v : raw_test_.x) pixel_max_ = std::max(pixel_max_, v);
    image_side_ = image_side;
    have_data_ = true;
    data_name_ = name;
    reset(app);
}

void TrainSession::on_dataset(App& app, const std::string& name, const std::string& bytes) {
    if (name == "digits.csv") {
        auto d = qlab::parse_csv(bytes, "digits");  // 64 pixel columns, then the label
        if (!d) {
            app.report("digits.csv: " + d.status().message(), MessageLevel::error);
            return;
        }
        cache_["digits"] = std::move(d).value();
    } else if (name == "mnist-images.idx" || name == "mnist-labels.idx") {
        pending_bytes_[name] = bytes;
        if (pending_bytes_.count("mnist-images.idx") == 0 ||
            pending_bytes_.count("mnist-labels.idx") == 0)
            return;
        const std::string& im = pending_bytes_["mnist-images.idx"];
        const std::string& lb = pending_bytes_["mnist-labels.idx"];
        auto d = qlab::parse_idx(std::vector<std::uint8_t>(im.begin(), im.end()),
                                 std::vector<std::uint8_t>(lb.begin(), lb.end()), "mnist");
        pending_bytes_.clear();
        if (!d) {
            app.report("mnist: " + d.status().message(), MessageLevel::error);
            return;
        }
        cache_["mnist"] = std::move(d).value();
    } else {
        return;
    }
    loading_.clear();
    built_for_.clear();
    sync_data(app);
}

bool TrainSession::on_upload(App& app, const std::string& name, const std::string& bytes) {
    const std::string lname = lower(name);
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    const bool is_json =
        ends_with(lname, ".json") || (first != std::string::npos && bytes[first] == '{');
    if (is_json) {
        auto m = qlab::model_from_json(bytes);
        if (!m) {
            app.report(name + ": " + m.status().message(), MessageLevel::error);
            return true;
        }
        if (!have_data_) {
            app.report(name + ": load a data set before a model", MessageLevel::error);
            return true;
        }
        const int features = split_.train.features, classes = split_.train.classes;
        if (m->inputs() != features || m->outputs() != classes) {
            app.report(name + ": the model takes " + std::to_string(m->inputs()) +
                           " inputs and gives " + std::to_string(m->outputs()) + " classes, but '" +
                           data_name_ + "' has " + std::to_string(features) + " features and " +
                           std::to_string(classes) + " classes; the lab keeps its model",
                       MessageLevel::error);
            return true;
        }
        drop_job();
        pending_.active = false;
        model_ = std::move(m).value();
        have_model_ = true;
        model_from_file_ = true;
        ++generation_;
        have_ptq_ = false;
        predicted_at_ = -2;
        refresh_predictions(app);
        char text[160];
        std::snprintf(text, sizeof text, "loaded the model from %s: test accuracy %.4f",
                      name.c_str(), test_acc_);
        app.report(text, MessageLevel::info);
        return true;
    }
    const bool is_libsvm = ends_with(lname, ".libsvm") || ends_with(lname, ".svm");
    const bool is_csv = ends_with(lname, ".csv") || ends_with(lname, ".txt");
    if (!is_libsvm && !is_csv) return false;
    auto d = is_libsvm ? qlab::parse_libsvm(bytes, name) : qlab::parse_csv(bytes, name);
    if (!d) {
        // The parser's message names the line; the lab keeps the data set it had.
        app.report(d.status().message() + " (the lab keeps '" + data_name_ + "')",
                   MessageLevel::error);
        return true;
    }
    if (d->size() < 10 || d->classes < 2) {
        app.report(name + ": needs at least 10 rows and 2 classes to train and test (has " +
                       std::to_string(d->size()) + " rows, " + std::to_string(d->classes) +
                       " classes)",
                   MessageLevel::error);
        return true;
    }
    auto widths = qlab::parse_hidden_widths(app.state().hidden);
    const double params =
        model_parameters(d->features, widths ? *widths : std::vector<int>{}, d->classes);
    if (params > qlab::kMaxModelParameters) {
        app.report(name + ": " + std::to_string(d->features) + " features with hidden layers '" +
                       app.state().hidden +
                       "' make a model beyond the lab's limit of 2e6 parameters",
                   MessageLevel::error);
        return true;
    }
    uploaded_data_ = std::move(d).value();
    uploaded_ = true;
    uploaded_name_ = name;
    built_for_.clear();
    sync_data(app);
    app.report("training on " + name + ": " + std::to_string(uploaded_data_.size()) + " rows, " +
                   std::to_string(uploaded_data_.features) + " features, " +
                   std::to_string(uploaded_data_.classes) + " classes",
               MessageLevel::info);
    return true;
}

// ---- model and training -------------------------------------------------------------------------

std::string TrainSession::model_spec(const qlab::LabState& s) const {
    if (s.hidden.empty()) return "logreg";
    return "mlp:" + std::to_string(split_.train.features) + "-" + s.hidden + "-" +
           std::to_string(split_.train.classes) + ":act=" + s.act;
}

void TrainSession::drop_job() {
    job_.reset();
    running_ = false;
    throughput_.clear();
}

void TrainSession::reset(App& app) {
    drop_job();
    pending_.active = false;
    have_ptq_ = false;
    model_from_file_ = false;
    test_pred_.clear(), confusion_.clear(), boundary_.clear();
    test_acc_ = -1;
    predicted_at_ = -2;
    have_model_ = false;
    if (!have_data_) return;
    auto m = qlab::make_model(model_spec(app.state()), split_.train.features, split_.train.classes,
                              static_cast<std::uint64_t>(app.state().seed));
    if (!m) {
        app.report(m.status().message(), MessageLevel::error);
        return;
    }
    model_ = std::move(m).value();
    have_model_ = true;
    ++generation_;
    refresh_predictions(app);
}

qlab::EvalOptions TrainSession::eval_options(const qlab::LabState& s) const {
    qlab::EvalOptions e;
    e.roles.weights = s.weights;
    e.roles.activations = s.activations;
    e.roles.accumulator = s.accumulator;
    return e;
}

void TrainSession::set_running(App& app, bool run) {
    if (!run) {
        running_ = false;
        return;
    }
    if (!have_model_) return;
    // A finished (or cancelled) run starts over from fresh weights; a loaded model is fine-tuned.
    if (job_ && !job_->running()) reset(app);
    if (!have_model_) return;
    if (!job_) {
        const qlab::LabState& s = app.state();
        qlab::TrainOptions o;
        o.optimizer = s.optimizer == "sgd"        ? qlab::Optimizer::sgd
                      : s.optimizer == "momentum" ? qlab::Optimizer::momentum
                                                  : qlab::Optimizer::adam;
        o.learning_rate = static_cast<float>(s.lr);
        o.epochs = static_cast<int>(s.epochs);
        o.batch = static_cast<int>(s.batch);
        o.dropout = static_cast<float>(s.dropout);
        job_batch_ = o.batch;
        o.seed = static_cast<std::uint64_t>(s.seed);
        o.roles.weights = s.weights;
        o.roles.activations = s.activations;
        o.roles.gradients = s.gradients;
        o.roles.updates = s.updates;
        o.roles.accumulator = s.accumulator;
        auto r = qlab::parse_rounding(s.urounding);
        if (r) o.roles.update_rounding = *r;
        job_ = std::make_unique<qlab::TrainJob>(model_, split_.train, &split_.test, o);
        if (job_->state() == qlab::JobState::failed) {
            app.report("training: " + job_->status().message(), MessageLevel::error);
            job_.reset();
            return;
        }
        for (const std::string& w : job_->report().warnings) app.report(w, MessageLevel::warning);
    }
    running_ = true;
    throughput_.clear();
    throughput_.emplace_back(emscripten_get_now() / 1000.0, samples_done());
}

int TrainSession::step(App& app, int batches) {
    if (batches <= 0) return 0;
    const bool was_running = running_;
    if (!job_ || !job_->running()) {
        set_running(app, true);
        running_ = was_running && job_;
    }
    if (!job_ || !job_->running()) return 0;
    const long long before = job_->batches_done();
    job_->step_batches(batches);  // with the accuracy the last batch ends an epoch with
    return static_cast<int>(job_->batches_done() - before);
}

void TrainSession::restart(App& app) {
    const bool was = running_;
    reset(app);
    if (was) set_running(app, true);
}

void TrainSession::set_update_rounding(const std::string& urounding) {
    auto r = qlab::parse_rounding(urounding);
    if (r && job_) job_->set_update_rounding(*r);
}

void TrainSession::set_epochs(int epochs) {
    if (job_ && job_->running()) job_->set_epochs(epochs);
}

long long TrainSession::samples_done() const {
    if (!job_) return 0;
    const long long per = std::max(1LL, job_->batches_per_epoch());
    const long long n = static_cast<long long>(split_.train.size());
    const long long batch = std::max(1LL, job_batch_);
    const long long b = job_->batches_done();
    return (b / per) * n + std::min((b % per) * batch, n);
}

double TrainSession::samples_per_second() const {
    if (throughput_.size() < 2) return 0;
    const double dt = throughput_.back().first - throughput_.front().first;
    return dt > 0 ? static_cast<double>(throughput_.back().second - throughput_.front().second) / dt
                  : 0;
}

void TrainSession::tick(App& app) {
    // Throughput over the last 3 s of running, on the wall clock (jobs also run between frames, so
    // a short run may end between two frames); kept after a pause so the figure stays readable.
    if (running_ && job_) {
        throughput_.emplace_back(emscripten_get_now() / 1000.0, samples_done());
        while (throughput_.size() > 2 && throughput_.back().first - throughput_.front().first > 3.0)
            throughput_.pop_front();
    }
    if (job_ && running_ && !job_->running()) running_ = false;
    if (!have_model_ || !have_data_) return;
    if (pending_.active) return advance_predictions(app);
    const long long done = batches_done();
    if (done == predicted_at_) return;
    const double macs = model_macs(model_) * static_cast<double>(split_.test.size());
    const std::size_t epochs_done = job_ ? job_->report().history.size() : 0;
    bool due;
    if (macs < kCheapPredictionMacs)
        due = app.now - predicted_time_ > 0.25 || !running_;
    else
        due = !running_ || epochs_done != predicted_history_;
    if (due) refresh_predictions(app);
}

void TrainSession::refresh_predictions(App& app) {
    if (!have_model_ || !have_data_) return;
    pending_.active = true;
    pending_.model = model_;  // training may go on between slices
    pending_.eval = eval_options(app.state());
    pending_.next = pending_.right = 0;
    pending_.pred.assign(split_.test.size(), 0);
    const int k = split_.train.classes;
    pending_.confusion.assign(static_cast<std::size_t>(k) * static_cast<std::size_t>(k), 0);
    pending_.at_batch = batches_done();
    pending_.history = job_ ? job_->report().history.size() : 0;
    advance_predictions(app);
}

void TrainSession::advance_predictions(App& app) {
    PendingPredictions& p = pending_;
    const qlab::Dataset& test = split_.test;
    const int k = split_.train.classes;
    const double row_macs = std::max(1.0, model_macs(p.model));
    std::size_t rows = test.size() - p.next;
    if (app.in_frame && row_macs * static_cast<double>(rows) > kCheapPredictionMacs)
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
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        Eigen::Index best = 0;
        scores.row(i).maxCoeff(&best);  // the same arg-max as qlab::accuracy
        const std::size_t row = p.next + static_cast<std::size_t>(i);
        const int truth = test.y[row];
        p.pred[row] = static_cast<int>(best);
        if (truth >= 0 && truth < k && best < k)
            ++p.confusion[static_cast<std::size_t>(truth * k + best)];
        p.right += best == truth;
    }
    p.next += rows;
    if (p.next < test.size()) return;
    // Complete: show it.
    p.active = false;
    test_pred_ = std::move(p.pred);
    confusion_ = std::move(p.confusion);
    test_acc_ = test.size() ? static_cast<double>(p.right) / static_cast<double>(test.size()) : 0;
    predicted_at_ = p.at_batch;
    predicted_history_ = p.history;
    predicted_time_ = app.now;
    boundary_.clear();
    if (split_.train.features == 2 && k == 2) {
        // The decision value p(blue) - p(orange) = tanh((s1 - s0) / 2) over [-1, 1]^2, as the
        // Playground shades its output neuron.
        qlab::Dataset grid;
        grid.features = 2;
        grid.classes = 2;
        grid.x.reserve(2 * kGrid * kGrid);
        for (int r = 0; r < kGrid; ++r)
            for (int c = 0; c < kGrid; ++c) {
                grid.x.push_back(-1 + 2 * (static_cast<float>(c) + 0.5f) / kGrid);
                grid.x.push_back(-1 + 2 * (static_cast<float>(r) + 0.5f) / kGrid);
                grid.y.push_back(0);
            }
        const qlab::Matrix g = qlab::predict_scores(p.model, grid, p.eval);  // the same weights
        boundary_.resize(static_cast<std::size_t>(kGrid * kGrid));
        for (Eigen::Index i = 0; i < g.rows(); ++i)
            boundary_[static_cast<std::size_t>(i)] = std::tanh((g(i, 1) - g(i, 0)) / 2);
    }
}

// ---- calibration --------------------------------------------------------------------------------

void TrainSession::calibrate(App& app) {
    if (!have_model_ || !have_data_) {
        app.report("calibration needs a model and data: wait for the data set to load",
                   MessageLevel::warning);
        return;
    }
    const qlab::LabState& s = app.state();
    qlab::CalibrationOptions o;
    auto method = qlab::parse_calibration(s.calib);
    if (!method) {
        app.report(method.status().message(), MessageLevel::error);
        return;
    }
    o.method = *method;
    o.bits = static_cast<int>(s.cbits);
    o.symmetric = s.asym == 0;
    o.per_channel = s.per_channel != 0;
    // Calibration sees the training split (the core uses at most its first 2048 rows).
    auto eval = qlab::calibrate_model(model_, split_.train, o);
    if (!eval) {
        app.report("calibration: " + eval.status().message(), MessageLevel::error);
        return;
    }
    ptq_.method = s.calib;
    ptq_.bits = o.bits;
    ptq_.per_channel = o.per_channel;
    ptq_.asym = !o.symmetric;
    ptq_.accuracy = qlab::accuracy(model_, split_.test, *eval);
    ptq_.at_batch = batches_done();
    have_ptq_ = true;
}

}  // namespace quantlab
