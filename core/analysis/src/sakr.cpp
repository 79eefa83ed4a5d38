// Sakr et al. 2017: per-(sample, class) quantities from batched backward passes, then E_A, E_W
// (eq. 11), Theorem 1 (eq. 8), Theorem 2 (eq. 13-14) literal and with t optimised, eq. 12, and
// the costs of eq. 3-4. Equation numbers are the paper's.
// Sections: 1. helpers (coefficients, decisions, power sums, log sinhc); 2. the derivatives of
// one sample; 4. SakrJob (E_A, E_W and the per-pair sums). Section 3, Theorem 2 (the series per
// pair, SakrBoundsJob), is sakr_bounds.cpp; the costs of eq. 3-4 are sakr_cost.cpp.
#include "qlab/sakr.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "qlab/random.hpp"

namespace qlab {

// ---- 1. helpers ---------------------------------------------------------------------------------
namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Bernoulli numbers B_2, B_4, ..., B_32.
constexpr double kBernoulli[kSakrSeriesTerms] = {1.0 / 6,
                                                 -1.0 / 30,
                                                 1.0 / 42,
                                                 -1.0 / 30,
                                                 5.0 / 66,
                                                 -691.0 / 2730,
                                                 7.0 / 6,
                                                 -3617.0 / 510,
                                                 43867.0 / 798,
                                                 -174611.0 / 330,
                                                 854513.0 / 138,
                                                 -236364091.0 / 2730,
                                                 8553103.0 / 6,
                                                 -23749461029.0 / 870,
                                                 8615841276005.0 / 14322,
                                                 -7709321041217.0 / 510};

struct Coefficients {
    double c[kSakrSeriesTerms];
    Coefficients() {
        // d/dx log(sinh x / x) = coth x - 1/x = sum_k 2^{2k} B_{2k} x^{2k-1} / (2k)!; integrate.
        for (int k = 1; k <= kSakrSeriesTerms; ++k) {
            double factorial = 1;
            for (int i = 2; i <= 2 * k; ++i) factorial *= i;
            c[k - 1] = std::ldexp(kBernoulli[k - 1], 2 * k) / (2 * k * factorial);
        }
    }
};
const Coefficients& coefficients() {
    static const Coefficients c;
    return c;
}

// A is the input of every dense or conv layer (a max-pool's input is not stored: max commutes
// with a monotone quantizer, so quantizing the pooled value is the same). An average pool's
// input is (its average is quantized again, as the network's own quantizer does).
bool input_in_a(const Layer& L) {
    return L.kind != LayerKind::maxpool2d;
}

// d(z_i - z_y^)/dW of a conv layer for one (sample, class) row: the pre-activation gradient as
// out x H'W' (channel-major, as the layer stores it) times the sample's patches (H'W' x C k k).
Matrix conv_weight_gradient(const Layer& L, const float* grad_pre_row, const Matrix& patches) {
    const int positions = L.output_height() * L.output_width();
    const Eigen::Map<const Matrix> d(grad_pre_row, L.out, positions);
    return d * patches;
}

// y^: the first index of the largest logit.
int decision(const float* z, int m) {
    int best = 0;
    for (int i = 1; i < m; ++i)
        if (z[i] > z[best]) best = i;
    return best;
}

// The output gradients e_i - e_y^ for every i != y^, M - 1 rows per sample (d(z_i - z_y^)).
Matrix logit_differences(const Matrix& z, std::vector<int>& decisions) {
    const int m = static_cast<int>(z.cols());
    decisions.resize(static_cast<std::size_t>(z.rows()));
    Matrix d = Matrix::Zero(z.rows() * (m - 1), m);
    for (Eigen::Index s = 0; s < z.rows(); ++s) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(s);
        const int y = decision(row.data(), m);
        decisions[static_cast<std::size_t>(s)] = y;
        Eigen::Index r = s * (m - 1);
        for (int i = 0; i < m; ++i) {
            if (i == y) continue;
            d(r, i) = 1;
            d(r, y) = -1;
            ++r;
        }
    }
    return d;
}

// Row maxima of |G| (1 where a row is all zero, so that dividing by it is harmless).
Eigen::VectorXf row_max_abs(const Matrix& g) {
    Eigen::VectorXf m = g.cwiseAbs().rowwise().maxCoeff();
    return (m.array() > 0).select(m, 1.0f);
}

