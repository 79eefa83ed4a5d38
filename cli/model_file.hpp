// What predict, export and sensitivity share: a model file of either kind (quantlab-model JSON or
// ONNX, with the formats of its QuantizeLinear/DequantizeLinear pairs), the data in file order,
// and the formats a run uses (calibrated, given by flags, or the file's own).
#pragma once

#include <string>

#include "qlab/calibration.hpp"
#include "qlab/dataset.hpp"
#include "qlab/onnx.hpp"

namespace CLI {
class App;
}

namespace qlab::cli {

struct ModelFile {
    qlab::ImportedModel imported;  // a JSON model: no formats, notes or input shape
    bool onnx = false;
};
// Prints the message and returns false on failure.
bool load_model_file(const char* command, const std::string& path, ModelFile& out);

// The whole data set in file order (no split, no shuffle), normalised with its own statistics:
// none, unit ([-1, 1] per feature), minmax ([0, 1]) or standard; "" picks none for an ONNX model
// (its own preprocessing is unknown) and, as eval does, unit for real data with a JSON model.
bool load_data_in_order(const char* command, const std::string& spec, std::string normalize,
                        const ModelFile& model, qlab::Dataset& out);

// The formats options predict and export take; defaults from the core's structs.
struct FormatArgs {
    std::string weights, activations, accumulator, calibrate;
    int bits = qlab::CalibrationOptions{}.bits;
    bool per_channel = qlab::CalibrationOptions{}.per_channel;
    bool asymmetric = !qlab::CalibrationOptions{}.symmetric;
};
void add_format_options(CLI::App* c, FormatArgs& a, bool accumulator);
// The evaluation options a run uses: calibrated on `data`, or the flags' roles, or else the
// model file's own formats (keep_file_formats tells which). Prints the message on failure.
bool resolve_formats(const char* command, const FormatArgs& a, const ModelFile& model,
                     const qlab::Dataset* data, qlab::EvalOptions& out, bool& keep_file_formats);

}  // namespace qlab::cli
