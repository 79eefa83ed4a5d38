// The lab's two themes: ImGui's style for each, and the few colours with a meaning (errors,
// warnings, notes, a goal met or not) that every lesson and the shell take from here, so that
// each reads well on both backgrounds.
#pragma once

#include <string>

#include "imgui.h"

namespace quantlab::widgets {

struct ThemeColors {
    ImVec4 error;          // a refused value, a failed job
    ImVec4 warning;        // something the learner should know (a saturating activation)
    ImVec4 info;           // a note, not a problem
    ImVec4 pass, pending;  // a challenge's terms, met or not yet
    ImVec4 title;          // "QuantLab" in the title bar
    ImVec4 message_bg;     // the message box behind warnings and errors
    ImVec4 note_bg;        // the message box behind notes only
};

// ImGui colours and sizes for a theme ("light" or "dark") at a device pixel ratio; the colours
// above follow. `touch`: frames at least 44 CSS px high and more room between items, for fingers.
void apply_style(const std::string& theme, float dpr, bool touch = false);
const ThemeColors& theme_colors();
// Whether the style is the touch one (the last apply_style's `touch`).
bool touch_first();
// Text in one of the theme's colours (wrapped).
void colored_text(const ImVec4& color, const char* text);

}  // namespace quantlab::widgets
