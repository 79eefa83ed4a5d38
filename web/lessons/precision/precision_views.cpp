// The Precision lesson's views (see precision_views.hpp) and the log plot and legend Fig. 1 is
// drawn with; the panel, its controls and the layout are in precision_panel.cpp.
#include "precision_views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab::precision {

using widgets::record_item;

// ---- helpers ------------------------------------------------------------------------------------

namespace {

// Fig. 1's y axis: 10^kDecadeLo .. 10^kDecadeHi.
constexpr int kDecadeLo = -5, kDecadeHi = 1;

const ImU32 kThm1Color = IM_COL32(30, 100, 220, 255);
const ImU32 kThm2Color = IM_COL32(235, 120, 20, 150);
const ImU32 kThm2OptColor = IM_COL32(235, 120, 20, 255);
// The fixed-point p_m in the text colour, so it reads on both themes.
ImU32 sim_color() {
    return ImGui::GetColorU32(ImGuiCol_Text);
}
const ImU32 kErrColor = IM_COL32(200, 40, 40, 255);
const ImU32 kNoiseColor = IM_COL32(40, 150, 70, 255);

// "1e-3" style labels for decades; 1 and 10 plainly.
std::string decade_label(int d) {
    if (d == 0) return "1";
    if (d == 1) return "10";
    if (d == -1) return "0.1";
    if (d == -2) return "0.01";
    return "1e" + std::to_string(d);
}

// A plot with a logarithmic y axis (decades) and integer x ticks: the axes of Sakr's Fig. 1.
// Values are passed as log10; draw with widgets::plot_line etc. and close with widgets::end_plot.
widgets::Plot begin_log_plot(const char* id, ImVec2 size, double x0, double x1, const char* x_label,
                             const char* y_label, const UiScale& ui) {
    widgets::Plot plot;
    plot.x0 = x0, plot.x1 = x1, plot.y0 = kDecadeLo, plot.y1 = kDecadeHi;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(id, size);
    plot.hovered = ImGui::IsItemHovered();
    plot.dl = ImGui::GetWindowDrawList();
    plot.p0 = ImVec2(origin.x + ui.px(46), origin.y + ui.px(8));
    plot.p1 = ImVec2(origin.x + size.x - ui.px(8), origin.y + size.y - ui.px(36));
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    plot.dl->AddRectFilled(plot.p0, plot.p1, ImGui::GetColorU32(ImGuiCol_FrameBg));
    for (int d = kDecadeLo; d <= kDecadeHi; ++d) {
        const ImVec2 s = plot.to_screen(x0, d);
        plot.dl->AddLine(ImVec2(plot.p0.x, s.y), ImVec2(plot.p1.x, s.y), widgets::kGridColor);
        for (int m = 2; m <= 9 && d < kDecadeHi; ++m) {  // faint minor lines at 2..9 x 10^d
            const float y = plot.to_screen(x0, d + std::log10(m)).y;
            plot.dl->AddLine(ImVec2(plot.p0.x, y), ImVec2(plot.p0.x + ui.px(4), y),
                             widgets::kGridColor);
        }
        const std::string l = decade_label(d);
        plot.dl->AddText(ImVec2(plot.p0.x - ImGui::CalcTextSize(l.c_str()).x - ui.px(4),
                                s.y - ImGui::GetFontSize() / 2),
                         text, l.c_str());
    }
    const double xs = std::max(1.0, widgets::nice_step(x1 - x0, 8));
    for (double t = std::ceil(x0 / xs) * xs; t <= x1 + 1e-9; t += xs) {
        const ImVec2 s = plot.to_screen(t, kDecadeLo);
        plot.dl->AddLine(ImVec2(s.x, plot.p0.y), ImVec2(s.x, plot.p1.y), widgets::kGridColor);
        char l[16];
        std::snprintf(l, sizeof l, "%d", static_cast<int>(t));
        plot.dl->AddText(ImVec2(s.x - ImGui::CalcTextSize(l).x / 2, plot.p1.y + ui.px(2)), text, l);
    }
    plot.dl->AddText(ImVec2((plot.p0.x + plot.p1.x - ImGui::CalcTextSize(x_label).x) / 2,
                            plot.p1.y + ImGui::GetFontSize() + ui.px(3)),
                     text, x_label);
    plot.dl->PushClipRect(plot.p0, plot.p1, true);
    plot.dl->AddText(ImVec2(plot.p0.x + ui.px(4), plot.p0.y + ui.px(2)), text, y_label);
    return plot;
}

// log10 of a probability for the plot: 0 (nothing measured) sits just below the axis floor.
double plot_log(double p) {
    if (!std::isfinite(p)) return kDecadeHi + 1.0;
    return p > 0 ? std::log10(p) : kDecadeLo - 0.02;
}

// A legend block in the top-right corner, where Fig. 1 has nothing: the bounds start high on the
// left and fall to the right, the simulated p_m and error stay below the float error.
struct LegendEntry {
    ImU32 color;
    bool marker;
    const char* text;
};
void draw_legend(const widgets::Plot& p, const std::vector<LegendEntry>& entries,
                 const UiScale& ui) {
    const float line = ImGui::GetFontSize() * 1.2f;
    float text_w = 0;
    for (const LegendEntry& e : entries) text_w = std::max(text_w, ImGui::CalcTextSize(e.text).x);
    const float w = line * 1.4f + text_w, h = line * static_cast<float>(entries.size()) + ui.px(6);
    const ImVec2 box0(p.p1.x - w - ui.px(8), p.p0.y + ui.px(4));
    p.dl->AddRectFilled(box0, ImVec2(box0.x + w + ui.px(4), box0.y + h),
                        ImGui::GetColorU32(ImGuiCol_WindowBg, 0.85f), ui.px(3));
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const LegendEntry& e = entries[i];
        const ImVec2 at(box0.x + ui.px(4), box0.y + ui.px(3) + line * static_cast<float>(i));
        if (e.marker)
            p.dl->AddCircleFilled(ImVec2(at.x + line * 0.4f, at.y + line * 0.45f), line * 0.2f,
                                  e.color);
        else
            p.dl->AddRectFilled(ImVec2(at.x, at.y + line * 0.38f),
                                ImVec2(at.x + line * 0.8f, at.y + line * 0.52f), e.color);
        p.dl->AddText(ImVec2(at.x + line, at.y), ImGui::GetColorU32(ImGuiCol_Text), e.text);
    }
}

}  // namespace

