// Precision lesson (Sakr et al. 2017): how many bits does this MLP need? B_A and B_W sliders;
// Theorems 1 and 2 against the simulated fixed-point p_m and error over bits (Fig. 1, log scale),
// E_A, E_W and eq. 12's B_W - B_A, the costs of eq. 3-4 beside Table 1, the test digits whose
// decision flips, and bit-flip injection into the stored weights (a layer x bit sensitivity map).
// Sections: the panel and its state; controls (model, B_A and B_W, the analysis, the numbers at
// the current precision, bit flips); layout (where each view goes); metrics. The views (Fig. 1
// with its log plot and legend, the costs beside Table 1, the flipped digits, the bit-flip map) are
// drawn by precision_views.cpp, which also holds percent() and prob(). The work lives in
// precision_lesson.{hpp,cpp}.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "lab/model_assumptions.hpp"
#include "lessons/model_panel.hpp"
#include "precision_lesson.hpp"
#include "precision_views.hpp"
#include "ui/digit_atlas.hpp"
#include "ui/theme.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using precision::AnalysisState;
using precision::percent;
using precision::prob;
using precision::Row;
using widgets::record_item;
using widgets::recorded_button;
using widgets::section;

// ---- the panel and its state --------------------------------------------------------------------

// Per frame, the curve's bounds are filled for at most this long (a new curve takes a few frames).
constexpr double kFillMs = 2.0;

class PrecisionPanel : public ModelPanel {
  public:
    const char* key() const override { return "precision"; }
    const char* title() const override { return "Precision"; }
    const char* what_to_try() const override {
        return "Train (space), then move B_A and B_W: with the hard sigmoid (Sakr's activation) "
               "the bounds (lines) lie above the simulated p_m (dots) until, at high precision, "
               "too few near-ties are left in the estimate. Set "
               "B_W = B_A + eq. 12's offset. act=relu is the counter-example: outputs above 2 "
               "saturate and the simulation crosses the bounds.";
    }

    void update(App& app) override { m_.update(app.state(), app.model(), app, kFillMs); }
    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(const App& app) const override;
    // Space trains only a model that has none (or pauses / resumes it); 'Train again' starts over.
    void toggle_run(App& app) override {
        train_unless_trained(app,
                             "the model is trained (space trains only a model that has none): "
                             "press 'Train again' to start over");
    }
    std::vector<ScheduledJob> jobs() override {
        return {m_.analysis_scheduled("precision analysis"),
                m_.sim_scheduled("fixed-point simulation"), m_.noise_scheduled("noise simulation"),
                m_.bitflip_scheduled("bit-flip map")};
    }

  private:
    void draw_controls(App& app, const UiScale& ui);
    void draw_model(App& app, const UiScale& ui);
    void draw_precision(App& app, const UiScale& ui);
    void draw_analysis(App& app, const UiScale& ui);
    void draw_precision_numbers(App& app, const UiScale& ui);
    void draw_spread();
    void draw_below_note(App& app);
    void draw_bitflip_controls(App& app, const UiScale& ui);
    void draw_views(App& app, const UiScale& ui);
    void draw_network(App& app, const UiScale& ui);
    std::string model_line(const App& app) const;
    nlohmann::json bitflip_metrics() const;

    precision::Lesson m_;
    widgets::DigitAtlas atlas_;
    std::vector<std::size_t> shown_flips_;
    int psamples_draft_ = -1;
};

std::string PrecisionPanel::model_line(const App& app) const {
    const SharedModel& m = app.model();
    if (!m.data().ready())
        return m.data().loading() ? "loading " + m.data().loading_name() + "..." : "no data yet";
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s, %s: %lld batches, float test accuracy %s",
                  m.spec(app.state()).c_str(), m.state_word().c_str(), m.batches_done(),
                  m_.float_error() >= 0 ? percent(1 - m_.float_error()).c_str()
                                        : percent(std::max(0.0, m.test_accuracy())).c_str());
    return buf;
}

// ---- controls -----------------------------------------------------------------------------------

void PrecisionPanel::draw_controls(App& app, const UiScale& ui) {
    draw_model(app, ui);
    draw_precision(app, ui);
    draw_analysis(app, ui);
    draw_precision_numbers(app, ui);
    draw_bitflip_controls(app, ui);
}

