// Layers panel (Lin, Talathi & Annapureddy 2016): per-layer histograms of weights and activations
// with Lin's quantizer levels at lbits over them, an SQNR meter per layer (measured beside eq. 9),
// kappa per step from SQNR-vs-bits slopes (eq. 2), cross-layer bit allocation for size or compute
// (eq. 14-16) and model size against error for equal and optimised widths (Fig. 4).
// Sections: 1. helpers  2. the panel: state, jobs, metrics  3. controls (model, lbits, output
// SQNR, allocation)  4. layer rows (histograms, meters)  5. the lattice designer's updates and the
// layout. The SQNR-vs-bits and size-vs-error plots and the designer (codebook levels dragged over
// a layer's weights, the model evaluated) are drawn by layers_views.cpp.
// The analysis lives in layers_lesson.{hpp,cpp}; the model is the one the Train lesson trains.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "layers_lesson.hpp"
#include "layers_sensitivity.hpp"
#include "layers_views.hpp"
#include "lessons/model_panel.hpp"
#include "ui/level_histogram.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using layers::Analysis;
using layers::LayerView;
using layers::Snapshot;
using layers::StepView;
using widgets::record_item;
using widgets::section;

// ---- 1. helpers ---------------------------------------------------------------------------------

using layers::kWeightBars;
const ImU32 kActBars = IM_COL32(230, 150, 70, 200);
const ImU32 kLevelColor = IM_COL32(190, 30, 60, 150);  // distinct from the grid
using layers::kMeasured;
using layers::kPredicted;

using layers::db;

std::string count_text(double v) {
    if (v >= 1e6) return widgets::format("%.2fM", v / 1e6);
    if (v >= 1e4) return widgets::format("%.1fk", v / 1e3);
    return widgets::format("%.0f", v);
}

const char* job_state(const qlab::Job* job) {
    return job ? qlab::job_state_name(job->state()) : "idle";
}

// ---- 2. the panel -------------------------------------------------------------------------------

class LayersPanel final : public ModelPanel {
  public:
    const char* key() const override { return "layers"; }
    const char* title() const override { return "Layers"; }
    const char* what_to_try() const override {
        return "Train (space), then move lbits: each extra bit buys about 6 dB per layer. Compare "
               "eq. 9's "
               "prediction with the measured output SQNR, and size against compute allocation.";
    }

    void update(App& app) override;
    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(const App& app) const override;
    void add_snapshot_metrics(nlohmann::json& j, const App& app) const;
    void add_job_metrics(nlohmann::json& j) const;
    void add_designer_metrics(nlohmann::json& j, const App& app) const;

    // Space trains the shared model when none is trained yet (or pauses / resumes that run); a
    // trained model is kept (the Train lesson retrains it).
    void toggle_run(App& app) override {
        train_unless_trained(
            app, "the model is trained; the Train lesson's Reset and Run train it again");
    }

    std::vector<ScheduledJob> jobs() override {
        return {a_.sweep_scheduled("kappa sweep"),
                a_.tradeoff_scheduled("size against error"),
                {"fine-tune on the levels", d_.finetune_job()},
                sens_.scheduled("per-layer sensitivity")};
    }

  private:
    void draw_controls(App& app, const UiScale& ui);
    void draw_allocation(App& app, const UiScale& ui);
    void draw_layer_row(App& app, const UiScale& ui, const Snapshot& snap, const LayerView& lv,
                        float width);
    void draw_meter(App& app, const UiScale& ui, const Snapshot& snap, const LayerView& lv,
                    ImVec2 size);
    void draw_step_histogram(App& app, const UiScale& ui, const StepView& sv, ImVec2 size,
                             ImU32 bars);
    bool kappa_matches(const Snapshot& snap) const {
        return a_.sweep_done() && a_.sweep_key().generation == snap.key.generation;
    }

    void draw_designer(App& app, const UiScale& ui, float width);
    void sync_designer(App& app);
    void update_designer(App& app);
    static bool designer_open(const App& app) { return app.state().lview == "designer"; }

    Analysis a_;
    layers::Designer d_;
    layers::Sensitivity sens_;
    // What the designer last applied from the state: levels text, layer, scope and the model they
    // were computed on (k-means and Lin's levels follow the weights; a list does not).
    struct Applied {
        std::string dlevels;
        int dlayer = 0;
        bool all = false;
        layers::ModelKey key;
        bool operator==(const Applied& o) const {
            return dlevels == o.dlevels && dlayer == o.dlayer && all == o.all && key == o.key;
        }
    };
    std::optional<Applied> applied_;
    double designer_time_ = -1e9;
};

