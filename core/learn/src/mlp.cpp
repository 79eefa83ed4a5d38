// The MLP with quantization roles: layers forward and backward (dense, conv via im2col, max-pool;
// the backward pass is the clipped straight-through estimator), the network's forward pass with
// fake-quantized weights and activations, and evaluation.
// Sections: 1. activations and layers forward and backward  2. per-layer quantizers and the
// forward pass  3. evaluation (output gradients, hidden outputs, predict_scores, AccuracyCount,
// accuracy). Training (TrainJob, train_model) is in train_job.cpp,
// the shared internals in mlp_internal.hpp; model specs live in model_spec.cpp.
#include "qlab/mlp.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <optional>

#include "mlp_internal.hpp"

namespace qlab {
namespace detail {

void activate(const Layer& L, Matrix& m) {
    switch (L.activation) {
        case Activation::relu:
            m = m.cwiseMax(0.0f);
            break;
        case Activation::hardsigmoid:
            m = m.cwiseMax(0.0f).cwiseMin(2.0f);
            break;
        case Activation::tanh:
            m = m.array().tanh().matrix();
            break;
        case Activation::none:
            break;
        case Activation::leakyrelu:
            m = (m.array() < 0).select(m.array() * L.alpha, m.array()).matrix();
            break;
        case Activation::clip:
            m = m.cwiseMax(L.alpha).cwiseMin(L.beta);
            break;
        case Activation::sigmoid:
            m = (1 / (1 + (-m.array()).exp())).matrix();
            break;
        case Activation::onnx_hardsigmoid:
            m = (m.array() * L.alpha + L.beta).max(0.0f).min(1.0f).matrix();
            break;
    }
}

// d activation / d z, from z and the activation's output.
Matrix activation_derivative(const Layer& L, const Matrix& z, const Matrix& out) {
    switch (L.activation) {
        case Activation::relu:
            return (z.array() > 0).cast<float>().matrix();
        case Activation::hardsigmoid:
            return ((z.array() > 0) && (z.array() < 2)).cast<float>().matrix();
        case Activation::tanh:
            return (1 - out.array().square()).matrix();
        case Activation::none:
            break;
        case Activation::leakyrelu:
            return ((z.array() > 0).cast<float>() * (1 - L.alpha) + L.alpha).matrix();
        case Activation::clip:
            return ((z.array() > L.alpha) && (z.array() < L.beta)).cast<float>().matrix();
        case Activation::sigmoid:
            return (out.array() * (1 - out.array())).matrix();
        case Activation::onnx_hardsigmoid: {
            const auto t = z.array() * L.alpha + L.beta;
            return ((t > 0) && (t < 1)).cast<float>().matrix() * L.alpha;
        }
    }
    return Matrix::Ones(z.rows(), z.cols());
}

// Where window tap (i, j) of output position (y, x) reads the input: its row and column, which
// may fall in the padding (outside 0..height-1 / 0..width-1).
struct Tap {
    int row, col;
};
inline Tap tap(const Layer& L, int y, int x, int i, int j) {
    const int s = L.step(), d = L.kind == LayerKind::conv2d ? L.dilation : 1;
    return {y * s - L.pad_top + i * d, x * s - L.pad_left + j * d};
}
inline bool inside(const Layer& L, const Tap& t) {
    return t.row >= 0 && t.row < L.height && t.col >= 0 && t.col < L.width;
}

void col2im_add(const Matrix& dpatches, const Layer& L, float* da) {
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const float* row = dpatches.row(y * ow + x).data();
            for (int c = 0; c < L.channels; ++c)
                for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j, ++row) {
                        const Tap t = tap(L, y, x, i, j);
                        if (inside(L, t)) da[(c * L.height + t.row) * L.width + t.col] += *row;
                    }
        }
}

// An average pool's divisor at output (y, x): the window, or its taps inside the input.
int pool_divisor(const Layer& L, int y, int x) {
    if (L.count_include_pad) return L.kernel * L.kernel;
    int n = 0;
    for (int i = 0; i < L.kernel; ++i)
        for (int j = 0; j < L.kernel; ++j) n += inside(L, tap(L, y, x, i, j));
    return n;
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
    if (L.kind == LayerKind::globalavgpool) {
        const int hw = L.height * L.width;
        for (Eigen::Index s = 0; s < a.rows(); ++s)
            for (int c = 0; c < L.channels; ++c) {
                double sum = 0;
                for (int q = 0; q < hw; ++q) sum += a(s, c * hw + q);
                z(s, c) = static_cast<float>(sum / hw);
            }
        return z;
    }
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    const bool max = L.kind == LayerKind::maxpool2d;
    if (argmax && max) argmax->assign(static_cast<std::size_t>(z.size()), 0);
    for (Eigen::Index s = 0; s < a.rows(); ++s)
        for (int c = 0; c < L.channels; ++c)
            for (int y = 0; y < oh; ++y)
                for (int x = 0; x < ow; ++x) {
                    int best = -1;
                    double sum = 0;
                    for (int i = 0; i < k; ++i)
                        for (int j = 0; j < k; ++j) {
                            const Tap t = tap(L, y, x, i, j);
                            if (!inside(L, t)) continue;
                            const int at = (c * L.height + t.row) * L.width + t.col;
                            if (best < 0 || a(s, at) > a(s, best)) best = at;
                            sum += a(s, at);
                        }
                    const Eigen::Index out_at = (c * oh + y) * ow + x;
                    if (max) {
                        z(s, out_at) = a(s, best);  // check_layer: every window has an input tap
                        if (argmax)
                            (*argmax)[static_cast<std::size_t>(s * z.cols() + out_at)] = best;
                    } else {
                        z(s, out_at) = static_cast<float>(sum / pool_divisor(L, y, x));
                    }
                }
    return z;
}