std::string percent(double v, int digits) {
    if (!std::isfinite(v)) return "inf";
    return widgets::format("%.*f%%", digits, 100 * v);
}
std::string prob(double v) {
    if (!std::isfinite(v)) return "inf (a tie)";
    return widgets::format(v >= 1e-3 || v == 0 ? "%.4f" : "%.3g", v);
}

// ---- views --------------------------------------------------------------------------------------

namespace {

struct Dot {
    double x, y;
};
// Fig. 1's curves over B_A at the current offset: the bounds where computed, the dots where
// simulated (log10 of each, as the plot draws them).
struct Fig1Series {
    std::vector<double> xs, t1, t2, t2o;
    std::vector<Dot> sim, err, noise;
};

Fig1Series fig1_series(const Lesson& m_) {
    Fig1Series f;
    for (const auto& [ba, bw] : m_.curve()) {
        const Row r = m_.row(ba, bw);
        if (r.has_bounds) {
            f.xs.push_back(ba);
            f.t1.push_back(plot_log(r.bounds.thm1));
            f.t2.push_back(plot_log(r.bounds.thm2));
            f.t2o.push_back(plot_log(r.bounds.thm2_opt));
        }
        if (r.fixed)
            f.sim.push_back({double(ba), plot_log(r.fixed->p_m)}),
                f.err.push_back({double(ba), plot_log(r.fixed->error)});
        if (r.noise) f.noise.push_back({double(ba), plot_log(r.noise->p_m_noise_linear)});
    }
    return f;
}

// Hovering a B_A shows its numbers; a click sets that precision (unless B_A is locked).
void fig1_hover(App& app, const Lesson& m_, const widgets::Plot& p, int offset) {
    if (!p.hovered) return;
    const int b = static_cast<int>(std::lround(p.x_at(ImGui::GetIO().MousePos.x)));
    const Row r = m_.row(b, b + offset);
    if (r.has_bounds || r.fixed) {
        ImGui::BeginTooltip();
        ImGui::Text("B_A = %d, B_W = %d", b, b + offset);
        if (r.has_bounds)
            ImGui::Text("Thm 1 %s, Thm 2 %s, Thm 2 opt %s", prob(r.bounds.thm1).c_str(),
                        prob(r.bounds.thm2).c_str(), prob(r.bounds.thm2_opt).c_str());
        if (r.noise)
            ImGui::Text("p_m (noise, linearised) %s", prob(r.noise->p_m_noise_linear).c_str());
        if (r.fixed)
            ImGui::Text("p_m (fixed point) %s, error %s", prob(r.fixed->p_m).c_str(),
                        percent(r.fixed->error).c_str());
        ImGui::TextDisabled("Click: set B_A = %d, B_W = %d", b, b + offset);
        ImGui::EndTooltip();
    }
    if (ImGui::IsItemClicked() && b >= 1 && b <= 24 && b + offset >= 1 && b + offset <= 24 &&
        !app.locked("ba"))
        app.set_values({{"ba", std::to_string(b)}, {"bw", std::to_string(b + offset)}});
}

}  // namespace

