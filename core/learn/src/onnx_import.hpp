// Internals of the ONNX import (qlab/onnx.hpp), shared by onnx_import.cpp (constants, the walk
// along the chain, import_onnx), onnx_import_fold.cpp (folding constants) and
// onnx_import_ops.cpp and onnx_import_outputs.cpp (one handler per op). Private to
// core/learn. Sections: 1. messages and attributes  2. constants (initializers, Constant nodes and
// what folds over them), with per element the quantization parameters a DequantizeLinear gave
// them  3. the formats of quantized weights and activations  4. the importer's state.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "onnx_proto.hpp"
#include "onnx_tensor.hpp"
#include "qlab/format.hpp"
#include "qlab/onnx.hpp"

namespace qlab::onnx_import {

namespace ox = qlab::onnx;
using ox::NodeProto;
using ox::TensorProto;

constexpr int kMinOpset = 7, kMaxOpset = 21;

// ---- 1. messages and attributes --------------------------------------------------------------

std::string node_label(const NodeProto& n, std::size_t index);

Status node_error(const NodeProto& n, std::size_t index, const std::string& what);

std::string join(const std::vector<std::string>& items, const char* sep = ", ");

std::string ints_text(const std::vector<std::int64_t>& v);

std::string dims_text(const std::vector<int>& v);

// Attribute readers: absent gives the default; present with the wrong type is an error.
struct Attrs {
    const NodeProto& n;
    std::size_t index;

    Status wrong(const char* name, const char* want) const {
        return node_error(n, index, "attribute '" + std::string(name) + "' must be " + want);
    }
    Status get_int(const char* name, std::int64_t def, std::int64_t& out) const {
        out = def;
        const ox::AttributeProto* a = n.find(name);
        if (!a) return Status::success();
        if (!a->has_i && a->type != ox::kAttrInt) return wrong(name, "an integer");
        out = a->i;
        return Status::success();
    }
    Status get_float(const char* name, float def, float& out) const {
        out = def;
        const ox::AttributeProto* a = n.find(name);
        if (!a) return Status::success();
        if (!a->has_f && a->type != ox::kAttrFloat) return wrong(name, "a number");
        out = a->f;
        return Status::success();
    }
    Status get_ints(const char* name, std::vector<std::int64_t>& out, bool& present) const {
        const ox::AttributeProto* a = n.find(name);
        present = a != nullptr;
        out.clear();
        if (!a) return Status::success();
        if (a->type != ox::kAttrInts && a->type != ox::kAttrUndefined)
            return wrong(name, "a list of integers");
        out = a->ints;
        return Status::success();
    }
    Status get_string(const char* name, const std::string& def, std::string& out) const {
        out = def;
        const ox::AttributeProto* a = n.find(name);
        if (!a) return Status::success();
        if (!a->has_s && a->type != ox::kAttrString) return wrong(name, "a string");
        out = a->s;
        return Status::success();
    }
};

// ---- 2. constants ---------------------------------------------------------------------------

// How a DequantizeLinear dequantized a constant: per element (qidx) the index of its scale and
// zero point. Survives the ops that only move elements (Reshape, Transpose, ...).
struct Quant {
    int type = ox::kInt8;
    std::vector<float> scale;
    std::vector<float> zero;
    std::vector<std::int32_t> qidx;  // per element of the constant
    bool saturate = true;            // a QuantizeLinear's (FP8 only)
};

struct Const {
    std::vector<std::int64_t> dims;
    int type = ox::kFloat;
    std::vector<float> f;         // values (integer types: the integers as floats)
    std::vector<std::int64_t> i;  // integer types only
    std::optional<Quant> quant;   // set by DequantizeLinear
    bool integer() const { return ox::is_integer_type(type); }
    std::size_t size() const { return f.size(); }
};

Status const_from_tensor(const TensorProto& t, Const& c);

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from = 0);

// Index of element `flat` of a tensor of `dims` along axis `axis`.
std::int64_t coordinate(const std::vector<std::int64_t>& dims, std::int64_t flat, std::size_t axis);

// ---- 3. formats -----------------------------------------------------------------------------

std::string int_spec(int type, float scale, float zero);

const char* float8_name(int type);

bool int_quant_type(int type);

// The lab's spec for one (scale, zero) of an element type; empty with `why` when there is none.
std::string quant_spec(int type, float scale, float zero, bool saturate, std::string& why);

// Values after a format reproduce themselves bit for bit (rows x cols, row-major).
bool reproduces(const Format& f, const std::vector<float>& values, std::size_t rows,
                std::size_t cols);

bool reproduces(const std::string& spec, const std::vector<float>& values, std::size_t rows,
                std::size_t cols);

// Two formats round every value alike: the same atoms and the same overflow.
bool same_rounding(const std::string& a, const std::string& b);

