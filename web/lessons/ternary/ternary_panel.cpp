// Ternary panel: Kundu 2017's ternary residual network on the lab's shared model. Algorithm 2 per
// layer (FGQ blocks of N weights, ternary residuals added to the worst block until the error is
// below epsilon), the residual levels switched on and off live ("battery-saving mode") with
// accuracy, Table 2's model size, multiplications and the power-performance estimate X/(C(X/N+1)).
// Sections: 1. the panel: state, jobs, step, metrics  2. controls (model, Algorithm 2, level
// switch, figures at the kept level)  3. layout (the view switch, the layer choice, where each
// view goes). The views (error per step, r_i histogram, block strip, levels table, Table 2) and
// the Pareto view are drawn by ternary_views.cpp, which also holds the helpers both files use
// (layer_color, diverging, bits_text, count_text, set_keep). The analysis lives in
// ternary_lesson.{hpp,cpp}.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "lessons/model_panel.hpp"
#include "ternary_lesson.hpp"
#include "ternary_views.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using ternary::Analysis;
using ternary::bits_text;
using ternary::count_text;
using widgets::error_text;
using widgets::record_item;
using widgets::section;

// ---- 1. The panel -----------------------------------------------------------------------------

class TernaryPanel : public ModelPanel {
  public:
    const char* key() const override { return "ternary"; }
    const char* title() const override { return "Ternary"; }
    const char* what_to_try() const override {
        return "Train the model (space), then switch the residual levels off from the top: what "
               "does each cost in accuracy, and what does it save in size, multiplications and "
               "power? Try N = 4 and N = 256 (X = 5.5 is Kundu's estimate for N = 64 only: set X "
               "for them).";
    }

    void update(App& app) override;
    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(const App& app) const override;
    int step(App& app, int n) override;
    // Space trains the shared model (a finished run starts over from fresh weights, as in Train).
    void toggle_run(App& app) override { toggle_training(app); }
    void on_state_changed(App& app, const std::vector<std::string>& /*keys*/) override {
        open_ = app.state().panel == "ternary";
        const std::string& v = app.state().tview;  // the view is in the link
        view_ = v == "pareto" ? 1 : v == "tables" ? 2 : 0;
    }
    std::vector<ScheduledJob> jobs() override {
        std::vector<ScheduledJob> out;
        // A job in the Web Worker is marked elsewhere: the scheduler shows it, never steps it.
        if (open_ && a_.job_running()) out.push_back(a_.scheduled("ternary residuals"));
        if (open_ && f_.job_running()) out.push_back(f_.scheduled("Pareto frontier"));
        if (open_ && t_.job_running()) out.push_back(t_.scheduled("Kundu Tables 3-4"));
        return out;
    }

  private:
    std::string status_line(const App& app) const;
    nlohmann::json pareto_metrics() const;
    void add_result_metrics(nlohmann::json& j, const qlab::LabState& s) const;

    void draw_controls(App& app, const UiScale& ui);
    void draw_model_controls(App& app, const UiScale& ui);
    void draw_block_field(App& app, const UiScale& ui);
    void draw_tolerance_field(App& app, const UiScale& ui);
    void draw_level_switch(App& app, const UiScale& ui);
    void draw_gain_x(App& app, const UiScale& ui);
    void draw_kept_figures(App& app, const UiScale& ui);
    void draw_views(App& app, const UiScale& ui);
    void draw_view_switch(App& app, const UiScale& ui);
    void draw_residual_views(App& app, const UiScale& ui);

    Analysis a_;
    ternary::Frontier f_;
    ternary::Tables t_;
    int view_ = 0;                          // 0: residuals, 1: the Pareto frontier, 2: tables
    double pareto_axes_[4] = {0, 1, 0, 1};  // the plot's last x0, x1, y0, y1 (for tests to hover)
    float pareto_inner_[4] = {0, 0, 0, 0};  // its inner rectangle in CSS pixels
    bool open_ = false;
    int layer_ = 0;  // the layer the histogram and strip show
    int tblock_draft_ = -1;
    double ttol_draft_ = -1;
    double tx_draft_ = -1;
    std::string option_error_;
};

