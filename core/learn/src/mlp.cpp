// MLP training with quantization roles: forward with fake-quantized weights and activations,
// backward with a clipped straight-through estimator, quantized gradients, and master weights
// stored in the update format (Gupta et al.), with SGD, momentum or Adam.
// Sections: 1. quantizers per role  2. layers forward and backward (dense, conv via im2col,
// max-pool)  3. the network's forward pass  4. TrainJob (one unit = one mini-batch, or one chunk
// of an epoch's accuracy) and train_model  5. evaluation (predict_scores, AccuracyCount,
// accuracy). Model specs live in model_spec.cpp.
#include "qlab/mlp.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <numeric>
#include <optional>

#include "qlab/random.hpp"

namespace qlab {
namespace {

// One tensor role's format (absent: full precision), applied through the fast array path.
struct RoleQuantizer {
    std::optional<Format> format;
    Rounding rounding = Rounding::nearest_even;
    float lo = -INFINITY, hi = INFINITY;  // the clipped STE passes gradients only inside

    static Result<RoleQuantizer> make(const std::string& spec, const char* role, Rounding rounding) {
        RoleQuantizer q;
        q.rounding = rounding;
        if (spec.empty()) return q;
        auto f = Format::parse(spec);
        if (!f) return Status::error(std::string(role) + ": " + f.status().message());
        q.format = *f;
        if (!f->data_dependent()) {
            q.lo = static_cast<float>(f->min_finite());
            q.hi = static_cast<float>(f->max_finite());
        }
        return q;
    }
    // In place, on any dense Eigen matrix or vector of floats. The blocks or groups of a block
    // format (MX, NVFP4, int:b=B,group=G, bfp, ternary:block=N) run along a row: a weight row is
    // one neuron's fan-in (conv: one output channel's C*k*k), and the row-major layout already
    // makes consecutive values a row; quantize_rows only stops a block at a row's end when the
    // row length is not a multiple of the block (tests/core/format_block_test.cpp).
    template <class Tensor>
    void apply(Tensor& t, Rng& rng) const {
        if (!format) return;
        QuantizeOptions o;
        o.rounding = rounding;
        o.seed = rng.next_u64();
        if constexpr (Tensor::IsRowMajor && Tensor::ColsAtCompileTime == Eigen::Dynamic)
            format->quantize_rows(t.data(), t.data(), static_cast<std::size_t>(t.rows()),
                                  static_cast<std::size_t>(t.cols()), o);
        else
            format->quantize(t.data(), t.data(), static_cast<std::size_t>(t.size()), o);
    }
};

struct Quantizers {
    RoleQuantizer weights, activations, gradients, updates, accumulator;
    static Result<Quantizers> make(const QuantRoles& r) {
        Quantizers q;
        auto w = RoleQuantizer::make(r.weights, "--weights", Rounding::nearest_even);
        if (!w) return w.status();
        auto a = RoleQuantizer::make(r.activations, "--activations", Rounding::nearest_even);
        if (!a) return a.status();
        auto g = RoleQuantizer::make(r.gradients, "--gradients", Rounding::nearest_even);
        if (!g) return g.status();
        auto u = RoleQuantizer::make(r.updates, "--updates", r.update_rounding);
        if (!u) return u.status();
        auto acc = RoleQuantizer::make(r.accumulator, "--accumulator", Rounding::nearest_even);
        if (!acc) return acc.status();
        q.weights = *w, q.activations = *a, q.gradients = *g, q.updates = *u, q.accumulator = *acc;
        return q;
    }
};

void activate(Activation a, Matrix& m) {
    switch (a) {
        case Activation::relu: m = m.cwiseMax(0.0f); break;
        case Activation::hardsigmoid: m = m.cwiseMax(0.0f).cwiseMin(2.0f); break;
        case Activation::tanh: m = m.array().tanh().matrix(); break;
        case Activation::none: break;
    }
}

// d activation / d z, from z and the activation's output.
Matrix activation_derivative(Activation a, const Matrix& z, const Matrix& out) {
    switch (a) {
        case Activation::relu: return (z.array() > 0).cast<float>().matrix();
        case Activation::hardsigmoid: return ((z.array() > 0) && (z.array() < 2)).cast<float>().matrix();
        case Activation::tanh: return (1 - out.array().square()).matrix();
        case Activation::none: break;
    }
    return Matrix::Ones(z.rows(), z.cols());
}

struct ForwardCache {
    std::vector<Matrix> accumulator_pass;  // clipped STE of the accumulator format (empty: none)
    std::vector<Matrix> inputs;  // the input each layer saw (quantized, dropped out)
    std::vector<Matrix> z, out;  // pre- and post-activation
    std::vector<Matrix> pass;    // gradient factor into each hidden output: STE clip x dropout
    std::vector<Matrix> used_weight;
    std::vector<std::vector<Matrix>> patches;  // conv2d: im2col per sample
    std::vector<std::vector<int>> argmax;      // maxpool2d: where each output came from
};

void col2im_add(const Matrix& dpatches, const Layer& L, float* da) {
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const float* row = dpatches.row(y * ow + x).data();
            for (int c = 0; c < L.channels; ++c)
                for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j)
                        da[(c * L.height + y + i) * L.width + x + j] += *row++;
        }
}

