// The Layers lesson's per-layer sensitivity job (see layers_sensitivity_lesson.hpp).
#include "layers_sensitivity_lesson.hpp"

#include <algorithm>

namespace quantlab::layers {

void Sensitivity::update(const qlab::LabState& s, const SharedModel& model) {
    const bool same = have_ && version_ == model.version() && weights_ == s.sweights &&
                      activations_ == s.sacts && data_.size() > 0 && model.data().ready() &&
                      data_.features == model.data().split().test.features;
    if (same) return;
    if (!model.analysable()) {
        if (have_ && model.version() == version_) return;  // paused on the same weights
        job_.reset();
        have_ = false;
        problem_ = !model.has_model() ? "no model yet"
                   : model.training() ? "waiting for training to pause"
                                      : "the model is untrained: train it or open a model file";
        return;
    }
    have_ = true;
    version_ = model.version();
    weights_ = s.sweights;
    activations_ = s.sacts;
    model_ = model.model();
    const qlab::Dataset& test = model.data().split().test;
    const std::size_t n = std::min(test.size(), kSensitivityRows);
    const auto f = static_cast<std::size_t>(test.features);
    data_ = qlab::Dataset{};
    data_.name = test.name;
    data_.features = test.features;
    data_.classes = test.classes;
    data_.x.assign(test.x.begin(), test.x.begin() + static_cast<std::ptrdiff_t>(n * f));
    data_.y.assign(test.y.begin(), test.y.begin() + static_cast<std::ptrdiff_t>(n));
    qlab::SensitivityOptions o;
    o.weights = weights_;
    o.activations = activations_;
    o.max_rows = 0;  // data_ holds the rows already
    job_.start(model.analysis_runner(), {"sensitivity", &model_, &data_, qlab::to_bytes(o)},
               [this, o] { return std::make_unique<qlab::SensitivityJob>(model_, data_, o); });
    problem_.clear();
}

std::string Sensitivity::problem() const {
    const qlab::Job* job = job_.job();
    if (job && job->state() == qlab::JobState::failed) return job->status().message();
    return problem_;
}

std::vector<qlab::LayerSensitivity> Sensitivity::sorted() const {
    return job_.job() ? job_.result().sorted() : std::vector<qlab::LayerSensitivity>{};
}

}  // namespace quantlab::layers
