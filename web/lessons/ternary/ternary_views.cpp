// The Ternary lesson's views and their small helpers (see ternary_views.hpp); the panel, its
// controls and the layout are in ternary_panel.cpp.
#include "ternary_views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab::ternary {

using widgets::error_text;
using widgets::record_item;

// ---- Helpers ------------------------------------------------------------------------------------

const ImU32 kLayerColors[] = {IM_COL32(30, 100, 220, 255), IM_COL32(235, 120, 20, 255),
                              IM_COL32(40, 160, 70, 255),  IM_COL32(180, 50, 160, 255),
                              IM_COL32(200, 40, 40, 255),  IM_COL32(90, 90, 100, 255)};
ImU32 layer_color(std::size_t i) {
    return kLayerColors[i % 6];
}

// Blue for negative, red for positive, white at zero. The square root keeps the small residual
// terms visible beside the weights they correct (what a term corrects is mostly small, Theorem 3).
ImU32 diverging(double v, double scale) {
    if (!std::isfinite(v) || !(scale > 0)) return IM_COL32(128, 128, 128, 255);
    const double t = std::sqrt(std::min(1.0, std::fabs(v) / scale));
    const auto mix = [&](int from, int to) {
        return static_cast<int>(std::lround(from + (to - from) * t));
    };
    return v < 0 ? IM_COL32(mix(246, 35), mix(246, 85), mix(246, 200), 255)
                 : IM_COL32(mix(246, 205), mix(246, 50), mix(246, 35), 255);
}

std::string bits_text(double bits) {
    if (bits >= 8 * 1024 * 10) return widgets::format("%.0f bits (%.1f KiB)", bits, bits / 8192);
    return widgets::format("%.0f bits", bits);
}

// Unlike the Layers lesson's counts, with a space before M and k and 3 significant digits.
std::string count_text(double v) {
    if (v >= 1e6) return widgets::format("%.3g M", v / 1e6);
    if (v >= 1e4) return widgets::format("%.1f k", v / 1e3);
    return widgets::format("%.0f", v);
}

void set_keep(App& app, const Analysis& a_, int level) {
    // The deepest level is "everything": keep = 32 stays valid when a new N or epsilon builds more.
    app.set("keep", level >= a_.max_level() ? "32" : std::to_string(level));
}

// ---- The residual views -------------------------------------------------------------------------

void draw_error_plot(App& app, const Analysis& a_, int layer_, const UiScale& ui, ImVec2 size) {
    const qlab::KunduResult* r = a_.result();
    double x1 = 1, y1 = 0.05;
    if (r)
        for (const ternary::LayerFigures& f : a_.layers())
            if (!f.curve_x.empty())
                x1 = std::max(x1, f.curve_x.back()), y1 = std::max(y1, f.curve_y.front());
    const double eps = a_.result() ? a_.result_key().tolerance : app.state().ttol;
    widgets::Plot p = widgets::begin_plot("##errors", size, 0, x1, 0, y1 * 1.08, "Algorithm 2 step",
                                          "||W - W^|| / ||W||", ui);
    record_item(app, ui, "ternary_errors");
    if (r) {
        widgets::plot_hline(p, eps, IM_COL32(200, 40, 40, 200), ui.px(1), "eps");
        for (std::size_t i = 0; i < a_.layers().size(); ++i) {
            const ternary::LayerFigures& f = a_.layers()[i];
            widgets::plot_line(p, f.curve_x, f.curve_y, layer_color(i),
                               ui.px(static_cast<int>(i) == layer_ ? 2.5f : 1.5f));
            char label[48];
            std::snprintf(label, sizeof label, "layer %zu: %zu steps", r->layers[i].layer + 1,
                          r->layers[i].tensor.order.size());
            widgets::plot_legend(p, static_cast<int>(i) + 1, layer_color(i),
                                 label);  // row 0: the axis label
        }
    }
    widgets::end_plot(p);
    widgets::tooltip_on_hover(
        "The layer's relative error after line 3 (step 0, FGQ) and after every residual "
        "Algorithm 2 adds to the block with the largest error. It falls at every step.",
        "Kundu et al. Theorem 3");
}

