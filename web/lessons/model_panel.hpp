// What the panels of the lessons on the lab's one model (Train, Precision, Layers, Ternary) do
// alike: step its training, and the two behaviours of space. The model itself, its data and its
// run belong to the App's SharedModel (lab/shared_model.hpp); files and data sets reach it there.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app.hpp"
#include "panel.hpp"

namespace quantlab {

class ModelPanel : public Panel {
  public:
    // A unit is a training batch.
    int step(App& app, int n) override { return app.model().step(app.state(), n); }

  protected:
    // Space as in Train: run or pause (a finished run starts over from fresh weights).
    static void toggle_training(App& app);
    // Space in a lesson that studies a trained model: pauses or resumes a run and trains a model
    // that has none; a trained one (SharedModel::trained) is kept and `why` is said instead.
    static void train_unless_trained(App& app, const char* why);
};

// A number for metrics JSON: null where it is infinite or NaN (JSON has neither).
inline nlohmann::json finite_or_null(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace quantlab
