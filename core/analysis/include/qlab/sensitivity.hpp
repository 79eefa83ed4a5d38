// Per-layer sensitivity, the analysis engineers run before choosing formats: quantize one layer
// at a time (its weights, and its output when an activation format is given) with every other
// layer in float, and measure the accuracy drop and the output SQNR beside Lin's eq. 9 prediction
// from that layer's own steps (model_sqnr, qlab/lin.hpp). A resumable job, one layer per unit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/lin.hpp"
#include "qlab/mlp.hpp"

namespace qlab {

struct SensitivityOptions {
    std::string weights;          // the format each layer's weights get in turn (may be empty)
    std::string activations;      // and its output (hidden layers; may be empty)
    std::size_t max_rows = 1000;  // examples used (the first ones; 0: all)
};

struct LayerSensitivity {
    std::size_t layer = 0;         // index into Model::layers (a dense or conv layer)
    std::string description;       // "dense 784x128", "conv2d 6x1x5x5"
    double accuracy = 0;           // with this layer quantized
    double accuracy_drop = 0;      // float accuracy minus accuracy
    double measured_sqnr_db = 0;   // output scores against the float network's
    double predicted_sqnr_db = 0;  // eq. 9 over this layer's steps
    double weight_sqnr_db = 0;     // the steps themselves (+inf when not quantized)
    double activation_sqnr_db = 0;
};

struct SensitivityResult {
    double float_accuracy = 0;
    std::size_t rows = 0;
    std::vector<LayerSensitivity> layers;  // in network order, one per layer done so far
    // Most sensitive first: the largest accuracy drop, then the lowest measured SQNR.
    std::vector<LayerSensitivity> sorted() const;
};

// Keeps references to model and data, which must outlive the job. Bad formats, a model without
// weighted layers or data of the wrong width fail the job in its constructor.
class SensitivityJob : public Job {
  public:
    SensitivityJob(const Model& model, const Dataset& data, const SensitivityOptions& options);
    ~SensitivityJob() override;
    SensitivityJob(const SensitivityJob&) = delete;
    SensitivityJob& operator=(const SensitivityJob&) = delete;
    JobProgress progress() const override;
    const SensitivityResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

Result<SensitivityResult> layer_sensitivity(const Model& model, const Dataset& data,
                                            const SensitivityOptions& options);

}  // namespace qlab
