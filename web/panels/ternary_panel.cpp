// Ternary panel: Kundu 2017's ternary residual network on the lab's shared model. Algorithm 2 per
// layer (FGQ blocks of N weights, ternary residuals added to the worst block until the error is
// below epsilon), the residual levels switched on and off live ("battery-saving mode") with
// accuracy, Table 2's model size, multiplications and the power-performance estimate X/(C(X/N+1)).
// Sections: 1. helpers  2. the panel: state, jobs, step, metrics  3. controls (model, Algorithm 2,
// level switch, figures at the kept level)  4. views (error per step, r_i histogram, block strip,
// levels table, Table 2), the Pareto view  5. layout. The analysis lives in
// ternary_model.{hpp,cpp}; this file draws.
#include <emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../app.hpp"
#include "../ui/widgets.hpp"
#include "imgui.h"
#include "model_lesson.hpp"
#include "ternary_model.hpp"

namespace quantlab {
namespace {

using ternary::Analysis;
using widgets::error_text;
using widgets::record_item;
using widgets::section;

// ---- 1. Helpers -----------------------------------------------------------------------------

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

// ---- 2. The panel -----------------------------------------------------------------------------

class TernaryPanel : public ModelLesson {
  public:
    const char* key() const override { return "ternary"; }
    const char* title() const override { return "Ternary"; }
    const char* what_to_try() const override {
        return "Train the model (space), then switch the residual levels off from the top: what "
               "does each cost "
               "in accuracy, and what does it save in size, multiplications and power? Try N = 4 "
               "and N = 256.";
    }

    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(App& app) override;
    int step(App& app, int n) override;
    // Space trains the shared model (a finished run starts over from fresh weights, as in Train).
    void toggle_run(App& app) override { toggle_training(app); }
    void on_state_changed(App& app, const std::vector<std::string>& /*keys*/) override {
        open_ = app.state().panel == "ternary";
        view_ = app.state().tview == "pareto" ? 1 : 0;  // the view is in the link
    }
    std::vector<PanelJob> jobs() override {
        std::vector<PanelJob> out = training_jobs();
        // Called by the shell right after it stepped the jobs: the finish time is exact.
        a_.poll(emscripten_get_now());
        if (open_ && a_.job_running()) out.push_back({"ternary residuals", a_.job()});
        f_.poll(emscripten_get_now());
        if (open_ && f_.job_running()) out.push_back({"Pareto frontier", f_.job()});
        return out;
    }

  private:
    void refresh(App& app);
    bool untrained() const { return s_.batches_done() == 0 && !s_.model_from_file(); }
    std::string status_line() const;
    void set_keep(App& app, int level);

    void draw_controls(App& app, const UiScale& ui);
    void draw_level_switch(App& app, const UiScale& ui);
    void draw_kept_figures(App& app, const UiScale& ui);
    void draw_views(App& app, const UiScale& ui);
    void draw_error_plot(App& app, const UiScale& ui, ImVec2 size);
    void draw_histogram(App& app, const UiScale& ui, ImVec2 size);
    void draw_strip(App& app, const UiScale& ui, float width);
    void draw_levels_table(App& app, const UiScale& ui);
    void draw_table2(App& app, const UiScale& ui);
    void draw_view_switch(App& app, const UiScale& ui);
    void draw_residual_views(App& app, const UiScale& ui);
    void draw_pareto(App& app, const UiScale& ui);