// Normalised even power sums per row: out(r, k-1) += sum_h (g(r,h) / scale(r))^{2k}. Float
// powers are floored (1e-10 for y, 1e-20 for its powers) so that no denormal slows the loop;
// the floors add at most 1e-20 per entry to sums that are at least 1 (the largest entry is 1).
void add_power_sums(const Matrix& g, const Eigen::VectorXf& scale, Eigen::MatrixXd& out) {
    if (g.cols() == 0) return;
    Array y = (g.array().colwise() / scale.array()).square().max(1e-10f);
    Array p = y;
    for (int k = 0; k < kSakrSeriesTerms; ++k) {
        out.col(k) += p.rowwise().sum().cast<double>().matrix();
        if (k + 1 < kSakrSeriesTerms) p = (p * y).max(1e-20f);
    }
}

}  // namespace

double log_sinhc_coefficient(int k) {
    return k >= 1 && k <= kSakrSeriesTerms ? coefficients().c[k - 1] : 0;
}

double log_sinhc(double x) {
    x = std::fabs(x);
    if (x < 0.25) {
        // x^2/6 - x^4/180 + x^6/2835 - ...: six terms leave a relative error below 1e-12 here.
        const double y = x * x;
        const double* c = coefficients().c;
        double s = 0;
        for (int k = 5; k >= 0; --k) s = (s + c[k]) * y;
        return s;
    }
    if (x < 20) return std::log(std::sinh(x) / x);
    // sinh x / x = e^x (1 - e^{-2x}) / (2x).
    return x - std::log(2 * x) + std::log1p(-std::exp(-2 * x));
}

// ---- 2. the derivatives of one sample -----------------------------------------------------------
SakrDerivatives sakr_derivatives(const Model& model, const float* x, int cls) {
    SakrDerivatives d;
    Matrix row = Eigen::Map<const Matrix>(x, 1, model.inputs());
    OutputGradients g = output_gradients(model, row, [&](const Matrix& z) {
        d.decision = decision(z.data(), static_cast<int>(z.cols()));
        Matrix dir = Matrix::Zero(1, z.cols());
        dir(0, cls) += 1;
        dir(0, d.decision) -= 1;
        return dir;
    });
    d.v = static_cast<double>(g.outputs(0, d.decision)) - static_cast<double>(g.outputs(0, cls));
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (input_in_a(model.layers[l]))
            for (Eigen::Index h = 0; h < g.grad_input[l].cols(); ++h)
                d.a.push_back(g.grad_input[l](0, h));
    // One weight at a time: d(z_i - z_y^)/dW_jk = delta_j a_k for a dense layer; for a conv
    // layer the sum over output positions of delta(o, y, x) times the input under tap (c, i, j).
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Layer& L = model.layers[l];
        if (L.kind == LayerKind::dense) {
            for (Eigen::Index j = 0; j < g.grad_pre[l].cols(); ++j)
                for (Eigen::Index k = 0; k < g.inputs[l].cols(); ++k)
                    d.w.push_back(static_cast<double>(g.grad_pre[l](0, j)) *
                                  static_cast<double>(g.inputs[l](0, k)));
        } else if (L.kind == LayerKind::conv2d) {
            const int oh = L.output_height(), ow = L.output_width(), kk = L.kernel;
            const int s = L.step(), dl = L.dilation;
            for (int o = 0; o < L.out; ++o)
                for (int c = 0; c < L.channels; ++c)
                    for (int i = 0; i < kk; ++i)
                        for (int j = 0; j < kk; ++j) {
                            double sum = 0;
                            for (int py = 0; py < oh; ++py)
                                for (int px = 0; px < ow; ++px) {
                                    // The input under tap (i, j); zero padding adds nothing.
                                    const int iy = py * s - L.pad_top + i * dl;
                                    const int ix = px * s - L.pad_left + j * dl;
                                    if (iy < 0 || iy >= L.height || ix < 0 || ix >= L.width)
                                        continue;
                                    sum += static_cast<double>(
                                               g.grad_pre[l](0, (o * oh + py) * ow + px)) *
                                           static_cast<double>(
                                               g.inputs[l](0, (c * L.height + iy) * L.width + ix));
                                }
                            d.w.push_back(sum);
                        }
        }
    }
    return d;
}

int SakrAnalysis::suggested_bw_minus_ba() const {
    if (!(e_a_ > 0) || !(e_w_ > 0) || !std::isfinite(e_a_) || !std::isfinite(e_w_)) return 0;
    // eq. 12: Delta_A^2 E_A = Delta_W^2 E_W  <=>  B_W - B_A = log2 sqrt(E_W / E_A).
    return static_cast<int>(std::lround(std::log2(std::sqrt(e_w_ / e_a_))));
}

