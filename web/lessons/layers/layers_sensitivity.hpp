// The Layers lesson's per-layer sensitivity view: the formats each layer gets in turn, and the
// job's rows sorted most sensitive first (layer, accuracy drop, output SQNR, eq. 9's prediction).
#pragma once

#include <nlohmann/json.hpp>

#include "app.hpp"
#include "layers_sensitivity_lesson.hpp"
#include "ui/widgets.hpp"

namespace quantlab::layers {

void draw_sensitivity(App& app, const Sensitivity& sens, const UiScale& ui, float width);
// {"state", "weights", "activations", "rows", "float_accuracy", "layers": [...sorted]}.
nlohmann::json sensitivity_metrics(const Sensitivity& sens);

}  // namespace quantlab::layers
