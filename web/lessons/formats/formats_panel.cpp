// Formats panel: a format's atoms on a number line, where a value lands and its error, the bits
// of the stored value, and the facts a learner needs (Cherkhev §2; delta is his eq. 1).
// Sections: controls (the format's own come from the kinds' declarations, formats_controls.cpp);
// the number line; the layout of the views (bits, facts, 2-D atoms and blocks are drawn by
// formats_details.cpp); the panel.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app.hpp"
#include "formats_controls.hpp"
#include "formats_details.hpp"
#include "imgui.h"
#include "ui/touch_input.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using qlab::shortest_repr;

formats::Lesson* g_view = nullptr;  // the panel being drawn
formats::Lesson& fv() {
    return *g_view;
}

// Moves x across n atoms (the lesson's values into the state); the atoms moved.
int step_atoms(App& app, const formats::Lesson& lesson, int n) {
    int moved = 0;
    const formats::StateValues values = lesson.step_atoms(app.state(), n, moved);
    if (moved > 0) app.set_values(values);
    return moved;
}

using namespace formats;  // the colours shared with formats_details.cpp

void draw_rounding(App& app) {
    const qlab::LabState& s = app.state();
    ImGui::Spacing();
    ImGui::TextUnformatted("Rounding");
    widgets::Lock lock_rounding(app, "rounding");
    int mode_index = 0;
    const auto& modes = qlab::all_roundings();
    for (std::size_t i = 0; i < modes.size(); ++i)
        if (modes[i] == fv().rounding()) mode_index = static_cast<int>(i);
    const char* mode_labels[] = {"rne: nearest, ties to even", "rna: nearest, ties away",
                                 "rtz: toward zero",           "up: toward +inf",
                                 "down: toward -inf",          "stochastic"};
    if (ImGui::Combo("mode", &mode_index, mode_labels, 6))
        app.set("rounding", qlab::rounding_name(modes[static_cast<std::size_t>(mode_index)]));
    if (fv().rounding() == qlab::Rounding::stochastic) {
        int seed = static_cast<int>(s.seed);
        if (ImGui::InputInt("seed", &seed)) app.set("seed", std::to_string(seed));
        widgets::help_marker(
            "Stochastic rounding picks the upper neighbour with probability "
            "(x - lo) / (hi - lo), so it is unbiased on average; the seed makes it repeatable.");
    }
}

void draw_value_controls(App& app) {
    const qlab::LabState& s = app.state();
    ImGui::Spacing();
    ImGui::TextUnformatted("Value");
    widgets::Lock lock_x(app, "x");
    double x = s.x;
    if (ImGui::InputDouble("x", &x, 0, 0, "%.10g", ImGuiInputTextFlags_EnterReturnsTrue))
        app.set("x", shortest_repr(x));
    float xf = static_cast<float>(s.x);
    if (ImGui::SliderFloat("##xslider", &xf, static_cast<float>(s.lo), static_cast<float>(s.hi),
                           "drag x"))
        app.set("x", shortest_repr(static_cast<double>(xf)));
    if (ImGui::Button("< atom")) step_atoms(app, fv(), -1);
    ImGui::SameLine();
    if (ImGui::Button("atom >")) step_atoms(app, fv(), 1);
    widgets::help_marker(
        "Move x to the next atom below or above: the atoms are exactly the values the "
        "format stores.");
}

void draw_range_controls(App& app) {
    const qlab::LabState& s = app.state();
    ImGui::Spacing();
    ImGui::TextUnformatted("Number line");
    widgets::Lock lock_range(app, "lo");
    double lo = s.lo, hi = s.hi;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.3f);
    const bool lo_changed =
        ImGui::InputDouble("lo", &lo, 0, 0, "%.6g", ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
    const bool hi_changed =
        ImGui::InputDouble("hi", &hi, 0, 0, "%.6g", ImGuiInputTextFlags_EnterReturnsTrue);
    if (lo_changed) app.set("lo", shortest_repr(lo));
    if (hi_changed) app.set("hi", shortest_repr(hi));
    if (ImGui::Button("Fit the format's range")) {
        const double top = std::min(fv().format().max_finite(), 1e12);
        const double bottom = std::max(fv().format().min_finite(), -1e12);
        const double pad = (top - bottom) * 0.05;
        app.set_values({{"lo", shortest_repr(bottom - pad)}, {"hi", shortest_repr(top + pad)}});
    }
    ImGui::SameLine();
    if (ImGui::Button("Zoom on x")) {
        const double step = std::max(fv().format().step_at(s.x), 1e-300);
        app.set_values(
            {{"lo", shortest_repr(s.x - 6 * step)}, {"hi", shortest_repr(s.x + 6 * step)}});
    }
    ImGui::TextDisabled("Scroll or pinch on the line to zoom, drag to move x.");
}

