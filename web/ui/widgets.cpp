// Shared drawing helpers (see widgets.hpp for the section index).
#include "widgets.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "../app.hpp"
#include "imgui_internal.h"
#include "item_log.hpp"
#include "theme.hpp"
#include "touch_input.hpp"

namespace quantlab::widgets {

const ImU32 kAccent = IM_COL32(30, 100, 220, 255);
const ImU32 kAccent2 = IM_COL32(235, 120, 20, 255);
const ImU32 kGridColor = IM_COL32(128, 128, 140, 60);

// ---- 1. Tooltips ------------------------------------------------------------------------------

void tooltip_on_hover(const char* text, const char* cite) {
    // Not while a finger drags the control: the tip would cover the controls below the finger
    // (the value shows above it, touch_value). A finger held still still shows it.
    if (!ImGui::IsItemHovered() || touch_dragging()) return;
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
    ImGui::TextUnformatted(text);
    if (cite) ImGui::TextDisabled("%s", cite);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
}

void help_marker(const char* text, const char* cite) {
    same_line_if_fits(ImGui::CalcTextSize("(?)").x);  // past the column's edge it would be cut
    ImGui::TextDisabled("(?)");
    item_log_note("(?)", "help");
    tooltip_on_hover(text, cite);
}

double nice_step(double span, int target_labels) {
    const double raw = span / std::max(1, target_labels);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

ImU32 class_color(int label, int alpha) {
    return label == 1 ? IM_COL32(40, 110, 200, alpha) : IM_COL32(235, 130, 30, alpha);
}

ImU32 sequential_color(double t) {
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
    const auto lerp = [&](double a, double b) {
        return static_cast<int>(std::lround(a + (b - a) * t));
    };
    return IM_COL32(lerp(240, 20), lerp(244, 70), lerp(250, 150), 255);
}

// ---- 2. Plots ---------------------------------------------------------------------------------

ImVec2 Plot::to_screen(double x, double y) const {
    const double tx = x1 != x0 ? (x - x0) / (x1 - x0) : 0.5;
    const double ty = y1 != y0 ? (y - y0) / (y1 - y0) : 0.5;
    return ImVec2(p0.x + static_cast<float>(tx) * (p1.x - p0.x),
                  p1.y - static_cast<float>(ty) * (p1.y - p0.y));
}
double Plot::x_at(float sx) const {
    return x0 + (sx - p0.x) / std::max(1.0f, p1.x - p0.x) * (x1 - x0);
}
double Plot::y_at(float sy) const {
    return y0 + (p1.y - sy) / std::max(1.0f, p1.y - p0.y) * (y1 - y0);
}

namespace {
std::string tick_label(double v, double step) {
    char buf[32];
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6),
                  std::fabs(v) < step * 1e-6 ? 0.0 : v);
    return buf;
}
}  // namespace

Plot begin_plot(const char* id, ImVec2 size, double x0, double x1, double y0, double y1,
                const char* x_label, const char* y_label, const UiScale& ui, bool show_ticks) {
    Plot plot;
    plot.x0 = x0, plot.x1 = x1, plot.y0 = y0, plot.y1 = y1;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(id, size);
    plot.hovered = ImGui::IsItemHovered();
    plot.dl = ImGui::GetWindowDrawList();
    const float left = show_ticks ? ui.px(44) : ui.px(4),
                bottom = show_ticks ? ui.px(34) : ui.px(4);
    plot.p0 = ImVec2(origin.x + left, origin.y + ui.px(6));
    plot.p1 = ImVec2(origin.x + size.x - ui.px(8), origin.y + size.y - bottom);
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    plot.dl->AddRectFilled(plot.p0, plot.p1, ImGui::GetColorU32(ImGuiCol_FrameBg));
    if (show_ticks) {
        const double xs = nice_step(x1 - x0, 5), ys = nice_step(y1 - y0, 4);
        for (double t = std::ceil(x0 / xs) * xs; t <= x1 + xs * 1e-9; t += xs) {
            const ImVec2 s = plot.to_screen(t, y0);
            plot.dl->AddLine(ImVec2(s.x, plot.p0.y), ImVec2(s.x, plot.p1.y), kGridColor);
            const std::string l = tick_label(t, xs);
            plot.dl->AddText(
                ImVec2(s.x - ImGui::CalcTextSize(l.c_str()).x / 2, plot.p1.y + ui.px(2)), text,
                l.c_str());
        }
        for (double t = std::ceil(y0 / ys) * ys; t <= y1 + ys * 1e-9; t += ys) {
            const ImVec2 s = plot.to_screen(x0, t);
            plot.dl->AddLine(ImVec2(plot.p0.x, s.y), ImVec2(plot.p1.x, s.y), kGridColor);
            const std::string l = tick_label(t, ys);
            plot.dl->AddText(ImVec2(plot.p0.x - ImGui::CalcTextSize(l.c_str()).x - ui.px(4),
                                    s.y - ImGui::GetFontSize() / 2),
                             text, l.c_str());
        }
        if (x_label)
            plot.dl->AddText(ImVec2((plot.p0.x + plot.p1.x - ImGui::CalcTextSize(x_label).x) / 2,
                                    plot.p1.y + ImGui::GetFontSize() + ui.px(2)),
                             text, x_label);
        if (y_label)
            plot.dl->AddText(ImVec2(plot.p0.x + ui.px(4), plot.p0.y + ui.px(2)), text, y_label);
    }
    plot.dl->PushClipRect(plot.p0, plot.p1, true);
    return plot;
}

