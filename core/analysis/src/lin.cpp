// Lin 2016 on a model: per-step SQNR by direct sums, eq. 9's prediction against the measured
// output SQNR, kappa from bit sweeps (eq. 2), bit allocation (eq. 14-16) and size against error.
#include "qlab/lin.hpp"

#include "analysis_common.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

namespace qlab {
namespace {

using detail::check_model_data;
using detail::to_doubles;

constexpr double kInf = std::numeric_limits<double>::infinity();

Result<Format> parse_for(const std::string& spec, const char* what) {
    auto f = Format::parse(spec);
    if (!f) return Status::error(std::string(what) + ": " + f.status().message());
    return *f;
}

// Quantizes a float matrix in place as the network does (nearest-even, fitted formats per block).
void quantize_matrix(const Format& f, Matrix& m) {
    f.quantize(m.data(), m.data(), static_cast<std::size_t>(m.size()));
}

double matrix_sqnr(const Format& f, const Matrix& m) {
    Matrix q = m;
    quantize_matrix(f, q);
    return detail::sqnr_db(m.data(), q.data(), static_cast<std::size_t>(m.size()));
}

double scores_sqnr(const Matrix& reference, const Matrix& quantized) {
    return detail::sqnr_db(reference.data(), quantized.data(),
                           static_cast<std::size_t>(reference.size()));
}

double scores_accuracy(const Matrix& scores, const Dataset& data) {
    if (scores.rows() == 0) return 0;
    std::size_t right = 0;
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        Eigen::Index best;
        scores.row(i).maxCoeff(&best);
        right += best == data.y[static_cast<std::size_t>(i)];
    }
    return static_cast<double>(right) / static_cast<double>(scores.rows());
}

// Which steps the network quantizes: every weighted layer's weights, every hidden output but a
// max-pool's (see QuantStep).
std::vector<QuantStep> model_steps(const Model& model) {
    std::vector<QuantStep> steps;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        if (model.layers[l].kind == LayerKind::maxpool2d) continue;
        QuantStep w;
        w.layer = l;
        w.role = StepRole::weights;
        // An average pool has no weights, but its output (an average) is a step of its own.
        if (model.layers[l].has_weights()) steps.push_back(w);
        if (l + 1 < model.layers.size()) {
            QuantStep a = w;
            a.role = StepRole::activations;
            steps.push_back(a);
        }
    }
    return steps;
}

// Float values of every step (weights, or the float network's hidden outputs on `sub`).
std::vector<Matrix> step_values(const Model& model, const Dataset& sub,
                                const std::vector<QuantStep>& steps) {
    std::vector<Matrix> values;
    for (const QuantStep& s : steps) {
        if (s.role == StepRole::weights)
            values.push_back(model.layers[s.layer].weight);
        else
            values.push_back(hidden_outputs(model, sub, s.layer, sub.size()));
    }
    return values;
}

// Table 1's optimal Gaussian steps for 1..16 bits as optimal_uniform_step computes them (16 bits
// takes it seconds); lin_test checks this table against it. Other distributions are memoised.
constexpr std::array<double, 16> kGaussianSteps = {
    1.5957691166904324,   0.99568669369223151,    0.58601944059111299,    0.33520061098089049,
    0.18813879019053356,  0.10406300972550515,    0.056867672741262081,   0.030762387381533772,
    0.016498958794328687, 0.0087854647328303778,  0.0046498419117523395,  0.0024484110978598532,
    0.001283620770514797, 0.00067045180265511172, 0.00034905938299789076, 0.0001812235652484083};

double table1_step(Distribution d, int bits) {
    if (d == Distribution::gaussian && bits >= 1 && bits <= 16)
        return kGaussianSteps[static_cast<std::size_t>(bits - 1)];
    static std::mutex mutex;
    static std::map<std::pair<int, int>, double> memo;
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_pair(static_cast<int>(d), bits);
    auto it = memo.find(key);
    if (it == memo.end()) it = memo.emplace(key, optimal_uniform_step(d, bits).step).first;
    return it->second;
}

}  // namespace

std::string QuantStep::name() const {
    return (role == StepRole::weights ? "W" : "a") + std::to_string(layer + 1);
}