void TernaryPanel::update(App& app) {
    const qlab::LabState& s = app.state();
    ternary::AnalysisKey key;
    key.version = app.model().version();
    key.block = static_cast<std::size_t>(s.tblock);
    key.tolerance = s.ttol;
    key.gain_x = s.tx;
    a_.update(app.model(), key, app.now_ms());
    f_.update(app.model(), key, view_ == 1, app.now_ms());
    t_.update(app.model(), key, view_ == 2, app.now_ms());
}

int TernaryPanel::step(App& app, int n) {
    SharedModel& m = app.model();
    const qlab::TrainJob* tj = m.job();
    // Step trains the model until it is trained; then it advances Algorithm 2 and the levels, then
    // the Pareto frontier, then the tables: the page's own jobs (one in the Web Worker runs there).
    if (!m.trained() || (tj && tj->running())) {
        const int taken = m.step(app.state(), n);
        update(app);
        return taken;
    }
    update(app);
    qlab::Job* job = a_.job_running() && !a_.in_worker()   ? a_.job()
                     : f_.job_running() && !f_.in_worker() ? f_.job()
                     : t_.job_running() && !t_.in_worker() ? t_.job()
                                                           : nullptr;
    if (!job) return 0;
    const long long before = job->progress().done;
    job->step(n);
    a_.poll(app.now_ms());
    f_.poll(app.now_ms());
    t_.poll(app.now_ms());
    return static_cast<int>(job->progress().done - before);
}

std::string TernaryPanel::status_line(const App& app) const {
    char buf[200];
    switch (a_.phase()) {
        case Analysis::Phase::no_model:
            return app.model().data().loading()
                       ? "loading " + app.model().data().loading_name() + "..."
                       : "no model yet";
        case Analysis::Phase::untrained:
            return "the model is untrained: train it (space) or drop a model file";
        case Analysis::Phase::training:
            return "training: the analysis waits for the weights to settle";
        case Analysis::Phase::running: {
            const qlab::JobProgress p = a_.job()->progress();
            std::snprintf(buf, sizeof buf, "%s (%lld of %lld)", p.stage.c_str(), p.done, p.total);
            return buf;
        }
        case Analysis::Phase::failed:
            return "analysis stopped: " + a_.error();
        case Analysis::Phase::finished:
            std::snprintf(buf, sizeof buf, "analysed in %.0f ms", a_.job_ms());
            return buf;
    }
    return "";
}

nlohmann::json TernaryPanel::pareto_metrics() const {
    using nlohmann::json;
    json pareto;
    pareto["state"] = f_.state();
    pareto["error"] = f_.error();
    pareto["current"] = f_.current();
    pareto["job_ms"] = f_.job_ms();
    pareto["in_worker"] = f_.in_worker();  // where it runs (or ran): the Web Worker or the frames
    json points = json::array(), frontier = json::array(), skipped = json::array();
    if (const qlab::ParetoResult* pr = f_.result()) {
        for (std::size_t i = 0; i < pr->points.size(); ++i) {
            const qlab::ParetoPoint& p = pr->points[i];
            const bool on =
                std::find(pr->frontier.begin(), pr->frontier.end(), i) != pr->frontier.end();
            points.push_back({{"family", p.family},
                              {"spec", p.spec},
                              {"bits_per_weight", p.bits_per_weight},
                              {"accuracy", p.accuracy},
                              {"frontier", on}});
        }
        frontier = pr->frontier;
        skipped = pr->skipped;
        pareto["float_accuracy"] = pr->float_accuracy;
        pareto["weights"] = pr->weights;
        pareto["tblock"] = f_.key().block;
    }
    if (f_.job_running()) {
        const qlab::JobProgress p = f_.job()->progress();
        pareto["progress"] = {{"done", p.done}, {"total", p.total}, {"stage", p.stage}};
    }
    pareto["points"] = points;
    pareto["frontier"] = frontier;
    pareto["skipped"] = skipped;
    pareto["plot"] = {{"x0", pareto_axes_[0]},     {"x1", pareto_axes_[1]},
                      {"y0", pareto_axes_[2]},     {"y1", pareto_axes_[3]},
                      {"left", pareto_inner_[0]},  {"top", pareto_inner_[1]},
                      {"right", pareto_inner_[2]}, {"bottom", pareto_inner_[3]}};
    return pareto;
}

