// ONNX in and out (README, "Bring your own model"): a model from an ONNX file (the ModelProto
// that torch.onnx.export, the onnx Python helper and onnxruntime's quantization tools write;
// opsets 7 to 21), with the formats its QuantizeLinear/DequantizeLinear pairs carry, and standard
// ONNX written back, with real QDQ where ONNX has the type. One reader and one writer of the
// protobuf wire format serve the lab and the CLI (core/learn/src/onnx_proto.*). Bad files give
// one message that names the problem and the node (its index in the graph, op type and name);
// nothing is ever half-loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab {

// Files larger than this are refused before they are read (import_onnx_file, load_model).
constexpr std::size_t kMaxOnnxBytes = std::size_t{64} << 20;

// What the graph's last node makes of the scores. The lab's outputs are always the scores before
// it (the argmax is the same).
enum class OutputMeaning { none, softmax, logsoftmax };
const char* output_meaning_name(OutputMeaning meaning);

struct OnnxImportOptions {
    // Weights and biases in all; the lab passes kMaxImportedModelParameters (core/state) for a
    // browser tab. The default admits anything a 64 MB file can hold.
    double max_parameters = 17e6;
    int max_layers = 256;
};

struct ImportedModel {
    Model model;  // float weights (a quantized weight holds its dequantized values)
    // Per layer (index into model.layers), the formats of its QDQ pairs as the lab spells them:
    // weights (per tensor), weight_rows (per output channel), activations (the layer's output).
    // Empty strings where the graph has none; an empty vector for a float model.
    std::vector<LayerFormats> layers;
    // QDQ on the network input and on the final output (before any Softmax): the lab never
    // quantizes either in training or analysis; qlab predict applies them.
    std::string input_format, output_format;
    std::vector<int> input_shape;  // without the batch: {features} or {channels, height, width}
    std::string batch;             // the input's batch dimension: its name, its size or "?"
    OutputMeaning output = OutputMeaning::none;
    std::vector<std::string> notes;  // folded, merged, dropped and kept-as-float, one per line
    std::int64_t opset = 0, ir_version = 0;
    std::string producer;

    bool quantized() const;    // any format at all
    EvalOptions eval() const;  // the per-layer formats as evaluation options
};

// Parses and converts; the bytes need not outlive the result.
Result<ImportedModel> import_onnx(std::string_view bytes, const OnnxImportOptions& options = {});
// The file's size is checked against kMaxOnnxBytes before anything is read.
Result<ImportedModel> import_onnx_file(const std::string& path,
                                       const OnnxImportOptions& options = {});
// The op types import_onnx accepts (default domain), in the order the messages list them.
const std::vector<std::string>& supported_onnx_ops();

struct ExportOptions {
    // Formats as evaluation takes them: roles.weights and roles.activations, or per layer
    // (calibration, an import). The accumulator and the training roles are not exported.
    EvalOptions formats;
    std::string input_format, output_format;     // QDQ on the input and the final output
    OutputMeaning output = OutputMeaning::none;  // appended after the scores
    std::vector<int> input_shape;  // {features} or {C, H, W}; empty: what the first layer takes
    // 0: the lowest opset that expresses the formats (13; 19 for FP8; 21 for 4-bit and blocked
    // ints). A lower one than the formats need is refused, as is one above 21.
    int opset = 0;
    std::string producer = "quantlab";
};
// Standard ONNX: Gemm, Conv, the pools and activation nodes; weight formats ONNX has a type for
// become DequantizeLinear of int8/uint8 (any int grid up to 8 bits), int4/uint4 and FP8
// initializers, per tensor, per output channel or blocked; any other weight format is written as
// float32 initializers holding exactly the quantized values. Activation formats on an int grid
// of up to 8 bits become QuantizeLinear/DequantizeLinear (with a Clip to the grid's range when it
// is narrower than the ONNX type), FP8 QDQ, or float:e=5,m=10 a Cast to float16 and back; any
// other activation format is refused with a message. The lab's format specs ride along in the
// model's metadata ("quantlab.formats"), so import_onnx gives back the same formats.
// `notes`, when given, receives what was written differently from the lab's own terms (weights
// as float initializers because ONNX has no type for their format, one line each).
Result<std::string> export_onnx(const Model& model, const ExportOptions& options = {},
                                std::vector<std::string>* notes = nullptr);

}  // namespace qlab
