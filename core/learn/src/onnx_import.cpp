// ONNX graphs into the lab's Model (qlab/onnx.hpp). Sections: 1. messages and attributes
// 2. constants (initializers, Constant nodes and what folds over them: DequantizeLinear,
// QuantizeLinear, Identity, Cast, Reshape, Squeeze, Unsqueeze, Transpose), with per element the
// quantization parameters a DequantizeLinear gave them  3. the formats of quantized weights and
// activations  4. the walk along the one chain from the graph input to its output, an op at a
// time (opset-dependent attributes and inputs per op)  5. import_onnx.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>

#include "onnx_proto.hpp"
#include "onnx_tensor.hpp"
#include "qlab/format.hpp"
#include "qlab/onnx.hpp"

namespace qlab {
namespace {

namespace ox = qlab::onnx;
using ox::NodeProto;
using ox::TensorProto;

constexpr int kMinOpset = 7, kMaxOpset = 21;

// ---- 1. messages and attributes --------------------------------------------------------------

std::string node_label(const NodeProto& n, std::size_t index) {
    return "node " + std::to_string(index) + " (" + (n.op_type.empty() ? "?" : n.op_type) +
           (n.name.empty() ? "" : " '" + n.name + "'") + ")";
}

Status node_error(const NodeProto& n, std::size_t index, const std::string& what) {
    return Status::error(node_label(n, index) + ": " + what);
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
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

Status const_from_tensor(const TensorProto& t, Const& c) {
    c.dims = t.dims;
    c.type = t.data_type;
    if (Status s = ox::tensor_floats(t, c.f); !s) return s;
    if (c.integer()) {
        if (Status s = ox::tensor_ints(t, c.i); !s) return s;
    }
    return Status::success();
}

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from = 0) {
    std::int64_t n = 1;
    for (std::size_t k = from; k < dims.size(); ++k) n *= dims[k];
    return n;
}

// Index of element `flat` of a tensor of `dims` along axis `axis`.
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

// The lab's spec for one (scale, zero) of an element type; empty with `why` when there is none.
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

// Values after a format reproduce themselves bit for bit (rows x cols, row-major).
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

// Two formats round every value alike: the same atoms and the same overflow.
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

// An int grid (the spec of a QuantizeLinear/DequantizeLinear pair) cut to [lo, hi], two of its
// atoms: the same grid with fewer codes, as the lab spells it. False when lo or hi is no atom.
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

// What the lab's metadata says the formats are (export_onnx writes it): hints only, each
// checked against the graph before it is used.
struct Hints {
    std::vector<LayerFormats> layers;
    std::string input, output;
    bool present = false;
};

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

// ---- 4. the walk ----------------------------------------------------------------------------

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
    Status batchnorm(std::size_t index);
    Status reshape_like(std::size_t index);
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

Status Importer::const_input(std::size_t index, std::size_t k, const Const*& c, bool optional) {
    const NodeProto& n = node(index);
    c = nullptr;
    if (k >= n.input.size() || n.input[k].empty()) {
        if (optional) return Status::success();
        return node_error(n, index, "needs input " + std::to_string(k));
    }
    const auto it = consts.find(n.input[k]);
    if (it == consts.end())
        return node_error(n, index,
                          "input " + std::to_string(k) + " ('" + n.input[k] +
                              "') must be a constant (an initializer or a Constant node)");
    c = &it->second;
    return Status::success();
}

// Constants through the ops that fold: true in `done` when node `index` became a constant.
Status Importer::fold(std::size_t index, bool& done) {
    const NodeProto& n = node(index);
    done = false;
    static const std::set<std::string> foldable = {
        "Constant", "Identity", "DequantizeLinear", "QuantizeLinear", "Cast",
        "Reshape",  "Squeeze",  "Unsqueeze",        "Transpose"};
    if (!foldable.count(n.op_type) || n.output.empty()) return Status::success();
    for (std::size_t k = 0; k < n.input.size(); ++k)
        if (!n.input[k].empty() && !is_const(n.input[k])) return Status::success();
    if (n.op_type != "Constant" && (n.input.empty() || n.input[0].empty()))
        return Status::success();
    const Attrs at{n, index};
    Const c;
    if (n.op_type == "Constant") {
        const ox::AttributeProto* a = nullptr;
        for (const char* key : {"value", "value_float", "value_floats", "value_int", "value_ints"})
            if ((a = n.find(key))) break;
        if (!a)
            return node_error(n, index,
                              "needs a 'value' attribute (sparse and string constants are not "
                              "read)");
        if (a->name == "value") {
            if (Status s = const_from_tensor(a->t, c); !s) return node_error(n, index, s.message());
        } else if (a->name == "value_float") {
            c.f = {a->f};
        } else if (a->name == "value_floats") {
            c.f = a->floats;
            c.dims = {static_cast<std::int64_t>(a->floats.size())};
        } else if (a->name == "value_int") {
            c.type = ox::kInt64, c.i = {a->i}, c.f = {static_cast<float>(a->i)};
        } else {
            c.type = ox::kInt64, c.i = a->ints;
            for (std::int64_t v : a->ints) c.f.push_back(static_cast<float>(v));
            c.dims = {static_cast<std::int64_t>(a->ints.size())};
        }
    } else {
        const Const& x = consts.at(n.input[0]);
        c = x;
        if (n.op_type == "Identity") {
            // a copy
        } else if (n.op_type == "Cast") {
            std::int64_t to = 0;
            if (Status s = at.get_int("to", 0, to); !s) return s;
            if (to == ox::kFloat || to == ox::kDouble || to == ox::kFloat16) {
                c.type = static_cast<int>(to);
                c.i.clear();
                if (to == ox::kFloat16) {
                    const Format half = *Format::parse("float:e=5,m=10");
                    half.quantize(c.f.data(), c.f.data(), c.f.size());
                }
            } else if (ox::is_integer_type(static_cast<int>(to)) && x.integer()) {
                c.type = static_cast<int>(to);
            } else {
                return Status::success();  // left to the walk, which refuses it
            }
            c.quant.reset();
        } else if (n.op_type == "Reshape") {
            const Const* shape_c = nullptr;
            if (Status s = const_input(index, 1, shape_c); !s) return s;
            std::vector<std::int64_t> dims = shape_c->i;
            std::int64_t known = 1;
            int infer = -1;
            for (std::size_t k = 0; k < dims.size(); ++k) {
                if (dims[k] == 0 && k < x.dims.size()) dims[k] = x.dims[k];
                if (dims[k] == -1) {
                    if (infer >= 0) return node_error(n, index, "has two -1 in its shape");
                    infer = static_cast<int>(k);
                } else if (dims[k] < 0) {
                    return node_error(n, index, "has a negative size in its shape");
                } else {
                    known *= std::max<std::int64_t>(dims[k], 1);
                }
            }
            const auto count = static_cast<std::int64_t>(x.size());
            if (infer >= 0 && known > 0) dims[static_cast<std::size_t>(infer)] = count / known;
            if (product(dims) != count)
                return node_error(
                    n, index,
                    "reshapes " + std::to_string(count) + " values to " + ints_text(shape_c->i));
            c.dims = dims;
        } else if (n.op_type == "Squeeze" || n.op_type == "Unsqueeze") {
            std::vector<std::int64_t> axes;
            bool present = false;
            if (opset >= 13) {
                const Const* axes_c = nullptr;
                if (Status s = const_input(index, 1, axes_c, true); !s) return s;
                if (axes_c) axes = axes_c->i, present = true;
            } else if (Status s = at.get_ints("axes", axes, present); !s) {
                return s;
            }
            const bool squeeze = n.op_type == "Squeeze";
            const auto rank =
                static_cast<std::int64_t>(x.dims.size() + (squeeze ? 0 : axes.size()));
            std::set<std::int64_t> axis_set;
            for (std::int64_t a : axes) axis_set.insert(a < 0 ? a + rank : a);
            std::vector<std::int64_t> dims;
            if (squeeze) {
                for (std::size_t k = 0; k < x.dims.size(); ++k)
                    if (!(present ? axis_set.count(static_cast<std::int64_t>(k)) : x.dims[k] == 1))
                        dims.push_back(x.dims[k]);
            } else {
                std::size_t from = 0;
                for (std::int64_t k = 0; k < rank; ++k)
                    dims.push_back(axis_set.count(k)      ? 1
                                   : from < x.dims.size() ? x.dims[from++]
                                                          : 1);
            }
            if (product(dims) != product(x.dims))
                return node_error(n, index, "squeezes an axis that is not of size 1");
            c.dims = dims;
        } else if (n.op_type == "Transpose") {
            std::vector<std::int64_t> perm;
            bool present = false;
            if (Status s = at.get_ints("perm", perm, present); !s) return s;
            const std::size_t rank = x.dims.size();
            if (!present)
                for (std::size_t k = rank; k-- > 0;) perm.push_back(static_cast<std::int64_t>(k));
            std::vector<bool> seen(rank, false);
            bool ok = perm.size() == rank;
            for (std::int64_t p : perm) {
                ok = ok && p >= 0 && p < static_cast<std::int64_t>(rank) &&
                     !seen[static_cast<std::size_t>(p)];
                if (ok) seen[static_cast<std::size_t>(p)] = true;
            }
            if (!ok) return node_error(n, index, "has an invalid 'perm' " + ints_text(perm));
            for (std::size_t k = 0; k < rank; ++k)
                c.dims[k] = x.dims[static_cast<std::size_t>(perm[k])];
            // Element at output multi-index o comes from input index with in[perm[k]] = o[k].
            const std::int64_t total = static_cast<std::int64_t>(x.size());
            std::vector<std::int64_t> in_stride(rank, 1);
            for (std::size_t k = rank; k-- > 1;) in_stride[k - 1] = in_stride[k] * x.dims[k];
            for (std::int64_t flat = 0; flat < total; ++flat) {
                std::int64_t rest = flat, src = 0;
                for (std::size_t k = rank; k-- > 0;) {
                    const std::int64_t o = rest % c.dims[k];
                    rest /= c.dims[k];
                    src += o * in_stride[static_cast<std::size_t>(perm[k])];
                }
                c.f[static_cast<std::size_t>(flat)] = x.f[static_cast<std::size_t>(src)];
                if (!x.i.empty())
                    c.i[static_cast<std::size_t>(flat)] = x.i[static_cast<std::size_t>(src)];
                if (x.quant && x.quant->qidx.size() == x.size())
                    c.quant->qidx[static_cast<std::size_t>(flat)] =
                        x.quant->qidx[static_cast<std::size_t>(src)];
            }
        } else {
            // QuantizeLinear / DequantizeLinear of a constant.
            const bool dq = n.op_type == "DequantizeLinear";
            const Const *scale = nullptr, *zero = nullptr;
            if (Status s = const_input(index, 1, scale); !s) return s;
            if (Status s = const_input(index, 2, zero, true); !s) return s;
            std::int64_t axis = 1, block = 0, saturate = 1, out_type = 0;
            if (Status s = at.get_int("axis", 1, axis); !s) return s;
            if (Status s = at.get_int("block_size", 0, block); !s) return s;
            if (Status s = at.get_int("saturate", 1, saturate); !s) return s;
            if (Status s = at.get_int("output_dtype", 0, out_type); !s) return s;
            const std::size_t rank = x.dims.size();
            if (axis < 0) axis += static_cast<std::int64_t>(rank);
            const std::size_t count = x.size();
            const std::size_t params = scale->size();
            if (zero && zero->size() != params)
                return node_error(n, index,
                                  "has " + std::to_string(params) + " scales but " +
                                      std::to_string(zero->size()) + " zero points");
            // Which scale each element uses.
            std::vector<std::int32_t> qidx(count, 0);
            if (block > 0) {
                if (axis < 0 || axis >= static_cast<std::int64_t>(rank) ||
                    scale->dims.size() != rank)
                    return node_error(n, index,
                                      "is blocked along axis " + std::to_string(axis) +
                                          " but its scale's shape " + ints_text(scale->dims) +
                                          " does not fit");
                for (std::size_t k = 0; k < rank; ++k) {
                    const std::int64_t want = static_cast<std::int64_t>(k) == axis
                                                  ? (x.dims[k] + block - 1) / block
                                                  : x.dims[k];
                    if (scale->dims[k] != want)
                        return node_error(n, index,
                                          "has a blocked scale of shape " + ints_text(scale->dims) +
                                              " for data of " + ints_text(x.dims) +
                                              " and block_size " + std::to_string(block));
                }
                for (std::size_t e = 0; e < count; ++e) {
                    std::int64_t rest = static_cast<std::int64_t>(e), idx = 0, stride = 1;
                    for (std::size_t k = rank; k-- > 0;) {
                        std::int64_t coord = rest % x.dims[k];
                        rest /= x.dims[k];
                        if (static_cast<std::int64_t>(k) == axis) coord /= block;
                        idx += coord * stride;
                        stride *= scale->dims[k];
                    }
                    qidx[e] = static_cast<std::int32_t>(idx);
                }
            } else if (params > 1 || (!scale->dims.empty() && scale->dims[0] > 1 && rank > 0)) {
                if (axis < 0 || axis >= static_cast<std::int64_t>(rank) ||
                    x.dims[static_cast<std::size_t>(axis)] != static_cast<std::int64_t>(params))
                    return node_error(n, index,
                                      "has " + std::to_string(params) + " scales along axis " +
                                          std::to_string(axis) + " of data " + ints_text(x.dims));
                for (std::size_t e = 0; e < count; ++e)
                    qidx[e] = static_cast<std::int32_t>(coordinate(
                        x.dims, static_cast<std::int64_t>(e), static_cast<std::size_t>(axis)));
            } else if (params != 1) {
                return node_error(n, index, "has no scale");
            }
            const std::vector<float> zeros = zero ? zero->f : std::vector<float>(params, 0.0f);
            if (dq) {
                if (!x.integer() && !ox::is_float8(x.type))
                    return node_error(n, index,
                                      std::string("dequantizes ") + ox::data_type_name(x.type) +
                                          " data (int8, uint8, int4, uint4, int16, "
                                          "uint16, int32 or FLOAT8 expected)");
                Quant q;
                q.type = x.type;
                q.scale = scale->f;
                q.zero = zeros;
                q.qidx = std::move(qidx);
                q.saturate = x.quant ? x.quant->saturate : true;
                c.type = scale->type == ox::kFloat16 || scale->type == ox::kBfloat16 ? ox::kFloat
                                                                                     : scale->type;
                c.i.clear();
                for (std::size_t e = 0; e < count; ++e) {
                    const auto k = static_cast<std::size_t>(q.qidx[e]);
                    c.f[e] = (x.f[e] - q.zero[k]) * q.scale[k];  // as onnxruntime: one rounding
                }
                c.quant = std::move(q);
            } else {
                // QuantizeLinear of a float constant (fake-quantized weights): the codes.
                int type = zero ? zero->type : out_type ? static_cast<int>(out_type) : ox::kUint8;
                c.type = type;
                c.quant.reset();
                c.i.clear();
                std::string why;
                if (int_quant_type(type)) {
                    const bool is_signed =
                        type == ox::kInt8 || type == ox::kInt4 || type == ox::kInt16;
                    const int bits = ox::is_int4(type)                             ? 4
                                     : (type == ox::kInt16 || type == ox::kUint16) ? 16
                                                                                   : 8;
                    const double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0;
                    const double hi =
                        is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
                    for (std::size_t e = 0; e < count; ++e) {
                        const auto k = static_cast<std::size_t>(qidx[e]);
                        const float r = x.f[e] / scale->f[k];  // in float, as onnxruntime
                        const double code =
                            std::clamp(std::nearbyint(static_cast<double>(r)) + zeros[k], lo, hi);
                        c.f[e] = static_cast<float>(code);
                        c.i.push_back(static_cast<std::int64_t>(code));
                    }
                } else if (ox::is_float8(type)) {
                    const Format f8 =
                        *Format::parse(std::string(float8_name(type)) + (saturate ? ",sat=1" : ""));
                    for (std::size_t e = 0; e < count; ++e) {
                        const float r = x.f[e] / scale->f[static_cast<std::size_t>(qidx[e])];
                        c.f[e] = static_cast<float>(f8.quantize_ref(r));
                    }
                    Quant marker;  // carries `saturate` to the DequantizeLinear
                    marker.saturate = saturate != 0;
                    c.quant = marker;
                } else {
                    return node_error(n, index,
                                      std::string("quantizes to ") + ox::data_type_name(type) +
                                          ", which the lab does not read");
                }
            }
        }
    }
    consts[n.output[0]] = std::move(c);
    done = true;
    return Status::success();
}

Status Importer::fold_constants() {
    folded.assign(graph().node.size(), false);
    for (std::size_t i : order) {
        bool done = false;
        if (Status s = fold(i, done); !s) return s;
        folded[i] = done;
    }
    for (std::size_t i : order) {
        if (folded[i]) continue;
        for (const std::string& in : node(i).input)
            if (!in.empty() && !is_const(in)) uses[in].push_back(i);
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

Status Importer::only_first_output(std::size_t index) {
    const NodeProto& n = node(index);
    for (std::size_t k = 1; k < n.output.size(); ++k) {
        const std::string& o = n.output[k];
        if (o.empty()) continue;
        if (uses.count(o) || graph_outputs.count(o))
            return node_error(n, index,
                              "its output " + std::to_string(k) + " ('" + o +
                                  "') is used: only the first output of this op can be expressed");
    }
    return Status::success();
}

Status Importer::add_layer(std::size_t index, Layer L) {
    if (Status s = check_layer(L); !s) return node_error(node(index), index, s.message());
    if (!model().layers.empty() && model().layers.back().output_size() != L.input_size())
        return node_error(node(index), index,
                          "takes " + std::to_string(L.input_size()) +
                              " values but the layer before it gives " +
                              std::to_string(model().layers.back().output_size()));
    if (static_cast<int>(model().layers.size()) >= options.max_layers)
        return node_error(
            node(index), index,
            "makes more than " + std::to_string(options.max_layers) + " layers, the lab's limit");
    parameters += static_cast<double>(L.weight.size() + L.bias.size());
    if (parameters > options.max_parameters)
        return node_error(node(index), index,
                          "brings the model to " + shortest_repr(parameters) +
                              " parameters, beyond the lab's limit of " +
                              shortest_repr(options.max_parameters));
    model().layers.push_back(std::move(L));
    act_set = false;
    act_quantized = false;
    const Layer& added = model().layers.back();
    if (added.kind == LayerKind::dense)
        shape = {added.out};
    else
        shape = {added.kind == LayerKind::conv2d ? added.out : added.channels,
                 added.output_height(), added.output_width()};
    formats(model().layers.size() - 1);
    return Status::success();
}

// Spatial attributes shared by Conv and the pools: square windows, equal strides and
// dilations, explicit or automatic padding; a pending Pad adds to the padding.
Status Importer::geometry(std::size_t index, Layer& L, bool conv) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::vector<std::int64_t> kernel, strides, dilations, pads;
    bool has_kernel = false, has_strides = false, has_dilations = false, has_pads = false;
    if (Status s = at.get_ints("kernel_shape", kernel, has_kernel); !s) return s;
    if (Status s = at.get_ints("strides", strides, has_strides); !s) return s;
    if (Status s = at.get_ints("dilations", dilations, has_dilations); !s) return s;
    if (Status s = at.get_ints("pads", pads, has_pads); !s) return s;
    std::string auto_pad;
    if (Status s = at.get_string("auto_pad", "NOTSET", auto_pad); !s) return s;
    std::int64_t ceil_mode = 0;
    if (Status s = at.get_int("ceil_mode", 0, ceil_mode); !s) return s;
    if (has_kernel) {
        if (kernel.size() != 2 || kernel[0] != kernel[1])
            return node_error(n, index,
                              "kernel_shape " + ints_text(kernel) +
                                  " is not supported (square 2-D windows only)");
        if (conv && kernel[0] != L.kernel)
            return node_error(n, index,
                              "kernel_shape " + ints_text(kernel) +
                                  " does not match the weight's " + std::to_string(L.kernel) + "x" +
                                  std::to_string(L.kernel));
        if (kernel[0] < 1 || kernel[0] > (1 << 20))
            return node_error(n, index, "kernel_shape " + ints_text(kernel) + " is out of range");
        L.kernel = static_cast<int>(kernel[0]);
    } else if (!conv) {
        return node_error(n, index, "needs a kernel_shape");
    }
    if (has_strides) {
        if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1 ||
            strides[0] > (1 << 20))
            return node_error(n, index,
                              "strides " + ints_text(strides) +
                                  " is not supported (equal strides of at least 1 only)");
        L.stride = static_cast<int>(strides[0]);
    } else {
        L.stride = 1;  // ONNX's default for Conv and both pools
    }
    if (has_dilations) {
        if (dilations.size() != 2 || dilations[0] != dilations[1] || dilations[0] < 1 ||
            dilations[0] > (1 << 20))
            return node_error(
                n, index,
                "dilations " + ints_text(dilations) + " is not supported (equal dilations only)");
        if (!conv && dilations[0] != 1)
            return node_error(n, index,
                              "dilations " + ints_text(dilations) + " is not supported on a pool");
        if (conv) L.dilation = static_cast<int>(dilations[0]);
    }
    int p[4] = {0, 0, 0, 0};  // top, left, bottom, right
    if (auto_pad == "NOTSET") {
        if (has_pads) {
            if (pads.size() != 4)
                return node_error(n, index, "pads " + ints_text(pads) + " is not 2-D");
            for (int k = 0; k < 4; ++k) {
                if (pads[static_cast<std::size_t>(k)] < 0 ||
                    pads[static_cast<std::size_t>(k)] > (1 << 20))
                    return node_error(n, index, "pads " + ints_text(pads) + " is out of range");
            }
            // ONNX: [x1_begin, x2_begin, x1_end, x2_end] = top, left, bottom, right.
            for (int k = 0; k < 4; ++k) p[k] = static_cast<int>(pads[static_cast<std::size_t>(k)]);
        }
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const int span = conv ? L.dilation * (L.kernel - 1) + 1 : L.kernel;
        const int sides[2] = {L.height, L.width};
        for (int a = 0; a < 2; ++a) {
            const int outside = (sides[a] + L.stride - 1) / L.stride;
            const int total = std::max(0, (outside - 1) * L.stride + span - sides[a]);
            const int small = total / 2, large = total - small;
            p[a] = auto_pad == "SAME_UPPER" ? small : large;
            p[a + 2] = auto_pad == "SAME_UPPER" ? large : small;
        }
    } else if (auto_pad != "VALID") {
        return node_error(n, index, "auto_pad '" + auto_pad + "' is not supported");
    }
    if (pad_pending) {
        for (int k = 0; k < 4; ++k) p[k] += pad[k];
        pad_pending = false;
        note(node_label(node(pad_node), pad_node) + " merged into the padding of " +
             node_label(n, index));
    }
    L.pad_top = p[0], L.pad_left = p[1], L.pad_bottom = p[2], L.pad_right = p[3];
    if (ceil_mode != 0) {
        // Only where rounding up gives the same size (the window never hangs over the end).
        const int span = L.kernel;
        auto fits = [&](int side, int pads_sum) {
            return (side + pads_sum - span) % L.stride == 0;
        };
        if (!fits(L.height, p[0] + p[2]) || !fits(L.width, p[1] + p[3]))
            return node_error(n, index,
                              "ceil_mode 1 is not supported where it changes the output size");
    }
    return Status::success();
}

Status Importer::weight_formats(std::size_t layer, const Const& w, bool transposed,
                                std::size_t rows, std::size_t cols) {
    const bool hinted = layer < hints.layers.size() && (!hints.layers[layer].weights.empty() ||
                                                        !hints.layers[layer].weight_rows.empty());
    if (!hinted && (!w.quant || w.quant->qidx.size() != w.size())) return Status::success();
    const Layer& L = model().layers[layer];
    const std::vector<float> values(L.weight.data(), L.weight.data() + L.weight.size());
    LayerFormats& f = formats(layer);
    const std::string where = "layer " + std::to_string(layer + 1) + " (" +
                              (L.kind == LayerKind::dense ? "dense" : "conv2d") + ")";
    // A hint from the lab's own metadata wins when it reproduces the weights exactly.
    if (layer < hints.layers.size()) {
        const LayerFormats& h = hints.layers[layer];
        if (!h.weight_rows.empty() && h.weight_rows.size() == rows) {
            bool ok = true;
            for (std::size_t r = 0; r < rows && ok; ++r) {
                const std::vector<float> row(
                    values.begin() + static_cast<std::ptrdiff_t>(r * cols),
                    values.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols));
                ok = reproduces(h.weight_rows[r], row, 1, cols);
            }
            if (ok) {
                f.weight_rows = h.weight_rows;
                return Status::success();
            }
        } else if (!h.weights.empty() && reproduces(h.weights, values, rows, cols)) {
            f.weights = h.weights;
            return Status::success();
        }
    }
    if (!w.quant || w.quant->qidx.size() != w.size()) return Status::success();
    const Quant& q = *w.quant;
    auto spec_of = [&](std::int32_t k, std::string& why) {
        return quant_spec(q.type, q.scale[static_cast<std::size_t>(k)],
                          q.zero[static_cast<std::size_t>(k)], false, why);
    };
    // Weight (r, c) came from the constant's element r * cols + c, or c * rows + r when the
    // constant is in x out (MatMul, Gemm without transB).
    auto qidx = [&](std::size_t r, std::size_t c) {
        return q.qidx[transposed ? c * rows + r : r * cols + c];
    };
    auto keep_float = [&](const std::string& why) {
        note(where + " weights: " + why + "; kept as their dequantized values (float)");
        return Status::success();
    };
    bool per_row = true, per_tensor = true;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            per_row &= qidx(r, c) == qidx(r, 0);
            per_tensor &= qidx(r, c) == qidx(0, 0);
        }
    std::string why;
    if (per_tensor) {
        const std::string spec = spec_of(qidx(0, 0), why);
        if (spec.empty()) return keep_float(why);
        if (!reproduces(spec, values, rows, cols))
            return keep_float(spec + " does not reproduce them");
        f.weights = spec;
        return Status::success();
    }
    if (per_row) {
        std::vector<std::string> specs;
        for (std::size_t r = 0; r < rows; ++r) {
            specs.push_back(spec_of(qidx(r, 0), why));
            if (specs.back().empty()) return keep_float(why);
            const std::vector<float> row(
                values.begin() + static_cast<std::ptrdiff_t>(r * cols),
                values.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols));
            if (!reproduces(specs.back(), row, 1, cols))
                return keep_float(specs.back() + " does not reproduce row " + std::to_string(r));
        }
        f.weight_rows = std::move(specs);
        return Status::success();
    }
    // Blocks of G consecutive weights along each row (the last one may be shorter).
    std::size_t group = 1;
    while (group < cols && qidx(0, group) == qidx(0, 0)) ++group;
    bool blocked = true;
    for (std::size_t r = 0; r < rows && blocked; ++r)
        for (std::size_t c = 0; c < cols && blocked; ++c)
            blocked = qidx(r, c) == qidx(r, c - c % group) &&
                      (c % group != 0 || c == 0 || qidx(r, c) != qidx(r, c - 1));
    if (!blocked)
        return keep_float(
            "their scales vary within a row in a way the lab's formats cannot hold "
            "(per tensor, per output channel, or blocks along a row)");
    if (!int_quant_type(q.type))
        return keep_float(std::string("blocked ") + ox::data_type_name(q.type));
    const bool is_signed = q.type == ox::kInt8 || q.type == ox::kInt4 || q.type == ox::kInt16;
    const int bits = ox::is_int4(q.type)                               ? 4
                     : (q.type == ox::kInt16 || q.type == ox::kUint16) ? 16
                                                                       : 8;
    const std::string spec = "int:b=" + std::to_string(bits) + ",group=" + std::to_string(group) +
                             (is_signed ? "" : ",asym=1");
    if (!reproduces(spec, values, rows, cols))
        return keep_float("blocked " + std::string(ox::data_type_name(q.type)) + " (block " +
                          std::to_string(group) + ") whose scales " + spec +
                          " (FP16 scales from each block's range) does not reproduce");
    f.weights = spec;
    return Status::success();
}

