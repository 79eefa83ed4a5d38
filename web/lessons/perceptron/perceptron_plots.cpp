// The Perceptron lesson's mistakes plot and accuracy sweep (see perceptron_plots.hpp).
#include "perceptron_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab::perceptron {
namespace {

const ImU32 kBoundColor = IM_COL32(200, 40, 40, 255);
const ImU32 kSafeColor = IM_COL32(130, 60, 170, 255);
const char* const kTableKeys[] = {"2", "3-fixed", "3-float", "4-fixed", "4-float"};
const char* const kTableNames[] = {"Table 2 (fixed)", "Table 3 (fixed)", "Table 3 (float)",
                                   "Table 4 (fixed)", "Table 4 (float)"};

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
        "R^2/(gamma - delta)^2, drawn when delta < gamma, and the safe bound "
        "R^2/(gamma - 2 delta)^2 (the proof's dropped rounding term put back), drawn when "
        "delta < gamma/2.",
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
    const double safe = lesson.result().mistake_bound_safe;
    const bool bound_fits = std::isfinite(bound) && bound <= 50 * std::max(1.0, mistakes);
    const bool safe_fits = std::isfinite(safe) && safe <= 50 * std::max(1.0, mistakes);
    const double top =
        std::max({4.0, mistakes, bound_fits ? bound : 0.0, safe_fits ? safe : 0.0}) * 1.15;
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
    std::string safe_text;
    if (safe_fits) {
        safe_text = "safe " + fmt(safe, 4);
        widgets::plot_hline(plot, safe, kSafeColor, 1.5f * ui.dpr, safe_text.c_str());
    }
    const std::string safe_note = std::isfinite(safe)
                                      ? (safe_fits ? "safe R^2/(g-2d)^2 = " + fmt(safe, 4)
                                                   : "safe " + fmt(safe, 4) + " (off the chart)")
                                      : "no safe bound: delta >= gamma/2";
    widgets::plot_legend(plot, 2, std::isfinite(safe) ? kSafeColor : IM_COL32(150, 150, 150, 255),
                         safe_note.c_str());
    widgets::end_plot(plot);
}

// Cherkhev's printed cells beside ours, "his | ours" in %, as qlab sweep --table prints them.
static void draw_paper_beside(const Lesson& lesson, const qlab::CherkhevTable& table) {
    ImGui::Spacing();
    const bool substitute = lesson.sweep_data != "points";
    ImGui::TextWrapped("Cherkhev %s: his cells | ours on %s", table.title.c_str(),
                       sweep_data_label(lesson.sweep_data, lesson.train).c_str());
    const std::string why =
        table.dataset + " is not available here; " +
        (substitute ? "a substitute stands in (heatmap data), so compare the shape (where "
                      "accuracy falls) and the level, not each value. "
                    : std::string("his grid runs on this lesson's 2-D set, so compare the "
                                  "shape (where accuracy falls), not the values") +
                          (table.id == "2" ? ". "
                                           : "; the heatmap data offers closer "
                                             "substitutes. ")) +
        table.note;
    widgets::help_marker(why.c_str(), "Cherkhev Tables 2-4");
    const std::vector<PaperRow> rows = paper_beside(*lesson.sweep, table);
    const int cols = static_cast<int>(table.columns.size()) + 1;
    if (!ImGui::BeginTable(
            "paper_beside", cols,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchSame))
        return;
    ImGui::TableSetupColumn("");
    for (const std::string& c : table.columns) ImGui::TableSetupColumn(c.c_str());
    ImGui::TableHeadersRow();
    for (const PaperRow& row : rows) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(row.label.c_str());
        for (std::size_t c = 0; c < row.cells.size(); ++c) {
            const PaperCell& cell = row.cells[c];
            ImGui::TableSetColumnIndex(static_cast<int>(c) + 1);
            const std::string his = std::isnan(cell.paper) ? "-" : fmt(cell.paper, 3);
            const std::string ours = cell.ours_na            ? "n/a"
                                     : cell.ours_dash        ? "-"
                                     : !cell.ours_done       ? "..."
                                     : std::isnan(cell.ours) ? "err"
                                                             : fmt(cell.ours, 3);
            ImGui::Text("%s | %s", his.c_str(), ours.c_str());
        }
    }
    ImGui::EndTable();
    ImGui::TextDisabled("%s; majority %s%%, max %s%%", table.dataset.c_str(),
                        fmt(table.majority, 3).c_str(), fmt(table.max_accuracy, 3).c_str());
}

