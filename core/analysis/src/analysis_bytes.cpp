// The analyses' options and results as bytes (see qlab/analysis_bytes.hpp): the sensitivity,
// Sakr's analysis and simulations, Lin's kappa sweep and size against error, the bit-flip map
// (Kundu's and the Pareto view's are in analysis_bytes_kundu.cpp).
#include "qlab/analysis_bytes.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "analysis_bytes_common.hpp"
#include "qlab/bytes.hpp"

namespace qlab {

using namespace analysis_bytes;  // the tags and the shared readers and writers

namespace {

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

std::string to_bytes(const CalibrationRequest& q) {
    ByteWriter w = tagged(Tag::calibration_request);
    const CalibrationOptions& o = q.options;
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(o.method)), w.pod<std::int32_t>(o.bits);
    w.pod<std::uint8_t>(o.symmetric), w.pod<std::uint8_t>(o.per_channel), w.pod(o.percentile);
    w.text(dataset_to_bytes(q.calibration));
    return w.take();
}

Status from_bytes(std::string_view bytes, CalibrationRequest& out) {
    Status data_status = Status::success();
    Status st = read_tagged(bytes, Tag::calibration_request, "a calibration request", out,
                            [&data_status](ByteReader& r, CalibrationRequest& q) {
                                CalibrationOptions& o = q.options;
                                const auto method = r.pod<std::uint8_t>();
                                if (method > static_cast<std::uint8_t>(Calibration::kl)) r.fail();
                                o.method = static_cast<Calibration>(method);
                                o.bits = r.pod<std::int32_t>();
                                o.symmetric = r.pod<std::uint8_t>() != 0;
                                o.per_channel = r.pod<std::uint8_t>() != 0;
                                o.percentile = r.pod<double>();
                                const std::string data = r.text();
                                if (!r.ok()) return;
                                auto d = dataset_from_bytes(data);
                                if (!d) return data_status = d.status(), r.fail();
                                q.calibration = std::move(d).value();
                            });
    return data_status ? st : data_status;
}

std::string to_bytes(const CalibrationResult& result) {
    ByteWriter w = tagged(Tag::calibration_result);
    w.pod<std::uint8_t>(result.calibrated), w.pod(result.accuracy);
    const QuantRoles& roles = result.formats.roles;
    for (const std::string* role :
         {&roles.weights, &roles.activations, &roles.gradients, &roles.updates, &roles.accumulator})
        w.text(*role);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(roles.update_rounding));
    w.pod<std::uint64_t>(result.formats.layers.size());
    for (const LayerFormats& l : result.formats.layers) {
        w.text(l.weights);
        write_texts(w, l.weight_rows);
        w.text(l.activations);
    }
    return w.take();
}

Status from_bytes(std::string_view bytes, CalibrationResult& out) {
    return read_tagged(
        bytes, Tag::calibration_result, "a calibration", out,
        [](ByteReader& r, CalibrationResult& x) {
            x.calibrated = r.pod<std::uint8_t>() != 0;
            x.accuracy = r.pod<double>();
            QuantRoles& roles = x.formats.roles;
            for (std::string* role : {&roles.weights, &roles.activations, &roles.gradients,
                                      &roles.updates, &roles.accumulator})
                *role = r.text();
            const auto rounding = r.pod<std::uint8_t>();
            if (rounding > static_cast<std::uint8_t>(Rounding::stochastic)) r.fail();
            roles.update_rounding = static_cast<Rounding>(rounding);
            x.formats.layers.resize(r.count(8 + 8 + 8));
            for (LayerFormats& l : x.formats.layers) {
                l.weights = r.text();
                read_texts(r, l.weight_rows);
                l.activations = r.text();
            }
        });
}

}  // namespace qlab