void draw_histogram(App& app, const Analysis& a_, int layer_, const UiScale& ui, ImVec2 size) {
    const qlab::KunduResult* r = a_.result();
    const ternary::LayerFigures* f = r ? &a_.layers()[static_cast<std::size_t>(layer_)] : nullptr;
    double top = 1;
    const std::size_t bins = f ? f->histogram.size() : 1;
    if (f)
        for (long long c : f->histogram) top = std::max(top, static_cast<double>(c));
    widgets::Plot p = widgets::begin_plot("##rhist", size, -0.5, static_cast<double>(bins) - 0.5, 0,
                                          top * 1.12, "residual terms r_i", "blocks", ui);
    record_item(app, ui, "ternary_histogram");
    if (f) {
        const int kept = a_.level_for(app.state().keep);
        for (std::size_t k = 0; k < bins; ++k) {
            const double c = static_cast<double>(f->histogram[k]);
            // Blocks deeper than the kept level lose terms: drawn pale.
            const ImU32 col =
                static_cast<int>(k) <= kept ? widgets::kAccent : IM_COL32(30, 100, 220, 90);
            p.dl->AddRectFilled(p.to_screen(static_cast<double>(k) - 0.4, c),
                                p.to_screen(static_cast<double>(k) + 0.4, 0), col);
            char label[24];
            std::snprintf(label, sizeof label, "%lld", f->histogram[k]);
            const ImVec2 at = p.to_screen(static_cast<double>(k), c);
            p.dl->AddText(ImVec2(at.x - ImGui::CalcTextSize(label).x / 2,
                                 at.y - ImGui::GetFontSize() - ui.px(1)),
                          ImGui::GetColorU32(ImGuiCol_Text), label);
        }
    }
    widgets::end_plot(p);
    widgets::tooltip_on_hover(
        "How many blocks of the layer got r_i residual terms. Table 2's sums run over these.",
        "Kundu et al. Table 2, eq. 8");
}

