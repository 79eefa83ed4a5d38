// The Precision lesson's views: Fig. 1 (the bounds against the simulated p_m and error over bits,
// log scale), the costs of eq. 3-4 beside Table 1, the test digits whose decision flips, and the
// bit-flip sensitivity map. precision_lesson.hpp holds the analysis and the simulations.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "lab/shared_model.hpp"
#include "panel.hpp"
#include "precision_lesson.hpp"
#include "ui/digit_atlas.hpp"

namespace quantlab::precision {

// "12.34%" (digits after the point), or "inf".
std::string percent(double v, int digits = 2);
// A probability: 4 decimals, 3 significant digits below 1e-3, or "inf (a tie)".
std::string prob(double v);

void draw_fig1(App& app, const Lesson& lesson, const UiScale& ui, ImVec2 size);
void draw_costs(App& app, const Lesson& lesson, const SharedModel& model, const UiScale& ui);
// The first flipped test rows as digits; `shown` gets their rows (for metrics()).
void draw_flips(App& app, const Lesson& lesson, const SharedModel& model,
                widgets::DigitAtlas& atlas, std::vector<std::size_t>& shown, const UiScale& ui,
                float width);
void draw_bitflip_map(App& app, Lesson& lesson, const UiScale& ui);

}  // namespace quantlab::precision