std::string SakrAnalysis::tie_message() const {
    if (ties_ == 0) return "";
    return std::to_string(ties_) + " (sample, class) pair" + (ties_ == 1 ? "" : "s") +
           " with an exact logit tie (" + first_tie_ +
           "): Theorem 1, E_A and E_W are infinite there (d_i = 0); Theorem 2 counts such a pair "
           "as 1";
}

// sum_h log(sinh(t D_h) / (t D_h)) over A and W, one derivative at a time (beyond the series).
double SakrAnalysis::exact_log_mgf(const SakrPair& p, double t, double half_da,
                                   double half_dw) const {
    const SakrDerivatives d = sakr_derivatives(model_, x_.row(p.sample).data(), p.cls);
    double s = 0;
    for (double g : d.a) s += log_sinhc(t * half_da * g);
    for (double g : d.w) s += log_sinhc(t * half_dw * g);
    return s;
}

// ---- 4. SakrJob: E_A, E_W and the sums per pair -------------------------------------------------
struct SakrJob::State {
    SakrAnalysis r;
    SakrOptions o;
    std::size_t next = 0;  // the next sample
    double sum_a = 0, sum_w = 0;
};

SakrJob::SakrJob(const Model& model, const Dataset& data, const SakrOptions& options)
    : s_(std::make_unique<State>()) {
    State& s = *s_;
    s.o = options;
    Status bad = Status::success();
    if (model.layers.empty())
        bad = Status::error("the model has no layers");
    else if (model.outputs() < 2)
        bad = Status::error("the Sakr analysis needs at least two classes");
    else if (data.features != model.inputs())
        bad = Status::error("the data has " + std::to_string(data.features) +
                            " features, the model takes " + std::to_string(model.inputs()));
    else if (options.samples < 0 || options.batch < 1)
        bad = Status::error("Sakr options: need samples >= 0 and batch >= 1");
    else if (data.size() == 0)
        bad = Status::error("the data has no rows");
    if (!bad) {
        fail_now(std::move(bad));
        return;
    }
    s.r.model_ = model;
    // The estimation set: options.samples rows drawn at random (a seeded shuffle), or all rows.
    std::vector<std::size_t> idx(data.size());
    std::iota(idx.begin(), idx.end(), 0);
    const std::size_t n =
        options.samples == 0 ? data.size() : std::min<std::size_t>(data.size(), options.samples);
    if (n < data.size()) {
        Rng rng(options.seed);
        for (std::size_t i = 0; i < n; ++i)
            std::swap(idx[i],
                      idx[i + static_cast<std::size_t>(rng.next_u64() % (data.size() - i))]);
    }
    s.r.x_.resize(static_cast<Eigen::Index>(n), data.features);
    for (std::size_t i = 0; i < n; ++i)
        std::copy(data.row(idx[i]), data.row(idx[i]) + data.features,
                  s.r.x_.row(static_cast<Eigen::Index>(i)).data());
    for (Eigen::Index i = 0; i < s.r.x_.size(); ++i) {
        float& v = s.r.x_.data()[i];
        if (v > 1 || v < -1) v = v > 1 ? 1.0f : -1.0f, ++s.r.clipped_;
    }
}

SakrJob::~SakrJob() = default;

bool SakrJob::is_done() const {
    return s_->next >= static_cast<std::size_t>(s_->r.x_.rows());
}

JobProgress SakrJob::progress() const {
    JobProgress p;
    const auto b = static_cast<long long>(s_->o.batch);
    p.total = (static_cast<long long>(s_->r.x_.rows()) + b - 1) / b;
    p.done = (static_cast<long long>(s_->next) + b - 1) / b;
    p.stage = "gradients of the logit differences: " + std::to_string(s_->next) + " of " +
              std::to_string(s_->r.x_.rows()) + " samples";
    return p;
}

const SakrAnalysis& SakrJob::result() const {
    return s_->r;
}