namespace {

// What the strip shows: the first `shown` weights (whole blocks while they fit at >= 3 px a
// weight), `term_rows` of the terms, and where its cells go.
struct StripLayout {
    std::size_t shown = 0, blocks = 0;
    int max_terms = 0, term_rows = 0;
    float label_w = 0, cell = 0, row_h = 0, gap = 0;
    ImVec2 p0, size;
    float x0() const { return p0.x + label_w; }
    float row_y(int row) const { return p0.y + row_h * static_cast<float>(row); }
};

StripLayout strip_layout(const qlab::ResidualTensor& t, const UiScale& ui, float width) {
    StripLayout l;
    l.label_w = ui.px(86);
    const float min_cell = ui.px(3);
    l.shown = std::min<std::size_t>(
        t.n, static_cast<std::size_t>(std::max(1.0f, (width - l.label_w) / min_cell)));
    std::size_t whole = 0;
    for (const qlab::ResidualBlock& b : t.blocks) {
        if (b.begin + b.size > l.shown) break;
        ++l.blocks, whole = b.begin + b.size;
    }
    if (l.blocks > 0)
        l.shown = whole;
    else
        l.blocks = 1;  // one long block: show its beginning
    l.max_terms = 1 + t.max_residuals();
    l.term_rows = std::min(l.max_terms, 8);
    l.cell = std::min(ui.px(14), (width - l.label_w) / static_cast<float>(l.shown));
    l.row_h = ImGui::GetFontSize() * 1.25f;
    l.gap = l.cell > ui.px(5) ? ui.px(1) : 0;
    const int rows = 1 + l.term_rows + 2;  // W, terms, W^ at the level, W - W^
    l.size = ImVec2(l.label_w + l.cell * static_cast<float>(l.shown),
                    l.row_h * static_cast<float>(rows));
    return l;
}

// Which block each shown weight is in, and its sum W^ at the kept level (the strip is small:
// per frame).
struct StripSums {
    std::vector<std::size_t> block_of;
    std::vector<double> w_hat;
};

StripSums strip_sums(const qlab::ResidualTensor& t, std::size_t shown, int kept) {
    StripSums sums{std::vector<std::size_t>(shown), std::vector<double>(shown, 0.0)};
    for (std::size_t b = 0; b < t.blocks.size() && t.blocks[b].begin < shown; ++b)
        for (std::size_t i = t.blocks[b].begin;
             i < std::min(shown, t.blocks[b].begin + t.blocks[b].size); ++i)
            sums.block_of[i] = b;
    for (std::size_t i = 0; i < shown; ++i) {
        const qlab::ResidualBlock& b = t.blocks[sums.block_of[i]];
        for (int k = 0; k <= std::min(kept, b.residuals()); ++k)
            sums.w_hat[i] += b.terms[static_cast<std::size_t>(k)].alpha *
                             b.terms[static_cast<std::size_t>(k)].signs[i - b.begin];
    }
    return sums;
}

void draw_strip_labels(ImDrawList* dl, const StripLayout& l, int kept) {
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    auto label = [&](int row, const char* s) {
        dl->AddText(ImVec2(l.p0.x, l.row_y(row) + (l.row_h - ImGui::GetFontSize()) / 2), text, s);
    };
    label(0, "W (float)");
    for (int k = 0; k < l.term_rows; ++k) {
        char s[24];
        std::snprintf(s, sizeof s, k == 0 ? "term 0 FGQ" : "term %d", k);
        label(1 + k, s);
    }
    char s[32];
    std::snprintf(s, sizeof s, "W^ (level %d)", kept);
    label(1 + l.term_rows, s);
    label(2 + l.term_rows, "W - W^");
}

// One column per weight: W, its terms (faded beyond the kept level), W^ and W - W^.
void draw_strip_cells(ImDrawList* dl, const StripLayout& l, const qlab::ResidualTensor& t,
                      const float* w, const StripSums& sums, int kept, const UiScale& ui) {
    double scale = 0;
    for (std::size_t i = 0; i < l.shown; ++i)
        scale = std::max(scale, static_cast<double>(std::fabs(w[i])));
    const ImU32 empty = ImGui::GetColorU32(ImGuiCol_FrameBg);
    for (std::size_t i = 0; i < l.shown; ++i) {
        const float x = l.x0() + l.cell * static_cast<float>(i);
        const qlab::ResidualBlock& b = t.blocks[sums.block_of[i]];
        auto put = [&](int row, ImU32 c) {
            dl->AddRectFilled(ImVec2(x, l.row_y(row) + ui.px(1)),
                              ImVec2(x + l.cell - l.gap, l.row_y(row + 1) - ui.px(1)), c);
        };
        put(0, diverging(w[i], scale));
        for (int k = 0; k < l.term_rows; ++k) {
            if (k > b.residuals()) {
                put(1 + k, empty);
                continue;
            }
            const qlab::TernaryVector& term = b.terms[static_cast<std::size_t>(k)];
            ImU32 c = diverging(term.alpha * term.signs[i - b.begin], scale);
            if (k > kept) c = (c & 0x00FFFFFF) | (static_cast<ImU32>(60) << IM_COL32_A_SHIFT);
            put(1 + k, c);
        }
        put(1 + l.term_rows, diverging(sums.w_hat[i], scale));
        put(2 + l.term_rows, diverging(w[i] - sums.w_hat[i], scale));
    }
}

// The weight under the mouse: where it is, its terms and its sum.
void strip_tooltip(const StripLayout& l, const qlab::ResidualTensor& t, const float* w,
                   const StripSums& sums, int kept, std::size_t cols) {
    const float mx = ImGui::GetIO().MousePos.x;
    if (mx < l.x0()) return;
    const auto i = static_cast<std::size_t>((mx - l.x0()) / l.cell);
    if (i >= l.shown) return;
    const qlab::ResidualBlock& b = t.blocks[sums.block_of[i]];
    ImGui::BeginTooltip();
    ImGui::Text("weight %zu (row %zu, column %zu), block %zu with r_i = %d", i, i / cols, i % cols,
                sums.block_of[i], b.residuals());
    ImGui::Text("W = %.5f", w[i]);
    for (int k = 0; k <= b.residuals() && k < 12; ++k) {
        const qlab::TernaryVector& term = b.terms[static_cast<std::size_t>(k)];
        ImGui::Text("term %d: alpha %.5f x %+d%s", k, term.alpha, term.signs[i - b.begin],
                    k > kept ? "  (off)" : "");
    }
    ImGui::Text("W^ = %.5f, W - W^ = %.5f", sums.w_hat[i], w[i] - sums.w_hat[i]);
    ImGui::EndTooltip();
}

}  // namespace

void draw_strip(App& app, const Analysis& a_, int layer_, const UiScale& ui, float width) {
    const qlab::KunduResult* r = a_.result();
    if (!r) return;
    const qlab::ResidualTensor& t = r->layers[static_cast<std::size_t>(layer_)].tensor;
    const float* w =
        a_.result_model().layers[r->layers[static_cast<std::size_t>(layer_)].layer].weight.data();
    const int kept = a_.level_for(app.state().keep);
    StripLayout l = strip_layout(t, ui, width);
    ImGui::TextUnformatted(
        "Blocks of the layer: weights, ternary terms, the kept sum and what it misses");
    widgets::help_marker(
        "Each column is one weight (the first blocks of the row-major matrix). Term 0 is Algorithm "
        "1's ternary alpha*W^ of the block; terms 1.. are the residuals Algorithm 2 added. Terms "
        "beyond the kept level are drawn faded; empty cells: the block needed fewer terms. Colour: "
        "blue negative, red positive (square-root scale).",
        "Kundu et al. Algorithms 1-2");
    l.p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("##strip", l.size);
    record_item(app, ui, "ternary_strip");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const StripSums sums = strip_sums(t, l.shown, kept);
    draw_strip_labels(dl, l, kept);
    draw_strip_cells(dl, l, t, w, sums, kept, ui);
    // Block boundaries, where blocks are wide enough for a line not to hide them.
    if (l.cell * static_cast<float>(a_.result_key().block) >= ui.px(10))
        for (std::size_t b = 1; b < t.blocks.size() && t.blocks[b].begin < l.shown; ++b) {
            const float x = l.x0() + l.cell * static_cast<float>(t.blocks[b].begin) - l.gap / 2;
            dl->AddLine(ImVec2(x, l.p0.y), ImVec2(x, l.p0.y + l.size.y), IM_COL32(20, 20, 30, 160),
                        ui.px(1));
        }
    if (ImGui::IsItemHovered())
        strip_tooltip(l, t, w, sums, kept, a_.layers()[static_cast<std::size_t>(layer_)].cols);
    if (l.max_terms > l.term_rows)
        ImGui::TextDisabled("(terms %d..%d not drawn)", l.term_rows, l.max_terms - 1);
    ImGui::TextDisabled("the first %zu of %zu weights, %zu blocks of N = %zu", l.shown, t.n,
                        l.blocks, a_.result_key().block);
}