// The last result of Algorithm 2: per level (accuracy, size, compute), at the kept level, and
// per layer (its residuals and Table 2's figures).
void TernaryPanel::add_result_metrics(nlohmann::json& j, const qlab::LabState& s) const {
    using nlohmann::json;
    const qlab::KunduResult* r = a_.result();
    if (!r) {
        j["levels"] = json::array();
        j["layers"] = json::array();
        return;
    }
    j["analysed_batches"] = a_.result_key().version.batches;
    j["analysed_tblock"] = a_.result_key().block;
    j["analysed_ttol"] = a_.result_key().tolerance;
    j["float_accuracy"] = r->float_accuracy;
    j["weights"] = a_.weights();
    json levels = json::array();
    for (std::size_t i = 0; i < r->levels.size(); ++i) {
        const qlab::KunduLevel& v = r->levels[i];
        const ternary::LevelFigures& f = a_.levels()[i];
        levels.push_back({{"level", v.level},
                          {"accuracy", v.accuracy},
                          {"compute", v.compute},
                          {"power_performance", v.power_performance},
                          {"model_size_bits", v.model_size_bits},
                          {"scale_factors", v.scale_factors},
                          {"bits_per_weight", f.bits_per_weight},
                          {"multiplications", f.cost.multiplications},
                          {"macs", f.cost.macs},
                          {"layer_errors", f.layer_errors}});
    }
    j["levels"] = levels;
    const int level = a_.level_for(s.keep);
    j["keep_level"] = level;
    j["max_level"] = a_.max_level();
    const qlab::KunduLevel& kept = r->levels[static_cast<std::size_t>(level)];
    j["accuracy_at_keep"] = kept.accuracy;
    j["model_size_bits_at_keep"] = kept.model_size_bits;
    j["compute_at_keep"] = kept.compute;
    j["power_performance_at_keep"] = kept.power_performance;
    // Bits per weight at the kept level; weight_bits as the Train lesson names it, so a challenge
    // link (goal=accuracy_at_keep>=0.93,weight_bits<=5) reads the same in both lessons.
    j["bits_per_weight_at_keep"] = a_.levels()[static_cast<std::size_t>(level)].bits_per_weight;
    j["weight_bits"] = j["bits_per_weight_at_keep"];
    j["multiplications_at_keep"] =
        a_.levels()[static_cast<std::size_t>(level)].cost.multiplications;
    json layers = json::array();
    for (std::size_t i = 0; i < r->layers.size(); ++i) {
        const qlab::ResidualTensor& t = r->layers[i].tensor;
        const ternary::LayerFigures& f = a_.layers()[i];
        layers.push_back(
            {{"layer", r->layers[i].layer + 1},
             {"weights", t.n},
             {"rows", f.rows},
             {"cols", f.cols},
             {"blocks", t.blocks.size()},
             {"norm", t.norm},
             {"errors", t.errors},
             {"relative_error", t.norm > 0 ? t.errors.back() / t.norm : 0.0},
             {"residual_steps", t.order.size()},
             {"max_residuals", t.max_residuals()},
             {"stopped_at_guard", t.stopped_at_guard},
             {"residual_histogram", f.histogram},
             {"model_size_bits", f.residual.model_size_bits},
             {"capacity",
              std::isfinite(f.residual.capacity) ? json(f.residual.capacity) : json(nullptr)},
             {"scale_factors", f.residual.scale_factors},
             {"fgq",
              {{"model_size_bits", f.fgq.model_size_bits},
               {"capacity", f.fgq.capacity},
               {"scale_factors", f.fgq.scale_factors}}}});
    }
    j["layers"] = layers;
}