    Analysis a_;
    ternary::Frontier f_;
    int view_ = 0;                          // 0: residuals, 1: the Pareto frontier
    double pareto_axes_[4] = {0, 1, 0, 1};  // the plot's last x0, x1, y0, y1 (for tests to hover)
    float pareto_inner_[4] = {0, 0, 0, 0};  // its inner rectangle in CSS pixels
    bool open_ = false;
    int layer_ = 0;  // the layer the histogram and strip show
    int tblock_draft_ = -1;
    double ttol_draft_ = -1;
    std::string option_error_;
};

void TernaryPanel::refresh(App& app) {
    s_.sync_data(app);
    s_.tick(app);
    const qlab::LabState& s = app.state();
    ternary::AnalysisKey key;
    key.generation = s_.model_generation();
    key.batches = s_.batches_done();
    key.block = static_cast<std::size_t>(s.tblock);
    key.tolerance = s.ttol;
    static const qlab::Model kNoModel;
    static const qlab::Dataset kNoData;
    const bool ready = s_.has_model() && s_.has_data();
    a_.update(ready ? s_.model() : kNoModel, ready ? s_.split().test : kNoData, key, s_.running(),
              emscripten_get_now());
    f_.update(ready ? s_.model() : kNoModel, ready ? s_.split().test : kNoData, key, s_.running(),
              view_ == 1, emscripten_get_now());
}

int TernaryPanel::step(App& app, int n) {
    s_.sync_data(app);
    const qlab::TrainJob* tj = s_.job();
    // Step trains the model until it is trained; then it advances Algorithm 2 and the levels, then
    // the Pareto frontier.
    if (untrained() || (tj && tj->running())) {
        const int taken = s_.step(app, n);
        refresh(app);
        return taken;
    }
    refresh(app);
    qlab::Job* job = a_.job_running()   ? static_cast<qlab::Job*>(a_.job())
                     : f_.job_running() ? static_cast<qlab::Job*>(f_.job())
                                        : nullptr;
    if (!job) return 0;
    const long long before = job->progress().done;
    job->step(n);
    a_.poll(emscripten_get_now());
    f_.poll(emscripten_get_now());
    return static_cast<int>(job->progress().done - before);
}

void TernaryPanel::set_keep(App& app, int level) {
    // The deepest level is "everything": keep = 32 stays valid when a new N or epsilon builds more.
    app.set("keep", level >= a_.max_level() ? "32" : std::to_string(level));
}

std::string TernaryPanel::status_line() const {
    char buf[200];
    switch (a_.phase()) {
        case Analysis::Phase::no_model:
            return s_.loading() ? "loading " + s_.loading_name() + "..." : "no model yet";
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

nlohmann::json TernaryPanel::metrics(App& app) {
    using nlohmann::json;
    refresh(app);
    const qlab::LabState& s = app.state();
    json j;
    j["tblock"] = s.tblock;
    j["ttol"] = s.ttol;
    j["keep"] = s.keep;
    j["gain_x"] = ternary::kGainX;
    j["model"] = s_.has_data() ? s_.model_spec(s) : "";
    j["model_from_file"] = s_.model_from_file();
    j["model_batches"] = s_.batches_done();
    j["batches"] = s_.batches_done();  // the name the other model lessons use (challenge goals)
    j["training"] = s_.running();
    const qlab::TrainJob* tj = s_.job();
    j["training_state"] = !tj                                       ? "idle"
                          : tj->state() == qlab::JobState::finished ? "finished"
                          : s_.running()                            ? "running"
                                                                    : "paused";
    j["test_accuracy"] = s_.test_accuracy_now() >= 0 ? json(s_.test_accuracy_now()) : json(nullptr);
    static const char* const kPhases[] = {"no_model", "training", "running", "finished", "failed"};
    j["state"] = kPhases[static_cast<int>(a_.phase())];
    j["error"] = a_.error();
    j["current"] = a_.current();
    j["jobs_started"] = a_.jobs_started();
    if (a_.job_running()) {
        const qlab::JobProgress p = a_.job()->progress();
        j["progress"] = {{"done", p.done}, {"total", p.total}, {"stage", p.stage}};
    } else {
        j["progress"] = nullptr;
    }
    j["job_ms"] = a_.job_ms();
    j["view"] = view_ == 1 ? "pareto" : "residuals";
    json pareto;
    pareto["state"] = f_.state();
    pareto["error"] = f_.error();
    pareto["current"] = f_.current();
    pareto["job_ms"] = f_.job_ms();
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
    j["pareto"] = pareto;
    const qlab::KunduResult* r = a_.result();
    if (!r) {
        j["levels"] = json::array();
        j["layers"] = json::array();
        return j;
    }
    j["analysed_batches"] = a_.result_key().batches;
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
    j["shown_layer"] = layer_;
    return j;
}

// ---- 3. Controls ------------------------------------------------------------------------------

void TernaryPanel::draw_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const qlab::TrainJob* tj = s_.job();
    const char* run_label = s_.running()          ? "Pause training"
                            : tj && tj->running() ? "Resume training"
                            : untrained()         ? "Train the model"
                            : !tj                 ? "Fine-tune the loaded model"
                                                  : "Retrain from fresh weights";
    if (ImGui::Button(run_label, ImVec2(-1, 0))) toggle_run(app);
    record_item(app, ui, "ternary_run_button");
    widgets::tooltip_on_hover(
        "Space. Trains the lab's one model (the Train lesson's): its data, hidden layers and "
        "epochs are set there. The analysis runs on the weights once training stops.");
    if (tj) {
        ImGui::TextDisabled("%s: epoch %d of %d, %lld batches",
                            s_.running() ? "training" : "trained", tj->epoch(), tj->epochs(),
                            s_.batches_done());
    } else {
        ImGui::TextDisabled(
            "%s", s_.model_from_file() ? "model loaded from a file" : "untrained weights");
    }

    section("Model (shared with Train)");
    if (s_.has_data()) {
        ImGui::TextWrapped("%s on %s", s_.model_spec(s).c_str(), s_.data_name().c_str());
        if (s_.test_accuracy_now() >= 0)
            ImGui::Text("float test accuracy %.2f%%", 100 * s_.test_accuracy_now());
    } else {
        ImGui::TextDisabled(
            "%s", s_.loading() ? ("loading " + s_.loading_name() + "...").c_str() : "no data");
    }
    if (ImGui::SmallButton("change it in Train")) app.set("panel", "train");
    record_item(app, ui, "ternary_open_train");

    section("Algorithm 2");
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
            if (ImGui::SmallButton(label)) app.set("tblock", label);
            record_item(app, ui, std::string("ternary_tblock_") + label);
        }
    }
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
    error_text(option_error_);
    ImGui::TextDisabled("%s", status_line().c_str());
    if (a_.phase() == Analysis::Phase::failed) {
        ImGui::SameLine();
        if (ImGui::SmallButton("run again")) a_.retry();
        record_item(app, ui, "ternary_retry");
    }