void LayersPanel::update(App& app) {
    std::vector<std::string> problems;
    a_.update(app.state(), app.model(), app, problems);
    for (const std::string& p : problems) app.report(p, MessageLevel::warning);
    if (designer_open(app) && app.model().trained()) update_designer(app);
    if (app.state().lview == "sensitivity") sens_.update(app.state(), app.model());
}

nlohmann::json LayersPanel::metrics(const App& app) const {
    using nlohmann::json;
    const qlab::LabState& s = app.state();
    json j;
    j["lbits"] = static_cast<int>(s.lbits);
    j["objective"] = s.objective;
    j["kappa_setting"] = s.kappa;
    j["kappa_used"] = a_.kappa_used() > 0 ? json(a_.kappa_used()) : json(nullptr);
    j["kappa_source"] = a_.kappa_source();
    j["data"] = app.model().data().label();
    j["dataset_loading"] = app.model().data().loading();
    j["model"] = app.model().data().ready() ? app.model().spec(s) : "";
    j["model_from_file"] = app.model().from_file();
    j["batches"] = app.model().batches_done();
    j["generation"] = app.model().version().generation;
    j["running"] = app.model().running();
    j["trained"] = app.model().trained();
    j["test_accuracy"] =
        finite_or_null(app.model().test_accuracy() >= 0 ? app.model().test_accuracy() : NAN);
    add_snapshot_metrics(j, app);
    add_job_metrics(j);
    j["view"] = app.state().lview;
    add_designer_metrics(j, app);
    j["sensitivity"] = layers::sensitivity_metrics(sens_);
    return j;
}

// The snapshot at lbits: per step and per layer, with kappa and the allocation.
void LayersPanel::add_snapshot_metrics(nlohmann::json& j, const App& app) const {
    using nlohmann::json;
    const qlab::LabState& s = app.state();
    const Snapshot* snap = a_.snapshot();
    j["analysis_current"] = a_.snapshot_current(app.model(), static_cast<int>(s.lbits));
    json layers = json::array(), steps = json::array();
    if (snap) {
        j["analysis_batches"] = snap->key.batches;
        j["analysis_bits"] = snap->bits;
        j["rows"] = snap->rows;
        j["snapshot_ms"] = snap->compute_ms;
        j["output_sqnr_measured_db"] = finite_or_null(snap->measured_output_db);
        j["output_sqnr_predicted_db"] = finite_or_null(snap->predicted_output_db);
        j["float_accuracy"] = snap->float_accuracy;
        j["quantized_accuracy"] = snap->quantized_accuracy;
        const bool kappa_ok = kappa_matches(*snap);
        for (std::size_t k = 0; k < snap->steps.size(); ++k) {
            const StepView& sv = snap->steps[k];
            steps.push_back(
                {{"name", sv.step.name()},
                 {"format", sv.step.format},
                 {"sqnr_db", finite_or_null(sv.step.sqnr_db)},
                 {"count", sv.step.count},
                 {"levels_drawn", sv.levels.size()},
                 {"clipped", sv.clipped},
                 {"kappa", kappa_ok ? finite_or_null(a_.step_kappa(k)) : json(nullptr)}});
        }
        const qlab::Allocation* alloc = a_.allocation();
        for (std::size_t i = 0; i < snap->layers.size(); ++i) {
            const LayerView& lv = snap->layers[i];
            const StepView* w =
                lv.w_step >= 0 ? &snap->steps[static_cast<std::size_t>(lv.w_step)] : nullptr;
            const StepView* a =
                lv.a_step >= 0 ? &snap->steps[static_cast<std::size_t>(lv.a_step)] : nullptr;
            json l{
                {"name", lv.name},
                {"shape", lv.shape},
                {"params", lv.params},
                {"macs", lv.macs},
                {"format_w", w ? w->step.format : ""},
                {"format_a", a ? json(a->step.format) : json(nullptr)},
                {"sqnr_w_db", w ? finite_or_null(w->step.sqnr_db) : json(nullptr)},
                {"sqnr_a_db", a ? finite_or_null(a->step.sqnr_db) : json(nullptr)},
                {"kappa", kappa_ok && w
                              ? finite_or_null(a_.step_kappa(static_cast<std::size_t>(lv.w_step)))
                              : json(nullptr)},
                {"kappa_a", kappa_ok && a
                                ? finite_or_null(a_.step_kappa(static_cast<std::size_t>(lv.a_step)))
                                : json(nullptr)},
                {"out_sqnr_measured_db", finite_or_null(lv.meter.measured_db)},
                {"out_sqnr_predicted_db", finite_or_null(lv.meter.predicted_db)}};
            if (alloc && i < alloc->bits.size()) {
                l["bits"] = alloc->bits[i];
                l["offset"] = alloc->offsets[i];
                l["exact_offset"] = alloc->exact_offsets[i];
                l["rho"] = alloc->rho[i];
            } else {
                l["bits"] = nullptr;
            }
            layers.push_back(l);
        }
        if (alloc)
            j["allocation"] = {{"bits", alloc->bits},
                               {"offsets", alloc->offsets},
                               {"weighted_bits", alloc->weighted_bits},
                               {"kappa", alloc->kappa}};
    }
    j["layers"] = layers;
    j["steps"] = steps;
}

