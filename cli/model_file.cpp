// Model files, data in order and formats for predict, export and sensitivity (model_file.hpp).
#include "model_file.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace qlab::cli {

bool load_model_file(const char* command, const std::string& path, ModelFile& out) {
    const bool onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
    out.onnx = onnx;
    if (onnx) {
        auto m = qlab::import_onnx_file(path);
        if (!m) {
            std::cerr << "qlab " << command << ": " << m.status().message() << "\n";
            return false;
        }
        out.imported = std::move(m).value();
        return true;
    }
    auto m = qlab::load_model(path);
    if (!m) {
        std::cerr << "qlab " << command << ": " << m.status().message() << "\n";
        return false;
    }
    out.imported = qlab::ImportedModel{};
    out.imported.model = std::move(m).value();
    return true;
}

bool load_data_in_order(const char* command, const std::string& spec, std::string normalize,
                        const ModelFile& model, qlab::Dataset& out) {
    auto data = qlab::load_data_spec(spec);
    if (!data) {
        std::cerr << "qlab " << command << ": " << data.status().message() << "\n";
        return false;
    }
    out = std::move(data).value();
    if (normalize.empty() || normalize == "auto")
        normalize =
            model.onnx ? "none" : qlab::normalization_name(qlab::automatic_normalization(spec));
    const auto parsed = qlab::parse_normalization(normalize);
    if (!parsed) {
        std::cerr << "qlab " << command << ": --normalize must be " << qlab::kNormalizationChoices
                  << ", got '" << normalize << "'\n";
        return false;
    }
    const qlab::Normalization n = *parsed;
    const qlab::Dataset reference = out;
    qlab::normalize(out, reference, n);
    if (out.features != model.imported.model.inputs()) {
        std::cerr << "qlab " << command << ": the data has " << out.features
                  << " features, the model takes " << model.imported.model.inputs() << "\n";
        return false;
    }
    return true;
}

void add_format_options(CLI::App* c, FormatArgs& a, bool accumulator) {
    c->add_option("--weights", a.weights, "format of every layer's weights");
    c->add_option("--activations", a.activations, "format of every hidden layer's output");
    if (accumulator)
        c->add_option("--accumulator", a.accumulator, "format of each layer's pre-activation sum");
    c->add_option("--calibrate", a.calibrate,
                  "post-training calibration on --data instead of --weights/--activations: "
                  "minmax, percentile, mse or kl");
    c->add_option("--bits", a.bits, "calibrated int width (default 8)");
    c->add_flag("--per-channel", a.per_channel, "calibrate one weight format per output channel");
    c->add_flag("--asymmetric", a.asymmetric,
                "calibrate unsigned codes with a zero point (default symmetric)");
}

bool resolve_formats(const char* command, const FormatArgs& a, const ModelFile& model,
                     const qlab::Dataset* data, qlab::EvalOptions& out, bool& keep_file_formats) {
    keep_file_formats = false;
    const bool roles = !a.weights.empty() || !a.activations.empty() || !a.accumulator.empty();
    for (const std::string* spec : {&a.weights, &a.activations, &a.accumulator}) {
        if (spec->empty()) continue;
        if (auto f = qlab::Format::parse(*spec); !f) {
            std::cerr << "qlab " << command << ": " << f.status().message() << "\n";
            return false;
        }
    }
    if (!a.calibrate.empty()) {
        if (roles) {
            std::cerr << "qlab " << command
                      << ": give either --calibrate or explicit --weights/--activations\n";
            return false;
        }
        if (!data) {
            std::cerr << "qlab " << command << ": --calibrate needs --data\n";
            return false;
        }
        auto method = qlab::parse_calibration(a.calibrate);
        if (!method) {
            std::cerr << "qlab " << command << ": " << method.status().message() << "\n";
            return false;
        }
        qlab::CalibrationOptions c;
        c.method = *method;
        c.bits = a.bits;
        c.per_channel = a.per_channel;
        c.symmetric = !a.asymmetric;
        auto q = qlab::calibrate_model(model.imported.model, *data, c);
        if (!q) {
            std::cerr << "qlab " << command << ": " << q.status().message() << "\n";
            return false;
        }
        out = *q;
        return true;
    }
    if (roles) {
        out = qlab::EvalOptions{};
        out.roles.weights = a.weights;
        out.roles.activations = a.activations;
        out.roles.accumulator = a.accumulator;
        return true;
    }
    out = model.imported.eval();
    keep_file_formats = true;
    return true;
}

}  // namespace qlab::cli
