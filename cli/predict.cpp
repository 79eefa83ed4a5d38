// qlab predict: a model's outputs for every example of a data set, in file order (no split, no
// shuffle), before any final Softmax; quantized by flags, by calibration, or by the formats an
// ONNX file's QuantizeLinear/DequantizeLinear pairs carry.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "model_file.hpp"

namespace qlab::cli {
namespace {

struct PredictArgs {
    std::string model_path, data, normalize, out;
    FormatArgs formats;
    bool json = false;
};

void quantize_all(const std::string& spec, float* values, std::size_t n) {
    if (spec.empty()) return;
    qlab::Format::parse(spec)->quantize(values, values, n);
}

int run_predict(const PredictArgs& args) {
    if (args.out.empty() && !args.json) {
        std::cerr << "qlab predict: give --out FILE.csv or --json\n";
        return kExitBadInput;
    }
    ModelFile file;
    if (!load_model_file("predict", args.model_path, file)) return kExitBadInput;
    qlab::Dataset data;
    if (!load_data_in_order("predict", args.data, args.normalize, file, data)) return kExitBadInput;
    qlab::EvalOptions eval;
    bool own = false;
    if (!resolve_formats("predict", args.formats, file, &data, eval, own)) return kExitBadInput;
    // The file's formats on the input and the output, which the lab's layers never quantize.
    if (own) {
        quantize_all(file.imported.input_format, data.x.data(), data.x.size());
    }
    qlab::Matrix scores = qlab::predict_scores(file.imported.model, data, eval);
    if (own)
        quantize_all(file.imported.output_format, scores.data(),
                     static_cast<std::size_t>(scores.size()));
    std::vector<int> predictions;
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
        Eigen::Index best = 0;
        for (Eigen::Index k = 1; k < scores.cols(); ++k)
            if (scores(i, k) > scores(i, best)) best = k;
        predictions.push_back(static_cast<int>(best));
    }
    if (!args.out.empty()) {
        std::FILE* f = std::fopen(args.out.c_str(), "w");
        if (!f) {
            std::cerr << "qlab predict: cannot write '" << args.out << "'\n";
            return kExitBadInput;
        }
        for (Eigen::Index i = 0; i < scores.rows(); ++i) {
            for (Eigen::Index k = 0; k < scores.cols(); ++k)
                std::fprintf(f, k ? ",%.9g" : "%.9g", static_cast<double>(scores(i, k)));
            std::fputc('\n', f);
        }
        if (std::fclose(f) != 0) {
            std::cerr << "qlab predict: writing '" << args.out << "' failed\n";
            return kExitBadInput;
        }
    }
    if (args.json) {
        nlohmann::json outputs = nlohmann::json::array();
        for (Eigen::Index i = 0; i < scores.rows(); ++i) {
            nlohmann::json row = nlohmann::json::array();
            for (Eigen::Index k = 0; k < scores.cols(); ++k)
                row.push_back(json_number(scores(i, k)));
            outputs.push_back(std::move(row));
        }
        std::cout << nlohmann::json{{"outputs", outputs}, {"predictions", predictions}}.dump()
                  << "\n";
    }
    return 0;
}

}  // namespace

Subcommand add_predict(CLI::App& app) {
    auto args = std::make_shared<PredictArgs>();
    CLI::App* c = app.add_subcommand("predict",
                                     "A model's outputs (before any final Softmax) for every "
                                     "example of the data, in file order");
    c->add_option("--model", args->model_path, "model file: quantlab-model JSON or .onnx")
        ->required();
    c->add_option("--data", args->data, "data spec (every row, in file order)")->required();
    c->add_option("--normalize", args->normalize,
                  std::string(qlab::kNormalizationChoices) +
                      ", with the data's own statistics (default: none for ONNX, unit for real "
                      "data with a JSON model)");
    add_format_options(c, args->formats, true);
    c->add_option("--out", args->out,
                  "write the outputs here: one line per example, %.9g, "
                  "comma-separated");
    c->add_flag("--json", args->json,
                "print {\"outputs\": [[...], ...], \"predictions\": [...]} instead");
    return {c, [args] { return run_predict(*args); }};
}

}  // namespace qlab::cli
