// The Formats lesson's format controls (see formats_controls.hpp). Nothing here knows a kind:
// the pickers, the controls and their ranges come from qlab::format_kinds(), the values from
// qlab::format_values() and the spec from qlab::format_spec().
#include "formats_controls.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "imgui.h"
#include "qlab/format.hpp"
#include "ui/widgets.hpp"

namespace quantlab::formats {
namespace {

using qlab::FormatParam;
using qlab::FormatParamValue;
using qlab::ParamType;

// Records where the next item of the current width will be drawn (a combo's popup would
// replace the last item before it could be recorded).
void record_next(App& app, const UiScale& ui, const std::string& name, float width) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    app.record_view(name, p.x, p.y, width, ImGui::GetFrameHeight(), ui.dpr);
}

// "w (bits)", "sub (subnormals)", "element type"
std::string control_label(const FormatParam& p) {
    if (p.type == ParamType::variant) return p.label;
    return p.label.empty() || p.label == p.key ? p.key : p.key + " (" + p.label + ")";
}

// The tooltip: the meaning, what each choice means, and what parses.
std::string param_help(const FormatParam& p) {
    std::string s = p.meaning + ".";
    for (const auto& c : p.choices)
        if (!c.meaning.empty()) s += "\n" + c.name + ": " + c.meaning + ".";
    return s;
}

std::string param_values(const FormatParam& p) {
    std::string s = (p.type == ParamType::variant ? "" : p.key + " = ") + p.range_text();
    if (p.required) return s + ", required";
    return s + (p.default_value.empty() ? ", may be left out" : ", default " + p.default_value);
}

// The span a slider covers: the declared one, or a small declared range itself. false: a
// field to type into instead.
bool slider_span(const FormatParam& p, double& lo, double& hi) {
    if (std::isfinite(p.slider_min)) {
        lo = p.slider_min, hi = p.slider_max;
        return true;
    }
    if (std::isfinite(p.min) && std::isfinite(p.max) && p.max - p.min <= 64) {
        lo = p.min, hi = p.max;
        return true;
    }
    return false;
}

// Lets an InputText edit a std::string of any length (a long codebook).
int grow_text(ImGuiInputTextCallbackData* data) {
    if (data->EventFlag == ImGuiInputTextFlags_CallbackResize) {
        auto* text = static_cast<std::string*>(data->UserData);
        text->resize(static_cast<std::size_t>(data->BufTextLen));
        data->Buf = text->data();
    }
    return 0;
}

}  // namespace

void FormatControls::load(const std::string& spec) {
    loaded_spec_ = spec;
    error_key_.clear(), error_.clear();
    auto values = qlab::format_values(spec);
    assert(values.ok() && "the state holds only specs the parser accepts");
    if (values.ok()) values_ = *values;
    list_text_.clear();
    for (const auto& v : values_.params)
        if (values_.declaration(v.key).type == ParamType::list) list_text_ = v.text;
}

void FormatControls::apply(App& app, const std::string& key) {
    const std::string spec = qlab::format_spec(values_);
    auto parsed = qlab::Format::parse(spec);
    const qlab::Status status = parsed.ok() ? app.set("format", spec) : parsed.status();
    error_key_ = status.ok() ? "" : key;
    error_ = status.ok() ? "" : status.message();
}

std::string FormatControls::draw_kind(App& app, const UiScale& ui) {
    std::string picked;
    record_next(app, ui, "formats_kind", ImGui::CalcItemWidth());
    if (ImGui::BeginCombo("kind", values_.kind.c_str(), ImGuiComboFlags_HeightLargest)) {
        for (const auto& k : qlab::format_kinds()) {
            if (ImGui::Selectable(k.kind.c_str(), k.kind == values_.kind) && k.kind != values_.kind)
                picked = k.kind;
            widgets::record_item(app, ui, "formats_kind_" + k.kind);
            widgets::tooltip_on_hover(k.meaning.c_str());
        }
        ImGui::EndCombo();
    }
    widgets::help_marker(values_.info().meaning.c_str());
    if (picked.empty()) return "";
    values_ = qlab::form_defaults(picked);
    return "kind";
}

std::string FormatControls::draw_forms(App& app, const UiScale& ui) {
    const auto& forms = values_.info().forms;
    if (forms.size() < 2) return "";
    std::size_t picked = values_.form;
    for (std::size_t i = 0; i < forms.size(); ++i) {
        if (i) ImGui::SameLine();
        if (ImGui::RadioButton(forms[i].name.c_str(), values_.form == i)) picked = i;
        widgets::tooltip_on_hover(forms[i].meaning.c_str());
        widgets::record_item(app, ui, "formats_form_" + forms[i].name);
    }
    if (picked == values_.form) return "";
    values_ = qlab::switch_form(values_, picked);
    return "form";
}

void FormatControls::draw_quick_picks(App& app, const UiScale& ui) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    bool first = true;
    for (const auto& e : values_.info().forms.at(values_.form).examples) {
        if (e.name.empty()) continue;
        // Side by side while they fit, then on the next line.
        const float w = ImGui::CalcTextSize(e.name.c_str()).x + 2 * style.FramePadding.x;
        if (!first && ImGui::GetItemRectMax().x + style.ItemSpacing.x + w <= right)
            ImGui::SameLine();
        first = false;
        if (widgets::small_button(e.name.c_str())) app.set("format", e.spec);
        widgets::tooltip_on_hover(e.spec.c_str());
        widgets::record_item(app, ui, "formats_pick_" + e.name);
    }
}

