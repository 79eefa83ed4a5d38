// Quantized perceptron and Frank-Wolfe (Cherkhev §3.3-3.4) and the max-margin computation.
#include "qlab/perceptron.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <set>

namespace qlab {
namespace {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

struct Prepared {
    Format format;
    std::vector<Vec> x;      // r(q(x_i))
    std::vector<int> sign;   // y_i in {-1, +1}
    std::vector<Vec> atoms;  // vector atoms (Cherkhev Fig. 3), empty for coordinate formats
};

std::size_t nearest_atom(const std::vector<Vec>& atoms, const Vec& v) {
    std::size_t best = 0;
    double best_d = INFINITY;
    for (std::size_t a = 0; a < atoms.size(); ++a) {
        double d = 0;
        for (std::size_t j = 0; j < v.size(); ++j) d += (v[j] - atoms[a][j]) * (v[j] - atoms[a][j]);
        if (d < best_d) best_d = d, best = a;  // ties keep the first atom: deterministic
    }
    return best;
}

// k-means (Lloyd) in d dimensions on one class's examples, seeded with distinct examples.
std::vector<Vec> kmeans_vectors(const std::vector<Vec>& points, int k, Rng& rng) {
    std::vector<Vec> centres;
    std::vector<std::size_t> picks(points.size());
    std::iota(picks.begin(), picks.end(), 0);
    for (std::size_t i = picks.size(); i > 1; --i)
        std::swap(picks[i - 1], picks[static_cast<std::size_t>(rng.next_u64() % i)]);
    for (std::size_t i = 0; i < picks.size() && static_cast<int>(centres.size()) < k; ++i)
        if (std::find(centres.begin(), centres.end(), points[picks[i]]) == centres.end())
            centres.push_back(points[picks[i]]);
    for (int it = 0; it < 100; ++it) {
        std::vector<Vec> sum(centres.size(), Vec(points.front().size(), 0.0));
        std::vector<int> count(centres.size(), 0);
        for (const Vec& p : points) {
            const std::size_t a = nearest_atom(centres, p);
            for (std::size_t j = 0; j < p.size(); ++j) sum[a][j] += p[j];
            ++count[a];
        }
        bool moved = false;
        for (std::size_t a = 0; a < centres.size(); ++a) {
            if (!count[a]) continue;  // an empty cluster keeps its centre
            for (double& c : sum[a]) c /= count[a];
            moved = moved || sum[a] != centres[a];
            centres[a] = sum[a];
        }
        if (!moved) break;
    }
    return centres;
}

Result<Prepared> prepare(const Dataset& data, const QuantizedLinearOptions& o, const Format* fitted,
                         const std::vector<Vec>* atoms = nullptr) {
    if (data.classes != 2)
        return Status::error("data '" + data.name + "' has " + std::to_string(data.classes) +
                             " classes; the perceptron and Frank-Wolfe need exactly 2");
    if (data.size() == 0) return Status::error("data '" + data.name + "' is empty");
    Format format = *Format::parse("fixed:w=8,f=4");
    if (fitted) {
        format = *fitted;
    } else {
        auto parsed = Format::parse(o.format);
        if (!parsed) return parsed.status();
        format = *parsed;
        if (format.data_dependent()) format = format.fit(Vec(data.x.begin(), data.x.end()));
    }
    Prepared p{format, {}, {}, {}};
    Rng rng(o.seed ^ 0x5eedull);
    if (o.vector_kmeans > 0) {
        if (atoms) {
            p.atoms = *atoms;
        } else {
            for (int cls : {0, 1}) {
                std::vector<Vec> points;
                for (std::size_t i = 0; i < data.size(); ++i)
                    if (data.y[i] == cls)
                        points.emplace_back(data.row(i), data.row(i) + data.features);
                if (points.empty())
                    return Status::error("data '" + data.name + "' has no example of class " +
                                         std::to_string(cls));
                for (Vec& c : kmeans_vectors(points, o.vector_kmeans, rng))
                    p.atoms.push_back(std::move(c));
            }
        }
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
        Vec v(data.row(i), data.row(i) + data.features);
        if (!p.atoms.empty())
            v = p.atoms[nearest_atom(p.atoms, v)];
        else
            for (std::size_t j = 0; j < v.size(); ++j)
                v[j] = format.quantize_ref(v[j], o.rounding, &rng);
        p.x.push_back(std::move(v));
        p.sign.push_back(data.y[i] == 1 ? 1 : -1);
    }
    return p;
}

double accuracy(const Vec& w, const Prepared& p) {
    std::size_t right = 0;
    for (std::size_t i = 0; i < p.x.size(); ++i) right += (p.sign[i] * dot(w, p.x[i]) > 0);
    return p.x.empty() ? 0 : static_cast<double>(right) / static_cast<double>(p.x.size());
}

double max_abs(const std::vector<Vec>& rows) {
    double m = 0;
    for (const Vec& v : rows)
        for (double c : v) m = std::max(m, std::fabs(c));
    return m;
}

// delta over the box [-B, B]^d the run used (B: the largest coordinate of any feature or exact
// update), which is where Theorem 1's quantized updates happen; over a float's whole range it would
// be astronomically large and say nothing. It is taken for the rounding the run uses: nearest
// rounding errs by at most half a step, rtz/up/down and stochastic rounding by up to a full step.
// Vector atoms: the largest error that occurred (a lower estimate of eq. 1's worst case).
double delta_over_box(const Prepared& p, double delta_box, double observed_delta,
                      Rounding rounding) {
    if (!p.atoms.empty()) return observed_delta;
    const double d = static_cast<double>(p.x.front().size());
    return std::sqrt(d) * p.format.worst_case_error(-delta_box, delta_box, rounding);
}

double norm(const Vec& v) {
    return std::sqrt(dot(v, v));
}

// Fills in margin, radius, delta and the bounds, which both algorithms report.
void describe(QuantizedLinearResult& r, const Prepared& p, const Prepared* test, double box,
              double margin, double radius, double max_abs_x, Rounding rounding) {
    r.radius = radius;
    r.margin = margin;
    r.delta_box = std::max(box, max_abs_x);
    r.delta = delta_over_box(p, r.delta_box, r.observed_delta, rounding);
    r.delta_is_lower_estimate = !p.atoms.empty();
    if (!p.atoms.empty()) r.vector_atoms = p.atoms;
    r.mistake_bound = perceptron_mistake_bound(r.margin, r.delta, r.radius);
    r.mistake_bound_safe = perceptron_mistake_bound_safe(r.margin, r.delta, r.radius, r.start_norm);
    r.format = p.atoms.empty()
                   ? p.format.to_string()
                   : "vector atoms: " + std::to_string(p.atoms.size()) + " k-means centres";
    r.train_accuracy = accuracy(r.weights, p);
    if (test) r.test_accuracy = accuracy(r.weights, *test);
}

}  // namespace

double perceptron_mistake_bound(double margin, double delta, double radius) {
    return margin > delta ? std::pow(radius / (margin - delta), 2) : INFINITY;
}

double perceptron_mistake_bound_safe(double margin, double delta, double radius,
                                     double start_norm) {
    const double g = margin - 2 * delta;
    if (!(g > 0)) return INFINITY;
    const double root = (radius + std::sqrt(radius * radius + 8 * start_norm * g)) / (2 * g);
    return root * root;
}

double max_margin(const std::vector<std::vector<double>>& z, int iterations) {
    if (z.empty()) return 0;
    Vec w = z[0];
    for (int it = 0; it < iterations; ++it) {
        std::size_t best = 0;
        double lowest = INFINITY;
        for (std::size_t i = 0; i < z.size(); ++i) {
            const double s = dot(w, z[i]);
            if (s < lowest) lowest = s, best = i;
        }
        const double ww = dot(w, w);
        if (ww <= 1e-300) return 0;  // the hull holds the origin: not separable through it
        // Duality gap ||w||^2 - min <w, z_i> bounds how far ||w|| is from the distance.
        if (ww - lowest <= 1e-12 * ww) break;
        Vec diff(w.size());
        for (std::size_t j = 0; j < w.size(); ++j) diff[j] = w[j] - z[best][j];
        const double dd = dot(diff, diff);
        if (dd <= 0) break;
        const double alpha = std::clamp(dot(w, diff) / dd, 0.0, 1.0);
        for (std::size_t j = 0; j < w.size(); ++j) w[j] -= alpha * diff[j];
    }
    const double norm = std::sqrt(dot(w, w));
    if (norm <= 0) return 0;
    double margin = INFINITY;
    for (const Vec& v : z) margin = std::min(margin, dot(v, w) / norm);
    return margin;
}

struct QuantizedLinearJob::State {
    QuantizedLinearAlgorithm algorithm;
    QuantizedLinearOptions o;
    const Dataset& train;
    std::optional<Prepared> p, test;
    Rng rng;
    Vec w;
    QuantizedLinearResult r;  // the counters and history so far; result() adds the rest
    std::set<Vec> sink_set;
    std::vector<Vec> sinks;
    double box = 0;
    double radius = 0, max_abs_x = 0;
    mutable std::optional<double> margin;
    mutable double delta_cached_box = -1, delta_cached = 0;
    std::vector<std::size_t> order;
    int epoch = 1;
    std::size_t pos = 0;  // perceptron: examples of this pass visited
    bool epoch_started = false;
    EpochRecord record;
    long long last = -1;
    bool done = false;

