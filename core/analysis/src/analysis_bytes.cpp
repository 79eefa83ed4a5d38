// The analyses' options and results as bytes (see qlab/analysis_bytes.hpp). Each starts with a
// tag of its type, so a result is never read as another's; readers fill a copy and move it into
// `out` only when every byte fitted.
#include "qlab/analysis_bytes.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "qlab/bytes.hpp"

namespace qlab {

namespace {

enum class Tag : std::uint8_t {
    sensitivity_options = 1,
    sensitivity_result,
    sakr_options,
    sakr,
    sakr_sim_request,
    sakr_sim_result,
    lin_sweep_options,
    lin_sweep_result,
    tradeoff_options,
    tradeoff_result,
    bitflip_options,
    bitflip_result,
    kundu_options,
    kundu_result,
    pareto_options,
    pareto_result,
    kundu_tables_options,
    kundu_tables_result,
    kundu_tables_request,
};

ByteWriter tagged(Tag tag) {
    ByteWriter w;
    w.pod(tag);
    return w;
}

// Reads `bytes` with `read` into a copy of T; `out` takes it when it all fitted.
template <class T, class Read>
Status read_tagged(std::string_view bytes, Tag tag, const char* what, T& out, Read read) {
    ByteReader r(bytes);
    T value{};
    if (r.pod<Tag>() != tag) return Status::error(std::string("not the bytes of ") + what);
    read(r, value);
    if (!r.ok() || !r.at_end())
        return Status::error(std::string("the bytes of ") + what + " are cut short or too long");
    out = std::move(value);
    return Status::success();
}

void write_layer(ByteWriter& w, const LayerSensitivity& l) {
    w.pod<std::uint64_t>(l.layer), w.text(l.description);
    w.pod(l.accuracy), w.pod(l.accuracy_drop), w.pod(l.measured_sqnr_db);
    w.pod(l.predicted_sqnr_db), w.pod(l.weight_sqnr_db), w.pod(l.activation_sqnr_db);
}

void read_layer(ByteReader& r, LayerSensitivity& l) {
    l.layer = static_cast<std::size_t>(r.pod<std::uint64_t>()), l.description = r.text();
    l.accuracy = r.pod<double>(), l.accuracy_drop = r.pod<double>();
    l.measured_sqnr_db = r.pod<double>(), l.predicted_sqnr_db = r.pod<double>();
    l.weight_sqnr_db = r.pod<double>(), l.activation_sqnr_db = r.pod<double>();
}

template <class T>
void write_values(ByteWriter& w, const std::vector<T>& v) {
    w.array(v.data(), v.size());
}

void write_texts(ByteWriter& w, const std::vector<std::string>& texts) {
    w.pod<std::uint64_t>(texts.size());
    for (const std::string& t : texts) w.text(t);
}

void read_texts(ByteReader& r, std::vector<std::string>& texts) {
    texts.resize(r.count(sizeof(std::uint64_t)));
    for (std::string& t : texts) t = r.text();
}

void write_format_options(ByteWriter& w, const LinFormatOptions& f) {
    w.pod(f.sigma_factor), w.pod<std::uint8_t>(static_cast<std::uint8_t>(f.distribution));
}

void read_format_options(ByteReader& r, LinFormatOptions& f) {
    f.sigma_factor = r.pod<double>();
    const auto d = r.pod<std::uint8_t>();
    if (d > static_cast<std::uint8_t>(Distribution::gamma)) r.fail();
    f.distribution = static_cast<Distribution>(d);
}

}  // namespace

std::string to_bytes(const SensitivityOptions& o) {
    ByteWriter w = tagged(Tag::sensitivity_options);
    w.text(o.weights), w.text(o.activations), w.pod<std::uint64_t>(o.max_rows);
    return w.take();
}

Status from_bytes(std::string_view bytes, SensitivityOptions& out) {
    return read_tagged(bytes, Tag::sensitivity_options, "sensitivity options", out,
                       [](ByteReader& r, SensitivityOptions& o) {
                           o.weights = r.text(), o.activations = r.text();
                           o.max_rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
                       });
}

std::string to_bytes(const SensitivityResult& result) {
    ByteWriter w = tagged(Tag::sensitivity_result);
    w.pod(result.float_accuracy), w.pod<std::uint64_t>(result.rows);
    w.pod<std::uint64_t>(result.layers.size());
    for (const LayerSensitivity& l : result.layers) write_layer(w, l);
    return w.take();
}

Status from_bytes(std::string_view bytes, SensitivityResult& out) {
    return read_tagged(bytes, Tag::sensitivity_result, "a sensitivity result", out,
                       [](ByteReader& r, SensitivityResult& s) {
                           s.float_accuracy = r.pod<double>();
                           s.rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
                           s.layers.resize(r.count(8 * 7));
                           for (LayerSensitivity& l : s.layers) read_layer(r, l);
                       });
}

std::string to_bytes(const SakrOptions& o) {
    ByteWriter w = tagged(Tag::sakr_options);
    w.pod<std::int32_t>(o.samples), w.pod<std::int32_t>(o.batch), w.pod(o.seed);
    w.pod<std::int32_t>(o.grid_min), w.pod<std::int32_t>(o.grid_max);
    w.pod<std::int32_t>(o.offset), w.pod<std::int32_t>(o.noise_trials);
    return w.take();
}

Status from_bytes(std::string_view bytes, SakrOptions& out) {
    return read_tagged(bytes, Tag::sakr_options, "Sakr options", out,
                       [](ByteReader& r, SakrOptions& o) {
                           o.samples = r.pod<std::int32_t>(), o.batch = r.pod<std::int32_t>();
                           o.seed = r.pod<std::uint64_t>();
                           o.grid_min = r.pod<std::int32_t>(), o.grid_max = r.pod<std::int32_t>();
                           o.offset = r.pod<std::int32_t>();
                           o.noise_trials = r.pod<std::int32_t>();
                       });
}

std::string to_bytes(const SakrAnalysis& a) {
    static_assert(std::is_trivially_copyable_v<SakrPair>);
    ByteWriter w = tagged(Tag::sakr);
    w.text(model_to_bytes(a.model_));
    w.pod<std::int64_t>(a.x_.rows());
    w.matrix(a.x_);
    w.array(a.decisions_.data(), a.decisions_.size());
    w.array(a.pairs_.data(), a.pairs_.size());
    w.pod(a.e_a_), w.pod(a.e_w_), w.pod<std::int64_t>(a.ties_), w.pod<std::int64_t>(a.clipped_);
    w.text(a.first_tie_);
    return w.take();
}

Status from_bytes(std::string_view bytes, SakrAnalysis& out) {
    Status model_status = Status::success();
    Status st = read_tagged(bytes, Tag::sakr, "a Sakr analysis", out,
                            [&model_status](ByteReader& r, SakrAnalysis& a) {
                                auto model = model_from_bytes(r.text());
                                if (!model) return model_status = model.status(), r.fail();
                                a.model_ = std::move(model).value();
                                // The estimation set: rows of the model's width.
                                const auto rows = r.pod<std::int64_t>();
                                r.matrix(a.x_, rows, a.model_.inputs());
                                r.array(a.decisions_), r.array(a.pairs_);
                                a.e_a_ = r.pod<double>(), a.e_w_ = r.pod<double>();
                                a.ties_ = r.pod<std::int64_t>();
                                a.clipped_ = r.pod<std::int64_t>();
                                a.first_tie_ = r.text();
                            });
    return model_status ? st : model_status;
}

std::string to_bytes(const SakrSimRequest& q) {
    ByteWriter w = tagged(Tag::sakr_sim_request);
    w.pod<std::uint8_t>(q.with_data);
    w.pod<std::int64_t>(q.noise_rows.rows()), w.pod<std::int64_t>(q.noise_rows.cols());
    w.matrix(q.noise_rows);
    w.array(q.float_decisions.data(), q.float_decisions.size());
    w.pod<std::uint64_t>(q.precisions.size());
    for (const auto& [ba, bw] : q.precisions) w.pod<std::int32_t>(ba), w.pod<std::int32_t>(bw);
    w.pod<std::int32_t>(q.options.rows_per_unit), w.pod<std::int32_t>(q.options.noise_trials);
    w.pod(q.options.seed);
    return w.take();
}

Status from_bytes(std::string_view bytes, SakrSimRequest& out) {
    return read_tagged(bytes, Tag::sakr_sim_request, "a Sakr simulation request", out,
                       [](ByteReader& r, SakrSimRequest& q) {
                           q.with_data = r.pod<std::uint8_t>() != 0;
                           const auto rows = r.pod<std::int64_t>(), cols = r.pod<std::int64_t>();
                           r.matrix(q.noise_rows, rows, cols);
                           r.array(q.float_decisions);
                           q.precisions.resize(r.count(8));
                           for (auto& [ba, bw] : q.precisions)
                               ba = r.pod<std::int32_t>(), bw = r.pod<std::int32_t>();
                           q.options.rows_per_unit = r.pod<std::int32_t>();
                           q.options.noise_trials = r.pod<std::int32_t>();
                           q.options.seed = r.pod<std::uint64_t>();
                       });
}

std::string to_bytes(const SakrSimResult& result) {
    ByteWriter w = tagged(Tag::sakr_sim_result);
    w.pod<std::uint8_t>(result.float_ready);
    w.array(result.float_decisions.data(), result.float_decisions.size());
    w.pod<std::uint64_t>(result.points.size());
    for (const SakrSimPoint& p : result.points) {
        w.pod<std::int32_t>(p.ba), w.pod<std::int32_t>(p.bw), w.pod<std::uint8_t>(p.fixed);
        w.pod(p.p_m), w.pod(p.error), w.array(p.decisions.data(), p.decisions.size());
        w.pod<std::uint8_t>(p.noise), w.pod(p.p_m_noise_linear), w.pod(p.p_m_noise_exact);
        w.pod<std::int64_t>(p.noise_trials);
    }
    return w.take();
}

Status from_bytes(std::string_view bytes, SakrSimResult& out) {
    return read_tagged(bytes, Tag::sakr_sim_result, "a Sakr simulation result", out,
                       [](ByteReader& r, SakrSimResult& s) {
                           s.float_ready = r.pod<std::uint8_t>() != 0;
                           r.array(s.float_decisions);
                           s.points.resize(r.count(4 + 4 + 1 + 8 + 8 + 8 + 1 + 8 + 8 + 8));
                           for (SakrSimPoint& p : s.points) {
                               p.ba = r.pod<std::int32_t>(), p.bw = r.pod<std::int32_t>();
                               p.fixed = r.pod<std::uint8_t>() != 0;
                               p.p_m = r.pod<double>(), p.error = r.pod<double>();
                               r.array(p.decisions);
                               p.noise = r.pod<std::uint8_t>() != 0;
                               p.p_m_noise_linear = r.pod<double>();
                               p.p_m_noise_exact = r.pod<double>();
                               p.noise_trials = r.pod<std::int64_t>();
                           }
                       });
}

std::string to_bytes(const LinSweepOptions& o) {
    ByteWriter w = tagged(Tag::lin_sweep_options);
    w.pod<std::int32_t>(o.min_bits), w.pod<std::int32_t>(o.max_bits);
    write_format_options(w, o.format);
    w.pod<std::uint64_t>(o.max_rows), w.pod<std::uint8_t>(o.measure_output);
    return w.take();
}

Status from_bytes(std::string_view bytes, LinSweepOptions& out) {
    return read_tagged(bytes, Tag::lin_sweep_options, "kappa sweep options", out,
                       [](ByteReader& r, LinSweepOptions& o) {
                           o.min_bits = r.pod<std::int32_t>(), o.max_bits = r.pod<std::int32_t>();
                           read_format_options(r, o.format);
                           o.max_rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
                           o.measure_output = r.pod<std::uint8_t>() != 0;
                       });
}

std::string to_bytes(const LinSweepResult& result) {
    ByteWriter w = tagged(Tag::lin_sweep_result);
    w.pod<std::uint64_t>(result.steps.size());
    for (const QuantStep& s : result.steps) {
        w.pod<std::uint64_t>(s.layer), w.pod<std::uint8_t>(static_cast<std::uint8_t>(s.role));
        w.text(s.format), w.pod<std::uint64_t>(s.count), w.pod(s.sqnr_db);
    }
    w.pod<std::uint64_t>(result.rows.size());
    for (const LinSweepRow& row : result.rows) {
        w.pod<std::int32_t>(row.bits);
        write_texts(w, row.formats);
        write_values(w, row.step_db);
        w.pod(row.predicted_output_db), w.pod(row.measured_output_db), w.pod(row.accuracy);
    }
    write_values(w, result.kappa);
    w.pod(result.output_kappa), w.pod(result.float_accuracy);
    return w.take();
}

Status from_bytes(std::string_view bytes, LinSweepResult& out) {
    return read_tagged(
        bytes, Tag::lin_sweep_result, "a kappa sweep", out, [](ByteReader& r, LinSweepResult& x) {
            x.steps.resize(r.count(8 + 1 + 8 + 8 + 8));
            for (QuantStep& s : x.steps) {
                s.layer = static_cast<std::size_t>(r.pod<std::uint64_t>());
                const auto role = r.pod<std::uint8_t>();
                if (role > static_cast<std::uint8_t>(StepRole::activations)) r.fail();
                s.role = static_cast<StepRole>(role);
                s.format = r.text(), s.count = static_cast<std::size_t>(r.pod<std::uint64_t>());
                s.sqnr_db = r.pod<double>();
            }
            x.rows.resize(r.count(4 + 8 + 8 + 3 * 8));
            for (LinSweepRow& row : x.rows) {
                row.bits = r.pod<std::int32_t>();
                read_texts(r, row.formats);
                r.array(row.step_db);
                row.predicted_output_db = r.pod<double>(), row.measured_output_db = r.pod<double>();
                row.accuracy = r.pod<double>();
            }
            r.array(x.kappa);
            x.output_kappa = r.pod<double>(), x.float_accuracy = r.pod<double>();
        });
}

std::string to_bytes(const TradeoffOptions& o) {
    ByteWriter w = tagged(Tag::tradeoff_options);
    w.pod<std::int32_t>(o.min_bits), w.pod<std::int32_t>(o.max_bits), w.pod(o.kappa);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(o.objective));
    w.pod<std::int32_t>(o.activation_bits);
    write_format_options(w, o.format);
    return w.take();
}

