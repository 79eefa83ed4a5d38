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

// Settings a data set brings with it: a run on that data set starts from these unless the user
// sets them (the lab's empty lr, batch and decay keys; qlab train without --lr, --batch,
// --lr-decay). The image sets have them: with pixels / 255 as inputs (their automatic
// normalization), Adam's step 0.003 decayed by 0.7 per epoch reaches 95% held-out accuracy on the
// lab's 8,000 MNIST training digits in 4 to 5 epochs with 128 hidden units, where a constant step
// overshoots (the lab preset's 10 epochs end near 93%).
struct DataTrainDefaults {
    const char* data;   // the lab's name of the data set
    const char* label;  // as the lesson shows it: "lr 0.003 (MNIST default)"
    double learning_rate;
    int batch;
    double lr_decay;  // factor per epoch
};
inline constexpr DataTrainDefaults kImageTrainDefaults[] = {
    {"mnist", "MNIST", 0.003, 32, 0.7},
    {"fashion", "Fashion-MNIST", 0.003, 32, 0.7},
};
// The data set's own defaults, or nullptr when it has none (the lab's preset or TrainOptions'
// defaults apply). Takes the lab's names and qlab's specs ("fashion-mnist"); a spec with a
// modifier (mnist@classes=4/9) is another data set and has none.
inline const DataTrainDefaults* data_train_defaults(std::string_view data) {
    if (data == "fashion-mnist") data = "fashion";
    for (const DataTrainDefaults& d : kImageTrainDefaults)
        if (data == d.data) return &d;
    return nullptr;
}

}  // namespace qlab
