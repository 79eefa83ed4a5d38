// Per-layer sensitivity (qlab/sensitivity.hpp): one weighted layer quantized at a time through
// per-layer evaluation options, measured by Lin's model_sqnr (the step SQNRs, eq. 9 over them,
// the measured output SQNR and both accuracies).
#include "qlab/sensitivity.hpp"

#include <algorithm>

#include "analysis_common.hpp"

namespace qlab {

struct SensitivityJob::State {
    const Model& model;
    const Dataset& data;
    SensitivityOptions options;
    std::vector<std::size_t> todo;  // weighted layers
    std::size_t next = 0;
    SensitivityResult result;
    State(const Model& m, const Dataset& d, const SensitivityOptions& o)
        : model(m), data(d), options(o) {}
};

SensitivityJob::SensitivityJob(const Model& model, const Dataset& data,
                               const SensitivityOptions& options)
    : s_(std::make_unique<State>(model, data, options)) {
    if (Status st = detail::check_model_data(model, data); !st) {
        fail_now(st);
        return;
    }
    if (options.weights.empty() && options.activations.empty()) {
        fail_now(Status::error("sensitivity needs a weight or an activation format"));
        return;
    }
    for (const std::string* spec : {&options.weights, &options.activations}) {
        if (spec->empty()) continue;
        if (auto f = Format::parse(*spec); !f) {
            fail_now(Status::error((spec == &options.weights ? "weights: " : "activations: ") +
                                   f.status().message()));
            return;
        }
    }
    State& s = *s_;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (model.layers[l].has_weights()) s.todo.push_back(l);
    if (s.todo.empty()) {
        fail_now(Status::error("the model has no dense or conv layers"));
        return;
    }
    s.result.rows = first_rows(data, options.max_rows).size();
}

SensitivityJob::~SensitivityJob() = default;

Status SensitivityJob::do_unit() {
    State& s = *s_;
    const std::size_t l = s.todo[s.next];
    const Layer& L = s.model.layers[l];
    EvalOptions eval;
    eval.layers.resize(s.model.layers.size());
    eval.layers[l].weights = s.options.weights;
    if (l + 1 < s.model.layers.size()) eval.layers[l].activations = s.options.activations;
    SqnrOptions so;
    so.max_rows = s.options.max_rows;
    auto m = model_sqnr(s.model, s.data, eval, so);
    if (!m) return m.status();
    LayerSensitivity r;
    r.layer = l;
    r.description = L.kind == LayerKind::dense
                        ? "dense " + std::to_string(L.in) + "x" + std::to_string(L.out)
                        : "conv2d " + std::to_string(L.out) + "x" + std::to_string(L.channels) +
                              "x" + std::to_string(L.kernel) + "x" + std::to_string(L.kernel);
    r.accuracy = m->quantized_accuracy;
    r.accuracy_drop = m->float_accuracy - m->quantized_accuracy;
    r.measured_sqnr_db = m->measured_output_db;
    r.weight_sqnr_db = r.activation_sqnr_db = INFINITY;
    std::vector<double> own;
    for (const QuantStep& step : m->steps) {
        if (step.layer != l) continue;  // every other step is float (+inf)
        own.push_back(step.sqnr_db);
        (step.role == StepRole::weights ? r.weight_sqnr_db : r.activation_sqnr_db) = step.sqnr_db;
    }
    r.predicted_sqnr_db = predicted_output_sqnr_db(own);
    s.result.float_accuracy = m->float_accuracy;
    s.result.layers.push_back(r);
    ++s.next;
    return Status::success();
}

bool SensitivityJob::is_done() const {
    return s_->next >= s_->todo.size();
}

JobProgress SensitivityJob::progress() const {
    JobProgress p;
    p.done = static_cast<long long>(s_->next);
    p.total = static_cast<long long>(s_->todo.size());
    p.stage = s_->next < s_->todo.size()
                  ? "layer " + std::to_string(s_->todo[s_->next] + 1) + " quantized"
                  : "done";
    return p;
}

const SensitivityResult& SensitivityJob::result() const {
    return s_->result;
}

std::vector<LayerSensitivity> SensitivityResult::sorted() const {
    std::vector<LayerSensitivity> out = layers;
    std::stable_sort(out.begin(), out.end(),
                     [](const LayerSensitivity& a, const LayerSensitivity& b) {
                         if (a.accuracy_drop != b.accuracy_drop)
                             return a.accuracy_drop > b.accuracy_drop;
                         return a.measured_sqnr_db < b.measured_sqnr_db;
                     });
    return out;
}

Result<SensitivityResult> layer_sensitivity(const Model& model, const Dataset& data,
                                            const SensitivityOptions& options) {
    SensitivityJob job(model, data, options);
    if (Status s = run_job(job); !s) return s;
    return job.result();
}

}  // namespace qlab