void draw_fig1(App& app, const Lesson& m_, const UiScale& ui, ImVec2 size) {
    const qlab::LabState& s = app.state();
    const int offset = static_cast<int>(s.bw) - static_cast<int>(s.ba);
    const double x1 = std::max<double>(precision::kCurveMax, s.ba);
    char xl[64];
    std::snprintf(xl, sizeof xl, "B_A (bits), B_W = B_A %s %d", offset < 0 ? "-" : "+",
                  std::abs(offset));
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    widgets::Plot p = begin_log_plot("##fig1", size, precision::kCurveMin, x1, xl, "p_m", ui);
    app.record_view("precision_fig1", origin.x, origin.y, size.x, size.y, ui.dpr);
    const Fig1Series f = fig1_series(m_);
    // The current B_A.
    const ImVec2 c0 = p.to_screen(s.ba, kDecadeLo), c1 = p.to_screen(s.ba, kDecadeHi);
    p.dl->AddRectFilled(ImVec2(c0.x - ui.px(6), c1.y), ImVec2(c0.x + ui.px(6), c0.y),
                        IM_COL32(235, 120, 20, 40));
    if (m_.float_error() > 0)
        widgets::plot_hline(p, std::log10(m_.float_error()), IM_COL32(128, 128, 140, 200), ui.px(1),
                            nullptr);
    widgets::plot_line(p, f.xs, f.t2, kThm2Color, ui.px(1.5f));
    widgets::plot_line(p, f.xs, f.t2o, kThm2OptColor, ui.px(2.5f));
    widgets::plot_line(p, f.xs, f.t1, kThm1Color, ui.px(2.5f));
    const auto dots = [&](const std::vector<Dot>& d, ImU32 color, float r, bool ring) {
        for (const Dot& v : d) {
            const ImVec2 at = p.to_screen(v.x, std::max<double>(v.y, kDecadeLo + 0.06));
            if (v.y < kDecadeLo)
                p.dl->AddCircle(at, r, color, 12, ui.px(1.5f));  // 0: below the axis
            else if (ring)
                p.dl->AddCircle(at, r, color, 12, ui.px(2));
            else
                p.dl->AddCircleFilled(at, r, color, 12);
        }
    };
    dots(f.err, kErrColor, ui.px(3.5f), true);
    dots(f.noise, kNoiseColor, ui.px(3), false);
    dots(f.sim, sim_color(), ui.px(4), false);
    const Row cur = m_.current();
    if (cur.has_bounds) {
        for (double v : {cur.bounds.thm1, cur.bounds.thm2_opt})
            p.dl->AddCircle(p.to_screen(s.ba, plot_log(v)), ui.px(6), widgets::kAccent2, 12,
                            ui.px(2));
    }
    draw_legend(p,
                {{kThm1Color, false, "Theorem 1"},
                 {kThm2Color, false, "Theorem 2 (eq. 13)"},
                 {kThm2OptColor, false, "Theorem 2, t optimised"},
                 {kNoiseColor, true, "p_m, theorems' noise (linearised)"},
                 {sim_color(), true, "p_m, fixed point (rings at the floor: 0)"},
                 {kErrColor, true, "test error, fixed point (rings)"},
                 {IM_COL32(128, 128, 140, 200), false, "test error, float"}},
                ui);
    widgets::end_plot(p);
    fig1_hover(app, m_, p, offset);
}