// Pre-activation output of a weighted layer, or the pooled input; caches what backward needs.
Matrix layer_forward(const Layer& L, const Matrix& a, const Matrix& w, std::vector<Matrix>* patches,
                     std::vector<int>* argmax) {
    if (L.kind == LayerKind::dense) {
        Matrix z = a * w.transpose();
        z.rowwise() += L.bias.transpose();
        return z;
    }
    Matrix z(a.rows(), L.output_size());
    const int spatial = L.output_height() * L.output_width();
    if (L.kind == LayerKind::conv2d) {
        for (Eigen::Index s = 0; s < a.rows(); ++s) {
            Matrix p = im2col(a.row(s).data(), L);
            Matrix y = p * w.transpose();  // H'W' x out
            y.rowwise() += L.bias.transpose();
            for (int o = 0; o < L.out; ++o)
                for (int q = 0; q < spatial; ++q) z(s, o * spatial + q) = y(q, o);
            if (patches) patches->push_back(std::move(p));
        }
        return z;
    }
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    if (argmax) argmax->assign(static_cast<std::size_t>(z.size()), 0);
    for (Eigen::Index s = 0; s < a.rows(); ++s)
        for (int c = 0; c < L.channels; ++c)
            for (int y = 0; y < oh; ++y)
                for (int x = 0; x < ow; ++x) {
                    int best = (c * L.height + y * k) * L.width + x * k;
                    for (int i = 0; i < k; ++i)
                        for (int j = 0; j < k; ++j) {
                            const int at = (c * L.height + y * k + i) * L.width + x * k + j;
                            if (a(s, at) > a(s, best)) best = at;
                        }
                    const Eigen::Index out_at = (c * oh + y) * ow + x;
                    z(s, out_at) = a(s, best);
                    if (argmax) (*argmax)[static_cast<std::size_t>(s * z.cols() + out_at)] = best;
                }
    return z;
}

struct LayerGradients {
    Matrix dw;
    Vector db;
    Matrix din;
};

LayerGradients layer_backward(const Layer& L, const Matrix& dz, const Matrix& input, const Matrix& w,
                              const std::vector<Matrix>& patches, const std::vector<int>& argmax, bool need_input,
                              bool need_weight = true) {
    LayerGradients g;
    if (L.kind == LayerKind::dense) {
        if (need_weight) {
            g.dw = dz.transpose() * input;
            g.db = dz.colwise().sum().transpose();
        }
        if (need_input) g.din = dz * w;
        return g;
    }
    g.din = Matrix::Zero(dz.rows(), L.input_size());
    if (L.kind == LayerKind::maxpool2d) {
        for (Eigen::Index s = 0; s < dz.rows(); ++s)
            for (Eigen::Index o = 0; o < dz.cols(); ++o)
                g.din(s, argmax[static_cast<std::size_t>(s * dz.cols() + o)]) += dz(s, o);
        return g;
    }
    const int spatial = L.output_height() * L.output_width();
    g.dw = Matrix::Zero(L.out, L.in);
    g.db = Vector::Zero(L.out);
    for (Eigen::Index s = 0; s < dz.rows(); ++s) {
        Matrix dy(spatial, L.out);  // H'W' x out
        for (int o = 0; o < L.out; ++o)
            for (int q = 0; q < spatial; ++q) dy(q, o) = dz(s, o * spatial + q);
        if (need_weight) g.dw.noalias() += dy.transpose() * patches[static_cast<std::size_t>(s)];
        g.db += dy.colwise().sum().transpose();
        if (need_input) col2im_add(dy * w, L, g.din.row(s).data());
    }
    return g;
}