// The heatmap's data: the lesson's points, or a substitute for a data set of Cherkhev's that is
// not here (his Tables 3-4: gisette, farm-ads), as `qlab sweep --data` makes them.
static void draw_sweep_data(App& app, const UiScale& ui) {
    static const std::pair<const char*, const char*> kData[] = {
        {"points", "the points above"},
        {"mnist4v9", "MNIST 4 vs 9 (for gisette)"},
        {"fashion5v7", "Fashion 5 vs 7, binarized (for farm-ads)"},
    };
    const qlab::LabState& s = app.state();
    const char* shown = kData[0].second;
    for (const auto& [key, label] : kData)
        if (s.sdata == key) shown = label;
    widgets::Lock lock(app, "sdata");
    // As wide as the longest choice, less on a phone: its label and (?) stay on the screen.
    const ImGuiStyle& style = ImGui::GetStyle();
    const float beside = ImGui::CalcTextSize("heatmap data").x + style.ItemInnerSpacing.x +
                         style.ItemSpacing.x + ImGui::CalcTextSize("(?)").x;
    ImGui::SetNextItemWidth(std::min(ImGui::CalcTextSize(kData[2].second).x + ui.px(30),
                                     ImGui::GetContentRegionAvail().x - beside));
    if (ImGui::BeginCombo("heatmap data", shown)) {
        for (const auto& [key, label] : kData)
            if (ImGui::Selectable(label, s.sdata == key)) app.set("sdata", key);
        ImGui::EndCombo();
    }
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view("perceptron_sweep_data", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
    widgets::help_marker(
        "Cherkhev's gisette (MNIST's 4 against 9 with added probe features) and farm-ads (54,877 "
        "Bool features, Table 1) are not here. MNIST's 4 against 9 stands in for gisette (its "
        "1,958 digits of the lab's 10,000, 784 pixels scaled to [-1, 1]); Fashion-MNIST's "
        "sandals against sneakers with pixels binarized at 0.5 for farm-ads (2,000 of the lab's "
        "10,000 test images, 784 boolean features). qlab sweep --data mnist@classes=4/9 gives "
        "the same cells.",
        "Cherkhev Tables 3-4");
}

// The heatmap's title, its protocol and its grid (range x points, float e x bits, or one of
// Cherkhev's tables).
static void draw_sweep_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const bool paper = s.protocol != "converge";
    ImGui::Text("%s accuracy per format", paper ? "Test" : "Training");
    widgets::help_marker(
        "One full training per cell, computed a cell at a time. Click a cell to load its format. "
        "range x points is Cherkhev's Table 2; exponent bits x bit budget (no subnormals, "
        "saturating) his Tables 3-4; a paper's table runs his grid on this set, his cells "
        "beside. '-': the bit budget leaves no mantissa bit, as his tables print them (his "
        "Table 4 also marks e = 7 at 9 bits, which has m = 1; we compute it). Protocol paper: 3 "
        "epochs at learning rate 1 and test accuracy, as his §4.2 and tables (here on 20% of "
        "the set held out by the seed); converge: 50 passes, training accuracy.",
        "Cherkhev Tables 2-4");
    {
        widgets::Lock lock(app, "protocol");
        if (ImGui::RadioButton("paper: 3 passes, test", paper)) app.set("protocol", "paper");
        widgets::same_line_if_fits(widgets::radio_width("converge: 50, train"));
        if (ImGui::RadioButton("converge: 50, train", !paper)) app.set("protocol", "converge");
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.record_view("perceptron_converge", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
    }
    {
        widgets::Lock lock(app, "grid");
        if (ImGui::RadioButton("range x points", s.grid == "range")) app.set("grid", "range");
        widgets::same_line_if_fits(widgets::radio_width("exponent x bits"));
        if (ImGui::RadioButton("exponent x bits", s.grid == "float")) app.set("grid", "float");
        int table = -1;
        for (int i = 0; i < 5; ++i)
            if (s.grid == kTableKeys[i]) table = i;
        ImGui::SetNextItemWidth(ImGui::CalcTextSize("Table 3 (float)").x + ui.px(30));
        if (ImGui::BeginCombo("Cherkhev's grid, his cells beside",
                              table >= 0 ? kTableNames[table] : "none")) {
            for (int i = 0; i < 5; ++i)
                if (ImGui::Selectable(kTableNames[i], i == table)) app.set("grid", kTableKeys[i]);
            ImGui::EndCombo();
        }
    }
    draw_sweep_data(app, ui);
}

void draw_sweep(App& app, Lesson& lesson, const UiScale& ui, float width,
                std::vector<std::vector<float>>& cell_rects) {
    const qlab::LabState& s = app.state();
    draw_sweep_controls(app, ui);
    cell_rects.clear();
    if (!lesson.sweep) {
        if (!lesson.sweep_error.empty()) ImGui::TextWrapped("%s", lesson.sweep_error.c_str());
        if (!lesson.sweep_waiting.empty())
            ImGui::TextDisabled("%s...", lesson.sweep_waiting.c_str());
        return;
    }
    const SweepRun& sw = *lesson.sweep;
    const auto& grid = sw.grid();
    const bool two_axes = grid.axes.size() == 2;
    // Exponent bits x bit budget: the float grid and Cherkhev's float tables (3-float, 4-float).
    const bool is_float = s.grid == "float" || s.grid.find("-float") != std::string::npos;
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
        values.push_back(ok ? sw.score(c) : NAN);
        text.push_back(!c.done            ? ""
                       : !c.possible      ? "-"
                       : !c.error.empty() ? "err"
                                          : fmt(sw.score(c), 3));
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
        if (widgets::small_button("Restart sweep")) {
            const std::string source = substitute_source(s.sdata);
            const qlab::Dataset* full =
                source.empty() ? nullptr : app.model().fetch_dataset(source);
            for (const std::string& p : lesson.rebuild_sweep(s, full))
                app.report("Perceptron: " + p, MessageLevel::warning);
        }
    } else
        ImGui::TextDisabled("%s, %s: %zu cells, %d passes, %zu %s rows",
                            sweep_data_label(s.sdata, lesson.train).c_str(), s.algo.c_str(),
                            sw.cells().size(), sw.epochs(),
                            sw.scores_test() ? sw.test_size() : sw.train_size(),
                            sw.scores_test() ? "test" : "training");
    if (lesson.sweep_table) draw_paper_beside(lesson, *lesson.sweep_table);
}

}  // namespace quantlab::perceptron