Status Importer::dense_layer(std::size_t index, const Const& w, bool rows_out, const Const* bias,
                             float alpha, float beta) {
    const NodeProto& n = node(index);
    if (w.dims.size() != 2)
        return node_error(
            n, index,
            "its weight '" + n.input[1] + "' has shape " + ints_text(w.dims) + " (2-D expected)");
    const std::int64_t out_dim = rows_out ? w.dims[0] : w.dims[1];
    const std::int64_t in_dim = rows_out ? w.dims[1] : w.dims[0];
    if (shape.size() != 1)
        return node_error(n, index,
                          "gets a " + dims_text(shape) +
                              " tensor: flatten it first (Flatten or a Reshape to N x features)");
    if (in_dim != shape[0])
        return node_error(n, index,
                          "its weight takes " + std::to_string(in_dim) +
                              " inputs, the tensor before it has " + std::to_string(shape[0]) +
                              " values");
    if (out_dim < 1 || out_dim > (1 << 20) || in_dim < 1)
        return node_error(n, index, "its weight's shape " + ints_text(w.dims) + " is out of range");
    if (alpha != 1 && w.quant)
        return node_error(
            n, index, "alpha " + shortest_repr(alpha) + " on a quantized weight is not supported");
    Layer L;
    L.kind = LayerKind::dense;
    L.in = static_cast<int>(in_dim), L.out = static_cast<int>(out_dim);
    L.activation = Activation::none;
    if (Status s = check_layer(L); !s) return node_error(n, index, s.message());
    L.weight.resize(L.out, L.in);
    if (rows_out)
        std::copy(w.f.begin(), w.f.end(), L.weight.data());
    else
        L.weight = Eigen::Map<const Matrix>(w.f.data(), L.in, L.out).transpose();
    if (alpha != 1) L.weight *= alpha;
    L.bias = Vector::Zero(L.out);
    if (bias) {
        const std::size_t nb = bias->size();
        const bool scalar = nb == 1;
        if (!scalar && nb != static_cast<std::size_t>(L.out))
            return node_error(n, index,
                              "its bias has " + std::to_string(nb) + " values for " +
                                  std::to_string(L.out) + " outputs");
        for (int r = 0; r < L.out; ++r) {
            const float v = bias->f[scalar ? 0 : static_cast<std::size_t>(r)];
            L.bias(r) = beta == 1 ? v : beta * v;
        }
        if (bias->quant)
            note(
                "layer " + std::to_string(model().layers.size() + 1) +
                "'s quantized bias is kept as its dequantized values (the lab's biases are float)");
    }
    if (Status s = add_layer(index, std::move(L)); !s) return s;
    return weight_formats(model().layers.size() - 1, w, !rows_out,
                          static_cast<std::size_t>(out_dim), static_cast<std::size_t>(in_dim));
}