// Calibrated per-layer (and per-channel) formats, parsed once.
struct LayerQuantizers {
    RoleQuantizer weights, activations;
    std::vector<RoleQuantizer> weight_rows;
};

Result<std::vector<LayerQuantizers>> make_layer_quantizers(const std::vector<LayerFormats>& formats) {
    std::vector<LayerQuantizers> out;
    for (const LayerFormats& f : formats) {
        LayerQuantizers lq;
        auto w = RoleQuantizer::make(f.weights, "layer weights", Rounding::nearest_even);
        if (!w) return w.status();
        auto a = RoleQuantizer::make(f.activations, "layer activations", Rounding::nearest_even);
        if (!a) return a.status();
        lq.weights = *w, lq.activations = *a;
        for (const std::string& spec : f.weight_rows) {
            auto r = RoleQuantizer::make(spec, "channel weights", Rounding::nearest_even);
            if (!r) return r.status();
            lq.weight_rows.push_back(*r);
        }
        out.push_back(std::move(lq));
    }
    return out;
}

Matrix forward(const Model& model, const Matrix& x, const Quantizers& q, float dropout, Rng& rng, ForwardCache* cache,
               const std::vector<LayerQuantizers>* per_layer = nullptr, std::size_t stop_after = SIZE_MAX) {
    Matrix a = x;
    const std::size_t last = model.layers.size() - 1;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const DenseLayer& layer = model.layers[l];
        const LayerQuantizers* lq = per_layer && l < per_layer->size() ? &(*per_layer)[l] : nullptr;
        Matrix w = layer.weight;
        if (lq && !lq->weight_rows.empty()) {
            for (Eigen::Index r = 0; r < w.rows() && static_cast<std::size_t>(r) < lq->weight_rows.size(); ++r) {
                Matrix row = w.row(r);
                lq->weight_rows[static_cast<std::size_t>(r)].apply(row, rng);
                w.row(r) = row;
            }
        } else if (lq) {
            lq->weights.apply(w, rng);
        } else {
            q.weights.apply(w, rng);
        }
        std::vector<Matrix> patches;
        std::vector<int> argmax;
        Matrix z = layer_forward(layer, a, w, cache ? &patches : nullptr, cache ? &argmax : nullptr);
        Matrix acc_pass;
        if (q.accumulator.format && layer.kind != LayerKind::maxpool2d) {
            acc_pass = ((z.array() >= q.accumulator.lo) && (z.array() <= q.accumulator.hi)).cast<float>().matrix();
            q.accumulator.apply(z, rng);
        }
        Matrix out = z;
        activate(layer.activation, out);
        if (cache) {
            cache->accumulator_pass.push_back(acc_pass);
            cache->inputs.push_back(a);
            cache->z.push_back(z);
            cache->out.push_back(out);
            cache->used_weight.push_back(std::move(w));
            cache->patches.push_back(std::move(patches));
            cache->argmax.push_back(std::move(argmax));
        }
        if (l == last || l == stop_after) return out;
        a = out;
        Matrix pass = Matrix::Ones(a.rows(), a.cols());
        const RoleQuantizer& act = lq ? lq->activations : q.activations;
        if (act.format) {
            pass = ((a.array() >= act.lo) && (a.array() <= act.hi)).cast<float>().matrix();
            act.apply(a, rng);
        }
        if (dropout > 0 && cache) {
            for (Eigen::Index i = 0; i < a.size(); ++i) {
                const float keep = rng.uniform() < dropout ? 0.0f : 1.0f / (1 - dropout);
                a.data()[i] *= keep;
                pass.data()[i] *= keep;
            }
        }
        if (cache) cache->pass.push_back(std::move(pass));
    }
    return a;
}