    section("Residual levels (battery-saving mode)");
    draw_level_switch(app, ui);
    section("At the kept level");
    draw_kept_figures(app, ui);
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
        if (ImGui::Button(label, ImVec2(std::max(w, ui.px(28)), 0))) set_keep(app, level);
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
        "8-2 over 8-8 gain (the paper's estimate X = 5.5 for N = 64).",
        "Kundu et al. §3.2.1 / §4");
    ImGui::Text("%.3f x over 8-8", v.power_performance);
    ImGui::SetCursorPosX(col);
    ImGui::TextDisabled("X = %.1f, N = %zu, C = %.3f", ternary::kGainX, a_.result_key().block,
                        v.compute);
}

// ---- 4. Views ---------------------------------------------------------------------------------

void TernaryPanel::draw_error_plot(App& app, const UiScale& ui, ImVec2 size) {
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

void TernaryPanel::draw_histogram(App& app, const UiScale& ui, ImVec2 size) {
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

void TernaryPanel::draw_strip(App& app, const UiScale& ui, float width) {
    const qlab::KunduResult* r = a_.result();
    if (!r) return;
    const qlab::ResidualTensor& t = r->layers[static_cast<std::size_t>(layer_)].tensor;
    const float* w =
        a_.result_model().layers[r->layers[static_cast<std::size_t>(layer_)].layer].weight.data();
    const int kept = a_.level_for(app.state().keep);
    // The first weights of the layer, whole blocks while they fit at >= 3 px a weight.
    const float label_w = ui.px(86);
    const float min_cell = ui.px(3);
    std::size_t shown = std::min<std::size_t>(
        t.n, static_cast<std::size_t>(std::max(1.0f, (width - label_w) / min_cell)));
    std::size_t blocks = 0, whole = 0;
    for (const qlab::ResidualBlock& b : t.blocks) {
        if (b.begin + b.size > shown) break;
        ++blocks, whole = b.begin + b.size;
    }
    if (blocks > 0)
        shown = whole;
    else
        blocks = 1;  // one long block: show its beginning
    const int max_terms = 1 + t.max_residuals();
    const int term_rows = std::min(max_terms, 8);
    const int rows = 1 + term_rows + 2;  // W, terms, W^ at the level, W - W^
    const float cell = std::min(ui.px(14), (width - label_w) / static_cast<float>(shown));
    const float row_h = ImGui::GetFontSize() * 1.25f;
    ImGui::TextUnformatted(
        "Blocks of the layer: weights, ternary terms, the kept sum and what it misses");
    widgets::help_marker(
        "Each column is one weight (the first blocks of the row-major matrix). Term 0 is Algorithm "
        "1's "
        "ternary alpha*W^ of the block; terms 1.. are the residuals Algorithm 2 added. Terms "
        "beyond "
        "the kept level are drawn faded; empty cells: the block needed fewer terms. Colour: blue "
        "negative, red positive (square-root scale).",
        "Kundu et al. Algorithms 1-2");
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 size(label_w + cell * static_cast<float>(shown), row_h * static_cast<float>(rows));
    ImGui::InvisibleButton("##strip", size);
    record_item(app, ui, "ternary_strip");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    double scale = 0;
    for (std::size_t i = 0; i < shown; ++i)
        scale = std::max(scale, static_cast<double>(std::fabs(w[i])));
    // Which block a weight is in, and the sums at the kept level (the strip is small: per frame).
    std::vector<std::size_t> block_of(shown);
    for (std::size_t b = 0; b < t.blocks.size() && t.blocks[b].begin < shown; ++b)
        for (std::size_t i = t.blocks[b].begin;
             i < std::min(shown, t.blocks[b].begin + t.blocks[b].size); ++i)
            block_of[i] = b;
    std::vector<double> w_hat(shown, 0.0);
    for (std::size_t i = 0; i < shown; ++i) {
        const qlab::ResidualBlock& b = t.blocks[block_of[i]];
        for (int k = 0; k <= std::min(kept, b.residuals()); ++k)
            w_hat[i] += b.terms[static_cast<std::size_t>(k)].alpha *
                        b.terms[static_cast<std::size_t>(k)].signs[i - b.begin];
    }
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text),
                empty = ImGui::GetColorU32(ImGuiCol_FrameBg);
    auto row_y = [&](int row) { return p0.y + row_h * static_cast<float>(row); };
    auto label = [&](int row, const char* s) {
        dl->AddText(ImVec2(p0.x, row_y(row) + (row_h - ImGui::GetFontSize()) / 2), text, s);
    };
    label(0, "W (float)");
    for (int k = 0; k < term_rows; ++k) {
        char s[24];
        std::snprintf(s, sizeof s, k == 0 ? "term 0 FGQ" : "term %d", k);
        label(1 + k, s);
    }
    char s[32];
    std::snprintf(s, sizeof s, "W^ (level %d)", kept);
    label(1 + term_rows, s);
    label(2 + term_rows, "W - W^");
    const float x0 = p0.x + label_w, gap = cell > ui.px(5) ? ui.px(1) : 0;
    for (std::size_t i = 0; i < shown; ++i) {
        const float x = x0 + cell * static_cast<float>(i);
        const qlab::ResidualBlock& b = t.blocks[block_of[i]];
        auto put = [&](int row, ImU32 c) {
            dl->AddRectFilled(ImVec2(x, row_y(row) + ui.px(1)),
                              ImVec2(x + cell - gap, row_y(row + 1) - ui.px(1)), c);
        };
        put(0, diverging(w[i], scale));
        for (int k = 0; k < term_rows; ++k) {
            if (k > b.residuals()) {
                put(1 + k, empty);
                continue;
            }
            const qlab::TernaryVector& term = b.terms[static_cast<std::size_t>(k)];
            ImU32 c = diverging(term.alpha * term.signs[i - b.begin], scale);
            if (k > kept) c = (c & 0x00FFFFFF) | (static_cast<ImU32>(60) << IM_COL32_A_SHIFT);
            put(1 + k, c);
        }
        put(1 + term_rows, diverging(w_hat[i], scale));
        put(2 + term_rows, diverging(w[i] - w_hat[i], scale));
    }
    // Block boundaries, where blocks are wide enough for a line not to hide them.
    if (cell * static_cast<float>(a_.result_key().block) >= ui.px(10))
        for (std::size_t b = 1; b < t.blocks.size() && t.blocks[b].begin < shown; ++b) {
            const float x = x0 + cell * static_cast<float>(t.blocks[b].begin) - gap / 2;
            dl->AddLine(ImVec2(x, p0.y), ImVec2(x, p0.y + size.y), IM_COL32(20, 20, 30, 160),
                        ui.px(1));
        }
    if (ImGui::IsItemHovered()) {
        const float mx = ImGui::GetIO().MousePos.x;
        if (mx >= x0) {
            const auto i = static_cast<std::size_t>((mx - x0) / cell);
            if (i < shown) {
                const qlab::ResidualBlock& b = t.blocks[block_of[i]];
                ImGui::BeginTooltip();
                ImGui::Text("weight %zu (row %zu, column %zu), block %zu with r_i = %d", i,
                            i / a_.layers()[layer_].cols, i % a_.layers()[layer_].cols, block_of[i],
                            b.residuals());
                ImGui::Text("W = %.5f", w[i]);
                for (int k = 0; k <= b.residuals() && k < 12; ++k) {
                    const qlab::TernaryVector& term = b.terms[static_cast<std::size_t>(k)];
                    ImGui::Text("term %d: alpha %.5f x %+d%s", k, term.alpha,
                                term.signs[i - b.begin], k > kept ? "  (off)" : "");
                }
                ImGui::Text("W^ = %.5f, W - W^ = %.5f", w_hat[i], w[i] - w_hat[i]);
                ImGui::EndTooltip();
            }
        }
    }
    if (max_terms > term_rows)
        ImGui::TextDisabled("(terms %d..%d not drawn)", term_rows, max_terms - 1);
    ImGui::TextDisabled("the first %zu of %zu weights, %zu blocks of N = %zu", shown, t.n, blocks,
                        a_.result_key().block);
}

void TernaryPanel::draw_levels_table(App& app, const UiScale& ui) {
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
    if (!ImGui::BeginTable("##levels", 8, flags)) return;
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
            set_keep(app, static_cast<int>(i));
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
    ImGui::EndTable();
    ImGui::TextDisabled("float: %.2f%%, 32 bits/weight, %s MACs per example",
                        100 * r->float_accuracy,
                        count_text(a_.levels().empty() ? 0 : a_.levels()[0].cost.macs).c_str());
}

void TernaryPanel::draw_table2(App& /*app*/, const UiScale& /*ui*/) {
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
    if (!ImGui::BeginTable("##table2", 7, flags)) return;
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
    ImGui::EndTable();
}

// ---- 5. Layout --------------------------------------------------------------------------------

void TernaryPanel::draw_residual_views(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    if (!a_.result()) {
        if (a_.phase() == Analysis::Phase::no_model)
            ImGui::TextDisabled("Waiting for the data set and the model...");
        else
            ImGui::TextDisabled("%s", status_line().c_str());
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
    draw_error_plot(app, ui, plot_size);
    if (avail > ui.px(560)) ImGui::SameLine();
    draw_histogram(app, ui, ImVec2(avail > ui.px(560) ? avail - plot_w - gap : avail, ui.px(190)));
    if (!r) return;
    ImGui::Spacing();
    draw_strip(app, ui, avail);
    ImGui::Spacing();
    draw_levels_table(app, ui);
    ImGui::Spacing();
    draw_table2(app, ui);
}

void TernaryPanel::draw_view_switch(App& app, const UiScale& ui) {
    const char* const names[] = {"Residuals (Kundu)", "Pareto frontier"};
    const char* const views[] = {"ternary_view_residuals", "ternary_view_pareto"};
    for (int v = 0; v < 2; ++v) {
        if (v > 0) ImGui::SameLine(0, ui.px(2));
        const bool on = view_ == v;
        ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(on ? ImGuiCol_ButtonActive
                                                                           : ImGuiCol_FrameBg));
        ImGui::PushStyleColor(ImGuiCol_Text,
                              on ? ImVec4(1, 1, 1, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
        if (ImGui::Button(names[v])) app.set("tview", v ? "pareto" : "residuals");
        ImGui::PopStyleColor(2);
        record_item(app, ui, views[v]);
    }
    ImGui::SameLine();
    if (view_ == 0)
        ImGui::TextDisabled("Algorithm 2 on every layer and the accuracy of each residual level");
    else
        ImGui::TextDisabled(
            "test accuracy against bits per weight, formats applied to the weights only");
}

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

void TernaryPanel::draw_pareto(App& app, const UiScale& ui) {
    const qlab::ParetoResult* r = f_.result();
    const std::string state = f_.state();
    if (state == "training")
        ImGui::TextDisabled("training: the frontier waits for the weights to settle");
    if (state == "failed") {
        error_text("Pareto frontier stopped: " + f_.error());
        if (ImGui::SmallButton("run again")) f_.retry();
        record_item(app, ui, "ternary_pareto_retry");
    }
    if (f_.job_running()) {
        const qlab::JobProgress p = f_.job()->progress();
        ImGui::TextDisabled("evaluating %s (%lld of %lld)", p.stage.c_str(), p.done, p.total);
    } else if (r && state == "finished") {
        ImGui::TextDisabled("%zu formats in %.0f ms on %zu weights, N = %zu for ternary",
                            r->points.size(), f_.job_ms(), r->weights, f_.key().block);
    }
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
    pareto_axes_[0] = p.x0, pareto_axes_[1] = p.x1, pareto_axes_[2] = p.y0, pareto_axes_[3] = p.y1;
    pareto_inner_[0] = p.p0.x / ui.dpr, pareto_inner_[1] = p.p0.y / ui.dpr;
    pareto_inner_[2] = p.p1.x / ui.dpr, pareto_inner_[3] = p.p1.y / ui.dpr;
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

    if (hovered >= 0) {
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
    if (!r) return;
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
    ImGui::Spacing();
    ImGui::TextUnformatted("The frontier");
    const ImGuiTableFlags flags =
        ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    if (ImGui::BeginTable("##frontier", 4, flags)) {
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
        ImGui::EndTable();
    }
    for (const std::string& why : r->skipped) ImGui::TextDisabled("skipped %s", why.c_str());
}

void TernaryPanel::draw_views(App& app, const UiScale& ui) {
    draw_view_switch(app, ui);
    if (view_ == 1)
        draw_pareto(app, ui);
    else
        draw_residual_views(app, ui);
}

void TernaryPanel::draw(App& app, const UiScale& ui) {
    open_ = true;
    refresh(app);
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(330), avail * 0.4f);
    widgets::begin_recorded_child(app, ui, "ternary_controls", ImVec2(left, 0));
    draw_controls(app, ui);
    ImGui::EndChild();
    ImGui::SameLine();
    widgets::begin_recorded_child(app, ui, "ternary_views", ImVec2(0, 0));
    draw_views(app, ui);
    ImGui::EndChild();
}

}  // namespace

QLAB_REGISTER_PANEL(TernaryPanel)

}  // namespace quantlab
