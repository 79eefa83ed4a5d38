// Post-training quantization: choosing an affine int format for a tensor (or each output
// channel) from its values by min-max, percentile, MSE or KL-divergence (entropy) calibration,
// symmetric or asymmetric, and calibrating a whole model on a calibration set.
#pragma once

#include <string>
#include <vector>

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
// activations calibrated on `data` (at most the first 2048 rows).
Result<EvalOptions> calibrate_model(const Model& model, const Dataset& data,
                                    const CalibrationOptions& options);

}  // namespace qlab
