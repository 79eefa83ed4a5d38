// Precision lesson (Sakr et al. 2017): how many bits does this MLP need? B_A and B_W sliders;
// Theorems 1 and 2 against the simulated fixed-point p_m and error over bits (Fig. 1, log scale),
// E_A, E_W and eq. 12's B_W - B_A, the costs of eq. 3-4 beside Table 1, the test digits whose
// decision flips, and bit-flip injection into the stored weights (a layer x bit sensitivity map).
// Sections: helpers (log plot, legend); the panel and its state; controls; views (Fig. 1, costs,
// flips, bit flips); metrics. The work lives in precision_model.{hpp,cpp}; this file only draws.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../app.hpp"
#include "../ui/digit_atlas.hpp"
#include "../ui/widgets.hpp"
#include "imgui.h"
#include "model_lesson.hpp"
#include "precision_model.hpp"

namespace quantlab {
namespace {

using precision::AnalysisState;
using precision::Row;
using widgets::record_item;
using widgets::recorded_button;
using widgets::section;

// ---- helpers ------------------------------------------------------------------------------------

// Per frame, the curve's bounds are filled for at most this long (a new curve takes a few frames).
constexpr double kFillMs = 2.0;
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

std::string percent(double v, int digits = 2) {
    if (!std::isfinite(v)) return "inf";
    return widgets::format("%.*f%%", digits, 100 * v);
}
std::string prob(double v) {
    if (!std::isfinite(v)) return "inf (a tie)";
    return widgets::format(v >= 1e-3 || v == 0 ? "%.4f" : "%.3g", v);
}

// ---- the panel and its state --------------------------------------------------------------------

class PrecisionPanel : public ModelLesson {
  public:
    const char* key() const override { return "precision"; }
    const char* title() const override { return "Precision"; }
    const char* what_to_try() const override {
        return "Train (space), then move B_A and B_W: the bounds (lines) stay above the simulated "
               "p_m (dots). Set "
               "B_W = B_A + eq. 12's offset. With act=relu, outputs above 2 saturate: try "
               "act=hardsigmoid.";
    }

    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(App& app) override;
    void toggle_run(App& app) override;
    std::vector<PanelJob> jobs() override {
        std::vector<PanelJob> j = training_jobs();
        j.push_back({"precision analysis", m_.analysis_job()});
        j.push_back({"fixed-point simulation", m_.sim_job()});
        j.push_back({"noise simulation", m_.noise_job()});
        j.push_back({"bit-flip map", m_.bitflip_job()});
        return j;
    }

  private:
    void update(App& app) {
        s_.sync_data(app);
        s_.tick(app);
        m_.update(app, s_, kFillMs);
    }
    void draw_controls(App& app, const UiScale& ui);
    void draw_precision_numbers(App& app, const UiScale& ui);
    void draw_bitflip_controls(App& app, const UiScale& ui);
    void draw_views(App& app, const UiScale& ui);
    void draw_fig1(App& app, const UiScale& ui, ImVec2 size);
    void draw_costs(App& app, const UiScale& ui);
    void draw_flips(App& app, const UiScale& ui, float width);
    void draw_bitflip_map(App& app, const UiScale& ui);
    std::string model_line(const qlab::LabState& s) const;