namespace {

// Over A, per (sample, class) row: g_A, the largest |derivative| and the power sums normalised
// by it.
struct ActivationSums {
    Eigen::VectorXd g;
    Eigen::VectorXf max;
    Eigen::MatrixXd p;
};

// Over A: the inputs of every layer, d(z_i - z_y^)/da_h = grad_input rows.
ActivationSums activation_sums(const Model& model, const OutputGradients& g, Eigen::Index rows) {
    const std::size_t layers = model.layers.size();
    ActivationSums a;
    a.g = Eigen::VectorXd::Zero(rows);
    a.max = Eigen::VectorXf::Zero(rows);
    for (std::size_t l = 0; l < layers; ++l) {
        if (!input_in_a(model.layers[l])) continue;
        a.g += g.grad_input[l].cast<double>().rowwise().squaredNorm();
        a.max = a.max.cwiseMax(g.grad_input[l].cwiseAbs().rowwise().maxCoeff());
    }
    const Eigen::VectorXf scale_a = (a.max.array() > 0).select(a.max, 1.0f);
    a.p = Eigen::MatrixXd::Zero(rows, kSakrSeriesTerms);
    for (std::size_t l = 0; l < layers; ++l)
        if (input_in_a(model.layers[l])) add_power_sums(g.grad_input[l], scale_a, a.p);
    return a;
}

// Over W, per (sample, class) row: g_W, the largest |derivative| overall and per layer, and each
// layer's power sums normalised by that layer's largest.
struct WeightSums {
    Eigen::VectorXd g, max;
    std::vector<Eigen::VectorXd> layer_max;
    std::vector<Eigen::MatrixXd> layer_sums;
};

// Conv layer l: no factorisation over the shared kernel: one (out x H'W') x (H'W' x C k k)
// product per (sample, class) row gives every weight's derivative.
void add_conv_weight_sums(const Layer& L, std::size_t l, const OutputGradients& g, Eigen::Index nb,
                          WeightSums& w) {
    const int k = g.per_sample;
    for (Eigen::Index smp = 0; smp < nb; ++smp) {
        const Matrix patches = im2col(g.inputs[l].row(smp).data(), L);
        for (int c = 0; c < k; ++c) {
            const Eigen::Index r2 = smp * k + c;
            Matrix dw = conv_weight_gradient(L, g.grad_pre[l].row(r2).data(), patches);
            const Eigen::Map<const Matrix> flat(dw.data(), 1, dw.size());
            const Eigen::VectorXf m = row_max_abs(flat);
            Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(1, kSakrSeriesTerms);
            add_power_sums(flat, m, sums);
            const double sq = dw.cast<double>().squaredNorm();
            w.g(r2) += sq;
            w.layer_max[l](r2) = sq == 0 ? 0 : static_cast<double>(m(0));
            w.max(r2) = std::max(w.max(r2), w.layer_max[l](r2));
            w.layer_sums[l].row(r2) = sums.row(0);
        }
    }
}

// Dense layer l: d(z_i - z_y^)/dW_jh = delta_j a_h, so every even power sum factorises:
// sum_{j,h} (delta_j a_h)^{2k} = (sum_j delta_j^{2k}) (sum_h a_h^{2k}); k = 1 gives
// g_W = sum_l |delta_l|^2 |a_l|^2 without a per-weight loop.
void add_dense_weight_sums(std::size_t l, const OutputGradients& g, Eigen::Index nb,
                           WeightSums& w) {
    const int k = g.per_sample;
    const Eigen::Index rows = nb * k;
    const Matrix& delta = g.grad_pre[l];
    const Matrix& a = g.inputs[l];
    const Eigen::VectorXf sd = row_max_abs(delta), sa = row_max_abs(a);
    Eigen::MatrixXd pd = Eigen::MatrixXd::Zero(rows, kSakrSeriesTerms);
    Eigen::MatrixXd pin = Eigen::MatrixXd::Zero(nb, kSakrSeriesTerms);
    add_power_sums(delta, sd, pd);
    add_power_sums(a, sa, pin);
    const Eigen::VectorXd dn = delta.cast<double>().rowwise().squaredNorm();
    const Eigen::VectorXd an = a.cast<double>().rowwise().squaredNorm();
    for (Eigen::Index r2 = 0; r2 < rows; ++r2) {
        const Eigen::Index smp = r2 / k;
        w.g(r2) += dn(r2) * an(smp);
        const bool zero = dn(r2) == 0 || an(smp) == 0;
        w.layer_max[l](r2) = zero ? 0 : static_cast<double>(sd(r2)) * static_cast<double>(sa(smp));
        w.max(r2) = std::max(w.max(r2), w.layer_max[l](r2));
        w.layer_sums[l].row(r2) = pd.row(r2).cwiseProduct(pin.row(smp));
    }
}

// Over W: the weights of every dense and conv layer, for a batch of nb samples.
WeightSums weight_sums(const Model& model, const OutputGradients& g, Eigen::Index nb) {
    const Eigen::Index rows = nb * g.per_sample;
    const std::size_t layers = model.layers.size();
    WeightSums w;
    w.g = Eigen::VectorXd::Zero(rows);
    w.max = Eigen::VectorXd::Zero(rows);
    w.layer_max.resize(layers);
    w.layer_sums.resize(layers);
    for (std::size_t l = 0; l < layers; ++l) {
        const Layer& L = model.layers[l];
        w.layer_max[l] = Eigen::VectorXd::Zero(rows);
        w.layer_sums[l] = Eigen::MatrixXd::Zero(rows, kSakrSeriesTerms);
        if (!L.has_weights()) continue;
        if (L.kind == LayerKind::conv2d)
            add_conv_weight_sums(L, l, g, nb, w);
        else
            add_dense_weight_sums(l, g, nb, w);
    }
    return w;
}

// The pair of sample s (row `row` of the batch) and class i != y^: v, g_A, g_W, the maxima and
// the power sums normalised by them.
SakrPair sakr_pair(const OutputGradients& g, const ActivationSums& a, const WeightSums& w,
                   Eigen::Index s, Eigen::Index row, int y, int i) {
    SakrPair p;
    p.cls = i;
    p.v = static_cast<double>(g.outputs(s, y)) - static_cast<double>(g.outputs(s, i));
    p.g_a = a.g(row), p.g_w = w.g(row);
    p.max_a = a.max(row), p.max_w = w.max(row);
    for (int t = 0; t < kSakrSeriesTerms; ++t) {
        p.pa[static_cast<std::size_t>(t)] = p.max_a > 0 ? a.p(row, t) : 0;
        double w_sum = 0;
        if (p.max_w > 0)
            for (std::size_t l = 0; l < w.layer_max.size(); ++l) {
                const double ratio = w.layer_max[l](row) / p.max_w;  // rescale to the overall max
                if (ratio > 0) w_sum += w.layer_sums[l](row, t) * std::pow(ratio, 2 * (t + 1));
            }
        p.pw[static_cast<std::size_t>(t)] = w_sum;
    }
    // The normalised k = 1 sums exactly: g / max^2.
    if (p.max_a > 0) p.pa[0] = p.g_a / (p.max_a * p.max_a);
    if (p.max_w > 0) p.pw[0] = p.g_w / (p.max_w * p.max_w);
    return p;
}

}  // namespace