nlohmann::json TernaryPanel::metrics(const App& app) const {
    using nlohmann::json;
    const qlab::LabState& s = app.state();
    json j;
    j["tblock"] = s.tblock;
    j["ttol"] = s.ttol;
    j["keep"] = s.keep;
    j["gain_x"] = s.tx;
    j["model"] = app.model().data().ready() ? app.model().spec(s) : "";
    j["model_from_file"] = app.model().from_file();
    j["model_batches"] = app.model().batches_done();
    j["batches"] =
        app.model().batches_done();  // the name the other model lessons use (challenge goals)
    j["training"] = app.model().running();
    const qlab::TrainJob* tj = app.model().job();
    j["training_state"] = !tj                                       ? "idle"
                          : tj->state() == qlab::JobState::finished ? "finished"
                          : app.model().running()                   ? "running"
                                                                    : "paused";
    j["trained"] = app.model().trained();
    j["test_accuracy"] =
        app.model().test_accuracy() >= 0 ? json(app.model().test_accuracy()) : json(nullptr);
    static const char* const kPhases[] = {"no_model", "untrained", "training",
                                          "running",  "finished",  "failed"};
    j["state"] = kPhases[static_cast<int>(a_.phase())];
    j["error"] = a_.error();
    j["current"] = a_.current();
    j["jobs_started"] = a_.jobs_started();
    j["in_worker"] = a_.in_worker();
    if (a_.job_running()) {
        const qlab::JobProgress p = a_.job()->progress();
        j["progress"] = {{"done", p.done}, {"total", p.total}, {"stage", p.stage}};
    } else {
        j["progress"] = nullptr;
    }
    j["job_ms"] = a_.job_ms();
    j["view"] = view_ == 1 ? "pareto" : view_ == 2 ? "tables" : "residuals";
    j["pareto"] = pareto_metrics();
    j["tables"] = ternary::tables_json(t_, s.tx);
    add_result_metrics(j, s);
    j["shown_layer"] = layer_;
    return j;
}

// ---- 2. Controls ------------------------------------------------------------------------------

void TernaryPanel::draw_controls(App& app, const UiScale& ui) {
    draw_model_controls(app, ui);
    section("Algorithm 2");
    draw_block_field(app, ui);
    draw_tolerance_field(app, ui);
    draw_gain_x(app, ui);
    error_text(option_error_);
    ImGui::TextDisabled("%s", status_line(app).c_str());
    if (a_.phase() == Analysis::Phase::failed) {
        ImGui::SameLine();
        if (widgets::small_button("run again")) a_.retry();
        record_item(app, ui, "ternary_retry");
    }

    section("Residual levels (battery-saving mode)");
    draw_level_switch(app, ui);
    section("At the kept level");
    draw_kept_figures(app, ui);
}