    precision::Lesson m_;
    widgets::DigitAtlas atlas_;
    std::vector<std::size_t> shown_flips_;
    int psamples_draft_ = -1;
};

// Space trains only a model that has none (or pauses / resumes it); 'Train again' starts over.
void PrecisionPanel::toggle_run(App& app) {
    train_unless_trained(
        app,
        [this] {
            return s_.model_from_file() ||
                   (s_.job() && !s_.job()->running() && s_.batches_done() > 0);
        },
        "the model is trained (space trains only a model that has none): press 'Train again' "
        "to start over");
}

std::string PrecisionPanel::model_line(const qlab::LabState& s) const {
    if (!s_.has_data())
        return s_.loading() ? "loading " + s_.loading_name() + "..." : "no data yet";
    char buf[256];
    const qlab::TrainJob* job = s_.job();
    const char* what = s_.model_from_file() ? "loaded from a file"
                       : s_.running()       ? "training"
                       : !job               ? "untrained"
                       : job->running()     ? "paused"
                                            : "trained";
    std::snprintf(buf, sizeof buf, "%s, %s: %lld batches, float test accuracy %s",
                  s_.model_spec(s).c_str(), what, s_.batches_done(),
                  m_.float_error() >= 0 ? percent(1 - m_.float_error()).c_str()
                                        : percent(std::max(0.0, s_.test_accuracy_now())).c_str());
    return buf;
}

// ---- controls -----------------------------------------------------------------------------------

void PrecisionPanel::draw_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    section("Model (shared with the Train lesson)");
    const float bw3 = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
    const bool finished = s_.job() && !s_.job()->running() && s_.batches_done() > 0;
    const char* run_label = s_.running()                       ? "Pause"
                            : finished || s_.model_from_file() ? "Train again"
                                                               : "Train";
    if (recorded_button(app, ui, run_label, "precision_run_button", ImVec2(bw3, 0))) {
        if (!s_.running() && (finished || s_.model_from_file()))
            s_.set_running(app, true);  // starts over
        else
            toggle_run(app);
    }
    widgets::tooltip_on_hover(
        "Space trains the model (MLP of the Train lesson's settings); the analysis runs once "
        "training pauses or ends. A model file dropped on the page is analysed as it is.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Step", "precision_step_button", ImVec2(bw3, 0))) step(app, 1);
    widgets::tooltip_on_hover("S: one mini-batch.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Reset", "precision_reset_button", ImVec2(bw3, 0))) s_.reset(app);
    widgets::tooltip_on_hover("Fresh weights from the seed.");
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", model_line(s).c_str());
    ImGui::PopTextWrapPos();

    // The data set and activation: the keys Sakr's conventions care about.
    const char* const data_sets[] = {"digits", "mnist"};
    {
        widgets::Lock lock(app, "data");
        ImGui::SetNextItemWidth(ui.px(100));
        if (ImGui::BeginCombo("data", s.data.c_str())) {
            for (const char* d : data_sets)
                if (ImGui::Selectable(d, s.data == d)) app.set("data", d);
            ImGui::EndCombo();
        }
    }
    ImGui::SameLine();
    const char* const acts[] = {"hardsigmoid", "relu", "tanh"};
    {
        widgets::Lock lock(app, "act");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::BeginCombo("act", s.act.c_str())) {
            for (const char* a : acts)
                if (ImGui::Selectable(a, s.act == a)) app.set("act", a);
            ImGui::EndCombo();
        }
        record_item(app, ui, "precision_act_combo");
    }
    widgets::help_marker(
        "Sakr's network uses the hard sigmoid (ReLU clipped to [0, 2]), so every hidden output "
        "fits "
        "ufixed:w=B_A,f=B_A-1 on [0, 2). ReLU outputs above 2 saturate in the fixed-point "
        "simulation: that clipping is not the rounding noise the theorems bound.",
        "Sakr et al. §4.1");
    if (s.act == "relu" && s_.has_model()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.75f, 0.35f, 0.05f, 1));
        ImGui::TextWrapped(
            "relu: hidden outputs above 2 saturate in fixed point, so the simulated p_m can exceed "
            "the bounds at many bits. act=hardsigmoid fits Sakr's conventions.");
        ImGui::PopStyleColor();
    }

    section("Precision");
    int ba = static_cast<int>(s.ba), bw = static_cast<int>(s.bw);
    const float label_w = ui.px(34);
    {
        widgets::Lock lock(app, "ba");
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("B_A");
        ImGui::SameLine(label_w);
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderInt("##ba", &ba, 1, 24, "%d bits (activations)"))
            app.set("ba", std::to_string(ba));
        record_item(app, ui, "precision_ba_slider");
        widgets::tooltip_on_hover(
            "Delta_A = 2^-(B_A-1): inputs fixed:w=B_A,f=B_A-1 on [-1, 1), hidden outputs "
            "ufixed:w=B_A,f=B_A-1 on [0, 2).",
            "Sakr et al. eq. 1");
    }
    {
        widgets::Lock lock(app, "bw");
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("B_W");
        ImGui::SameLine(label_w);
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderInt("##bw", &bw, 1, 24, "%d bits (weights)"))
            app.set("bw", std::to_string(bw));
        record_item(app, ui, "precision_bw_slider");
        widgets::tooltip_on_hover("Delta_W = 2^-(B_W-1): weights fixed:w=B_W,f=B_W-1 on [-1, 1).",
                                  "Sakr et al. eq. 1");
    }
    const qlab::SakrAnalysis* a = m_.analysis();
    if (a) {
        const int off = a->suggested_bw_minus_ba();
        char label[64];
        std::snprintf(label, sizeof label, "B_W = B_A %s %d (eq. 12)", off < 0 ? "-" : "+",
                      std::abs(off));
        widgets::Lock lock(app, "bw");
        if (recorded_button(app, ui, label, "precision_offset_button")) {
            const int target = std::clamp(static_cast<int>(s.ba) + off, 1, 24);
            app.set("bw", std::to_string(target));
        }
        widgets::tooltip_on_hover(
            "Equalise the two noise terms of Theorem 1: B_W - B_A = round(log2 sqrt(E_W / E_A)).",
            "Sakr et al. eq. 12");
    } else {
        ImGui::BeginDisabled();
        ImGui::Button("B_W = B_A + ? (eq. 12: after the analysis)");
        ImGui::EndDisabled();
    }

    section("Analysis of this model");
    switch (m_.state()) {
        case AnalysisState::no_data:
            ImGui::TextDisabled("waiting for the data set");
            break;
        case AnalysisState::untrained:
            ImGui::TextWrapped(
                "Train the model (Train or space), or drop a model file on the page: the analysis "
                "starts when it has trained weights.");
            break;
        case AnalysisState::training:
            ImGui::TextDisabled("training: the analysis follows when it pauses or ends");
            break;
        case AnalysisState::running:
            ImGui::ProgressBar(static_cast<float>(m_.analysis_fraction()), ImVec2(-1, 0),
                               "E_A, E_W: gradients");
            break;
        case AnalysisState::failed:
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.75f, 0.1f, 0.1f, 1));
            ImGui::TextWrapped("analysis failed: %s", m_.failure().c_str());
            ImGui::PopStyleColor();
            break;
        case AnalysisState::cancelled:
            if (recorded_button(app, ui, "Restart the analysis", "precision_restart_button"))
                m_.restart_analysis();
            break;
        case AnalysisState::finished:
            break;
    }
    if (a) {
        ImGui::Text("E_A = %.4g   E_W = %.4g", a->e_a(), a->e_w());
        widgets::help_marker(
            "E_A = mean over samples of sum_i g_A(i) / (24 d_i^2), g_A(i) the sum of squared "
            "derivatives of z_i - z_y^ over every activation (the inputs of every dense layer); "
            "E_W "
            "likewise over the weights.",
            "Sakr et al. eq. 11");
        ImGui::Text("eq. 12: B_W - B_A = %d", a->suggested_bw_minus_ba());
        widgets::help_marker(
            "round(log2 sqrt(E_W / E_A)): the offset that makes both noise terms of Theorem 1 "
            "equal.",
            "Sakr et al. eq. 12");
        ImGui::SameLine();
        ImGui::TextDisabled("(%zu samples)", a->samples());
        if (a->ties()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.75f, 0.35f, 0.05f, 1));
            ImGui::TextWrapped("%s", a->tie_message().c_str());
            ImGui::PopStyleColor();
        }
    }
    if (psamples_draft_ < 0) psamples_draft_ = static_cast<int>(s.psamples);
    {
        widgets::Lock lock(app, "psamples");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::InputInt("samples", &psamples_draft_, 100, 1000,
                            ImGuiInputTextFlags_EnterReturnsTrue)) {
            if (!app.set("psamples", std::to_string(psamples_draft_)).ok())
                psamples_draft_ = static_cast<int>(s.psamples);
        }
        if (!ImGui::IsItemActive() && psamples_draft_ != static_cast<int>(s.psamples) &&
            !ImGui::IsItemDeactivated())
            psamples_draft_ = static_cast<int>(s.psamples);
    }
    widgets::help_marker(
        "The estimation set: this many random test rows (Sakr: 1000). Enter applies.",
        "Sakr et al. §4.1");

    draw_precision_numbers(app, ui);
    draw_bitflip_controls(app, ui);
}