Matrix softmax(const Matrix& scores) {
    Matrix p = scores;
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
        const float m = p.row(i).maxCoeff();
        p.row(i) = (p.row(i).array() - m).exp();
        p.row(i) /= p.row(i).sum();
    }
    return p;
}

void gather(const Dataset& d, const std::vector<std::size_t>& idx, std::size_t begin, std::size_t end, Matrix& x,
            std::vector<int>& y) {
    x.resize(static_cast<Eigen::Index>(end - begin), d.features);
    y.resize(end - begin);
    for (std::size_t k = begin; k < end; ++k) {
        std::copy(d.row(idx[k]), d.row(idx[k]) + d.features, x.row(static_cast<Eigen::Index>(k - begin)).data());
        y[k - begin] = d.y[idx[k]];
    }
}

struct AdamState {
    Matrix m_w, v_w;
    Vector m_b, v_b;
};

}  // namespace

// Convolution by im2col: for one sample, patches (H'W' x C k k) times the weight transposed.
Matrix im2col(const float* a, const Layer& L) {
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    Matrix patches(oh * ow, L.channels * k * k);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            float* row = patches.row(y * ow + x).data();
            for (int c = 0; c < L.channels; ++c)
                for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j)
                        *row++ = a[(c * L.height + y + i) * L.width + x + j];
        }
    return patches;
}

struct TrainJob::State {
    Model& model;
    const Dataset& train;
    const Dataset* test;
    TrainOptions o;
    Quantizers q;
    Rng rng;
    std::vector<AdamState> adam;
    std::vector<Matrix> velocity_w;
    std::vector<Vector> velocity_b;
    TrainReport report;
    EvalOptions eval;
    std::vector<LayerQuantizers> per_layer;  // options.layers parsed (empty: the roles everywhere)
    std::vector<std::size_t> order;
    std::vector<TrainBatchRecord> batches;
    Matrix x;
    std::vector<int> y;
    long long step = 0;       // batches done in all
    int epoch = 1;            // the epoch in progress
    std::size_t begin = 0;    // the next batch's first position in `order`
    bool epoch_started = false;
    double loss_sum = 0;      // over the current epoch's examples so far
    bool all_done = false;
    // The epoch whose batches are done while its accuracy is counted, a chunk per unit.
    std::optional<TrainEpoch> evaluated;
    std::unique_ptr<AccuracyCount> train_count, test_count;

    State(Model& m, const Dataset& t, const Dataset* te, const TrainOptions& options)
        : model(m), train(t), test(te), o(options), rng(options.seed) {}

    long long batches_per_epoch() const {
        const auto b = static_cast<std::size_t>(std::max(o.batch, 1));
        return std::max<long long>(1, static_cast<long long>((order.size() + b - 1) / b));
    }
    void finish() {
        if (o.evaluate_each_epoch) {
            report.train_accuracy = accuracy(model, train, eval);
            report.test_accuracy = test ? accuracy(model, *test, eval) : 0;
        }
        all_done = true;
    }
    Status batch();
    void end_epoch();
    void evaluate_chunk();
    void close_epoch(const TrainEpoch& e);
};

