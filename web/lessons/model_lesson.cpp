// The shared-model lesson behaviour (see model_lesson.hpp).
#include "lessons/model_lesson.hpp"

#include "app.hpp"

namespace quantlab {

int ModelLesson::step(App& app, int n) {
    s_.sync_data(app);
    const int taken = s_.step(app, n);
    s_.tick(app);
    return taken;
}

std::vector<PanelJob> ModelLesson::training_jobs() const {
    if (s_.running() && s_.job()) return {{"training", s_.job()}};
    return {};
}

void ModelLesson::toggle_training(App& app) {
    s_.sync_data(app);
    s_.set_running(app, !s_.running());
}

void ModelLesson::train_unless_trained(App& app, const std::function<bool()>& trained,
                                       const char* why) {
    s_.sync_data(app);
    if (s_.running()) {
        s_.set_running(app, false);
        return;
    }
    if (trained()) {
        app.report(why, MessageLevel::info);
        return;
    }
    s_.set_running(app, true);  // a fresh model, or a paused run resumed
}

}  // namespace quantlab