void PrecisionPanel::draw_precision_numbers(App& app, const UiScale& /*ui*/) {
    const qlab::LabState& s = app.state();
    char title[64];
    std::snprintf(title, sizeof title, "At B_A = %d, B_W = %d", static_cast<int>(s.ba),
                  static_cast<int>(s.bw));
    section(title);
    const Row r = m_.current();
    const auto line = [](const char* name, const std::string& value, const char* help,
                         const char* cite) {
        ImGui::TextUnformatted(name);
        ImGui::SameLine(ImGui::GetFontSize() * 9);
        ImGui::TextUnformatted(value.c_str());
        if (help) widgets::help_marker(help, cite);
    };
    const std::string pending = "...";
    line("Theorem 1", r.has_bounds ? prob(r.bounds.thm1) : pending,
         "p_m <= Delta_A^2 E_A + Delta_W^2 E_W: the second-moment (Chebyshev-style) bound on the "
         "probability that "
         "the decision differs from float.",
         "Sakr et al. Theorem 1, eq. 8 / 11");
    line("Theorem 2", r.has_bounds ? prob(r.bounds.thm2) : pending,
         "The Chernoff bound of eq. 13 with Sakr's t = 3v / sum D_h^2.",
         "Sakr et al. Theorem 2, eq. 13");
    line("Theorem 2, t opt.", r.has_bounds ? prob(r.bounds.thm2_opt) : pending,
         "The same Chernoff bound (eq. 14) with t minimising it per (sample, class): never above "
         "Theorem 2.",
         "Sakr et al. eq. 14");
    line("p_m (noise, lin.)", r.noise ? prob(r.noise->p_m_noise_linear) : pending,
         "Monte Carlo p_m with the theorems' own uniform noise through the linearised network (eq. "
         "7): the "
         "quantity both theorems bound.",
         "Sakr et al. eq. 2, 6, 7");
    line("p_m (fixed point)", r.fixed ? prob(r.fixed->p_m) : pending,
         "The fixed-point network's decisions against the float ones on the test set.",
         "Sakr et al. Fig. 1 (FX Sim)");
    line("error (fixed point)", r.fixed ? percent(r.fixed->error) : pending,
         "Test error of the fixed-point network.", nullptr);
    line("error (float)", m_.float_error() >= 0 ? percent(m_.float_error()) : pending, nullptr,
         nullptr);
}