// The jobs on frozen copies of the weights: the kappa sweep and size against error.
void LayersPanel::add_job_metrics(nlohmann::json& j) const {
    using nlohmann::json;
    const layers::SweepAnalysis* sw = a_.sweep();
    j["sweep"] = {{"state", job_state(sw ? sw->job() : nullptr)},
                  {"in_worker", sw && sw->in_worker()},
                  {"done", sw ? sw->progress().done : 0},
                  {"total", sw ? sw->progress().total : 0},
                  {"batches", a_.sweep_key().batches},
                  {"output_kappa",
                   a_.sweep_done() ? finite_or_null(sw->result().output_kappa) : json(nullptr)}};
    const layers::TradeoffAnalysis* tj = a_.tradeoff();
    json trade = json::array();
    if (tj)
        for (std::size_t i = 0;
             i < static_cast<std::size_t>(tj->progress().done) && i < tj->result().points.size();
             ++i) {
            const qlab::TradeoffPoint& p = tj->result().points[i];
            trade.push_back({{"optimised", p.optimised},
                             {"bits", p.bits},
                             {"size_bits", p.model_size_bits},
                             {"error", p.error}});
        }
    j["tradeoff"] = trade;
    j["tradeoff_state"] = job_state(tj ? tj->job() : nullptr);
    j["tradeoff_batches"] = a_.tradeoff_key().batches;
    j["tradeoff_rows"] = a_.tradeoff_rows();
    j["tradeoff_objective"] = tj ? qlab::objective_name(a_.objective()) : "";
    if (tj) j["tradeoff_float_error"] = tj->result().float_error;
    j["table6"] = layers::table6_json(a_);
}

// The lattice designer's last evaluation.
void LayersPanel::add_designer_metrics(nlohmann::json& j, const App& app) const {
    using nlohmann::json;
    if (d_.evaluated) {
        const std::vector<std::size_t> weighted = app.model().has_model()
                                                      ? qlab::weighted_layers(app.model().model())
                                                      : std::vector<std::size_t>{};
        j["designer"] = {
            {"layer",
             "layer " + std::to_string(d_.position < static_cast<int>(weighted.size())
                                           ? weighted[static_cast<std::size_t>(d_.position)] + 1
                                           : 0)},
            {"position", d_.position},
            {"all_layers", d_.all_layers},
            {"levels", d_.levels},
            {"bits", d_.index_bits},
            {"source", d_.source},
            {"accuracy", d_.accuracy},
            {"float_accuracy", d_.float_accuracy},
            {"sqnr_db", finite_or_null(d_.weight_sqnr_db)},
            {"output_sqnr_db", finite_or_null(d_.output_sqnr_db)},
            {"rows", d_.rows},
            {"evaluations", d_.evaluations},
            {"eval_ms", d_.eval_ms},
            {"batches", d_.evaluated_for.batches},
            {"view_lo", d_.hist.lo},
            {"view_hi", d_.hist.hi}};
        if (const qlab::TrainJob* tj = d_.finetune_job())
            j["designer"]["finetune"] = {
                {"state", job_state(tj)},
                {"batches", tj->batches_done()},
                {"before", d_.tuned_from},
                {"accuracy", d_.tuned ? json(d_.tuned_accuracy) : json(nullptr)},
                {"levels_current", d_.tuned_spec == d_.spec}};
    }
}