TrainJob::TrainJob(Model& model, const Dataset& train, const Dataset* test, const TrainOptions& o)
    : s_(std::make_unique<State>(model, train, test, o)) {
    Status bad = Status::success();
    if (model.layers.empty()) bad = Status::error("the model has no layers");
    else if (train.features != model.inputs())
        bad = Status::error("the data has " + std::to_string(train.features) + " features, the model takes " +
                            std::to_string(model.inputs()));
    else if (train.classes > model.outputs())
        bad = Status::error("the data has " + std::to_string(train.classes) + " classes, the model outputs " +
                            std::to_string(model.outputs()));
    else if (!(o.learning_rate > 0) || !(o.lr_decay > 0 && o.lr_decay <= 1) || o.batch < 1 || o.epochs < 0 ||
             !(o.dropout >= 0 && o.dropout < 1))
        bad = Status::error("training options: need lr > 0, lr decay in (0, 1], batch >= 1, epochs >= 0 and dropout in [0, 1)");
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
        s.adam[l] = {Matrix::Zero(L.out, L.in), Matrix::Zero(L.out, L.in), Vector::Zero(L.out), Vector::Zero(L.out)};
        s.velocity_w[l] = Matrix::Zero(L.out, L.in);
        s.velocity_b[l] = Vector::Zero(L.out);
    }
    if (q.updates.format)  // master weights live in the update format from the start
        for (auto& L : model.layers) q.updates.apply(L.weight, s.rng), q.updates.apply(L.bias, s.rng);
    // A weight format whose step dwarfs the initial weights rounds them all to zero; then no
    // activation and no straight-through gradient can flow, and training silently does nothing.
    if (q.weights.format) {
        for (std::size_t l = 0; l < model.layers.size(); ++l) {
            Matrix w = model.layers[l].weight;
            q.weights.apply(w, s.rng);
            const double zeros = static_cast<double>((w.array() == 0).count()) / static_cast<double>(w.size());
            if (zeros >= 0.99)
                s.report.warnings.push_back("--weights " + o.roles.weights + " rounds " +
                                            std::to_string(static_cast<int>(std::round(100 * zeros))) + "% of layer " +
                                            std::to_string(l + 1) + "'s initial weights to zero, so no gradient can flow "
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
    const Matrix scores = forward(model, x, q, o.dropout, rng, &cache, per_layer.empty() ? nullptr : &per_layer);
    Matrix grad = softmax(scores);
    const float inv_batch = 1.0f / static_cast<float>(end - begin);
    double batch_loss = 0;
    for (Eigen::Index i = 0; i < grad.rows(); ++i) {
        batch_loss -= std::log(std::max(grad(i, y[static_cast<std::size_t>(i)]), 1e-30f));
        grad(i, y[static_cast<std::size_t>(i)]) -= 1;
    }
    if (!std::isfinite(batch_loss))
        return Status::error("training diverged in epoch " + std::to_string(epoch) + " at example " +
                             std::to_string(begin) + ": the loss is " + shortest_repr(batch_loss) +
                             " (lower the learning rate, or widen the formats)");
    loss_sum += batch_loss;
    grad *= inv_batch;
    ++step;
    for (std::size_t l = model.layers.size(); l-- > 0;) {
        DenseLayer& L = model.layers[l];
        Matrix dz = grad.cwiseProduct(activation_derivative(L.activation, cache.z[l], cache.out[l]));
        if (cache.accumulator_pass[l].size()) dz = dz.cwiseProduct(cache.accumulator_pass[l]);
        LayerGradients lg = layer_backward(L, dz, cache.inputs[l], cache.used_weight[l], cache.patches[l],
                                           cache.argmax[l], l > 0);
        if (l > 0) grad = lg.din.cwiseProduct(cache.pass[l - 1]);
        if (L.kind == LayerKind::maxpool2d) continue;  // nothing to learn
        Matrix dw = std::move(lg.dw);
        Vector db = std::move(lg.db);
        const RoleQuantizer& wq = l < per_layer.size() && per_layer[l].weights.format ? per_layer[l].weights : q.weights;
        if (wq.format)  // clipped STE: no gradient where the weight is beyond the format
            dw = dw.cwiseProduct(((L.weight.array() >= wq.lo) && (L.weight.array() <= wq.hi)).cast<float>().matrix());
        q.gradients.apply(dw, rng);
        q.gradients.apply(db, rng);
        Matrix delta_w;
        Vector delta_b;
        const float lr = o.learning_rate * std::pow(o.lr_decay, static_cast<float>(epoch - 1));
        switch (o.optimizer) {
            case Optimizer::sgd: delta_w = -lr * dw, delta_b = -lr * db; break;
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
                const float c1 = 1 - std::pow(b1, static_cast<float>(step)), c2 = 1 - std::pow(b2, static_cast<float>(step));
                delta_w = (-lr / c1) * a.m_w.array() / ((a.v_w.array() / c2).sqrt() + eps);
                delta_b = (-lr / c1) * a.m_b.array() / ((a.v_b.array() / c2).sqrt() + eps);
                break;
            }
        }
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
        if (o.clip_weights) L.weight = L.weight.cwiseMax(-1.0f).cwiseMin(1.0f);
    }
    batches.push_back({step, batch_loss / static_cast<double>(end - begin), report.lost_updates});
    begin = end;
    return Status::success();
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
    if (!train_count->done()) train_count->step();
    else if (test_count && !test_count->done()) test_count->step();
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
        // The final accuracy is the last epoch's (the same deterministic evaluation of the same weights).
        if (o.evaluate_each_epoch) report.train_accuracy = e.train_accuracy, report.test_accuracy = e.test_accuracy;
        all_done = true;
    } else {
        ++epoch;
    }
}