// An int grid (the spec of a QuantizeLinear/DequantizeLinear pair) cut to [lo, hi], two of its
// atoms: the same grid with fewer codes, as the lab spells it. False when lo or hi is no atom.
bool narrow_grid(const std::string& spec, float lo, float hi, std::string& out);

// What the lab's metadata says the formats are (export_onnx writes it): hints only, each
// checked against the graph before it is used.
struct Hints {
    std::vector<LayerFormats> layers;
    std::string input, output;
    bool present = false;
};

Hints read_hints(const ox::ModelProto& m);

// ---- 4. the importer ------------------------------------------------------------------------

// The walk's state; one Importer reads one model.
struct Importer {
    const ox::ModelProto& proto;
    const OnnxImportOptions& options;
    std::int64_t opset = 0;
    ImportedModel out;
    Hints hints;

    std::map<std::string, Const> consts;
    std::map<std::string, std::size_t> producer;           // tensor -> node
    std::map<std::string, std::vector<std::size_t>> uses;  // tensor -> non-constant nodes
    std::vector<std::size_t> order;                        // topological
    std::vector<bool> folded;                              // node became a constant
    std::set<std::string> graph_outputs;

    // The walk's state: the tensor in hand and its shape (without the batch).
    std::string cur;
    std::vector<int> shape;
    bool act_set = false;        // the last layer's activation is given...
    std::size_t act_host = 0;    // ...by this layer (the one before a max-pool it moved across)
    bool act_quantized = false;  // a quantizer followed the last layer
    int pad[4] = {0, 0, 0, 0};   // a Pad waiting for a Conv or AveragePool
    std::size_t pad_node = 0;
    bool pad_pending = false;
    double parameters = 0;

    Importer(const ox::ModelProto& p, const OnnxImportOptions& o) : proto(p), options(o) {}

    const ox::GraphProto& graph() const { return proto.graph; }
    const NodeProto& node(std::size_t i) const { return graph().node[i]; }
    bool is_const(const std::string& name) const { return consts.count(name) > 0; }
    Model& model() { return out.model; }
    LayerFormats& formats(std::size_t l) {
        if (out.layers.size() <= l) out.layers.resize(l + 1);
        return out.layers[l];
    }

    Status run();
    Status check_opset();
    Status load_initializers();
    Status sort_nodes();
    Status fold_constants();
    Status fold(std::size_t index, bool& done);
    // One per op family that folds; c starts as a copy of the input x (onnx_import_fold.cpp).
    Status fold_constant_node(std::size_t index, Const& c);
    Status fold_cast(std::size_t index, const Const& x, Const& c, bool& folds);
    Status fold_reshape(std::size_t index, const Const& x, Const& c);
    Status fold_squeeze(std::size_t index, const Const& x, Const& c);
    Status fold_transpose(std::size_t index, const Const& x, Const& c);
    Status fold_quantize_linear(std::size_t index, const Const& x, Const& c);
    Status read_input();
    Status walk();
    Status step(std::size_t index, std::string& next);
    Status finish();

    // Op handlers on the chain.
    Status dense_layer(std::size_t index, const Const& w, bool w_rows_out, const Const* bias,
                       float alpha, float beta);
    Status gemm(std::size_t index);
    Status matmul(std::size_t index);
    Status add(std::size_t index);
    Status conv(std::size_t index);
    Status pool(std::size_t index);
    Status pad_op(std::size_t index);
    Status activation(std::size_t index);
    Status read_activation(std::size_t index, Activation& a, float& alpha, float& beta);
    Status clip_activation(std::size_t index, Activation& a, float& alpha, float& beta);
    bool narrow_quantizer(Activation a, float alpha, float beta);
    bool merge_clamps(std::size_t index, Layer& H, Activation a, float alpha, float beta);
    Status batchnorm(std::size_t index);
    Status reshape_like(std::size_t index);
    Status reshape_shape(std::size_t index, const std::vector<std::int64_t>& full,
                         std::int64_t total, std::vector<std::int64_t>& result);
    Status squeeze_shape(std::size_t index, const std::vector<std::int64_t>& full,
                         std::vector<std::int64_t>& result);
    Status quantize_pair(std::size_t index, std::string& next);
    Status cast_pair(std::size_t index, std::string& next);
    Status softmax(std::size_t index);

    // Helpers.
    Status const_input(std::size_t index, std::size_t k, const Const*& c, bool optional = false);
    Status only_first_output(std::size_t index);
    Status geometry(std::size_t index, Layer& L, bool conv);
    Status weight_formats(std::size_t layer, const Const& w, bool transposed, std::size_t rows,
                          std::size_t cols);
    Status set_activation_format(std::size_t index, const std::string& spec);
    Status add_layer(std::size_t index, Layer L);
    Status last_weighted(std::size_t index, const char* what, Layer*& L);
    void note(const std::string& text) { out.notes.push_back(text); }
};

}  // namespace qlab::onnx_import
