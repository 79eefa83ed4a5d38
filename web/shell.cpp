// The shell around the lessons (see shell.hpp).
// Sections: 1. style  2. jobs  3. keys  4. challenge  5. drawing
#include "shell.hpp"

#include <GLFW/glfw3.h>
#include <emscripten.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab {

// ---- 1. Style -----------------------------------------------------------------------------------

void apply_style(const std::string& theme, float dpr) {
    ImGuiStyle style;
    const bool dark = theme == "dark";
    if (dark) {
        ImGui::StyleColorsDark(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.12f, 0.14f, 1);
        style.Colors[ImGuiCol_ChildBg] = ImVec4(0.11f, 0.12f, 0.14f, 1);
    } else {
        ImGui::StyleColorsLight(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.96f, 1);
    }
    style.WindowRounding = 0;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.FramePadding = ImVec2(6, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.ScaleAllSizes(dpr);
    ImGui::GetStyle() = style;
}

// ---- 2. Jobs ------------------------------------------------------------------------------------

double run_jobs(App& app, double budget_ms) {
    const double start = emscripten_get_now();
    std::vector<qlab::Job*> running;
    // Lessons that share a job (the model's training) list it each; step it once per round.
    for (Panel* p : panels())
        for (const PanelJob& j : p->jobs())
            if (j.job && j.job->running() &&
                std::find(running.begin(), running.end(), j.job) == running.end())
                running.push_back(j.job);
    // Round robin, one unit each, so two jobs share the budget and none starves.
    if (running.empty()) return -1;
    do {
        for (qlab::Job* job : running) job->step(1);
        running.erase(std::remove_if(running.begin(), running.end(),
                                     [](qlab::Job* j) { return !j->running(); }),
                      running.end());
    } while (!running.empty() && emscripten_get_now() - start < budget_ms);
    // A job that failed says why, once.
    static std::set<const qlab::Job*> reported;
    for (Panel* p : panels())
        for (const PanelJob& j : p->jobs())
            if (j.job && j.job->state() == qlab::JobState::failed && reported.insert(j.job).second)
                app.report(std::string(j.label) + " stopped: " + j.job->status().message(),
                           MessageLevel::error);
    const double spent = emscripten_get_now() - start;
    app.job_ms_this_interval += spent;
    return spent;
}

double run_jobs_between_frames(App& app, double slice_ms) {
    app.last_pump_ms = emscripten_get_now();
    bool any = false;
    for (Panel* p : panels())
        for (const PanelJob& j : p->jobs()) any = any || (j.job && j.job->running());
    if (!any) return -1;
    const double left = app.job_budget_ms() - app.job_ms_this_interval;
    if (left <= 0) return 0;
    return std::max(1e-3, run_jobs(app, std::min(slice_ms, left)));
}

// ---- 3. Keys ------------------------------------------------------------------------------------

void handle_keys(App& app) {
    std::vector<int> keys;
    keys.swap(app.pending_keys);
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || io.KeyCtrl || io.KeyAlt || io.KeySuper) return;
    Panel* panel = find_panel(app.state().panel);
    if (!panel) return;
    for (int key : keys) {
        if (key == GLFW_KEY_SPACE) panel->toggle_run(app);
        if (key == GLFW_KEY_S) panel->step(app, 1);
    }
}

// ---- 4. Challenge -------------------------------------------------------------------------------

const ChallengeStatus& current_challenge(App& app, bool now) {
    constexpr double kRecheckSeconds = 0.25;
    static ChallengeStatus status;
    static double checked_at = -1e9;
    static std::string checked_panel;
    const std::string& goal = app.state().goal;
    if (goal.empty()) {
        status = ChallengeStatus{};
        return status;
    }
    if (!now && goal == status.goal && checked_panel == app.state().panel &&
        app.now - checked_at < kRecheckSeconds)
        return status;
    Panel* open = find_panel(app.state().panel);
    status = check_challenge(goal, open ? open->metrics(app) : nlohmann::json::object());
    checked_at = app.now;
    checked_panel = app.state().panel;
    return status;
}