LayerGradients layer_backward(const Layer& L, const Matrix& dz, const Matrix& input,
                              const Matrix& w, const std::vector<Matrix>& patches,
                              const std::vector<int>& argmax, bool need_input, bool need_weight) {
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
    if (L.kind == LayerKind::globalavgpool) {
        const int hw = L.height * L.width;
        for (Eigen::Index s = 0; s < dz.rows(); ++s)
            for (int c = 0; c < L.channels; ++c)
                g.din.row(s).segment(c * hw, hw).setConstant(dz(s, c) / static_cast<float>(hw));
        return g;
    }
    if (L.kind == LayerKind::avgpool2d) {
        const int oh = L.output_height(), ow = L.output_width();
        for (Eigen::Index s = 0; s < dz.rows(); ++s)
            for (int c = 0; c < L.channels; ++c)
                for (int y = 0; y < oh; ++y)
                    for (int x = 0; x < ow; ++x) {
                        const float share = dz(s, (c * oh + y) * ow + x) /
                                            static_cast<float>(pool_divisor(L, y, x));
                        for (int i = 0; i < L.kernel; ++i)
                            for (int j = 0; j < L.kernel; ++j) {
                                const Tap t = tap(L, y, x, i, j);
                                if (inside(L, t))
                                    g.din(s, (c * L.height + t.row) * L.width + t.col) += share;
                            }
                    }
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

Result<std::vector<LayerQuantizers>> make_layer_quantizers(
    const std::vector<LayerFormats>& formats) {
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

Matrix forward(const Model& model, const Matrix& x, const Quantizers& q, float dropout, Rng& rng,
               ForwardCache* cache, const std::vector<LayerQuantizers>* per_layer,
               std::size_t stop_after) {
    Matrix a = x;
    const std::size_t last = model.layers.size() - 1;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const DenseLayer& layer = model.layers[l];
        const LayerQuantizers* lq = per_layer && l < per_layer->size() ? &(*per_layer)[l] : nullptr;
        Matrix w = layer.weight;
        if (lq && !lq->weight_rows.empty()) {
            for (Eigen::Index r = 0;
                 r < w.rows() && static_cast<std::size_t>(r) < lq->weight_rows.size(); ++r) {
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
        Matrix z =
            layer_forward(layer, a, w, cache ? &patches : nullptr, cache ? &argmax : nullptr);
        Matrix acc_pass;
        if (q.accumulator.format && layer.has_weights()) {
            acc_pass = ((z.array() >= q.accumulator.lo) && (z.array() <= q.accumulator.hi))
                           .cast<float>()
                           .matrix();
            q.accumulator.apply(z, rng);
        }
        Matrix out = z;
        activate(layer, out);
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

void gather(const Dataset& d, const std::vector<std::size_t>& idx, std::size_t begin,
            std::size_t end, Matrix& x, std::vector<int>& y) {
    x.resize(static_cast<Eigen::Index>(end - begin), d.features);
    y.resize(end - begin);
    for (std::size_t k = begin; k < end; ++k) {
        std::copy(d.row(idx[k]), d.row(idx[k]) + d.features,
                  x.row(static_cast<Eigen::Index>(k - begin)).data());
        y[k - begin] = d.y[idx[k]];
    }
}

}  // namespace detail

using namespace detail;

// Convolution by im2col: for one sample, patches (H'W' x C k k) times the weight transposed.
Matrix im2col(const float* a, const Layer& L) {
    const int oh = L.output_height(), ow = L.output_width(), k = L.kernel;
    Matrix patches(oh * ow, L.channels * k * k);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            float* row = patches.row(y * ow + x).data();
            for (int c = 0; c < L.channels; ++c)
                for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j) {
                        const Tap t = tap(L, y, x, i, j);
                        *row++ = inside(L, t) ? a[(c * L.height + t.row) * L.width + t.col] : 0.0f;
                    }
        }
    return patches;
}

void apply_activation(const Layer& layer, Matrix& m) {
    activate(layer, m);
}

bool activation_nonnegative(const Layer& L) {
    switch (L.activation) {
        case Activation::relu:
        case Activation::hardsigmoid:
        case Activation::sigmoid:
        case Activation::onnx_hardsigmoid:
            return true;
        case Activation::clip:
            return L.alpha >= 0;
        case Activation::leakyrelu:
            return L.alpha == 0;
        case Activation::tanh:
        case Activation::none:
            break;
    }
    return false;
}

Status check_layer(const Layer& L) {
    constexpr int kMaxSide = 1 << 20;
    auto bad = [](const std::string& what) { return Status::error(what); };
    if (L.kind == LayerKind::dense) {
        if (L.in < 1 || L.out < 1 || L.in > kMaxSide || L.out > kMaxSide)
            return bad("dense widths must be from 1 to 2^20");
        if (static_cast<double>(L.in) * L.out > 1e8) return bad("in x out is too large");
        return Status::success();
    }
    if (L.channels < 1 || L.height < 1 || L.width < 1 || L.channels > kMaxSide ||
        L.height > kMaxSide || L.width > kMaxSide)
        return bad("channels, height and width must be from 1 to 2^20");
    if (static_cast<double>(L.channels) * L.height * L.width > 1e8)
        return bad("the input is too large");
    if (L.kind == LayerKind::globalavgpool) return Status::success();
    if (L.kernel < 1 || L.kernel > kMaxSide || L.stride < 0 || L.stride > kMaxSide ||
        L.dilation < 1 || L.dilation > kMaxSide)
        return bad("kernel, stride and dilation must be from 1 to 2^20");
    for (int p : {L.pad_top, L.pad_left, L.pad_bottom, L.pad_right})
        if (p < 0 || p >= L.kernel)
            return bad("padding must be from 0 to the window's side minus 1 (" +
                       std::to_string(L.kernel - 1) + ")");
    if (L.dilation != 1 && L.kind != LayerKind::conv2d)
        return bad("only a convolution takes a dilation");
    if (L.output_height() < 1 || L.output_width() < 1)
        return bad("the " + std::to_string(L.kernel) + "x" + std::to_string(L.kernel) +
                   " window does not fit the " + std::to_string(L.height) + "x" +
                   std::to_string(L.width) + " input with its padding");
    if (L.kind == LayerKind::conv2d) {
        if (L.out < 1 || L.out > kMaxSide) return bad("out channels must be from 1 to 2^20");
        if (static_cast<double>(L.channels) * L.kernel * L.kernel > 1e8 ||
            static_cast<double>(L.channels) * L.kernel * L.kernel * L.out > 1e8)
            return bad("the kernel is too large");
        if (L.in != L.channels * L.kernel * L.kernel)
            return bad("a conv's weight has channels x kernel^2 columns");
        if (static_cast<double>(L.output_size()) > 1e8) return bad("the output is too large");
    }
    return Status::success();
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
                argmax.insert(
                    argmax.end(),
                    cache.argmax[l].begin() + static_cast<std::ptrdiff_t>(s * per_row),
                    cache.argmax[l].begin() + static_cast<std::ptrdiff_t>((s + 1) * per_row));
        // The float network has no STE or dropout factors (cache.pass is all ones).
        Matrix dz = grad.cwiseProduct(repeat(activation_derivative(L, cache.z[l], cache.out[l])));
        LayerGradients lg = layer_backward(L, dz, cache.inputs[l], cache.used_weight[l], patches,
                                           argmax, true, false);
        r.grad_pre[l] = std::move(dz);
        grad = lg.din;
        r.grad_input[l] = std::move(lg.din);
    }
    return r;
}

Matrix hidden_outputs(const Model& model, const Dataset& data, std::size_t layer,
                      std::size_t max_rows) {
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

    ChunkedForward(const Model& m, const Dataset& d, const EvalOptions& options)
        : model(m), data(d), idx(d.size()) {
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
    const int classes = static_cast<int>(scores.cols());
    for (Eigen::Index i = 0; i < scores.rows(); ++i)
        s_->right +=
            first_max(scores.data() + i * classes, classes) == s_->f.y[static_cast<std::size_t>(i)];
    return !s_->f.done();
}

bool AccuracyCount::done() const {
    return s_->f.done();
}

double AccuracyCount::accuracy() const {
    const std::size_t rows = s_->f.begin;
    return rows ? static_cast<double>(s_->right) / static_cast<double>(rows) : 0;
}

int first_max(const float* scores, int count) {
    int best = 0;
    for (int i = 1; i < count; ++i)
        if (scores[i] > scores[best]) best = i;
    return best;
}

double accuracy(const Model& model, const Dataset& data, const EvalOptions& options) {
    AccuracyCount count(model, data, options);
    while (count.step()) {
    }
    return count.accuracy();
}

}  // namespace qlab
