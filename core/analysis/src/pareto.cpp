// The Pareto job: a list of format evaluations on one model's weights, one per unit, each a
// point (bits per weight, test accuracy), and the non-dominated frontier kept after every unit.
#include "qlab/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "analysis_common.hpp"
#include "qlab/calibration.hpp"
#include "qlab/lin.hpp"

namespace qlab {

std::vector<std::size_t> pareto_frontier(const std::vector<ParetoPoint>& points) {
    std::vector<std::size_t> order(points.size());
    std::iota(order.begin(), order.end(), 0);
    // Fewest bits first; at equal bits the most accurate first, so a sweep keeps a point exactly
    // when it is more accurate than everything with fewer or equal bits.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (points[a].bits_per_weight != points[b].bits_per_weight)
            return points[a].bits_per_weight < points[b].bits_per_weight;
        return points[a].accuracy > points[b].accuracy;
    });
    std::vector<std::size_t> frontier;
    double best = -INFINITY;
    for (std::size_t i : order) {
        if (!std::isfinite(points[i].bits_per_weight) || !std::isfinite(points[i].accuracy))
            continue;
        if (points[i].accuracy > best) {
            frontier.push_back(i);
            best = points[i].accuracy;
        }
    }
    return frontier;
}

namespace {

std::size_t weight_count(const Model& model) {
    std::size_t n = 0;
    for (const Layer& L : model.layers) n += static_cast<std::size_t>(L.weight.size());
    return n;
}

}  // namespace

double model_bits_per_weight(const Model& model, const Format& format) {
    const std::size_t block = format.data_dependent() ? format.block_size() : 0;
    // A block format's per-tensor scale: bits_per_value(B) - bits_per_value(0) is its share of
    // one whole block (0 for MX, bfp and groups; NVFP4's FP32 scale).
    const double tensor_bits = block ? static_cast<double>(block) *
                                           (format.bits_per_value(block) - format.bits_per_value(0))
                                     : 0;
    double bits = 0;
    std::size_t n = 0;
    for (const Layer& L : model.layers) {
        const auto size = static_cast<std::size_t>(L.weight.size());
        if (size == 0) continue;
        if (block == 0) {
            bits += static_cast<double>(size) * format.bits_per_value(size);
        } else {
            // Blocks run along each row (Format::quantize_rows): a row's last partial block pays a
            // whole scale, the per-tensor scale is paid once.
            const auto rows = static_cast<double>(L.weight.rows());
            const auto cols = static_cast<std::size_t>(L.weight.cols());
            bits += rows * static_cast<double>(cols) * format.bits_per_value(cols) -
                    (rows - 1) * tensor_bits;
        }
        n += size;
    }
    return n ? bits / static_cast<double>(n) : 0;
}

std::vector<ParetoCandidate> pareto_candidates() {
    std::vector<ParetoCandidate> wanted;
    for (int e = 2; e <= 4; ++e)
        for (int m = 1; m <= 3; ++m)
            wanted.push_back({"float", "float:e=" + std::to_string(e) + ",m=" + std::to_string(m)});
    for (int k : {2, 4, 8, 16})
        wanted.push_back({"codebook", "codebook:kmeans=" + std::to_string(k)});
    for (int w = 3; w <= 8; ++w)
        wanted.push_back({"bfp", "bfp:w=" + std::to_string(w) + ",block=16"});
    for (const char* spec : {"mxfp4", "mxfp6:e2m3", "mxfp8:e4m3", "nvfp4", "int:b=4,group=32"})
        wanted.push_back({"block-scaled", spec});
    std::vector<ParetoCandidate> out;
    for (ParetoCandidate& c : wanted)
        if (Format::parse(c.spec)) out.push_back(std::move(c));
    return out;
}

struct ParetoJob::State {
    enum class Kind { format, lin_fixed, int_per_channel, ternary_build, ternary_level };
    struct Task {
        Kind kind = Kind::format;
        std::string family, spec;
        int bits = 0;  // lin_fixed, int_per_channel; the level for ternary_level
    };
    const Model& model;
    const Dataset& test;
    ParetoOptions options;
    std::vector<Task> tasks;
    std::size_t next = 0;
    KunduResult ternary;
    ParetoResult result;
    State(const Model& m, const Dataset& d, const ParetoOptions& o)
        : model(m), test(d), options(o) {}