// ---- 5. Drawing ---------------------------------------------------------------------------------

namespace {

// The challenge line: each term with the lesson's current value, then pass or not yet.
void draw_challenge(App& app, float dpr) {
    const ChallengeStatus& c = current_challenge(app, false);
    if (c.terms.empty()) return;
    const bool dark = app.state().theme == "dark";
    const ImVec4 pass = dark ? ImVec4(0.45f, 0.9f, 0.5f, 1) : ImVec4(0.05f, 0.45f, 0.12f, 1);
    const ImVec4 open = dark ? ImVec4(1, 0.75f, 0.4f, 1) : ImVec4(0.6f, 0.3f, 0.0f, 1);
    ImGui::TextUnformatted("Challenge:");
    ImGui::SameLine();
    for (std::size_t i = 0; i < c.terms.size(); ++i) {
        const ChallengeTermStatus& t = c.terms[i];
        char value[48];
        if (t.found)
            std::snprintf(value, sizeof value, "%.4g", t.value);
        else
            std::snprintf(value, sizeof value, "not measured yet");
        ImGui::PushStyleColor(ImGuiCol_Text, t.met ? pass : open);
        ImGui::Text("%s%s (now %s)", i ? "and " : "", qlab::goal_term_text(t.term).c_str(), value);
        ImGui::PopStyleColor();
        ImGui::SameLine();
    }
    ImGui::PushStyleColor(ImGuiCol_Text, c.pass ? pass : open);
    ImGui::TextUnformatted(c.pass ? "-- PASSED" : "-- not yet");
    ImGui::PopStyleColor();
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view("challenge_status", a.x, a.y, b.x - a.x, b.y - a.y, dpr);
    widgets::tooltip_on_hover(
        "This link sets a goal. Change the controls that are not locked until every term is met.");
}

void draw_messages(App& app) {
    if (app.messages().empty()) return;
    const bool dark = app.state().theme == "dark";
    ImGui::PushStyleColor(ImGuiCol_ChildBg,
                          dark ? ImVec4(0.30f, 0.18f, 0.10f, 1) : ImVec4(1.0f, 0.93f, 0.85f, 1));
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float height = line * (static_cast<float>(app.messages().size()) + 0.6f) +
                         ImGui::GetStyle().WindowPadding.y * 2;
    ImGui::BeginChild("messages", ImVec2(0, height), true);
    for (const Message& m : app.messages()) {
        const ImVec4 color = m.level == MessageLevel::info
                                 ? (dark ? ImVec4(0.7f, 0.8f, 1, 1) : ImVec4(0.1f, 0.3f, 0.6f, 1))
                                 : (dark ? ImVec4(1, 0.7f, 0.5f, 1) : ImVec4(0.65f, 0.2f, 0.0f, 1));
        ImGui::PushStyleColor(ImGuiCol_Text, color);
        ImGui::TextWrapped("%s", m.text.c_str());
        ImGui::PopStyleColor();
    }
    if (ImGui::SmallButton("Dismiss")) app.dismiss_messages();
    ImGui::EndChild();
    ImGui::PopStyleColor();
}

// One row, always there (so controls never jump when a job starts or ends): a download's
// progress, then each running job's progress bar and Cancel button side by side.
void draw_jobs(App& app, Panel& panel) {
    std::vector<PanelJob> running;
    for (const PanelJob& j : panel.jobs())
        if (j.job && j.job->running()) running.push_back(j);
    const bool loading = app.dataset_progress >= 0;
    const int slots = static_cast<int>(running.size()) + (loading ? 1 : 0);
    if (slots == 0) {
        ImGui::Dummy(ImVec2(0, ImGui::GetFrameHeight()));
        return;
    }
    const ImGuiStyle& style = ImGui::GetStyle();
    const float cancel_w = ImGui::CalcTextSize("Cancel").x + style.FramePadding.x * 2;
    const float slot_w =
        (ImGui::GetContentRegionAvail().x - style.ItemSpacing.x * static_cast<float>(slots - 1)) /
        static_cast<float>(slots);
    bool first = true;
    if (loading) {
        const std::string label = "loading " + app.dataset_loading;
        ImGui::ProgressBar(static_cast<float>(app.dataset_progress), ImVec2(slot_w, 0),
                           label.c_str());
        first = false;
    }
    for (const PanelJob& j : running) {
        if (!first) ImGui::SameLine();
        first = false;
        const qlab::JobProgress p = j.job->progress();
        ImGui::PushID(j.label);
        const std::string text = std::string(j.label) + ": " + p.stage;
        ImGui::ProgressBar(p.total > 0 ? static_cast<float>(p.fraction()) : 0.0f,
                           ImVec2(slot_w - cancel_w - style.ItemSpacing.x, 0), text.c_str());
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) j.job->cancel();
        ImGui::PopID();
    }
}