Status Importer::gemm(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::int64_t trans_a = 0, trans_b = 0;
    float alpha = 1, beta = 1;
    if (Status s = at.get_int("transA", 0, trans_a); !s) return s;
    if (Status s = at.get_int("transB", 0, trans_b); !s) return s;
    if (Status s = at.get_float("alpha", 1, alpha); !s) return s;
    if (Status s = at.get_float("beta", 1, beta); !s) return s;
    if (trans_a != 0)
        return node_error(n, index, "transA 1 is not supported (the batch runs along rows)");
    const Const *w = nullptr, *c = nullptr;
    if (Status s = const_input(index, 1, w); !s) return s;
    if (Status s = const_input(index, 2, c, true); !s) return s;
    if (c && c->dims.size() == 2 && c->dims[0] != 1)
        return node_error(
            n, index,
            "its C input " + ints_text(c->dims) + " is not a bias (one value per output)");
    return dense_layer(index, *w, trans_b != 0, c, alpha, beta);
}

Status Importer::matmul(std::size_t index) {
    const Const* w = nullptr;
    if (Status s = const_input(index, 1, w); !s) return s;
    return dense_layer(index, *w, false, nullptr, 1, 1);
}

Status Importer::last_weighted(std::size_t index, const char* what, Layer*& L) {
    const NodeProto& n = node(index);
    L = model().layers.empty() ? nullptr : &model().layers.back();
    if (!L || !L->has_weights())
        return node_error(n, index,
                          std::string(what) +
                              " must follow a Conv, Gemm or MatMul (there is none to "
                              "fold it into)");
    if (act_set || act_quantized)
        return node_error(n, index,
                          std::string(what) +
                              " after an activation or a quantizer cannot be folded "
                              "into the layer before it");
    return Status::success();
}

