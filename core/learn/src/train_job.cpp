// Training as a resumable job (TrainJob: one unit = one mini-batch, or one chunk of an epoch's
// accuracy) with SGD, momentum or Adam, master weights in the update format, and train_model.
// The layers, forward pass and evaluation it uses are in mlp.cpp (via mlp_internal.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "mlp_internal.hpp"
#include "qlab/mlp.hpp"
#include "train_job_state.hpp"

namespace qlab {

using namespace detail;

const std::vector<Optimizer>& all_optimizers() {
    static const std::vector<Optimizer> list = {Optimizer::sgd, Optimizer::momentum,
                                                Optimizer::adam};
    return list;
}

Result<Optimizer> parse_optimizer(std::string_view name) {
    for (Optimizer o : all_optimizers())
        if (name == optimizer_name(o)) return o;
    return Status::error("unknown optimizer '" + std::string(name) +
                         "' (expected sgd, momentum or adam)");
}

TrainJob::TrainJob(Model& model, const Dataset& train, const Dataset* test, const TrainOptions& o)
    : s_(std::make_unique<State>(model, train, test, o)) {
    Status bad = Status::success();
    if (model.layers.empty())
        bad = Status::error("the model has no layers");
    else if (train.features != model.inputs())
        bad = Status::error("the data has " + std::to_string(train.features) +
                            " features, the model takes " + std::to_string(model.inputs()));
    else if (train.classes > model.outputs())
        bad = Status::error("the data has " + std::to_string(train.classes) +
                            " classes, the model outputs " + std::to_string(model.outputs()));
    else if (!(o.learning_rate > 0) || !(o.lr_decay > 0 && o.lr_decay <= 1) || o.batch < 1 ||
             o.epochs < 0 || !(o.dropout >= 0 && o.dropout < 1))
        bad = Status::error(
            "training options: need lr > 0, lr decay in (0, 1], batch >= 1, epochs >= 0 and "
            "dropout in [0, 1)");
    if (!bad) {
        fail_now(std::move(bad));
        return;
    }
    auto quantizers = Quantizers::make(o.roles);
    if (!quantizers) {
        fail_now(quantizers.status());
        return;
    }
    auto per_layer = make_layer_quantizers(o.layers);
    if (!per_layer) {
        fail_now(per_layer.status());
        return;
    }
    State& s = *s_;
    s.q = *quantizers;
    s.per_layer = std::move(per_layer).value();
    const Quantizers& q = s.q;
    s.adam.resize(model.layers.size());
    s.velocity_w.resize(model.layers.size());
    s.velocity_b.resize(model.layers.size());
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const auto& L = model.layers[l];
        s.adam[l] = {Matrix::Zero(L.out, L.in), Matrix::Zero(L.out, L.in), Vector::Zero(L.out),
                     Vector::Zero(L.out)};
        s.velocity_w[l] = Matrix::Zero(L.out, L.in);
        s.velocity_b[l] = Vector::Zero(L.out);
    }
    if (q.updates.format)  // master weights live in the update format from the start
        for (auto& L : model.layers)
            q.updates.apply(L.weight, s.rng), q.updates.apply(L.bias, s.rng);
    // A weight format whose step dwarfs the initial weights rounds them all to zero; then no
    // activation and no straight-through gradient can flow, and training silently does nothing.
    if (q.weights.format) {
        for (std::size_t l = 0; l < model.layers.size(); ++l) {
            Matrix w = model.layers[l].weight;
            q.weights.apply(w, s.rng);
            const double zeros =
                static_cast<double>((w.array() == 0).count()) / static_cast<double>(w.size());
            if (zeros >= 0.99)
                s.report.warnings.push_back(
                    "--weights " + o.roles.weights + " rounds " +
                    std::to_string(static_cast<int>(std::round(100 * zeros))) + "% of layer " +
                    std::to_string(l + 1) +
                    "'s initial weights to zero, so no gradient can flow "
                    "through it: use a format with a smaller step near zero");
        }
    }
    s.order.resize(train.size());
    std::iota(s.order.begin(), s.order.end(), 0);
    s.eval.roles = o.roles;
    s.eval.layers = o.layers;
    if (o.epochs == 0) {
        s.finish();
        finish_now();
    }
}

TrainJob::~TrainJob() = default;

Status TrainJob::do_unit() {
    State& s = *s_;
    if (s.mirror) return Status::error("this run goes on elsewhere; its copy here cannot step");
    if (!s.epoch_started) {
        for (std::size_t i = s.order.size(); i > 1; --i)
            std::swap(s.order[i - 1], s.order[static_cast<std::size_t>(s.rng.next_u64() % i)]);
        s.epoch_started = true;
        s.loss_sum = 0;
        s.begin = 0;
    }
    if (s.evaluated) {
        s.evaluate_chunk();
        return Status::success();
    }
    if (s.begin < s.order.size())
        if (Status st = s.batch(); !st) return st;
    if (s.begin >= s.order.size()) s.end_epoch();
    return Status::success();
}

