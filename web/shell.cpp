// The shell around the lessons (see shell.hpp).
// Sections: 1. keys  2. challenge  3. drawing
#include "shell.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/theme.hpp"
#include "ui/widgets.hpp"

namespace quantlab {

// ---- 1. Keys ------------------------------------------------------------------------------------

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

// ---- 2. Challenge -------------------------------------------------------------------------------

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
    const Panel* open = app.open_panel();
    status = check_challenge(goal, open ? open->metrics(app) : nlohmann::json::object());
    checked_at = app.now;
    checked_panel = app.state().panel;
    return status;
}

// ---- 3. Drawing ---------------------------------------------------------------------------------

namespace {

// The challenge line: each term with the lesson's current value, then pass or not yet.
void draw_challenge(App& app, float dpr) {
    const ChallengeStatus& c = current_challenge(app, false);
    if (c.terms.empty()) return;
    const ImVec4 pass = widgets::theme_colors().pass, open = widgets::theme_colors().pending;
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

// A message as drawn: its text, then "(x3)" when it was reported three times.
std::string message_text(const Message& m) {
    return m.count > 1 ? m.text + " (x" + std::to_string(m.count) + ")" : m.text;
}

// Warnings and errors: a box above the lesson that stays until dismissed.
void draw_problems(App& app, const UiScale& ui) {
    const float dpr = ui.dpr;
    const auto is_problem = [](const Message& m) { return m.level != MessageLevel::info; };
    const auto count = std::count_if(app.messages().begin(), app.messages().end(), is_problem);
    if (count == 0) return;
    const widgets::ThemeColors& colors = widgets::theme_colors();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, colors.message_bg);
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float button = ui.touch ? ImGui::GetFrameHeightWithSpacing() : line * 0.6f;
    const float height =
        line * static_cast<float>(count) + button + ImGui::GetStyle().WindowPadding.y * 2;
    ImGui::BeginChild("messages", ImVec2(0, height), true);
    for (const Message& m : app.messages())
        if (is_problem(m))
            widgets::colored_text(m.level == MessageLevel::error ? colors.error : colors.warning,
                                  message_text(m).c_str());
    if (widgets::small_button("Dismiss")) app.dismiss_messages();
    ImGui::EndChild();
    ImGui::PopStyleColor();
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view("messages", a.x, a.y, b.x - a.x, b.y - a.y, dpr);
}

// Notes ("the model is trained ...", "Link copied"): a quiet box floating at the bottom right
// for a few seconds, over the lesson rather than pushing it down; messages() keeps them.
void draw_notes(App& app, float dpr) {
    constexpr double kNoteSeconds = 8;
    std::vector<const Message*> notes;
    for (const Message& m : app.messages())
        if (m.level == MessageLevel::info && app.now - m.shown_at < kNoteSeconds)
            notes.push_back(&m);
    if (notes.empty()) return;
    const widgets::ThemeColors& colors = widgets::theme_colors();
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float margin = ImGui::GetStyle().WindowPadding.x * 2;
    ImGui::SetNextWindowPos(ImVec2(display.x - margin, display.y - margin), ImGuiCond_Always,
                            ImVec2(1, 1));
    ImGui::PushStyleColor(ImGuiCol_WindowBg, colors.note_bg);
    ImGui::Begin("##notes", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                     ImGuiWindowFlags_NoNav | ImGuiWindowFlags_NoInputs);
    ImGui::PushTextWrapPos(std::min(display.x * 0.6f, 560.0f * dpr));
    for (const Message* m : notes) {
        ImGui::PushStyleColor(ImGuiCol_Text, colors.info);
        ImGui::TextUnformatted(message_text(*m).c_str());
        ImGui::PopStyleColor();
    }
    ImGui::PopTextWrapPos();
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    app.record_view("notes", pos.x, pos.y, size.x, size.y, dpr);
    ImGui::End();
    ImGui::PopStyleColor();
}

// "label: stage (timing)" within `width`: the stage is cut short with "..." where the whole does
// not fit (ImGui centres a progress bar's text and clips both ends, which hid the label).
std::string job_text(const std::string& label, const std::string& stage, const std::string& timing,
                     float width) {
    const auto fits = [width](const std::string& t) {
        return ImGui::CalcTextSize(t.c_str()).x <= width;
    };
    const std::string whole = label + ": " + stage + " (" + timing + ")";
    if (fits(whole)) return whole;
    std::size_t keep = stage.size();
    std::string text;
    do {
        keep = keep > 4 ? keep - keep / 4 : 0;
        while (keep > 0 && (stage[keep] & 0xC0) == 0x80) --keep;  // not inside a UTF-8 character
        text = label + ": " + stage.substr(0, keep) + "... (" + timing + ")";
    } while (keep > 0 && !fits(text));
    return keep > 0 ? text : label + " (" + timing + ")";
}

// A download's progress, then each running job's progress bar and Cancel button side by side.
// With a mouse the row is always there (so controls never jump when a job starts or ends); on a
// touch screen, where a frame-high row is 44 px, only while something runs.
void draw_jobs(App& app, const UiScale& ui) {
    std::vector<ScheduledJob> running;
    for (const ScheduledJob& j : app.open_jobs())
        if (j.job && j.job->running()) running.push_back(j);
    const bool loading = app.dataset_progress >= 0;
    const int slots = static_cast<int>(running.size()) + (loading ? 1 : 0);
    if (slots == 0) {
        if (!ui.touch) ImGui::Dummy(ImVec2(0, ImGui::GetFrameHeight()));
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
    for (const ScheduledJob& j : running) {
        if (!first) ImGui::SameLine();
        first = false;
        const qlab::JobProgress p = j.job->progress();
        ImGui::PushID(j.label.c_str());
        // Elapsed and about how long is left, from the rate the job has progressed at.
        const float bar_w = slot_w - cancel_w - style.ItemSpacing.x;
        const std::string text =
            job_text(j.label, p.stage, timing_text(app.scheduler().timing(j.job)),
                     bar_w - 2 * style.FramePadding.x);
        ImGui::ProgressBar(p.total > 0 ? static_cast<float>(p.fraction()) : 0.0f, ImVec2(bar_w, 0),
                           text.c_str());
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

// "QuantLab", the subtitle where it fits, and at the right "Copy link" and the theme button.
void draw_title(App& app, const UiScale& ui) {
    const float dpr = ui.dpr;
    ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().title);
    ImGui::AlignTextToFramePadding();  // level with the buttons (frame-high on touch screens)
    ImGui::TextUnformatted("QuantLab");
    ImGui::PopStyleColor();
    const char* subtitle = "how much precision does a model need?";
    const char* theme_label = app.state().theme == "dark" ? "Light theme" : "Dark theme";
    const char* copy_label = "Copy link";
    const ImGuiStyle& style = ImGui::GetStyle();
    const auto button_w = [&](const char* l) {
        return ImGui::CalcTextSize(l).x + style.FramePadding.x * 2;
    };
    const float buttons = button_w(copy_label) + style.ItemSpacing.x + button_w(theme_label);
    const float right = ImGui::GetWindowContentRegionMax().x;
    ImGui::SameLine();
    if (ImGui::GetCursorPosX() + ImGui::CalcTextSize(subtitle).x + style.ItemSpacing.x <
        right - buttons)
        ImGui::TextDisabled("%s", subtitle);
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), right - buttons));
    if (widgets::small_button(copy_label)) app.share_request = ShareRequest::copy_link;
    record_item(app, "copy_link", dpr);
    widgets::tooltip_on_hover(
        "Copies a link to the lab as it is now: opening it shows this lesson with every setting.");
    ImGui::SameLine();
    if (widgets::small_button(theme_label))
        app.set("theme", app.state().theme == "dark" ? "light" : "dark");
    record_item(app, "theme_button", dpr);
}

