// The Formats lesson's lower views, drawn from its logic (formats_lesson.hpp): the stored bits of
// q(x), the facts (delta is Cherkhev's eq. 1, SQNR Lin's), the 2-D atoms of Cherkhev's Fig. 1 and
// one block of a block-scaled format. formats_panel.cpp draws the controls and the number line and
// lays these out.
#pragma once

#include "app.hpp"
#include "imgui.h"
#include "lessons/formats/formats_lesson.hpp"
#include "panel.hpp"
#include "qlab/format.hpp"

namespace quantlab::formats {

// Colours shared by the number line and these views.
constexpr ImU32 kAtomColor = IM_COL32(40, 40, 48, 255);
constexpr ImU32 kDenseColor = IM_COL32(120, 120, 140, 255);
constexpr ImU32 kAxisColor = IM_COL32(90, 90, 100, 255);
constexpr ImU32 kValueColor = IM_COL32(30, 100, 220, 255);
constexpr ImU32 kQuantColor = IM_COL32(235, 120, 20, 255);
constexpr ImU32 kErrorColor = IM_COL32(210, 40, 40, 255);
constexpr ImU32 kNeighbourColor = IM_COL32(235, 120, 20, 110);

void draw_bits(const qlab::Format& f, double q, const UiScale& ui);
void draw_facts(App& app, const Lesson& view);
// Drag inside it to move (x, y).
void draw_atom_grid(App& app, const Lesson& view, const UiScale& ui, float side);
// Nothing for a format that is not block-scaled.
void draw_block(const Lesson& view);

}  // namespace quantlab::formats
