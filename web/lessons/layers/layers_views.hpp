// The Layers lesson's lower row: SQNR against bits per step with eq. 9 (Lin eq. 2 and 9), size
// against error for equal and optimised widths (Fig. 4) with Table 6's pairs beside, and the
// lattice designer: codebook levels
// drawn (and dragged, added, removed) over one layer's weight histogram, the model evaluated on
// exactly those levels, and a fine-tuned copy. layers_lesson.hpp holds the analysis and the levels.
#pragma once

#include <string>

#include "app.hpp"
#include "imgui.h"
#include "lab/shared_model.hpp"
#include "layers_lesson.hpp"
#include "panel.hpp"

namespace quantlab::layers {

constexpr ImU32 kMeasured = IM_COL32(30, 100, 220, 255);
constexpr ImU32 kPredicted = IM_COL32(235, 120, 20, 255);
constexpr ImU32 kEqualColor = IM_COL32(120, 120, 130, 255);
constexpr ImU32 kWeightBars =
    IM_COL32(90, 130, 200, 200);  // weight histograms, here and in the rows

// "12.3 dB", or "inf"/"-inf".
std::string db(double v);
void draw_sweep_plot(App& app, Analysis& analysis, const UiScale& ui, ImVec2 size);
void draw_tradeoff_plot(App& app, Analysis& analysis, const UiScale& ui, ImVec2 size);
// Lin Table 6's pair (case 10 against case 2) beside the same pairing on the measured trade-off.
void draw_table6(App& app, const Analysis& analysis, const UiScale& ui, float width);
nlohmann::json table6_json(const Analysis& analysis);
void draw_designer(App& app, Designer& designer, const SharedModel& model, const UiScale& ui,
                   float width);

}  // namespace quantlab::layers
