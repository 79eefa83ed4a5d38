// The Train lesson's imported-model lines and the ONNX export (see train_import.hpp).
#include "train_import.hpp"

#include <cstdio>
#include <string>

#include "imgui.h"
#include "lab/shared_model.hpp"
#include "ui/download.hpp"

namespace quantlab::train {

namespace {

struct Preset {
    const char* value;
    const char* label;
};
// torchvision's MNIST example normalises with mean 0.1307 and std 0.3081 (pixels / 255 first).
const Preset kPresets[] = {
    {"", "auto"},
    {"none", "none (as loaded)"},
    {"unit", "unit: [-1, 1] per feature"},
    {"minmax", "minmax: [0, 1] per feature"},
    {"standard", "standard: zero mean, unit variance"},
    {"meanstd:0.1307,0.3081", "meanstd: MNIST's 0.1307, 0.3081"},
    {"meanstd:0.5,0.5", "meanstd: 0.5, 0.5 (to [-1, 1])"},
};

}  // namespace

void draw_import_status(App& app, const UiScale& /*ui*/) {
    const SharedModel& m = app.model();
    const qlab::ImportedModel* im = m.import();
    if (!im) return;
    long long params = 0;
    for (const auto& l : im->model.layers)
        params += static_cast<long long>(l.weight.size() + l.bias.size());
    ImGui::TextWrapped(
        "ONNX: %s, input %s, %zu layers, %lld parameters%s%s", m.import_name().c_str(),
        shape_text(im->input_shape).c_str(), im->model.layers.size(), params,
        im->output != qlab::OutputMeaning::none ? ", output " : "",
        im->output != qlab::OutputMeaning::none ? qlab::output_meaning_name(im->output) : "");
    if (m.has_model() && m.float_accuracy() >= 0) {
        ImGui::Text("float accuracy %.4f on %s (%s)", m.float_accuracy(), m.data().label().c_str(),
                    m.data().preprocessing().c_str());
        widgets::tooltip_on_hover(
            "The file's weights without any format, on this data's test split. A low value "
            "means the data or its preprocessing is not what the model was trained on.");
    } else if (!m.import_problem().empty()) {
        widgets::error_text(m.import_problem());
    }
    if (im->quantized()) ImGui::TextDisabled("its QuantizeLinear/DequantizeLinear formats kept");
    if (!im->notes.empty()) {
        ImGui::TextDisabled("%zu notes (hover)", im->notes.size());
        std::string all;
        for (const std::string& n : im->notes) all += (all.empty() ? "" : "\n") + n;
        widgets::tooltip_on_hover(all.c_str());
    }
    ImGui::TextDisabled("hidden or activation below: the lab's own network instead");
}

void draw_preprocessing(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const char* preview = s.normalize.c_str();
    for (const Preset& p : kPresets)
        if (s.normalize == p.value) preview = p.label;
    ImGui::TextUnformatted("inputs");
    ImGui::SameLine();
    widgets::Lock lock(app, "normalize");
    ImGui::SetNextItemWidth(ui.px(230));
    if (ImGui::BeginCombo("##normalize", preview)) {
        for (const Preset& p : kPresets)
            if (ImGui::Selectable(p.label, s.normalize == p.value)) app.set("normalize", p.value);
        ImGui::EndCombo();
    }
    widgets::help_marker(
        "How the inputs are scaled before the model sees them (the link keeps it). auto: unit for "
        "the lab's own network, none for an imported ONNX model (as qlab does). Image pixels load "
        "as pixel / 255, as torchvision's ToTensor gives them; meanstd:M,S is then its "
        "Normalize((M,), (S,)). Any meanstd:M,S can be set in the link.");
}

void draw_onnx_export(App& app, const UiScale& ui) {
    const SharedModel& m = app.model();
    if (widgets::recorded_button(app, ui, "Export ONNX", "train_export_onnx_button") &&
        m.has_model()) {
        std::vector<std::string> notes;
        auto bytes = export_onnx_file(app.state(), m, &notes);
        if (!bytes) {
            app.report("export: " + bytes.status().message(), MessageLevel::error);
        } else {
            const std::string base = m.imported() ? m.import_name() : "quantlab-model.onnx";
            const std::string stem = base.substr(0, base.rfind('.'));
            const bool quantized = !app.state().weights.empty() ||
                                   !app.state().activations.empty() ||
                                   (m.import() && m.import()->quantized());
            widgets::download_binary_file(stem + (quantized ? ".qdq.onnx" : ".onnx"), *bytes,
                                          "application/octet-stream");
            for (const std::string& n : notes) app.report("export: " + n, MessageLevel::info);
        }
    }
    widgets::tooltip_on_hover(
        "Standard ONNX at the formats above: QuantizeLinear/DequantizeLinear where ONNX has the "
        "type (int8/uint8, int4 blocked, FP8), float initializers holding the quantized values "
        "otherwise. onnxruntime runs it; qlab export writes the same file.");
}

}  // namespace quantlab::train
