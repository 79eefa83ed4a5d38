// ONNX graphs into the lab's Model (qlab/onnx.hpp): constants (initializers, Constant nodes and
// what folds over them: DequantizeLinear, QuantizeLinear, Identity, Cast, Reshape, Squeeze,
// Unsqueeze, Transpose), the nodes in topological order, the walk along the one chain from the
// graph input to its output, and import_onnx. The op handlers are in onnx_import_ops.cpp and
// onnx_import_outputs.cpp, the folding in onnx_import_fold.cpp.
// Sections: 1. messages and attributes; 2. constants; 3. formats; 4. the importer (opset,
// initializers, order, the input, the walk; folding constants is onnx_import_fold.cpp);
// 5. import_onnx and the op list.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "onnx_import.hpp"

namespace qlab {
namespace onnx_import {

// ---- 1. messages and attributes --------------------------------------------------------------

std::string node_label(const NodeProto& n, std::size_t index) {
    return "node " + std::to_string(index) + " (" + (n.op_type.empty() ? "?" : n.op_type) +
           (n.name.empty() ? "" : " '" + n.name + "'") + ")";
}

Status node_error(const NodeProto& n, std::size_t index, const std::string& what) {
    return Status::error(node_label(n, index) + ": " + what);
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string s;
    for (const std::string& i : items) s += (s.empty() ? "" : sep) + i;
    return s;
}

std::string ints_text(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

std::string dims_text(const std::vector<int>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " x " : "") + std::to_string(v[i]);
    return s.empty() ? "a scalar" : s;
}

// ---- 2. constants ---------------------------------------------------------------------------

Status const_from_tensor(const TensorProto& t, Const& c) {
    c.dims = t.dims;
    c.type = t.data_type;
    if (Status s = ox::tensor_floats(t, c.f); !s) return s;
    if (c.integer()) {
        if (Status s = ox::tensor_ints(t, c.i); !s) return s;
    }
    return Status::success();
}

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from) {
    constexpr std::int64_t kLimit = std::int64_t{1} << 40;  // no tensor in a 64 MB file is larger
    std::int64_t n = 1;
    for (std::size_t k = from; k < dims.size(); ++k) {
        if (dims[k] < 0 || dims[k] > kLimit) return -1;
        n *= dims[k];
        if (n > kLimit) return -1;
    }
    return n;
}

std::int64_t coordinate(const std::vector<std::int64_t>& dims, std::int64_t flat,
                        std::size_t axis) {
    return (flat / product(dims, axis + 1)) % dims[axis];
}

// ---- 3. formats -----------------------------------------------------------------------------

std::string int_spec(int type, float scale, float zero) {
    const bool is_signed = type == ox::kInt8 || type == ox::kInt4 || type == ox::kInt16;
    const int bits = ox::is_int4(type) ? 4 : (type == ox::kInt16 || type == ox::kUint16) ? 16 : 8;
    std::string s = "int:b=" + std::to_string(bits) + ",scale=" + shortest_repr(scale);
    if (zero != 0) s += ",zero=" + shortest_repr(zero);
    if (!is_signed) s += ",signed=0";
    return s;
}

const char* float8_name(int type) {
    switch (type) {
        case ox::kFloat8E4M3FN:
            return "fp8:e4m3";
        case ox::kFloat8E4M3FNUZ:
            return "fp8:e4m3fnuz";
        case ox::kFloat8E5M2:
            return "fp8:e5m2";
        default:
            return "fp8:e5m2fnuz";
    }
}

bool int_quant_type(int type) {
    return type == ox::kInt8 || type == ox::kUint8 || type == ox::kInt4 || type == ox::kUint4 ||
           type == ox::kInt16 || type == ox::kUint16;
}

std::string quant_spec(int type, float scale, float zero, bool saturate, std::string& why) {
    if (!(scale > 0) || !std::isfinite(scale)) {
        why = "a scale of " + shortest_repr(scale) + " (it must be positive and finite)";
        return {};
    }
    if (int_quant_type(type)) return int_spec(type, scale, zero);
    if (ox::is_float8(type)) {
        if (scale != 1 || zero != 0) {
            why = std::string(ox::data_type_name(type)) + " with a scale of " +
                  shortest_repr(scale) + " (the lab's fp8 formats are unscaled)";
            return {};
        }
        return std::string(float8_name(type)) + (saturate ? ",sat=1" : "");
    }
    why = std::string("quantization to ") + ox::data_type_name(type);
    return {};
}

bool reproduces(const Format& f, const std::vector<float>& values, std::size_t rows,
                std::size_t cols) {
    std::vector<float> q(values.size());
    f.quantize_rows(values.data(), q.data(), rows, cols);
    return std::memcmp(q.data(), values.data(), values.size() * sizeof(float)) == 0;
}

bool reproduces(const std::string& spec, const std::vector<float>& values, std::size_t rows,
                std::size_t cols) {
    // Per-channel files repeat a handful of specs thousands of times: parse each once.
    static thread_local std::map<std::string, std::optional<Format>> parsed;
    auto it = parsed.find(spec);
    if (it == parsed.end()) {
        if (parsed.size() > 4096) parsed.clear();
        auto f = Format::parse(spec);
        it = parsed.emplace(spec, f ? std::optional<Format>(*f) : std::nullopt).first;
    }
    return it->second && reproduces(*it->second, values, rows, cols);
}

bool same_rounding(const std::string& a, const std::string& b) {
    if (a == b) return true;
    auto fa = Format::parse(a), fb = Format::parse(b);
    if (!fa || !fb || fa->data_dependent() || fb->data_dependent()) return false;
    if (!(fa->atom_count() <= 70000) || fa->atom_count() != fb->atom_count()) return false;
    const double lo = fa->min_finite(), hi = fa->max_finite();
    if (fb->min_finite() != lo || fb->max_finite() != hi) return false;
    if (fa->atoms_in(lo, hi, 70000).atoms != fb->atoms_in(lo, hi, 70000).atoms) return false;
    for (double x : {hi * 4, -hi * 4, static_cast<double>(INFINITY)}) {
        const double qa = fa->quantize_ref(x), qb = fb->quantize_ref(x);
        if (!(qa == qb || (std::isnan(qa) && std::isnan(qb)))) return false;
    }
    return true;
}

bool narrow_grid(const std::string& spec, float lo, float hi, std::string& out) {
    auto f = Format::parse(spec);
    if (!f || f->kind() != "int" || f->data_dependent()) return false;
    const double step = f->epsilon();
    lo = std::max<float>(lo, static_cast<float>(f->min_finite()));
    hi = std::min<float>(hi, static_cast<float>(f->max_finite()));
    // Atoms as float32 numbers, as the network stores them (and as ONNX's Clip holds them).
    auto as_float = [](double v) { return static_cast<float>(v); };
    if (as_float(f->quantize_ref(lo)) != lo || as_float(f->quantize_ref(hi)) != hi || !(lo < hi))
        return false;
    // Codes relative to zero: lo = step * a, hi = step * b.
    const double a = std::nearbyint(lo / step), b = std::nearbyint(hi / step);
    if (as_float(step * a) != lo || as_float(step * b) != hi) return false;
    const double n = b - a + 1;
    const std::string scale = shortest_repr(step);
    for (int w = 2; w <= 16; ++w) {
        const double half = std::ldexp(1.0, w - 1);
        // signed (zero 0 when a = -half), narrow, unsigned with a zero point
        if (n == 2 * half && a == -half) {
            out = "int:b=" + std::to_string(w) + ",scale=" + scale;
            return true;
        }
        if (n == 2 * half - 1 && a == -(half - 1)) {
            out = "int:b=" + std::to_string(w) + ",scale=" + scale + ",narrow=1";
            return true;
        }
        if (n == 2 * half && a <= 0 && b >= 0) {
            out = "int:b=" + std::to_string(w) + ",scale=" + scale +
                  (a != 0 ? ",zero=" + shortest_repr(-a) : "") + ",signed=0";
            return true;
        }
    }
    return false;
}

Hints read_hints(const ox::ModelProto& m) {
    Hints h;
    for (const auto& [key, value] : m.metadata_props) {
        if (key != "quantlab.formats") continue;
        const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
        if (!j.is_object()) return h;
        auto str = [](const nlohmann::json& o, const char* k) {
            const auto it = o.find(k);
            return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        h.input = str(j, "input");
        h.output = str(j, "output");
        const auto layers = j.find("layers");
        if (layers != j.end() && layers->is_array())
            for (const nlohmann::json& l : *layers) {
                LayerFormats f;
                if (l.is_object()) {
                    f.weights = str(l, "weights");
                    f.activations = str(l, "activations");
                    const auto rows = l.find("weight_rows");
                    if (rows != l.end() && rows->is_array())
                        for (const auto& r : *rows)
                            f.weight_rows.push_back(r.is_string() ? r.get<std::string>() : "");
                }
                h.layers.push_back(std::move(f));
            }
        h.present = true;
    }
    return h;
}

// ---- 4. the importer ------------------------------------------------------------------------

Status Importer::check_opset() {
    for (const ox::OperatorSetIdProto& id : proto.opset_import)
        if (id.domain.empty() || id.domain == "ai.onnx") opset = id.version;
    if (proto.opset_import.empty() && proto.ir_version >= 1 && proto.ir_version <= 2) opset = 1;
    if (opset == 0) return Status::error("the model imports no opset of the default ONNX domain");
    if (opset < kMinOpset || opset > kMaxOpset)
        return Status::error("opset " + std::to_string(opset) +
                             " is not supported (the lab reads opsets 7 to 21)");
    out.opset = opset;
    out.ir_version = proto.ir_version;
    out.producer =
        proto.producer_name + (proto.producer_version.empty() ? "" : " " + proto.producer_version);
    return Status::success();
}

Status Importer::load_initializers() {
    if (graph().has_sparse_initializer)
        return Status::error("the graph has sparse initializers, which the lab does not read");
    for (const TensorProto& t : graph().initializer) {
        if (t.external)
            return Status::error(
                "initializer '" + t.name + "' keeps its data in an external file" +
                (t.external_location.empty() ? "" : " ('" + t.external_location + "')") +
                ": export with the weights inside the file (torch.onnx.export keeps them inline "
                "below 2 GB; or onnx.save(model, path, save_as_external_data=False))");
        Const c;
        if (Status s = const_from_tensor(t, c); !s)
            return Status::error("initializer '" + t.name + "': " + s.message());
        consts[t.name] = std::move(c);
    }
    return Status::success();
}

Status Importer::sort_nodes() {
    const auto& nodes = graph().node;
    std::set<std::string> available;
    for (const auto& t : graph().initializer) available.insert(t.name);
    for (const auto& v : graph().input) available.insert(v.name);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const NodeProto& n = nodes[i];
        if (n.domain != "" && n.domain != "ai.onnx")
            return node_error(
                n, i,
                "op " + n.domain + "::" + n.op_type +
                    " is not in the default ONNX domain; supported: " + join(supported_onnx_ops()));
        for (const ox::AttributeProto& a : n.attribute)
            if (a.has_graph)
                return node_error(n, i,
                                  "has a subgraph (attribute '" + a.name +
                                      "'): branches and loops cannot be expressed as the lab's "
                                      "chain of layers");
        for (const std::string& o : n.output) {
            if (o.empty()) continue;
            if (producer.count(o) || available.count(o))
                return node_error(n, i, "writes tensor '" + o + "', which is already defined");
            producer[o] = i;
        }
    }
    // Every input must come from somewhere: a node, an initializer or a graph input.
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (const std::string& in : nodes[i].input)
            if (!in.empty() && !producer.count(in) && !available.count(in))
                return node_error(nodes[i], i,
                                  "reads '" + in +
                                      "', which no node, initializer or graph input provides "
                                      "(a missing initializer?)");
    // Kahn's algorithm; what remains is on a cycle.
    std::vector<int> waiting(nodes.size(), 0);
    std::map<std::size_t, std::vector<std::size_t>> next;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (const std::string& in : nodes[i].input) {
            const auto p = producer.find(in);
            if (in.empty() || p == producer.end()) continue;
            ++waiting[i];
            next[p->second].push_back(i);
        }
    std::vector<std::size_t> ready;
    for (std::size_t i = nodes.size(); i-- > 0;)
        if (waiting[i] == 0) ready.push_back(i);
    while (!ready.empty()) {
        const std::size_t i = ready.back();
        ready.pop_back();
        order.push_back(i);
        for (std::size_t j : next[i])
            if (--waiting[j] == 0) ready.push_back(j);
    }
    if (order.size() != nodes.size()) {
        std::size_t first = 0;
        while (waiting[first] == 0) ++first;
        return node_error(nodes[first], first,
                          "is on a cycle (its inputs depend on its own outputs): a graph must "
                          "run from its input to its output");
    }
    return Status::success();
}

Status Importer::read_input() {
    std::vector<const ox::ValueInfoProto*> inputs;
    for (const auto& v : graph().input)
        if (!is_const(v.name)) inputs.push_back(&v);
    if (inputs.size() != 1) {
        std::vector<std::string> names;
        for (const auto* v : inputs) names.push_back("'" + v->name + "'");
        return Status::error("the graph has " + std::to_string(inputs.size()) + " inputs" +
                             (names.empty() ? "" : " (" + join(names) + ")") +
                             ": the lab's models take one (a branch per input cannot be "
                             "expressed)");
    }
    const ox::ValueInfoProto& in = *inputs[0];
    if (!in.is_tensor || in.elem_type != ox::kFloat)
        return Status::error("input '" + in.name + "' must be a float tensor, it is " +
                             (in.is_tensor ? ox::data_type_name(in.elem_type) : "not a tensor"));
    if (!in.has_shape || (in.shape.size() != 2 && in.shape.size() != 4))
        return Status::error(
            "input '" + in.name + "' must have a shape of N x features or " +
            "N x C x H x W (it has " +
            (in.has_shape ? std::to_string(in.shape.size()) + " dimensions" : "no shape") + ")");
    const ox::Dimension& b = in.shape[0];
    out.batch = b.has_value ? std::to_string(b.value) : b.param.empty() ? "?" : b.param;
    for (std::size_t k = 1; k < in.shape.size(); ++k) {
        const ox::Dimension& d = in.shape[k];
        if (!d.has_value || d.value < 1 || d.value > (1 << 20))
            return Status::error("input '" + in.name + "' dimension " + std::to_string(k) +
                                 " must be a fixed size from 1 to 2^20 (only the batch may be " +
                                 "symbolic)");
        shape.push_back(static_cast<int>(d.value));
    }
    double total = 1;
    for (int d : shape) total *= d;
    if (total > 1e8) return Status::error("input '" + in.name + "' is too large");
    out.input_shape = shape;
    cur = in.name;
    if (graph().output.size() != 1)
        return Status::error("the graph has " + std::to_string(graph().output.size()) +
                             " outputs: the lab's models have one");
    graph_outputs.insert(graph().output[0].name);
    return Status::success();
}

Status Importer::step(std::size_t index, std::string& next) {
    const NodeProto& n = node(index);
    const std::string& op = n.op_type;
    next = n.output.empty() ? std::string() : n.output[0];
    // The chain's tensor must be the node's data input, and every other input a constant.
    if (n.input.empty() || n.input[0] != cur) {
        if (op == "Add") return add(index);
        return node_error(
            n, index,
            "reads '" + cur + "' as input " +
                std::to_string(std::find(n.input.begin(), n.input.end(), cur) - n.input.begin()) +
                "; the lab's layers take the previous tensor first");
    }
    for (std::size_t k = 1; k < n.input.size(); ++k) {
        const std::string& in = n.input[k];
        if (in.empty() || is_const(in)) continue;
        if (op == "Add" || op == "Sum" || op == "Mul" || op == "Sub" || op == "Concat" ||
            op == "Div")
            return node_error(n, index,
                              "joins two computed tensors ('" + cur + "' and '" + in +
                                  "'): a residual connection or a merge of branches cannot be "
                                  "expressed as the lab's chain of layers");
        if (op == "MatMul" || op == "Gemm")
            return node_error(n, index,
                              "multiplies two computed tensors ('" + cur + "' and '" + in +
                                  "'), as attention does: the lab's layers multiply by constant "
                                  "weights only");
        return node_error(
            n, index,
            "input " + std::to_string(k) + " ('" + in + "') is computed, it must be a constant");
    }
    if (pad_pending && op != "Conv" && op != "AveragePool" && op != "MaxPool" &&
        op != "GlobalAveragePool")
        return node_error(node(pad_node), pad_node,
                          "a Pad must be followed by the Conv or AveragePool it pads");
    if (op == "Gemm") return gemm(index);
    if (op == "MatMul") return matmul(index);
    if (op == "Add") return add(index);
    if (op == "Conv") return conv(index);
    if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") return pool(index);
    if (op == "Pad") return pad_op(index);
    if (op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" ||
        op == "HardSigmoid" || op == "Tanh")
        return activation(index);
    if (op == "BatchNormalization") return batchnorm(index);
    if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze")
        return reshape_like(index);
    if (op == "Dropout" || op == "Identity") {
        if (op == "Dropout") {
            if (Status s = only_first_output(index); !s) return s;
            if (opset >= 12 && n.input.size() > 2 && !n.input[2].empty()) {
                const Const* training = nullptr;
                if (Status s = const_input(index, 2, training); !s) return s;
                if (training->size() == 1 && training->f[0] != 0)
                    return node_error(n, index, "runs in training mode");
            }
        }
        note(node_label(n, index) + " dropped (" +
             (op == "Dropout" ? "dropout does nothing at inference" : "it passes its input on") +
             ")");
        return Status::success();
    }
    if (op == "QuantizeLinear" || op == "DequantizeLinear") return quantize_pair(index, next);
    if (op == "Cast") return cast_pair(index, next);
    if (op == "Softmax" || op == "LogSoftmax") return softmax(index);
    if (op == "Shape")
        return node_error(n, index,
                          "computes a shape at run time (as x.view(x.size(0), -1) exports): the "
                          "lab needs constant shapes; export with torch.flatten(x, 1) or a "
                          "constant Reshape");
    return node_error(n, index,
                      "op " + op + " is not supported; supported: " + join(supported_onnx_ops()));
}

Status Importer::walk() {
    const std::size_t limit = graph().node.size() + 1;
    for (std::size_t steps = 0; steps <= limit; ++steps) {
        const auto u = uses.find(cur);
        const std::vector<std::size_t> readers =
            u == uses.end() ? std::vector<std::size_t>{} : u->second;
        if (graph_outputs.count(cur)) {
            if (!readers.empty())
                return node_error(
                    node(readers[0]), readers[0],
                    "reads the graph's output '" + cur + "': the output must be the chain's end");
            if (pad_pending)
                return node_error(node(pad_node), pad_node,
                                  "a Pad must be followed by the Conv or AveragePool it pads");
            return Status::success();
        }
        if (readers.empty())
            return Status::error("the graph's output '" + *graph_outputs.begin() +
                                 "' is not reached from its input: the chain of layers stops at '" +
                                 cur + "'");
        if (readers.size() > 1) {
            std::vector<std::string> labels;
            for (std::size_t r : readers) {
                if (node(r).op_type == "Shape")
                    return node_error(node(r), r,
                                      "computes a shape at run time (as x.view(x.size(0), -1) "
                                      "exports): the lab needs constant shapes; export with "
                                      "torch.flatten(x, 1) or a constant Reshape");
                labels.push_back(node_label(node(r), r));
            }
            return Status::error("tensor '" + cur + "' feeds " + std::to_string(readers.size()) +
                                 " nodes (" + join(labels) +
                                 "): a branch; the lab's models are one chain of layers, so "
                                 "branches, residual adds and attention cannot be expressed");
        }
        std::string next;
        if (Status s = step(readers[0], next); !s) return s;
        if (next.empty()) return node_error(node(readers[0]), readers[0], "has no output");
        cur = next;
    }
    return Status::error("the graph does not end (a cycle)");
}

Status Importer::finish() {
    if (model().layers.empty())
        return Status::error("the graph has no layer (Gemm, MatMul or Conv) the lab can study");
    // The last layer's quantizer is the output's: the lab never quantizes the scores.
    LayerFormats& last = formats(model().layers.size() - 1);
    if (!last.activations.empty()) {
        out.output_format = last.activations;
        last.activations.clear();
    }
    out.layers.resize(model().layers.size());
    // Hints for activations: the lab's own spec when it rounds exactly like the graph's.
    for (std::size_t l = 0; l < out.layers.size() && l < hints.layers.size(); ++l) {
        const std::string& h = hints.layers[l].activations;
        if (!h.empty() && !out.layers[l].activations.empty() &&
            same_rounding(h, out.layers[l].activations))
            out.layers[l].activations = h;
    }
    if (!hints.input.empty() && same_rounding(hints.input, out.input_format))
        out.input_format = hints.input;
    if (!hints.output.empty() && same_rounding(hints.output, out.output_format))
        out.output_format = hints.output;
    if (!out.quantized()) out.layers.clear();
    if (out.output != OutputMeaning::none)
        note(std::string(out.output == OutputMeaning::softmax ? "Softmax" : "LogSoftmax") +
             " at the output: the lab reports the scores before it");
    return Status::success();
}

Status Importer::run() {
    if (!proto.has_graph) return Status::error("the file holds no graph: it is not an ONNX model");
    if (proto.ir_version < 1 || proto.ir_version > 100)
        return Status::error("IR version " + std::to_string(proto.ir_version) +
                             " is not an ONNX model's");
    if (Status s = check_opset(); !s) return s;
    if (proto.has_functions)
        return Status::error("the model defines functions, which the lab does not read");
    hints = read_hints(proto);
    if (Status s = load_initializers(); !s) return s;
    if (Status s = sort_nodes(); !s) return s;
    if (Status s = fold_constants(); !s) return s;
    if (Status s = read_input(); !s) return s;
    if (Status s = walk(); !s) return s;
    return finish();
}

}  // namespace onnx_import

