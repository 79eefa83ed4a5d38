// Kundu 2017: Algorithm 1 via the ternary format's exact fit, Algorithm 2 with a max-heap over the
// block errors, Table 2's figures, residual levels and the power-performance estimate.
#include "qlab/kundu.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <utility>

#include "analysis_common.hpp"
#include "qlab/format.hpp"

namespace qlab {

TernaryVector ternarize(const double* w, std::size_t n) {
    // The fitted `ternary` format solves eq. 6 for one block (eq. 7 as corrected in the README).
    static const Format kTernary = *Format::parse("ternary");
    const std::vector<double> values(w, w + n);
    const Format fitted = kTernary.fit(values);
    TernaryVector t;
    t.signs.assign(n, 0);
    double kept_min = INFINITY, dropped_max = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double q = fitted.quantize_ref(values[i]);
        if (q > 0) t.signs[i] = 1;
        if (q < 0) t.signs[i] = -1;
        if (t.signs[i] != 0) {
            t.alpha = std::fabs(q);
            kept_min = std::min(kept_min, std::fabs(values[i]));
        } else if (std::isfinite(values[i])) {
            dropped_max = std::max(dropped_max, std::fabs(values[i]));
        }
    }
    t.threshold = t.alpha == 0 ? 0 : std::isinf(kept_min) ? 0 : (kept_min + dropped_max) / 2;
    return t;
}

namespace {

// Subtracts alpha * signs from r and returns the new squared norm of r.
double subtract_term(const TernaryVector& t, double* r, std::size_t n) {
    double sq = 0;
    for (std::size_t i = 0; i < n; ++i) {
        r[i] -= t.alpha * t.signs[i];
        sq += r[i] * r[i];
    }
    return sq;
}

int kept_terms(const ResidualBlock& b, int level) {
    return 1 + std::min(std::max(level, 0), b.residuals());
}

}  // namespace

ResidualTensor ternary_residual(const std::vector<double>& w, const ResidualOptions& options) {
    ResidualTensor out;
    out.n = w.size();
    if (w.empty()) return out;
    const std::size_t block = options.block ? options.block : w.size();
    std::vector<double> r = w;  // the residual Delta = W - sum of the terms so far
    double norm_sq = 0;
    for (double v : w) norm_sq += v * v;
    out.norm = std::sqrt(norm_sq);
    // Lines 2-4: partition into contiguous blocks, ternarize each.
    std::vector<double> block_sq;  // E_k^2 (line 6)
    for (std::size_t begin = 0; begin < w.size(); begin += block) {
        ResidualBlock b;
        b.begin = begin;
        b.size = std::min(block, w.size() - begin);
        b.terms.push_back(ternarize(&r[begin], b.size));
        block_sq.push_back(subtract_term(b.terms.back(), &r[begin], b.size));
        out.blocks.push_back(std::move(b));
    }
    double total = 0;
    for (double e : block_sq) total += e;
    out.errors.push_back(std::sqrt(total));
    // Lines 7-13: while delta > eps^2, add a ternary residual to the block with the largest E_k.
    std::priority_queue<std::pair<double, std::size_t>> heap;
    for (std::size_t k = 0; k < block_sq.size(); ++k) heap.push({block_sq[k], k});
    const double target = options.tolerance * options.tolerance * norm_sq;
    while (total > target && !heap.empty()) {
        const std::size_t k = heap.top().second;
        heap.pop();
        ResidualBlock& b = out.blocks[k];
        if (b.residuals() >= options.max_residuals) {
            out.stopped_at_guard = true;
            break;
        }
        b.terms.push_back(ternarize(&r[b.begin], b.size));
        const double before = block_sq[k];
        block_sq[k] = subtract_term(b.terms.back(), &r[b.begin], b.size);
        // Theorem 3: ||R||^2 = ||alpha W^||^2 + ||R - alpha W^||^2, so the block's error falls by
        // ||alpha W^||^2 > 0 whenever R != 0 (and R != 0 because E_k is the largest, delta > 0).
        total -= before - block_sq[k];
        total = std::max(total, 0.0);
        out.order.push_back(k);
        out.errors.push_back(std::sqrt(total));
        heap.push({block_sq[k], k});
    }
    return out;
}

double ResidualTensor::model_size_bits() const {
    double bits = 0;
    for (const ResidualBlock& b : blocks) bits += (b.residuals() + 1) * (8.0 + 2.0 * b.size);
    return bits;
}

double ResidualTensor::capacity() const {
    double c = 1;
    for (const ResidualBlock& b : blocks) c += std::pow(3.0, b.residuals() + 1) - 1;
    return c;  // sum_i 3^(r_i + 1) - k + 1
}

long long ResidualTensor::scale_factors() const {
    long long s = 0;
    for (const ResidualBlock& b : blocks) s += b.residuals() + 1;
    return s;
}

int ResidualTensor::max_residuals() const {
    int m = 0;
    for (const ResidualBlock& b : blocks) m = std::max(m, b.residuals());
    return m;
}

std::vector<double> ResidualTensor::reconstruct(int level) const {
    std::vector<double> w(n, 0.0);
    if (level < 0) return w;
    for (const ResidualBlock& b : blocks) {
        const int keep = kept_terms(b, level);
        for (int t = 0; t < keep; ++t)
            for (std::size_t i = 0; i < b.size; ++i)
                w[b.begin + i] += b.terms[static_cast<std::size_t>(t)].alpha *
                                  b.terms[static_cast<std::size_t>(t)].signs[i];
    }
    return w;
}