// ---- 3. controls --------------------------------------------------------------------------------

void LayersPanel::draw_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    section("Model (shared with the Train lesson)");
    if (!app.model().data().ready()) {
        ImGui::TextWrapped(app.model().data().loading() ? "Loading %s..." : "No data yet (%s).",
                           app.model().data().loading_name().c_str());
        return;
    }
    ImGui::TextWrapped("%s on %s", app.model().spec(s).c_str(), app.model().data().label().c_str());
    const SharedModel& m = app.model();
    const bool trained = m.trained() && !(m.job() && m.job()->running());
    const char* label = m.running() || m.waiting_for_data() ? "Pause training"
                        : trained                           ? "Trained"
                        : m.job()                           ? "Resume training"
                                                            : "Train (space)";
    ImGui::BeginDisabled(trained && !m.running());
    const bool pressed = ImGui::Button(label, ImVec2(ui.px(150), 0));
    ImGui::EndDisabled();
    record_item(app, ui, "layers_run_button");
    if (pressed) toggle_run(app);
    widgets::tooltip_on_hover(
        "Trains the model with the Train lesson's settings (epochs, optimizer, formats). The "
        "analysis follows the weights and reruns its jobs once training stops.");
    ImGui::SameLine();
    if (app.model().test_accuracy() >= 0)
        ImGui::Text("test %.2f%%", 100 * app.model().test_accuracy());
    ImGui::TextDisabled("%lld batches%s", app.model().batches_done(),
                        app.model().from_file() ? ", loaded from a file" : "");

    section("Quantizers (Lin §3.3)");
    int bits = static_cast<int>(s.lbits);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("lbits");
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "lbits");
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - ui.px(30));
        if (ImGui::SliderInt("##lbits", &bits, 2, 16, "%d bits"))
            app.set("lbits", std::to_string(bits));
        record_item(app, ui, "layers_lbits");
    }
    widgets::help_marker(
        "Bits of every weight and activation quantizer. Each is Lin's fixed-point format: step "
        "s = 3 sigma x the optimal Gaussian step for these bits (Table 1), f = -ceil(log2 s).",
        "Lin et al. §3.3, Table 1");
    const Snapshot* snap = a_.snapshot();
    if (!snap) return;

    section("Output SQNR (eq. 9)");
    ImGui::Text("measured  %s", db(snap->measured_output_db).c_str());
    widgets::tooltip_on_hover(
        "10 log10 of the float scores' power over the power of (float - quantized) scores, "
        "on the test rows.");
    ImGui::SameLine(ui.px(165));
    ImGui::Text("predicted %s", db(snap->predicted_output_db).c_str());
    widgets::tooltip_on_hover(
        "1/gamma_out = sum over the steps of 1/gamma_i: the inverse SQNRs of every weight "
        "and activation quantizer add up. Here the steps are the ones the lab quantizes (W1, a1, "
        "..., W_L): the input a(0) and the scores a(L) stay float, so Lin's 1/gamma_a(0) and "
        "1/gamma_a(L) are left out, and sigma in Lin's formats is the values' RMS.",
        "Lin et al. eq. 9");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("accuracy float %.2f%%, at %d bits %.2f%% (%zu test rows)",
                       100 * snap->float_accuracy, snap->bits, 100 * snap->quantized_accuracy,
                       snap->rows);
    ImGui::PopStyleColor();
    if (!a_.snapshot_current(app.model(), static_cast<int>(s.lbits)))
        ImGui::TextDisabled("(weights of %lld batches; follows once a second while training)",
                            snap->key.batches);

    draw_allocation(app, ui);
}