// The lesson's "what to try" line, wrapped. In an embed, "Open in the full lab" sits at its
// right (or above it when the frame is too narrow for both side by side).
void draw_hint(App& app, const Panel& open, const UiScale& ui) {
    const float dpr = ui.dpr;
    float wrap = 0;  // 0: the window's edge
    if (app.embedded) {
        const char* label = "Open in the full lab";
        const ImGuiStyle& style = ImGui::GetStyle();
        const float w = ImGui::CalcTextSize(label).x + style.FramePadding.x * 2;
        const float avail = ImGui::GetContentRegionAvail().x;
        const ImVec2 start = ImGui::GetCursorPos();
        ImGui::SetCursorPosX(start.x + std::max(0.0f, avail - w));
        if (widgets::small_button(label)) app.share_request = ShareRequest::open_full_lab;
        record_item(app, "open_full_lab", dpr);
        widgets::tooltip_on_hover("Opens this lesson as it is now in the whole lab, in a new tab.");
        if (avail > 2.5f * w) {  // side by side
            ImGui::SetCursorPos(start);
            wrap = start.x + avail - w - style.ItemSpacing.x;
        }
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::PushTextWrapPos(wrap);
    ImGui::TextUnformatted(open.what_to_try());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    widgets::tooltip_on_hover("Space runs or pauses, S steps.");
}

}  // namespace

void draw_shell(App& app, const UiScale& ui) {
    Panel* open = find_panel(app.state().panel);
    if (!app.embedded) {
        draw_title(app, ui);
        // The lesson picker: one tab-like button per lesson. Plain buttons rather than ImGui's tab
        // bar, whose selection lags a frame behind and must be synced with the URL's panel key.
        // On a phone they wrap onto a second row rather than run off the right edge, at the same
        // place whether or not the lesson below has a scrollbar (tabs must not move under a
        // finger).
        const ImGuiStyle& style = ImGui::GetStyle();
        const float right = ImGui::GetWindowWidth() - style.WindowPadding.x - style.ScrollbarSize;
        bool first = true;
        for (Panel* p : panels()) {
            const float w = ImGui::CalcTextSize(p->title()).x + style.FramePadding.x * 2;
            if (!first) {
                ImGui::SameLine(0, ui.px(2));
                if (ImGui::GetCursorPosX() + w > right) ImGui::NewLine();
            }
            first = false;
            const bool is_open = app.state().panel == p->key();
            ImGui::PushStyleColor(ImGuiCol_Button,
                                  style.Colors[is_open ? ImGuiCol_TabActive : ImGuiCol_Tab]);
            ImGui::PushStyleColor(ImGuiCol_ButtonHovered, style.Colors[ImGuiCol_TabHovered]);
            ImGui::PushStyleColor(ImGuiCol_Text, is_open ? style.Colors[ImGuiCol_Text]
                                                         : style.Colors[ImGuiCol_TextDisabled]);
            if (ImGui::Button(p->title()) && !is_open) app.set("panel", p->key());
            ImGui::PopStyleColor(3);
            record_item(app, std::string("tab_") + p->key(), ui.dpr);
        }
        open = find_panel(app.state().panel);
    }
    if (open) {
        draw_hint(app, *open, ui);
        draw_challenge(app, ui.dpr);
    }
    draw_problems(app, ui);
    draw_notes(app, ui.dpr);
    if (!open) {
        ImGui::TextWrapped("No lesson called '%s'.", app.state().panel.c_str());
        return;
    }
    draw_jobs(app, ui);
    ImGui::Separator();
    ImGui::PushID(open->key());
    open->draw(app, ui);
    ImGui::PopID();
}

}  // namespace quantlab