Status from_bytes(std::string_view bytes, TradeoffOptions& out) {
    return read_tagged(bytes, Tag::tradeoff_options, "size against error options", out,
                       [](ByteReader& r, TradeoffOptions& o) {
                           o.min_bits = r.pod<std::int32_t>(), o.max_bits = r.pod<std::int32_t>();
                           o.kappa = r.pod<double>();
                           const auto objective = r.pod<std::uint8_t>();
                           if (objective > static_cast<std::uint8_t>(AllocationObjective::compute))
                               r.fail();
                           o.objective = static_cast<AllocationObjective>(objective);
                           o.activation_bits = r.pod<std::int32_t>();
                           read_format_options(r, o.format);
                       });
}

std::string to_bytes(const TradeoffResult& result) {
    ByteWriter w = tagged(Tag::tradeoff_result);
    w.pod(result.kappa);
    write_values(w, result.offsets);
    w.pod<std::uint64_t>(result.points.size());
    for (const TradeoffPoint& p : result.points) {
        w.pod<std::uint8_t>(p.optimised);
        write_values(w, p.bits);
        w.pod(p.model_size_bits), w.pod(p.error);
    }
    w.pod(result.float_error);
    return w.take();
}

Status from_bytes(std::string_view bytes, TradeoffResult& out) {
    return read_tagged(bytes, Tag::tradeoff_result, "a size against error result", out,
                       [](ByteReader& r, TradeoffResult& x) {
                           x.kappa = r.pod<double>();
                           r.array(x.offsets);
                           x.points.resize(r.count(1 + 8 + 8 + 8));
                           for (TradeoffPoint& p : x.points) {
                               p.optimised = r.pod<std::uint8_t>() != 0;
                               r.array(p.bits);
                               p.model_size_bits = r.pod<double>(), p.error = r.pod<double>();
                           }
                           x.float_error = r.pod<double>();
                       });
}

