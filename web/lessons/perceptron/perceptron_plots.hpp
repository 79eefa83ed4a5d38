// The Perceptron lesson's two lower views, drawn from its Lesson (perceptron_lesson.hpp): mistakes
// against Cherkhev's bound R^2/(gamma - delta)^2 (his Theorem 1, §3.3) and the accuracy sweep over
// formats (his Tables 2-4). perceptron_panel.cpp lays them out.
#pragma once

#include <string>
#include <vector>

#include "app.hpp"
#include "panel.hpp"
#include "perceptron_lesson.hpp"

namespace quantlab::perceptron {

// A number in `digits` significant digits ("inf", "-inf", "nan" otherwise).
std::string fmt(double v, int digits = 3);

// Mistakes over examples visited, the bound drawn where delta < gamma.
void draw_mistakes_plot(Lesson& lesson, const UiScale& ui, float width);
// One training per cell, a cell at a time (the lesson's SweepJob); a click loads the cell's
// format. The cells' rectangles on screen (CSS px [x, y, w, h]) go to cell_rects for metrics().
void draw_sweep(App& app, Lesson& lesson, const UiScale& ui, float width,
                std::vector<std::vector<float>>& cell_rects);

}  // namespace quantlab::perceptron