void draw_levels_table(App& app, const Analysis& a_, const UiScale& ui) {
    const qlab::KunduResult* r = a_.result();
    if (!r) return;
    ImGui::TextUnformatted("Every residual level");
    widgets::help_marker(
        "Click a row to keep that level. Size: Table 2; C: ternary terms relative to FGQ; "
        "power-performance X/(C(X/N+1)) over 8-8.",
        "Kundu et al. Table 2, §3.2.1");
    const int kept = a_.level_for(app.state().keep);
    const ImGuiTableFlags flags =
        ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    if (!widgets::begin_table("##levels", 8, flags)) return;
    const char* heads[] = {"level",  "accuracy", "size (bits)",   "bits/weight",
                           "alphas", "C",        "mults/example", "power-perf."};
    for (const char* h : heads) ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    widgets::Lock lock(app, "keep");
    for (std::size_t i = 0; i < r->levels.size(); ++i) {
        const qlab::KunduLevel& v = r->levels[i];
        const ternary::LevelFigures& f = a_.levels()[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        char label[24];
        std::snprintf(label, sizeof label, i == 0 ? "0 FGQ" : "%zu", i);
        if (ImGui::Selectable(label, static_cast<int>(i) == kept,
                              ImGuiSelectableFlags_SpanAllColumns))
            set_keep(app, a_, static_cast<int>(i));
        record_item(app, ui, "ternary_levels_row_" + std::to_string(i));
        ImGui::TableNextColumn();
        ImGui::Text("%.2f%%", 100 * v.accuracy);
        ImGui::TableNextColumn();
        ImGui::Text("%.0f", v.model_size_bits);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", f.bits_per_weight);
        ImGui::TableNextColumn();
        ImGui::Text("%lld", v.scale_factors);
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", v.compute);
        ImGui::TableNextColumn();
        ImGui::Text("%s", count_text(f.cost.multiplications).c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", v.power_performance);
    }
    lock.release();
    widgets::end_table();
    ImGui::TextDisabled("float: %.2f%%, 32 bits/weight, %s MACs per example",
                        100 * r->float_accuracy,
                        count_text(a_.levels().empty() ? 0 : a_.levels()[0].cost.macs).c_str());
}

void draw_table2(App& /*app*/, const Analysis& a_, const UiScale& /*ui*/) {
    const qlab::KunduResult* r = a_.result();
    if (!r) return;
    ImGui::TextUnformatted("Table 2 per layer (n weights, k blocks)");
    widgets::help_marker(
        "FGQ ternary: 8k + 2n bits, 2k + 1 distinct values, k alphas. FGQ + ternary residual, "
        "as Algorithm 2 built it: (8 + 2n/k) sum (r_i + 1) bits, sum 3^(r_i+1) - k + 1 values, "
        "sum (r_i + 1) alphas.",
        "Kundu et al. Table 2");
    const ImGuiTableFlags flags =
        ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    if (!widgets::begin_table("##table2", 7, flags)) return;
    const char* heads[] = {"layer",    "weights", "method",    "model size (bits)",
                           "capacity", "alphas",  "rel. error"};
    for (const char* h : heads) ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    for (std::size_t i = 0; i < r->layers.size(); ++i) {
        const qlab::ResidualTensor& t = r->layers[i].tensor;
        const ternary::LayerFigures& f = a_.layers()[i];
        const ternary::LevelFigures& level0 = a_.levels().front();
        for (int m = 0; m < 2; ++m) {
            const qlab::Table2Row& row = m == 0 ? f.fgq : f.residual;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (m == 0)
                ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(layer_color(i)), "%zu",
                                   r->layers[i].layer + 1);
            ImGui::TableNextColumn();
            if (m == 0)
                ImGui::Text("n %zu, k %zu", t.n, t.blocks.size());
            else
                ImGui::TextDisabled("(%zu x %zu matrix)", f.rows, f.cols);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(m == 0 ? "FGQ ternary" : "FGQ + residual");
            ImGui::TableNextColumn();
            ImGui::Text("%.0f", row.model_size_bits);
            ImGui::TableNextColumn();
            ImGui::Text("%.4g", row.capacity);
            ImGui::TableNextColumn();
            ImGui::Text("%lld", row.scale_factors);
            ImGui::TableNextColumn();
            ImGui::Text("%.4f", m == 0 ? level0.layer_errors[i]
                                       : (t.norm > 0 ? t.errors.back() / t.norm : 0));
        }
    }
    widgets::end_table();
}

// ---- The Pareto view ----------------------------------------------------------------------------

namespace {
// The families in a fixed order, each with its colour (the legend and the points).
struct Family {
    const char* name;
    ImU32 color;
};
const Family kFamilies[] = {
    {"fixed (Lin)", IM_COL32(30, 100, 220, 255)}, {"int per-channel", IM_COL32(40, 160, 70, 255)},
    {"float", IM_COL32(235, 120, 20, 255)},       {"ternary", IM_COL32(200, 40, 40, 255)},
    {"codebook", IM_COL32(180, 50, 160, 255)},    {"bfp", IM_COL32(20, 150, 160, 255)},
    {"block-scaled", IM_COL32(120, 90, 40, 255)}};
ImU32 family_color(const std::string& name) {
    for (const Family& f : kFamilies)
        if (name == f.name) return f.color;
    return IM_COL32(90, 90, 100, 255);
}

// The frontier's state in words: training, untrained, failed (with a retry), or its job.
void draw_pareto_status(App& app, Frontier& f_, const UiScale& ui) {
    const qlab::ParetoResult* r = f_.result();
    const std::string state = f_.state();
    if (state == "training")
        ImGui::TextDisabled("training: the frontier waits for the weights to settle");
    if (state == "untrained")
        ImGui::TextWrapped(
            "The model is untrained: its weights are random, so accuracy against bits per weight "
            "would rank formats by noise (a 1-bit codebook can beat float32 at chance level). "
            "Train it (space) or drop a model file; the frontier follows.");
    if (state == "failed") {
        error_text("Pareto frontier stopped: " + f_.error());
        if (widgets::small_button("run again")) f_.retry();
        record_item(app, ui, "ternary_pareto_retry");
    }
    if (f_.job_running()) {
        const qlab::JobProgress p = f_.job()->progress();
        ImGui::TextDisabled("evaluating %s (%lld of %lld)", p.stage.c_str(), p.done, p.total);
    } else if (r && state == "finished") {
        ImGui::TextDisabled("%zu formats in %.0f ms on %zu weights, N = %zu for ternary",
                            r->points.size(), f_.job_ms(), r->weights, f_.key().block);
    }
}

// The plot: every format's point, the frontier as a step line; returns the hovered point or -1.
int draw_pareto_plot(App& app, const Frontier& f_, const UiScale& ui, double (&axes)[4],
                     float (&inner)[4]) {
    const qlab::ParetoResult* r = f_.result();
    const float avail = ImGui::GetContentRegionAvail().x;
    double x1 = 9, y0 = 1, y1 = 1;
    if (r) {
        for (const qlab::ParetoPoint& p : r->points) {
            x1 = std::max(x1, std::ceil(p.bits_per_weight) + 0.5);
            y0 = std::min(y0, p.accuracy);
        }
        y0 = std::min(y0, r->float_accuracy);
        // Formats far below float (2-bit fixed point at chance) would squash the interesting
        // top: the axis starts at most 0.3 below float and lower points sit on its bottom edge.
        y0 = std::max(y0, r->float_accuracy - 0.3);
    }
    y0 = std::max(0.0, std::floor(y0 * 10 - 0.2) / 10);
    const ImVec2 size(avail,
                      std::clamp(ImGui::GetContentRegionAvail().y * 0.62f, ui.px(240), ui.px(420)));
    widgets::Plot p = widgets::begin_plot("##pareto", size, 0, x1, y0, y1 + 0.005,
                                          "bits per weight (scales included)", "test accuracy", ui);
    record_item(app, ui, "ternary_pareto_plot");
    axes[0] = p.x0, axes[1] = p.x1, axes[2] = p.y0, axes[3] = p.y1;
    inner[0] = p.p0.x / ui.dpr, inner[1] = p.p0.y / ui.dpr;
    inner[2] = p.p1.x / ui.dpr, inner[3] = p.p1.y / ui.dpr;
    int hovered = -1;
    if (r) {
        widgets::plot_hline(p, r->float_accuracy, IM_COL32(120, 120, 130, 200), ui.px(1),
                            "float32");
        // The frontier as a step line: flat to the next frontier point's bits, then up to it.
        std::vector<double> fx, fy;
        for (std::size_t k = 0; k < r->frontier.size(); ++k) {
            const qlab::ParetoPoint& q = r->points[r->frontier[k]];
            if (k > 0) fx.push_back(q.bits_per_weight), fy.push_back(fy.back());
            fx.push_back(q.bits_per_weight), fy.push_back(q.accuracy);
        }
        if (!fx.empty()) fx.push_back(x1), fy.push_back(fy.back());
        widgets::plot_line(p, fx, fy, IM_COL32(20, 20, 30, 200), ui.px(2));
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        float best = ui.px(9) * ui.px(9);
        for (std::size_t i = 0; i < r->points.size(); ++i) {
            const bool below = r->points[i].accuracy < y0;
            const ImVec2 c =
                p.to_screen(r->points[i].bits_per_weight, std::max(y0, r->points[i].accuracy));
            const bool on =
                std::find(r->frontier.begin(), r->frontier.end(), i) != r->frontier.end();
            const ImU32 col = family_color(r->points[i].family);
            if (below)  // off the axis: a triangle pointing down on the bottom edge
                p.dl->AddTriangleFilled(ImVec2(c.x - ui.px(5), c.y - ui.px(8)),
                                        ImVec2(c.x + ui.px(5), c.y - ui.px(8)), c, col);
            else if (on)
                p.dl->AddCircleFilled(c, ui.px(5), col, 12);
            else
                p.dl->AddCircle(c, ui.px(4.5f), col, 12, ui.px(1.5f));
            const float dx = c.x - mouse.x, dy = c.y - mouse.y;
            if (p.hovered && dx * dx + dy * dy < best)
                best = dx * dx + dy * dy, hovered = static_cast<int>(i);
        }
    }
    widgets::end_plot(p);

    return hovered;
}

void pareto_tooltip(const qlab::ParetoResult* r, int hovered) {
    if (r && hovered >= 0) {
        const qlab::ParetoPoint& q = r->points[static_cast<std::size_t>(hovered)];
        const bool on = std::find(r->frontier.begin(), r->frontier.end(),
                                  static_cast<std::size_t>(hovered)) != r->frontier.end();
        ImGui::BeginTooltip();
        ImGui::TextUnformatted(q.spec.c_str());
        ImGui::TextDisabled("%s", q.family.c_str());
        ImGui::Text("%.3f bits per weight, accuracy %.2f%% (float %.2f%%)", q.bits_per_weight,
                    100 * q.accuracy, 100 * r->float_accuracy);
        ImGui::TextUnformatted(on ? "on the frontier: nothing smaller is as accurate"
                                  : "dominated");
        ImGui::EndTooltip();
    } else {
        widgets::tooltip_on_hover(
            "Filled: on the Pareto frontier (no format with fewer or equal bits is at least as "
            "accurate); rings: dominated. Bits count every stored bit: shared exponents and "
            "scales, codebooks, ternary's 8-bit alphas (Kundu Table 2).");
    }
}

// Under the plot: the families present (the frontier's corner stays clear), then the frontier.
void draw_pareto_legend(const qlab::ParetoResult& result, const UiScale& ui) {
    const qlab::ParetoResult* r = &result;
    // The legend under the plot: the frontier's corner (few bits, high accuracy) stays clear.
    bool first = true;
    for (const Family& f : kFamilies) {
        bool present = false;
        for (const qlab::ParetoPoint& q : r->points) present = present || q.family == f.name;
        if (!present) continue;
        if (!first) ImGui::SameLine(0, ui.px(14));
        first = false;
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const float h = ImGui::GetFontSize();
        ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(at.x + h * 0.4f, at.y + h * 0.55f),
                                                    h * 0.3f, f.color, 12);
        ImGui::Dummy(ImVec2(h, h));
        ImGui::SameLine(0, ui.px(2));
        ImGui::TextUnformatted(f.name);
    }
}

void draw_frontier_table(const qlab::ParetoResult& result) {
    const qlab::ParetoResult* r = &result;
    ImGui::Spacing();
    ImGui::TextUnformatted("The frontier");
    const ImGuiTableFlags flags =
        ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    if (widgets::begin_table("##frontier", 4, flags)) {
        for (const char* h : {"bits/weight", "accuracy", "format", "family"})
            ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (std::size_t i : r->frontier) {
            const qlab::ParetoPoint& q = r->points[i];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%.3f", q.bits_per_weight);
            ImGui::TableNextColumn();
            ImGui::Text("%.2f%%", 100 * q.accuracy);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(q.spec.c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(family_color(q.family)), "%s",
                               q.family.c_str());
        }
        widgets::end_table();
    }
    for (const std::string& why : r->skipped) ImGui::TextDisabled("skipped %s", why.c_str());
}

}  // namespace

