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
    std::vector<Vec> x;     // r(q(x_i))
    std::vector<int> sign;  // y_i in {-1, +1}
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
    for (std::size_t i = picks.size(); i > 1; --i) std::swap(picks[i - 1], picks[static_cast<std::size_t>(rng.next_u64() % i)]);
    for (std::size_t i = 0; i < picks.size() && static_cast<int>(centres.size()) < k; ++i)
        if (std::find(centres.begin(), centres.end(), points[picks[i]]) == centres.end()) centres.push_back(points[picks[i]]);
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
                    if (data.y[i] == cls) points.emplace_back(data.row(i), data.row(i) + data.features);
                if (points.empty()) return Status::error("data '" + data.name + "' has no example of class " + std::to_string(cls));
                for (Vec& c : kmeans_vectors(points, o.vector_kmeans, rng)) p.atoms.push_back(std::move(c));
            }
        }
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
        Vec v(data.row(i), data.row(i) + data.features);
        if (!p.atoms.empty()) v = p.atoms[nearest_atom(p.atoms, v)];
        else
            for (std::size_t j = 0; j < v.size(); ++j) v[j] = format.quantize_ref(v[j], o.rounding, &rng);
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

// Fills in margin, radius, delta and the bound, which both algorithms report. delta is taken
// over the box [-B, B]^d the run used (B: the largest coordinate of any feature or exact update),
// which is where Theorem 1's quantized updates happen; over a float's whole range it would be
// astronomically large and say nothing.
void describe(QuantizedLinearResult& r, const Prepared& p, const Prepared* test, double box) {
    std::vector<Vec> z;
    for (std::size_t i = 0; i < p.x.size(); ++i) {
        Vec v = p.x[i];
        for (double& c : v) c *= p.sign[i];
        r.radius = std::max(r.radius, std::sqrt(dot(v, v)));
        z.push_back(std::move(v));
    }
    r.margin = max_margin(z);
    const double d = static_cast<double>(p.x.front().size());
    r.delta_box = std::max(box, max_abs(p.x));
    if (p.atoms.empty()) {
        const double per_coordinate = p.format.worst_case_error(-r.delta_box, r.delta_box, Rounding::nearest_even);
        r.delta = std::sqrt(d) * per_coordinate;
    } else {
        r.delta = r.observed_delta;  // a handful of vector atoms: the largest error that occurred
        r.vector_atoms = p.atoms;
    }
    r.mistake_bound = r.margin > r.delta ? std::pow(r.radius / (r.margin - r.delta), 2) : INFINITY;
    r.format = p.atoms.empty() ? p.format.to_string()
                               : "vector atoms: " + std::to_string(p.atoms.size()) + " k-means centres";
    r.train_accuracy = accuracy(r.weights, p);
    if (test) r.test_accuracy = accuracy(r.weights, *test);
}

}  // namespace

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

Result<QuantizedLinearResult> train_quantized_perceptron(const Dataset& train, const Dataset* test,
                                                        const QuantizedLinearOptions& o) {
    auto prepared = prepare(train, o, nullptr);
    if (!prepared) return prepared.status();
    const Prepared& p = *prepared;
    std::optional<Prepared> test_prepared;
    if (test) {
        auto t = prepare(*test, o, &p.format, &p.atoms);
        if (!t) return t.status();
        test_prepared = std::move(t).value();
    }
    const Format& q = p.format;
    Rng rng(o.seed);
    QuantizedLinearResult r;
    Vec w(p.x.front().size(), 0.0);
    if (!p.atoms.empty()) {
        // The feature errors count toward delta too: x is stored as its nearest centre.
        for (std::size_t i = 0; i < p.x.size(); ++i) {
            double e2 = 0;
            for (std::size_t j = 0; j < w.size(); ++j) e2 += std::pow(train.row(i)[j] - p.x[i][j], 2);
            r.observed_delta = std::max(r.observed_delta, std::sqrt(e2));
        }
        w = p.atoms[nearest_atom(p.atoms, w)];
    } else {
        for (double& c : w) c = q.quantize_ref(0.0, o.rounding, &rng);  // the atom nearest 0
    }
    std::set<Vec> sinks;
    double box = 0;
    std::vector<std::size_t> order(p.x.size());
    std::iota(order.begin(), order.end(), 0);
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        if (o.shuffle)
            for (std::size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[static_cast<std::size_t>(rng.next_u64() % i)]);
        EpochRecord record;
        record.epoch = epoch;
        for (std::size_t i : order) {
            const Vec& x = p.x[i];
            const int y = p.sign[i];
            if (y * dot(w, x) > 0) continue;  // a zero score counts as a mistake, so w = 0 learns
            ++record.mistakes;
            Vec next(w.size()), exact(w.size());
            double error2 = 0;
            for (std::size_t j = 0; j < w.size(); ++j) {
                exact[j] = w[j] + y * x[j];
                box = std::max(box, std::fabs(exact[j]));
                if (p.atoms.empty()) next[j] = q.quantize_ref(exact[j], o.rounding, &rng);
            }
            if (!p.atoms.empty()) next = p.atoms[nearest_atom(p.atoms, exact)];
            for (std::size_t j = 0; j < w.size(); ++j) error2 += (next[j] - exact[j]) * (next[j] - exact[j]);
            r.observed_delta = std::max(r.observed_delta, std::sqrt(error2));
            if (next == w) {
                ++record.stalled;
                sinks.insert(w);
            }
            w = std::move(next);
        }
        r.updates += record.mistakes;
        r.stalled_updates += record.stalled;
        r.weights = w;
        record.train_accuracy = accuracy(w, p);
        r.history.push_back(record);
        r.epochs_run = epoch;
        if (record.mistakes == 0) {
            r.converged = true;
            break;
        }
        r.ended_in_sink = record.stalled == record.mistakes;
    }
    r.weights = w;
    r.sink_atoms = static_cast<long>(sinks.size());
    describe(r, p, test_prepared ? &*test_prepared : nullptr, box);
    return r;
}