Status Importer::add(std::size_t index) {
    const NodeProto& n = node(index);
    // One operand is the chain's tensor, the other a constant bias.
    const std::size_t k = n.input.size() == 2 && n.input[1] == cur ? 0 : 1;
    if (n.input.size() != 2) return node_error(n, index, "needs two inputs");
    const Const* c = nullptr;
    if (!is_const(n.input[k]))
        return node_error(n, index,
                          "adds two computed tensors ('" + n.input[0] + "' and '" + n.input[1] +
                              "'): a residual connection cannot be expressed as the lab's chain "
                              "of layers");
    if (Status s = const_input(index, k, c); !s) return s;
    Layer* L = nullptr;
    if (Status s = last_weighted(index, "an Add of a constant", L); !s) return s;
    const std::size_t channels = static_cast<std::size_t>(L->out);
    const std::size_t nb = c->size();
    std::vector<std::int64_t> dims = c->dims;
    while (!dims.empty() && dims.front() == 1 &&
           dims.size() > (L->kind == LayerKind::conv2d ? 3u : 1u))
        dims.erase(dims.begin());
    bool ok = nb == 1 ||
              (nb == channels &&
               (L->kind == LayerKind::dense ? dims.size() == 1
                                            : dims.size() == 3 && dims[1] == 1 && dims[2] == 1));
    if (!ok)
        return node_error(n, index,
                          "adds a constant of shape " + ints_text(c->dims) +
                              ", which is not one value per output channel");
    for (std::size_t r = 0; r < channels; ++r)
        L->bias(static_cast<Eigen::Index>(r)) += c->f[nb == 1 ? 0 : r];
    if (c->quant)
        note("layer " + std::to_string(model().layers.size()) +
             "'s quantized bias is kept as its dequantized values (the lab's biases are float)");
    return Status::success();
}

