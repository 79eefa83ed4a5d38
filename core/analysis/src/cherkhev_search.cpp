// A randomised search for quantized perceptron runs with more mistakes than Cherkhev's Theorem 1
// allows (see cherkhev.hpp). Every run goes through QuantizedLinearJob, the lab's own perceptron.
#include <algorithm>
#include <cmath>
#include <string>

#include "qlab/cherkhev.hpp"
#include "qlab/format.hpp"
#include "qlab/perceptron.hpp"
#include "qlab/random.hpp"

namespace qlab {
namespace {

using Vec = std::vector<double>;

Vec random_unit(Rng& rng, int d) {
    Vec v(static_cast<std::size_t>(d));
    double n = 0;
    for (double& c : v) c = rng.normal(), n += c * c;
    n = std::sqrt(n);
    for (double& c : v) c /= n;
    return v;
}

int uniform_int(Rng& rng, int lo, int hi) {  // inclusive
    return lo + static_cast<int>(rng.next_u64() % static_cast<std::uint64_t>(hi - lo + 1));
}

Dataset make_set(const std::vector<Vec>& points, const std::vector<int>& labels, int d) {
    Dataset out;
    out.name = "search";
    out.features = d;
    out.classes = 2;
    for (std::size_t i = 0; i < points.size(); ++i) {
        for (double c : points[i]) out.x.push_back(static_cast<float>(c));
        out.y.push_back(labels[i]);
    }
    return out;
}

// Points of a ball of radius `scale` at least `gap` away from a random hyperplane through 0.
Dataset near_plane(Rng& rng, int d, int n, double scale) {
    const Vec w = random_unit(rng, d);
    const double gap = scale * (0.01 + 0.2 * rng.uniform());
    std::vector<Vec> pts;
    std::vector<int> labels;
    for (int attempt = 0; static_cast<int>(pts.size()) < n && attempt < 100000; ++attempt) {
        Vec v = random_unit(rng, d);
        const double r = scale * std::pow(rng.uniform(), 1.0 / d);
        double s = 0;
        for (std::size_t j = 0; j < v.size(); ++j) v[j] *= r, s += v[j] * w[j];
        if (std::fabs(s) < gap) continue;
        pts.push_back(v);
        labels.push_back(s > 0 ? 1 : 0);
    }
    return make_set(pts, labels, d);
}

// n = d signed points z_i = g w + sqrt(1 - g^2) v_i with the v_i a regular simplex orthogonal to
// w (<v_i, v_j> = -1 / (n - 1)): every pair has a negative inner product when g is small, so the
// perceptron errs on each of them before it separates them. Labels are random signs, x = y z.
Dataset simplex(Rng& rng, int d, double scale) {
    const int n = d;
    // A random orthonormal basis (Gram-Schmidt): basis[0] is the separating direction, the
    // simplex lies in the span of the others.
    std::vector<Vec> basis;
    while (static_cast<int>(basis.size()) < d) {
        Vec v = random_unit(rng, d);
        for (const Vec& b : basis) {
            double p = 0;
            for (int j = 0; j < d; ++j) p += v[j] * b[j];
            for (int j = 0; j < d; ++j) v[j] -= p * b[j];
        }
        double nn = 0;
        for (double c : v) nn += c * c;
        if (nn < 1e-12) continue;
        for (double& c : v) c /= std::sqrt(nn);
        basis.push_back(v);
    }
    const double g = 0.02 + 0.4 * rng.uniform() / std::sqrt(static_cast<double>(n));
    std::vector<Vec> pts;
    std::vector<int> labels;
    const int m = n - 1;  // simplex of n points in m = n - 1 dimensions
    for (int i = 0; i < n; ++i) {
        // Vertex i of a regular simplex in m dimensions: column i of the Helmert basis of the
        // plane orthogonal to (1, ..., 1) in R^n, q_k = (1, ..., 1, -k, 0, ...) / sqrt(k (k + 1)).
        Vec s(static_cast<std::size_t>(m), 0.0);
        for (int k = 1; k <= m; ++k) {
            const double q = i < k ? 1.0 : i == k ? -static_cast<double>(k) : 0.0;
            s[static_cast<std::size_t>(k - 1)] = q / std::sqrt(static_cast<double>(k) * (k + 1));
        }
        double nn = 0;
        for (double c : s) nn += c * c;
        for (double& c : s) c /= std::sqrt(nn);
        Vec z(static_cast<std::size_t>(d), 0.0);
        for (int j = 0; j < d; ++j) {
            z[j] += g * basis[0][j];
            for (int k = 0; k < m; ++k) z[j] += std::sqrt(1 - g * g) * s[k] * basis[k + 1][j];
        }
        const int y = rng.uniform() < 0.5 ? 1 : 0;
        for (double& c : z) c *= (y ? 1 : -1) * scale;
        pts.push_back(z);
        labels.push_back(y);
    }
    return make_set(pts, labels, d);
}

std::string number_text(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4g", v);
    return b;
}

// A format whose range covers the data (scale) with some room for the weights.
std::string random_format(Rng& rng, double scale) {
    switch (uniform_int(rng, 0, 3)) {
        case 0: {  // a lattice with an odd number of points: 0 is an atom
            const int p = 2 * uniform_int(rng, 4, 128) + 1;
            return "lattice:range=" + number_text(scale * (1 + 3 * rng.uniform())) +
                   ",points=" + std::to_string(p);
        }
        case 1: {  // an even number of points: no atom at 0, the start is q(0) != 0
            const int p = 2 * uniform_int(rng, 4, 128);
            return "lattice:range=" + number_text(scale * (1 + 3 * rng.uniform())) +
                   ",points=" + std::to_string(p);
        }
        case 2:  // Cherkhev's floats: no subnormals, saturating
            return "float:e=" + std::to_string(uniform_int(rng, 3, 5)) +
                   ",m=" + std::to_string(uniform_int(rng, 1, 5)) + ",sub=0,sat=1";
        default: {  // a random symmetric codebook with 0
            const int k = uniform_int(rng, 3, 24);
            std::vector<double> v = {0};
            for (int i = 0; i < k; ++i) {
                const double a = scale * 3 * rng.uniform();
                v.push_back(a), v.push_back(-a);
            }
            std::sort(v.begin(), v.end());
            std::string spec = "codebook:values=";
            for (std::size_t i = 0; i < v.size(); ++i) spec += (i ? ";" : "") + number_text(v[i]);
            return spec;
        }
    }
}

}  // namespace

Result<Theorem1Run> theorem1_run(const Dataset& data, const std::string& format,
                                 std::uint64_t order_seed, int max_passes) {
    QuantizedLinearOptions o;
    o.format = format;
    o.epochs = max_passes;
    o.seed = order_seed;
    auto r = train_quantized_perceptron(data, nullptr, o);
    if (!r) return r.status();
    Theorem1Run run;
    run.format = format;
    run.data = data;
    run.order_seed = order_seed;
    run.mistakes = r->updates;
    run.converged = r->converged;
    run.margin = r->margin;
    run.delta = r->delta;
    run.radius = r->radius;
    run.start_norm = r->start_norm;
    run.paper_bound = r->mistake_bound;
    run.safe_bound = r->mistake_bound_safe;
    return run;
}

struct Theorem1SearchJob::State {
    Theorem1SearchOptions o;
    Rng rng;
    int done = 0;
    Theorem1SearchResult r;
    explicit State(const Theorem1SearchOptions& options) : o(options), rng(options.seed) {}
};

Theorem1SearchJob::Theorem1SearchJob(const Theorem1SearchOptions& options)
    : s_(std::make_unique<State>(options)) {
    if (options.trials < 0 || options.refine < 0 || options.formats < 1 || options.orders < 1 ||
        options.max_dimension < 2 || options.max_points < 3 || options.max_passes < 1) {
        fail_now(Status::error(
            "search options: need trials >= 0, refine >= 0, formats >= 1, orders >= 1, "
            "max_dimension >= 2, max_points >= 3 and max_passes >= 1"));
        return;
    }
    if (options.trials + options.refine == 0) finish_now();
}

Theorem1SearchJob::~Theorem1SearchJob() = default;

JobProgress Theorem1SearchJob::progress() const {
    JobProgress p;
    p.done = s_->done;
    p.total = s_->o.trials + s_->o.refine;
    p.stage = s_->done < s_->o.trials
                  ? "data set " + std::to_string(s_->done) + " of " + std::to_string(s_->o.trials)
                  : "refining: step " + std::to_string(s_->done - s_->o.trials) + " of " +
                        std::to_string(s_->o.refine);
    return p;
}

// Moves one point of the closest in-scope run a little (its label unchanged) or tries another
// order, and keeps the change when the run stays in scope and comes closer to the bound.
Status Theorem1SearchJob::refine_step() {
    State& s = *s_;
    Theorem1SearchResult& r = s.r;
    if (!r.found_worst) return Status::success();
    Rng& rng = s.rng;
    const Theorem1Run& best = r.worst;
    Dataset data = best.data;
    std::uint64_t order = best.order_seed;
    if (rng.uniform() < 0.3) {
        order = rng.next_u64() >> 11;
    } else {
        const std::size_t i = rng.next_u64() % data.size();
        const double step = best.radius * (0.002 + 0.1 * rng.uniform());
        for (int j = 0; j < data.features; ++j)
            data.x[i * static_cast<std::size_t>(data.features) + static_cast<std::size_t>(j)] +=
                static_cast<float>(step * rng.normal());
    }
    auto result = theorem1_run(data, best.format, order, s.o.max_passes);
    if (!result) return Status::success();  // e.g. a moved point made the set one class
    Theorem1Run run = std::move(result).value();
    run.generator = best.generator.find("refined") == std::string::npos
                        ? best.generator + ", refined"
                        : best.generator;
    ++r.runs;
    if (std::isfinite(run.safe_bound)) {
        ++r.safe_in_scope;
        if (run.mistakes > run.safe_bound) ++r.above_safe;
        if (run.safe_bound >= s.o.min_bound && run.safe_ratio() > r.worst_safe.safe_ratio())
            r.worst_safe = run, r.found_worst_safe = true;
    }
    if (!std::isfinite(run.paper_bound) || run.start_norm != 0) return Status::success();
    ++r.in_scope;
    if (run.mistakes > run.paper_bound) ++r.above_paper;
    if (run.paper_bound >= s.o.min_bound && run.paper_ratio() > best.paper_ratio())
        r.worst = std::move(run), ++r.refinements_kept;
    return Status::success();
}

const Theorem1SearchResult& Theorem1SearchJob::result() const {
    return s_->r;
}

bool Theorem1SearchJob::is_done() const {
    return s_->done >= s_->o.trials + s_->o.refine;
}

Status Theorem1SearchJob::do_unit() {
    State& s = *s_;
    Rng& rng = s.rng;
    if (s.done++ >= s.o.trials) return refine_step();
    const int d = uniform_int(rng, 2, s.o.max_dimension);
    const double scale = 0.25 + 4 * rng.uniform();
    const bool use_simplex = rng.uniform() < 0.4;
    Dataset data = use_simplex ? simplex(rng, d, scale)
                               : near_plane(rng, d, uniform_int(rng, 3, s.o.max_points), scale);
    if (data.size() < 2) return Status::success();
    Theorem1SearchResult& r = s.r;
    for (int f = 0; f < s.o.formats; ++f) {
        const std::string format = random_format(rng, scale);
        for (int k = 0; k < s.o.orders; ++k) {
            const std::uint64_t order_seed = rng.next_u64() >> 11;
            auto result = theorem1_run(data, format, order_seed, s.o.max_passes);
            if (!result) return Status::error(format + ": " + result.status().message());
            Theorem1Run run = std::move(result).value();
            run.generator = use_simplex ? "simplex" : "near-plane";
            ++r.runs;
            if (std::isfinite(run.safe_bound)) {
                ++r.safe_in_scope;
                if (run.mistakes > run.safe_bound) ++r.above_safe;
                if (run.safe_bound >= s.o.min_bound &&
                    (!r.found_worst_safe || run.safe_ratio() > r.worst_safe.safe_ratio()))
                    r.worst_safe = run, r.found_worst_safe = true;
            }
            if (!std::isfinite(run.paper_bound)) continue;  // delta >= gamma
            const bool at_zero = run.start_norm == 0;
            (at_zero ? r.in_scope : r.in_scope_even)++;
            if (run.mistakes > run.paper_bound) (at_zero ? r.above_paper : r.above_paper_even)++;
            if (run.paper_bound < s.o.min_bound) continue;
            Theorem1Run& worst = at_zero ? r.worst : r.worst_even;
            bool& found = at_zero ? r.found_worst : r.found_worst_even;
            if (!found || run.paper_ratio() > worst.paper_ratio())
                worst = std::move(run), found = true;
        }
    }
    return Status::success();
}

}  // namespace qlab
