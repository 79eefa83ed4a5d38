// qlab sensitivity: one layer quantized at a time, the rest in float; each layer's accuracy drop
// and output SQNR beside Lin's eq. 9 prediction from its own steps, most sensitive first.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "model_file.hpp"
#include "qlab/sensitivity.hpp"

namespace qlab::cli {
namespace {

struct SensitivityArgs {
    std::string model_path, data, normalize;
    qlab::SensitivityOptions options;
    bool json = false;
};

std::string db(double v) {
    if (!std::isfinite(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

int run_sensitivity(const SensitivityArgs& args) {
    ModelFile file;
    if (!load_model_file("sensitivity", args.model_path, file)) return kExitBadInput;
    qlab::Dataset data;
    if (!load_data_in_order("sensitivity", args.data, args.normalize, file, data))
        return kExitBadInput;
    qlab::SensitivityJob job(file.imported.model, data, args.options);
    ProgressLine line;
    const qlab::Status s = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show("sensitivity: " + p.stage);
    });
    line.clear();
    if (!s) {
        std::cerr << "qlab sensitivity: " << s.message() << "\n";
        return kExitBadInput;
    }
    const qlab::SensitivityResult& r = job.result();
    const auto sorted = r.sorted();
    if (args.json) {
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& l : sorted)
            layers.push_back({{"layer", l.layer + 1},
                              {"description", l.description},
                              {"accuracy", l.accuracy},
                              {"accuracy_drop", l.accuracy_drop},
                              {"measured_sqnr_db", json_number(l.measured_sqnr_db)},
                              {"predicted_sqnr_db", json_number(l.predicted_sqnr_db)},
                              {"weight_sqnr_db", json_number(l.weight_sqnr_db)},
                              {"activation_sqnr_db", json_number(l.activation_sqnr_db)}});
        std::cout << nlohmann::json{{"model", args.model_path},
                                    {"data", args.data},
                                    {"rows", r.rows},
                                    {"weights", args.options.weights},
                                    {"activations", args.options.activations},
                                    {"float_accuracy", r.float_accuracy},
                                    {"layers", layers}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf("%s on %s (%zu examples): float accuracy %.4f\n", args.model_path.c_str(),
                args.data.c_str(), r.rows, r.float_accuracy);
    std::printf("one layer at a time: weights %s, activations %s; most sensitive first\n",
                args.options.weights.empty() ? "float" : args.options.weights.c_str(),
                args.options.activations.empty() ? "float" : args.options.activations.c_str());
    std::printf("%-6s %-22s %9s %9s %14s %15s\n", "layer", "", "accuracy", "drop", "output SQNR dB",
                "eq. 9 predicts");
    for (const auto& l : sorted)
        std::printf("%-6zu %-22s %9.4f %9.4f %14s %15s\n", l.layer + 1, l.description.c_str(),
                    l.accuracy, l.accuracy_drop, db(l.measured_sqnr_db).c_str(),
                    db(l.predicted_sqnr_db).c_str());
    return 0;
}

}  // namespace

Subcommand add_sensitivity(CLI::App& app) {
    auto args = std::make_shared<SensitivityArgs>();
    CLI::App* c = app.add_subcommand(
        "sensitivity",
        "Quantize one layer at a time (the rest float): accuracy drop and output SQNR per layer");
    c->add_option("--model", args->model_path, "model file: quantlab-model JSON or .onnx")
        ->required();
    c->add_option("--data", args->data, "data spec (its first --rows rows, in file order)")
        ->required();
    c->add_option("--normalize", args->normalize,
                  std::string(qlab::kNormalizationChoices) +
                      " (default: none for ONNX, unit for real data with a JSON model)");
    c->add_option("--weights", args->options.weights, "format of the quantized layer's weights");
    c->add_option("--activations", args->options.activations,
                  "format of the quantized layer's output");
    c->add_option("--rows", args->options.max_rows, "examples used (default 1000; 0: all)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_sensitivity(*args); }};
}

}  // namespace qlab::cli