namespace {

// Table 1 complete: every printed row beside eq. 3 (both readings of D) and eq. 4 for its own
// architecture, and this model at the row's precision.
void draw_table1(const qlab::LabState& s, const SharedModel& model) {
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (!widgets::begin_table("##costs", 9, flags)) return;
    const char* const heads[] = {"",        "T1 err%",  "T1 FA",  "FA D+1",  "FA D",
                                 "T1 bits", "eq4 bits", "our FA", "our bits"};
    for (const char* h : heads) ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    const auto ours = [&](int ba, int bw) {
        ImGui::TableSetColumnIndex(7);
        if (!model.has_model()) return;
        const qlab::SakrCost c = qlab::sakr_cost(model.model(), ba, bw);
        ImGui::Text("%.4g", c.fa / 1e6);
        ImGui::TableSetColumnIndex(8);
        ImGui::Text("%.4g", c.bits / 1e6);
    };
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::Text("now (%d, %d)", static_cast<int>(s.ba), static_cast<int>(s.bw));
    ours(static_cast<int>(s.ba), static_cast<int>(s.bw));
    for (const qlab::SakrTable1Row& t : qlab::sakr_table1()) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(t.name.c_str());
        widgets::tooltip_on_hover(t.architecture.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%g", t.paper_error);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.4g", t.paper_fa);
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.1f", t.with_bias.fa / 1e6);
        ImGui::TableSetColumnIndex(4);
        ImGui::Text("%.1f", t.without_bias.fa / 1e6);
        ImGui::TableSetColumnIndex(5);
        ImGui::Text("%.3g", t.paper_bits);
        ImGui::TableSetColumnIndex(6);
        ImGui::Text("%.3f", t.with_bias.bits / 1e6);
        ours(t.ba, t.bw);
    }
    widgets::end_table();
}

// Fig. 1's printed E values read both ways, and which one Table 1's options fit.
void draw_readings() {
    const qlab::SakrPrintedE& fig1 = qlab::sakr_printed_e().front();
    ImGui::TextDisabled("Printed E_A = %g, E_W = %g (%s):", fig1.e_a, fig1.e_w, fig1.where);
    widgets::help_marker(
        "Eq. 11 puts the 1/24 inside E_A and E_W. Read so, the printed values give Theorem 1 far "
        "above 1% at (8, 8) and the 1% rule picks more bits than Table 1; read as the sums "
        "without the 1/24, the rule gives Table 1's options A (8, 8) and C (6, 9) exactly. This "
        "lab's E_A and E_W include the 1/24.",
        "Sakr et al. eq. 11; Table 1");
    for (const qlab::SakrReading& x : qlab::sakr_readings(fig1.e_a, fig1.e_w))
        ImGui::TextDisabled("  %s: Thm 1 at (8, 8) = %.2f%%, A (%d, %d), C (%d, %d)",
                            x.name.c_str(), 100 * x.thm1_8_8, x.option_a.first, x.option_a.second,
                            x.option_c.first, x.option_c.second);
}

}  // namespace

