// qlab export: a model (JSON or ONNX) as standard ONNX, with real QuantizeLinear/
// DequantizeLinear where ONNX has the type, at the formats the flags, a calibration or the
// model file itself give (qlab/onnx.hpp says how each format is written).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "model_file.hpp"

namespace qlab::cli {
namespace {

struct ExportArgs {
    std::string model_path, data, normalize, out;
    FormatArgs formats;
    int opset = qlab::ExportOptions{}.opset;
};

int run_export(const ExportArgs& args) {
    ModelFile file;
    if (!load_model_file("export", args.model_path, file)) return kExitBadInput;
    qlab::Dataset data;
    const bool have_data = !args.data.empty();
    if (have_data && !load_data_in_order("export", args.data, args.normalize, file, data))
        return kExitBadInput;
    qlab::ExportOptions o;
    bool own = false;
    if (!resolve_formats("export", args.formats, file, have_data ? &data : nullptr, o.formats, own))
        return kExitBadInput;
    if (own)
        o.input_format = file.imported.input_format, o.output_format = file.imported.output_format;
    o.output = file.imported.output;
    o.input_shape = file.imported.input_shape;
    o.opset = args.opset;
    std::vector<std::string> notes;
    auto bytes = qlab::export_onnx(file.imported.model, o, &notes);
    if (!bytes) {
        std::cerr << "qlab export: " << bytes.status().message() << "\n";
        return kExitBadInput;
    }
    std::ofstream out(args.out, std::ios::binary);
    if (!out || !out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()))) {
        std::cerr << "qlab export: cannot write '" << args.out << "'\n";
        return kExitBadInput;
    }
    for (const std::string& n : notes) std::cerr << "qlab export: note: " << n << "\n";
    std::printf("wrote %s (%zu bytes)\n", args.out.c_str(), bytes->size());
    return 0;
}

}  // namespace

Subcommand add_export(CLI::App& app) {
    auto args = std::make_shared<ExportArgs>();
    CLI::App* c = app.add_subcommand(
        "export", "Write a model as standard ONNX, quantized with QuantizeLinear/DequantizeLinear");
    c->add_option("--model", args->model_path, "model file: quantlab-model JSON or .onnx")
        ->required();
    add_format_options(c, args->formats, false);
    c->add_option("--data", args->data, "data spec to calibrate on (with --calibrate)");
    c->add_option("--normalize", args->normalize,
                  std::string(qlab::kNormalizationChoices) +
                      " for --data (default: none for ONNX, unit for real data with a JSON "
                      "model)");
    c->add_option("--opset", args->opset,
                  "ONNX opset, 13 to 21 (default: the lowest the formats need: 13; 19 for FP8; "
                  "21 for 4-bit and blocked ints)");
    c->add_option("--out", args->out, "the .onnx file to write")->required();
    return {c, [args] { return run_export(*args); }};
}

}  // namespace qlab::cli
