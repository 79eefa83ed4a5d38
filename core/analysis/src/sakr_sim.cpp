// Sakr et al. 2017: what the bounds are held against. Monte Carlo p_m with the uniform noise the
// theorems assume (eq. 2, 6), through the linearised model (eq. 7) and the exact noisy network,
// and the fixed-point network itself at (B_A, B_W).
#include <algorithm>
#include <cmath>
#include <limits>

#include "qlab/random.hpp"
#include "qlab/sakr.hpp"

namespace qlab {
namespace {

void fill_uniform(Matrix& m, Eigen::Index rows, Eigen::Index cols, double half, Rng& rng) {
    m.resize(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i)
        m.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * half);
}

}  // namespace

namespace {

// The float decision y^ of every row of x (into `dec`) and d(z_i - z_y^)/dh for every i != y^:
// M - 1 gradient rows per sample.
OutputGradients margin_gradients(const Model& model, const Matrix& x, std::vector<int>& dec) {
    const int m = model.outputs();
    const Eigen::Index n = x.rows();
    dec.assign(static_cast<std::size_t>(n), 0);
    return output_gradients(model, x, [&](const Matrix& z) {
        Matrix d = Matrix::Zero(n * (m - 1), m);
        for (Eigen::Index s = 0; s < n; ++s) {
            const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(s);
            const int y = first_max(row.data(), m);
            dec[static_cast<std::size_t>(s)] = y;
            Eigen::Index r = s * (m - 1);
            for (int i = 0; i < m; ++i)
                if (i != y) d(r, i) = 1, d(r, y) = -1, ++r;
        }
        return d;
    });
}

// Linearised (eq. 7): q_{z_i} - q_{z_y^} = sum_h q_h d(z_i - z_y^)/dh; the samples whose
// decision that noise flips.
long long linear_flips(const OutputGradients& g, const std::vector<Matrix>& qa,
                       const std::vector<Matrix>& qw, const std::vector<int>& dec, int m) {
    const Eigen::Index n = g.outputs.rows();
    Eigen::VectorXd noise = Eigen::VectorXd::Zero(n * (m - 1));
    for (std::size_t l = 0; l < qa.size(); ++l) {
        const Matrix qw_a = g.inputs[l] * qw[l].transpose();  // n x out: sum_h qW_jh a_h
        for (Eigen::Index r = 0; r < noise.size(); ++r) {
            const Eigen::Index s = r / (m - 1);
            noise(r) += static_cast<double>(g.grad_pre[l].row(r).dot(qw_a.row(s))) +
                        static_cast<double>(g.grad_input[l].row(r).dot(qa[l].row(s)));
        }
    }
    long long flips = 0;
    for (Eigen::Index s = 0; s < n; ++s) {
        const int y = dec[static_cast<std::size_t>(s)];
        bool flip = false;
        int c = 0;
        for (int i = 0; i < m; ++i) {
            if (i == y) continue;
            const Eigen::Index r = s * (m - 1) + c++;
            const double d =
                static_cast<double>(g.outputs(s, i)) - static_cast<double>(g.outputs(s, y));
            flip |= d + noise(r) > 0;
        }
        flips += flip;
    }
    return flips;
}

// Exact (eq. 6): the network with the noisy activations and weights; the decisions that change.
long long exact_flips(const Model& model, const OutputGradients& g, const std::vector<Matrix>& qa,
                      const std::vector<Matrix>& qw, const std::vector<int>& dec) {
    const std::size_t layers = model.layers.size();
    Matrix a = g.inputs[0] + qa[0];
    for (std::size_t l = 0; l < layers; ++l) {
        const Layer& L = model.layers[l];
        Matrix z = a * (L.weight + qw[l]).transpose();
        z.rowwise() += L.bias.transpose();
        apply_activation(L, z);
        if (l + 1 < layers)
            a = z + qa[l + 1];
        else
            a = std::move(z);
    }
    long long flips = 0;
    for (Eigen::Index s = 0; s < a.rows(); ++s) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = a.row(s);
        flips += first_max(row.data(), model.outputs()) != dec[static_cast<std::size_t>(s)];
    }
    return flips;
}

}  // namespace

