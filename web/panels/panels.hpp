// The lab's panels, one lesson each; each draws into the current ImGui window.
#pragma once

namespace quantlab {

struct UiScale {
    float dpr = 1;  // device pixels per CSS pixel; every size in a panel is multiplied by it
};

void draw_formats_panel(const UiScale& scale);

}  // namespace quantlab