    void add(const ParetoPoint& p) {
        result.points.push_back(p);
        result.frontier = pareto_frontier(result.points);
    }
    Status run(const Task& t);
    void run_format(const Task& t);
    LayerFormats per_layer_formats(const Layer& L, const Task& t, double& rows) const;
    void run_per_layer(const Task& t);
    void build_ternary();
    void run_ternary_level(const Task& t);
};

// A format spec for every weight; its bits per weight, a k-means codebook's centres included.
void ParetoJob::State::run_format(const Task& t) {
    const double n = static_cast<double>(result.weights);
    auto f = Format::parse(t.spec);
    if (!f) {
        result.skipped.push_back(t.spec + ": " + f.status().message());
        return;
    }
    EvalOptions eval;
    eval.roles.weights = t.spec;
    double bits = model_bits_per_weight(model, *f);
    // A k-means codebook stores its K centres (FP32) once per layer.
    if (f->kind() == "codebook" && f->data_dependent()) {
        std::size_t layers = 0;
        for (const Layer& L : model.layers) layers += L.weight.size() > 0;
        bits += 32.0 * f->atom_count() * static_cast<double>(layers) / n;
    }
    add({t.family, f->to_string(), bits, accuracy(model, test, eval)});
}

// Layer L's weight formats at t.bits: Lin's fixed point per layer, or an int scale per output
// channel (its rows counted into `rows`).
LayerFormats ParetoJob::State::per_layer_formats(const Layer& L, const Task& t,
                                                 double& rows) const {
    LayerFormats lf;
    if (L.weight.size() == 0) return lf;
    if (t.kind == Kind::lin_fixed) {
        // Lin §3.3: the layer's own fractional length from its weights' spread.
        lf.weights = lin_fixed_format(
            std::vector<double>(L.weight.data(), L.weight.data() + L.weight.size()), t.bits);
        return lf;
    }
    // One symmetric int scale per output channel from the row's largest
    // magnitude (min-max, the usual weight observer; an MSE search per row
    // costs ~100 format evaluations a row, a frame's worth on MNIST).
    CalibrationOptions o;
    o.method = Calibration::minmax;
    o.bits = t.bits;
    for (Eigen::Index r = 0; r < L.weight.rows(); ++r) {
        const auto row = L.weight.row(r);
        lf.weight_rows.push_back(
            calibrate_tensor(std::vector<float>(row.data(), row.data() + row.size()), o));
    }
    rows += static_cast<double>(L.weight.rows());
    return lf;
}

// Formats chosen per layer (lin_fixed) or per output channel (int_per_channel).
void ParetoJob::State::run_per_layer(const Task& t) {
    const double n = static_cast<double>(result.weights);
    EvalOptions eval;
    double rows = 0;
    for (const Layer& L : model.layers) eval.layers.push_back(per_layer_formats(L, t, rows));
    const std::string spec = t.kind == Kind::lin_fixed
                                 ? "fixed:w=" + std::to_string(t.bits) + " (Lin, per layer)"
                                 : "int:b=" + std::to_string(t.bits) + " (per channel)";
    // The per-channel scales are FP32; Lin's per-layer fractional length is a few bits per
    // layer.
    const double bits = t.bits + (t.kind == Kind::int_per_channel ? 32.0 * rows / n : 0.0);
    add({t.family, spec, bits, accuracy(model, test, eval)});
}

// Kundu's ternary residuals of every weighted layer, and a task per residual level.
void ParetoJob::State::build_ternary() {
    int deepest = 0;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Matrix& w = model.layers[l].weight;
        if (w.size() == 0) continue;
        KunduLayer kl;
        kl.layer = l;
        kl.tensor = ternary_residual(std::vector<double>(w.data(), w.data() + w.size()),
                                     options.ternary_options);
        deepest = std::max(deepest, kl.tensor.max_residuals());
        ternary.layers.push_back(std::move(kl));
    }
    for (int level = 0; level <= deepest; ++level) {
        Task level_task;
        level_task.kind = Kind::ternary_level;
        level_task.family = "ternary";
        level_task.bits = level;
        tasks.push_back(level_task);
    }
}