SakrNoiseResult sakr_noise_mc(const Model& model, const Matrix& x, int ba, int bw, int trials,
                              std::uint64_t seed) {
    SakrNoiseResult res;
    const std::size_t layers = model.layers.size();
    const int m = model.outputs();
    if (trials <= 0 || x.rows() == 0 || layers == 0 || m < 2) return res;
    // The noisy forward pass below is written for dense layers (the header says so).
    for (const Layer& L : model.layers)
        if (L.kind != LayerKind::dense) return res;
    const double half_a = std::ldexp(1.0, -ba), half_w = std::ldexp(1.0, -bw);  // Delta / 2
    Rng rng(seed);
    long long flips_linear = 0, flips_exact = 0;
    const Eigen::Index chunk = 200;
    for (Eigen::Index begin = 0; begin < x.rows(); begin += chunk) {
        const Eigen::Index n = std::min(chunk, x.rows() - begin);
        std::vector<int> dec;
        const OutputGradients g = margin_gradients(model, x.middleRows(begin, n), dec);
        std::vector<Matrix> qa(layers), qw(layers);
        for (int trial = 0; trial < trials; ++trial) {
            // eq. 2 / 6: independent uniform noise on every activation in A and weight in W
            // (each sample its own activation noise; one weight draw per trial and chunk).
            for (std::size_t l = 0; l < layers; ++l) {
                const Layer& L = model.layers[l];
                fill_uniform(qa[l], n, L.in, half_a, rng);
                fill_uniform(qw[l], L.out, L.in, half_w, rng);
            }
            flips_linear += linear_flips(g, qa, qw, dec, m);
            flips_exact += exact_flips(model, g, qa, qw, dec);
        }
    }
    res.trials = static_cast<long long>(x.rows()) * trials;
    res.p_m_linear = static_cast<double>(flips_linear) / static_cast<double>(res.trials);
    res.p_m_exact = static_cast<double>(flips_exact) / static_cast<double>(res.trials);
    return res;
}

long long sakr_inputs_beyond_range(const Dataset& data) {
    long long n = 0;
    for (float v : data.x) n += v > 1 || v < -1;
    return n;
}

long long sakr_clip_inputs(Dataset& data) {
    long long n = 0;
    for (float& v : data.x)
        if (v > 1 || v < -1) v = v > 1 ? 1.0f : -1.0f, ++n;
    return n;
}

std::vector<int> float_decisions(const Model& model, const Dataset& data) {
    // On the inputs the fixed-point network sees (clipped to [-1, 1]; copied only when needed).
    Dataset clipped;
    const bool clip = sakr_inputs_beyond_range(data) > 0;
    if (clip) clipped = data, sakr_clip_inputs(clipped);
    const Matrix z = predict_scores(model, clip ? clipped : data);
    std::vector<int> d(data.size());
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(i);
        d[static_cast<std::size_t>(i)] = first_max(row.data(), static_cast<int>(z.cols()));
    }
    return d;
}

SakrSimulation sakr_simulate(const Model& model, const Dataset& data,
                             const std::vector<int>& float_dec, int ba, int bw) {
    SakrSimulation r;
    if (data.size() == 0) return r;
    // fixed:w=1 does not exist (a sign bit and no magnitude): no fixed-point network below 2 bits.
    if (ba < 2 || bw < 2) {
        r.p_m = r.error = std::numeric_limits<double>::quiet_NaN();
        return r;
    }
    const std::string bits_a = std::to_string(ba), frac_a = std::to_string(ba - 1);
    // Inputs in [-1, 1]: fixed:w=B_A,f=B_A-1 (saturating at the ends).
    Dataset q = data;
    const Format input = *Format::parse("fixed:w=" + bits_a + ",f=" + frac_a);
    input.quantize(q.x.data(), q.x.data(), q.x.size());
    // Hidden activations in [0, 2] after ReLU / hard sigmoid: ufixed; signed after tanh or none.
    bool unsigned_acts = true;
    // (A pool passes its input's range on: its own activation, none, says nothing.)
    for (std::size_t l = 0; l + 1 < model.layers.size(); ++l)
        unsigned_acts &= !model.layers[l].has_weights() || activation_nonnegative(model.layers[l]);
    EvalOptions o;
    o.roles.weights = "fixed:w=" + std::to_string(bw) + ",f=" + std::to_string(bw - 1);
    o.roles.activations = (unsigned_acts ? "ufixed:w=" : "fixed:w=") + bits_a + ",f=" + frac_a;
    const Matrix z = predict_scores(model, q, o);
    long long mismatch = 0, wrong = 0;
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(i);
        const int d = first_max(row.data(), static_cast<int>(z.cols()));
        mismatch += d != float_dec[static_cast<std::size_t>(i)];
        wrong += d != data.y[static_cast<std::size_t>(i)];
    }
    r.p_m = static_cast<double>(mismatch) / static_cast<double>(data.size());
    r.error = static_cast<double>(wrong) / static_cast<double>(data.size());
    return r;
}

}  // namespace qlab