void PrecisionPanel::draw_bitflip_controls(App& app, const UiScale& ui) {
    section("Bit flips in stored values");
    if (ImGui::RadioButton("weights", !m_.bitflip.activations)) m_.bitflip.activations = false;
    record_item(app, ui, "precision_bitflip_weights");
    ImGui::SameLine();
    if (ImGui::RadioButton("activations", m_.bitflip.activations)) m_.bitflip.activations = true;
    record_item(app, ui, "precision_bitflip_activations");
    widgets::tooltip_on_hover(
        "The values entering each layer as the fixed-point network stores them: the inputs in "
        "fixed:w=B_A,f=B_A-1 (two's complement), hidden outputs in ufixed:w=B_A,f=B_A-1 (their top "
        "bit is worth 1 of [0, 2)).");

    float log_rate = static_cast<float>(std::log10(m_.bitflip.rate));
    ImGui::SetNextItemWidth(ui.px(150));
    char fmt[32];
    std::snprintf(fmt, sizeof fmt, "rate %.3g", m_.bitflip.rate);
    if (ImGui::SliderFloat("##rate", &log_rate, -4, 0, fmt))
        m_.bitflip.rate = std::pow(10.0, std::round(log_rate * 4.0) / 4.0);  // quarter decades
    record_item(app, ui, "precision_bitflip_rate");
    widgets::tooltip_on_hover(
        "Probability that bit k of a stored value flips (a soft error). Not in the link.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Sensitivity map", "precision_bitflip_button"))
        m_.start_bitflip_map(app, s_);
    widgets::tooltip_on_hover(
        "For every layer and bit k of B_W: flip bit k of that layer's weights (two's complement "
        "of fixed:w=B_W,f=B_W-1) at the rate (or bit k of B_A of the activations entering it), "
        "and measure the fixed-point test accuracy at (B_A, B_W). Seeded: the same map every "
        "time.");
}