Status TrainJob::State::batch() {
    const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(o.batch));
    gather(train, order, begin, end, x, y);
    ForwardCache cache;
    const Matrix scores =
        forward(model, x, q, o.dropout, rng, &cache, per_layer.empty() ? nullptr : &per_layer);
    Matrix grad = softmax(scores);
    const float inv_batch = 1.0f / static_cast<float>(end - begin);
    double batch_loss = 0;
    for (Eigen::Index i = 0; i < grad.rows(); ++i) {
        batch_loss -= std::log(std::max(grad(i, y[static_cast<std::size_t>(i)]), 1e-30f));
        grad(i, y[static_cast<std::size_t>(i)]) -= 1;
    }
    if (!std::isfinite(batch_loss))
        return Status::error("training diverged in epoch " + std::to_string(epoch) +
                             " at example " + std::to_string(begin) + ": the loss is " +
                             shortest_repr(batch_loss) +
                             " (lower the learning rate, or widen the formats)");
    loss_sum += batch_loss;
    grad *= inv_batch;
    ++step;
    for (std::size_t l = model.layers.size(); l-- > 0;) {
        DenseLayer& L = model.layers[l];
        Matrix dz = grad.cwiseProduct(activation_derivative(L, cache.z[l], cache.out[l]));
        if (cache.accumulator_pass[l].size()) dz = dz.cwiseProduct(cache.accumulator_pass[l]);
        LayerGradients lg = layer_backward(L, dz, cache.inputs[l], cache.used_weight[l],
                                           cache.patches[l], cache.argmax[l], l > 0);
        if (l > 0) grad = lg.din.cwiseProduct(cache.pass[l - 1]);
        if (!L.has_weights()) continue;  // a pool: nothing to learn
        learn(l, std::move(lg.dw), std::move(lg.db));
    }
    batches.push_back({step, batch_loss / static_cast<double>(end - begin), report.lost_updates});
    begin = end;
    return Status::success();
}

// Layer l learns from its gradients: no gradient where a weight is beyond its format (the
// clipped STE), the gradients' format, the optimizer's step, the updates' format.
void TrainJob::State::learn(std::size_t l, Matrix dw, Vector db) {
    DenseLayer& L = model.layers[l];
    const RoleQuantizer& wq =
        l < per_layer.size() && per_layer[l].weights.format ? per_layer[l].weights : q.weights;
    if (wq.format)  // clipped STE: no gradient where the weight is beyond the format
        dw = dw.cwiseProduct(
            ((L.weight.array() >= wq.lo) && (L.weight.array() <= wq.hi)).cast<float>().matrix());
    q.gradients.apply(dw, rng);
    q.gradients.apply(db, rng);
    Matrix delta_w;
    Vector delta_b;
    optimizer_step(l, dw, db, delta_w, delta_b);
    apply_step(L, delta_w, delta_b);
    if (o.clip_weights) L.weight = L.weight.cwiseMax(-1.0f).cwiseMin(1.0f);
}

// SGD, momentum or Adam on layer l, the learning rate decayed per epoch.
void TrainJob::State::optimizer_step(std::size_t l, const Matrix& dw, const Vector& db,
                                     Matrix& delta_w, Vector& delta_b) {
    const float lr = o.learning_rate * std::pow(o.lr_decay, static_cast<float>(epoch - 1));
    switch (o.optimizer) {
        case Optimizer::sgd:
            delta_w = -lr * dw, delta_b = -lr * db;
            break;
        case Optimizer::momentum:
            velocity_w[l] = 0.9f * velocity_w[l] - lr * dw;
            velocity_b[l] = 0.9f * velocity_b[l] - lr * db;
            delta_w = velocity_w[l], delta_b = velocity_b[l];
            break;
        case Optimizer::adam: {
            AdamState& a = adam[l];
            const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
            a.m_w = b1 * a.m_w + (1 - b1) * dw;
            a.v_w = b2 * a.v_w + (1 - b2) * dw.cwiseProduct(dw);
            a.m_b = b1 * a.m_b + (1 - b1) * db;
            a.v_b = b2 * a.v_b + (1 - b2) * db.cwiseProduct(db);
            const float c1 = 1 - std::pow(b1, static_cast<float>(step)),
                        c2 = 1 - std::pow(b2, static_cast<float>(step));
            delta_w = (-lr / c1) * a.m_w.array() / ((a.v_w.array() / c2).sqrt() + eps);
            delta_b = (-lr / c1) * a.m_b.array() / ((a.v_b.array() / c2).sqrt() + eps);
            break;
        }
    }
}