void draw_pareto(App& app, Frontier& f_, const UiScale& ui, double (&axes)[4], float (&inner)[4]) {
    draw_pareto_status(app, f_, ui);
    const int hovered = draw_pareto_plot(app, f_, ui, axes, inner);
    pareto_tooltip(f_.result(), hovered);
    if (!f_.result()) return;
    draw_pareto_legend(*f_.result(), ui);
    draw_frontier_table(*f_.result());
}

// ---- Kundu Tables 3-4 --------------------------------------------------------------------------

namespace {

nlohmann::json point_json(const qlab::KunduTablePoint& p) {
    return {{"epsilon", p.epsilon},
            {"layer_epsilon", p.layer_epsilon},
            {"layer_steps", p.layer_steps},
            {"accuracy", p.accuracy},
            {"loss", p.loss},
            {"blocks", p.blocks},
            {"comp", p.compute},
            {"power_performance", p.power_performance}};
}

// Ours: per scheme and target loss, the least compute within it.
void draw_tables_ours(const qlab::KunduTablesResult& r, const qlab::KunduTablesOptions& o) {
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (!widgets::begin_table("##kundu_ours", 8, flags)) return;
    for (const char* h : {"tolerances", "target", "accuracy", "loss", "# blocks", "comp",
                          "power-perf.", "eps_k^2 per layer (Fig. 1)"})
        ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    for (const qlab::KunduSchemeRun& run : r.schemes)
        for (std::size_t t = 0; t < run.at_loss.size() && t < o.losses.size(); ++t) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextUnformatted(qlab::tolerance_scheme_name(run.scheme));
            ImGui::TableSetColumnIndex(1);
            ImGui::Text("~%.0f%%", 100 * o.losses[t]);
            ImGui::TableSetColumnIndex(2);
            if (run.at_loss[t] < 0) {
                ImGui::TextDisabled("none within it");
                continue;
            }
            const qlab::KunduTablePoint& p = run.points[static_cast<std::size_t>(run.at_loss[t])];
            ImGui::Text("%.2f%%", 100 * p.accuracy);
            ImGui::TableSetColumnIndex(3);
            ImGui::Text("%.2f%%", 100 * p.loss);
            ImGui::TableSetColumnIndex(4);
            ImGui::Text("%.2fx", p.blocks);
            ImGui::TableSetColumnIndex(5);
            ImGui::Text("%.2fx", p.compute);
            ImGui::TableSetColumnIndex(6);
            ImGui::Text("%.3f", p.power_performance);
            ImGui::TableSetColumnIndex(7);
            std::string eps;
            for (double e : p.layer_epsilon) eps += widgets::format("%.1e ", e * e);
            ImGui::TextUnformatted(eps.c_str());
        }
    widgets::end_table();
}