// ---- views --------------------------------------------------------------------------------------

void PrecisionPanel::draw_fig1(App& app, const UiScale& ui, ImVec2 size) {
    const qlab::LabState& s = app.state();
    const int offset = static_cast<int>(s.bw) - static_cast<int>(s.ba);
    const double x1 = std::max<double>(precision::kCurveMax, s.ba);
    char xl[64];
    std::snprintf(xl, sizeof xl, "B_A (bits), B_W = B_A %s %d", offset < 0 ? "-" : "+",
                  std::abs(offset));
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    widgets::Plot p = begin_log_plot("##fig1", size, precision::kCurveMin, x1, xl, "p_m", ui);
    app.record_view("precision_fig1", origin.x, origin.y, size.x, size.y, ui.dpr);
    std::vector<double> xs, t1, t2, t2o;
    struct Dot {
        double x, y;
    };
    std::vector<Dot> sim, err, noise;
    for (const auto& [ba, bw] : m_.curve()) {
        const Row r = m_.row(ba, bw);
        if (r.has_bounds) {
            xs.push_back(ba);
            t1.push_back(plot_log(r.bounds.thm1));
            t2.push_back(plot_log(r.bounds.thm2));
            t2o.push_back(plot_log(r.bounds.thm2_opt));
        }
        if (r.fixed)
            sim.push_back({double(ba), plot_log(r.fixed->p_m)}),
                err.push_back({double(ba), plot_log(r.fixed->error)});
        if (r.noise) noise.push_back({double(ba), plot_log(r.noise->p_m_noise_linear)});
    }
    // The current B_A.
    const ImVec2 c0 = p.to_screen(s.ba, kDecadeLo), c1 = p.to_screen(s.ba, kDecadeHi);
    p.dl->AddRectFilled(ImVec2(c0.x - ui.px(6), c1.y), ImVec2(c0.x + ui.px(6), c0.y),
                        IM_COL32(235, 120, 20, 40));
    if (m_.float_error() > 0)
        widgets::plot_hline(p, std::log10(m_.float_error()), IM_COL32(128, 128, 140, 200), ui.px(1),
                            nullptr);
    widgets::plot_line(p, xs, t2, kThm2Color, ui.px(1.5f));
    widgets::plot_line(p, xs, t2o, kThm2OptColor, ui.px(2.5f));
    widgets::plot_line(p, xs, t1, kThm1Color, ui.px(2.5f));
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
    dots(err, kErrColor, ui.px(3.5f), true);
    dots(noise, kNoiseColor, ui.px(3), false);
    dots(sim, sim_color(), ui.px(4), false);
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
    if (p.hovered) {
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
}

void PrecisionPanel::draw_costs(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::TextUnformatted("Costs (10^6 full adders, eq. 3; 10^6 bits, eq. 4) beside Table 1");
    widgets::help_marker(
        "T1: Sakr's Table 1 as printed (MNIST, 784-512-512-512-10). eq.3 / eq.4: the same net's "
        "costs computed here. eq. 3: a D-term dot product costs D B_A B_W + (D-1)(B_A + B_W + "
        "ceil(log2 D) - 1) full adders, summed over every neuron with the bias as one more term "
        "(D = fan-in + 1: only then do Table 1's numbers come out). eq. 4: |A| B_A + |W| B_W "
        "bits. ours: the model on the left. M = 10^6.",
        "Sakr et al. eq. 3, 4; Table 1");
    static const std::vector<int> kSakrNet = {784, 512, 512, 512, 10};
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (ImGui::BeginTable("##costs", 9, flags)) {
        // Sakr's printed Table 1; eq. 3 / 4 computed here for his 784-512-512-512-10; this model.
        const char* const heads[] = {"",       "B_A,B_W",  "T1 err%", "T1 FA",   "T1 bits",
                                     "eq3 FA", "eq4 bits", "our FA",  "our bits"};
        for (const char* h : heads) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        const auto row = [&](const char* name, int ba, int bw, const precision::Table1Row* t) {
            ImGui::TableNextRow();
            const qlab::SakrCost his = qlab::sakr_cost(kSakrNet, ba, bw);
            ImGui::TableSetColumnIndex(0);
            ImGui::TextUnformatted(name);
            ImGui::TableSetColumnIndex(1);
            ImGui::Text("(%d, %d)", ba, bw);
            ImGui::TableSetColumnIndex(2);
            if (t)
                ImGui::Text("%.2f", t->error_pct);
            else
                ImGui::TextDisabled("-");
            ImGui::TableSetColumnIndex(3);
            if (t)
                ImGui::Text("%.1f", t->fa_millions);
            else
                ImGui::TextDisabled("-");
            ImGui::TableSetColumnIndex(4);
            if (t)
                ImGui::Text("%.3g", t->bits_millions);
            else
                ImGui::TextDisabled("-");
            ImGui::TableSetColumnIndex(5);
            ImGui::Text("%.2f", his.fa / 1e6);
            ImGui::TableSetColumnIndex(6);
            ImGui::Text("%.3f", his.bits / 1e6);
            ImGui::TableSetColumnIndex(7);
            if (s_.has_model()) {
                const qlab::SakrCost c = qlab::sakr_cost(s_.model(), ba, bw);
                ImGui::Text("%.4g", c.fa / 1e6);
                ImGui::TableSetColumnIndex(8);
                ImGui::Text("%.4g", c.bits / 1e6);
            }
        };
        row("now", static_cast<int>(s.ba), static_cast<int>(s.bw), nullptr);
        for (const auto& t : precision::kTable1) row(t.option, t.ba, t.bw, &t);
        ImGui::EndTable();
    }
    record_item(app, ui, "precision_cost_table");
    const float table_w = ImGui::GetItemRectSize().x;
    // Sakr's four design options, found on this model's own bounds.
    if (const qlab::SakrAnalysis* a = m_.analysis()) {
        const int off = a->suggested_bw_minus_ba();
        const auto opt = [&](int offset, bool thm2) {
            const int b = m_.smallest_ba(offset, thm2);
            if (b < 0) return std::string("...");
            if (b == 0) return std::string("none <= 16");
            return "(" + std::to_string(b) + ", " + std::to_string(b + offset) + ")";
        };
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + table_w);
        ImGui::TextDisabled(
            "Options A-D on this model (smallest pair with the bound <= 1%%): A (Thm 1, B_W = "
            "B_A) %s, B (Thm 2 opt) %s; C (Thm 1, B_W = B_A + %d) %s, D (Thm 2 opt) %s.",
            opt(0, false).c_str(), opt(0, true).c_str(), off, opt(off, false).c_str(),
            opt(off, true).c_str());
        ImGui::PopTextWrapPos();
    }
}