double predicted_output_sqnr_db(const std::vector<double>& step_db) {
    double inverse = 0;  // eq. 9: inverse SQNRs add
    for (double db : step_db)
        if (db != kInf) inverse += std::pow(10.0, -db / 10);
    return inverse == 0 ? kInf : -10 * std::log10(inverse);
}

Result<ModelSqnr> model_sqnr(const Model& model, const Dataset& data, const EvalOptions& formats,
                             const SqnrOptions& options) {
    if (Status s = check_model_data(model, data); !s) return s;
    const Dataset sub = first_rows(data, options.max_rows);
    ModelSqnr out;
    out.rows = sub.size();
    out.steps = model_steps(model);
    std::vector<double> dbs;
    for (QuantStep& s : out.steps) {
        const Layer& layer = model.layers[s.layer];
        const LayerFormats* lf =
            s.layer < formats.layers.size() ? &formats.layers[s.layer] : nullptr;
        if (s.role == StepRole::weights) {
            if (lf && !lf->weight_rows.empty()) {  // one format per output row
                Matrix q = layer.weight;
                for (Eigen::Index r = 0; r < q.rows(); ++r) {
                    if (static_cast<std::size_t>(r) >= lf->weight_rows.size()) break;
                    auto f = parse_for(lf->weight_rows[static_cast<std::size_t>(r)], "row weights");
                    if (!f) return f.status();
                    f->quantize(q.row(r).data(), q.row(r).data(),
                                static_cast<std::size_t>(q.cols()));
                }
                s.format = "per-row (" + std::to_string(lf->weight_rows.size()) + " formats)";
                s.sqnr_db = detail::sqnr_db(layer.weight.data(), q.data(),
                                            static_cast<std::size_t>(q.size()));
            } else {
                s.format = lf ? lf->weights : formats.roles.weights;
                s.sqnr_db = kInf;
                if (!s.format.empty()) {
                    auto f = parse_for(s.format, "weights");
                    if (!f) return f.status();
                    s.sqnr_db = matrix_sqnr(*f, layer.weight);
                }
            }
            s.count = static_cast<std::size_t>(layer.weight.size());
        } else {
            s.format = lf ? lf->activations : formats.roles.activations;
            s.sqnr_db = kInf;
            const Matrix a = hidden_outputs(model, sub, s.layer, sub.size());
            s.count = static_cast<std::size_t>(a.size());
            if (!s.format.empty()) {
                auto f = parse_for(s.format, "activations");
                if (!f) return f.status();
                s.sqnr_db = matrix_sqnr(*f, a);
            }
        }
        dbs.push_back(s.sqnr_db);
    }
    out.predicted_output_db = predicted_output_sqnr_db(dbs);
    for (const std::string* spec : {&formats.roles.weights, &formats.roles.activations})
        if (!spec->empty())
            if (auto f = parse_for(*spec, "format"); !f) return f.status();
    const Matrix reference = predict_scores(model, sub);
    const Matrix quantized = predict_scores(model, sub, formats);
    out.measured_output_db = scores_sqnr(reference, quantized);
    out.float_accuracy = scores_accuracy(reference, sub);
    out.quantized_accuracy = scores_accuracy(quantized, sub);
    return out;
}

std::string lin_fixed_format(const std::vector<double>& values, int bits,
                             const LinFormatOptions& options) {
    double sum = 0;
    std::size_t n = 0;
    for (double v : values)
        if (std::isfinite(v)) sum += v * v, ++n;
    const double sigma = n ? std::sqrt(sum / static_cast<double>(n)) : 0;
    int frac = bits - 1;
    if (sigma > 0) {
        // Lin §3.3: s = sigma_hat * Stepsize(beta), n = -ceil(log2 s).
        const double step = options.sigma_factor * sigma * table1_step(options.distribution, bits);
        frac = -static_cast<int>(std::ceil(std::log2(step)));
    }
    frac = std::clamp(frac, -1000, 1000);
    return "fixed:w=" + std::to_string(bits) + ",f=" + std::to_string(frac);
}

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    double n = 0;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
        sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i], n += 1;
    }
    const double den = n * sxx - sx * sx;
    return n >= 2 && den != 0 ? (n * sxy - sx * sy) / den : std::nan("");
}

// ---- sweep over bit widths -------------------------------------------------------------------

