// A histogram with quantizer levels over it, optionally draggable (see level_histogram.hpp).
#include "level_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "widgets.hpp"

namespace quantlab::widgets {

namespace {

// The y axis: the tallest bin, unless it stands alone (a spike of zeros after ReLU), when the
// axis follows the next tallest so the rest of the distribution stays visible.
struct HistogramAxis {
    int tallest = 0;
    std::size_t tallest_bin = 0;
    bool cut = false;  // the tallest bin rises above the axis
    double top = 1;
};

HistogramAxis histogram_axis(const LevelPlot& p) {
    HistogramAxis a;
    int second = 0;
    for (std::size_t i = 0; i < p.counts.size(); ++i)
        if (p.counts[i] > a.tallest) a.tallest = p.counts[i], a.tallest_bin = i;
    for (std::size_t i = 0; i < p.counts.size(); ++i)
        if (i != a.tallest_bin) second = std::max(second, p.counts[i]);
    const double bin_w =
        (p.hi - p.lo) / static_cast<double>(std::max<std::size_t>(1, p.counts.size()));
    const bool holds_zero = p.lo + bin_w * static_cast<double>(a.tallest_bin) <= 0 &&
                            0 <= p.lo + bin_w * static_cast<double>(a.tallest_bin + 1);
    a.cut = holds_zero && second > 0 && a.tallest > 3 * second;
    a.top = std::max(1.0, (a.cut ? 1.3 * second : a.tallest) * 1.08);
    return a;
}

// The clipped range shaded, the bars, and the height of a cut bar written over it.
void draw_bars(const Plot& plot, const LevelPlot& p, const HistogramAxis& axis, const UiScale& ui) {
    ImDrawList* dl = plot.dl;
    // Outside the format's range values are clipped: shade it.
    if (p.clip_hi > p.clip_lo) {
        const ImU32 shade = IM_COL32(200, 60, 60, 28);
        if (p.clip_lo > p.lo)
            dl->AddRectFilled(plot.to_screen(p.lo, axis.top), plot.to_screen(p.clip_lo, 0), shade);
        if (p.clip_hi < p.hi)
            dl->AddRectFilled(plot.to_screen(p.clip_hi, axis.top), plot.to_screen(p.hi, 0), shade);
    }
    plot_histogram(plot, p.counts, p.lo, p.hi, p.bar_color);
    if (axis.cut) {
        const double w = (p.hi - p.lo) / static_cast<double>(p.counts.size());
        const ImVec2 at =
            plot.to_screen(p.lo + w * (static_cast<double>(axis.tallest_bin) + 0.5), axis.top);
        char label[32];
        std::snprintf(label, sizeof label, "^ %d", axis.tallest);
        dl->AddText(ImVec2(at.x + ui.px(3), at.y + ui.px(1)), ImGui::GetColorU32(ImGuiCol_Text),
                    label);
    }
}

// The level under the mouse, and the drag: which level was grabbed lives in ImGui's storage
// for this widget's id.
LevelEdit level_drag(const char* id, const Plot& plot, const LevelPlot& p, bool editable,
                     const UiScale& ui) {
    LevelEdit edit;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    float best = ui.px(7);
    for (std::size_t i = 0; i < p.levels.size(); ++i) {
        const float x = plot.to_screen(p.levels[i], 0).x;
        if (plot.hovered && std::fabs(mouse.x - x) < best)
            best = std::fabs(mouse.x - x), edit.hovered = static_cast<int>(i);
    }
    if (!editable) return edit;
    ImGuiStorage* store = ImGui::GetStateStorage();
    const ImGuiID key = ImGui::GetID(id);
    int grabbed = store->GetInt(key, -1);
    if (ImGui::IsItemActivated()) grabbed = edit.hovered;
    if (grabbed >= 0 && grabbed < static_cast<int>(p.levels.size())) {
        edit.dragged = grabbed;
        edit.value = std::clamp(plot.x_at(mouse.x), p.lo, p.hi);
        if (!ImGui::IsItemActive()) edit.released = true, grabbed = -1;
    } else {
        grabbed = -1;
    }
    store->SetInt(key, grabbed);
    if (edit.hovered >= 0 || edit.dragged >= 0) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
    return edit;
}

// Levels: a line each (a grip on top when editable), skipping those closer than 2 px to the
// last one drawn when they cannot be dragged.
void draw_levels(const Plot& plot, const LevelPlot& p, bool editable, const LevelEdit& edit,
                 const UiScale& ui) {
    float last_x = -1e9f;
    for (std::size_t i = 0; i < p.levels.size(); ++i) {
        const bool active =
            static_cast<int>(i) == edit.dragged || static_cast<int>(i) == edit.hovered;
        const double v = static_cast<int>(i) == edit.dragged ? edit.value : p.levels[i];
        const float x = plot.to_screen(v, 0).x;
        if (!editable && x - last_x < ui.px(2)) continue;
        last_x = x;
        const ImU32 c = active ? kAccent2 : p.level_color;
        plot.dl->AddLine(ImVec2(x, plot.p0.y), ImVec2(x, plot.p1.y), c,
                         editable ? ui.px(active ? 2.5f : 1.5f) : ui.px(1));
        if (editable) {
            const float r = ui.px(active ? 5 : 4);
            plot.dl->AddCircleFilled(ImVec2(x, plot.p0.y + r + ui.px(1)), r, c, 12);
        }
    }
}

}  // namespace

LevelEdit level_histogram(const char* id, ImVec2 size, const LevelPlot& p, bool editable,
                          const UiScale& ui, ImVec4* rect) {
    const HistogramAxis axis = histogram_axis(p);
    Plot plot = begin_plot(id, size, p.lo, p.hi, 0, axis.top, p.x_label, nullptr, ui, true);
    if (rect) *rect = ImVec4(plot.p0.x, plot.p0.y, plot.p1.x, plot.p1.y);
    draw_bars(plot, p, axis, ui);
    const LevelEdit edit = level_drag(id, plot, p, editable, ui);
    draw_levels(plot, p, editable, edit, ui);
    if (p.note) {
        const ImVec2 t = ImGui::CalcTextSize(p.note);
        plot.dl->AddText(ImVec2(plot.p1.x - t.x - ui.px(4), plot.p0.y + ui.px(2)),
                         ImGui::GetColorU32(ImGuiCol_Text), p.note);
    }
    end_plot(plot);
    return edit;
}

}  // namespace quantlab::widgets
