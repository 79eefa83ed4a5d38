// Kundu §4, Fig. 1 and Tables 3-4 on a learner's model, and the abstract's figures from Table 3
// (see kundu_tables.hpp).
#include "qlab/kundu_tables.hpp"

#include <algorithm>
#include <cmath>

#include "qlab/random.hpp"

namespace qlab {

const std::vector<KunduPaperCell>& kundu_paper_tables() {
    static const std::vector<KunduPaperCell> cells = {
        {3, "ResNet-101", 64, 0.01, 2.3, 2.5}, {3, "ResNet-101", 64, 0.02, 2.0, 2.2},
        {3, "ResNet-101", 32, 0.01, 2.1, 2.3}, {3, "ResNet-101", 32, 0.02, 1.7, 2.0},
        {4, "AlexNet", 64, 0.01, 2.9, 2.9},    {4, "AlexNet", 64, 0.02, 2.9, 2.5},
        {4, "AlexNet", 32, 0.01, 2.6, 2.5},    {4, "AlexNet", 32, 0.02, 2.6, 2.2},
    };
    return cells;
}

std::vector<KunduAbstractFigure> kundu_abstract_derivation(double x) {
    const double n = 64;
    const auto pp = [&](double c) { return x / (c * (x / n + 1)); };
    const auto size = [&](double blocks) { return 8 / ((2 + 8 / n) * blocks); };
    std::vector<KunduAbstractFigure> out;
    for (const KunduPaperCell& c : kundu_paper_tables()) {
        if (c.table != 3 || c.block != 64) continue;
        const std::string loss = c.loss < 0.015 ? "~1% loss" : "~2% loss";
        const bool one = c.loss < 0.015;
        out.push_back({loss + ": model size reduction over 8-8", one ? 1.6 : 1.9, size(c.comp),
                       size(c.blocks)});
        out.push_back({loss + ": fewer multiplications than 8-8", one ? 26.0 : 32.0, n / c.comp,
                       n / c.blocks});
        out.push_back({loss + ": power-performance gain over 8-8", one ? 2.0 : 2.3, pp(c.comp),
                       pp(c.blocks)});
    }
    return out;
}

const char* tolerance_scheme_name(ToleranceScheme scheme) {
    switch (scheme) {
        case ToleranceScheme::uniform:
            return "uniform";
        case ToleranceScheme::sensitivity:
            return "sensitivity";
        case ToleranceScheme::compute:
            return "compute-aware";
    }
    return "?";
}

std::vector<double> layer_tolerances(ToleranceScheme scheme, double epsilon,
                                     const std::vector<double>& s, const std::vector<double>& m) {
    const std::size_t L = s.size();
    std::vector<double> e(L, epsilon);
    if (scheme == ToleranceScheme::uniform || L == 0) return e;
    for (std::size_t k = 0; k < L; ++k) {
        const double sk = s[k] > 0 ? s[k] : 1;
        e[k] = (scheme == ToleranceScheme::compute ? std::sqrt(std::max(m[k], 1e-12)) : 1.0) / sk;
    }
    // Scale to the uniform scheme's budget: sum_k s_k^2 e_k^2 = epsilon^2 sum_k s_k^2.
    double have = 0, want = 0;
    for (std::size_t k = 0; k < L; ++k) {
        const double sk = s[k] > 0 ? s[k] : 1;
        have += sk * sk * e[k] * e[k];
        want += sk * sk * epsilon * epsilon;
    }
    const double f = have > 0 ? std::sqrt(want / have) : 0;
    for (double& v : e) v *= f;
    return e;
}

std::string dynamic_fixed_format(double max_abs, int bits, bool is_signed) {
    const double top = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    int f = 0;
    if (max_abs > 0 && std::isfinite(max_abs))
        f = static_cast<int>(std::floor(std::log2(top / max_abs)));
    f = std::clamp(f, -64, 64);
    return std::string(is_signed ? "fixed" : "ufixed") + ":w=" + std::to_string(bits) +
           ",f=" + std::to_string(f);
}

std::vector<int> block_terms_at(const ResidualTensor& t, std::size_t steps) {
    std::vector<int> terms(t.blocks.size(), 1);
    for (std::size_t i = 0; i < steps && i < t.order.size(); ++i) ++terms[t.order[i]];
    return terms;
}

std::vector<double> reconstruct_prefix(const ResidualTensor& t, std::size_t steps) {
    std::vector<double> w(t.n, 0.0);
    const std::vector<int> terms = block_terms_at(t, steps);
    for (std::size_t b = 0; b < t.blocks.size(); ++b) {
        const ResidualBlock& block = t.blocks[b];
        for (int k = 0; k < terms[b] && k < static_cast<int>(block.terms.size()); ++k) {
            const TernaryVector& v = block.terms[static_cast<std::size_t>(k)];
            for (std::size_t j = 0; j < block.size; ++j) w[block.begin + j] += v.alpha * v.signs[j];
        }
    }
    return w;
}

std::size_t steps_for_tolerance(const ResidualTensor& t, double tolerance) {
    for (std::size_t i = 0; i < t.errors.size(); ++i)
        if (t.errors[i] <= tolerance * t.norm) return i;
    return t.order.size();
}

struct KunduTablesJob::State {
    const Model& model;
    const Dataset& test;
    Dataset calibration;
    KunduTablesOptions o;
    KunduTablesResult r;
    std::vector<double> reuse;  // multiply-adds per weight per example, per weighted layer
    std::vector<ResidualTensor> tensors;
    EvalOptions eval;  // the activation formats
    bool started = false;
    std::size_t probes = 0, built = 0, evaluated = 0;
    std::size_t evaluations() const {
        return o.schemes.size() * static_cast<std::size_t>(o.scales);
    }
    State(const Model& m, const Dataset& t, const Dataset& c, const KunduTablesOptions& options)
        : model(m), test(t), calibration(first_rows(c, options.calibration_rows)), o(options) {}
    double epsilon_at(int i) const {
        if (o.scales <= 1) return o.epsilon_max;
        return o.epsilon_max *
               std::pow(o.epsilon_min / o.epsilon_max, static_cast<double>(i) / (o.scales - 1));
    }
    void start();
    void probe(std::size_t k);
    void build(std::size_t k);
    void evaluate(std::size_t unit);
};

KunduTablesJob::KunduTablesJob(const Model& model, const Dataset& test, const Dataset& calibration,
                               const KunduTablesOptions& o)
    : s_(std::make_unique<State>(model, test, calibration, o)) {
    Status bad = Status::success();
    if (model.layers.empty())
        bad = Status::error("the model has no layers");
    else if (test.features != model.inputs() || calibration.features != model.inputs())
        bad = Status::error("the data has " + std::to_string(test.features) +
                            " features, the model takes " + std::to_string(model.inputs()));
    else if (test.size() == 0 || calibration.size() == 0)
        bad = Status::error("the test and calibration data need rows");
    else if (o.activation_bits != 0 && (o.activation_bits < 2 || o.activation_bits > 32))
        bad = Status::error("activation bits must be 0 (float) or 2..32");
    else if (!(o.gain_x > 0))
        bad = Status::error("X must be positive");
    else if (!(o.epsilon_max > 0 && o.epsilon_min > 0 && o.epsilon_min <= o.epsilon_max) ||
             o.scales < 1)
        bad = Status::error("need 0 < epsilon_min <= epsilon_max and scales >= 1");
    else if (o.schemes.empty() || o.losses.empty())
        bad = Status::error("need at least one scheme and one target loss");
    if (!bad) {
        fail_now(std::move(bad));
        return;
    }
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Layer& L = model.layers[l];
        if (L.kind == LayerKind::maxpool2d) continue;
        s_->r.layers.push_back(l);
        s_->reuse.push_back(L.kind == LayerKind::conv2d
                                ? static_cast<double>(L.output_height()) * L.output_width()
                                : 1.0);
    }
    if (s_->r.layers.empty()) fail_now(Status::error("the model has no weighted layers"));
}