// The format (its controls come from the kinds' declarations), rounding, the value, the range.
void draw_controls(App& app, FormatControls& controls, const UiScale& ui) {
    controls.draw(app, ui);
    draw_rounding(app);
    draw_value_controls(app);
    draw_range_controls(app);
}

// Where the number line is on screen and how values map to pixels.
struct LineGeometry {
    ImVec2 p0;
    float width = 0, height = 0, pad = 0, axis_y = 0, tick = 0, dpr = 1;
    double lo = 0, hi = 1, units_per_px = 1;
    float to_px(double v) const { return p0.x + pad + static_cast<float>((v - lo) / units_per_px); }
    double to_value(float px) const { return lo + (px - p0.x - pad) * units_per_px; }
};

// Dragging moves x; the wheel, or two fingers pinching, zoom around the pointer (a pinch's
// midpoint): spreading the fingers twice as far shows half the range.
void line_input(App& app, const LineGeometry& g, bool hovered, bool active) {
    const qlab::LabState& s = app.state();
    ImGuiIO& io = ImGui::GetIO();
    if (active) {
        const double v = std::clamp(g.to_value(io.MousePos.x), g.lo, g.hi);
        if (v != s.x) app.set("x", shortest_repr(v));
    }
    const float pinch = widgets::touch_pinch();
    if (hovered && (io.MouseWheel != 0 || pinch != 1.0f)) {
        const double factor =
            std::pow(0.85, static_cast<double>(io.MouseWheel)) / static_cast<double>(pinch);
        const double center = g.to_value(io.MousePos.x);
        const double new_lo = center - (center - g.lo) * factor,
                     new_hi = center + (g.hi - center) * factor;
        if (new_hi - new_lo > 1e-12 * std::max(1.0, std::fabs(center)) && new_hi - new_lo < 1e300) {
            app.set_values({{"lo", shortest_repr(new_lo)}, {"hi", shortest_repr(new_hi)}});
        }
    }
}

// The axis, with labels at round numbers below it.
void draw_axis(ImDrawList* dl, const LineGeometry& g) {
    dl->AddLine(ImVec2(g.p0.x + g.pad * 0.5f, g.axis_y),
                ImVec2(g.p0.x + g.width - g.pad * 0.5f, g.axis_y), kAxisColor, 1.5f * g.dpr);
    const double label_step =
        widgets::nice_step(g.hi - g.lo, static_cast<int>(g.width / (110 * g.dpr)));
    for (double v = std::ceil(g.lo / label_step) * label_step; v <= g.hi; v += label_step) {
        const double shown = std::fabs(v) < label_step * 1e-9 ? 0.0 : v;
        const float px = g.to_px(shown);
        dl->AddLine(ImVec2(px, g.axis_y + g.tick + 2 * g.dpr),
                    ImVec2(px, g.axis_y + g.tick + 6 * g.dpr), kAxisColor);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", shown);
        const ImVec2 size = ImGui::CalcTextSize(buf);
        dl->AddText(ImVec2(px - size.x / 2, g.axis_y + g.tick + 8 * g.dpr), kAxisColor, buf);
    }
}