std::string to_bytes(const BitFlipOptions& o) {
    ByteWriter w = tagged(Tag::bitflip_options);
    w.pod<std::int32_t>(o.ba), w.pod<std::int32_t>(o.bw), w.pod(o.rate), w.pod(o.seed);
    w.pod<std::int32_t>(o.rows_per_unit), w.pod<std::uint8_t>(o.activations);
    return w.take();
}

Status from_bytes(std::string_view bytes, BitFlipOptions& out) {
    return read_tagged(bytes, Tag::bitflip_options, "bit-flip options", out,
                       [](ByteReader& r, BitFlipOptions& o) {
                           o.ba = r.pod<std::int32_t>(), o.bw = r.pod<std::int32_t>();
                           o.rate = r.pod<double>(), o.seed = r.pod<std::uint64_t>();
                           o.rows_per_unit = r.pod<std::int32_t>();
                           o.activations = r.pod<std::uint8_t>() != 0;
                       });
}

std::string to_bytes(const BitFlipResult& result) {
    ByteWriter w = tagged(Tag::bitflip_result);
    w.pod<std::int32_t>(result.layers), w.pod<std::int32_t>(result.bits), w.pod(result.baseline);
    write_values(w, result.accuracy), write_values(w, result.flipped);
    return w.take();
}

