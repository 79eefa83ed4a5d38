// Lin 2016 §5.3 (Table 2): fine-tuning a fixed-point network within its formats. Weights and
// hidden activations take Lin's formats (the optimal uniform step of §3.3 for each tensor) at the
// given widths, chosen once on the float model; training then goes on with those formats in the
// forward pass (straight-through gradients to float master weights), and every error is measured
// in exactly those formats.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/lin.hpp"
#include "qlab/mlp.hpp"

namespace qlab {

struct FineTuneOptions {
    int weight_bits = 4;      // 0: the weights stay float
    int activation_bits = 4;  // 0: the activations stay float
    LinFormatOptions format;  // Lin: sigma_hat = 3 sigma, Gaussian steps
    std::size_t calibration_rows =
        1000;  // training rows whose hidden outputs set the activation formats
    TrainOptions train = defaults();  // its roles and layers are set by the job

    static TrainOptions defaults() {
        TrainOptions t;
        t.learning_rate = 1e-4f;  // a nudge from a trained model, not training from scratch
        t.epochs = 3;
        return t;
    }
};

struct FineTuneResult {
    std::vector<LayerFormats> formats;  // per model layer: Lin's weight and activation formats
    double float_error = 0;             // the float model, on the test data
    double quantized_error = 0;         // in the formats, before fine-tuning
    std::vector<double> epoch_errors;   // in the formats, after each fine-tuning epoch
    double finetuned_error = 0;         // the last of them
    Model model;                        // the fine-tuned master weights
};

// One unit is one mini-batch of the fine-tuning run (the formats and the errors before it are
// fixed in the constructor). Copies the model; train and test must outlive the job.
class FineTuneJob : public Job {
  public:
    FineTuneJob(const Model& model, const Dataset& train, const Dataset& test,
                const FineTuneOptions& options);
    ~FineTuneJob() override;
    JobProgress progress() const override;
    const FineTuneResult& result() const;  // complete once state() is finished

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

Result<FineTuneResult> lin_finetune(const Model& model, const Dataset& train, const Dataset& test,
                                    const FineTuneOptions& options = {});

}  // namespace qlab