// The shared model: train it here, and the two keys Sakr's conventions care about.
void PrecisionPanel::draw_model(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    SharedModel& m = app.model();
    section("Model (shared with the Train lesson)");
    const float bw3 = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
    const bool finished = m.job() && !m.job()->running() && m.batches_done() > 0;
    const char* run_label = m.running() || m.waiting_for_data() ? "Pause"
                            : finished || m.from_file()         ? "Train again"
                                                                : "Train";
    if (recorded_button(app, ui, run_label, "precision_run_button", ImVec2(bw3, 0))) {
        if (!m.running() && (finished || m.from_file()))
            m.set_running(s, true);  // starts over
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
    if (recorded_button(app, ui, "Reset", "precision_reset_button", ImVec2(bw3, 0))) m.reset(s);
    widgets::tooltip_on_hover("Fresh weights from the seed.");
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", model_line(app).c_str());
    ImGui::PopTextWrapPos();
    draw_network(app, ui);
}

// The data set, the network (an MLP or, on images, a CNN: Sakr §4.2) and the activation: the keys
// Sakr's conventions care about.
void PrecisionPanel::draw_network(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    SharedModel& m = app.model();
    // The data set and activation: the keys Sakr's conventions care about. An imported model
    // brings its own activations and input size: the data sets that fit it, and its activations
    // named instead of the act key (choosing one would replace the model with the lab's own).
    static const std::vector<std::string> own_data_sets = {"digits", "mnist"};
    const std::vector<std::string> data_sets =
        m.imported() ? data_sets_for_inputs(m.model().inputs()) : own_data_sets;
    {
        widgets::Lock lock(app, "data");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::BeginCombo("data", s.data.c_str())) {
            for (const std::string& d : data_sets)
                if (ImGui::Selectable(d.c_str(), s.data == d)) app.set("data", d);
            ImGui::EndCombo();
        }
        record_item(app, ui, "precision_data_combo");
    }
    if (m.imported()) {  // on its own line: the left column is narrow
        const std::string acts = hidden_activations_text(m.model());
        ImGui::TextWrapped("hidden activations: %s (the model's own)",
                           acts.empty() ? "none" : acts.c_str());
    } else {
        widgets::same_line_if_fits(ui.px(110) + ImGui::GetStyle().ItemInnerSpacing.x +
                                   ImGui::CalcTextSize("act").x);
        const char* const acts[] = {"hardsigmoid", "relu", "tanh"};
        widgets::Lock lock(app, "act");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::BeginCombo("act", s.act.c_str())) {
            for (const char* a : acts)
                if (ImGui::Selectable(a, s.act == a)) app.set("act", a);
            ImGui::EndCombo();
        }
        record_item(app, ui, "precision_act_combo");
    }
    if (!m.imported()) {
        // Sakr's MLP and an analogue of his CNN (§4.2, Fig. 2; CIFAR-10 is not here): two
        // convolutions with 2x2 max pools, sized to the images (5x5 kernels on 28x28, 3x3 on 8x8).
        const std::string cnn = s.data == "digits" ? "c8k3-p2-32" : "c8k5-p2-c16k5-p2";
        const std::pair<std::string, std::string> nets[] = {
            {"64-64", "MLP 64-64"}, {"128", "MLP 128"}, {cnn, "CNN, two conv + pool"}};
        std::string shown = "hidden " + s.hidden;
        for (const auto& [value, label] : nets)
            if (s.hidden == value) shown = label;
        widgets::Lock lock(app, "hidden");
        ImGui::SetNextItemWidth(ui.px(170));
        if (ImGui::BeginCombo("net", shown.c_str())) {
            for (const auto& [value, label] : nets)
                if (ImGui::Selectable(label.c_str(), s.hidden == value)) app.set("hidden", value);
            ImGui::EndCombo();
        }
        record_item(app, ui, "precision_net_combo");
        widgets::tooltip_on_hover(
            "The shared model's hidden layers (the hidden key; the Train lesson takes any). The "
            "CNN stands in for Sakr's CIFAR-10 network (Sakr §4.2): there E_A = 21033 and E_W = "
            "31641 lie closer together than his MLP's, so eq. 12 keeps B_W = B_A (Fig. 2). "
            "See whether this one agrees under Analysis.");
    }
    widgets::help_marker(
        "Sakr's network uses the hard sigmoid (ReLU clipped to [0, 2]), so every hidden output "
        "fits "
        "ufixed:w=B_A,f=B_A-1 on [0, 2). ReLU outputs above 2 saturate in the fixed-point "
        "simulation: that clipping is not the rounding noise the theorems bound.",
        "Sakr et al. §4.1");
    if (m.imported()) {  // the model's own activations, not the act key, decide
        ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().warning);
        for (const std::string& w : sakr_assumption_problems(m))
            ImGui::TextWrapped("%s", w.c_str());
        ImGui::PopStyleColor();
    } else if (s.act == "relu" && m.has_model()) {
        ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().warning);
        ImGui::TextWrapped(
            "relu: hidden outputs above 2 saturate in fixed point, so the simulated p_m can exceed "
            "the bounds at many bits. act=hardsigmoid fits Sakr's conventions.");
        ImGui::PopStyleColor();
    }
}