Status from_bytes(std::string_view bytes, BitFlipResult& out) {
    return read_tagged(bytes, Tag::bitflip_result, "a bit-flip map", out,
                       [](ByteReader& r, BitFlipResult& x) {
                           x.layers = r.pod<std::int32_t>(), x.bits = r.pod<std::int32_t>();
                           x.baseline = r.pod<double>();
                           r.array(x.accuracy), r.array(x.flipped);
                           const auto cells = static_cast<std::size_t>(std::max(0, x.layers)) *
                                              static_cast<std::size_t>(std::max(0, x.bits));
                           if (x.accuracy.size() != cells || x.flipped.size() != cells) r.fail();
                       });
}

// ---- Kundu and Pareto

namespace {

// Sizes travel as 64 bits (the worker and the page are one build, the CLI's tests another).
void write_sizes(ByteWriter& w, const std::vector<std::size_t>& v) {
    w.pod<std::uint64_t>(v.size());
    for (std::size_t x : v) w.pod<std::uint64_t>(x);
}

void read_sizes(ByteReader& r, std::vector<std::size_t>& v) {
    v.resize(r.count(8));
    for (std::size_t& x : v) x = static_cast<std::size_t>(r.pod<std::uint64_t>());
}

void write_flag(ByteWriter& w, bool b) {
    w.pod<std::uint8_t>(b ? 1 : 0);
}

bool read_flag(ByteReader& r) {
    const auto b = r.pod<std::uint8_t>();
    if (b > 1) r.fail();
    return b == 1;
}

void write_residual_options(ByteWriter& w, const ResidualOptions& o) {
    w.pod<std::uint64_t>(o.block), w.pod(o.tolerance), w.pod<std::int32_t>(o.max_residuals);
}

void read_residual_options(ByteReader& r, ResidualOptions& o) {
    o.block = static_cast<std::size_t>(r.pod<std::uint64_t>());
    o.tolerance = r.pod<double>(), o.max_residuals = r.pod<std::int32_t>();
}

void write_tensor(ByteWriter& w, const ResidualTensor& t) {
    w.pod<std::uint64_t>(t.blocks.size());
    for (const ResidualBlock& b : t.blocks) {
        w.pod<std::uint64_t>(b.begin), w.pod<std::uint64_t>(b.size);
        w.pod<std::uint64_t>(b.terms.size());
        for (const TernaryVector& v : b.terms) {
            w.pod(v.alpha), w.pod(v.threshold);
            w.array(v.signs.data(), v.signs.size());
        }
    }
    w.array(t.errors.data(), t.errors.size());
    write_sizes(w, t.order);
    w.pod(t.norm), w.pod<std::uint64_t>(t.n), write_flag(w, t.stopped_at_guard);
}

void read_tensor(ByteReader& r, ResidualTensor& t) {
    t.blocks.resize(r.count(3 * 8));
    for (ResidualBlock& b : t.blocks) {
        b.begin = static_cast<std::size_t>(r.pod<std::uint64_t>());
        b.size = static_cast<std::size_t>(r.pod<std::uint64_t>());
        b.terms.resize(r.count(3 * 8));
        for (TernaryVector& v : b.terms) {
            v.alpha = r.pod<double>(), v.threshold = r.pod<double>();
            r.array(v.signs);
        }
    }
    r.array(t.errors);
    read_sizes(r, t.order);
    t.norm = r.pod<double>(), t.n = static_cast<std::size_t>(r.pod<std::uint64_t>());
    t.stopped_at_guard = read_flag(r);
}

void write_level(ByteWriter& w, const KunduLevel& l) {
    w.pod<std::int32_t>(l.level), w.pod(l.accuracy), w.pod(l.compute);
    w.pod(l.power_performance), w.pod(l.memory_gain), w.pod(l.model_size_bits);
    w.pod<std::int64_t>(l.scale_factors);
}

void read_level(ByteReader& r, KunduLevel& l) {
    l.level = r.pod<std::int32_t>(), l.accuracy = r.pod<double>(), l.compute = r.pod<double>();
    l.power_performance = r.pod<double>(), l.memory_gain = r.pod<double>();
    l.model_size_bits = r.pod<double>(), l.scale_factors = r.pod<std::int64_t>();
}

void write_table_point(ByteWriter& w, const KunduTablePoint& p) {
    w.pod(p.epsilon), w.array(p.layer_epsilon.data(), p.layer_epsilon.size());
    write_sizes(w, p.layer_steps);
    w.pod(p.accuracy), w.pod(p.loss), w.pod(p.blocks), w.pod(p.compute);
    w.pod(p.power_performance);
}

void read_table_point(ByteReader& r, KunduTablePoint& p) {
    p.epsilon = r.pod<double>(), r.array(p.layer_epsilon);
    read_sizes(r, p.layer_steps);
    p.accuracy = r.pod<double>(), p.loss = r.pod<double>(), p.blocks = r.pod<double>();
    p.compute = r.pod<double>(), p.power_performance = r.pod<double>();
}

constexpr std::uint8_t kSchemes = 3;  // ToleranceScheme: uniform, sensitivity, compute

ToleranceScheme read_scheme(ByteReader& r) {
    const auto s = r.pod<std::uint8_t>();
    if (s >= kSchemes) r.fail();
    return static_cast<ToleranceScheme>(s < kSchemes ? s : 0);
}

}  // namespace

