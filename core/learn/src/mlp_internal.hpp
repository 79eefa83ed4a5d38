// Internals of the MLP shared by mlp.cpp (layers, forward pass, evaluation) and train_job.cpp
// (training): quantizers per role and per layer, the forward cache and the layer gradients.
// Private to core/learn/src; the public API is qlab/mlp.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qlab/mlp.hpp"
#include "qlab/random.hpp"

namespace qlab::detail {

// One tensor role's format (absent: full precision), applied through the fast array path.
struct RoleQuantizer {
    std::optional<Format> format;
    Rounding rounding = Rounding::nearest_even;
    float lo = -INFINITY, hi = INFINITY;  // the clipped STE passes gradients only inside

    static Result<RoleQuantizer> make(const std::string& spec, const char* role,
                                      Rounding rounding) {
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

struct ForwardCache {
    std::vector<Matrix> accumulator_pass;  // clipped STE of the accumulator format (empty: none)
    std::vector<Matrix> inputs;            // the input each layer saw (quantized, dropped out)
    std::vector<Matrix> z, out;            // pre- and post-activation
    std::vector<Matrix> pass;  // gradient factor into each hidden output: STE clip x dropout
    std::vector<Matrix> used_weight;
    std::vector<std::vector<Matrix>> patches;  // conv2d: im2col per sample
    std::vector<std::vector<int>> argmax;      // maxpool2d: where each output came from
};

struct LayerGradients {
    Matrix dw;
    Vector db;
    Matrix din;
};

// Calibrated per-layer (and per-channel) formats, parsed once.
struct LayerQuantizers {
    RoleQuantizer weights, activations;
    std::vector<RoleQuantizer> weight_rows;
};

// d activation / d z, from z and the activation's output.
Matrix activation_derivative(const Layer& layer, const Matrix& z, const Matrix& out);
LayerGradients layer_backward(const Layer& L, const Matrix& dz, const Matrix& input,
                              const Matrix& w, const std::vector<Matrix>& patches,
                              const std::vector<int>& argmax, bool need_input,
                              bool need_weight = true);
Result<std::vector<LayerQuantizers>> make_layer_quantizers(
    const std::vector<LayerFormats>& formats);
// The network on a batch x: quantized weights and activations per the roles (or per layer),
// dropout while training; fills cache for backward; stops after layer stop_after when given.
Matrix forward(const Model& model, const Matrix& x, const Quantizers& q, float dropout, Rng& rng,
               ForwardCache* cache, const std::vector<LayerQuantizers>* per_layer = nullptr,
               std::size_t stop_after = SIZE_MAX);
Matrix softmax(const Matrix& scores);
// Rows idx[begin..end) of d into x, their labels into y.
void gather(const Dataset& d, const std::vector<std::size_t>& idx, std::size_t begin,
            std::size_t end, Matrix& x, std::vector<int>& y);

}  // namespace qlab::detail