// Kundu's printed cells, and the abstract's figures from Table 3's N = 64 row with this X.
void draw_tables_paper(double gain_x) {
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (widgets::begin_table("##kundu_paper", 5, flags)) {
        for (const char* h : {"Kundu", "network", "N", "loss", "# blocks, comp"})
            ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const qlab::KunduPaperCell& c : qlab::kundu_paper_tables()) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::Text("Table %d", c.table);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(c.network);
            ImGui::TableSetColumnIndex(2);
            ImGui::Text("%d", c.block);
            ImGui::TableSetColumnIndex(3);
            ImGui::Text("~%.0f%%", 100 * c.loss);
            ImGui::TableSetColumnIndex(4);
            ImGui::Text("%.1fx, %.1fx", c.blocks, c.comp);
        }
        widgets::end_table();
    }
    ImGui::TextUnformatted("The abstract's figures from Table 3 (N = 64)");
    widgets::help_marker(
        "Model size over 8-8: 8 / ((2 + 8/N) x # blocks); multiplications: N / (# blocks or "
        "comp); power-performance X / (C (X/N + 1)) with C = comp (or # blocks). With X = 5.5 "
        "the comp column gives the abstract's ~2x and ~2.3x; the tables have no power column.",
        "Kundu et al. abstract, §3.2.1, §4, Table 3");
    if (!widgets::begin_table("##kundu_abstract", 4, flags)) return;
    for (const char* h : {"", "printed", "from comp", "from # blocks"}) ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    for (const qlab::KunduAbstractFigure& f : qlab::kundu_abstract_derivation(gain_x)) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(f.what.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%.3g", f.printed);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.3g", f.from_comp);
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.3g", f.from_blocks);
    }
    widgets::end_table();
}

}  // namespace