std::string to_bytes(const KunduOptions& o) {
    ByteWriter w = tagged(Tag::kundu_options);
    write_residual_options(w, o.residual);
    w.pod(o.gain_x), w.text(o.activations);
    return w.take();
}

Status from_bytes(std::string_view bytes, KunduOptions& out) {
    return read_tagged(bytes, Tag::kundu_options, "Kundu options", out,
                       [](ByteReader& r, KunduOptions& o) {
                           read_residual_options(r, o.residual);
                           o.gain_x = r.pod<double>(), o.activations = r.text();
                       });
}

std::string to_bytes(const KunduResult& result) {
    ByteWriter w = tagged(Tag::kundu_result);
    w.pod<std::uint64_t>(result.layers.size());
    for (const KunduLayer& l : result.layers)
        w.pod<std::uint64_t>(l.layer), write_tensor(w, l.tensor);
    w.pod<std::uint64_t>(result.levels.size());
    for (const KunduLevel& l : result.levels) write_level(w, l);
    w.pod(result.float_accuracy);
    return w.take();
}

Status from_bytes(std::string_view bytes, KunduResult& out) {
    return read_tagged(bytes, Tag::kundu_result, "a Kundu result", out,
                       [](ByteReader& r, KunduResult& k) {
                           k.layers.resize(r.count(6 * 8 + 1));
                           for (KunduLayer& l : k.layers) {
                               l.layer = static_cast<std::size_t>(r.pod<std::uint64_t>());
                               read_tensor(r, l.tensor);
                           }
                           k.levels.resize(r.count(4 + 6 * 8));
                           for (KunduLevel& l : k.levels) read_level(r, l);
                           k.float_accuracy = r.pod<double>();
                       });
}