bool TrainJob::is_done() const { return s_->all_done; }

JobProgress TrainJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    const long long per_epoch = s.batches_per_epoch();
    p.total = per_epoch * std::max(0, s.o.epochs);
    if (s.all_done) {
        p.done = p.total;
    } else {
        const auto b = static_cast<std::size_t>(std::max(s.o.batch, 1));
        const long long in_epoch = s.epoch_started ? static_cast<long long>((s.begin + b - 1) / b) : 0;
        p.done = per_epoch * (s.epoch - 1) + in_epoch;
    }
    p.stage = s.all_done ? "finished " + std::to_string(s.o.epochs) + " epochs"
                         : "epoch " + std::to_string(s.epoch) + " of " + std::to_string(s.o.epochs) +
                               (s.evaluated ? ": accuracy" : "");
    return p;
}

const TrainReport& TrainJob::report() const { return s_->report; }
bool TrainJob::evaluating() const { return s_->evaluated.has_value(); }

bool TrainJob::step_batches(long long batches) {
    const long long target = s_->step + batches;
    while (running() && (s_->step < target || evaluating())) step(1);
    return running();
}
int TrainJob::epoch() const { return s_->epoch; }
int TrainJob::epochs() const { return s_->o.epochs; }
long long TrainJob::batches_done() const { return s_->step; }
long long TrainJob::batches_per_epoch() const { return s_->batches_per_epoch(); }
const std::vector<TrainBatchRecord>& TrainJob::batches() const { return s_->batches; }
Rounding TrainJob::update_rounding() const { return s_->q.updates.rounding; }
void TrainJob::set_update_rounding(Rounding rounding) { s_->q.updates.rounding = rounding; }