struct LinSweepJob::State {
    const Model& model;
    LinSweepOptions options;
    Dataset sub;
    std::vector<Matrix> values;                // per step
    std::vector<std::vector<double>> doubles;  // per step, for the format statistics
    Matrix reference;
    LinSweepResult result;
    int next_bits = 0;
    State(const Model& m, const LinSweepOptions& o) : model(m), options(o) {}
};

LinSweepJob::LinSweepJob(const Model& model, const Dataset& data, const LinSweepOptions& options)
    : s_(std::make_unique<State>(model, options)) {
    if (Status st = check_model_data(model, data); !st) {
        fail_now(st);
        return;
    }
    if (options.min_bits < 2 || options.max_bits > 16 || options.min_bits > options.max_bits) {
        fail_now(Status::error("bit widths must satisfy 2 <= min <= max <= 16"));
        return;
    }
    State& s = *s_;
    s.sub = first_rows(data, options.max_rows);
    s.result.steps = model_steps(model);
    s.values = step_values(model, s.sub, s.result.steps);
    for (const Matrix& m : s.values) s.doubles.push_back(to_doubles(m));
    if (options.measure_output) {
        s.reference = predict_scores(model, s.sub);
        s.result.float_accuracy = scores_accuracy(s.reference, s.sub);
    }
    s.next_bits = options.min_bits;
}

LinSweepJob::~LinSweepJob() = default;

JobProgress LinSweepJob::progress() const {
    JobProgress p;
    p.stage = "bit width " + std::to_string(s_->next_bits);
    p.total = s_->options.max_bits - s_->options.min_bits + 1;
    p.done = static_cast<long long>(s_->result.rows.size());
    return p;
}

const LinSweepResult& LinSweepJob::result() const {
    return s_->result;
}

bool LinSweepJob::is_done() const {
    return s_->next_bits > s_->options.max_bits;
}

Status LinSweepJob::do_unit() {
    State& s = *s_;
    LinSweepRow row;
    row.bits = s.next_bits;
    EvalOptions eval;
    eval.layers.resize(s.model.layers.size());
    for (std::size_t i = 0; i < s.result.steps.size(); ++i) {
        const QuantStep& step = s.result.steps[i];
        const std::string spec = lin_fixed_format(s.doubles[i], row.bits, s.options.format);
        auto f = parse_for(spec, "format");
        if (!f) return f.status();
        row.formats.push_back(spec);
        row.step_db.push_back(matrix_sqnr(*f, s.values[i]));
        if (step.role == StepRole::weights)
            eval.layers[step.layer].weights = spec;
        else
            eval.layers[step.layer].activations = spec;
    }
    row.predicted_output_db = predicted_output_sqnr_db(row.step_db);
    row.measured_output_db = std::nan("");
    row.accuracy = std::nan("");
    if (s.options.measure_output) {
        const Matrix q = predict_scores(s.model, s.sub, eval);
        row.measured_output_db = scores_sqnr(s.reference, q);
        row.accuracy = scores_accuracy(q, s.sub);
    }
    s.result.rows.push_back(std::move(row));
    ++s.next_bits;
    if (is_done()) {  // kappa per step and at the output: eq. 2's slope over the widths swept
        std::vector<double> bits;
        for (const LinSweepRow& r : s.result.rows) bits.push_back(r.bits);
        s.result.kappa.clear();
        for (std::size_t i = 0; i < s.result.steps.size(); ++i) {
            std::vector<double> db;
            for (const LinSweepRow& r : s.result.rows) db.push_back(r.step_db[i]);
            s.result.kappa.push_back(least_squares_slope(bits, db));
        }
        std::vector<double> out;
        for (const LinSweepRow& r : s.result.rows) out.push_back(r.measured_output_db);
        s.result.output_kappa = least_squares_slope(bits, out);
    }
    return Status::success();
}

