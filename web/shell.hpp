// The shell around the lessons: title bar, lesson picker (tabs), the "what to try" line,
// messages, job progress bars with Cancel, light and dark themes, keyboard shortcuts, and the
// per-frame time budget in which every panel's jobs are stepped.
#pragma once

#include <string>

#include "app.hpp"
#include "challenge.hpp"
#include "panel.hpp"

namespace quantlab {

// Draws the whole lab into the current (full-window) ImGui window.
void draw_shell(App& app, const UiScale& ui);
// Steps running jobs of every panel, one unit at a time in turn, until budget_ms has passed
// (at least one unit each when any runs). Returns the milliseconds spent, -1 when none runs.
double run_jobs(App& app, double budget_ms);
// One slice between frames (the JS pump): at most slice_ms, and never past this frame
// interval's budget. Returns the ms spent, 0 when the budget is used up, -1 when no job runs.
double run_jobs_between_frames(App& app, double slice_ms);
// ImGui colours and sizes for a theme ("light" or "dark") at a device pixel ratio.
void apply_style(const std::string& theme, float dpr);
// The URL's goal checked against the open lesson's metrics: at most a few times a second while
// drawing (metrics are not free), every time when `now` is set (the JS API asks).
const ChallengeStatus& current_challenge(App& app, bool now);
// Space runs or pauses the open lesson, 's' steps it (not while typing into a field).
void handle_keys(App& app);

}  // namespace quantlab