Status Importer::conv(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::int64_t group = 1;
    if (Status s = at.get_int("group", 1, group); !s) return s;
    if (group != 1)
        return node_error(n, index,
                          "group " + std::to_string(group) +
                              " is not supported (group 1 only: no depthwise or "
                              "grouped convolutions)");
    if (shape.size() != 3)
        return node_error(n, index,
                          "gets a " + dims_text(shape) + " tensor; a Conv takes C x H x W images");
    const Const *w = nullptr, *b = nullptr;
    if (Status s = const_input(index, 1, w); !s) return s;
    if (Status s = const_input(index, 2, b, true); !s) return s;
    if (w->dims.size() != 4)
        return node_error(n, index,
                          "its weight has shape " + ints_text(w->dims) +
                              " (2-D convolutions only: O x C x kH x kW)");
    if (w->dims[2] != w->dims[3])
        return node_error(n, index,
                          "its kernel " + std::to_string(w->dims[2]) + "x" +
                              std::to_string(w->dims[3]) +
                              " is not supported (square kernels only)");
    if (w->dims[1] != shape[0])
        return node_error(n, index,
                          "its weight takes " + std::to_string(w->dims[1]) +
                              " channels, the tensor before it has " + std::to_string(shape[0]));
    Layer L;
    L.kind = LayerKind::conv2d;
    L.channels = shape[0], L.height = shape[1], L.width = shape[2];
    if (w->dims[0] < 1 || w->dims[0] > (1 << 20) || w->dims[2] < 1 || w->dims[2] > (1 << 20))
        return node_error(n, index,
                          "its weight's shape " + ints_text(w->dims) + " is out of range");
    L.out = static_cast<int>(w->dims[0]);
    L.kernel = static_cast<int>(w->dims[2]);
    L.in = L.channels * L.kernel * L.kernel;
    L.activation = Activation::none;
    if (Status s = geometry(index, L, true); !s) return s;
    if (Status s = check_layer(L); !s) return node_error(n, index, s.message());
    L.weight.resize(L.out, L.in);
    std::copy(w->f.begin(), w->f.end(), L.weight.data());  // O x (C kH kW), row-major
    L.bias = Vector::Zero(L.out);
    if (b) {
        if (b->size() != static_cast<std::size_t>(L.out))
            return node_error(n, index,
                              "its bias has " + std::to_string(b->size()) + " values for " +
                                  std::to_string(L.out) + " channels");
        for (int r = 0; r < L.out; ++r) L.bias(r) = b->f[static_cast<std::size_t>(r)];
        if (b->quant)
            note(
                "layer " + std::to_string(model().layers.size() + 1) +
                "'s quantized bias is kept as its dequantized values (the lab's biases are float)");
    }
    const auto rows = static_cast<std::size_t>(L.out), cols = static_cast<std::size_t>(L.in);
    if (Status s = add_layer(index, std::move(L)); !s) return s;
    return weight_formats(model().layers.size() - 1, *w, false, rows, cols);
}

