// Dataset generators, data specs, splitting and normalisation.
#include "qlab/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "qlab/format.hpp"
#include "qlab/random.hpp"
#include "spec_args.hpp"

namespace qlab {

// dataset_subset.cpp: loads spec[0, at) and applies the modifier that starts at spec[at] ('@').
Result<Dataset> apply_data_modifier(std::string_view spec, std::size_t at,
                                    const DataSpecOptions& options);

namespace {

constexpr double kPi = 3.14159265358979323846;

Dataset binary_dataset(std::string name, int features) {
    Dataset d;
    d.name = std::move(name);
    d.features = features;
    d.classes = 2;
    d.class_names = {"-1", "+1"};
    return d;
}

// Cherkhev Table 1's synthetic sets: 2 features whose magnitudes lie in [lo, hi], separable
// through the origin by a random direction with a margin, classes balanced.
Dataset make_magnitude_band(const char* name, int count, double lo, double hi, double margin,
                            std::uint64_t seed) {
    Rng rng(seed);
    Dataset d = binary_dataset(name, 2);
    const double angle = 2 * kPi * rng.uniform();
    const double w0 = std::cos(angle), w1 = std::sin(angle);
    int per_class[2] = {0, 0};
    while (static_cast<int>(d.size()) < count) {
        double v[2];
        for (double& c : v) c = (lo + (hi - lo) * rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
        const double s = w0 * v[0] + w1 * v[1];
        const int label = s > 0 ? 1 : 0;
        if (std::fabs(s) < margin || per_class[label] >= count / 2 + count % 2 * label) continue;
        ++per_class[label];
        d.x.push_back(static_cast<float>(v[0]));
        d.x.push_back(static_cast<float>(v[1]));
        d.y.push_back(label);
    }
    return d;
}

}  // namespace

Dataset first_rows(const Dataset& data, std::size_t max_rows) {
    const std::size_t n = max_rows ? std::min(max_rows, data.size()) : data.size();
    Dataset d;
    d.name = data.name;
    d.features = data.features;
    d.classes = data.classes;
    d.class_names = data.class_names;
    d.x.assign(data.x.begin(), data.x.begin() + static_cast<std::ptrdiff_t>(n * data.features));
    d.y.assign(data.y.begin(), data.y.begin() + static_cast<std::ptrdiff_t>(n));
    return d;
}

Split split_dataset(const Dataset& data, double test_fraction, std::uint64_t seed) {
    std::vector<std::size_t> order(data.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[static_cast<std::size_t>(rng.next_u64() % i)]);
    const auto test_count =
        static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(data.size())));
    Split s;
    for (Dataset* part : {&s.train, &s.test}) {
        part->name = data.name;
        part->features = data.features;
        part->classes = data.classes;
        part->class_names = data.class_names;
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
        Dataset& part = k < order.size() - test_count ? s.train : s.test;
        part.x.insert(part.x.end(), data.row(order[k]), data.row(order[k]) + data.features);
        part.y.push_back(data.y[order[k]]);
    }
    return s;
}

const char* normalization_name(Normalization how) {
    switch (how) {
        case Normalization::none:
            return "none";
        case Normalization::scale_to_unit_range:
            return "unit";
        case Normalization::scale_to_zero_one:
            return "minmax";
        case Normalization::standardize:
            return "standard";
    }
    return "none";
}

Result<Normalization> parse_normalization(std::string_view name) {
    for (Normalization n : {Normalization::none, Normalization::scale_to_unit_range,
                            Normalization::scale_to_zero_one, Normalization::standardize})
        if (name == normalization_name(n)) return n;
    return Status::error("unknown normalization '" + std::string(name) + "' (expected " +
                         kNormalizationChoices + ")");
}

Normalization automatic_normalization(std::string_view data) {
    if (data.substr(0, 6) == "synth:") return Normalization::none;
    if (data == "mnist" || data == "fashion" || data == "fashion-mnist") return Normalization::none;
    return Normalization::scale_to_unit_range;
}

Result<Split> prepare_split(const Dataset& data, const SplitOptions& options) {
    if (!(options.test_fraction >= 0 && options.test_fraction < 1))
        return Status::error("the test fraction must be in [0, 1), got " +
                             std::to_string(options.test_fraction));
    Split split = split_dataset(data, options.test_fraction, options.seed);
    const Dataset reference = split.train;
    normalize(split.train, reference, options.normalization);
    normalize(split.test, reference, options.normalization);
    return split;
}