Result<LinSweepResult> lin_sweep(const Model& model, const Dataset& data,
                                 const LinSweepOptions& options) {
    LinSweepJob job(model, data, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

Result<double> measured_weight_kappa(const Model& model, int min_bits, int max_bits,
                                     const LinFormatOptions& format) {
    // Weights need no data; a one-row dataset of zeros satisfies the job's checks.
    Dataset none;
    none.features = model.inputs();
    none.classes = std::max(1, model.outputs());
    none.x.assign(static_cast<std::size_t>(none.features), 0.0f);
    none.y.assign(1, 0);
    LinSweepOptions o;
    o.min_bits = min_bits, o.max_bits = max_bits, o.format = format, o.measure_output = false;
    o.max_rows = 1;
    auto r = lin_sweep(model, none, o);
    if (!r) return r.status();
    double sum = 0;
    int n = 0;
    for (std::size_t i = 0; i < r->steps.size(); ++i)
        if (r->steps[i].role == StepRole::weights && std::isfinite(r->kappa[i]))
            sum += r->kappa[i], ++n;
    if (n == 0) return Status::error("no weights to measure kappa on");
    return sum / n;
}

// ---- bit allocation --------------------------------------------------------------------------

const char* objective_name(AllocationObjective o) {
    return o == AllocationObjective::size ? "size" : "compute";
}

Result<AllocationObjective> parse_objective(std::string_view name) {
    if (name == "size") return AllocationObjective::size;
    if (name == "compute") return AllocationObjective::compute;
    return Status::error("unknown objective '" + std::string(name) +
                         "' (expected size or compute)");
}

Result<Allocation> allocate_bits(const std::vector<double>& rho, double kappa, int base_bits,
                                 int min_bits) {
    if (rho.empty()) return Status::error("no layers to allocate");
    for (double r : rho)
        if (!(r > 0) || !std::isfinite(r)) return Status::error("every rho must be positive");
    if (!(kappa > 0) || !std::isfinite(kappa)) return Status::error("kappa must be positive");
    Allocation a;
    a.rho = rho;
    a.kappa = kappa;
    for (double r : rho) {
        const double exact = 10 * std::log10(rho[0] / r) / kappa;  // eq. 16 with j = the first
        a.exact_offsets.push_back(exact);
        a.offsets.push_back(static_cast<int>(std::lround(exact)));
        a.bits.push_back(std::max(min_bits, base_bits + a.offsets.back()));
        a.weighted_bits += r * a.bits.back();
    }
    return a;
}

std::vector<std::size_t> weighted_layers(const Model& model) {
    std::vector<std::size_t> out;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (model.layers[l].has_weights()) out.push_back(l);
    return out;
}

std::vector<double> layer_parameters(const Model& model) {
    std::vector<double> out;
    for (std::size_t l : weighted_layers(model))
        out.push_back(static_cast<double>(model.layers[l].weight.size()));
    return out;
}

std::vector<double> layer_macs(const Model& model) {
    std::vector<double> out;
    for (std::size_t l : weighted_layers(model)) {
        const Layer& L = model.layers[l];
        double positions = 1;  // a conv kernel is applied at every output position
        if (L.kind == LayerKind::conv2d)
            positions = static_cast<double>(L.output_height()) * L.output_width();
        out.push_back(static_cast<double>(L.weight.size()) * positions);
    }
    return out;
}

double total_macs(const Model& model) {
    double sum = 0;
    for (double m : layer_macs(model)) sum += m;
    return sum;
}

// ---- model size against error ----------------------------------------------------------------

struct TradeoffJob::State {
    const Model& model;
    const Dataset& data;
    TradeoffOptions options;
    std::vector<std::size_t> layers;
    std::vector<double> params;
    std::vector<std::vector<double>> weights;     // per weighted layer
    std::vector<std::string> activation_formats;  // per model layer ("" for none)
    TradeoffResult result;
    std::size_t next = 0;
    State(const Model& m, const Dataset& d, const TradeoffOptions& o)
        : model(m), data(d), options(o) {}
};

TradeoffJob::TradeoffJob(const Model& model, const Dataset& data, const TradeoffOptions& options)
    : s_(std::make_unique<State>(model, data, options)) {
    if (Status st = check_model_data(model, data); !st) {
        fail_now(st);
        return;
    }
    if (options.min_bits < 2 || options.max_bits > 16 || options.min_bits > options.max_bits) {
        fail_now(Status::error("bit widths must satisfy 2 <= min <= max <= 16"));
        return;
    }
    if (options.activation_bits < 2 || options.activation_bits > 16) {
        fail_now(Status::error("activation bits must be from 2 to 16"));
        return;
    }
    State& s = *s_;
    s.layers = weighted_layers(model);
    s.params = layer_parameters(model);
    for (std::size_t l : s.layers) s.weights.push_back(to_doubles(model.layers[l].weight));
    double kappa = options.kappa;
    if (!(kappa > 0)) {
        auto k = measured_weight_kappa(model, 2, 12, options.format);
        if (!k) {
            fail_now(k.status());
            return;
        }
        kappa = *k;
    }
    const std::vector<double> rho =
        options.objective == AllocationObjective::size ? s.params : layer_macs(model);
    auto alloc = allocate_bits(rho, kappa, 0, std::numeric_limits<int>::min());
    if (!alloc) {
        fail_now(alloc.status());
        return;
    }
    s.result.kappa = kappa;
    s.result.offsets = alloc->offsets;
    const Dataset sub = first_rows(data, 1000);
    s.activation_formats.assign(model.layers.size(), "");
    for (std::size_t l = 0; l + 1 < model.layers.size(); ++l) {
        if (model.layers[l].kind == LayerKind::maxpool2d) continue;
        s.activation_formats[l] =
            lin_fixed_format(to_doubles(hidden_outputs(model, sub, l, sub.size())),
                             options.activation_bits, options.format);
    }
    const int lowest = *std::min_element(alloc->offsets.begin(), alloc->offsets.end());
    for (int optimised = 0; optimised < 2; ++optimised) {
        for (int b = options.min_bits; b <= options.max_bits; ++b) {
            TradeoffPoint p;
            p.optimised = optimised;
            for (std::size_t i = 0; i < s.layers.size(); ++i) {
                // Optimised: the narrowest layer takes b, the others their eq. 16 offsets above it.
                p.bits.push_back(optimised ? std::min(16, b - lowest + alloc->offsets[i]) : b);
                p.model_size_bits += s.params[i] * p.bits.back();
            }
            s.result.points.push_back(p);
        }
    }
    s.result.float_error = 1 - accuracy(model, data);
}

TradeoffJob::~TradeoffJob() = default;

JobProgress TradeoffJob::progress() const {
    JobProgress p;
    p.stage = "allocation " + std::to_string(s_->next + 1);
    p.done = static_cast<long long>(s_->next);
    p.total = static_cast<long long>(s_->result.points.size());
    return p;
}

const TradeoffResult& TradeoffJob::result() const {
    return s_->result;
}

bool TradeoffJob::is_done() const {
    return s_->next >= s_->result.points.size();
}

Status TradeoffJob::do_unit() {
    State& s = *s_;
    TradeoffPoint& p = s.result.points[s.next];
    EvalOptions eval;
    eval.layers.resize(s.model.layers.size());
    for (std::size_t l = 0; l < s.model.layers.size(); ++l)
        eval.layers[l].activations = s.activation_formats[l];
    for (std::size_t i = 0; i < s.layers.size(); ++i)
        eval.layers[s.layers[i]].weights =
            lin_fixed_format(s.weights[i], p.bits[i], s.options.format);
    p.error = 1 - accuracy(s.model, s.data, eval);
    ++s.next;
    return Status::success();
}

Result<TradeoffResult> lin_tradeoff(const Model& model, const Dataset& data,
                                    const TradeoffOptions& options) {
    TradeoffJob job(model, data, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

namespace detail {

double sqnr_db(const float* x, const float* q, std::size_t n) {
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(q[i]);
        signal += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        noise += d * d;
    }
    if (noise == 0) return std::numeric_limits<double>::infinity();
    if (signal == 0) return -std::numeric_limits<double>::infinity();
    return 10 * std::log10(signal / noise);
}

std::vector<double> to_doubles(const Matrix& m) {
    return std::vector<double>(m.data(), m.data() + m.size());
}

Status check_model_data(const Model& model, const Dataset& data) {
    if (model.layers.empty()) return Status::error("the model has no layers");
    if (data.size() == 0) return Status::error("the data has no rows");
    if (data.features != model.inputs())
        return Status::error("the data has " + std::to_string(data.features) +
                             " features, the model takes " + std::to_string(model.inputs()));
    return Status::success();
}

}  // namespace detail
}  // namespace qlab