nlohmann::json tables_json(const Tables& t, double gain_x) {
    using nlohmann::json;
    json j = {{"state", t.state()}, {"error", t.error()}, {"current", t.current()}};
    j["in_worker"] = t.in_worker();  // where it runs (or ran): the Web Worker or the frames
    if (t.job_running()) {
        const qlab::JobProgress p = t.job()->progress();
        j["progress"] = {{"done", p.done}, {"total", p.total}, {"stage", p.stage}};
    }
    json abstract = json::array();
    for (const qlab::KunduAbstractFigure& f : qlab::kundu_abstract_derivation(gain_x))
        abstract.push_back({{"what", f.what},
                            {"printed", f.printed},
                            {"from_comp", f.from_comp},
                            {"from_blocks", f.from_blocks}});
    j["abstract"] = abstract;
    j["gain_x"] = gain_x;
    const qlab::KunduTablesResult* r = t.result();
    if (!r) return j;
    const qlab::KunduTablesOptions& o = t.options();
    j["block"] = o.block;
    j["activation_bits"] = o.activation_bits;
    j["float_accuracy"] = r->float_accuracy;
    j["activation_accuracy"] = r->activation_accuracy;
    j["fgq_accuracy"] = r->fgq_accuracy;
    j["sensitivity"] = r->sensitivity;
    j["compute_share"] = r->compute_share;
    j["activation_formats"] = r->activation_formats;
    json schemes = json::array();
    for (const qlab::KunduSchemeRun& run : r->schemes) {
        json at = json::array();
        for (std::size_t i = 0; i < run.at_loss.size() && i < o.losses.size(); ++i)
            at.push_back(
                {{"target_loss", o.losses[i]},
                 {"point",
                  run.at_loss[i] < 0
                      ? json(nullptr)
                      : point_json(run.points[static_cast<std::size_t>(run.at_loss[i])])}});
        schemes.push_back({{"scheme", qlab::tolerance_scheme_name(run.scheme)},
                           {"points", run.points.size()},
                           {"at_loss", at}});
    }
    j["schemes"] = schemes;
    return j;
}

