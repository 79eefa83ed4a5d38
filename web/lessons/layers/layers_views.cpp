// The Layers lesson's plots and lattice designer (see layers_views.hpp).
#include "layers_views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/level_histogram.hpp"
#include "ui/widgets.hpp"

namespace quantlab::layers {

using widgets::record_item;

std::string db(double v) {
    if (!std::isfinite(v)) return v > 0 ? "inf" : "-inf";
    return widgets::format("%.1f dB", v);
}

void draw_sweep_plot(App& app, Analysis& a_, const UiScale& ui, ImVec2 size) {
    const layers::SweepAnalysis* sw = a_.sweep();
    double top = 40;
    if (sw)
        for (const auto& r : sw->result().rows) {
            for (double v : r.step_db)
                if (std::isfinite(v)) top = std::max(top, v);
            if (std::isfinite(r.measured_output_db)) top = std::max(top, r.measured_output_db);
        }
    widgets::Plot p = widgets::begin_plot("##sweep", size, kSweepMinBits, kSweepMaxBits, 0,
                                          std::ceil(top / 10 + 0.5) * 10, "bits (every step)",
                                          "SQNR dB", ui, true);
    record_item(app, ui, "layers_sweep_plot");
    const int lbits = static_cast<int>(app.state().lbits);
    if (lbits <= kSweepMaxBits)
        p.dl->AddLine(p.to_screen(lbits, p.y0), p.to_screen(lbits, p.y1),
                      IM_COL32(120, 120, 130, 160), ui.px(1));
    if (sw && !sw->result().rows.empty()) {
        const auto& res = sw->result();
        std::vector<double> xs;
        for (const auto& r : res.rows) xs.push_back(r.bits);
        for (std::size_t i = 0; i < res.steps.size(); ++i) {
            std::vector<double> ys;
            for (const auto& r : res.rows) ys.push_back(i < r.step_db.size() ? r.step_db[i] : NAN);
            const bool weights = res.steps[i].role == qlab::StepRole::weights;
            const int shade = static_cast<int>(std::min<std::size_t>(i / 2, 3)) * 35;
            const ImU32 c = weights ? IM_COL32(60 + shade, 110 + shade / 2, 210, 200)
                                    : IM_COL32(225, 130 + shade / 2, 50 + shade, 200);
            widgets::plot_line(p, xs, ys, c, ui.px(1.5f));
        }
        std::vector<double> meas, pred;
        for (const auto& r : res.rows)
            meas.push_back(r.measured_output_db), pred.push_back(r.predicted_output_db);
        widgets::plot_line(p, xs, pred, kPredicted, ui.px(2.5f));
        // The measured output in the text colour: black on light, white on dark.
        widgets::plot_line(p, xs, meas, ImGui::GetColorU32(ImGuiCol_Text), ui.px(2.5f));
        widgets::plot_legend(p, 1, ImGui::GetColorU32(ImGuiCol_Text), "output, measured");
        widgets::plot_legend(p, 2, kPredicted, "output, eq. 9");
        widgets::plot_legend(p, 3, IM_COL32(60, 110, 210, 200), "W steps");
        widgets::plot_legend(p, 4, IM_COL32(225, 130, 50, 200), "a steps");
    } else {
        widgets::plot_legend(p, 1, IM_COL32(120, 120, 130, 255),
                             "sweep starts once training stops");
    }
    widgets::end_plot(p);
    if (ImGui::IsItemHovered())
        widgets::tooltip_on_hover(
            "Every step at the same width with Lin's formats, 2..12 bits. The slope of a "
            "step's line is its kappa (dB per bit); the output lines compare eq. 9 with the "
            "measured output SQNR (eq. 9 over the steps quantized here: W1, a1, ..., W_L; the "
            "input and the scores are not quantized, so their terms are left out). The grey line "
            "marks lbits.",
            "Lin et al. eq. 2, eq. 9");
}

void draw_tradeoff_plot(App& app, Analysis& a_, const UiScale& ui, ImVec2 size) {
    const layers::TradeoffAnalysis* tj = a_.tradeoff();
    std::vector<double> ex, ey, ox, oy;
    double xmax = 1, ymax = 0.1;
    if (tj) {
        const auto& pts = tj->result().points;
        for (std::size_t i = 0; i < static_cast<std::size_t>(tj->progress().done) && i < pts.size();
             ++i) {
            const double kb = pts[i].model_size_bits / 1000, err = 100 * pts[i].error;
            (pts[i].optimised ? ox : ex).push_back(kb);
            (pts[i].optimised ? oy : ey).push_back(err);
            xmax = std::max(xmax, kb), ymax = std::max(ymax, err);
        }
    }
    // The interesting part lies near the float error; the 2-bit points (near chance) go off the
    // top.
    const double float_err = tj ? 100 * tj->result().float_error : 0;
    const double y_top = std::min({100.0, ymax * 1.1 + 1, std::max(15.0, 4 * float_err + 10)});
    widgets::Plot p = widgets::begin_plot("##tradeoff", size, 0, xmax * 1.05, 0, y_top,
                                          "model size (kbit)", "error %", ui, true);
    record_item(app, ui, "layers_tradeoff_plot");
    if (tj) {
        widgets::plot_hline(p, float_err, IM_COL32(120, 120, 130, 200), ui.px(1), "float");
        widgets::plot_line(p, ex, ey, kEqualColor, ui.px(2));
        widgets::plot_line(p, ox, oy, kMeasured, ui.px(2));
        for (std::size_t i = 0; i < ex.size(); ++i)
            p.dl->AddCircleFilled(p.to_screen(ex[i], ey[i]), ui.px(3), kEqualColor);
        for (std::size_t i = 0; i < ox.size(); ++i)
            p.dl->AddCircleFilled(p.to_screen(ox[i], oy[i]), ui.px(3), kMeasured);
        widgets::plot_legend(p, 1, kEqualColor, "equal widths 2..10");
        char label[80];
        std::snprintf(label, sizeof label, "optimised (%s, kappa %.1f)",
                      qlab::objective_name(a_.objective()), a_.kappa_used());
        widgets::plot_legend(p, 2, kMeasured, label);
    } else {
        widgets::plot_legend(p, 1, kEqualColor, "waits for kappa and a model at rest");
    }
    widgets::end_plot(p);
    if (ImGui::IsItemHovered())
        widgets::tooltip_on_hover(
            "Test error against the bits of all weights (activations at 16 bits): every layer "
            "at the same width, or eq. 16's offsets with the narrowest layer at 2..10 bits. "
            "Lower and further left is better.",
            "Lin et al. Fig. 4, Table 6");
}

namespace {

// One pair as "13,8,8,7,7,5 (21.09 Mbit, 6.94%) against ... : 22.1% smaller".
std::string pair_text(const qlab::LinSaving& v, const std::vector<qlab::LinPoint>& pts,
                      const std::string& a, const std::string& b, double size_scale,
                      const char* unit) {
    return widgets::format("%s (%.4g %s, %.2f%%) against %s (%.4g %s, %.2f%%): %.1f%% smaller",
                           a.c_str(), pts[v.optimised].size * size_scale, unit,
                           pts[v.optimised].error, b.c_str(), pts[v.equal].size * size_scale, unit,
                           pts[v.equal].error, 100 * v.saving);
}

std::string bits_list(const std::vector<int>& bits) {
    std::string s;
    for (std::size_t i = 0; i < bits.size(); ++i) s += (i ? "," : "") + std::to_string(bits[i]);
    return s;
}

}  // namespace

nlohmann::json table6_json(const Analysis& a_) {
    const Table6Beside t = table6_beside(a_.tradeoff());
    const auto& cases = qlab::lin_table6();
    const auto pairs = [](const std::vector<qlab::LinSaving>& v,
                          const std::vector<qlab::LinPoint>& pts) {
        nlohmann::json out = nlohmann::json::array();
        for (const qlab::LinSaving& s : v)
            out.push_back({{"optimised", s.optimised},
                           {"equal", s.equal},
                           {"optimised_size_mbit", pts[s.optimised].size},
                           {"optimised_error", pts[s.optimised].error},
                           {"equal_size_mbit", pts[s.equal].size},
                           {"equal_error", pts[s.equal].error},
                           {"saving", s.saving}});
        return out;
    };
    nlohmann::json ids = nlohmann::json::array();
    for (const qlab::LinSaving& s : t.paper)
        ids.push_back({cases[s.optimised].id, cases[s.equal].id});
    return {{"match_error", t.match},
            {"paper", pairs(t.paper, t.paper_points)},
            {"paper_case_pairs", ids},
            {"measured", t.measured},
            {"ours", t.measured ? pairs(t.ours, t.our_points) : nlohmann::json(nullptr)}};
}

void draw_table6(App& app, const Analysis& a_, const UiScale& ui, float width) {
    const Table6Beside t = table6_beside(a_.tradeoff());
    const auto& cases = qlab::lin_table6();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
    ImGui::TextUnformatted(
        "Lin Table 6 beside ours: optimised against the smallest equal width "
        "within 0.1 points of its error");
    widgets::help_marker(
        "Lin's \"> 20% smaller for the same performance\" (§5.2) holds in Table 6 itself: case 10 "
        "against case 2. His points are a CIFAR-10 network of 3.4 M conv weights at about 7% "
        "error, tens of Mbit: they lie far off this plot (kbit, this model's error), so the "
        "comparison is the saving, not the points. The same pairing runs on the trade-off "
        "above (qlab allocate --tradeoff pairs them the same way).",
        "Lin et al. §5.2, Fig. 4, Table 6");
    for (const qlab::LinSaving& v : t.paper)
        ImGui::TextDisabled(
            "Lin: %s", pair_text(v, t.paper_points, "case " + std::to_string(cases[v.optimised].id),
                                 "case " + std::to_string(cases[v.equal].id), 1, "Mbit")
                           .c_str());
    ImGui::TextDisabled(
        "(his points, tens of Mbit for a CIFAR-10 network, lie far off this plot's kbit axis: "
        "compare the savings, not the points)");
    if (!t.measured) {
        ImGui::TextDisabled("ours: after the trade-off above finishes");
    } else if (t.ours.empty()) {
        ImGui::TextDisabled(
            "ours: no optimised point is smaller than an equal-width one within 0.1 points of its "
            "error. eq. 16's offsets follow the layers' sizes: with layers of similar size they "
            "are small, and there is less to save than in Lin's conv layers.");
    } else {
        const qlab::TradeoffResult& r = a_.tradeoff()->result();
        for (const qlab::LinSaving& v : t.ours)
            ImGui::TextDisabled("ours: %s",
                                pair_text(v, t.our_points, bits_list(r.points[v.optimised].bits),
                                          bits_list(r.points[v.equal].bits), 1000, "kbit")
                                    .c_str());
    }
    ImGui::PopTextWrapPos();
    record_item(app, ui, "layers_table6");
}

namespace {

// The designer's controls: the layer, the scope, where the levels start.
void draw_designer_controls(App& app, const Designer& d_, const std::vector<std::size_t>& weighted,
                            const std::string& current, const UiScale& ui) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("layer");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ui.px(90));
    if (ImGui::BeginCombo("##dlayer", current.c_str())) {
        for (std::size_t i = 0; i < weighted.size(); ++i) {
            const std::string name = "layer " + std::to_string(weighted[i] + 1);
            if (ImGui::Selectable(name.c_str(), static_cast<int>(i) == d_.position))
                app.set_values({{"dlayer", std::to_string(i + 1)},
                                {"dlevels", "kmeans:" + std::to_string(std::clamp(
                                                            static_cast<int>(d_.levels.size()), 2,
                                                            qlab::kMaxDesignerLevels))}});
            record_item(app, ui, "layers_designer_layer" + std::to_string(i + 1));
        }
        ImGui::EndCombo();
    }
    record_item(app, ui, "layers_designer_layer");
    ImGui::SameLine();
    bool all = d_.all_layers;
    if (ImGui::Checkbox("all layers", &all)) app.set("dall", all ? "1" : "0");
    record_item(app, ui, "layers_designer_all");
    widgets::tooltip_on_hover(
        "Every weighted layer on these same levels (they are absolute values: a layer whose "
        "weights are on another scale suffers).");
    ImGui::SameLine();
    ImGui::TextDisabled("k-means:");
    for (int k : {2, 4, 8, 16, 32}) {
        ImGui::SameLine(0, ui.px(3));
        const std::string label = std::to_string(k) + "##km" + std::to_string(k);
        if (widgets::small_button(label.c_str())) app.set("dlevels", "kmeans:" + std::to_string(k));
        record_item(app, ui, "layers_designer_kmeans_" + std::to_string(k));
    }
    widgets::tooltip_on_hover(
        "Levels from 1-D k-means on this layer's weights (the codebook:kmeans format).",
        "Lin et al. §2 (codebooks: Han et al. 2015)");
    ImGui::SameLine();
    ImGui::TextDisabled("Lin uniform:");
    for (int b : {1, 2, 3, 4, 5}) {
        ImGui::SameLine(0, ui.px(3));
        const std::string label = std::to_string(b) + "b##lu" + std::to_string(b);
        if (widgets::small_button(label.c_str()))
            app.set("dlevels", "uniform:" + std::to_string(b));
        record_item(app, ui, "layers_designer_uniform_" + std::to_string(b));
    }
    widgets::tooltip_on_hover(
        "Levels of Lin's fixed-point format for this layer's weights at these bits.",
        "Lin et al. §3.3, Table 1");
}