KunduTablesJob::~KunduTablesJob() = default;

const KunduTablesResult& KunduTablesJob::result() const {
    return s_->r;
}

bool KunduTablesJob::is_done() const {
    const State& s = *s_;
    return s.started && s.probes == s.r.layers.size() && s.built == s.r.layers.size() &&
           s.evaluated == s.evaluations();
}

JobProgress KunduTablesJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    const std::size_t L = s.r.layers.size();
    p.total = static_cast<long long>(1 + 2 * L + s.evaluations());
    p.done = static_cast<long long>((s.started ? 1 : 0) + s.probes + s.built + s.evaluated);
    p.stage = !s.started     ? "float and 8-bit activation accuracy"
              : s.probes < L ? "sensitivity of layer " + std::to_string(s.probes + 1)
              : s.built < L  ? "Algorithm 2 on layer " + std::to_string(s.built + 1)
                             : "accuracy at tolerance " + std::to_string(s.evaluated + 1) + " of " +
                                  std::to_string(s.evaluations());
    return p;
}

void KunduTablesJob::State::start() {
    r.float_accuracy = accuracy(model, test);
    const std::size_t L = model.layers.size();
    eval.layers.assign(L, LayerFormats{});
    r.activation_formats.assign(L, "");
    if (o.activation_bits > 0)
        for (std::size_t l = 0; l + 1 < L; ++l) {
            const Matrix h = hidden_outputs(model, calibration, l, o.calibration_rows);
            const double max_abs = h.size() ? static_cast<double>(h.cwiseAbs().maxCoeff()) : 0;
            const bool negative = h.size() && h.minCoeff() < 0;
            r.activation_formats[l] = dynamic_fixed_format(max_abs, o.activation_bits, negative);
            eval.layers[l].activations = r.activation_formats[l];
        }
    r.activation_accuracy = accuracy(model, test, eval);
    double macs = 0;
    for (std::size_t k = 0; k < r.layers.size(); ++k)
        macs += reuse[k] * static_cast<double>(model.layers[r.layers[k]].weight.size());
    for (std::size_t k = 0; k < r.layers.size(); ++k)
        r.compute_share.push_back(
            reuse[k] * static_cast<double>(model.layers[r.layers[k]].weight.size()) / macs);
}