void LayersPanel::draw_allocation(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    section("Bit allocation (eq. 14-16)");
    {
        widgets::Lock lock(app, "objective");
        if (ImGui::RadioButton("size", s.objective == "size")) app.set("objective", "size");
        record_item(app, ui, "layers_objective_size");
        widgets::tooltip_on_hover(
            "rho_i = the layer's parameters: the smallest model for a given output SQNR.",
            "Lin et al. eq. 10 (rho_i), eq. 14");
        widgets::same_line_if_fits(widgets::radio_width("compute"));
        if (ImGui::RadioButton("compute", s.objective == "compute"))
            app.set("objective", "compute");
        record_item(app, ui, "layers_objective_compute");
        widgets::tooltip_on_hover(
            "rho_i = the layer's multiply-accumulates per example. Dense layers do one per "
            "weight, so size and compute agree; conv layers reuse each weight.",
            "Lin et al. eq. 10 (rho_i), eq. 14");
    }
    // kappa and its slider (wide enough for "measured") beside the radios where they fit.
    widgets::same_line_if_fits(ImGui::CalcTextSize("kappa measured (?)").x + ui.px(60));
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("kappa");
    ImGui::SameLine();
    float kappa = static_cast<float>(s.kappa);
    {
        widgets::Lock lock(app, "kappa");
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - ui.px(30));
        if (ImGui::SliderFloat("##kappa", &kappa, 0, 20, kappa <= 0 ? "measured" : "%.1f dB/bit"))
            app.set("kappa", qlab::shortest_repr(std::round(kappa * 10) / 10));
        record_item(app, ui, "layers_kappa");
    }
    widgets::help_marker(
        "dB of SQNR per extra bit. 0: measured, the mean of the weight steps' slopes over 2..12 "
        "bits "
        "(the sweep below). Lin uses 3.",
        "Lin et al. eq. 2, eq. 16");
    const qlab::Allocation* alloc = a_.allocation();
    const Snapshot* snap = a_.snapshot();
    if (!alloc || !snap) {
        ImGui::TextDisabled("kappa is being measured...");
        return;
    }
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled("kappa %.2f dB/bit (%s); first layer at lbits", a_.kappa_used(),
                        a_.kappa_source());
    ImGui::PopTextWrapPos();
    const ImGuiTableFlags flags =
        ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
    if (widgets::begin_table("##alloc", 5, flags)) {
        ImGui::TableSetupColumn("layer");
        ImGui::TableSetupColumn(a_.objective() == qlab::AllocationObjective::size ? "rho=params"
                                                                                  : "rho=MACs");
        ImGui::TableSetupColumn("eq. 16");
        ImGui::TableSetupColumn("offset");
        ImGui::TableSetupColumn("bits");
        ImGui::TableHeadersRow();
        for (std::size_t i = 0; i < alloc->bits.size() && i < snap->layers.size(); ++i) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(snap->layers[i].name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(count_text(alloc->rho[i]).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%+.2f", alloc->exact_offsets[i]);
            ImGui::TableNextColumn();
            ImGui::Text("%+d", alloc->offsets[i]);
            ImGui::TableNextColumn();
            ImGui::Text("%d", alloc->bits[i]);
        }
        widgets::end_table();
    }
    record_item(app, ui, "layers_allocation");
    widgets::tooltip_on_hover(
        "beta_i - beta_0 = 10 log10(rho_0 / rho_i) / kappa, rounded: layers with fewer "
        "parameters (or MACs) get more bits, which cost little.",
        "Lin et al. eq. 16");
    ImGui::TextDisabled("sum rho x bits: %s", count_text(alloc->weighted_bits).c_str());
}

// ---- 4. layer rows ------------------------------------------------------------------------------

void LayersPanel::draw_step_histogram(App& app, const UiScale& ui, const StepView& sv, ImVec2 size,
                                      ImU32 bars) {
    widgets::LevelPlot p;
    p.lo = sv.hist.lo, p.hi = sv.hist.hi;
    p.counts = sv.hist.counts;
    p.levels = sv.levels;
    p.clip_lo = sv.clip_lo, p.clip_hi = sv.clip_hi;
    p.bar_color = bars;
    p.level_color = kLevelColor;
    char note[96];
    if (sv.levels_truncated)  // too dense to draw: say how far apart they are
        std::snprintf(note, sizeof note, "%s %s, levels every %.2g", sv.step.name().c_str(),
                      db(sv.step.sqnr_db).c_str(), sv.step_size);
    else
        std::snprintf(note, sizeof note, "%s %s", sv.step.name().c_str(),
                      db(sv.step.sqnr_db).c_str());
    p.note = note;
    const std::string id = "##hist_" + sv.step.name();
    ImVec4 r;
    widgets::level_histogram(id.c_str(), size, p, false, ui, &r);
    record_item(app, ui, "layers_hist_" + sv.step.name());
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s: %zu values, rms %.4g, range [%.4g, %.4g]", sv.step.name().c_str(),
                    sv.step.count, sv.rms, sv.min, sv.max);
        ImGui::Text("format %s: levels every %.4g in [%.4g, %.4g]", sv.step.format.c_str(),
                    sv.step_size, sv.clip_lo, sv.clip_hi);
        ImGui::Text("%zu values clipped (shaded: beyond the format's range)", sv.clipped);
        ImGui::Text("SQNR %s = 10 log10(sum x^2 / sum (x - q(x))^2)", db(sv.step.sqnr_db).c_str());
        ImGui::TextDisabled("Lin et al. §3.3 (sigma_hat = 3 sigma), eq. 4");
        ImGui::EndTooltip();
    }
}