void PrecisionPanel::draw_precision(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
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
            "Sakr et al. §2.2, §2.4");
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
                                  "Sakr et al. §2.2, §2.4");
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
}

void PrecisionPanel::draw_analysis(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const qlab::SakrAnalysis* a = m_.analysis();
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
            ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().error);
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
        draw_spread();
        ImGui::Text("eq. 12: B_W - B_A = %d", a->suggested_bw_minus_ba());
        widgets::help_marker(
            "round(log2 sqrt(E_W / E_A)): the offset that makes both noise terms of Theorem 1 "
            "equal.",
            "Sakr et al. eq. 12");
        ImGui::SameLine();
        ImGui::TextDisabled("(%zu samples)", a->samples());
        if (a->ties()) {
            ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().warning);
            ImGui::TextWrapped("%s", a->tie_message().c_str());
            ImGui::PopStyleColor();
        }
    }
    if (psamples_draft_ < 0) psamples_draft_ = static_cast<int>(s.psamples);
    {
        widgets::Lock lock(app, "psamples");
        ImGui::SetNextItemWidth(ui.px(110));
        const bool entered = ImGui::InputInt("samples", &psamples_draft_, 100, 1000,
                                             ImGuiInputTextFlags_EnterReturnsTrue);
        record_item(app, ui, "precision_psamples");
        if (entered) {
            if (!app.set("psamples", std::to_string(psamples_draft_)).ok())
                psamples_draft_ = static_cast<int>(s.psamples);
        }
        if (!ImGui::IsItemActive() && psamples_draft_ != static_cast<int>(s.psamples) &&
            !ImGui::IsItemDeactivated())
            psamples_draft_ = static_cast<int>(s.psamples);
    }
    widgets::help_marker(
        "The estimation set: this many random test rows (Sakr: 1000); 0, the default, takes "
        "every row. Enter applies.",
        "Sakr et al. §4.1");
}