// The run button and the shared model this lesson studies.
void TernaryPanel::draw_model_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const qlab::TrainJob* tj = app.model().job();
    const char* run_label = app.model().running()    ? "Pause training"
                            : tj && tj->running()    ? "Resume training"
                            : !app.model().trained() ? "Train the model"
                            : !tj                    ? "Fine-tune the loaded model"
                                                     : "Retrain from fresh weights";
    if (ImGui::Button(run_label, ImVec2(-1, 0))) toggle_run(app);
    record_item(app, ui, "ternary_run_button");
    widgets::tooltip_on_hover(
        "Space. Trains the lab's one model (the Train lesson's): its data, hidden layers and "
        "epochs are set there. The analysis runs on the weights once training stops.");
    if (tj) {
        ImGui::TextDisabled("%s: epoch %d of %d, %lld batches",
                            app.model().running() ? "training" : "trained", tj->epoch(),
                            tj->epochs(), app.model().batches_done());
    } else {
        ImGui::TextDisabled(
            "%s", app.model().from_file() ? "model loaded from a file" : "untrained weights");
    }

    section("Model (shared with Train)");
    if (app.model().data().ready()) {
        ImGui::TextWrapped("%s on %s", app.model().spec(s).c_str(),
                           app.model().data().label().c_str());
        if (app.model().test_accuracy() >= 0)
            ImGui::Text("float test accuracy %.2f%%", 100 * app.model().test_accuracy());
    } else {
        ImGui::TextDisabled("%s",
                            app.model().data().loading()
                                ? ("loading " + app.model().data().loading_name() + "...").c_str()
                                : "no data");
    }
    if (widgets::small_button("change it in Train")) app.set("panel", "train");
    record_item(app, ui, "ternary_open_train");
}

// N, the FGQ block size (the `tblock` key), typed or picked.
void TernaryPanel::draw_block_field(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("block N");
    widgets::help_marker(
        "N contiguous weights per FGQ block (the row-major matrix unrolled, as the paper does), "
        "each with its own alpha. Smaller N: lower error, more alphas and multiplications.",
        "Kundu et al. §3.2.1, Algorithm 2 line 2; Table 2");
    ImGui::SameLine(ui.px(118));
    {
        widgets::Lock lock(app, "tblock");
        int n = tblock_draft_ >= 0 ? tblock_draft_ : static_cast<int>(s.tblock);
        ImGui::SetNextItemWidth(-1);
        const bool enter =
            ImGui::InputInt("##tblock", &n, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue);
        record_item(app, ui, "ternary_tblock");
        if (ImGui::IsItemActive()) tblock_draft_ = n;
        if (enter) {
            const qlab::Status st = app.set("tblock", std::to_string(n));
            option_error_ = st.ok() ? "" : st.message();
            tblock_draft_ = -1;
        } else if (!ImGui::IsItemActive()) {
            tblock_draft_ = -1;
        }
        static const int kPicks[] = {4, 16, 64, 256};
        ImGui::Dummy(ImVec2(ui.px(110), 0));
        for (int p : kPicks) {
            ImGui::SameLine();
            char label[16];
            std::snprintf(label, sizeof label, "%d", p);
            if (widgets::small_button(label)) app.set("tblock", label);
            record_item(app, ui, std::string("ternary_tblock_") + label);
        }
    }
}

// eps, Algorithm 2's tolerance (the `ttol` key).
void TernaryPanel::draw_tolerance_field(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("tolerance");
    widgets::help_marker(
        "Algorithm 2 adds a ternary residual to the block with the largest error until "
        "||W - W^||^2 / ||W||^2 <= eps^2 for the layer.",
        "Kundu et al. Algorithm 2 line 7");
    ImGui::SameLine(ui.px(118));
    {
        widgets::Lock lock(app, "ttol");
        double e = ttol_draft_ >= 0 ? ttol_draft_ : s.ttol;
        ImGui::SetNextItemWidth(-1);
        const bool enter =
            ImGui::InputDouble("##ttol", &e, 0, 0, "%.4g", ImGuiInputTextFlags_EnterReturnsTrue);
        record_item(app, ui, "ternary_ttol");
        if (ImGui::IsItemActive()) ttol_draft_ = e;
        if (enter) {
            const qlab::Status st = app.set("ttol", qlab::shortest_repr(e));
            option_error_ = st.ok() ? "" : st.message();
            ttol_draft_ = -1;
        } else if (!ImGui::IsItemActive()) {
            ttol_draft_ = -1;
        }
    }
}