void LayersPanel::draw_meter(App& app, const UiScale& ui, const Snapshot& snap, const LayerView& lv,
                             ImVec2 size) {
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const std::string id = "##meter_" + lv.name;
    ImGui::InvisibleButton(id.c_str(), size);
    record_item(app, ui, "layers_meter_" + std::to_string(lv.layer + 1));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text),
                dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const bool last = lv.a_step < 0;
    dl->AddText(o, text, last ? "SQNR at the output" : "SQNR at its output");
    // Two bars on one dB scale: measured and eq. 9's prediction.
    double top = 60;
    for (double v : {lv.meter.measured_db, lv.meter.predicted_db})
        if (std::isfinite(v)) top = std::max(top, std::ceil((v + 5) / 10) * 10);
    const float x0 = o.x + ImGui::CalcTextSize("measured").x + ui.px(8),
                x1 = o.x + size.x - ui.px(4);
    const float bar_h = line * 0.8f;
    auto bar = [&](int row, const char* name, double v, ImU32 c) {
        const float y = o.y + line * (1.2f + static_cast<float>(row) * 1.1f);
        dl->AddText(ImVec2(o.x, y), dim, name);
        dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + bar_h),
                          ImGui::GetColorU32(ImGuiCol_FrameBg));
        const double t = std::isfinite(v) ? std::clamp(v / top, 0.0, 1.0) : (v > 0 ? 1.0 : 0.0);
        dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + static_cast<float>(t) * (x1 - x0), y + bar_h),
                          c);
        // The value just past the bar's end, or inside it when the bar is nearly full.
        const std::string label = db(v);
        const float tw = ImGui::CalcTextSize(label.c_str()).x,
                    end = x0 + static_cast<float>(t) * (x1 - x0);
        if (end + tw + ui.px(6) <= x1)
            dl->AddText(ImVec2(end + ui.px(3), y), text, label.c_str());
        else
            dl->AddText(ImVec2(end - tw - ui.px(3), y), IM_COL32(255, 255, 255, 255),
                        label.c_str());
    };
    bar(0, "measured", lv.meter.measured_db, kMeasured);
    bar(1, "eq. 9", lv.meter.predicted_db, kPredicted);
    // The steps eq. 9 adds for this layer, with their kappa once the sweep is done.
    float y = o.y + line * 3.6f;
    const bool kappa_ok = kappa_matches(snap);
    for (int k : {lv.w_step, lv.a_step}) {
        if (k < 0) continue;
        const StepView& sv = snap.steps[static_cast<std::size_t>(k)];
        const double kap = kappa_ok ? a_.step_kappa(static_cast<std::size_t>(k)) : NAN;
        char buf[96];
        if (std::isfinite(kap))
            std::snprintf(buf, sizeof buf, "%s %s, kappa %.2f dB/bit", sv.step.name().c_str(),
                          db(sv.step.sqnr_db).c_str(), kap);
        else
            std::snprintf(buf, sizeof buf, "%s %s", sv.step.name().c_str(),
                          db(sv.step.sqnr_db).c_str());
        dl->AddText(ImVec2(o.x, y), text, buf);
        y += line;
    }
    char steps[64];
    std::snprintf(steps, sizeof steps, "eq. 9 sums %zu step%s", lv.meter.steps,
                  lv.meter.steps == 1 ? "" : "s");
    dl->AddText(ImVec2(o.x, y), dim, steps);
    if (ImGui::IsItemHovered())
        widgets::tooltip_on_hover(
            "Measured: the quantized network's output of this layer against the float one (after "
            "its own "
            "activation quantizer). Predicted: eq. 9 over the steps up to here, 1/gamma = sum "
            "1/gamma_i (the input and the scores are not quantized, so their terms are left out). "
            "On ReLU networks the measured SQNR is usually higher: ReLU drops the noise of "
            "negative sums.",
            "Lin et al. eq. 9, eq. 2 (kappa: dB per bit, slope of the sweep)");
}