void normalize(Dataset& data, const Dataset& reference, Normalization how) {
    if (how == Normalization::none || reference.size() == 0) return;
    const auto f = static_cast<std::size_t>(data.features);
    for (std::size_t j = 0; j < f; ++j) {
        double a = 0, b = 1;  // x' = (x - a) * b
        if (how == Normalization::scale_to_unit_range || how == Normalization::scale_to_zero_one) {
            double lo = INFINITY, hi = -INFINITY;
            for (std::size_t i = 0; i < reference.size(); ++i)
                lo = std::min(lo, static_cast<double>(reference.row(i)[j])),
                hi = std::max(hi, static_cast<double>(reference.row(i)[j]));
            const bool symmetric = how == Normalization::scale_to_unit_range;
            a = symmetric ? (lo + hi) / 2 : lo;
            const double width = symmetric ? 2 : 1;
            b = hi > lo ? width / (hi - lo) : 0;  // a constant feature carries nothing: map it to 0
        } else {
            double mean = 0, var = 0;
            for (std::size_t i = 0; i < reference.size(); ++i) mean += reference.row(i)[j];
            mean /= static_cast<double>(reference.size());
            for (std::size_t i = 0; i < reference.size(); ++i)
                var += std::pow(reference.row(i)[j] - mean, 2);
            var /= static_cast<double>(reference.size());
            a = mean;
            b = var > 0 ? 1 / std::sqrt(var) : 0;
        }
        for (std::size_t i = 0; i < data.size(); ++i) {
            float& v = data.x[i * f + j];
            v = static_cast<float>((v - a) * b);
        }
    }
}

Dataset make_linear(const LinearOptions& o) {
    Rng rng(o.seed);
    Dataset d = binary_dataset("synth:linear", o.dimensions);
    std::vector<double> w(static_cast<std::size_t>(o.dimensions));
    double norm = 0;
    for (double& c : w) c = rng.normal(), norm += c * c;
    for (double& c : w) c /= std::sqrt(norm);
    std::vector<double> v(w.size());
    // Rejection sampling: in many dimensions a wide margin accepts almost nothing, so the
    // attempts are bounded; load_data_spec reports a short set as an error.
    const long max_attempts = 200L * o.count + 100000;
    for (long attempt = 0; static_cast<int>(d.size()) < o.count && attempt < max_attempts;
         ++attempt) {
        // Uniform in the ball: a Gaussian direction and radius R u^(1/d).
        double vn = 0;
        for (double& c : v) c = rng.normal(), vn += c * c;
        const double r = o.radius * std::pow(rng.uniform(), 1.0 / o.dimensions) / std::sqrt(vn);
        double s = 0;
        for (std::size_t j = 0; j < v.size(); ++j) v[j] *= r, s += v[j] * w[j];
        if (std::fabs(s) < o.margin) continue;
        for (double c : v) d.x.push_back(static_cast<float>(c));
        d.y.push_back(s > 0 ? 1 : 0);
    }
    return d;
}

Dataset make_playground(const PlaygroundOptions& o) {
    Rng rng(o.seed);
    Dataset d;
    d.features = 2;
    d.classes = 2;
    d.class_names = {"orange", "blue"};
    auto add = [&](double a, double b, int label) {
        d.x.push_back(static_cast<float>(a));
        d.x.push_back(static_cast<float>(b));
        d.y.push_back(label);
    };
    auto jitter = [&](double scale) { return (2 * rng.uniform() - 1) * scale * o.noise; };
    const int half = o.count / 2;
    switch (o.shape) {
        case PlaygroundShape::circle: {
            d.name = "synth:circle";
            const double radius = 5;
            for (int i = 0; i < o.count; ++i) {
                const bool inside = i < half;
                const double r =
                    inside ? radius * 0.5 * rng.uniform() : radius * (0.7 + 0.3 * rng.uniform());
                const double t = 2 * kPi * rng.uniform();
                const double a = r * std::sin(t), b = r * std::cos(t);
                const int label =
                    std::hypot(a, b) < radius * 0.5 ? 1 : 0;  // decided before the noise
                const double ja = jitter(radius),
                             jb = jitter(radius);  // in this order on every compiler
                add(a + ja, b + jb, label);
            }
            break;
        }
        case PlaygroundShape::xor_quadrants: {
            d.name = "synth:xor";
            for (int i = 0; i < o.count; ++i) {
                double a = 10 * rng.uniform() - 5, b = 10 * rng.uniform() - 5;
                a += a > 0 ? 0.3 : -0.3;  // keep points off the axes
                b += b > 0 ? 0.3 : -0.3;
                const double ja = jitter(5), jb = jitter(5);
                add(a + ja, b + jb, a * b >= 0 ? 1 : 0);
            }
            break;
        }
        case PlaygroundShape::gauss: {
            d.name = "synth:gauss";
            const double sd =
                std::sqrt(0.5 + 7 * o.noise);  // variance 0.5 .. 4 over noise 0 .. 0.5
            for (int i = 0; i < o.count; ++i) {
                const int label = i < half ? 1 : 0;
                const double c = label ? 2 : -2;
                // Two statements: argument evaluation order differs between compilers, and the
                // same seed must give the same points natively and in WebAssembly.
                const double first = c + sd * rng.normal();
                const double second = c + sd * rng.normal();
                add(first, second, label);
            }
            break;
        }
        case PlaygroundShape::spiral: {
            d.name = "synth:spiral";
            for (int i = 0; i < o.count; ++i) {
                const int label = i < half ? 1 : 0;
                const int k = label ? i : i - half;
                const double frac = static_cast<double>(k) / std::max(1, half);
                const double r = 5 * frac, t = 1.75 * frac * 2 * kPi + (label ? 0 : kPi);
                const double ja = jitter(1), jb = jitter(1);
                add(r * std::sin(t) + ja, r * std::cos(t) + jb, label);
            }
            break;
        }
    }
    return d;
}