double TrainJob::epoch_loss() const {
    const State& s = *s_;
    if (s.epoch_started && s.begin > 0) return s.loss_sum / static_cast<double>(s.begin);
    return s.report.history.empty() ? 0 : s.report.history.back().loss;  // between epochs: the last one's
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

Result<TrainReport> train_model(Model& model, const Dataset& train, const Dataset* test, const TrainOptions& options) {
    TrainJob job(model, train, test, options);
    if (Status s = run_job(job); !s) return s;
    return job.report();
}

OutputGradients output_gradients(const Model& model, const Matrix& x,
                                 const std::function<Matrix(const Matrix& outputs)>& directions) {
    OutputGradients r;
    auto q = Quantizers::make({});
    Rng rng(1);
    ForwardCache cache;
    r.outputs = forward(model, x, *q, 0, rng, &cache);
    Matrix grad = directions(r.outputs);
    const Eigen::Index n = x.rows();
    const int k = n > 0 ? static_cast<int>(grad.rows() / n) : 0;
    r.per_sample = k;
    // Row s * k + c of the backward batch belongs to sample s: repeat what the forward pass cached.
    auto repeat = [&](const Matrix& m) {
        Matrix out(m.rows() * k, m.cols());
        for (Eigen::Index s = 0; s < m.rows(); ++s) out.middleRows(s * k, k).rowwise() = m.row(s);
        return out;
    };
    const std::size_t layers = model.layers.size();
    r.inputs = cache.inputs;
    r.grad_pre.resize(layers);
    r.grad_input.resize(layers);
    for (std::size_t l = layers; l-- > 0;) {
        const Layer& L = model.layers[l];
        std::vector<Matrix> patches;
        for (const Matrix& p : cache.patches[l])
            for (int c = 0; c < k; ++c) patches.push_back(p);
        std::vector<int> argmax;
        const std::size_t per_row = static_cast<std::size_t>(L.output_size());
        for (Eigen::Index s = 0; s < n && !cache.argmax[l].empty(); ++s)
            for (int c = 0; c < k; ++c)
                argmax.insert(argmax.end(), cache.argmax[l].begin() + static_cast<std::ptrdiff_t>(s * per_row),
                              cache.argmax[l].begin() + static_cast<std::ptrdiff_t>((s + 1) * per_row));
        // The float network has no STE or dropout factors (cache.pass is all ones).
        Matrix dz = grad.cwiseProduct(repeat(activation_derivative(L.activation, cache.z[l], cache.out[l])));
        LayerGradients lg = layer_backward(L, dz, cache.inputs[l], cache.used_weight[l], patches, argmax, true, false);
        r.grad_pre[l] = std::move(dz);
        grad = lg.din;
        r.grad_input[l] = std::move(lg.din);
    }
    return r;
}

Matrix hidden_outputs(const Model& model, const Dataset& data, std::size_t layer, std::size_t max_rows) {
    auto q = Quantizers::make({});
    Rng rng(1);
    std::vector<std::size_t> idx(std::min(data.size(), max_rows));
    std::iota(idx.begin(), idx.end(), 0);
    Matrix x;
    std::vector<int> y;
    gather(data, idx, 0, idx.size(), x, y);
    return forward(model, x, *q, 0, rng, nullptr, nullptr, layer);
}

// The forward pass over a data set in chunks of kEvalChunkRows rows, in order, with one generator:
// predict_scores and AccuracyCount see the same scores whether they run at once or spread out.
struct ChunkedForward {
    const Model& model;
    const Dataset& data;
    Quantizers q;
    std::vector<LayerQuantizers> per_layer;
    Rng rng{1};
    std::vector<std::size_t> idx;
    std::size_t begin = 0;
    Matrix x;
    std::vector<int> y;

    ChunkedForward(const Model& m, const Dataset& d, const EvalOptions& options) : model(m), data(d), idx(d.size()) {
        auto quantizers = Quantizers::make(options.roles);
        assert(quantizers.ok() && "validate roles before predicting");
        q = std::move(quantizers).value();
        auto layers = make_layer_quantizers(options.layers);
        assert(layers.ok() && "calibrated formats are valid");
        per_layer = std::move(layers).value();
        std::iota(idx.begin(), idx.end(), 0);
    }
    bool done() const { return begin >= data.size(); }
    // The next chunk's scores (its labels in y); advances begin.
    Matrix next() {
        const std::size_t end = std::min(data.size(), begin + kEvalChunkRows);
        gather(data, idx, begin, end, x, y);
        begin = end;
        return forward(model, x, q, 0, rng, nullptr, &per_layer);
    }
};

Matrix predict_scores(const Model& model, const Dataset& data, const EvalOptions& options) {
    ChunkedForward f(model, data, options);
    Matrix out(static_cast<Eigen::Index>(data.size()), model.outputs());
    while (!f.done()) {
        const auto first = static_cast<Eigen::Index>(f.begin);
        const Matrix scores = f.next();
        out.middleRows(first, scores.rows()) = scores;
    }
    return out;
}

struct AccuracyCount::State {
    ChunkedForward f;
    std::size_t right = 0;
    State(const Model& m, const Dataset& d, const EvalOptions& o) : f(m, d, o) {}
};

AccuracyCount::AccuracyCount(const Model& model, const Dataset& data, const EvalOptions& options)
    : s_(std::make_unique<State>(model, data, options)) {}
AccuracyCount::~AccuracyCount() = default;

bool AccuracyCount::step() {
    if (s_->f.done()) return false;
    const Matrix scores = s_->f.next();
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        Eigen::Index best;
        scores.row(i).maxCoeff(&best);
        s_->right += best == s_->f.y[static_cast<std::size_t>(i)];
    }
    return !s_->f.done();
}

bool AccuracyCount::done() const { return s_->f.done(); }

double AccuracyCount::accuracy() const {
    const std::size_t rows = s_->f.begin;
    return rows ? static_cast<double>(s_->right) / static_cast<double>(rows) : 0;
}

double accuracy(const Model& model, const Dataset& data, const EvalOptions& options) {
    AccuracyCount count(model, data, options);
    while (count.step()) {
    }
    return count.accuracy();
}

}  // namespace qlab