// How sure E_A and E_W are: the bootstrap interval and the share of the largest terms.
void PrecisionPanel::draw_spread() {
    const qlab::SakrSpread* sp = m_.spread();
    if (!sp || sp->samples == 0) return;
    ImGui::TextDisabled("%.0f%%: E_A [%.3g, %.3g], E_W [%.3g, %.3g]", 100 * sp->level, sp->e_a_lo,
                        sp->e_a_hi, sp->e_w_lo, sp->e_w_hi);
    widgets::help_marker(
        "Percentile bootstrap intervals over the estimation set (1000 resamples of its rows). "
        "E_A and E_W are means in which the rows with a tiny float margin dominate: a small "
        "sample can miss them and understate both, and the theorems with them.",
        "Sakr et al. eq. 11");
    ImGui::TextDisabled("largest %d rows: %.0f%% of E_A, %.0f%% of E_W", sp->top,
                        100 * sp->top_share_a, 100 * sp->top_share_w);
    const std::string alike = widgets::format(
        "The %d rows with the largest terms, of %d, carry %.1f%% of E_A's sum and %.1f%% of "
        "E_W's; were every row alike they would carry %.1f%%.",
        sp->top, sp->samples, 100 * sp->top_share_a, 100 * sp->top_share_w,
        100.0 * sp->top / sp->samples);
    widgets::tooltip_on_hover(alike.c_str());
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
        ImGui::TextWrapped("%s", value.c_str());  // a narrow column wraps the interval
        if (help) widgets::help_marker(help, cite);
    };
    const std::string pending = "...";
    const std::pair<double, double> thm1_ci =
        m_.spread() && m_.spread()->samples > 0
            ? m_.spread()->theorem1_interval(r.ba, r.bw)
            : std::pair<double, double>{std::nan(""), std::nan("")};
    const std::string thm1_text =
        r.thm1 ? prob(*r.thm1) + (std::isnan(thm1_ci.first) ? std::string()
                                                            : "  [" + prob(thm1_ci.first) + ", " +
                                                                  prob(thm1_ci.second) + "]")
               : pending;
    line("Theorem 1", thm1_text,
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

// Under Fig. 1: where a bound falls below the simulated mismatch at (B_A, B_W), and why.
void PrecisionPanel::draw_below_note(App& app) {
    const Row r = m_.current();
    const qlab::SakrSpread* sp = m_.spread();
    const double hi =
        sp && sp->samples > 0 ? sp->theorem1_interval(r.ba, r.bw).second : std::nan("");
    const precision::BelowSimulation below =
        precision::below_simulation(r, hidden_outputs_saturate(app.model().model()), hi);
    if (!below.thm1 && !below.thm2) return;
    ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().warning);
    ImGui::TextWrapped("At (%d, %d) %s below the simulated p_m: %s.", r.ba, r.bw,
                       below.thm1 && below.thm2 ? "Theorems 1 and 2 fall"
                       : below.thm1             ? "Theorem 1 falls"
                                                : "Theorem 2 falls",
                       below.reason.c_str());
    ImGui::PopStyleColor();
    widgets::help_marker(below.why.c_str(), "Sakr et al. eq. 7");
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
    widgets::same_line_if_fits(ImGui::CalcTextSize("Sensitivity map").x +
                               ImGui::GetStyle().FramePadding.x * 2);
    if (recorded_button(app, ui, "Sensitivity map", "precision_bitflip_button"))
        m_.start_bitflip_map(app.model(), app);
    widgets::tooltip_on_hover(
        "For every layer and bit k of B_W: flip bit k of that layer's weights (two's complement "
        "of fixed:w=B_W,f=B_W-1) at the rate (or bit k of B_A of the activations entering it), "
        "and measure the fixed-point test accuracy at (B_A, B_W). Seeded: the same map every "
        "time.");
}

// ---- layout -------------------------------------------------------------------------------------

void PrecisionPanel::draw_views(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float plot_h =
        std::clamp(ImGui::GetContentRegionAvail().y * 0.5f, ui.px(240), ui.px(340));
    precision::draw_fig1(app, m_, ui, ImVec2(avail, plot_h));
    draw_below_note(app);
    const bool side_by_side = avail > ui.px(820);
    ImGui::BeginGroup();
    precision::draw_costs(app, m_, app.model(), ui);
    ImGui::EndGroup();
    const float left_w = ImGui::GetItemRectSize().x;
    if (side_by_side) ImGui::SameLine(0, gap * 3);
    ImGui::BeginGroup();
    precision::draw_flips(app, m_, app.model(), atlas_, shown_flips_, ui,
                          side_by_side ? avail - left_w - gap * 3 : avail);
    ImGui::EndGroup();
    precision::draw_bitflip_map(app, m_, ui);
}

void PrecisionPanel::draw(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(330), avail * 0.4f);
    widgets::begin_controls(app, ui, "precision_controls", left);
    draw_controls(app, ui);
    widgets::end_controls(app, ui, "precision_controls");
    widgets::begin_views(app, ui, "precision_views");
    draw_views(app, ui);
    widgets::end_views(app, ui, "precision_views");
}

// ---- metrics ------------------------------------------------------------------------------------