void ParetoJob::State::run_ternary_level(const Task& t) {
    const double n = static_cast<double>(result.weights);
    // Kundu Table 2's size with the level's terms per block, over every weight.
    double bits = 0;
    for (const KunduLayer& kl : ternary.layers)
        for (const ResidualBlock& b : kl.tensor.blocks)
            bits +=
                (1 + std::min(t.bits, b.residuals())) * (8.0 + 2.0 * static_cast<double>(b.size));
    const std::string spec = "ternary:block=" + std::to_string(options.ternary_options.block) +
                             ",level=" + std::to_string(t.bits);
    add({t.family, spec, bits / n, accuracy(residual_model(model, ternary, t.bits), test)});
}

Status ParetoJob::State::run(const Task& t) {
    switch (t.kind) {
        case Kind::format:
            run_format(t);
            break;
        case Kind::lin_fixed:
        case Kind::int_per_channel:
            run_per_layer(t);
            break;
        case Kind::ternary_build:
            build_ternary();
            break;
        case Kind::ternary_level:
            run_ternary_level(t);
            break;
    }
    return Status::success();
}

ParetoJob::ParetoJob(const Model& model, const Dataset& test, const ParetoOptions& options)
    : s_(std::make_unique<State>(model, test, options)) {
    if (Status st = detail::check_model_data(model, test); !st) {
        fail_now(std::move(st));
        return;
    }
    if (options.min_bits < 2 || options.max_bits > 16 || options.min_bits > options.max_bits) {
        fail_now(Status::error("bit widths must lie in 2..16"));
        return;
    }
    State& s = *s_;
    s.result.weights = weight_count(model);
    if (s.result.weights == 0) {
        fail_now(Status::error("the model has no weights"));
        return;
    }
    using Kind = State::Kind;
    for (int b = options.min_bits; b <= options.max_bits && options.lin_fixed; ++b)
        s.tasks.push_back({Kind::lin_fixed, "fixed (Lin)", "", b});
    for (int b = options.min_bits; b <= options.max_bits && options.calibrated_int; ++b)
        s.tasks.push_back({Kind::int_per_channel, "int per-channel", "", b});
    const std::vector<ParetoCandidate> candidates =
        options.candidates.empty() ? pareto_candidates() : options.candidates;
    for (const ParetoCandidate& c : candidates)
        s.tasks.push_back({Kind::format, c.family, c.spec, 0});
    if (options.ternary) s.tasks.push_back({Kind::ternary_build, "ternary", "", 0});
    s.result.float_accuracy = accuracy(model, test);
    if (s.tasks.empty()) finish_now();
}

ParetoJob::~ParetoJob() = default;

JobProgress ParetoJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    p.done = static_cast<long long>(s.next);
    p.total = static_cast<long long>(s.tasks.size());
    if (s.next < s.tasks.size()) {
        const State::Task& t = s.tasks[s.next];
        p.stage = t.kind == State::Kind::ternary_build ? "Algorithm 2 on every layer"
                  : t.spec.empty() ? t.family + " " + std::to_string(t.bits) + " bits"
                                   : t.spec;
        if (t.kind == State::Kind::ternary_level)
            p.stage = "ternary level " + std::to_string(t.bits);
    } else {
        p.stage = "done";
    }
    return p;
}

const ParetoResult& ParetoJob::result() const {
    return s_->result;
}

Status ParetoJob::do_unit() {
    State& s = *s_;
    if (s.next >= s.tasks.size()) return Status::success();
    const State::Task task = s.tasks[s.next];  // a copy: ternary_build appends to the list
    ++s.next;
    return s.run(task);
}

bool ParetoJob::is_done() const {
    return s_->next >= s_->tasks.size();
}

}  // namespace qlab
