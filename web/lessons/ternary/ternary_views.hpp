// The Ternary lesson's views: the error per Algorithm 2 step, the r_i histogram, the block strip,
// the table of residual levels, Table 2 per layer, and the Pareto view (accuracy against bits per
// weight over the format families), and Kundu Tables 3-4 on this model. ternary_lesson.hpp holds
// the analysis and the frontier's and the tables' jobs.
#pragma once

#include <string>

#include "app.hpp"
#include "imgui.h"
#include "panel.hpp"
#include "ternary_lesson.hpp"

namespace quantlab::ternary {

// Layer i's colour in the error plot and Table 2.
ImU32 layer_color(std::size_t i);
// Blue for negative, red for positive, white at zero (square-root scale up to `scale`).
ImU32 diverging(double v, double scale);
// "1234 bits", with KiB beside it from 10 KiB on.
std::string bits_text(double bits);
// "1.23 M", "45.6 k" or "789".
std::string count_text(double v);
// Keeps residual `level` (the deepest one is "everything": keep = 32).
void set_keep(App& app, const Analysis& analysis, int level);

// `layer`: the layer the error plot highlights and the histogram and the strip show.
void draw_error_plot(App& app, const Analysis& analysis, int layer, const UiScale& ui, ImVec2 size);
void draw_histogram(App& app, const Analysis& analysis, int layer, const UiScale& ui, ImVec2 size);
void draw_strip(App& app, const Analysis& analysis, int layer, const UiScale& ui, float width);
void draw_levels_table(App& app, const Analysis& analysis, const UiScale& ui);
void draw_table2(App& app, const Analysis& analysis, const UiScale& ui);
// The plot's last axes (x0, x1, y0, y1) and inner rectangle in CSS pixels (left, top, right,
// bottom) go to `axes` and `inner`, for metrics() (the tests hover its points).
void draw_pareto(App& app, Frontier& frontier, const UiScale& ui, double (&axes)[4],
                 float (&inner)[4]);
// Kundu Tables 3-4 on this model beside his cells, Fig. 1's per-layer tolerances and the
// abstract's figures derived from Table 3 with the lesson's X.
void draw_tables(App& app, Tables& tables, const UiScale& ui);
// The same as metrics() reports them (the keys of qlab ternary-tables --json).
nlohmann::json tables_json(const Tables& tables, double gain_x);

}  // namespace quantlab::ternary
