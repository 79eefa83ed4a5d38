// Optimizers by name, and named presets of the training settings: small enough for the lab's
// property table (core/state) to take its defaults from without the network code.
#pragma once

#include <string_view>
#include <vector>

#include "qlab/status.hpp"

namespace qlab {

enum class Optimizer { sgd, momentum, adam };
// "sgd", "momentum" or "adam": the one spelling the CLI, the lab's links and its combo use.
constexpr const char* optimizer_name(Optimizer optimizer) {
    return optimizer == Optimizer::sgd        ? "sgd"
           : optimizer == Optimizer::momentum ? "momentum"
                                              : "adam";
}
Result<Optimizer> parse_optimizer(std::string_view name);
const std::vector<Optimizer>& all_optimizers();

// TrainOptions' defaults (mlp.hpp) suit the CLI's reproductions (PyTorch's Adam default step 1e-3,
// batch 64, 5 epochs, a fixed budget on large data). A named preset is a second, documented choice
// of the same settings for another setting of use; every place that uses one names it.
struct TrainPreset {
    const char* name;
    const char* why;  // shown beside the settings where the preset is used
    Optimizer optimizer;
    double learning_rate;
    int batch;
    int epochs;
};
// The lab's preset: the Train lesson's defaults (its link keys start from these values).
inline constexpr TrainPreset kLabTrainPreset = {
    "lab",
    "for a browser tab: a larger step and smaller batches reach good accuracy on the lab's small "
    "data sets within seconds (the digits' 1,438 training rows give 450 steps in 10 epochs); "
    "qlab train keeps Adam's usual step 1e-3, batch 64 and 5 epochs",
    Optimizer::adam,
    0.003,
    32,
    10};

}  // namespace qlab