double ResidualTensor::compute_factor(int level) const {
    double kept = 0;
    for (const ResidualBlock& b : blocks)
        kept += static_cast<double>(b.size) * kept_terms(b, level);
    return n ? kept / static_cast<double>(n) : 0;
}

double power_performance(double x, double c, double n) {
    return n > 0 ? x / (c * (x / n + 1)) : x / c;  // n = 0: one block, X/N ~ 0
}

double memory_gain(double c, double n) {
    return n > 0 ? 4 / (c * (1 / n + 1)) : 4 / c;
}

// ---- the network -----------------------------------------------------------------------------

struct TernaryResidualJob::State {
    const Model& model;
    const Dataset& test;
    KunduOptions options;
    std::vector<std::size_t> todo;  // weighted layers
    std::vector<double> reuse;      // MACs per weight (conv: output positions)
    std::size_t layers_done = 0;
    int levels = -1;  // known once every layer is done
    KunduResult result;
    State(const Model& m, const Dataset& d, const KunduOptions& o)
        : model(m), test(d), options(o) {}
};

TernaryResidualJob::TernaryResidualJob(const Model& model, const Dataset& test,
                                       const KunduOptions& options)
    : s_(std::make_unique<State>(model, test, options)) {
    if (Status st = detail::check_model_data(model, test); !st) {
        fail_now(std::move(st));
        return;
    }
    if (!(options.residual.tolerance >= 0)) {
        fail_now(Status::error("tolerance must be >= 0"));
        return;
    }
    if (options.residual.max_residuals < 0) {
        fail_now(Status::error("max residuals must be >= 0"));
        return;
    }
    if (!(options.gain_x > 0)) {
        fail_now(Status::error("X must be positive"));
        return;
    }
    if (!options.activations.empty())
        if (auto f = Format::parse(options.activations); !f) {
            fail_now(f.status());
            return;
        }
    State& s = *s_;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Layer& L = model.layers[l];
        if (!L.has_weights()) continue;
        s.todo.push_back(l);
        s.reuse.push_back(L.kind == LayerKind::conv2d
                              ? static_cast<double>(L.output_height()) * L.output_width()
                              : 1.0);
    }
    if (s.todo.empty()) {
        fail_now(Status::error("the model has no weighted layers"));
        return;
    }
    s.result.float_accuracy = accuracy(model, test);
}

TernaryResidualJob::~TernaryResidualJob() = default;

JobProgress TernaryResidualJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    p.done = static_cast<long long>(s.layers_done + s.result.levels.size());
    p.total = static_cast<long long>(s.todo.size()) + std::max(0, s.levels);
    p.stage = s.layers_done < s.todo.size()
                  ? "Algorithm 2 on layer " + std::to_string(s.todo[s.layers_done] + 1)
                  : "accuracy with " + std::to_string(s.result.levels.size()) + " residual terms";
    return p;
}

const KunduResult& TernaryResidualJob::result() const {
    return s_->result;
}

bool TernaryResidualJob::is_done() const {
    const State& s = *s_;
    return s.layers_done == s.todo.size() && s.levels >= 0 &&
           s.result.levels.size() == static_cast<std::size_t>(s.levels);
}

Model residual_model(const Model& model, const KunduResult& result, int level) {
    Model m = model;
    for (const KunduLayer& kl : result.layers) {
        const std::vector<double> w = kl.tensor.reconstruct(level);
        Matrix& target = m.layers[kl.layer].weight;
        for (Eigen::Index i = 0; i < target.size(); ++i)
            target.data()[i] = static_cast<float>(w[static_cast<std::size_t>(i)]);
    }
    return m;
}

Status TernaryResidualJob::do_unit() {
    State& s = *s_;
    if (s.layers_done < s.todo.size()) {
        const std::size_t l = s.todo[s.layers_done];
        const Matrix& w = s.model.layers[l].weight;  // row-major: rows unroll contiguously
        KunduLayer kl;
        kl.layer = l;
        kl.tensor = ternary_residual(std::vector<double>(w.data(), w.data() + w.size()),
                                     s.options.residual);
        s.result.layers.push_back(std::move(kl));
        if (++s.layers_done == s.todo.size()) {
            int m = 0;
            for (const KunduLayer& k : s.result.layers) m = std::max(m, k.tensor.max_residuals());
            s.levels = m + 1;
        }
        return Status::success();
    }
    const int level = static_cast<int>(s.result.levels.size());
    KunduLevel row;
    row.level = level;
    double macs = 0, kept = 0;
    for (std::size_t i = 0; i < s.result.layers.size(); ++i) {
        const ResidualTensor& t = s.result.layers[i].tensor;
        macs += s.reuse[i] * static_cast<double>(t.n);
        kept += s.reuse[i] * static_cast<double>(t.n) * t.compute_factor(level);
        for (const ResidualBlock& b : t.blocks) {
            const int terms = kept_terms(b, level);
            row.model_size_bits += terms * (8.0 + 2.0 * b.size);
            row.scale_factors += terms;
        }
    }
    row.compute = macs > 0 ? kept / macs : 0;
    row.power_performance = power_performance(s.options.gain_x, row.compute,
                                              static_cast<double>(s.options.residual.block));
    row.memory_gain = memory_gain(row.compute, static_cast<double>(s.options.residual.block));
    EvalOptions eval;
    eval.roles.activations = s.options.activations;
    row.accuracy = accuracy(residual_model(s.model, s.result, level), s.test, eval);
    s.result.levels.push_back(row);
    return Status::success();
}

Result<KunduResult> ternary_residual_network(const Model& model, const Dataset& test,
                                             const KunduOptions& options) {
    TernaryResidualJob job(model, test, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

}  // namespace qlab
