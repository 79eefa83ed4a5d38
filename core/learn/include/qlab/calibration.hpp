// Post-training quantization: choosing an affine int format for a tensor (or each output
// channel) from its values by min-max, percentile, MSE or KL-divergence (entropy) calibration,
// symmetric or asymmetric, and calibrating a whole model on a calibration set.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

enum class Calibration { minmax, percentile, mse, kl };
Result<Calibration> parse_calibration(std::string_view name);

struct CalibrationOptions {
    Calibration method = Calibration::minmax;
    int bits = 8;
    bool symmetric = true;     // false: unsigned codes with a zero point
    bool per_channel = false;  // weights: one format per output row
    double percentile = 99.99;
};

// An int: spec for these values: symmetric ones are int:b=B,scale=S,narrow=1.
std::string calibrate_tensor(const std::vector<float>& values, const CalibrationOptions& options);

// Formats for every layer's weights (per tensor or per channel) and hidden activations, the
// activations calibrated on `data` (at most the first kCalibrationRows rows).
constexpr std::size_t kCalibrationRows = 2048;
Result<EvalOptions> calibrate_model(const Model& model, const Dataset& data,
                                    const CalibrationOptions& options);

// calibrate_model and the calibrated model's accuracy on `test` as a resumable job: one unit is
// one layer's formats, then kEvalChunkRows test rows (the lab runs it in its Web Worker). It
// copies what it reads. Bad options or data of the wrong width fail it in its constructor.
struct CalibrationResult {
    bool calibrated = false;
    EvalOptions formats;  // the layers calibrated so far
    double accuracy = 0;  // on every test row, once finished
};
class CalibrationJob : public Job {
  public:
    CalibrationJob(const Model& model, const Dataset& calibration, const Dataset& test,
                   const CalibrationOptions& options);
    ~CalibrationJob() override;
    JobProgress progress() const override;
    const CalibrationResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace qlab