using onnx_import::Importer;

// ---- 5. import_onnx and the op list -------------------------------------------------------------
const char* output_meaning_name(OutputMeaning meaning) {
    switch (meaning) {
        case OutputMeaning::softmax:
            return "softmax";
        case OutputMeaning::logsoftmax:
            return "logsoftmax";
        case OutputMeaning::none:
            break;
    }
    return "none";
}

bool ImportedModel::quantized() const {
    if (!input_format.empty() || !output_format.empty()) return true;
    for (const LayerFormats& f : layers)
        if (!f.weights.empty() || !f.weight_rows.empty() || !f.activations.empty()) return true;
    return false;
}

EvalOptions ImportedModel::eval() const {
    EvalOptions e;
    e.layers = layers;
    return e;
}

const std::vector<std::string>& supported_onnx_ops() {
    static const std::vector<std::string> ops = {"Gemm",
                                                 "MatMul",
                                                 "Add",
                                                 "Conv",
                                                 "MaxPool",
                                                 "AveragePool",
                                                 "GlobalAveragePool",
                                                 "Pad",
                                                 "Relu",
                                                 "LeakyRelu",
                                                 "Clip",
                                                 "Sigmoid",
                                                 "HardSigmoid",
                                                 "Tanh",
                                                 "Flatten",
                                                 "Reshape",
                                                 "Squeeze",
                                                 "Unsqueeze",
                                                 "BatchNormalization",
                                                 "Dropout",
                                                 "Identity",
                                                 "Softmax",
                                                 "LogSoftmax",
                                                 "Constant",
                                                 "QuantizeLinear",
                                                 "DequantizeLinear",
                                                 "Cast",
                                                 "Transpose"};
    return ops;
}