namespace {

// synth:linear:d=D,n=N,margin=M,radius=R,seed=S; `s` carries the status of reading the seed.
Result<Dataset> synth_linear(detail::SpecArgs& a, std::int64_t seed, Status s,
                             const std::string& spec) {
    LinearOptions o;
    o.seed = static_cast<std::uint64_t>(seed);
    if (s) s = a.read_int("d", 1, 100000, false, o.dimensions);
    if (s) s = a.read_int("n", 1, 10000000, false, o.count);
    if (s) s = a.read_double("margin", false, o.margin);
    if (s) s = a.read_double("radius", false, o.radius);
    if (s && !(o.radius > 0)) s = a.fail("key 'radius' must be positive");
    if (s && !(o.margin >= 0 && o.margin < o.radius * 0.9))
        s = a.fail("key 'margin' must be from 0 to 0.9 * radius");
    if (s) s = a.finish("d, n, margin, radius, seed");
    if (!s) return s;
    Dataset d = make_linear(o);
    if (static_cast<int>(d.size()) < o.count)
        return Status::error("data '" + spec + "': a margin of " + shortest_repr(o.margin) +
                             " in " + std::to_string(o.dimensions) +
                             " dimensions leaves almost no room (placed " +
                             std::to_string(d.size()) + " of " + std::to_string(o.count) +
                             " points); lower the margin or the dimension");
    d.name = spec;
    return d;
}

// synth:circle, xor, gauss or spiral with n=N,noise=X,seed=S.
Result<Dataset> synth_playground(detail::SpecArgs& a, PlaygroundShape shape, std::int64_t seed,
                                 Status s) {
    PlaygroundOptions o;
    o.shape = shape;
    o.seed = static_cast<std::uint64_t>(seed);
    o.count = 400;
    if (s) s = a.read_int("n", 2, 10000000, false, o.count);
    if (s) s = a.read_double("noise", false, o.noise);
    if (s && !(o.noise >= 0 && o.noise <= 0.5)) s = a.fail("key 'noise' must be from 0 to 0.5");
    if (s) s = a.finish("n, noise, seed");
    if (!s) return s;
    return make_playground(o);
}

// synth:KIND[:key=value,...]: the generated sets.
Result<Dataset> synth_data(const std::string& spec) {
    const std::string rest = spec.substr(6);  // "linear:d=2,..." reads as kind "linear"
    auto split = detail::SpecArgs::split(rest, "data", spec);
    if (!split) return split.status();
    detail::SpecArgs a = std::move(split).value();
    std::int64_t seed = 1;
    Status s = a.read_int("seed", std::int64_t{0}, std::int64_t{1} << 53, false, seed);
    if (a.kind() == "linear") return synth_linear(a, seed, s, spec);
    if (a.kind() == "synth01" || a.kind() == "synth02") {
        if (s) s = a.finish("seed");
        if (!s) return s;
        // Table 1: synth01 200 points, magnitudes 0.9..6.9; synth02 100 points, 0.01..2.7.
        return a.kind() == "synth01" ? make_magnitude_band("synth:synth01", 200, 0.9, 6.9, 0.5,
                                                           static_cast<std::uint64_t>(seed))
                                     : make_magnitude_band("synth:synth02", 100, 0.01, 2.7, 0.1,
                                                           static_cast<std::uint64_t>(seed));
    }
    const std::pair<const char*, PlaygroundShape> shapes[] = {
        {"circle", PlaygroundShape::circle},
        {"xor", PlaygroundShape::xor_quadrants},
        {"gauss", PlaygroundShape::gauss},
        {"spiral", PlaygroundShape::spiral}};
    for (const auto& [name, shape] : shapes)
        if (a.kind() == name) return synth_playground(a, shape, seed, s);
    return Status::error("data '" + spec + "': unknown generator '" + a.kind() +
                         "' (known: linear, synth01, synth02, circle, xor, gauss, spiral)");
}

// csv:PATH[,label=last|first|COLUMN].
Result<Dataset> csv_data(const std::string& spec) {
    std::string rest = spec.substr(4);
    int label = -1;
    const std::size_t comma = rest.rfind(",label=");
    if (comma != std::string::npos) {
        const std::string v = rest.substr(comma + 7);
        rest = rest.substr(0, comma);
        if (v == "last")
            label = -1;
        else if (v == "first")
            label = 0;
        else {
            char* end = nullptr;
            const long col = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || col < 0 || col > 1000000)
                return Status::error("data '" + spec +
                                     "': label must be last, first or a column number, got '" + v +
                                     "'");
            label = static_cast<int>(col);
        }
    }
    if (rest.empty()) return Status::error("data '" + spec + "': missing the CSV path");
    return load_csv(rest, label);
}