// The histogram with the levels as handles; an edit goes into the link (dlevels, to 4
// significant digits) and the panel then applies it.
void draw_designer_plot(App& app, Designer& d_, float plot_width, const UiScale& ui) {
    widgets::LevelPlot p;
    p.lo = d_.hist.lo, p.hi = d_.hist.hi;
    p.counts = d_.hist.counts;
    p.levels = d_.levels;
    p.bar_color = kWeightBars;
    p.level_color = IM_COL32(190, 30, 60, 220);
    p.x_label = "weight (drag a level; right-click removes it, double-click adds one)";
    char note[64];
    std::snprintf(note, sizeof note, "%zu levels", d_.levels.size());
    p.note = note;
    ImVec4 r;
    const widgets::LevelEdit e =
        widgets::level_histogram("##designer", ImVec2(plot_width, ui.px(170)), p, true, ui, &r);
    app.record_view("layers_designer_plot", r.x, r.y, r.z - r.x, r.w - r.y,
                    ui.dpr);  // the inner area
    const bool hovered = ImGui::IsItemHovered();
    std::vector<double> edited = d_.levels;
    bool edit = false;
    if (e.released && e.dragged >= 0 && std::isfinite(e.value))
        edited[static_cast<std::size_t>(e.dragged)] = e.value, edit = true;
    if (hovered && e.hovered >= 0 && ImGui::IsMouseClicked(ImGuiMouseButton_Right) &&
        edited.size() > 1)
        edited.erase(edited.begin() + e.hovered), edit = true;
    if (hovered && e.hovered < 0 && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) &&
        r.z > r.x && edited.size() < static_cast<std::size_t>(qlab::kMaxDesignerLevels)) {
        edited.push_back(p.lo + (ImGui::GetIO().MousePos.x - r.x) / (r.z - r.x) * (p.hi - p.lo));
        edit = true;
    }
    if (edit) {
        std::sort(edited.begin(), edited.end());
        d_.edited_here = app.set("dlevels", qlab::designer_levels_text(edited)).ok();
    }
}