Status Importer::pool(std::size_t index) {
    const NodeProto& n = node(index);
    if (shape.size() != 3)
        return node_error(n, index,
                          "gets a " + dims_text(shape) + " tensor; a pool takes C x H x W images");
    if (Status s = only_first_output(index); !s) return s;
    Layer L;
    L.channels = shape[0], L.height = shape[1], L.width = shape[2];
    L.activation = Activation::none;
    if (n.op_type == "GlobalAveragePool") {
        if (pad_pending)
            return node_error(node(pad_node), pad_node,
                              "a Pad before a GlobalAveragePool is not supported");
        L.kind = LayerKind::globalavgpool;
        return add_layer(index, std::move(L));
    }
    const bool avg = n.op_type == "AveragePool";
    L.kind = avg ? LayerKind::avgpool2d : LayerKind::maxpool2d;
    if (!avg && pad_pending)
        return node_error(node(pad_node), pad_node,
                          "a Pad before a MaxPool is not supported (it pads with a value, a "
                          "MaxPool's padding is ignored)");
    const bool explicit_pad = pad_pending;
    std::int64_t include = 0, storage = 0;
    const Attrs at{n, index};
    if (Status s = at.get_int("count_include_pad", 0, include); !s) return s;
    if (Status s = at.get_int("storage_order", 0, storage); !s) return s;
    if (Status s = geometry(index, L, false); !s) return s;
    if (avg) {
        const bool own_padding = L.padded() && !explicit_pad;
        L.count_include_pad = include != 0 || !own_padding;
        if (explicit_pad && include == 0) {
            // The Pad's zeros are data (they count); the pool's own padding must then be none.
            std::vector<std::int64_t> own;
            bool present = false;
            if (Status s = at.get_ints("pads", own, present); !s) return s;
            for (std::int64_t p : own)
                if (p != 0)
                    return node_error(n, index,
                                      "pads its input itself without counting the padding, after "
                                      "a Pad whose zeros count: the two cannot be combined");
            L.count_include_pad = true;
        }
    }
    return add_layer(index, std::move(L));
}

Status Importer::pad_op(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::string mode;
    if (Status s = at.get_string("mode", "constant", mode); !s) return s;
    if (mode != "constant")
        return node_error(n, index, "mode '" + mode + "' is not supported (constant zeros only)");
    std::vector<std::int64_t> pads;
    float value = 0;
    if (opset < 11) {
        bool present = false;
        if (Status s = at.get_ints("pads", pads, present); !s) return s;
        if (Status s = at.get_float("value", 0, value); !s) return s;
    } else {
        const Const *p = nullptr, *v = nullptr, *axes = nullptr;
        if (Status s = const_input(index, 1, p); !s) return s;
        if (Status s = const_input(index, 2, v, true); !s) return s;
        if (Status s = const_input(index, 3, axes, true); !s) return s;
        if (axes) return node_error(n, index, "the axes input is not supported");
        pads = p->i;
        if (v && v->size() == 1)
            value = v->f[0];
        else if (v)
            return node_error(n, index, "its constant_value must be one number");
    }
    if (value != 0)
        return node_error(n, index, "pads with " + shortest_repr(value) + " (zeros only)");
    if (shape.size() != 3 || pads.size() != 8)
        return node_error(
            n, index, "pads " + ints_text(pads) + " (4-D images padded in height and width only)");
    if (pads[0] || pads[1] || pads[4] || pads[5])
        return node_error(n, index, "pads the batch or the channels (" + ints_text(pads) + ")");
    for (std::int64_t p : pads)
        if (p < 0 || p > (1 << 20))
            return node_error(n, index, "pads " + ints_text(pads) + " (non-negative only)");
    if (pad_pending) return node_error(n, index, "follows another Pad");
    pad[0] = static_cast<int>(pads[2]), pad[1] = static_cast<int>(pads[3]);
    pad[2] = static_cast<int>(pads[6]), pad[3] = static_cast<int>(pads[7]);
    pad_pending = true;
    pad_node = index;
    return Status::success();
}

Status Importer::activation(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    Layer* L = model().layers.empty() ? nullptr : &model().layers.back();
    if (!L)
        return node_error(n, index,
                          "comes before the first layer: the lab's activations belong to a layer");
    Activation a = Activation::none;
    float alpha = 0, beta = 0;
    const std::string& op = n.op_type;
    if (op == "Relu") {
        a = Activation::relu;
    } else if (op == "Tanh") {
        a = Activation::tanh;
    } else if (op == "Sigmoid") {
        a = Activation::sigmoid;
    } else if (op == "LeakyRelu") {
        if (Status s = at.get_float("alpha", 0.01f, alpha); !s) return s;
        a = alpha == 0 ? Activation::relu : Activation::leakyrelu;
    } else if (op == "HardSigmoid") {
        if (Status s = at.get_float("alpha", 0.2f, alpha); !s) return s;
        if (Status s = at.get_float("beta", 0.5f, beta); !s) return s;
        a = Activation::onnx_hardsigmoid;
    } else {  // Clip
        float lo = -INFINITY, hi = INFINITY;
        if (opset < 11) {
            if (Status s = at.get_float("min", -INFINITY, lo); !s) return s;
            if (Status s = at.get_float("max", INFINITY, hi); !s) return s;
        } else {
            const Const *mn = nullptr, *mx = nullptr;
            if (Status s = const_input(index, 1, mn, true); !s) return s;
            if (Status s = const_input(index, 2, mx, true); !s) return s;
            if ((mn && mn->size() != 1) || (mx && mx->size() != 1))
                return node_error(n, index, "min and max must be single numbers");
            if (mn) lo = mn->f[0];
            if (mx) hi = mx->f[0];
        }
        if (std::isnan(lo) || std::isnan(hi) || lo > hi)
            return node_error(n, index,
                              "clips to [" + shortest_repr(lo) + ", " + shortest_repr(hi) + "]");
        constexpr float kBig = 3.4e38f;  // the model schema's largest number: no bound
        if (lo == 0 && hi == 2) {
            a = Activation::hardsigmoid;  // Sakr's ReLU clipped to [0, 2]
        } else if (lo == 0 && hi >= kBig) {
            a = Activation::relu;
        } else {
            a = Activation::clip;
            alpha = std::max(lo, -kBig), beta = std::min(hi, kBig);
        }
    }
    if (act_quantized && op == "Clip") {
        // A Clip to two atoms of the quantizer before it narrows that quantizer's grid (how
        // export_onnx writes an int grid narrower than the ONNX type).
        const float lo = a == Activation::clip ? alpha : 0.0f;
        const float hi = a == Activation::clip          ? beta
                         : a == Activation::hardsigmoid ? 2.0f
                                                        : 3.4e38f;
        LayerFormats& f = formats(model().layers.size() - 1);
        std::string narrowed;
        if (narrow_grid(f.activations, lo, hi, narrowed)) {
            f.activations = narrowed;
            return Status::success();
        }
    }
    // Clamps compose: a ReLU then a Clip (as torch writes ReLU6), a Clip then a ReLU, ...
    auto bounds = [](Activation act, float al, float be, float& lo, float& hi) {
        if (act == Activation::relu) return lo = 0, hi = INFINITY, true;
        if (act == Activation::hardsigmoid) return lo = 0, hi = 2, true;
        if (act == Activation::clip) return lo = al, hi = be, true;
        return false;
    };
    float lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0;
    Layer* H = act_set ? &model().layers[act_host] : L;
    if (act_set && !act_quantized && bounds(H->activation, H->alpha, H->beta, lo1, hi1) &&
        bounds(a, alpha, beta, lo2, hi2) && std::max(lo1, lo2) <= std::min(hi1, hi2)) {
        L = H;
        const float lo = std::max(lo1, lo2), hi = std::min(hi1, hi2);
        constexpr float kBig = 3.4e38f;
        if (lo == 0 && hi == 2) {
            L->activation = Activation::hardsigmoid, L->alpha = L->beta = 0;
        } else if (lo == 0 && hi >= kBig) {
            L->activation = Activation::relu, L->alpha = L->beta = 0;
        } else {
            L->activation = Activation::clip;
            L->alpha = std::max(lo, -kBig), L->beta = std::min(hi, kBig);
        }
        note(node_label(n, index) + " merged with the activation before it into " +
             activation_name(L->activation) +
             (L->activation == Activation::clip
                  ? " [" + shortest_repr(L->alpha) + ", " + shortest_repr(L->beta) + "]"
                  : std::string()));
        return Status::success();
    }
    if (act_set)
        return node_error(n, index,
                          std::string("follows the activation ") + activation_name(H->activation) +
                              " of the layer before it: one activation per layer");
    if (act_quantized) {
        // A quantizer between the layer and its activation: only ReLU commutes
        if (a != Activation::relu)
            return node_error(n, index,
                              "follows a QuantizeLinear/DequantizeLinear pair on the layer's "
                              "output: the lab quantizes a layer's output after its activation "
                              "(only a ReLU commutes with the quantizer)");
    }
    // After a max-pool of a layer without activation: every activation here is monotone, so it
    // commutes with the max exactly and belongs to the layer before the pool.
    const std::size_t count = model().layers.size();
    if (L->kind == LayerKind::maxpool2d && count >= 2 && !act_quantized) {
        Layer& before = model().layers[count - 2];
        if (before.has_weights() && before.activation == Activation::none &&
            formats(count - 2).activations.empty()) {
            before.activation = a;
            before.alpha = alpha, before.beta = beta;
            note(node_label(n, index) + " after the max-pool moved before it (they commute)");
            act_set = true;
            act_host = count - 2;
            return Status::success();
        }
    }
    L->activation = a;
    L->alpha = alpha, L->beta = beta;
    act_set = true;
    act_host = count - 1;
    return Status::success();
}