// sklearn:NAME, the CSVs scripts/bootstrap.sh installs under the data directory.
Result<Dataset> sklearn_data(const std::string& spec, const std::string& dir) {
    const std::string name = spec.substr(8);
    const char* files[][2] = {{"breast_cancer", "breast_cancer.csv"},
                              {"iris", "iris.csv"},
                              {"wine", "wine_data.csv"},
                              {"digits", "digits.csv"}};
    for (const auto& f : files) {
        if (name != f[0]) continue;
        auto d = load_csv(dir + "/sklearn/" + f[1], -1);
        if (!d)
            return Status::error(d.status().message() +
                                 " (run scripts/bootstrap.sh to install the sklearn CSVs)");
        Dataset out = std::move(d).value();
        out.name = spec;
        return out;
    }
    return Status::error("data '" + spec + "': unknown sklearn dataset '" + name +
                         "' (known: breast_cancer, iris, wine, digits)");
}

}  // namespace

Result<Dataset> load_data_spec(std::string_view spec_view, const DataSpecOptions& options) {
    // Modifiers at the end (dataset_subset.cpp): SPEC@classes=A/B, SPEC@binarize=T.
    if (const std::size_t at = spec_view.rfind('@');
        at != std::string_view::npos &&
        (spec_view.substr(at + 1, 8) == "classes=" || spec_view.substr(at + 1, 9) == "binarize="))
        return apply_data_modifier(spec_view, at, options);
    const std::string spec(spec_view);
    auto starts = [&](const char* prefix) { return spec.rfind(prefix, 0) == 0; };
    const std::string dir = options.data_dir;
    if (starts("synth:")) return synth_data(spec);
    if (starts("csv:")) return csv_data(spec);
    if (starts("libsvm:")) {
        if (spec.size() == 7) return Status::error("data '" + spec + "': missing the file path");
        return load_libsvm(spec.substr(7));
    }
    if (starts("idx:")) {
        const std::string rest = spec.substr(4);
        const std::size_t comma = rest.find(',');
        if (comma == std::string::npos || comma == 0 || comma + 1 == rest.size())
            return Status::error("data '" + spec + "': expected idx:IMAGES,LABELS");
        return load_idx(rest.substr(0, comma), rest.substr(comma + 1));
    }
    if (starts("sklearn:")) return sklearn_data(spec, dir);
    if (spec == "mnist" || spec == "fashion-mnist") {
        auto d = load_idx(dir + "/" + spec + "/images.idx", dir + "/" + spec + "/labels.idx");
        if (!d)
            return Status::error(d.status().message() + " (run scripts/bootstrap.sh to install " +
                                 spec + ")");
        Dataset out = std::move(d).value();
        out.name = spec;
        return out;
    }
    return Status::error("data '" + spec +
                         "': unknown data spec (expected synth:..., csv:PATH, libsvm:PATH, "
                         "idx:IMAGES,LABELS, sklearn:NAME, mnist or fashion-mnist)");
}

}  // namespace qlab
