// The shared-model lesson behaviour (see model_panel.hpp).
#include "lessons/model_panel.hpp"

namespace quantlab {

void ModelPanel::toggle_training(App& app) {
    SharedModel& m = app.model();
    m.set_running(app.state(), !(m.running() || m.waiting_for_data()));
}

void ModelPanel::train_unless_trained(App& app, const char* why) {
    SharedModel& m = app.model();
    if (m.running() || m.waiting_for_data()) {
        m.set_running(app.state(), false);
        return;
    }
    const bool paused = m.job() && m.job()->running();
    if (m.trained() && !paused) {
        app.report(why, MessageLevel::info);
        return;
    }
    m.set_running(app.state(), true);  // a fresh model, or a paused run resumed
}

}  // namespace quantlab
