// A saved model and the data it is analysed on (qlab sqnr --model, allocate, ternary): loads
// both, splits and normalises as eval does, and checks that the widths agree.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "common.hpp"

namespace qlab::cli {

struct ModelDataArgs {
    std::string model_path, data, normalize = "auto";
    double test_fraction = 0;
    std::uint64_t seed = 1;
};

inline void add_model_data_options(CLI::App* c, ModelDataArgs& a) {
    c->add_option("--model", a.model_path, "model file: quantlab-model JSON or .onnx");
    c->add_option("--normalize", a.normalize,
                  std::string("auto (default), ") + qlab::kNormalizationChoices);
    c->add_option("--test-fraction", a.test_fraction,
                  "hold out this fraction (split as train does) and analyse it; 0 (default): all");
    c->add_option("--seed", a.seed, "split seed");
}

// Prints the message and returns false on failure. `data` is the held-out part when there is
// one, else all of it.
inline bool load_model_data(const char* command, const ModelDataArgs& a, qlab::Model& model,
                            PreparedData& prepared, const qlab::Dataset*& data) {
    auto m = qlab::load_model(a.model_path);
    if (!m) {
        std::cerr << "qlab " << command << ": " << m.status().message() << "\n";
        return false;
    }
    model = *m;
    TrainArgs t;
    t.data = a.data;
    t.normalize = a.normalize;
    t.test_fraction = a.test_fraction;
    t.seed = a.seed;
    if (!prepare_data(command, t, prepared)) return false;
    data = prepared.split.test.size() ? &prepared.split.test : &prepared.split.train;
    if (data->features != model.inputs()) {
        std::cerr << "qlab " << command << ": the data has " << data->features
                  << " features, the model takes " << model.inputs() << "\n";
        return false;
    }
    return true;
}

}  // namespace qlab::cli