void draw_costs(App& app, const Lesson& m_, const SharedModel& s_, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::TextUnformatted("Costs (10^6 full adders, eq. 3; 10^6 bits, eq. 4): Table 1 complete");
    widgets::help_marker(
        "T1: Sakr's Table 1 as printed, SQ (784-1000-1000-10 at 16/16) and BN "
        "(784-2048-2048-2048-10 at 1/1) included. FA D+1 / FA D: eq. 3 for the row's own "
        "architecture, a D-term dot product costing D B_A B_W + (D-1)(B_A + B_W + ceil(log2 D) - "
        "1) full adders, with D = fan-in + 1 (the bias as one more term: the reading that gives "
        "the (8, 8)..(4, 7) rows and SQ's 533) or D = fan-in. BN's printed 117 matches neither. "
        "eq. 4: |A| B_A + |W| B_W bits. ours: the model on the left at the row's precision. "
        "Hover a row's name for its architecture.",
        "Sakr et al. eq. 3, 4; Table 1");
    draw_table1(s, s_);
    record_item(app, ui, "precision_cost_table");
    const float table_w = ImGui::GetItemRectSize().x;
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + table_w);
    draw_readings();
    // Sakr's four design options beside those found on this model's own bounds.
    if (const qlab::SakrAnalysis* a = m_.analysis()) {
        const int off = a->suggested_bw_minus_ba();
        const auto opt = [&](int offset, bool thm2) {
            const int b = m_.smallest_ba(offset, thm2);
            if (b < 0) return std::string("...");
            if (b == 0) return std::string("none <= 16");
            return "(" + std::to_string(b) + ", " + std::to_string(b + offset) + ")";
        };
        ImGui::TextDisabled(
            "Options (smallest pair with the bound <= 1%%), paper | this model: A (Thm 1, B_W = "
            "B_A) (8, 8) | %s, B (Thm 2 opt) (6, 6) | %s; C (Thm 1, eq. 12 offset) (6, 9) | %s, "
            "D (Thm 2 opt) (4, 7) | %s.",
            opt(0, false).c_str(), opt(0, true).c_str(), opt(off, false).c_str(),
            opt(off, true).c_str());
        widgets::tooltip_on_hover(
            "Ours differ from the paper's: E_A and E_W are this model's (another data set, width "
            "and training than Sakr's 784-512-512-512-10 at 1.36% float error), with eq. 11's "
            "1/24 inside, and eq. 12's offset is this model's own.");
    }
    ImGui::PopTextWrapPos();
}

