// Post-training calibration: clipping ranges by min-max, percentile, MSE search or KL divergence
// (entropy calibration over a 2048-bin histogram), turned into affine int formats.
#include "qlab/calibration.hpp"

#include <algorithm>
#include <cmath>

namespace qlab {
namespace {

constexpr int kHistogramBins = 2048;
// KL needs a histogram worth the name; below this many nonzero values (a per-channel row of a
// narrow layer, say) it falls back to min-max, which is exact for so few values.
constexpr std::size_t kMinValuesForKl = 512;

// The int spec covering [lo, hi] with `bits` bits. Scales are float32 numbers, as ONNX and every
// int8 runtime store them, so a calibrated model exports to QuantizeLinear/DequantizeLinear with
// the very same grid (qlab/onnx.hpp).
std::string spec_for(double lo, double hi, const CalibrationOptions& o) {
    if (o.symmetric) {
        const double t = std::max(std::fabs(lo), std::fabs(hi));
        const double scale =
            t > 0 ? static_cast<float>(t / (std::ldexp(1.0, o.bits - 1) - 1)) : 1.0;
        return "int:b=" + std::to_string(o.bits) + ",scale=" + shortest_repr(scale) + ",narrow=1";
    }
    lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);  // zero stays exactly representable
    const double levels = std::ldexp(1.0, o.bits) - 1;
    const double scale = hi > lo ? static_cast<float>((hi - lo) / levels) : 1.0;
    const double zero = std::clamp(std::round(-lo / scale), 0.0, levels) + 0.0;  // never "-0"
    return "int:b=" + std::to_string(o.bits) + ",scale=" + shortest_repr(scale) +
           ",zero=" + shortest_repr(zero) + ",signed=0";
}

double quantile(std::vector<float> v, double p) {
    if (v.empty()) return 0;
    const std::size_t k = std::min(
        v.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

double mse_of(const std::vector<float>& v, const std::string& spec) {
    const Format f = *Format::parse(spec);
    std::vector<float> q(v.size());
    f.quantize(v.data(), q.data(), v.size());
    double e = 0;
    for (std::size_t i = 0; i < v.size(); ++i)
        e += (v[i] - q[i]) * static_cast<double>(v[i] - q[i]);
    return e / static_cast<double>(v.size());
}

// Entropy calibration: the |x| threshold whose clipped histogram, quantized to 2^(bits-1)
// levels, diverges least (KL) from the original distribution.
double kl_threshold(const std::vector<float>& v, int bits) {
    double max_abs = 0;
    for (float x : v) max_abs = std::max(max_abs, static_cast<double>(std::fabs(x)));
    if (max_abs == 0) return 0;
    std::vector<double> hist(kHistogramBins, 0.0);
    const double width = max_abs / kHistogramBins;
    // Exact zeros (ReLU outputs, pruned weights) are stored without error whatever the threshold;
    // left in, their spike dominates the normalised histograms and drags the threshold to ~0.
    for (float x : v)
        if (x != 0)
            hist[std::min<std::size_t>(kHistogramBins - 1,
                                       static_cast<std::size_t>(std::fabs(x) / width))] += 1;
    const int levels = 1 << (bits - 1);
    double best_kl = INFINITY;
    int best_i = kHistogramBins;
    for (int i = levels; i <= kHistogramBins; ++i) {
        std::vector<double> p(hist.begin(), hist.begin() + i);
        for (int j = i; j < kHistogramBins; ++j)
            p[static_cast<std::size_t>(i - 1)] += hist[static_cast<std::size_t>(j)];
        // Q: each of `levels` groups of bins keeps its mass, spread over its non-empty bins.
        std::vector<double> q(static_cast<std::size_t>(i), 0.0);
        for (int g = 0; g < levels; ++g) {
            const int begin = g * i / levels, end = (g + 1) * i / levels;
            double mass = 0;
            int nonzero = 0;
            for (int j = begin; j < end; ++j)
                mass += hist[static_cast<std::size_t>(j)],
                    nonzero += hist[static_cast<std::size_t>(j)] > 0;
            for (int j = begin; j < end; ++j)
                if (hist[static_cast<std::size_t>(j)] > 0)
                    q[static_cast<std::size_t>(j)] = mass / nonzero;
        }
        double ps = 0, qs = 0;
        for (int j = 0; j < i; ++j)
            ps += p[static_cast<std::size_t>(j)], qs += q[static_cast<std::size_t>(j)];
        if (ps == 0 || qs == 0) continue;
        double kl = 0;
        for (int j = 0; j < i; ++j) {
            const double pj = p[static_cast<std::size_t>(j)] / ps;
            if (pj == 0) continue;
            const double qj =
                std::max(q[static_cast<std::size_t>(j)] / qs, 1e-12);  // clipped tail mass has no Q
            kl += pj * std::log(pj / qj);
        }
        if (kl < best_kl) best_kl = kl, best_i = i;
    }
    return (best_i + 0.5) * width;
}

}  // namespace

Result<Calibration> parse_calibration(std::string_view name) {
    if (name == "minmax") return Calibration::minmax;
    if (name == "percentile") return Calibration::percentile;
    if (name == "mse") return Calibration::mse;
    if (name == "kl") return Calibration::kl;
    return Status::error("unknown calibration '" + std::string(name) +
                         "' (expected minmax, percentile, mse or kl)");
}

std::string calibrate_tensor(const std::vector<float>& v, const CalibrationOptions& o) {
    assert(o.bits >= 2 && o.bits <= 16);
    double lo = 0, hi = 0;
    for (float x : v)
        lo = std::min(lo, static_cast<double>(x)), hi = std::max(hi, static_cast<double>(x));
    switch (o.method) {
        case Calibration::minmax:
            break;
        case Calibration::percentile: {
            if (o.symmetric) {
                std::vector<float> mags(v.size());
                std::transform(v.begin(), v.end(), mags.begin(),
                               [](float x) { return std::fabs(x); });
                hi = quantile(mags, o.percentile), lo = -hi;
            } else {
                lo = quantile(v, 100 - o.percentile), hi = quantile(v, o.percentile);
            }
            break;
        }
        case Calibration::mse: {
            // Shrink the min-max range in 1% steps; keep the clipping with the least squared error.
            double best = INFINITY, best_f = 1;
            for (int k = 100; k >= 5; --k) {
                const double f = k / 100.0;
                const double e = mse_of(v, spec_for(lo * f, hi * f, o));
                if (e < best) best = e, best_f = f;
            }
            lo *= best_f, hi *= best_f;
            break;
        }
        case Calibration::kl: {
            const auto nonzero = static_cast<std::size_t>(
                std::count_if(v.begin(), v.end(), [](float x) { return x != 0; }));
            if (nonzero < kMinValuesForKl) break;
            const double t = kl_threshold(v, o.bits);
            lo = std::max(lo, -t), hi = std::min(hi, t);
            break;
        }
    }
    return spec_for(lo, hi, o);
}

namespace {

Status check_calibration(const Model& model, const Dataset& data, const CalibrationOptions& o) {
    if (o.bits < 2 || o.bits > 16)
        return Status::error("calibration bits must be from 2 to 16, got " +
                             std::to_string(o.bits));
    if (!(o.percentile > 50 && o.percentile <= 100))
        return Status::error("calibration percentile must be in (50, 100]");
    if (data.features != model.inputs())
        return Status::error("calibration data has " + std::to_string(data.features) +
                             " features, the model takes " + std::to_string(model.inputs()));
    return Status::success();
}

// Layer l's formats: its weights (per tensor or per channel) and its output (hidden layers).
LayerFormats calibrate_layer(const Model& model, const Dataset& data, std::size_t l,
                             const CalibrationOptions& o) {
    const DenseLayer& L = model.layers[l];
    LayerFormats f;
    if (!L.has_weights()) {
        // a pool: no weights (a max-pool's output is the previous layer's values, already
        // calibrated; an average pool's output is calibrated below)
    } else if (o.per_channel) {
        for (int r = 0; r < L.out; ++r) {
            const std::vector<float> row(L.weight.row(r).data(), L.weight.row(r).data() + L.in);
            f.weight_rows.push_back(calibrate_tensor(row, o));
        }
    } else {
        f.weights = calibrate_tensor(
            std::vector<float>(L.weight.data(), L.weight.data() + L.weight.size()), o);
    }
    if (l + 1 < model.layers.size()) {
        const Matrix out = hidden_outputs(model, data, l, kCalibrationRows);
        f.activations =
            calibrate_tensor(std::vector<float>(out.data(), out.data() + out.size()), o);
    }
    return f;
}

}  // namespace

Result<EvalOptions> calibrate_model(const Model& model, const Dataset& data,
                                    const CalibrationOptions& o) {
    if (Status st = check_calibration(model, data, o); !st) return st;
    EvalOptions eval;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        eval.layers.push_back(calibrate_layer(model, data, l, o));
    return eval;
}

struct CalibrationJob::State {
    Model model;
    Dataset calibration, test;
    CalibrationOptions o;
    CalibrationResult r;
    std::unique_ptr<AccuracyCount> count;  // once calibrated
    std::size_t chunks_done = 0;
};

CalibrationJob::CalibrationJob(const Model& model, const Dataset& calibration, const Dataset& test,
                               const CalibrationOptions& options)
    : s_(std::make_unique<State>()) {
    State& s = *s_;
    if (Status st = check_calibration(model, calibration, options); !st) {
        fail_now(std::move(st));
        return;
    }
    if (test.features != model.inputs()) {
        fail_now(Status::error("test data has " + std::to_string(test.features) +
                               " features, the model takes " + std::to_string(model.inputs())));
        return;
    }
    s.model = model;
    s.calibration = first_rows(calibration, kCalibrationRows);  // all calibrate_model reads
    s.test = test;
    s.o = options;
}

CalibrationJob::~CalibrationJob() = default;

const CalibrationResult& CalibrationJob::result() const {
    return s_->r;
}

JobProgress CalibrationJob::progress() const {
    const State& s = *s_;
    const std::size_t layers = s.model.layers.size(),
                      chunks = (s.test.size() + kEvalChunkRows - 1) / kEvalChunkRows;
    JobProgress p;
    p.done = static_cast<long long>(s.r.formats.layers.size() + s.chunks_done);
    p.total = static_cast<long long>(layers + chunks);
    p.stage = s.r.formats.layers.size() < layers
                  ? "calibrating layer " + std::to_string(s.r.formats.layers.size() + 1) + " of " +
                        std::to_string(layers)
                  : "test accuracy";
    return p;
}

Status CalibrationJob::do_unit() {
    State& s = *s_;
    if (s.r.formats.layers.size() < s.model.layers.size()) {
        s.r.formats.layers.push_back(
            calibrate_layer(s.model, s.calibration, s.r.formats.layers.size(), s.o));
        if (s.r.formats.layers.size() == s.model.layers.size()) {
            s.r.calibrated = true;
            s.count = std::make_unique<AccuracyCount>(s.model, s.test, s.r.formats);
        }
        return Status::success();
    }
    s.count->step();
    ++s.chunks_done;
    if (s.count->done()) s.r.accuracy = s.count->accuracy();
    return Status::success();
}

bool CalibrationJob::is_done() const {
    const State& s = *s_;
    return s.r.calibrated && s.count->done();
}

}  // namespace qlab