void end_plot(const Plot& plot) {
    plot.dl->PopClipRect();
    plot.dl->AddRect(plot.p0, plot.p1, ImGui::GetColorU32(ImGuiCol_Border));
}

void plot_line(const Plot& plot, const std::vector<double>& xs, const std::vector<double>& ys,
               ImU32 color, float thickness) {
    const std::size_t n = std::min(xs.size(), ys.size());
    std::vector<ImVec2> points;
    points.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(xs[i]) && std::isfinite(ys[i]))
            points.push_back(plot.to_screen(xs[i], ys[i]));
    if (points.size() == 1) plot.dl->AddCircleFilled(points[0], thickness * 1.5f, color);
    if (points.size() >= 2)
        plot.dl->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, thickness);
}

void plot_hline(const Plot& plot, double y, ImU32 color, float thickness, const char* label) {
    const ImVec2 a = plot.to_screen(plot.x0, y), b = plot.to_screen(plot.x1, y);
    plot.dl->AddLine(a, b, color, thickness);
    if (label)
        plot.dl->AddText(
            ImVec2(b.x - ImGui::CalcTextSize(label).x - 4, a.y - ImGui::GetFontSize() - 1), color,
            label);
}

void plot_legend(const Plot& plot, int index, ImU32 color, const char* text) {
    const float line = ImGui::GetFontSize() * 1.2f;
    const ImVec2 at(plot.p0.x + line * 0.5f, plot.p0.y + line * (0.3f + static_cast<float>(index)));
    plot.dl->AddRectFilled(ImVec2(at.x, at.y + line * 0.35f),
                           ImVec2(at.x + line * 0.8f, at.y + line * 0.55f), color);
    plot.dl->AddText(ImVec2(at.x + line, at.y), ImGui::GetColorU32(ImGuiCol_Text), text);
}

// ---- 3. Heatmap tables --------------------------------------------------------------------------

bool heatmap_table(const char* id, const std::vector<std::string>& row_labels,
                   const std::vector<std::string>& col_labels, const std::vector<double>& values,
                   const std::vector<std::string>& cell_text, int highlight_row, int highlight_col,
                   float cell_width, const UiScale& ui, int* clicked_row, int* clicked_col) {
    const int rows = static_cast<int>(row_labels.size()),
              cols = static_cast<int>(col_labels.size());
    const float cell_h = ImGui::GetFontSize() * 1.6f;
    float label_w = 0;
    for (const auto& l : row_labels) label_w = std::max(label_w, ImGui::CalcTextSize(l.c_str()).x);
    label_w += ui.px(10);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 size(label_w + cell_width * static_cast<float>(cols),
                      cell_h * static_cast<float>(rows + 1));
    ImGui::InvisibleButton(id, size);
    const bool clicked = ImGui::IsItemClicked();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    for (int c = 0; c < cols; ++c) {
        const ImVec2 t = ImGui::CalcTextSize(col_labels[static_cast<std::size_t>(c)].c_str());
        dl->AddText(
            ImVec2(origin.x + label_w + cell_width * (static_cast<float>(c) + 0.5f) - t.x / 2,
                   origin.y + ui.px(2)),
            text, col_labels[static_cast<std::size_t>(c)].c_str());
    }
    bool hit = false;
    for (int r = 0; r < rows; ++r) {
        const float y = origin.y + cell_h * static_cast<float>(r + 1);
        dl->AddText(ImVec2(origin.x, y + ui.px(3)), text,
                    row_labels[static_cast<std::size_t>(r)].c_str());
        for (int c = 0; c < cols; ++c) {
            const std::size_t i = static_cast<std::size_t>(r * cols + c);
            const ImVec2 a(origin.x + label_w + cell_width * static_cast<float>(c), y);
            const ImVec2 b(a.x + cell_width - ui.px(1), a.y + cell_h - ui.px(1));
            const double v = i < values.size() ? values[i] : NAN;
            dl->AddRectFilled(
                a, b,
                std::isfinite(v) ? sequential_color(v) : ImGui::GetColorU32(ImGuiCol_FrameBg));
            if (r == highlight_row && c == highlight_col)
                dl->AddRect(a, b, kAccent2, 0, 0, ui.px(2.5f));
            if (i < cell_text.size() && !cell_text[i].empty()) {
                const ImVec2 t = ImGui::CalcTextSize(cell_text[i].c_str());
                dl->AddText(ImVec2((a.x + b.x - t.x) / 2, (a.y + b.y - t.y) / 2),
                            std::isfinite(v) && v > 0.55 ? IM_COL32(255, 255, 255, 255)
                                                         : IM_COL32(30, 30, 40, 255),
                            cell_text[i].c_str());
            }
            if (clicked && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y) {
                if (clicked_row) *clicked_row = r;
                if (clicked_col) *clicked_col = c;
                hit = true;
            }
        }
    }
    return hit;
}