void PrecisionPanel::draw_flips(App& app, const UiScale& ui, float width) {
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
        "Sakr et al. §2 (p_m)");
    const int side = s_.image_side();
    const qlab::Dataset& raw = s_.raw_test();
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
    atlas_.update(raw, shown_flips_, side, cols, s_.pixel_max());
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

void PrecisionPanel::draw_bitflip_map(App& app, const UiScale& ui) {
    const qlab::BitFlipJob* job = m_.bitflip_job();
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
    const double base = job->baseline();
    if (std::isfinite(base))
        ImGui::TextDisabled("accuracy without flips: %s", percent(base).c_str());
    std::vector<std::string> rows, cols, text;
    std::vector<double> values;
    for (int l = 0; l < job->layers(); ++l)
        rows.push_back((o.activations ? "into layer " : "layer ") + std::to_string(l + 1));
    for (int k = 0; k < job->bits(); ++k)
        cols.push_back(k == job->bits() - 1 ? (o.activations ? "MSB" : "sign")
                       : k == 0             ? "LSB"
                                            : std::to_string(k));
    for (std::size_t c = 0; c < job->accuracy().size(); ++c) {
        const double acc = job->accuracy()[c];
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
    const float cell =
        std::clamp(avail / static_cast<float>(std::max(1, job->bits())), ui.px(30), ui.px(48));
    widgets::heatmap_table("##bitflip", rows, cols, values, text, -1, -1, cell, ui, nullptr,
                           nullptr);
    record_item(app, ui, "precision_bitflip_map");
}

void PrecisionPanel::draw_views(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float plot_h =
        std::clamp(ImGui::GetContentRegionAvail().y * 0.5f, ui.px(240), ui.px(340));
    draw_fig1(app, ui, ImVec2(avail, plot_h));
    const bool side_by_side = avail > ui.px(820);
    ImGui::BeginGroup();
    draw_costs(app, ui);
    ImGui::EndGroup();
    const float left_w = ImGui::GetItemRectSize().x;
    if (side_by_side) ImGui::SameLine(0, gap * 3);
    ImGui::BeginGroup();
    draw_flips(app, ui, side_by_side ? avail - left_w - gap * 3 : avail);
    ImGui::EndGroup();
    draw_bitflip_map(app, ui);
}

void PrecisionPanel::draw(App& app, const UiScale& ui) {
    update(app);
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(330), avail * 0.36f);
    widgets::begin_recorded_child(app, ui, "precision_controls", ImVec2(left, 0));
    draw_controls(app, ui);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("precision_views", ImVec2(0, 0), false);
    draw_views(app, ui);
    ImGui::EndChild();
}