void draw_tables(App& app, Tables& t, const UiScale& ui) {
    const double gain_x = app.state().tx;
    ImGui::TextWrapped(
        "Kundu Tables 3-4 on this model: the least compute within ~1%% and ~2%% of FP32 accuracy, "
        "8-bit activations (his 8-2 networks), per-layer tolerances three ways; his cells below.");
    widgets::help_marker(
        "uniform: one epsilon for every layer; sensitivity: epsilon_k ~ 1/s_k (earlier, more "
        "sensitive layers tighter, §4); compute: epsilon_k ~ sqrt(m_k)/s_k with m_k the layer's "
        "share of the multiply-adds (Fig. 1's compute-aware choice). # blocks and comp: terms "
        "over FGQ's one per block, plain and weighted by each block's multiply-adds. Activation "
        "ranges and sensitivities come from the training split, accuracy from the held-out one "
        "(qlab ternary-tables does the same).",
        "Kundu et al. §4, Fig. 1, Tables 3-4");
    const char* st = t.state();
    if (t.job_running()) {
        const qlab::JobProgress p = t.job()->progress();
        ImGui::ProgressBar(static_cast<float>(p.fraction()), ImVec2(ui.px(320), 0),
                           p.stage.c_str());
    } else if (!t.result()) {
        if (std::string(st) == "failed") {
            ImGui::TextDisabled("stopped: %s", t.error().c_str());
            ImGui::SameLine();
            if (widgets::small_button("run again")) t.retry();
        } else {
            ImGui::TextDisabled(
                "%s", std::string(st) == "untrained"  ? "train the model first (space)"
                      : std::string(st) == "training" ? "training: the tables wait for the weights"
                                                      : "waiting for the model");
        }
    }
    if (const qlab::KunduTablesResult* r = t.result()) {
        ImGui::Text("N = %zu, X = %.3g: FP32 %.2f%%, 8-bit activations %.2f%%, FGQ alone %.2f%%",
                    t.options().block, t.options().gain_x, 100 * r->float_accuracy,
                    100 * r->activation_accuracy, 100 * r->fgq_accuracy);
        draw_tables_ours(*r, t.options());
        record_item(app, ui, "ternary_tables_ours");
    }
    ImGui::Spacing();
    draw_tables_paper(gain_x);
    record_item(app, ui, "ternary_tables_paper");
}

}  // namespace quantlab::ternary