// ---- 4. Histograms ------------------------------------------------------------------------------

std::vector<int> histogram_counts(const std::vector<float>& values, double lo, double hi,
                                  int bins) {
    std::vector<int> counts(static_cast<std::size_t>(std::max(1, bins)), 0);
    if (!(hi > lo)) return counts;
    for (float v : values) {
        if (!std::isfinite(v) || v < lo || v > hi) continue;
        const int b = std::min(bins - 1, static_cast<int>((v - lo) / (hi - lo) * bins));
        ++counts[static_cast<std::size_t>(b)];
    }
    return counts;
}

void plot_histogram(const Plot& plot, const std::vector<int>& counts, double lo, double hi,
                    ImU32 color) {
    const double w = (hi - lo) / static_cast<double>(std::max<std::size_t>(1, counts.size()));
    for (std::size_t i = 0; i < counts.size(); ++i)
        plot.dl->AddRectFilled(plot.to_screen(lo + w * static_cast<double>(i), counts[i]),
                               plot.to_screen(lo + w * static_cast<double>(i + 1), 0), color);
}

// ---- 5. Locks -----------------------------------------------------------------------------------

Lock::Lock(const App& app, const char* key) : locked_(app.locked(key)) {
    if (locked_) ImGui::BeginDisabled();
}
void Lock::release() {
    if (locked_) ImGui::EndDisabled();
    locked_ = false;
}

// ---- 6. Layout and text -------------------------------------------------------------------------

std::string format(const char* fmt, ...) {
    char small[128];
    va_list args;
    va_start(args, fmt);
    const int n = std::vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) return "";
    if (static_cast<std::size_t>(n) < sizeof small)
        return std::string(small, static_cast<std::size_t>(n));
    std::string out(static_cast<std::size_t>(n) + 1, '\0');  // a long one: print again, sized
    va_start(args, fmt);
    std::vsnprintf(out.data(), out.size(), fmt, args);
    va_end(args);
    out.resize(static_cast<std::size_t>(n));
    return out;
}

void section(const char* title) {
    ImGui::Spacing();
    ImGui::TextDisabled("%s", title);
    ImGui::Separator();
}

