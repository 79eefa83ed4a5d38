// What the lessons on the lab's one model (Train, Precision, Layers, Ternary) do alike: pass files
// and data sets to the shared TrainSession, step its training, list its job for the shell. What
// space does once the model is trained stays each lesson's choice (the two toggles below).
#pragma once

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "panel.hpp"
#include "lessons/train/train_session.hpp"

namespace quantlab {

class ModelLesson : public Panel {
  public:
    // A unit is a training batch: the data synced, the model stepped, predictions refreshed.
    int step(App& app, int n) override;
    bool on_upload(App& app, const std::string& name, const std::string& bytes) override {
        return s_.on_upload(app, name, bytes);
    }
    void on_dataset(App& app, const std::string& name, const std::string& bytes) override {
        s_.on_dataset(app, name, bytes);
    }

  protected:
    // The training job while it runs; paused training is not stepped, so the shell sees none.
    std::vector<PanelJob> training_jobs() const;
    // Space as in Train: run or pause (a finished run starts over from fresh weights).
    void toggle_training(App& app);
    // Space in a lesson that keeps a trained model: pauses or resumes a run and trains a model
    // that has none; a trained one (trained(), asked once the data is synced) is kept and `why`
    // is reported instead.
    void train_unless_trained(App& app, const std::function<bool()>& trained, const char* why);

    TrainSession& s_ = training_session();
};

// A number for metrics JSON: null where it is infinite or NaN (JSON has neither).
inline nlohmann::json finite_or_null(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace quantlab
