// The Perceptron lesson's mistakes plot and accuracy sweep (see perceptron_plots.hpp).
#include "perceptron_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab::perceptron {
namespace {

const ImU32 kBoundColor = IM_COL32(200, 40, 40, 255);

}  // namespace

std::string fmt(double v, int digits) {
    if (!std::isfinite(v)) return v > 0 ? "inf" : v < 0 ? "-inf" : "nan";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

void draw_mistakes_plot(Lesson& lesson, const UiScale& ui, float width) {
    ImGui::TextUnformatted("Mistakes over examples visited");
    widgets::help_marker(
        "The perceptron's mistakes so far (each one an update) against Cherkhev's bound "
        "R^2/(gamma - delta)^2, drawn when delta < gamma.",
        "Cherkhev Theorem 1 (§3.3)");
    const float height = std::max(140 * ui.dpr, std::min(230 * ui.dpr, width * 0.55f));
    if (!lesson.trainable()) {
        ImGui::Dummy(ImVec2(width, height));
        return;
    }
    const auto& trace = lesson.run->trace();
    const double visited = static_cast<double>(std::max<long long>(1, lesson.run->visited()));
    const double mistakes = static_cast<double>(lesson.run->inner().mistakes());
    const double bound = lesson.result().mistake_bound;
    const bool bound_fits = std::isfinite(bound) && bound <= 50 * std::max(1.0, mistakes);
    const double top = std::max({4.0, mistakes, bound_fits ? bound : 0.0}) * 1.15;
    const widgets::Plot plot = widgets::begin_plot("mistakes", ImVec2(width, height), 0, visited, 0,
                                                   top, "examples visited", nullptr, ui);
    std::vector<double> xs, ys;
    const std::size_t stride = std::max<std::size_t>(1, trace.size() / 400);
    double prev = 0;
    for (std::size_t i = 0; i < trace.size(); i += stride) {
        xs.push_back(static_cast<double>(trace[i].first)), ys.push_back(prev);
        xs.push_back(static_cast<double>(trace[i].first)),
            ys.push_back(static_cast<double>(trace[i].second));
        prev = static_cast<double>(trace[i].second);
    }
    xs.push_back(visited), ys.push_back(mistakes);
    widgets::plot_line(plot, xs, ys, widgets::kAccent, 2 * ui.dpr);
    std::string bound_text;
    if (bound_fits) {
        bound_text = "bound " + fmt(bound, 4);
        widgets::plot_hline(plot, bound, kBoundColor, 1.5f * ui.dpr, bound_text.c_str());
    }
    widgets::plot_legend(plot, 0, widgets::kAccent,
                         ("mistakes " + std::to_string(static_cast<long>(mistakes))).c_str());
    const std::string note = std::isfinite(bound)
                                 ? (bound_fits ? "bound R^2/(g-d)^2 = " + fmt(bound, 4)
                                               : "bound " + fmt(bound, 4) + " (off the chart)")
                                 : "no bound: delta >= gamma";
    widgets::plot_legend(plot, 1, std::isfinite(bound) ? kBoundColor : IM_COL32(150, 150, 150, 255),
                         note.c_str());
    widgets::end_plot(plot);
}

void draw_sweep(App& app, Lesson& lesson, const UiScale& ui, float width,
                std::vector<std::vector<float>>& cell_rects) {
    const qlab::LabState& s = app.state();
    ImGui::TextUnformatted("Training accuracy per format");
    widgets::help_marker(
        "One full training per cell, computed a cell at a time. Click a cell to load its format. "
        "range x points is Cherkhev's Table 2; exponent bits x bit budget (no subnormals, "
        "saturating) his Tables 3-4. '-': no mantissa bit left, as his tables print them. "
        "Cells: training accuracy after 50 passes; his tables: test accuracy after 3.",
        "Cherkhev Tables 2-4");
    {
        widgets::Lock lock(app, "grid");
        if (ImGui::RadioButton("range x points", s.grid == "range")) app.set("grid", "range");
        ImGui::SameLine();
        if (ImGui::RadioButton("exponent x bits", s.grid == "float")) app.set("grid", "float");
    }
    cell_rects.clear();
    if (!lesson.sweep) {
        if (!lesson.sweep_error.empty()) ImGui::TextWrapped("%s", lesson.sweep_error.c_str());
        return;
    }
    const qlab::SweepJob& sw = *lesson.sweep;
    const auto& grid = sw.grid();
    const bool two_axes = grid.axes.size() == 2;
    const bool is_float = s.grid == "float";
    std::vector<std::string> rows, cols;
    for (std::size_t r = 0; r < grid.rows(); ++r)
        rows.push_back(two_axes ? std::string(is_float ? "e=" : "R=") + grid.axes[0][r]
                                : grid.specs[r]);
    for (std::size_t c = 0; c < grid.columns(); ++c)
        cols.push_back(two_axes ? std::string(is_float ? "bits=" : "P=") + grid.axes[1][c] : "acc");
    std::vector<double> values;
    std::vector<std::string> text;
    int hr = -1, hc = -1;
    const std::string current = lesson.format ? lesson.format->to_string() : "";
    for (std::size_t i = 0; i < sw.cells().size(); ++i) {
        const qlab::SweepCell& c = sw.cells()[i];
        const bool ok = c.done && c.possible && c.error.empty();
        values.push_back(ok ? c.result.train_accuracy : NAN);
        text.push_back(!c.done            ? ""
                       : !c.possible      ? "-"
                       : !c.error.empty() ? "err"
                                          : fmt(c.result.train_accuracy, 3));
        auto f = qlab::Format::parse(c.spec);
        if (f && f->to_string() == current)
            hr = static_cast<int>(i / grid.columns()), hc = static_cast<int>(i % grid.columns());
    }
    float label_w = 0;
    for (const auto& l : rows) label_w = std::max(label_w, ImGui::CalcTextSize(l.c_str()).x);
    label_w += ui.px(10);
    const float cell_w = std::clamp((width - label_w - ui.px(4)) / static_cast<float>(cols.size()),
                                    30 * ui.dpr, 80 * ui.dpr);
    const float cell_h = ImGui::GetFontSize() * 1.6f;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    int cr = -1, cc = -1;
    const bool clicked =
        widgets::heatmap_table("sweep", rows, cols, values, text, hr, hc, cell_w, ui, &cr, &cc);
    const ImVec2 end = ImGui::GetItemRectMax();
    app.record_view("perceptron_sweep", origin.x, origin.y, end.x - origin.x, end.y - origin.y,
                    ui.dpr);
    for (std::size_t i = 0; i < sw.cells().size(); ++i) {
        const float x = origin.x + label_w + cell_w * static_cast<float>(i % grid.columns());
        const float y = origin.y + cell_h * static_cast<float>(i / grid.columns() + 1);
        cell_rects.push_back({x / ui.dpr, y / ui.dpr, cell_w / ui.dpr, cell_h / ui.dpr});
    }
    if (clicked && cr >= 0 && cc >= 0) {
        const std::size_t i =
            static_cast<std::size_t>(cr) * grid.columns() + static_cast<std::size_t>(cc);
        if (i < sw.cells().size()) {
            if (sw.cells()[i].possible)
                app.set("atoms", sw.cells()[i].spec);
            else
                app.report("Perceptron: " + sw.cells()[i].spec + " is no format (" +
                           sw.cells()[i].error + ")");
        }
    }
    if (sw.running())
        ImGui::TextDisabled("computing: %zu of %zu cells", sw.cells_done(), sw.cells().size());
    else if (sw.state() == qlab::JobState::cancelled) {
        ImGui::TextDisabled("cancelled after %zu cells", sw.cells_done());
        ImGui::SameLine();
        if (ImGui::SmallButton("Restart sweep"))
            for (const std::string& p : lesson.rebuild_sweep(s))
                app.report("Perceptron: " + p, MessageLevel::warning);
    } else
        ImGui::TextDisabled("%s, %s: %zu cells", s.set.c_str(), s.algo.c_str(), sw.cells().size());
}

}  // namespace quantlab::perceptron