// X, the 8-2 over 8-8 gain in the power-performance estimate (the `tx` key).
void TernaryPanel::draw_gain_x(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("gain X");
    widgets::help_marker(
        "X, the power-performance gain of an 8-2 operation over an 8-8 one, in X / (C (X/N + 1)). "
        "Kundu estimates X = 5.5 for N = 64 (§4); §6.2 calls the same ratio c and assumes c = 5 "
        "for N = 64; the paper gives no value for other N: set your own estimate for them.",
        "Kundu et al. §4, §6.2");
    ImGui::SameLine(ui.px(118));
    widgets::Lock lock(app, "tx");
    double x = tx_draft_ >= 0 ? tx_draft_ : s.tx;
    ImGui::SetNextItemWidth(-1);
    const bool enter =
        ImGui::InputDouble("##tx", &x, 0, 0, "%.4g", ImGuiInputTextFlags_EnterReturnsTrue);
    record_item(app, ui, "ternary_tx");
    if (ImGui::IsItemActive()) tx_draft_ = x;
    if (enter) {
        const qlab::Status st = app.set("tx", qlab::shortest_repr(x));
        option_error_ = st.ok() ? "" : st.message();
        tx_draft_ = -1;
    } else if (!ImGui::IsItemActive()) {
        tx_draft_ = -1;
    }
    if (s.tblock != 64) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("X = 5.5 is Kundu's estimate for N = 64; N = %d needs its own",
                           static_cast<int>(s.tblock));
        ImGui::PopStyleColor();
    }
}

