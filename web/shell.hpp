// The shell around the lessons: title bar (Copy link, theme), lesson picker (tabs), the "what to
// try" line (with "Open in the full lab" in an embed), warnings and errors in a box, notes
// floating at the bottom right, job progress bars with Cancel, keyboard shortcuts and the
// challenge line. The themes are in ui/theme, the jobs' time budget in lab/scheduler.
#pragma once

#include <string>

#include "app.hpp"
#include "challenge.hpp"
#include "panel.hpp"

namespace quantlab {

// Draws the whole lab into the current (full-window) ImGui window.
void draw_shell(App& app, const UiScale& ui);
// The URL's goal checked against the open lesson's metrics: at most a few times a second while
// drawing (metrics are not free), every time when `now` is set (the JS API asks).
const ChallengeStatus& current_challenge(App& app, bool now);
// Space runs or pauses the open lesson, 's' steps it (not while typing into a field).
void handle_keys(App& app);

}  // namespace quantlab
