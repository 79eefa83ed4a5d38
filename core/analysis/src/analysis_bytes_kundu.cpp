// Kundu's residuals, the Pareto view and Kundu's Tables 3-4 as bytes (see qlab/analysis_bytes.hpp
// and analysis_bytes_common.hpp).
#include <algorithm>
#include <vector>

#include "analysis_bytes_common.hpp"
#include "qlab/analysis_bytes.hpp"

namespace qlab {

using namespace analysis_bytes;

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