std::string to_bytes(const ParetoOptions& o) {
    ByteWriter w = tagged(Tag::pareto_options);
    w.pod<std::uint64_t>(o.candidates.size());
    for (const ParetoCandidate& c : o.candidates) w.text(c.family), w.text(c.spec);
    w.pod<std::int32_t>(o.min_bits), w.pod<std::int32_t>(o.max_bits);
    write_flag(w, o.lin_fixed), write_flag(w, o.calibrated_int), write_flag(w, o.ternary);
    write_residual_options(w, o.ternary_options);
    return w.take();
}

Status from_bytes(std::string_view bytes, ParetoOptions& out) {
    return read_tagged(bytes, Tag::pareto_options, "Pareto options", out,
                       [](ByteReader& r, ParetoOptions& o) {
                           o.candidates.resize(r.count(2 * 8));
                           for (ParetoCandidate& c : o.candidates)
                               c.family = r.text(), c.spec = r.text();
                           o.min_bits = r.pod<std::int32_t>(), o.max_bits = r.pod<std::int32_t>();
                           o.lin_fixed = read_flag(r), o.calibrated_int = read_flag(r);
                           o.ternary = read_flag(r);
                           read_residual_options(r, o.ternary_options);
                       });
}

std::string to_bytes(const ParetoResult& result) {
    ByteWriter w = tagged(Tag::pareto_result);
    w.pod<std::uint64_t>(result.points.size());
    for (const ParetoPoint& p : result.points) {
        w.text(p.family), w.text(p.spec), w.pod(p.bits_per_weight), w.pod(p.accuracy);
    }
    write_sizes(w, result.frontier), write_texts(w, result.skipped);
    w.pod(result.float_accuracy), w.pod<std::uint64_t>(result.weights);
    return w.take();
}