bool FormatControls::draw_choice(const FormatParam& p, FormatParamValue& v, const char* label) {
    std::string picked;
    if (ImGui::BeginCombo(label, v.text.c_str())) {
        for (const auto& c : p.choices) {
            if (ImGui::Selectable(c.name.c_str(), c.name == v.text)) picked = c.name;
            if (!c.meaning.empty()) widgets::tooltip_on_hover(c.meaning.c_str());
        }
        ImGui::EndCombo();
    }
    if (picked.empty() || picked == v.text) return false;
    values_.set_text(p.key, picked);
    return true;
}

bool FormatControls::draw_value(const FormatParam& p, FormatParamValue& v, const char* label) {
    double lo = 0, hi = 0;
    const bool slider = slider_span(p, lo, hi);
    const ImGuiSliderFlags flags = p.log_slider ? ImGuiSliderFlags_Logarithmic : 0;
    switch (p.type) {
        case ParamType::boolean: {
            bool on = v.number == 1;
            if (!ImGui::Checkbox(label, &on)) return false;
            values_.set_number(p.key, on ? 1 : 0);
            return true;
        }
        case ParamType::choice:
        case ParamType::variant:
            return draw_choice(p, v, label);
        case ParamType::list: {
            const bool enter = ImGui::InputText(
                label, list_text_.data(), list_text_.capacity() + 1,
                ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackResize,
                grow_text, &list_text_);
            if (!enter && !ImGui::IsItemDeactivatedAfterEdit()) return false;
            values_.set_text(p.key, list_text_);
            return true;
        }
        case ParamType::integer: {
            long long n = std::isfinite(v.number) ? std::llround(v.number) : std::llround(lo);
            const long long a = std::llround(lo), b = std::llround(hi), step = 1, fast = 16;
            const bool changed =
                slider ? ImGui::SliderScalar(label, ImGuiDataType_S64, &n, &a, &b, "%lld", flags)
                       : ImGui::InputScalar(label, ImGuiDataType_S64, &n, &step, &fast, "%lld",
                                            ImGuiInputTextFlags_EnterReturnsTrue);
            if (changed) values_.set_number(p.key, static_cast<double>(n));
            return changed;
        }
        case ParamType::number: {
            double d = std::isfinite(v.number) ? v.number : lo;
            const bool changed = slider ? ImGui::SliderScalar(label, ImGuiDataType_Double, &d, &lo,
                                                              &hi, "%.4g", flags)
                                        : ImGui::InputDouble(label, &d, 0, 0, "%.6g",
                                                             ImGuiInputTextFlags_EnterReturnsTrue);
            if (changed) values_.set_number(p.key, d);
            return changed;
        }
    }
    return false;
}

std::string FormatControls::draw_param(App& app, const UiScale& ui, const FormatParam& p) {
    FormatParamValue* v = values_.find(p.key);
    if (!v) return "";
    ImGui::PushID(p.key.c_str());
    bool changed = false;
    // A key that may be left out without a default (a fitted alpha, a per-tensor block): a
    // checkbox writes it or leaves it out.
    const bool optional = !p.required && p.default_value.empty();
    if (optional) {
        bool on = v->present;
        if (ImGui::Checkbox("##written", &on)) values_.set_present(p.key, on), changed = true;
        widgets::tooltip_on_hover(on ? "Leave this key out of the spec"
                                     : "Write this key into the spec");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::CalcItemWidth() - ImGui::GetFrameHeightWithSpacing());
    }
    ImGui::BeginDisabled(optional && !v->present);
    changed = draw_value(p, *v, control_label(p).c_str()) || changed;
    ImGui::EndDisabled();
    widgets::record_item(app, ui, "formats_param_" + p.key);
    widgets::tooltip_on_hover(param_help(p).c_str(), param_values(p).c_str());
    ImGui::PopID();
    return changed ? p.key : "";
}

void FormatControls::draw_spec_field(App& app, const UiScale& ui) {
    const std::string& spec = app.state().format;
    if (!ImGui::IsAnyItemActive() || spec_shown_ != spec) {
        if (spec_shown_ != spec) spec_error_.clear();
        std::snprintf(spec_buf_, sizeof spec_buf_, "%s", spec.c_str());
        spec_shown_ = spec;
    }
    if (ImGui::InputText("spec", spec_buf_, sizeof spec_buf_,
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
        const qlab::Status status = app.set("format", spec_buf_);
        spec_error_ = status.ok() ? "" : status.message();
    }
    widgets::record_item(app, ui, "formats_spec");
    widgets::help_marker(
        "Type any format spec and press Enter, e.g. fixed:w=6,f=3 or float:e=4,m=3,sub=0. "
        "A bad spec is explained here and the lab keeps the last good format.");
    widgets::error_text(spec_error_);
}

void FormatControls::draw(App& app, const UiScale& ui) {
    if (app.state().format != loaded_spec_) load(app.state().format);
    ImGui::TextUnformatted("Format");
    widgets::Lock lock(app, "format");  // embed pages can fix the format (hide=format)
    auto show_error = [&](const std::string& key) {
        if (error_key_ != key || error_.empty()) return;
        widgets::error_text(error_);
        widgets::record_item(app, ui, "formats_error");
    };
    std::string changed = draw_kind(app, ui);
    if (!changed.empty()) apply(app, changed);
    show_error("kind");
    changed = draw_forms(app, ui);
    if (!changed.empty()) apply(app, changed);
    show_error("form");
    for (const auto& p : values_.info().forms.at(values_.form).params) {
        changed = draw_param(app, ui, p);
        if (!changed.empty()) apply(app, changed);
        show_error(p.key);
    }
    draw_quick_picks(app, ui);
    draw_spec_field(app, ui);
}

}  // namespace quantlab::formats
