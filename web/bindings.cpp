// The JS API behind window.quantlab (the only file with Embind): state as JSON through the
// core property table, validated setters, stepping, and the numbers the Formats panel shows.
#include <emscripten/bind.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "app.hpp"

namespace {

using nlohmann::json;

json number(double v) {
    if (std::isfinite(v)) return v;
    return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string state_json() {
    const qlab::LabState& s = quantlab::app().state();
    json j = json::object();
    for (const qlab::Property& p : qlab::lab_properties()) {
        if (p.text) j[p.key] = s.*p.text;
        else j[p.key] = s.*p.number;
    }
    return dump(j);
}

// Returns "" on success, otherwise the message (also shown in the lab).
std::string set_property(const std::string& key, const std::string& value) {
    return quantlab::app().set(key, value).message();
}

std::string query() { return qlab::to_query(quantlab::app().state()); }

int step(int n) { return quantlab::app().step_atoms(n); }

std::string metrics_json() {
    quantlab::App& app = quantlab::app();
    const qlab::Format& f = app.format();
    const qlab::LabState& s = app.state();
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double q = f.quantize_ref(s.x, app.rounding(), &rng);
    json j;
    j["panel"] = s.panel;
    j["format"] = f.to_string();
    j["fit_note"] = app.fit_note();
    {
        qlab::Rng rng_y(static_cast<std::uint64_t>(s.seed) + 1);
        j["y"] = s.y;
        j["quantized_y"] = number(f.quantize_ref(s.y, app.rounding(), &rng_y));
    }
    j["x"] = s.x;
    j["quantized"] = number(q);
    j["error"] = number(q - s.x);
    j["abs_error"] = number(std::fabs(q - s.x));
    j["rel_error"] = s.x != 0 ? number(std::fabs(q - s.x) / std::fabs(s.x)) : json(nullptr);
    j["step"] = number(f.step_at(s.x));
    j["delta"] = number(f.worst_case_error(s.lo, s.hi, app.rounding()));
    j["atoms"] = f.atom_count();
    j["sqnr_db_gaussian"] = number(app.gaussian_sqnr_db());
    j["bits"] = f.bits();
    j["max_finite"] = number(f.max_finite());
    j["min_positive"] = number(f.min_positive());
    j["code"] = f.encode(q).code;
    j["frames"] = app.frames;
    json messages = json::array();
    for (const auto& m : app.messages()) messages.push_back(m.text);
    j["messages"] = messages;
    json layout = json::object();
    for (const auto& [name, r] : app.layout) layout[name] = {{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
    j["layout"] = layout;
    return dump(j);
}

}  // namespace

EMSCRIPTEN_BINDINGS(quantlab) {
    emscripten::function("stateJson", &state_json);
    emscripten::function("setProperty", &set_property);
    emscripten::function("query", &query);
    emscripten::function("step", &step);
    emscripten::function("metricsJson", &metrics_json);
}
