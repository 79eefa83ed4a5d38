// The Train lesson's lines on an imported ONNX model and its data: the model's shape, notes and
// float accuracy (shown first, so data that does not match shows at once), the preprocessing of
// the inputs (the normalize key), and the ONNX export button.
#pragma once

#include "app.hpp"
#include "ui/widgets.hpp"

namespace quantlab::train {

// The imported model's status, or nothing for the lab's own network.
void draw_import_status(App& app, const UiScale& ui);
// The normalize key as a combo (auto, none, unit, minmax, standard, torchvision mean/std presets).
void draw_preprocessing(App& app, const UiScale& ui);
// Export ONNX: downloads export_onnx_file at the state's formats; errors become messages.
void draw_onnx_export(App& app, const UiScale& ui);

}  // namespace quantlab::train