Status from_bytes(std::string_view bytes, ParetoResult& out) {
    return read_tagged(bytes, Tag::pareto_result, "a Pareto result", out,
                       [](ByteReader& r, ParetoResult& p) {
                           p.points.resize(r.count(4 * 8));
                           for (ParetoPoint& x : p.points) {
                               x.family = r.text(), x.spec = r.text();
                               x.bits_per_weight = r.pod<double>(), x.accuracy = r.pod<double>();
                           }
                           read_sizes(r, p.frontier), read_texts(r, p.skipped);
                           p.float_accuracy = r.pod<double>();
                           p.weights = static_cast<std::size_t>(r.pod<std::uint64_t>());
                       });
}

std::string to_bytes(const KunduTablesOptions& o) {
    ByteWriter w = tagged(Tag::kundu_tables_options);
    w.pod<std::uint64_t>(o.block), w.pod(o.gain_x), w.pod<std::int32_t>(o.activation_bits);
    w.array(o.losses.data(), o.losses.size());
    w.pod(o.epsilon_max), w.pod(o.epsilon_min);
    w.pod<std::int32_t>(o.scales), w.pod<std::int32_t>(o.max_residuals);
    w.pod<std::uint64_t>(o.schemes.size());
    for (ToleranceScheme s : o.schemes) w.pod<std::uint8_t>(static_cast<std::uint8_t>(s));
    w.pod<std::uint64_t>(o.calibration_rows), w.pod(o.sensitivity_epsilon), w.pod(o.seed);
    return w.take();
}

