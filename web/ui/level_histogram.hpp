// A histogram with a quantizer's levels drawn over it (the Layers lesson, Lin §3), and with the
// levels as markers the mouse can drag (the lattice designer's codebook).
#pragma once

#include <string>
#include <vector>

#include "../panel.hpp"
#include "imgui.h"

namespace quantlab::widgets {

struct LevelPlot {
    double lo = 0, hi = 1;    // the x range
    std::vector<int> counts;  // bins over [lo, hi]
    std::vector<double>
        levels;  // ascending; drawn as vertical lines (thinned when denser than 2 px)
    double clip_lo = 0, clip_hi = 0;  // the format's range; outside it is shaded (equal: none)
    ImU32 bar_color = 0, level_color = 0;
    const char* x_label = nullptr;
    const char* note = nullptr;  // one line at the top right
};

// What the mouse did to the levels this frame.
struct LevelEdit {
    int hovered = -1;       // the level under the mouse
    int dragged = -1;       // the level being dragged
    double value = 0;       // where the dragged level is now (within [lo, hi])
    bool released = false;  // the drag ended this frame (dragged says which level)
};

// Draws the plot in `size` (a lone tall bin at 0, ReLU's zeros, is cut at 1.3x the next tallest and
// labelled with its count). With `editable` the levels are thick handles that can be dragged.
// `rect` gets the inner plot area in screen pixels (for recording views).
LevelEdit level_histogram(const char* id, ImVec2 size, const LevelPlot& p, bool editable,
                          const UiScale& ui, ImVec4* rect = nullptr);

}  // namespace quantlab::widgets