Result<ImportedModel> import_onnx(std::string_view bytes, const OnnxImportOptions& options) {
    if (bytes.empty()) return Status::error("ONNX: the file is empty");
    if (bytes.size() > kMaxOnnxBytes)
        return Status::error("ONNX: the file has " + std::to_string(bytes.size()) +
                             " bytes, more than the lab's limit of 64 MB");
    auto proto = onnx::parse_model(bytes);
    if (!proto)
        return Status::error("ONNX: not an ONNX model, or a truncated one (" +
                             proto.status().message() + ")");
    Importer im(*proto, options);
    if (Status s = im.run(); !s) return Status::error("ONNX: " + s.message());
    return std::move(im.out);
}

Result<ImportedModel> import_onnx_file(const std::string& path, const OnnxImportOptions& options) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Status::error("cannot open model '" + path + "'");
    const std::streamoff size = in.tellg();
    if (size < 0) return Status::error("cannot read model '" + path + "'");
    if (static_cast<std::uint64_t>(size) > kMaxOnnxBytes)
        return Status::error(path + ": ONNX: the file has " + std::to_string(size) +
                             " bytes, more than the lab's limit of 64 MB (refused before reading)");
    std::string bytes(static_cast<std::size_t>(size), '\0');
    in.seekg(0);
    if (!in.read(bytes.data(), size)) return Status::error("cannot read model '" + path + "'");
    auto m = import_onnx(bytes, options);
    if (!m) return Status::error(path + ": " + m.status().message());
    return m;
}

}  // namespace qlab