Status Importer::batchnorm(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    if (Status s = only_first_output(index); !s) return s;
    std::int64_t training = 0, spatial = 1;
    if (Status s = at.get_int("training_mode", 0, training); !s) return s;
    if (Status s = at.get_int("spatial", 1, spatial); !s) return s;
    if (training != 0)
        return node_error(n, index, "training_mode 1 is not supported (export in eval mode)");
    if (spatial != 1) return node_error(n, index, "spatial 0 is not supported");
    float eps = 1e-5f;
    if (Status s = at.get_float("epsilon", 1e-5f, eps); !s) return s;
    const Const *scale = nullptr, *bias = nullptr, *mean = nullptr, *var = nullptr;
    if (Status s = const_input(index, 1, scale); !s) return s;
    if (Status s = const_input(index, 2, bias); !s) return s;
    if (Status s = const_input(index, 3, mean); !s) return s;
    if (Status s = const_input(index, 4, var); !s) return s;
    Layer* L = nullptr;
    if (Status s = last_weighted(index, "a BatchNormalization", L); !s) return s;
    const std::size_t layer = model().layers.size() - 1;
    const std::size_t c = static_cast<std::size_t>(L->out);
    for (const Const* p : {scale, bias, mean, var})
        if (p->size() != c)
            return node_error(n, index,
                              "has " + std::to_string(p->size()) + " values per parameter for " +
                                  std::to_string(c) + " channels");
    const LayerFormats& f = formats(layer);
    if (!f.weights.empty() || !f.weight_rows.empty())
        return node_error(n, index,
                          "follows a quantized weight: folding it would move the weights off "
                          "their grid (fold BatchNorm into the layer before quantizing)");
    // y = (x - mean) / sqrt(var + eps) * scale + bias, folded into W and b in double.
    for (std::size_t r = 0; r < c; ++r) {
        const double s = static_cast<double>(scale->f[r]) /
                         std::sqrt(static_cast<double>(var->f[r]) + static_cast<double>(eps));
        for (Eigen::Index k = 0; k < L->weight.cols(); ++k)
            L->weight(static_cast<Eigen::Index>(r), k) =
                static_cast<float>(L->weight(static_cast<Eigen::Index>(r), k) * s);
        L->bias(static_cast<Eigen::Index>(r)) = static_cast<float>(
            (static_cast<double>(L->bias(static_cast<Eigen::Index>(r))) - mean->f[r]) * s +
            bias->f[r]);
    }
    note(node_label(n, index) + " folded into layer " + std::to_string(layer + 1) + " (" +
         (L->kind == LayerKind::dense ? "dense" : "conv2d") + ")");
    return Status::success();
}

// Flatten, Reshape, Squeeze, Unsqueeze on the chain: the rows keep their (c, y, x) order, so only
// the shape changes.
Status Importer::reshape_like(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    const std::string& op = n.op_type;
    if (pad_pending)
        return node_error(node(pad_node), pad_node,
                          "a Pad must be followed by the Conv or AveragePool it pads");
    std::int64_t total = 1;
    for (int d : shape) total *= d;
    // Shapes with the batch first, as ONNX sees them (batch written as -2).
    std::vector<std::int64_t> full = {-2};
    for (int d : shape) full.push_back(d);
    std::vector<std::int64_t> result;
    if (op == "Flatten") {
        std::int64_t axis = 1;
        if (Status s = at.get_int("axis", 1, axis); !s) return s;
        if (axis < 0) axis += static_cast<std::int64_t>(full.size());
        if (axis != 1)
            return node_error(n, index,
                              "axis " + std::to_string(axis) +
                                  " is not supported (axis 1: the batch stays first)");
        result = {-2, total};
    } else if (op == "Reshape") {
        const Const* target = nullptr;
        if (Status s = const_input(index, 1, target); !s) return s;
        std::int64_t allow_zero = 0;
        if (Status s = at.get_int("allowzero", 0, allow_zero); !s) return s;
        const std::vector<std::int64_t>& t = target->i;
        if (t.empty()) return node_error(n, index, "reshapes to " + ints_text(t));
        const bool batch_ok =
            t[0] == 0 || t[0] == -1 || (out.batch == std::to_string(t[0])) || t[0] == 1;
        if (!batch_ok)
            return node_error(
                n, index,
                "reshapes to " + ints_text(t) + ": the first dimension must stay the batch");
        std::int64_t known = 1;
        int infer = -1;
        result = {-2};
        for (std::size_t k = 1; k < t.size(); ++k) {
            std::int64_t d = t[k];
            if (d == 0 && !allow_zero) {
                if (k >= full.size())
                    return node_error(n, index, "copies a dimension that does not exist");
                d = full[k];
            }
            if (d == -1) {
                if (infer >= 0 || t[0] == -1)
                    return node_error(
                        n, index,
                        "reshapes to " + ints_text(t) + " with more than one size to infer");
                infer = static_cast<int>(k);
            } else if (d < 1) {
                return node_error(n, index, "reshapes to " + ints_text(t));
            } else {
                known *= d;
            }
            result.push_back(d);
        }
        if (infer >= 0) {
            if (known == 0 || total % known)
                return node_error(
                    n, index,
                    "cannot reshape " + std::to_string(total) + " values to " + ints_text(t));
            result[static_cast<std::size_t>(infer)] = total / known;
            known *= total / known;
        }
        if (known != total)
            return node_error(n, index,
                              "reshapes " + std::to_string(total) + " values to " + ints_text(t) +
                                  ": the sizes do not match");
    } else {
        std::vector<std::int64_t> axes;
        bool present = false;
        if (opset >= 13) {
            const Const* a = nullptr;
            if (Status s = const_input(index, 1, a, true); !s) return s;
            if (a) axes = a->i, present = true;
        } else if (Status s = at.get_ints("axes", axes, present); !s) {
            return s;
        }
        const bool squeeze = op == "Squeeze";
        const auto rank = static_cast<std::int64_t>(full.size() + (squeeze ? 0 : axes.size()));
        std::set<std::int64_t> set;
        for (std::int64_t a : axes) set.insert(a < 0 ? a + rank : a);
        if (set.count(0))
            return node_error(n, index,
                              std::string(squeeze ? "squeezes" : "unsqueezes") + " the batch axis");
        if (squeeze) {
            for (std::size_t k = 0; k < full.size(); ++k) {
                const bool drop =
                    present ? set.count(static_cast<std::int64_t>(k)) > 0 : (k > 0 && full[k] == 1);
                if (drop && full[k] != 1)
                    return node_error(n, index,
                                      "squeezes axis " + std::to_string(k) + " of size " +
                                          std::to_string(full[k]));
                if (!drop) result.push_back(full[k]);
            }
        } else {
            std::size_t from = 0;
            for (std::int64_t k = 0; k < rank; ++k)
                result.push_back(set.count(k) ? 1 : from < full.size() ? full[from++] : 1);
        }
    }
    // The lab's tensors are rows of features or C x H x W images.
    std::vector<int> next;
    for (std::size_t k = 1; k < result.size(); ++k) next.push_back(static_cast<int>(result[k]));
    if (next.size() == 2) next.insert(next.begin(), 1);  // H x W: one channel
    if (next.size() != 1 && next.size() != 3)
        return node_error(n, index,
                          "gives a tensor of " + dims_text(next) +
                              " per example; the lab's tensors are features or C x H x W");
    shape = next;
    return Status::success();
}