Status SakrJob::do_unit() {
    State& s = *s_;
    SakrAnalysis& r = s.r;
    const Model& model = r.model_;
    const std::size_t begin = s.next;
    const std::size_t end =
        std::min<std::size_t>(begin + static_cast<std::size_t>(s.o.batch), r.x_.rows());
    const Eigen::Index nb = static_cast<Eigen::Index>(end - begin);
    std::vector<int> dec;
    // One forward pass and one batched backward pass of all M-1 logit differences per sample.
    const OutputGradients g =
        output_gradients(model, r.x_.middleRows(static_cast<Eigen::Index>(begin), nb),
                         [&](const Matrix& z) { return logit_differences(z, dec); });
    const int k = g.per_sample;
    const ActivationSums a = activation_sums(model, g, nb * k);
    const WeightSums w = weight_sums(model, g, nb);

    // Keep per pair: v, g_A, g_W, the maxima and the power sums normalised by them.
    for (Eigen::Index s2 = 0; s2 < nb; ++s2) {
        const int y = dec[static_cast<std::size_t>(s2)];
        r.decisions_.push_back(y);
        int c = 0;
        for (int i = 0; i < model.outputs(); ++i) {
            if (i == y) continue;
            SakrPair p = sakr_pair(g, a, w, s2, s2 * k + c++, y, i);
            p.sample = static_cast<int>(begin) + static_cast<int>(s2);
            if (p.v == 0) {
                if (r.ties_++ == 0)
                    r.first_tie_ = "sample " + std::to_string(p.sample) + ", classes " +
                                   std::to_string(y) + " and " + std::to_string(i);
            } else {
                // E_A, E_W (eq. 11): sum_i g / (24 d_i^2), averaged over the samples at the end.
                s.sum_a += p.g_a / (24 * p.v * p.v);
                s.sum_w += p.g_w / (24 * p.v * p.v);
            }
            r.pairs_.push_back(p);
        }
    }
    s.next = end;
    if (is_done()) {
        const double n = static_cast<double>(r.decisions_.size());
        const double inf = std::numeric_limits<double>::infinity();
        r.e_a_ = r.ties_ ? inf : s.sum_a / n;
        r.e_w_ = r.ties_ ? inf : s.sum_w / n;
    }
    return Status::success();
}

Result<SakrAnalysis> analyze_sakr(const Model& model, const Dataset& data,
                                  const SakrOptions& options) {
    SakrJob job(model, data, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

}  // namespace qlab