// ---- metrics ------------------------------------------------------------------------------------

nlohmann::json PrecisionPanel::metrics(App& app) {
    using nlohmann::json;
    update(app);
    const qlab::LabState& s = app.state();
    json j;
    j["data"] = s_.uploaded() ? "uploaded:" + s_.uploaded_name() : s.data;
    j["model"] = s_.has_data() ? s_.model_spec(s) : "";
    j["model_from_file"] = s_.model_from_file();
    j["batches"] = s_.batches_done();
    j["training"] = s_.running();
    j["ba"] = static_cast<int>(s.ba);
    j["bw"] = static_cast<int>(s.bw);
    j["psamples"] = static_cast<int>(s.psamples);
    j["analysis"] = {{"state", precision::state_name(m_.state())},
                     {"progress", m_.analysis_fraction()}};
    const qlab::SakrAnalysis* a = m_.analysis();
    j["e_a"] = a ? finite_or_null(a->e_a()) : json(nullptr);
    j["e_w"] = a ? finite_or_null(a->e_w()) : json(nullptr);
    j["suggested_offset"] = a ? json(a->suggested_bw_minus_ba()) : json(nullptr);
    j["samples"] = a ? json(a->samples()) : json(nullptr);
    j["ties"] = a ? json(a->ties()) : json(nullptr);
    const auto row_json = [](const Row& r) {
        json o = {{"ba", r.ba}, {"bw", r.bw}};
        o["thm1"] = r.has_bounds ? finite_or_null(r.bounds.thm1) : json(nullptr);
        o["thm2"] = r.has_bounds ? finite_or_null(r.bounds.thm2) : json(nullptr);
        o["thm2_opt"] = r.has_bounds ? finite_or_null(r.bounds.thm2_opt) : json(nullptr);
        o["p_m_sim"] = r.fixed ? json(r.fixed->p_m) : json(nullptr);
        o["error_sim"] = r.fixed ? json(r.fixed->error) : json(nullptr);
        o["p_m_noise_linear"] = r.noise ? json(r.noise->p_m_noise_linear) : json(nullptr);
        o["p_m_noise_exact"] = r.noise ? json(r.noise->p_m_noise_exact) : json(nullptr);
        return o;
    };
    const Row cur = m_.current();
    const json cur_json = row_json(cur);
    for (auto it = cur_json.begin(); it != cur_json.end(); ++it) j[it.key()] = it.value();
    j["float_error"] = m_.float_error() >= 0 ? json(m_.float_error()) : json(nullptr);
    j["flips"] = cur.fixed ? json(m_.flips().size()) : json(nullptr);
    j["flips_shown"] = shown_flips_.size();
    j["precision_ms"] = m_.last_precision_ms();
    j["noise_trials"] = m_.noise_trials();
    json grid = json::array();
    for (const auto& [ba, bw] : m_.curve()) {
        const Row r = m_.row(ba, bw);
        if (r.has_bounds || r.fixed) grid.push_back(row_json(r));
    }
    j["grid"] = grid;
    j["grid_offset"] = static_cast<int>(s.bw) - static_cast<int>(s.ba);
    if (s_.has_model()) {
        const qlab::SakrCost c =
            qlab::sakr_cost(s_.model(), static_cast<int>(s.ba), static_cast<int>(s.bw));
        j["cost"] = {
            {"fa", c.fa}, {"bits", c.bits}, {"activations", c.activations}, {"weights", c.weights}};
    }
    json t1 = json::array();
    for (const auto& t : precision::kTable1) {
        const qlab::SakrCost c =
            qlab::sakr_cost(std::vector<int>{784, 512, 512, 512, 10}, t.ba, t.bw);
        t1.push_back({{"option", t.option},
                      {"ba", t.ba},
                      {"bw", t.bw},
                      {"paper_fa", t.fa_millions * 1e6},
                      {"paper_bits", t.bits_millions * 1e6},
                      {"fa", c.fa},
                      {"bits", c.bits}});
    }
    j["table1"] = t1;
    if (a) {
        const int off = a->suggested_bw_minus_ba();
        const auto opt = [&](int offset, bool thm2) {
            const int b = m_.smallest_ba(offset, thm2);
            return b > 0 ? json({b, b + offset}) : json(nullptr);
        };
        j["options"] = {{"A", opt(0, false)},
                        {"B", opt(0, true)},
                        {"C", opt(off, false)},
                        {"D", opt(off, true)}};
    }
    json bf = {{"rate", m_.bitflip.rate},
               {"seed", m_.bitflip.seed},
               {"target", m_.bitflip.activations ? "activations" : "weights"}};
    if (const qlab::BitFlipJob* job = m_.bitflip_job()) {
        const qlab::BitFlipOptions& o = m_.bitflip_made_with();
        bf["made_with"] = {{"rate", o.rate},
                           {"ba", o.ba},
                           {"bw", o.bw},
                           {"seed", o.seed},
                           {"target", o.activations ? "activations" : "weights"}};
        bf["state"] = job->state() == qlab::JobState::finished    ? "finished"
                      : job->state() == qlab::JobState::running   ? "running"
                      : job->state() == qlab::JobState::cancelled ? "cancelled"
                                                                  : "failed";
        bf["progress"] = job->progress().fraction();
        bf["stale"] = m_.bitflip_stale();
        bf["baseline"] = finite_or_null(job->baseline());
        json map = json::array(), flipped = json::array();
        for (int l = 0; l < job->layers(); ++l) {
            json r = json::array(), f = json::array();
            for (int k = 0; k < job->bits(); ++k) {
                const std::size_t c = static_cast<std::size_t>(l * job->bits() + k);
                r.push_back(finite_or_null(job->accuracy()[c]));
                f.push_back(job->flipped()[c]);
            }
            map.push_back(r), flipped.push_back(f);
        }
        bf["accuracy"] = map;  // [layer][bit], bit 0 = LSB
        bf["flipped"] = flipped;
    }
    j["bitflip"] = bf;
    return j;
}

}  // namespace

QLAB_REGISTER_PANEL(PrecisionPanel)

}  // namespace quantlab