Status Importer::set_activation_format(std::size_t index, const std::string& spec) {
    if (pad_pending)
        return node_error(node(pad_node), pad_node,
                          "a Pad must be followed by the Conv or AveragePool it pads");
    if (model().layers.empty()) {
        if (!out.input_format.empty() && out.input_format != spec)
            return node_error(node(index), index, "quantizes the input a second time");
        out.input_format = spec;
        return Status::success();
    }
    LayerFormats& f = formats(model().layers.size() - 1);
    if (!f.activations.empty() && !same_rounding(f.activations, spec))
        return node_error(node(index), index,
                          "quantizes the layer's output a second time, to another format (" +
                              f.activations + ", then " + spec + ")");
    if (f.activations.empty()) f.activations = spec;
    act_quantized = true;
    return Status::success();
}

Status Importer::quantize_pair(std::size_t index, std::string& next) {
    const NodeProto& q = node(index);
    const Attrs at{q, index};
    if (q.op_type == "DequantizeLinear")
        return node_error(q, index,
                          "dequantizes a computed tensor without a QuantizeLinear before it "
                          "(the lab's tensors between layers are float)");
    const std::string& qout = q.output.empty() ? std::string() : q.output[0];
    const auto u = uses.find(qout);
    if (u == uses.end() || u->second.size() != 1 || graph_outputs.count(qout) ||
        node(u->second[0]).op_type != "DequantizeLinear")
        return node_error(q, index,
                          "must be followed by exactly one DequantizeLinear (the lab keeps "
                          "float tensors between layers)");
    const std::size_t d_index = u->second[0];
    const NodeProto& d = node(d_index);
    const Const *qs = nullptr, *qz = nullptr, *ds = nullptr, *dz = nullptr;
    if (Status s = const_input(index, 1, qs); !s) return s;
    if (Status s = const_input(index, 2, qz, true); !s) return s;
    if (Status s = const_input(d_index, 1, ds); !s) return s;
    if (Status s = const_input(d_index, 2, dz, true); !s) return s;
    if (qs->size() != 1 || ds->size() != 1)
        return node_error(q, index,
                          "quantizes an activation per channel; the lab's activation formats are "
                          "per tensor");
    const float zq = qz ? qz->f.at(0) : 0, zd = dz ? dz->f.at(0) : 0;
    if (qs->f[0] != ds->f[0] || zq != zd)
        return node_error(d, d_index,
                          "dequantizes with another scale or zero point than its QuantizeLinear");
    std::int64_t saturate = 1, out_type = 0, block = 0;
    if (Status s = at.get_int("saturate", 1, saturate); !s) return s;
    if (Status s = at.get_int("output_dtype", 0, out_type); !s) return s;
    if (Status s = at.get_int("block_size", 0, block); !s) return s;
    if (block) return node_error(q, index, "blocked activation quantization is not supported");
    const int type = qz ? qz->type : out_type ? static_cast<int>(out_type) : ox::kUint8;
    std::string why;
    std::string spec = quant_spec(type, qs->f[0], zq, saturate != 0, why);
    if (spec.empty()) return node_error(q, index, "quantizes with " + why);
    if (Status s = set_activation_format(index, spec); !s) return s;
    next = d.output.empty() ? std::string() : d.output[0];
    return Status::success();
}

// Cast to float16 and back: the activations rounded to binary16.
Status Importer::cast_pair(std::size_t index, std::string& next) {
    const NodeProto& c = node(index);
    const Attrs at{c, index};
    std::int64_t to = 0;
    if (Status s = at.get_int("to", 0, to); !s) return s;
    if (to == ox::kFloat) {  // a Cast to float of a float: nothing
        next = c.output.empty() ? std::string() : c.output[0];
        return Status::success();
    }
    const std::string& cout = c.output.empty() ? std::string() : c.output[0];
    const auto u = uses.find(cout);
    std::int64_t back = 0;
    if ((to == ox::kFloat16 || to == ox::kBfloat16) && u != uses.end() && u->second.size() == 1 &&
        node(u->second[0]).op_type == "Cast" &&
        Attrs{node(u->second[0]), u->second[0]}.get_int("to", 0, back).ok() && back == ox::kFloat) {
        if (Status s = set_activation_format(
                index, to == ox::kFloat16 ? "float:e=5,m=10" : "float:e=8,m=7");
            !s)
            return s;
        const NodeProto& b = node(u->second[0]);
        next = b.output.empty() ? std::string() : b.output[0];
        return Status::success();
    }
    return node_error(c, index,
                      std::string("casts to ") + ox::data_type_name(static_cast<int>(to)) +
                          " (only a Cast to float16 and straight back is read, as an "
                          "activation format)");
}

Status Importer::softmax(std::size_t index) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::int64_t axis = opset >= 13 ? -1 : 1;
    if (Status s = at.get_int("axis", axis, axis); !s) return s;
    const auto rank = static_cast<std::int64_t>(shape.size() + 1);
    if (axis < 0) axis += rank;
    if (shape.size() != 1 || axis != 1)
        return node_error(n, index,
                          "is taken over axis " + std::to_string(axis) + " of a " +
                              dims_text(shape) +
                              " tensor: the lab reads a softmax over the scores only");
    if (n.output.empty() || !graph_outputs.count(n.output[0]) || uses.count(n.output[0]))
        return node_error(n, index,
                          "must be the graph's last node (the lab reports the scores before it)");
    out.output = n.op_type == "Softmax" ? OutputMeaning::softmax : OutputMeaning::logsoftmax;
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

}  // namespace

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