Status from_bytes(std::string_view bytes, KunduTablesOptions& out) {
    return read_tagged(bytes, Tag::kundu_tables_options, "Kundu tables options", out,
                       [](ByteReader& r, KunduTablesOptions& o) {
                           o.block = static_cast<std::size_t>(r.pod<std::uint64_t>());
                           o.gain_x = r.pod<double>();
                           o.activation_bits = r.pod<std::int32_t>();
                           r.array(o.losses);
                           o.epsilon_max = r.pod<double>(), o.epsilon_min = r.pod<double>();
                           o.scales = r.pod<std::int32_t>();
                           o.max_residuals = r.pod<std::int32_t>();
                           o.schemes.resize(r.count(1));
                           for (ToleranceScheme& s : o.schemes) s = read_scheme(r);
                           o.calibration_rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
                           o.sensitivity_epsilon = r.pod<double>();
                           o.seed = r.pod<std::uint64_t>();
                       });
}

std::string to_bytes(const KunduTablesResult& result) {
    ByteWriter w = tagged(Tag::kundu_tables_result);
    w.pod(result.float_accuracy), w.pod(result.activation_accuracy), w.pod(result.fgq_accuracy);
    write_sizes(w, result.layers);
    w.array(result.sensitivity.data(), result.sensitivity.size());
    w.array(result.compute_share.data(), result.compute_share.size());
    write_texts(w, result.activation_formats);
    w.pod<std::uint64_t>(result.schemes.size());
    for (const KunduSchemeRun& run : result.schemes) {
        w.pod<std::uint8_t>(static_cast<std::uint8_t>(run.scheme));
        w.pod<std::uint64_t>(run.points.size());
        for (const KunduTablePoint& p : run.points) write_table_point(w, p);
        w.array(run.at_loss.data(), run.at_loss.size());
    }
    return w.take();
}

Status from_bytes(std::string_view bytes, KunduTablesResult& out) {
    return read_tagged(bytes, Tag::kundu_tables_result, "a Kundu tables result", out,
                       [](ByteReader& r, KunduTablesResult& t) {
                           t.float_accuracy = r.pod<double>();
                           t.activation_accuracy = r.pod<double>();
                           t.fgq_accuracy = r.pod<double>();
                           read_sizes(r, t.layers);
                           r.array(t.sensitivity), r.array(t.compute_share);
                           read_texts(r, t.activation_formats);
                           t.schemes.resize(r.count(1 + 2 * 8));
                           for (KunduSchemeRun& run : t.schemes) {
                               run.scheme = read_scheme(r);
                               run.points.resize(r.count(8 * 8));
                               for (KunduTablePoint& p : run.points) read_table_point(r, p);
                               r.array(run.at_loss);
                           }
                       });
}

std::string to_bytes(const KunduTablesRequest& request) {
    ByteWriter w = tagged(Tag::kundu_tables_request);
    w.text(to_bytes(request.options)), w.text(dataset_to_bytes(request.calibration));
    return w.take();
}

Status from_bytes(std::string_view bytes, KunduTablesRequest& out) {
    Status inner = Status::success();
    Status st = read_tagged(bytes, Tag::kundu_tables_request, "a Kundu tables request", out,
                            [&inner](ByteReader& r, KunduTablesRequest& q) {
                                const std::string options = r.text(), data = r.text();
                                if (!r.ok()) return;
                                if (Status o = from_bytes(options, q.options); !o)
                                    return inner = o, r.fail();
                                auto d = dataset_from_bytes(data);
                                if (!d) return inner = d.status(), r.fail();
                                q.calibration = std::move(d).value();
                            });
    return inner ? st : inner;
}

}  // namespace qlab