// Where the last item was drawn, for tests and course pages (metrics().layout).
void record_item(App& app, const std::string& name, float dpr) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view(name, a.x, a.y, b.x - a.x, b.y - a.y, dpr);
}

void draw_title(App& app, Panel* open, float dpr) {
    ImGui::PushStyleColor(ImGuiCol_Text, app.state().theme == "dark"
                                             ? ImVec4(0.6f, 0.75f, 1, 1)
                                             : ImVec4(0.15f, 0.2f, 0.45f, 1));
    ImGui::TextUnformatted("QuantLab");
    ImGui::PopStyleColor();
    ImGui::SameLine();
    ImGui::TextDisabled("how much precision does a model need?");
    const char* theme_label = app.state().theme == "dark" ? "Light theme" : "Dark theme";
    const float w = ImGui::CalcTextSize(theme_label).x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - w);
    if (ImGui::SmallButton(theme_label))
        app.set("theme", app.state().theme == "dark" ? "light" : "dark");
    record_item(app, "theme_button", dpr);
    (void)open;
}

}  // namespace

void draw_shell(App& app, const UiScale& ui) {
    Panel* open = find_panel(app.state().panel);
    if (!app.embedded) {
        draw_title(app, open, ui.dpr);
        // The lesson picker: one tab-like button per lesson. Plain buttons rather than ImGui's tab
        // bar, whose selection lags a frame behind and must be synced with the URL's panel key.
        const ImGuiStyle& style = ImGui::GetStyle();
        for (Panel* p : panels()) {
            const bool is_open = app.state().panel == p->key();
            ImGui::PushStyleColor(ImGuiCol_Button,
                                  style.Colors[is_open ? ImGuiCol_TabActive : ImGuiCol_Tab]);
            ImGui::PushStyleColor(ImGuiCol_ButtonHovered, style.Colors[ImGuiCol_TabHovered]);
            ImGui::PushStyleColor(ImGuiCol_Text, is_open ? style.Colors[ImGuiCol_Text]
                                                         : style.Colors[ImGuiCol_TextDisabled]);
            if (ImGui::Button(p->title()) && !is_open) app.set("panel", p->key());
            ImGui::PopStyleColor(3);
            record_item(app, std::string("tab_") + p->key(), ui.dpr);
            ImGui::SameLine(0, ui.px(2));
        }
        ImGui::NewLine();
        open = find_panel(app.state().panel);
    }
    if (open) {
        ImGui::TextDisabled("%s", open->what_to_try());
        widgets::tooltip_on_hover("Space runs or pauses, S steps.");
        draw_challenge(app, ui.dpr);
    }
    draw_messages(app);
    if (!open) {
        ImGui::TextWrapped("No lesson called '%s'.", app.state().panel.c_str());
        return;
    }
    draw_jobs(app, *open);
    ImGui::Separator();
    ImGui::PushID(open->key());
    open->draw(app, ui);
    ImGui::PopID();
}

}  // namespace quantlab