nlohmann::json row_json(const Row& r) {
    using nlohmann::json;
    json o = {{"ba", r.ba}, {"bw", r.bw}};
    o["thm1"] = r.thm1 ? finite_or_null(*r.thm1) : json(nullptr);
    o["thm2"] = r.has_bounds ? finite_or_null(r.bounds.thm2) : json(nullptr);
    o["thm2_opt"] = r.has_bounds ? finite_or_null(r.bounds.thm2_opt) : json(nullptr);
    o["p_m_sim"] = r.fixed ? json(r.fixed->p_m) : json(nullptr);
    o["error_sim"] = r.fixed ? json(r.fixed->error) : json(nullptr);
    o["p_m_noise_linear"] = r.noise ? json(r.noise->p_m_noise_linear) : json(nullptr);
    o["p_m_noise_exact"] = r.noise ? json(r.noise->p_m_noise_exact) : json(nullptr);
    return o;
}

// Sakr's Table 1 complete (qlab cost --table1's rows): the printed cells beside eq. 3 (D =
// fan-in + 1 and D = fan-in) and eq. 4 for each row's architecture, SQ and BN included.
nlohmann::json table1_json() {
    nlohmann::json t1 = nlohmann::json::array();
    for (const qlab::SakrTable1Row& t : qlab::sakr_table1())
        t1.push_back({{"option", t.name},
                      {"architecture", t.architecture},
                      {"ba", t.ba},
                      {"bw", t.bw},
                      {"paper_error", t.paper_error},
                      {"paper_fa", t.paper_fa * 1e6},
                      {"paper_bits", t.paper_bits * 1e6},
                      {"fa", t.with_bias.fa},
                      {"fa_without_bias", t.without_bias.fa},
                      {"bits", t.with_bias.bits}});
    return t1;
}

// The two readings of Fig. 1's printed E_A and E_W (qlab cost --table1's "readings").
nlohmann::json readings_json() {
    const qlab::SakrPrintedE& fig1 = qlab::sakr_printed_e().front();
    nlohmann::json out = nlohmann::json::array();
    for (const qlab::SakrReading& x : qlab::sakr_readings(fig1.e_a, fig1.e_w))
        out.push_back({{"reading", x.name},
                       {"E_A", x.e_a},
                       {"E_W", x.e_w},
                       {"eq12_offset", x.offset},
                       {"theorem1_at_8_8", x.thm1_8_8},
                       {"option_a", {x.option_a.first, x.option_a.second}},
                       {"option_c", {x.option_c.first, x.option_c.second}}});
    return out;
}

nlohmann::json spread_json(const qlab::SakrSpread& sp) {
    return {{"samples", sp.samples},
            {"replicates", sp.replicates},
            {"level", sp.level},
            {"E_A_interval", {finite_or_null(sp.e_a_lo), finite_or_null(sp.e_a_hi)}},
            {"E_W_interval", {finite_or_null(sp.e_w_lo), finite_or_null(sp.e_w_hi)}},
            {"top", sp.top},
            {"top_share_E_A", sp.top_share_a},
            {"top_share_E_W", sp.top_share_w},
            {"largest_sample_E_A", finite_or_null(sp.largest_a)},
            {"largest_sample_E_W", finite_or_null(sp.largest_w)}};
}

nlohmann::json PrecisionPanel::bitflip_metrics() const {
    using nlohmann::json;
    json bf = {{"rate", m_.bitflip.rate},
               {"seed", m_.bitflip.seed},
               {"target", m_.bitflip.activations ? "activations" : "weights"}};
    const precision::Lesson::BitFlipAnalysis* job = m_.bitflip_job();
    if (!job) return bf;
    const qlab::BitFlipOptions& o = m_.bitflip_made_with();
    bf["made_with"] = {{"rate", o.rate},
                       {"ba", o.ba},
                       {"bw", o.bw},
                       {"seed", o.seed},
                       {"target", o.activations ? "activations" : "weights"}};
    bf["state"] = qlab::job_state_name(job->state());
    bf["in_worker"] = job->in_worker();
    bf["progress"] = job->progress().fraction();
    bf["stale"] = m_.bitflip_stale();
    bf["baseline"] = finite_or_null(job->result().baseline);
    json map = json::array(), flipped = json::array();
    for (int l = 0; l < job->result().layers; ++l) {
        json r = json::array(), f = json::array();
        for (int k = 0; k < job->result().bits; ++k) {
            const std::size_t c = static_cast<std::size_t>(l * job->result().bits + k);
            r.push_back(finite_or_null(job->result().accuracy[c]));
            f.push_back(job->result().flipped[c]);
        }
        map.push_back(r), flipped.push_back(f);
    }
    bf["accuracy"] = map;  // [layer][bit], bit 0 = LSB
    bf["flipped"] = flipped;
    return bf;
}

