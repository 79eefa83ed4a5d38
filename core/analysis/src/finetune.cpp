// Lin §5.3: the fixed-point network fine-tuned within Lin's per-layer formats, as a TrainJob
// whose per-layer formats are those formats (see finetune.hpp).
#include "qlab/finetune.hpp"

#include <algorithm>

#include "analysis_common.hpp"

namespace qlab {

using detail::to_doubles;

struct FineTuneJob::State {
    const Dataset& test;
    FineTuneResult result;
    std::unique_ptr<TrainJob> train;
    explicit State(const Dataset& t) : test(t) {}
};

FineTuneJob::FineTuneJob(const Model& model, const Dataset& train, const Dataset& test,
                         const FineTuneOptions& options)
    : s_(std::make_unique<State>(test)) {
    State& s = *s_;
    const auto bits_ok = [](int b) { return b == 0 || (b >= 2 && b <= 24); };
    if (!bits_ok(options.weight_bits) || !bits_ok(options.activation_bits)) {
        fail_now(Status::error("fine-tuning: widths must be 0 (float) or from 2 to 24 bits"));
        return;
    }
    if (model.layers.empty() || train.size() == 0 || test.size() == 0 ||
        train.features != model.inputs() || test.features != model.inputs()) {
        fail_now(
            Status::error("fine-tuning: needs a model with layers and train and test rows of its " +
                          std::to_string(model.inputs()) + " inputs"));
        return;
    }
    s.result.model = model;
    s.result.formats.resize(model.layers.size());
    const Dataset calibration = first_rows(train, options.calibration_rows);
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Layer& L = model.layers[l];
        if (L.kind == LayerKind::maxpool2d) continue;
        LayerFormats& f = s.result.formats[l];
        if (options.weight_bits && L.has_weights())
            f.weights = lin_fixed_format(to_doubles(L.weight), options.weight_bits, options.format);
        if (options.activation_bits && l + 1 < model.layers.size())
            f.activations = lin_fixed_format(
                to_doubles(hidden_outputs(model, calibration, l, calibration.size())),
                options.activation_bits, options.format);
    }
    EvalOptions eval;
    eval.layers = s.result.formats;
    s.result.float_error = 1 - accuracy(model, test);
    s.result.quantized_error = 1 - accuracy(model, test, eval);
    s.result.finetuned_error = s.result.quantized_error;
    TrainOptions t = options.train;
    t.roles = {};
    t.layers = s.result.formats;
    t.evaluate_each_epoch = true;
    s.train = std::make_unique<TrainJob>(s.result.model, train, &test, t);
    if (s.train->state() == JobState::failed)
        fail_now(Status::error("fine-tuning: " + s.train->status().message()));
    else if (t.epochs == 0)
        finish_now();
}

FineTuneJob::~FineTuneJob() = default;

JobProgress FineTuneJob::progress() const {
    JobProgress p = s_->train ? s_->train->progress() : JobProgress{};
    p.stage = "fine-tuning within the formats: " + p.stage;
    return p;
}

const FineTuneResult& FineTuneJob::result() const {
    return s_->result;
}

bool FineTuneJob::is_done() const {
    return !s_->train || !s_->train->running();
}

Status FineTuneJob::do_unit() {
    State& s = *s_;
    s.train->step(1);
    if (s.train->state() == JobState::failed) return s.train->status();
    // TrainJob evaluates each epoch in the same per-layer formats (its eval options carry them).
    s.result.epoch_errors.clear();
    for (const TrainEpoch& e : s.train->report().history)
        s.result.epoch_errors.push_back(1 - e.test_accuracy);
    if (!s.result.epoch_errors.empty()) s.result.finetuned_error = s.result.epoch_errors.back();
    return Status::success();
}

Result<FineTuneResult> lin_finetune(const Model& model, const Dataset& train, const Dataset& test,
                                    const FineTuneOptions& options) {
    FineTuneJob job(model, train, test, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

}  // namespace qlab