// s_k: the relative change of the float scores per relative change of layer k's weights, with
// Gaussian noise of norm sensitivity_epsilon ||W_k|| (two draws averaged).
void KunduTablesJob::State::probe(std::size_t k) {
    const Matrix y = predict_scores(model, calibration);
    const double ny = static_cast<double>(y.norm());
    Rng rng(o.seed * 7919 + k);
    double s = 0;
    for (int draw = 0; draw < 2; ++draw) {
        Model m = model;
        Matrix& w = m.layers[r.layers[k]].weight;
        Matrix noise(w.rows(), w.cols());
        for (Eigen::Index i = 0; i < noise.size(); ++i)
            noise.data()[i] = static_cast<float>(rng.normal());
        const double scale = o.sensitivity_epsilon * static_cast<double>(w.norm()) /
                             std::max(1e-30, static_cast<double>(noise.norm()));
        w += noise * static_cast<float>(scale);
        const Matrix yq = predict_scores(m, calibration);
        s += ny > 0 ? static_cast<double>((yq - y).norm()) / ny / o.sensitivity_epsilon : 0;
    }
    r.sensitivity.push_back(s / 2);
}

void KunduTablesJob::State::build(std::size_t k) {
    double tightest = INFINITY;
    for (ToleranceScheme scheme : o.schemes)
        tightest = std::min(
            tightest, layer_tolerances(scheme, o.epsilon_min, r.sensitivity, r.compute_share)[k]);
    const Matrix& w = model.layers[r.layers[k]].weight;
    ResidualOptions ro;
    ro.block = o.block;
    ro.tolerance = tightest;
    ro.max_residuals = o.max_residuals;
    tensors.push_back(ternary_residual(std::vector<double>(w.data(), w.data() + w.size()), ro));
}

