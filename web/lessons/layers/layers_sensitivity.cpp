// Draws the per-layer sensitivity table and reports its rows (see layers_sensitivity.hpp).
#include "layers_sensitivity.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "imgui.h"

namespace quantlab::layers {

namespace {

std::string db(double v) {
    if (!std::isfinite(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

nlohmann::json number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// A format key edited as text; Enter applies it (the property table checks it).
void format_input(App& app, const UiScale& ui, const char* key, const char* label,
                  const std::string& value, char* buf, std::size_t size, std::string& shown) {
    if (shown != value) {
        std::snprintf(buf, size, "%s", value.c_str());
        shown = value;
    }
    widgets::Lock lock(app, key);
    ImGui::SetNextItemWidth(ui.px(170));
    if (ImGui::InputTextWithHint(label, "float", buf, size, ImGuiInputTextFlags_EnterReturnsTrue))
        app.set(key, buf);
}

}  // namespace

void draw_sensitivity(App& app, const Sensitivity& sens, const UiScale& ui, float width) {
    static char wbuf[96], abuf[96];
    static std::string wshown = "\x01", ashown = "\x01";
    format_input(app, ui, "sweights", "weights##sens", app.state().sweights, wbuf, sizeof wbuf,
                 wshown);
    ImGui::SameLine();
    format_input(app, ui, "sacts", "output##sens", app.state().sacts, abuf, sizeof abuf, ashown);
    widgets::help_marker(
        "One layer at a time gets these formats (its weights, and its output when one is given) "
        "with every other layer in float, on the first test rows. Sorted most sensitive first: "
        "the layers to keep wide when choosing formats. Eq. 9 predicts the output SQNR from the "
        "layer's own quantization steps.",
        "Lin et al. eq. 9");
    const qlab::SensitivityResult* r = sens.result();
    const std::string problem = sens.problem();
    if (!problem.empty()) {
        widgets::error_text(problem);
        return;
    }
    if (!r) return;
    ImGui::TextDisabled("%zu rows: float accuracy %.4f; %zu of the weighted layers done%s", r->rows,
                        r->float_accuracy, r->layers.size(), sens.running() ? " (running)" : "");
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("sensitivity", 5, flags, ImVec2(width, 0))) return;
    ImGui::TableSetupColumn("layer");
    ImGui::TableSetupColumn("accuracy drop");
    ImGui::TableSetupColumn("accuracy");
    ImGui::TableSetupColumn("output SQNR dB");
    ImGui::TableSetupColumn("eq. 9 predicts dB");
    ImGui::TableHeadersRow();
    for (const qlab::LayerSensitivity& l : sens.sorted()) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Text("%zu %s", l.layer + 1, l.description.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%+.4f", l.accuracy_drop);
        ImGui::TableNextColumn();
        ImGui::Text("%.4f", l.accuracy);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(db(l.measured_sqnr_db).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(db(l.predicted_sqnr_db).c_str());
    }
    ImGui::EndTable();
}

nlohmann::json sensitivity_metrics(const Sensitivity& sens) {
    nlohmann::json j;
    const qlab::SensitivityResult* r = sens.result();
    j["state"] = sens.done() ? "finished" : sens.running() ? "running" : "idle";
    j["in_worker"] = sens.in_worker();  // where it runs (or ran): the Web Worker or the frames
    j["problem"] = sens.problem();
    j["weights"] = sens.weights();
    j["activations"] = sens.activations();
    j["rows"] = r ? r->rows : 0;
    j["float_accuracy"] = r ? nlohmann::json(r->float_accuracy) : nlohmann::json(nullptr);
    j["generation"] = sens.version().generation;
    nlohmann::json layers = nlohmann::json::array();
    for (const qlab::LayerSensitivity& l : sens.sorted())
        layers.push_back({{"layer", l.layer + 1},
                          {"description", l.description},
                          {"accuracy", l.accuracy},
                          {"accuracy_drop", l.accuracy_drop},
                          {"measured_sqnr_db", number(l.measured_sqnr_db)},
                          {"predicted_sqnr_db", number(l.predicted_sqnr_db)},
                          {"weight_sqnr_db", number(l.weight_sqnr_db)},
                          {"activation_sqnr_db", number(l.activation_sqnr_db)}});
    j["layers"] = layers;
    return j;
}

}  // namespace quantlab::layers