// Atoms: one tick each where they are at least a pixel apart, a solid band where denser.
void draw_atoms(ImDrawList* dl, const LineGeometry& g, const qlab::Format& f) {
    double v = f.quantize_ref(g.lo, qlab::Rounding::up);
    if (v < g.lo) v = f.next_up(g.lo);
    const int max_iterations = static_cast<int>(g.width) * 4 + 16;
    for (int guard = 0; std::isfinite(v) && v <= g.hi && guard < max_iterations; ++guard) {
        const float px = g.to_px(v);
        const double gap = f.step_at(v);
        if (gap > 0 && gap < g.units_per_px) {
            dl->AddLine(ImVec2(px, g.axis_y - g.tick), ImVec2(px, g.axis_y + g.tick), kDenseColor,
                        g.dpr);
            double next = f.quantize_ref(g.to_value(px + g.dpr), qlab::Rounding::up);
            if (!(next > v)) next = f.next_up(v);
            v = next;
        } else {
            dl->AddLine(ImVec2(px, g.axis_y - g.tick), ImVec2(px, g.axis_y + g.tick), kAtomColor,
                        1.5f * g.dpr);
            v = f.next_up(v);
        }
    }
}

// The value, its two neighbours, where it lands, and the error between.
void draw_value_marks(ImDrawList* dl, const LineGeometry& g, const qlab::LabState& s,
                      const qlab::Format& f) {
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double q = f.quantize_ref(s.x, fv().rounding(), &rng);
    const qlab::Bracket b = f.bracket(s.x);
    const float tick = g.tick, dpr = g.dpr, axis_y = g.axis_y;
    if (b.lo != b.hi)
        for (double n : {b.lo, b.hi})
            if (n >= g.lo && n <= g.hi)
                dl->AddLine(ImVec2(g.to_px(n), axis_y - 2 * tick),
                            ImVec2(g.to_px(n), axis_y + tick), kNeighbourColor, 3 * dpr);
    const float left = g.p0.x, right = g.p0.x + g.width;
    const float xpx = std::clamp(g.to_px(s.x), left + 2, right - 2);
    const float top = g.p0.y + 18 * dpr;
    dl->AddTriangleFilled(ImVec2(xpx - 7 * dpr, top), ImVec2(xpx + 7 * dpr, top),
                          ImVec2(xpx, top + 12 * dpr), kValueColor);
    dl->AddLine(ImVec2(xpx, top + 12 * dpr), ImVec2(xpx, axis_y), kValueColor, 1.5f * dpr);
    char label[96];
    std::snprintf(label, sizeof label, "x = %s", shortest_repr(s.x).c_str());
    const float label_w = ImGui::CalcTextSize(label).x;
    float label_x = std::clamp(xpx + 10 * dpr, left + 4, right - label_w - 4);
    dl->AddText(ImVec2(label_x, g.p0.y + 4 * dpr), kValueColor, label);
    if (std::isfinite(q)) {
        const float qpx = std::clamp(g.to_px(q), left + 2, right - 2);
        const float err_y = axis_y - 2.6f * tick;
        dl->AddLine(ImVec2(xpx, err_y), ImVec2(qpx, err_y), kErrorColor, 3 * dpr);
        dl->AddCircleFilled(ImVec2(qpx, axis_y), 6 * dpr, kQuantColor);
        std::snprintf(label, sizeof label, "q(x) = %s", shortest_repr(q).c_str());
        const float qw = ImGui::CalcTextSize(label).x;
        label_x = std::clamp(qpx - qw / 2, left + 4, right - qw - 4);
        dl->AddText(ImVec2(label_x, axis_y + tick + 26 * dpr), kQuantColor, label);
    } else {
        std::snprintf(label, sizeof label, "q(x) = %s (overflow)", shortest_repr(q).c_str());
        dl->AddText(ImVec2(right - ImGui::CalcTextSize(label).x - 6, axis_y + tick + 26 * dpr),
                    kErrorColor, label);
    }
}

void draw_number_line(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    LineGeometry g;
    g.p0 = ImGui::GetCursorScreenPos();
    g.width = std::max(ImGui::GetContentRegionAvail().x, 100.0f);
    g.height = 150 * ui.dpr;
    ImGui::InvisibleButton("numberline", ImVec2(g.width, g.height));
    app.record_view("number_line", g.p0.x, g.p0.y, g.width, g.height, ui.dpr);
    const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
    const ImVec2 p1(g.p0.x + g.width, g.p0.y + g.height);
    dl->AddRectFilled(g.p0, p1, IM_COL32(255, 255, 255, 255), 4 * ui.dpr);
    g.pad = 16 * ui.dpr;
    g.dpr = ui.dpr;
    g.lo = s.lo, g.hi = s.hi;
    g.units_per_px = (g.hi - g.lo) / (g.width - 2 * g.pad);
    g.axis_y = g.p0.y + g.height * 0.58f;
    g.tick = 9 * ui.dpr;
    line_input(app, g, hovered, active);
    dl->PushClipRect(g.p0, p1, true);
    draw_axis(dl, g);
    draw_atoms(dl, g, fv().format());
    draw_value_marks(dl, g, s, fv().format());
    dl->PopClipRect();
}