void error_text(const std::string& text) {
    if (text.empty()) return;
    ImGui::PushStyleColor(ImGuiCol_Text, theme_colors().error);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void note_text(const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void record_item(App& app, const UiScale& ui, const std::string& view) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view(view, a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
}

bool recorded_button(App& app, const UiScale& ui, const char* label, const char* view,
                     ImVec2 size) {
    const bool pressed = ImGui::Button(label, size);
    record_item(app, ui, view);
    return pressed;
}

void begin_recorded_child(App& app, const UiScale& ui, const char* id, ImVec2 size) {
    ImGui::BeginChild(id, size, false);
    const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
    app.record_view(id, p.x, p.y, s.x, s.y, ui.dpr);
}

// ---- 7. A lesson's two parts ------------------------------------------------------------------

namespace {
// Before EndChild: how far the child's items reach, recorded as `<id>_content` (tests compare it
// with the child's own rectangle: text or a control past its right edge is cut off).
void record_child_content(App& app, const UiScale& ui, const char* id) {
    const ImGuiWindow* w = ImGui::GetCurrentWindow();
    const ImVec2 p = w->Pos, end = w->DC.CursorMaxPos;
    app.record_view(std::string(id) + "_content", p.x, p.y, end.x - p.x, end.y - p.y, ui.dpr);
}
}  // namespace

float begin_controls(App& app, const UiScale& ui, const char* id, float width) {
    if (!ui.narrow) {
        begin_recorded_child(app, ui, id, ImVec2(width, 0));
        ImGui::PushTextWrapPos(0.0f);  // a line of text wraps at the column's edge
        return width;
    }
    ImGui::BeginGroup();
    ImGui::PushID(id);
    ImGui::PushTextWrapPos(0.0f);  // every line of text wraps at the screen's edge
    return ImGui::GetContentRegionAvail().x;
}

void end_controls(App& app, const UiScale& ui, const char* id) {
    if (!ui.narrow) {
        ImGui::PopTextWrapPos();
        record_child_content(app, ui, id);
        ImGui::EndChild();
        ImGui::SameLine();
        return;
    }
    ImGui::PopTextWrapPos();
    ImGui::PopID();
    ImGui::EndGroup();
    record_item(app, ui, id);
    ImGui::Separator();
}

float begin_views(App& app, const UiScale& ui, const char* id) {
    if (!ui.narrow) {
        begin_recorded_child(app, ui, id, ImVec2(0, 0));
        ImGui::PushTextWrapPos(0.0f);  // a line of text wraps at the column's edge
        return ImGui::GetContentRegionAvail().x;
    }
    ImGui::BeginGroup();
    ImGui::PushID(id);
    ImGui::PushTextWrapPos(0.0f);  // every line of text wraps at the screen's edge
    return ImGui::GetContentRegionAvail().x;
}

void end_views(App& app, const UiScale& ui, const char* id) {
    if (!ui.narrow) {
        ImGui::PopTextWrapPos();
        record_child_content(app, ui, id);
        ImGui::EndChild();
        return;
    }
    ImGui::PopTextWrapPos();
    ImGui::PopID();
    ImGui::EndGroup();
    record_item(app, ui, id);
}

void same_line_if_fits(float width) {
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    if (ImGui::GetItemRectMax().x + spacing + width <= right) ImGui::SameLine();
}

float radio_width(const char* label) {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x +
           ImGui::CalcTextSize(label).x;
}

namespace {
// Per table ID in ImGui's state storage: the width its columns want and the height its rows took.
ImGuiID natural_width_key(ImGuiID table) {
    return table ^ 0x5157u;
}
ImGuiID rows_height_key(ImGuiID table) {
    return table ^ 0x5148u;
}
}  // namespace

bool begin_table(const char* id, int columns, ImGuiTableFlags flags) {
    const ImGuiID table = ImGui::GetID(id);
    ImGuiStorage* store = ImGui::GetStateStorage();
    const float avail = ImGui::GetContentRegionAvail().x;
    const float natural = store->GetFloat(natural_width_key(table), 0);
    const float rows = store->GetFloat(rows_height_key(table), 0);
    ImVec2 outer(0, 0);
    flags |= ImGuiTableFlags_NoHostExtendX;  // as wide as its columns: measured at its end
    if (natural > avail + 1 && rows > 0) {   // too wide: scroll sideways, rows at their height
        flags = (flags & ~(ImGuiTableFlags_SizingMask_ | ImGuiTableFlags_NoHostExtendX)) |
                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX;
        outer = ImVec2(avail, rows + ImGui::GetStyle().ScrollbarSize);
    }
    ImGui::PushTextWrapPos(-1.0f);
    if (ImGui::BeginTable(id, columns, flags, outer)) return true;
    ImGui::PopTextWrapPos();
    return false;
}

void end_table() {
    ImGuiTable* t = ImGui::GetCurrentTable();
    // The columns' ideal widths; when not scrolling, also how wide the table came out.
    float natural = t->ColumnsAutoFitWidth;
    if (!(t->Flags & ImGuiTableFlags_ScrollX)) natural = std::max(natural, t->OuterRect.GetWidth());
    const ImGuiID table = t->ID;
    const float rows = t->RowPosY2 - t->OuterRect.Min.y + 2;  // the borders
    ImGui::EndTable();
    ImGui::PopTextWrapPos();
    ImGuiStorage* store = ImGui::GetStateStorage();
    store->SetFloat(natural_width_key(table), natural);
    store->SetFloat(rows_height_key(table), rows);
}

bool small_button(const char* label) {
    return touch_first() ? ImGui::Button(label) : ImGui::SmallButton(label);
}

}  // namespace quantlab::widgets