// The numbers beside the plot, and fine-tuning on the levels.
void draw_designer_figures(App& app, Designer& d_, const SharedModel& s_,
                           const std::string& current, const UiScale& ui) {
    ImGui::BeginGroup();
    ImGui::Text("%s, %s", current.c_str(),
                d_.all_layers ? "all layers on these levels" : "other layers float");
    ImGui::TextDisabled("%s", d_.source.c_str());
    ImGui::Text("accuracy %.2f%%", 100 * d_.accuracy);
    widgets::tooltip_on_hover(
        "Test accuracy with the weights on exactly these levels (nearest level wins); "
        "activations stay float.");
    ImGui::TextDisabled("float %.2f%% (%zu test rows)", 100 * d_.float_accuracy, d_.rows);
    ImGui::Text("weight SQNR %s", db(d_.weight_sqnr_db).c_str());
    widgets::tooltip_on_hover("10 log10(sum w^2 / sum (w - q(w))^2) over the layer's weights.",
                              "Lin et al. eq. 4");
    ImGui::Text("output SQNR %s", db(d_.output_sqnr_db).c_str());
    ImGui::TextDisabled("%d bits per weight", d_.index_bits);
    // Fine-tuning: QAT of a copy with the designed layer (or every layer) on these levels.
    ImGui::BeginDisabled(d_.finetune_job() && d_.finetune_job()->running());
    const bool tune = widgets::small_button("fine-tune 1 epoch");
    ImGui::EndDisabled();
    record_item(app, ui, "layers_designer_finetune");
    widgets::tooltip_on_hover(
        "One epoch of quantization-aware training of a copy of the model with this layer's weights "
        "(or every layer's, with 'all layers') on these levels, the rest float; the lab's model is "
        "unchanged.",
        "Lin et al. §5.3 (fine-tuning within the formats); clipped straight-through estimator");
    if (tune) {
        const std::string problem = d_.start_finetune(s_.model(), s_.data().split(), app.state());
        if (!problem.empty()) app.report(problem, MessageLevel::warning);
    }
    if (d_.tuned) {  // two short lines: the column is narrow
        ImGui::Text("tuned: %.2f%% (was %.2f%%)", 100 * d_.tuned_accuracy, 100 * d_.tuned_from);
        if (d_.tuned_spec != d_.spec) ImGui::TextDisabled("(on the levels before)");
    }
    ImGui::EndGroup();
}

}  // namespace

void draw_designer(App& app, Designer& d_, const SharedModel& s_, const UiScale& ui, float width) {
    if (!d_.evaluated && d_.levels.empty()) return;
    const std::vector<std::size_t> weighted = qlab::weighted_layers(s_.model());
    const std::string current =
        "layer " + std::to_string(weighted[static_cast<std::size_t>(d_.position)] + 1);
    draw_designer_controls(app, d_, weighted, current, ui);
    // The histogram with the levels as handles, and the numbers beside it.
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float side = std::clamp(width * 0.28f, ui.px(200), ui.px(300));
    draw_designer_plot(app, d_, width - side - gap, ui);
    ImGui::SameLine();
    draw_designer_figures(app, d_, s_, current, ui);
}

}  // namespace quantlab::layers
