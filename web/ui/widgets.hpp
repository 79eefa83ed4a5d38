// Shared drawing helpers for every lesson: tooltips that cite an equation, axes and line plots,
// CPU heatmap tables, histograms, the class colours, and locks for embedded controls.
// Sections: 1. tooltips  2. plots (axes, lines, points)  3. heatmap tables  4. histograms  5. locks
// 6. layout and text: formatted strings, titled sections, error lines, and recorded places (for
// tests and course pages)  7. a lesson's two parts (controls and views), side by side or stacked
#pragma once

#include <string>
#include <vector>

#include "../panel.hpp"
#include "imgui.h"

namespace quantlab {
class App;
}

namespace quantlab::widgets {

// 1. Tooltips. "(?)" after the last item; `cite` names the paper's equation it comes from.
void help_marker(const char* text, const char* cite = nullptr);
void tooltip_on_hover(const char* text, const char* cite = nullptr);

// A round "nice" tick step for a span and a target number of labels.
double nice_step(double span, int target_labels);

// Colours shared by the lessons (class 0 / class 1 as on the TF Playground, and accents).
ImU32 class_color(int label, int alpha = 255);
extern const ImU32 kAccent;
extern const ImU32 kAccent2;
extern const ImU32 kGridColor;
// A sequential colour for t in [0, 1] (pale to dark blue), for accuracy heatmaps.
ImU32 sequential_color(double t);

// 2. Plots. A framed area with ticks; maps data to screen. Draw with the helpers below, then end.
struct Plot {
    ImVec2 p0, p1;  // inner rectangle, screen pixels
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    ImDrawList* dl = nullptr;
    bool hovered = false;
    ImVec2 to_screen(double x, double y) const;
    double x_at(float sx) const;
    double y_at(float sy) const;
};
Plot begin_plot(const char* id, ImVec2 size, double x0, double x1, double y0, double y1,
                const char* x_label, const char* y_label, const UiScale& ui,
                bool show_ticks = true);
void end_plot(const Plot& plot);
void plot_line(const Plot& plot, const std::vector<double>& xs, const std::vector<double>& ys,
               ImU32 color, float thickness);
void plot_hline(const Plot& plot, double y, ImU32 color, float thickness,
                const char* label = nullptr);
// A legend entry drawn at the plot's top-left, one per call (index 0, 1, ...).
void plot_legend(const Plot& plot, int index, ImU32 color, const char* text);

// 3. A table of coloured cells (values in [0, 1] or NaN for an empty cell) with row and column
// labels and the value printed in each cell. Returns true and sets row/col when a cell is clicked.
bool heatmap_table(const char* id, const std::vector<std::string>& row_labels,
                   const std::vector<std::string>& col_labels, const std::vector<double>& values,
                   const std::vector<std::string>& cell_text, int highlight_row, int highlight_col,
                   float cell_width, const UiScale& ui, int* clicked_row, int* clicked_col);

// 4. A histogram of values over [lo, hi] in `bins` bins, drawn into a plot; returns the counts.
std::vector<int> histogram_counts(const std::vector<float>& values, double lo, double hi, int bins);
void plot_histogram(const Plot& plot, const std::vector<int>& counts, double lo, double hi,
                    ImU32 color);

// 5. Embedded lessons lock the controls named in hide=...; wrap a control in a Lock.
class Lock {
  public:
    Lock(const App& app, const char* key);
    ~Lock() { release(); }
    void release();  // ends the lock early (before the next section of controls)
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

  private:
    bool locked_;
};

// 6. Layout and text. printf into a std::string (numbers in labels and status lines).
std::string format(const char* fmt, ...) IM_FMTARGS(1);
// A titled divider between groups of controls (ImGui 1.86 has no SeparatorText).
void section(const char* title);
// A message in red, wrapped; nothing when the text is empty.
void error_text(const std::string& text);
// A quiet line (the disabled text colour), wrapped to the column.
void note_text(const std::string& text);
// Records the last item's rectangle as `view` (App::record_view), so tests and course pages can
// find and click it.
void record_item(App& app, const UiScale& ui, const std::string& view);
// A button whose place is recorded as `view`.
bool recorded_button(App& app, const UiScale& ui, const char* label, const char* view,
                     ImVec2 size = ImVec2(0, 0));
// Opens a child window `id` of `size` and records its visible part under the same name (a
// scrolling column of controls, a lesson's views). Close it with ImGui::EndChild().
void begin_recorded_child(App& app, const UiScale& ui, const char* id, ImVec2 size);

// 7. A lesson's two parts: its controls in a column `width` wide at the left (scrolling on its
// own) and its views filling the rest; on a narrow screen (ui.narrow) one column, the controls
// above the views, the whole window scrolling and text wrapping at the screen's edge. Each part is
// recorded under its id. begin_*
// return the width the part's items have.
float begin_controls(App& app, const UiScale& ui, const char* id, float width);
void end_controls(App& app, const UiScale& ui, const char* id);
float begin_views(App& app, const UiScale& ui, const char* id);
void end_views(App& app, const UiScale& ui, const char* id);
// Before an item `width` wide (its label included): SameLine() when it fits beside the last item
// in the window's width, else nothing (it goes below). Rows of buttons wrap on a phone.
void same_line_if_fits(float width);
// A radio button's width with its label (for same_line_if_fits).
float radio_width(const char* label);
// A table of numbers: each cell on one line (wrapping at a phone's edge would squeeze the columns
// to a character each), scrolling sideways when its columns do not fit the width left (measured
// on the frame before). end_table() only after begin_table() returned true.
bool begin_table(const char* id, int columns, ImGuiTableFlags flags);
void end_table();
// A small button (the title bar's, a preset's), frame-high on touch screens (theme's touch_first)
// so a finger can hit it.
bool small_button(const char* label);

}  // namespace quantlab::widgets