void LayersPanel::draw_layer_row(App& app, const UiScale& ui, const Snapshot& snap,
                                 const LayerView& lv, float width) {
    const StepView* w = lv.w_step >= 0 ? &snap.steps[static_cast<std::size_t>(lv.w_step)] : nullptr;
    const StepView* a = lv.a_step >= 0 ? &snap.steps[static_cast<std::size_t>(lv.a_step)] : nullptr;
    ImGui::Text("%s", lv.name.c_str());
    ImGui::SameLine();
    ImGui::PushTextWrapPos(0.0f);  // wraps at the column's edge
    ImGui::TextDisabled("%s, %s params, %s MACs;  W %s%s%s", lv.shape.c_str(),
                        count_text(lv.params).c_str(), count_text(lv.macs).c_str(),
                        w ? w->step.format.c_str() : "-", a ? ";  a " : "",
                        a ? a->step.format.c_str() : "");
    ImGui::PopTextWrapPos();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    // The meter: a title, two bars and a line per step, then the sum (the rows draw_meter writes).
    const float meter_h = ImGui::GetTextLineHeightWithSpacing() *
                          (4.8f + static_cast<float>((w ? 1 : 0) + (a ? 1 : 0)));
    float meter_w = std::clamp(width * 0.26f, ui.px(200), ui.px(280));
    // Too narrow for three side by side (a phone): the two histograms, the meter below them.
    const bool stacked = (width - meter_w - 2 * gap) / 2 < ui.px(150);
    if (stacked) meter_w = width;
    const float hist_w = stacked ? (width - gap) / 2 : (width - meter_w - 2 * gap) / 2;
    const ImVec2 size(hist_w, ui.px(118));
    if (w) draw_step_histogram(app, ui, *w, size, kWeightBars);
    ImGui::SameLine();
    if (a) {
        draw_step_histogram(app, ui, *a, size, kActBars);
    } else {
        // The scores are not quantized (predict_scores leaves them float): no step after the last
        // layer.
        const ImVec2 o = ImGui::GetCursorScreenPos();
        ImGui::Dummy(size);
        ImGui::GetWindowDrawList()->AddText(
            nullptr, 0, ImVec2(o.x + ui.px(8), o.y + size.y / 2 - ui.px(8)),
            ImGui::GetColorU32(ImGuiCol_TextDisabled), "scores: not quantized (no step)", nullptr,
            size.x - ui.px(16));  // wrapped inside its box
    }
    if (!stacked) ImGui::SameLine();
    draw_meter(app, ui, snap, lv, ImVec2(meter_w, std::max(size.y, meter_h)));
}

// ---- 5. the lattice designer's updates, and the layout
// --------------------------------------------

// Applies the link's designer keys (dlevels, dlayer, dall) to the designer when they or the model
// changed. k-means and Lin's uniform levels are fitted to the layer's current weights; a list of
// values is used as it is.
void LayersPanel::sync_designer(App& app) {
    const qlab::LabState& st = app.state();
    auto levels = qlab::parse_designer_levels(st.dlevels);  // the property table checked it
    if (!levels) return;
    const bool fitted = levels->kind != qlab::DesignerLevels::Kind::list;
    Applied now{st.dlevels,
                static_cast<int>(st.dlayer),
                st.dall != 0,
                {app.model().version().generation, fitted ? app.model().batches_done() : 0LL}};
    if (applied_ && *applied_ == now) return;
    const qlab::Model& model = app.model().model();
    const std::vector<std::size_t> weighted = qlab::weighted_layers(model);
    if (weighted.empty()) return;
    int position = now.dlayer - 1;
    if (position >= static_cast<int>(weighted.size())) {
        position = static_cast<int>(weighted.size()) - 1;
        if (!applied_ || applied_->dlayer != now.dlayer ||
            applied_->key.generation != now.key.generation)
            app.report("dlayer=" + std::to_string(now.dlayer) + ": the model has " +
                           std::to_string(weighted.size()) +
                           " weighted layers; the designer shows the last",
                       MessageLevel::warning);
    }
    d_.position = position;
    d_.set_all_layers(now.all);
    switch (levels->kind) {
        case qlab::DesignerLevels::Kind::kmeans:
            d_.start_kmeans(model, levels->count);
            break;
        case qlab::DesignerLevels::Kind::uniform:
            d_.start_uniform(model, levels->count);
            break;
        case qlab::DesignerLevels::Kind::list:
            d_.set_levels(model, levels->values,
                          d_.edited_here ? "edited" : "levels from the link");
            break;
    }
    d_.edited_here = false;
    applied_ = now;
}