nlohmann::json PrecisionPanel::metrics(const App& app) const {
    using nlohmann::json;
    const qlab::LabState& s = app.state();
    const SharedModel& m = app.model();
    json j;
    j["data"] = m.data().uploaded() ? m.data().label() : s.data;
    j["model"] = m.data().ready() ? m.spec(s) : "";
    j["model_from_file"] = m.from_file();
    j["assumptions_broken"] =
        m.imported() ? sakr_assumption_problems(m) : std::vector<std::string>{};
    j["hidden_activations"] = m.has_model() ? hidden_activations_text(m.model()) : "";
    j["batches"] = m.batches_done();
    j["training"] = m.running();
    j["ba"] = static_cast<int>(s.ba);
    j["bw"] = static_cast<int>(s.bw);
    j["psamples"] = static_cast<int>(s.psamples);
    j["analysis"] = {{"state", precision::state_name(m_.state())},
                     {"progress", m_.analysis_fraction()},
                     {"in_worker", m_.analysis_in_worker()}};
    const qlab::SakrAnalysis* a = m_.analysis();
    j["e_a"] = a ? finite_or_null(a->e_a()) : json(nullptr);
    j["e_w"] = a ? finite_or_null(a->e_w()) : json(nullptr);
    j["suggested_offset"] = a ? json(a->suggested_bw_minus_ba()) : json(nullptr);
    j["samples"] = a ? json(a->samples()) : json(nullptr);
    j["ties"] = a ? json(a->ties()) : json(nullptr);
    j["inputs_clipped"] = a ? json(a->inputs_clipped()) : json(nullptr);
    const Row cur = m_.current();
    const json cur_json = row_json(cur);
    for (auto it = cur_json.begin(); it != cur_json.end(); ++it) j[it.key()] = it.value();
    j["float_error"] = m_.float_error() >= 0 ? json(m_.float_error()) : json(nullptr);
    j["flips"] = cur.fixed ? json(m_.flips().size()) : json(nullptr);
    j["flips_shown"] = shown_flips_.size();
    j["precision_ms"] = m_.last_precision_ms();
    j["slowest_bounds_ms"] = m_.slowest_bounds_ms();
    j["noise_trials"] = m_.noise_trials();
    json grid = json::array();
    for (const auto& [ba, bw] : m_.curve()) {
        const Row r = m_.row(ba, bw);
        if (r.has_bounds || r.fixed) grid.push_back(row_json(r));
    }
    j["grid"] = grid;
    j["grid_offset"] = static_cast<int>(s.bw) - static_cast<int>(s.ba);
    if (m.has_model()) {
        const qlab::SakrCost c =
            qlab::sakr_cost(m.model(), static_cast<int>(s.ba), static_cast<int>(s.bw));
        j["cost"] = {
            {"fa", c.fa}, {"bits", c.bits}, {"activations", c.activations}, {"weights", c.weights}};
    }
    j["table1"] = table1_json();
    j["e_readings"] = readings_json();
    const qlab::SakrSpread* sp = m_.spread();
    j["spread"] = sp ? spread_json(*sp) : json(nullptr);
    double thm1_hi = std::nan("");
    if (sp && sp->samples > 0) {
        const auto [lo, hi] = sp->theorem1_interval(cur.ba, cur.bw);
        j["thm1_interval"] = {finite_or_null(lo), finite_or_null(hi)};
        thm1_hi = hi;
    } else {
        j["thm1_interval"] = nullptr;
    }
    const precision::BelowSimulation below =
        precision::below_simulation(cur, hidden_outputs_saturate(m.model()), thm1_hi);
    j["below_simulation"] = {{"thm1", below.thm1}, {"thm2", below.thm2}, {"why", below.why}};
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
    j["bitflip"] = bitflip_metrics();
    return j;
}

}  // namespace

QLAB_REGISTER_PANEL(PrecisionPanel)

}  // namespace quantlab