void KunduTablesJob::State::evaluate(std::size_t unit) {
    const std::size_t si = unit / static_cast<std::size_t>(o.scales);
    const int i = static_cast<int>(unit % static_cast<std::size_t>(o.scales));
    if (r.schemes.size() <= si) {
        KunduSchemeRun run;
        run.scheme = o.schemes[si];
        r.schemes.push_back(run);
    }
    KunduSchemeRun& run = r.schemes[si];
    KunduTablePoint p;
    p.epsilon = epsilon_at(i);
    p.layer_epsilon = layer_tolerances(run.scheme, p.epsilon, r.sensitivity, r.compute_share);
    Model m = model;
    double terms = 0, blocks = 0, kept = 0, macs = 0;
    for (std::size_t k = 0; k < r.layers.size(); ++k) {
        const ResidualTensor& t = tensors[k];
        const std::size_t steps = steps_for_tolerance(t, p.layer_epsilon[k]);
        p.layer_steps.push_back(steps);
        const std::vector<double> w = reconstruct_prefix(t, steps);
        Matrix& target = m.layers[r.layers[k]].weight;
        for (Eigen::Index j = 0; j < target.size(); ++j)
            target.data()[j] = static_cast<float>(w[static_cast<std::size_t>(j)]);
        const std::vector<int> bt = block_terms_at(t, steps);
        for (std::size_t b = 0; b < t.blocks.size(); ++b) {
            terms += bt[b];
            kept += reuse[k] * bt[b] * static_cast<double>(t.blocks[b].size);
        }
        blocks += static_cast<double>(t.blocks.size());
        macs += reuse[k] * static_cast<double>(t.n);
    }
    p.blocks = blocks > 0 ? terms / blocks : 0;
    p.compute = macs > 0 ? kept / macs : 0;
    p.power_performance = power_performance(o.gain_x, p.compute, static_cast<double>(o.block));
    p.accuracy = accuracy(m, test, eval);
    p.loss = r.float_accuracy - p.accuracy;
    run.points.push_back(p);
    if (i + 1 == o.scales) {  // the scheme's last point: pick the least compute per target
        for (double target : o.losses) {
            int best = -1;
            for (std::size_t j = 0; j < run.points.size(); ++j)
                if (run.points[j].loss <= target + 1e-12 &&
                    (best < 0 ||
                     run.points[j].compute < run.points[static_cast<std::size_t>(best)].compute))
                    best = static_cast<int>(j);
            run.at_loss.push_back(best);
        }
    }
}

Status KunduTablesJob::do_unit() {
    State& s = *s_;
    const std::size_t L = s.r.layers.size();
    if (!s.started) {
        s.start();
        s.started = true;
    } else if (s.probes < L) {
        s.probe(s.probes++);
    } else if (s.built < L) {
        s.build(s.built++);
        if (s.built == L) {  // the plain FGQ ternary (no residual), for reference
            Model m = s.model;
            for (std::size_t k = 0; k < L; ++k) {
                const std::vector<double> w = reconstruct_prefix(s.tensors[k], 0);
                Matrix& target = m.layers[s.r.layers[k]].weight;
                for (Eigen::Index j = 0; j < target.size(); ++j)
                    target.data()[j] = static_cast<float>(w[static_cast<std::size_t>(j)]);
            }
            s.r.fgq_accuracy = accuracy(m, s.test, s.eval);
        }
    } else if (s.evaluated < s.evaluations()) {
        s.evaluate(s.evaluated++);
    }
    return Status::success();
}

}  // namespace qlab