// Evaluates the designer's codebook when something changed: at once when the weights rest, at
// most once a second while training moves them.
void LayersPanel::update_designer(App& app) {
    if (!app.model().has_model() || !app.model().data().ready()) return;
    const layers::ModelKey key = app.model().version();
    if (app.model().running() && d_.evaluated && d_.evaluated_for != key &&
        app.now - designer_time_ < 1.0)
        return;
    sync_designer(app);
    d_.poll_finetune();
    const long before = d_.evaluations;
    const std::string problem =
        d_.evaluate(app.model().model(), app.model().data().split().test, key, app);
    if (!problem.empty()) app.report(problem, MessageLevel::warning);
    if (d_.evaluations != before) designer_time_ = app.now;
}

void LayersPanel::draw_designer(App& app, const UiScale& ui, float width) {
    layers::draw_designer(app, d_, app.model(), ui, width);
}

void LayersPanel::draw(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(330), avail * 0.36f);
    widgets::begin_controls(app, ui, "layers_controls", left);
    draw_controls(app, ui);
    widgets::end_controls(app, ui, "layers_controls");
    widgets::begin_views(app, ui, "layers_views");
    const float width = ImGui::GetContentRegionAvail().x;
    const Snapshot* snap = a_.snapshot();
    if (app.model().has_model() && !app.model().trained()) {
        ImGui::TextWrapped(
            "The model is untrained: its weights are random, so SQNRs, kappa and the allocation "
            "would describe noise. Train it (space, or the Train lesson) or drop a model file.");
    } else if (!snap || !app.model().has_model()) {  // another data set's snapshot is not shown
        ImGui::TextDisabled(app.model().data().loading() ? "Loading the data set..."
                                                         : "Waiting for a model...");
    } else {
        for (const LayerView& lv : snap->layers) draw_layer_row(app, ui, *snap, lv, width);
        ImGui::Spacing();
        // The bottom row: kappa and size against error, or the lattice designer.
        if (ImGui::RadioButton("SQNR against bits, size against error",
                               app.state().lview == "plots"))
            app.set("lview", "plots");
        record_item(app, ui, "layers_tab_plots");
        widgets::same_line_if_fits(widgets::radio_width("lattice designer"));
        if (ImGui::RadioButton("lattice designer", designer_open(app)))
            app.set("lview", "designer");
        record_item(app, ui, "layers_tab_designer");
        widgets::tooltip_on_hover(
            "Drag codebook levels over a layer's weight histogram and evaluate the model on "
            "exactly those levels.");
        widgets::same_line_if_fits(widgets::radio_width("per-layer sensitivity"));
        if (ImGui::RadioButton("per-layer sensitivity", app.state().lview == "sensitivity"))
            app.set("lview", "sensitivity");
        record_item(app, ui, "layers_tab_sensitivity");
        widgets::tooltip_on_hover(
            "Quantize one layer at a time, the rest in float: each layer's accuracy drop and "
            "output SQNR beside eq. 9, most sensitive first.");
        if (designer_open(app)) {
            draw_designer(app, ui, width);
        } else if (app.state().lview == "sensitivity") {
            layers::draw_sensitivity(app, sens_, ui, width);
        } else {
            const float gap = ImGui::GetStyle().ItemSpacing.x;
            const ImVec2 size((width - gap) / 2, ui.px(200));
            layers::draw_sweep_plot(app, a_, ui, size);
            ImGui::SameLine();
            layers::draw_tradeoff_plot(app, a_, ui, size);
            layers::draw_table6(app, a_, ui, width);
        }
    }
    widgets::end_views(app, ui, "layers_views");
}

}  // namespace

QLAB_REGISTER_PANEL(LayersPanel)

}  // namespace quantlab