Result<QuantizedLinearResult> train_quantized_frank_wolfe(const Dataset& train, const Dataset* test,
                                                         const QuantizedLinearOptions& o) {
    if (o.vector_kmeans > 0) return Status::error("vector atoms (k-means centres) are for the perceptron only");
    auto prepared = prepare(train, o, nullptr);
    if (!prepared) return prepared.status();
    const Prepared& p = *prepared;
    std::optional<Prepared> test_prepared;
    if (test) {
        auto t = prepare(*test, o, &p.format);
        if (!t) return t.status();
        test_prepared = std::move(t).value();
    }
    const Format& q = p.format;
    Rng rng(o.seed);
    auto quantize = [&](const Vec& v) {
        Vec out(v.size());
        for (std::size_t j = 0; j < v.size(); ++j) out[j] = q.quantize_ref(v[j], o.rounding, &rng);
        return out;
    };
    // w0 = q(r(x_i)) for the positive example of smallest norm.
    std::size_t start = p.x.size();
    for (std::size_t i = 0; i < p.x.size(); ++i)
        if (p.sign[i] > 0 && (start == p.x.size() || dot(p.x[i], p.x[i]) < dot(p.x[start], p.x[start]))) start = i;
    if (start == p.x.size()) return Status::error("data '" + train.name + "' has no example of class 1");
    QuantizedLinearResult r;
    Vec w = quantize(p.x[start]);
    std::set<Vec> sinks;
    double box = 0;
    EpochRecord record;
    for (int step = 1; step <= o.steps; ++step) {
        std::size_t worst = 0;
        double lowest = INFINITY;
        for (std::size_t i = 0; i < p.x.size(); ++i) {
            const double s = p.sign[i] * dot(w, p.x[i]);
            if (s < lowest) lowest = s, worst = i;
        }
        Vec z = p.x[worst];
        for (double& c : z) c *= p.sign[worst];
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
            box = std::max({box, std::fabs(a[j]), std::fabs(b[j]), std::fabs(sum[j]), std::fabs(a[j] + b[j])});
        double error2 = 0;
        for (std::size_t j = 0; j < w.size(); ++j) error2 += std::pow(next[j] - (a[j] + b[j]), 2);
        r.observed_delta = std::max(r.observed_delta, std::sqrt(error2));
        ++r.updates;
        if (next == w) {
            ++r.stalled_updates;
            sinks.insert(w);
            break;  // a fixed point: every later step would be the same
        }
        w = std::move(next);
    }
    r.weights = w;
    r.sink_atoms = static_cast<long>(sinks.size());
    r.epochs_run = 1;
    describe(r, p, test_prepared ? &*test_prepared : nullptr, box);
    r.converged = r.train_accuracy == 1.0;
    record.epoch = 1;
    record.mistakes = static_cast<long>(std::llround((1 - r.train_accuracy) * static_cast<double>(p.x.size())));
    record.train_accuracy = r.train_accuracy;
    r.history.push_back(record);
    return r;
}

}  // namespace qlab