// The step applied to the layer, counting the updates (and those the updates' format loses).
void TrainJob::State::apply_step(DenseLayer& L, const Matrix& delta_w, const Vector& delta_b) {
    if (q.updates.format) {
        // w <- q(w + delta): an update below half an ulp vanishes under nearest rounding.
        Matrix next = L.weight + delta_w;
        q.updates.apply(next, rng);
        for (Eigen::Index i = 0; i < next.size(); ++i) {
            const bool moved = delta_w.data()[i] != 0;
            report.updates += moved;
            report.lost_updates += moved && next.data()[i] == L.weight.data()[i];
        }
        L.weight = std::move(next);
        Vector next_b = L.bias + delta_b;
        q.updates.apply(next_b, rng);
        L.bias = std::move(next_b);
    } else {
        L.weight += delta_w;
        L.bias += delta_b;
        report.updates += (delta_w.array() != 0).count();
    }
}

void TrainJob::State::end_epoch() {
    TrainEpoch e;
    e.epoch = epoch;
    e.loss = loss_sum / static_cast<double>(train.size());
    if (!o.evaluate_each_epoch) {
        close_epoch(e);
        return;
    }
    // The accuracies follow in the next units (train rows, then test rows), a chunk each.
    evaluated = e;
    train_count = std::make_unique<AccuracyCount>(model, train, eval);
    test_count = test ? std::make_unique<AccuracyCount>(model, *test, eval) : nullptr;
}

void TrainJob::State::evaluate_chunk() {
    if (!train_count->done())
        train_count->step();
    else if (test_count && !test_count->done())
        test_count->step();
    if (!train_count->done() || (test_count && !test_count->done())) return;
    TrainEpoch e = *evaluated;
    e.train_accuracy = train_count->accuracy();
    e.test_accuracy = test_count ? test_count->accuracy() : 0;
    evaluated.reset();
    train_count.reset();
    test_count.reset();
    close_epoch(e);
}

void TrainJob::State::close_epoch(const TrainEpoch& e) {
    report.history.push_back(e);
    epoch_started = false;
    if (epoch >= o.epochs) {
        // The final accuracy is the last epoch's (the same deterministic evaluation of the same
        // weights).
        if (o.evaluate_each_epoch)
            report.train_accuracy = e.train_accuracy, report.test_accuracy = e.test_accuracy;
        all_done = true;
    } else {
        ++epoch;
    }
}

bool TrainJob::is_done() const {
    return s_->all_done;
}

JobProgress TrainJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    const long long per_epoch = s.batches_per_epoch();
    p.total = per_epoch * std::max(0, s.o.epochs);
    if (s.all_done) {
        p.done = p.total;
    } else {
        const auto b = static_cast<std::size_t>(std::max(s.o.batch, 1));
        const long long in_epoch =
            s.epoch_started ? static_cast<long long>((s.begin + b - 1) / b) : 0;
        p.done = per_epoch * (s.epoch - 1) + in_epoch;
    }
    p.stage = s.all_done ? "finished " + std::to_string(s.o.epochs) + " epochs"
                         : "epoch " + std::to_string(s.epoch) + " of " +
                               std::to_string(s.o.epochs) + (s.evaluated ? ": accuracy" : "");
    return p;
}

const TrainReport& TrainJob::report() const {
    return s_->report;
}
bool TrainJob::evaluating() const {
    return s_->evaluated.has_value();
}

bool TrainJob::step_batches(long long batches) {
    const long long target = s_->step + batches;
    while (running() && (s_->step < target || evaluating())) step(1);
    return running();
}
int TrainJob::epoch() const {
    return s_->epoch;
}
int TrainJob::epochs() const {
    return s_->o.epochs;
}
long long TrainJob::batches_done() const {
    return s_->step;
}
long long TrainJob::batches_per_epoch() const {
    return s_->batches_per_epoch();
}
const std::vector<TrainBatchRecord>& TrainJob::batches() const {
    return s_->batches;
}
Rounding TrainJob::update_rounding() const {
    return s_->q.updates.rounding;
}
void TrainJob::set_update_rounding(Rounding rounding) {
    s_->q.updates.rounding = rounding;
}

double TrainJob::epoch_loss() const {
    const State& s = *s_;
    if (s.epoch_started && s.begin > 0) return s.loss_sum / static_cast<double>(s.begin);
    return s.report.history.empty()
               ? 0
               : s.report.history.back().loss;  // between epochs: the last one's
}

void TrainJob::set_epochs(int epochs) {
    State& s = *s_;
    if (!running()) return;
    // Never below the epoch in progress; at an epoch boundary, the epochs finished so far.
    const int floor = s.epoch_started ? s.epoch : s.epoch - 1;
    s.o.epochs = std::max(epochs, std::max(floor, 0));
    if (!s.epoch_started && s.o.epochs < s.epoch) {
        // Nothing left to do: the last finished epoch is the final one.
        if (s.o.evaluate_each_epoch && !s.report.history.empty())
            s.report.train_accuracy = s.report.history.back().train_accuracy,
            s.report.test_accuracy = s.report.history.back().test_accuracy;
        else
            s.finish();
        s.all_done = true;
        finish_now();
    }
}

Result<TrainReport> train_model(Model& model, const Dataset& train, const Dataset* test,
                                const TrainOptions& options) {
    TrainJob job(model, train, test, options);
    if (Status s = run_job(job); !s) return s;
    return job.report();
}

}  // namespace qlab