void TernaryPanel::draw_level_switch(App& app, const UiScale& ui) {
    const qlab::KunduResult* r = a_.result();
    if (!r) {
        ImGui::TextDisabled("(after the analysis)");
        return;
    }
    const int kept = a_.level_for(app.state().keep), top = a_.max_level();
    widgets::Lock lock(app, "keep");
    const float right = ImGui::GetContentRegionMax().x;
    for (int level = 0; level <= top; ++level) {
        char label[24];
        std::snprintf(label, sizeof label, level == top && top > 0 ? "%d all" : "%d", level);
        const bool on = level <= kept;
        // Levels up to the kept one are lit: each adds one more ternary term to the blocks that
        // have it.
        ImGui::PushStyleColor(ImGuiCol_Button, on ? ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive)
                                                  : ImGui::GetStyleColorVec4(ImGuiCol_FrameBg));
        ImGui::PushStyleColor(ImGuiCol_Text,
                              on ? ImVec4(1, 1, 1, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
        const float w = ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2;
        if (level > 0) {
            ImGui::SameLine(0, ui.px(3));
            if (ImGui::GetCursorPosX() + w > right) ImGui::NewLine();
        }
        if (ImGui::Button(label, ImVec2(std::max(w, ui.px(28)), 0)))
            ternary::set_keep(app, a_, level);
        ImGui::PopStyleColor(2);
        record_item(app, ui, "ternary_level_" + std::to_string(level));
        if (ImGui::IsItemHovered()) {
            const qlab::KunduLevel& v = r->levels[static_cast<std::size_t>(level)];
            ImGui::SetTooltip("%s: accuracy %.2f%%, %s, C = %.3f",
                              level == 0
                                  ? "FGQ ternary only"
                                  : ("+" + std::to_string(level) + " residual terms").c_str(),
                              100 * v.accuracy, bits_text(v.model_size_bits).c_str(), v.compute);
        }
    }
    lock.release();
    if (kept == 0)
        ImGui::TextDisabled("plain FGQ ternary: one term per block");
    else
        ImGui::TextDisabled("FGQ term + up to %d residual terms per block", kept);
    widgets::help_marker(
        "Level k keeps each block's first k residual terms (a block with fewer keeps all its own). "
        "The last residuals go first: each one only corrects what the earlier terms of its block "
        "left, so the error grows least when they are switched off (the alphas need not fall: a "
        "later term may keep fewer, larger weights).",
        "Kundu et al. §3.2.1, 'battery-savings mode'");
}

void TernaryPanel::draw_kept_figures(App& app, const UiScale& ui) {
    const qlab::KunduResult* r = a_.result();
    if (!r) {
        ImGui::TextDisabled("(after the analysis)");
        return;
    }
    const int level = a_.level_for(app.state().keep);
    const qlab::KunduLevel& v = r->levels[static_cast<std::size_t>(level)];
    const ternary::LevelFigures& f = a_.levels()[static_cast<std::size_t>(level)];
    const float col = ui.px(118);
    auto row = [&](const char* name, const char* help, const char* cite) {
        ImGui::TextUnformatted(name);
        widgets::tooltip_on_hover(help, cite);
        ImGui::SameLine(col);
    };
    if (!a_.current()) ImGui::TextDisabled("(for earlier weights or options)");
    row("accuracy", "Test accuracy with the kept ternary terms as weights (activations in float).",
        nullptr);
    ImGui::Text("%.2f%%  (float %.2f%%)", 100 * v.accuracy, 100 * r->float_accuracy);
    row("model size",
        "Table 2, FGQ + ternary residual: sum over blocks of (r_i + 1)(8 + 2 n_i) bits, 8-bit "
        "alphas, "
        "2 bits per ternary weight; with the terms this level keeps.",
        "Kundu et al. Table 2");
    ImGui::Text("%s", bits_text(v.model_size_bits).c_str());
    ImGui::SetCursorPosX(col);  // under the value
    ImGui::TextDisabled("%.3f bits/weight, %lld alphas", f.bits_per_weight, v.scale_factors);
    row("compute C",
        "Ternary terms kept relative to plain FGQ (one per block), weighted by block length and "
        "MACs.",
        "Kundu et al. §3.2.1");
    ImGui::Text("%.3f x FGQ", v.compute);
    row("multiplications",
        "Per example: one multiplication by alpha per kept term and output row the block feeds; "
        "the ternary terms only add. 8-8 multiplies every weight (the MACs).",
        "Kundu et al. Table 2 (# scale factors)");
    ImGui::Text("%s  (%.1fx fewer than 8-8)", count_text(f.cost.multiplications).c_str(),
                f.cost.reduction());
    row("power-perf.",
        "X / (C (X/N + 1)): the gain over 8-8 with C x the compute of FGQ ternary, block size N "
        "and X the "
        "8-2 over 8-8 gain: the paper estimates X = 5.5 for N = 64 (§4) and, for the same N, "
        "c = 5 (§6.2); it gives none for other N.",
        "Kundu et al. §3.2.1, §4, §6.2");
    ImGui::Text("%.3f x over 8-8", v.power_performance);
    ImGui::SetCursorPosX(col);
    ImGui::TextDisabled("X = %.3g, N = %zu, C = %.3f", a_.result_key().gain_x,
                        a_.result_key().block, v.compute);
}

// ---- 3. Layout --------------------------------------------------------------------------------

void TernaryPanel::draw_residual_views(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    if (a_.phase() == Analysis::Phase::untrained) {
        ImGui::TextWrapped(
            "The model is untrained: its weights are random, so residuals, accuracy per level and "
            "cost would describe noise. Train it (space) or drop a model file; the analysis "
            "follows.");
        return;
    }
    if (!a_.result()) {
        if (a_.phase() == Analysis::Phase::no_model)
            ImGui::TextDisabled("Waiting for the data set and the model...");
        else
            ImGui::TextDisabled("%s", status_line(app).c_str());
        // The plots' frames even before the first result, so the layout does not jump.
    }
    const qlab::KunduResult* r = a_.result();
    if (r) {
        layer_ = std::clamp(layer_, 0, static_cast<int>(r->layers.size()) - 1);
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("layer");
        ImGui::SameLine();
        char preview[64];
        auto layer_name = [&](std::size_t i, char* buf, std::size_t n) {
            std::snprintf(buf, n, "%zu: %zu x %zu, %zu blocks", r->layers[i].layer + 1,
                          a_.layers()[i].rows, a_.layers()[i].cols,
                          r->layers[i].tensor.blocks.size());
        };
        layer_name(static_cast<std::size_t>(layer_), preview, sizeof preview);
        ImGui::SetNextItemWidth(ui.px(240));
        if (ImGui::BeginCombo("##layer", preview)) {
            for (std::size_t i = 0; i < r->layers.size(); ++i) {
                char name[64];
                layer_name(i, name, sizeof name);
                if (ImGui::Selectable(name, static_cast<int>(i) == layer_))
                    layer_ = static_cast<int>(i);
                record_item(app, ui, "ternary_layer_" + std::to_string(i));
            }
            ImGui::EndCombo();
        }
        record_item(app, ui, "ternary_layer_combo");
        ImGui::SameLine();
        ImGui::TextDisabled("(the histogram and the strip show this layer)");
    }
    const float plot_w = avail > ui.px(560) ? (avail - gap) * 0.6f : avail;
    const ImVec2 plot_size(plot_w, ui.px(190));
    ternary::draw_error_plot(app, a_, layer_, ui, plot_size);
    if (avail > ui.px(560)) ImGui::SameLine();
    ternary::draw_histogram(app, a_, layer_, ui,
                            ImVec2(avail > ui.px(560) ? avail - plot_w - gap : avail, ui.px(190)));
    if (!r) return;
    ImGui::Spacing();
    ternary::draw_strip(app, a_, layer_, ui, avail);
    ImGui::Spacing();
    ternary::draw_levels_table(app, a_, ui);
    ImGui::Spacing();
    ternary::draw_table2(app, a_, ui);
}

void TernaryPanel::draw_view_switch(App& app, const UiScale& ui) {
    const char* const names[] = {"Residuals (Kundu)", "Pareto frontier", "Tables 3-4"};
    const char* const views[] = {"ternary_view_residuals", "ternary_view_pareto",
                                 "ternary_view_tables"};
    const char* const keys[] = {"residuals", "pareto", "tables"};
    for (int v = 0; v < 3; ++v) {
        if (v > 0) ImGui::SameLine(0, ui.px(2));
        const bool on = view_ == v;
        ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(on ? ImGuiCol_ButtonActive
                                                                           : ImGuiCol_FrameBg));
        ImGui::PushStyleColor(ImGuiCol_Text,
                              on ? ImVec4(1, 1, 1, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
        if (ImGui::Button(names[v])) app.set("tview", keys[v]);
        ImGui::PopStyleColor(2);
        record_item(app, ui, views[v]);
    }
    const char* const what[] = {
        "Algorithm 2 on every layer and the accuracy of each residual level",
        "test accuracy against bits per weight, formats applied to the weights only",
        "# blocks and comp at ~1% and ~2% loss, 8-bit activations"};
    // Beside the buttons when it fits there on a line or two; else below them (on a tablet the
    // room left beside them would wrap it into a strip a word wide).
    const float text = ImGui::CalcTextSize(what[view_]).x;
    widgets::same_line_if_fits(std::min(text, text * 0.5f + ImGui::GetFontSize() * 2));
    ImGui::TextDisabled("%s", what[view_]);
}

void TernaryPanel::draw_views(App& app, const UiScale& ui) {
    draw_view_switch(app, ui);
    if (view_ == 1)
        ternary::draw_pareto(app, f_, ui, pareto_axes_, pareto_inner_);
    else if (view_ == 2)
        ternary::draw_tables(app, t_, ui);
    else
        draw_residual_views(app, ui);
}

void TernaryPanel::draw(App& app, const UiScale& ui) {
    open_ = true;
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(330), avail * 0.4f);
    widgets::begin_controls(app, ui, "ternary_controls", left);
    draw_controls(app, ui);
    widgets::end_controls(app, ui, "ternary_controls");
    widgets::begin_views(app, ui, "ternary_views");
    draw_views(app, ui);
    widgets::end_views(app, ui, "ternary_views");
}

}  // namespace

QLAB_REGISTER_PANEL(TernaryPanel)

}  // namespace quantlab
