// The Formats lesson's logic (see formats_lesson.hpp).
#include "lessons/formats/formats_lesson.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>

#include "qlab/random.hpp"
#include "qlab/sqnr.hpp"

namespace quantlab::formats {

using qlab::shortest_repr;

nlohmann::json json_number(double v) {
    if (std::isfinite(v)) return v;
    return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

Lesson::Lesson() : format_(*qlab::Format::parse(qlab::LabState{}.format)), display_(format_) {}

void Lesson::refresh(const qlab::LabState& state) {
    auto f = qlab::Format::parse(state.format);
    assert(f.ok() && "state holds only validated specs");
    format_ = *f;
    display_ = format_;
    fit_note_.clear();
    block_values_.clear(), block_quantized_.clear(), block_codes_.clear();
    rounding_ = *qlab::parse_rounding(state.rounding);
    if (format_.data_dependent()) {
        // One block of a standard normal sample stands in for a weight tensor.
        const std::size_t n = format_.block_size() ? format_.block_size() : 4096;
        const auto sample = qlab::sample_distribution(qlab::Distribution::gaussian, n,
                                                      static_cast<std::uint64_t>(state.seed));
        display_ = format_.fit(sample);
        fit_note_ = "fitted to " + std::to_string(n) + " samples of N(0,1) (seed " +
                    shortest_repr(state.seed) + "): " + display_.to_string();
        if (format_.block_scaled()) {
            // The block as the format stores it: one shared scale (for NVFP4 the block is its own
            // tensor, so the FP32 scale comes from it too), an element code per value.
            qlab::QuantizeOptions options;
            options.rounding = rounding_;
            options.seed = static_cast<std::uint64_t>(state.seed);
            block_values_ = sample;
            block_quantized_ = format_.quantize_tensor_ref(sample, options);
            for (double q : block_quantized_) block_codes_.push_back(display_.encode(q).code);
        }
    }
}

void Lesson::on_state_changed(const qlab::LabState& state, const std::vector<std::string>& keys) {
    // Only these feed the parsed (and, for data-dependent specs, fitted) format; x, lo and hi
    // change on every drag and must not refit a k-means codebook each time.
    for (const std::string& k : keys)
        if (k == "format" || k == "rounding" || k == "seed") return refresh(state);
}

StateValues Lesson::step_atoms(const qlab::LabState& s, int n, int& moved) const {
    double x = s.x;
    moved = 0;
    for (int i = 0; i < std::abs(n); ++i) {
        const double next = n > 0 ? format_.next_up(x) : format_.next_down(x);
        if (!std::isfinite(next)) break;
        x = next;
        ++moved;
    }
    if (moved == 0) return {};
    double lo = s.lo, hi = s.hi;
    // Keep the value on screen: widen the view when it walks off an end.
    if (x < lo || x > hi) {
        const double width = hi - lo;
        lo = x < lo ? x - width * 0.1 : x - width * 0.9;
        hi = lo + width;
    }
    return {{"x", shortest_repr(x == 0 ? 0.0 : x)},
            {"lo", shortest_repr(lo)},
            {"hi", shortest_repr(hi)}};
}

double Lesson::gaussian_sqnr_db(const qlab::LabState& state) const {
    const std::string key = state.format + "|" + state.rounding + "|" + shortest_repr(state.seed);
    if (key != sqnr_key_) {
        const auto sample = qlab::sample_distribution(qlab::Distribution::gaussian, 4096,
                                                      static_cast<std::uint64_t>(state.seed));
        qlab::QuantizeOptions options;
        options.rounding = rounding_;
        options.seed = static_cast<std::uint64_t>(state.seed);
        sqnr_db_ = qlab::sqnr_db(format_, sample, options);
        sqnr_key_ = key;
    }
    return sqnr_db_;
}

nlohmann::json Lesson::metrics(const qlab::LabState& s) const {
    const qlab::Format& f = display_;
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double q = f.quantize_ref(s.x, rounding_, &rng);
    nlohmann::json j;
    j["format"] = f.to_string();
    j["fit_note"] = fit_note_;
    {
        qlab::Rng rng_y(static_cast<std::uint64_t>(s.seed) + 1);
        j["y"] = s.y;
        j["quantized_y"] = json_number(f.quantize_ref(s.y, rounding_, &rng_y));
    }
    j["x"] = s.x;
    j["quantized"] = json_number(q);
    j["error"] = json_number(q - s.x);
    j["abs_error"] = json_number(std::fabs(q - s.x));
    j["rel_error"] =
        s.x != 0 ? json_number(std::fabs(q - s.x) / std::fabs(s.x)) : nlohmann::json(nullptr);
    j["step"] = json_number(f.step_at(s.x));
    j["delta"] = json_number(f.worst_case_error(s.lo, s.hi, rounding_));
    j["atoms"] = f.atom_count();
    j["sqnr_db_gaussian"] = json_number(gaussian_sqnr_db(s));
    j["bits"] = f.bits();
    j["max_finite"] = json_number(f.max_finite());
    j["min_positive"] = json_number(f.min_positive());
    j["code"] = f.encode(q).code;
    j["bits_per_value"] = json_number(format_.bits_per_value());
    if (format_.block_scaled()) {
        // One block: its shared scale (value and code), the elements' codes and stored values.
        const qlab::Encoding scale = display_.block_scale_encoding();
        std::string scale_bits;
        for (int b = scale.total_bits - 1; b >= 0; --b)
            scale_bits += ((scale.code >> b) & 1u) ? '1' : '0';
        nlohmann::json block;
        block["size"] = format_.block_size();
        block["element"] = format_.element_spec();
        block["scale_format"] = format_.scale_spec();
        block["scale"] = json_number(display_.block_scale());
        block["scale_code"] = scale.code;
        block["scale_bits"] = scale_bits;
        block["bits_per_value"] = json_number(format_.bits_per_value());
        block["fitted"] = display_.to_string();
        nlohmann::json values = nlohmann::json::array(), quantized = nlohmann::json::array();
        for (double v : block_values_) values.push_back(json_number(v));
        for (double v : block_quantized_) quantized.push_back(json_number(v));
        block["values"] = values;
        block["quantized"] = quantized;
        block["codes"] = block_codes_;
        j["block"] = block;
    }
    return j;
}

}  // namespace quantlab::formats