void draw_view(App& app, const UiScale& ui) {
    ImGui::Text("%s", fv().format().to_string().c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("atoms on [%s, %s]", shortest_repr(app.state().lo).c_str(),
                        shortest_repr(app.state().hi).c_str());
    if (!fv().fit_note().empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.35f, 0.35f, 0.55f, 1));
        ImGui::TextWrapped("%s", fv().fit_note().c_str());
        ImGui::PopStyleColor();
    }
    draw_number_line(app, ui);
    ImGui::Spacing();
    qlab::Rng rng(static_cast<std::uint64_t>(app.state().seed));
    const float avail = ImGui::GetContentRegionAvail().x;
    const float grid_side = std::min(avail * 0.42f, 330 * ui.dpr);
    const bool side_by_side = avail > 620 * ui.dpr;
    ImGui::BeginGroup();
    if (side_by_side) ImGui::PushItemWidth(avail - grid_side - 24 * ui.dpr);
    ImGui::BeginChild(
        "bits_facts",
        ImVec2(side_by_side ? avail - grid_side - 16 * ui.dpr : 0,
               side_by_side ? grid_side + ImGui::GetTextLineHeightWithSpacing() * 2 : 0),
        false, ImGuiWindowFlags_NoScrollbar);
    formats::draw_bits(fv().format(),
                       fv().format().quantize_ref(app.state().x, fv().rounding(), &rng), ui);
    ImGui::Spacing();
    formats::draw_facts(app, fv());
    ImGui::EndChild();
    if (side_by_side) ImGui::PopItemWidth();
    ImGui::EndGroup();
    if (side_by_side) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("2-D atoms (Cherkhev Fig. 1)");
    widgets::help_marker(
        "Every dot is a point of A x A that the format can store exactly; a 2-D vector "
        "(x, y) is stored as the nearest dot under the rounding mode. Drag to move (x, y). "
        "Fixed point gives a regular lattice, floats a logarithmic one.");
    formats::draw_atom_grid(app, fv(), ui,
                            side_by_side ? grid_side : std::min(avail, 420 * ui.dpr));
    ImGui::EndGroup();
    formats::draw_block(fv());
}

class FormatsPanel final : public Panel {
  public:
    const char* key() const override { return "formats"; }
    const char* title() const override { return "Formats"; }
    const char* what_to_try() const override {
        return "Which numbers can a format store, and where does a value land? Try float e=4,m=3 "
               "and drag x far out.";
    }
    void on_state_changed(App& app, const std::vector<std::string>& keys) override {
        view_.on_state_changed(app.state(), keys);
    }
    int step(App& app, int n) override { return step_atoms(app, view_, n); }
    nlohmann::json metrics(const App& app) const override { return view_.metrics(app.state()); }
    void draw(App& app, const UiScale& ui) override {
        g_view = &view_;
        const float avail = ImGui::GetContentRegionAvail().x;
        // Between the shell's narrow width and 760 CSS px the two columns do not fit either:
        // one column, controls above the view, as on a phone.
        UiScale layout = ui;
        layout.narrow = ui.narrow || avail <= 760 * ui.dpr;
        const float controls_width = widgets::begin_controls(app, layout, "controls", 360 * ui.dpr);
        ImGui::PushItemWidth(controls_width * (layout.narrow ? 0.6f : 0.55f));
        draw_controls(app, controls_, ui);
        ImGui::PopItemWidth();
        widgets::end_controls(app, layout, "controls");
        widgets::begin_views(app, layout, "view");
        draw_view(app, ui);
        widgets::end_views(app, layout, "view");
    }

  private:
    formats::Lesson view_;
    FormatControls controls_;
};

}  // namespace

QLAB_REGISTER_PANEL(FormatsPanel)

}  // namespace quantlab