void draw_flips(App& app, const Lesson& m_, const SharedModel& s_, widgets::DigitAtlas& atlas_,
                std::vector<std::size_t>& shown_flips_, const UiScale& ui, float width) {
    const qlab::LabState& s = app.state();
    const std::vector<std::size_t> flips = m_.flips();
    const Row r = m_.current();
    if (!r.fixed) {
        ImGui::TextDisabled("Flipped decisions: simulating...");
        shown_flips_.clear();
        return;
    }
    ImGui::Text("%zu of %zu test rows change decision at (%d, %d)", flips.size(),
                r.fixed->decisions.size(), static_cast<int>(s.ba), static_cast<int>(s.bw));
    widgets::help_marker(
        "Rows whose fixed-point decision differs from the float decision: p_m counts them. Labels: "
        "true class, float -> fixed-point decision (red when the flip made it wrong).",
        "Sakr et al. §2.1 (p_m)");
    const int side = s_.data().image_side();
    const qlab::Dataset& raw = s_.data().raw_test();
    constexpr std::size_t kMax = 12;
    shown_flips_.assign(flips.begin(),
                        flips.begin() + static_cast<long>(std::min(kMax, flips.size())));
    if (shown_flips_.empty()) return;
    const auto& fd = m_.float_decisions();
    if (side <= 0 || raw.size() != fd.size()) {
        std::string list;
        for (std::size_t i : shown_flips_)
            list += "row " + std::to_string(i) + ": " + std::to_string(fd[i]) + " -> " +
                    std::to_string(r.fixed->decisions[i]) + "   ";
        ImGui::TextWrapped("%s", list.c_str());
        return;
    }
    const int cols = 6;
    atlas_.update(raw, shown_flips_, side, cols, s_.data().pixel_max());
    const float gap = ui.px(6), label_h = ImGui::GetFontSize() + ui.px(2);
    const float cell = std::clamp((width - gap * (cols - 1)) / cols, ui.px(28), ui.px(52));
    const int grid_rows = static_cast<int>((shown_flips_.size() + cols - 1) / cols);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 total(cols * cell + (cols - 1) * gap,
                       static_cast<float>(grid_rows) * (cell + label_h + gap));
    ImGui::InvisibleButton("##flips", total);
    app.record_view("precision_flips", p0.x, p0.y, total.x, total.y, ui.dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (std::size_t k = 0; k < shown_flips_.size(); ++k) {
        const std::size_t i = shown_flips_[k];
        const int c = static_cast<int>(k % cols), rr = static_cast<int>(k / cols);
        const ImVec2 a(p0.x + c * (cell + gap), p0.y + rr * (cell + label_h + gap)),
            b(a.x + cell, a.y + cell);
        atlas_.draw(dl, k, a, b);
        const int truth = raw.y[i], fixed = r.fixed->decisions[i];
        const bool worse = fixed != truth;
        dl->AddRect(a, b, worse ? IM_COL32(220, 30, 30, 255) : IM_COL32(40, 150, 70, 255), 0, 0,
                    ui.px(2));
        char label[32];
        std::snprintf(label, sizeof label, "%d: %d>%d", truth, fd[i], fixed);
        dl->AddText(ImVec2(a.x, b.y + ui.px(1)),
                    worse ? IM_COL32(220, 30, 30, 255) : ImGui::GetColorU32(ImGuiCol_Text), label);
    }
}

void draw_bitflip_map(App& app, Lesson& m_, const UiScale& ui) {
    const precision::Lesson::BitFlipAnalysis* job = m_.bitflip_job();
    if (!job || job->state() == qlab::JobState::failed) return;
    const qlab::BitFlipOptions& o = m_.bitflip_made_with();
    ImGui::Text("%s bit flips at rate %.3g, (B_A, B_W) = (%d, %d): test accuracy drop (points)",
                o.activations ? "Activation" : "Weight", o.rate, o.ba, o.bw);
    widgets::help_marker(
        "Each cell: bit k of one layer's stored weights (two's complement, fixed:w=B_W,f=B_W-1; "
        "k = B_W-1 is the sign), or of the activations entering it (B_A bits), flips with the "
        "given probability, everything else as stored; the fixed-point network is evaluated on "
        "the test set. Darker: a larger drop.",
        "bit-flip injection (issue 9)");
    if (m_.bitflip_stale()) {
        ImGui::SameLine();
        ImGui::TextDisabled("(made for other settings: press Sensitivity map)");
    }
    const double base = job->result().baseline;
    if (std::isfinite(base))
        ImGui::TextDisabled("accuracy without flips: %s", percent(base).c_str());
    std::vector<std::string> rows, cols, text;
    std::vector<double> values;
    for (int l = 0; l < job->result().layers; ++l)
        rows.push_back((o.activations ? "into layer " : "layer ") + std::to_string(l + 1));
    for (int k = 0; k < job->result().bits; ++k)
        cols.push_back(k == job->result().bits - 1 ? (o.activations ? "MSB" : "sign")
                       : k == 0                    ? "LSB"
                                                   : std::to_string(k));
    for (std::size_t c = 0; c < job->result().accuracy.size(); ++c) {
        const double acc = job->result().accuracy[c];
        const double drop = std::isfinite(acc) && std::isfinite(base) ? base - acc : NAN;
        values.push_back(std::isfinite(drop) ? std::clamp(drop / std::max(1e-9, base), 0.0, 1.0)
                                             : NAN);
        char t[16];
        if (std::isfinite(drop))
            std::snprintf(t, sizeof t, "%.1f", 100 * drop);
        else
            t[0] = 0;
        text.emplace_back(t);
    }
    const float avail = ImGui::GetContentRegionAvail().x - ui.px(70);
    const float cell = std::clamp(avail / static_cast<float>(std::max(1, job->result().bits)),
                                  ui.px(30), ui.px(48));
    widgets::heatmap_table("##bitflip", rows, cols, values, text, -1, -1, cell, ui, nullptr,
                           nullptr);
    record_item(app, ui, "precision_bitflip_map");
}

}  // namespace quantlab::precision