    State(QuantizedLinearAlgorithm a, const QuantizedLinearOptions& options, const Dataset& t)
        : algorithm(a), o(options), train(t), rng(options.seed) {}

    Vec quantize(const Vec& v) {
        Vec out(v.size());
        for (std::size_t j = 0; j < v.size(); ++j)
            out[j] = p->format.quantize_ref(v[j], o.rounding, &rng);
        return out;
    }
    void stalled_at(const Vec& at) {
        if (sink_set.insert(at).second) sinks.push_back(at);
    }
    void perceptron_unit();
    void frank_wolfe_unit();
};

QuantizedLinearJob::QuantizedLinearJob(const Dataset& train, const Dataset* test,
                                       const QuantizedLinearOptions& o,
                                       QuantizedLinearAlgorithm algorithm)
    : s_(std::make_unique<State>(algorithm, o, train)) {
    State& s = *s_;
    const bool fw = algorithm == QuantizedLinearAlgorithm::frank_wolfe;
    if (fw && o.vector_kmeans > 0) {
        fail_now(Status::error("vector atoms (k-means centres) are for the perceptron only"));
        return;
    }
    auto prepared = prepare(train, o, nullptr);
    if (!prepared) {
        fail_now(prepared.status());
        return;
    }
    s.p = std::move(prepared).value();
    const Prepared& p = *s.p;
    if (test) {
        auto t = fw ? prepare(*test, o, &p.format) : prepare(*test, o, &p.format, &p.atoms);
        if (!t) {
            fail_now(t.status());
            return;
        }
        s.test = std::move(t).value();
    }
    for (std::size_t i = 0; i < p.x.size(); ++i)
        s.radius = std::max(s.radius, std::sqrt(dot(p.x[i], p.x[i])));
    s.max_abs_x = max_abs(p.x);
    if (fw) {
        // w0 = q(r(x_i)) for the positive example of smallest norm.
        std::size_t start = p.x.size();
        for (std::size_t i = 0; i < p.x.size(); ++i)
            if (p.sign[i] > 0 &&
                (start == p.x.size() || dot(p.x[i], p.x[i]) < dot(p.x[start], p.x[start])))
                start = i;
        if (start == p.x.size()) {
            fail_now(Status::error("data '" + train.name + "' has no example of class 1"));
            return;
        }
        s.w = s.quantize(p.x[start]);
        s.done = o.steps <= 0;
    } else {
        s.w.assign(p.x.front().size(), 0.0);
        if (!p.atoms.empty()) {
            // The feature errors count toward delta too: x is stored as its nearest centre.
            for (std::size_t i = 0; i < p.x.size(); ++i) {
                double e2 = 0;
                for (std::size_t j = 0; j < s.w.size(); ++j)
                    e2 += std::pow(train.row(i)[j] - p.x[i][j], 2);
                s.r.observed_delta = std::max(s.r.observed_delta, std::sqrt(e2));
            }
            s.w = p.atoms[nearest_atom(p.atoms, s.w)];
        } else {
            // The atom nearest 0: 0 itself when it is an atom, else (even lattices) +-step/2,
            // a start Theorem 1's proof does not cover (start_norm, the safe bound).
            for (double& c : s.w) c = p.format.quantize_ref(0.0, o.rounding, &s.rng);
        }
        s.r.start_norm = norm(s.w);
        s.order.resize(p.x.size());
        std::iota(s.order.begin(), s.order.end(), 0);
        s.done = o.epochs <= 0;
    }
    s.r.weights = s.w;
    if (s.done) finish_now();
}

QuantizedLinearJob::~QuantizedLinearJob() = default;

Status QuantizedLinearJob::do_unit() {
    if (s_->algorithm == QuantizedLinearAlgorithm::perceptron)
        s_->perceptron_unit();
    else
        s_->frank_wolfe_unit();
    return Status::success();
}

void QuantizedLinearJob::State::perceptron_unit() {
    const Prepared& P = *p;
    if (!epoch_started) {
        if (o.shuffle)
            for (std::size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[static_cast<std::size_t>(rng.next_u64() % i)]);
        record = EpochRecord{};
        record.epoch = epoch;
        pos = 0;
        epoch_started = true;
    }
    const std::size_t i = order[pos++];
    last = static_cast<long long>(i);
    const Vec& x = P.x[i];
    const int y = P.sign[i];
    // A zero score counts as a mistake, so w = 0 learns (the paper's rule is a score < 0; see
    // perceptron.hpp: Theorem 1's argument holds for both).
    if (!(y * dot(w, x) > 0)) {
        ++record.mistakes;
        ++r.updates;
        Vec next(w.size()), exact(w.size());
        double error2 = 0;
        for (std::size_t j = 0; j < w.size(); ++j) {
            exact[j] = w[j] + y * x[j];
            box = std::max(box, std::fabs(exact[j]));
            if (P.atoms.empty()) next[j] = P.format.quantize_ref(exact[j], o.rounding, &rng);
        }
        if (!P.atoms.empty()) next = P.atoms[nearest_atom(P.atoms, exact)];
        for (std::size_t j = 0; j < w.size(); ++j)
            error2 += (next[j] - exact[j]) * (next[j] - exact[j]);
        r.observed_delta = std::max(r.observed_delta, std::sqrt(error2));
        if (next == w) {
            ++record.stalled;
            ++r.stalled_updates;
            stalled_at(w);
        }
        w = std::move(next);
    }
    if (pos < order.size()) return;
    // The end of a pass.
    r.weights = w;
    record.train_accuracy = accuracy(w, P);
    r.history.push_back(record);
    r.epochs_run = epoch;
    epoch_started = false;
    if (record.mistakes == 0) {
        r.converged = true;
        done = true;
        return;
    }
    r.ended_in_sink = record.stalled == record.mistakes;
    if (epoch >= o.epochs)
        done = true;
    else
        ++epoch;
}

void QuantizedLinearJob::State::frank_wolfe_unit() {
    const Prepared& P = *p;
    std::size_t worst = 0;
    double lowest = INFINITY;
    for (std::size_t i = 0; i < P.x.size(); ++i) {
        const double sc = P.sign[i] * dot(w, P.x[i]);
        if (sc < lowest) lowest = sc, worst = i;
    }
    last = static_cast<long long>(worst);
    Vec z = P.x[worst];
    for (double& c : z) c *= P.sign[worst];
    // alpha = argmin over [0, 1] of ||alpha z + (1 - alpha) w||, in closed form.
    Vec diff(w.size());
    for (std::size_t j = 0; j < w.size(); ++j) diff[j] = w[j] - z[j];
    const double dd = dot(diff, diff);
    const double alpha = dd > 0 ? std::clamp(dot(w, diff) / dd, 0.0, 1.0) : 0.0;
    Vec a(w.size()), b(w.size());
    for (std::size_t j = 0; j < w.size(); ++j) a[j] = alpha * z[j], b[j] = (1 - alpha) * w[j];
    const Vec qa = quantize(a), qb = quantize(b);
    Vec sum(w.size());
    for (std::size_t j = 0; j < w.size(); ++j) sum[j] = qa[j] + qb[j];
    Vec next = quantize(sum);
    for (std::size_t j = 0; j < w.size(); ++j)
        box = std::max(
            {box, std::fabs(a[j]), std::fabs(b[j]), std::fabs(sum[j]), std::fabs(a[j] + b[j])});
    double error2 = 0;
    for (std::size_t j = 0; j < w.size(); ++j) error2 += std::pow(next[j] - (a[j] + b[j]), 2);
    r.observed_delta = std::max(r.observed_delta, std::sqrt(error2));
    ++r.updates;
    if (next == w) {
        ++r.stalled_updates;
        stalled_at(w);
        done = true;  // a fixed point: every later step would be the same
        return;
    }
    w = std::move(next);
    r.weights = w;
    if (r.updates >= o.steps) done = true;
}

bool QuantizedLinearJob::is_done() const {
    return s_->done;
}

JobProgress QuantizedLinearJob::progress() const {
    const State& s = *s_;
    JobProgress g;
    if (s.algorithm == QuantizedLinearAlgorithm::frank_wolfe) {
        g.total = std::max(0, s.o.steps);
        g.done = s.done ? g.total : s.r.updates;
        g.stage = "step " + std::to_string(s.r.updates) + " of " + std::to_string(s.o.steps);
        return g;
    }
    const auto n = static_cast<long long>(s.order.size());
    g.total = n * std::max(0, s.o.epochs);
    g.done =
        s.done ? g.total : n * (s.epoch - 1) + static_cast<long long>(s.epoch_started ? s.pos : 0);
    g.stage = (s.done ? "finished after pass " : "pass ") + std::to_string(s.epoch) + " of " +
              std::to_string(s.o.epochs);
    return g;
}

QuantizedLinearAlgorithm QuantizedLinearJob::algorithm() const {
    return s_->algorithm;
}
const std::vector<double>& QuantizedLinearJob::weights() const {
    return s_->w;
}
long QuantizedLinearJob::mistakes() const {
    return s_->r.updates;
}
long QuantizedLinearJob::stalled_updates() const {
    return s_->r.stalled_updates;
}
const std::vector<std::vector<double>>& QuantizedLinearJob::sinks() const {
    return s_->sinks;
}
int QuantizedLinearJob::epoch() const {
    return s_->epoch;
}
long long QuantizedLinearJob::last_example() const {
    return s_->last;
}
const std::vector<EpochRecord>& QuantizedLinearJob::history() const {
    return s_->r.history;
}
double QuantizedLinearJob::radius() const {
    return s_->radius;
}

double QuantizedLinearJob::margin() const {
    const State& s = *s_;
    if (!s.p) return 0;
    if (!s.margin) {
        std::vector<Vec> z;
        for (std::size_t i = 0; i < s.p->x.size(); ++i) {
            Vec v = s.p->x[i];
            for (double& c : v) c *= s.p->sign[i];
            z.push_back(std::move(v));
        }
        s.margin = max_margin(z);
    }
    return *s.margin;
}

double QuantizedLinearJob::delta() const {
    const State& s = *s_;
    if (!s.p) return 0;
    if (!s.p->atoms.empty()) return s.r.observed_delta;
    const double b = std::max(s.box, s.max_abs_x);
    if (b != s.delta_cached_box)
        s.delta_cached = delta_over_box(*s.p, b, s.r.observed_delta, s.o.rounding),
        s.delta_cached_box = b;
    return s.delta_cached;
}

double QuantizedLinearJob::mistake_bound() const {
    return perceptron_mistake_bound(margin(), delta(), radius());
}

double QuantizedLinearJob::mistake_bound_safe() const {
    return perceptron_mistake_bound_safe(margin(), delta(), radius(), s_->r.start_norm);
}

double QuantizedLinearJob::start_norm() const {
    return s_->r.start_norm;
}

QuantizedLinearResult QuantizedLinearJob::result() const {
    const State& s = *s_;
    QuantizedLinearResult r = s.r;
    if (!s.p) return r;
    r.weights = s.w;
    r.sink_atoms = static_cast<long>(s.sinks.size());
    describe(r, *s.p, s.test ? &*s.test : nullptr, s.box, s.o.compute_margin ? margin() : NAN,
             s.radius, s.max_abs_x, s.o.rounding);
    if (s.algorithm == QuantizedLinearAlgorithm::frank_wolfe) {
        r.epochs_run = 1;
        r.converged = r.train_accuracy == 1.0;
        EpochRecord record;
        record.epoch = 1;
        record.mistakes = static_cast<long>(
            std::llround((1 - r.train_accuracy) * static_cast<double>(s.p->x.size())));
        record.train_accuracy = r.train_accuracy;
        r.history.push_back(record);
    }
    return r;
}

namespace {
Result<QuantizedLinearResult> run_linear(const Dataset& train, const Dataset* test,
                                         const QuantizedLinearOptions& o,
                                         QuantizedLinearAlgorithm algorithm) {
    QuantizedLinearJob job(train, test, o, algorithm);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}
}  // namespace

Result<QuantizedLinearResult> train_quantized_perceptron(const Dataset& train, const Dataset* test,
                                                         const QuantizedLinearOptions& o) {
    return run_linear(train, test, o, QuantizedLinearAlgorithm::perceptron);
}

Result<QuantizedLinearResult> train_quantized_frank_wolfe(const Dataset& train, const Dataset* test,
                                                          const QuantizedLinearOptions& o) {
    return run_linear(train, test, o, QuantizedLinearAlgorithm::frank_wolfe);
}

}  // namespace qlab
