// The lab's Model as standard ONNX (qlab/onnx.hpp). Sections: 1. what a format is in ONNX terms
// (an int grid, FP8, float16, or none)  2. weights: QDQ initializers per tensor, per output
// channel or blocked, else float initializers of the quantized values  3. activation quantizers
// 4. the graph, layer by layer, and export_onnx. The weights are quantized exactly as the
// forward pass does (mlp.cpp), so onnxruntime computes with the same weights bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "onnx_proto.hpp"
#include "onnx_tensor.hpp"
#include "qlab/format.hpp"
#include "qlab/onnx.hpp"

namespace qlab {
namespace {

namespace ox = qlab::onnx;

// ---- 1. formats in ONNX terms ---------------------------------------------------------------

// A spec's value of `key=` (NaN when absent).
double spec_value(const std::string& spec, const char* key) {
    const std::string k = std::string(key) + "=";
    std::size_t at = spec.find(':');
    while (at != std::string::npos) {
        ++at;
        if (spec.compare(at, k.size(), k) == 0)
            return std::strtod(spec.c_str() + at + k.size(), nullptr);
        at = spec.find(',', at);
    }
    return NAN;
}

// An int grid: values scale * (k - zero) for codes k in [qmin, qmax], saturating.
struct Grid {
    int bits = 8;
    bool is_signed = true;
    double scale = 1, zero = 0, qmin = 0, qmax = 0;
};

// The grid of an int:, fixed: or ufixed: spec (not group-wise, not wrapping).
bool int_grid(const Format& f, Grid& g) {
    const std::string spec = f.to_string();
    if (f.data_dependent()) return false;
    if (f.kind() == "int") {
        g.bits = static_cast<int>(spec_value(spec, "b"));
        g.scale = spec_value(spec, "scale");
        const double z = spec_value(spec, "zero");
        g.zero = std::isnan(z) ? 0 : z;
        g.is_signed = spec.find("signed=0") == std::string::npos;
        const bool narrow = spec.find("narrow=1") != std::string::npos;
        g.qmin = g.is_signed ? -std::ldexp(1.0, g.bits - 1) + (narrow ? 1 : 0) : 0;
        g.qmax = g.is_signed ? std::ldexp(1.0, g.bits - 1) - 1 : std::ldexp(1.0, g.bits) - 1;
        return std::isfinite(g.scale) && g.scale > 0;
    }
    if ((f.kind() == "fixed" || f.kind() == "ufixed") &&
        spec.find("overflow=wrap") == std::string::npos) {
        g.bits = static_cast<int>(spec_value(spec, "w"));
        g.scale = std::ldexp(1.0, -static_cast<int>(spec_value(spec, "f")));
        g.zero = 0;
        g.is_signed = f.kind() == "fixed";
        g.qmin = g.is_signed ? -std::ldexp(1.0, g.bits - 1) : 0;
        g.qmax = g.is_signed ? std::ldexp(1.0, g.bits - 1) - 1 : std::ldexp(1.0, g.bits) - 1;
        return g.scale > 0 && std::isfinite(g.scale);
    }
    return false;
}

// The ONNX container type of a grid: int8/uint8 up to 8 bits (int4/uint4 for 4 bits when
// `four_bit`); 0 when none holds it.
int container(const Grid& g, bool four_bit) {
    if (g.bits == 4 && four_bit && g.zero >= (g.is_signed ? -8 : 0) &&
        g.zero <= (g.is_signed ? 7 : 15))
        return g.is_signed ? ox::kInt4 : ox::kUint4;
    if (g.bits > 8) return 0;
    if (g.is_signed ? (g.zero < -128 || g.zero > 127) : (g.zero < 0 || g.zero > 255)) return 0;
    return g.is_signed ? ox::kInt8 : ox::kUint8;
}

int float8_type(const std::string& spec) {
    if (spec.rfind("fp8:e4m3fnuz", 0) == 0) return ox::kFloat8E4M3FNUZ;
    if (spec.rfind("fp8:e5m2fnuz", 0) == 0) return ox::kFloat8E5M2FNUZ;
    if (spec.rfind("fp8:e4m3", 0) == 0) return ox::kFloat8E4M3FN;
    if (spec.rfind("fp8:e5m2", 0) == 0) return ox::kFloat8E5M2;
    return 0;
}

bool float_exact(double v) {
    return static_cast<double>(static_cast<float>(v)) == v;
}

int opset_for(int type) {
    if (ox::is_int4(type)) return 21;
    if (ox::is_float8(type)) return 19;
    return 13;
}

// ---- 2.-4. the exporter ---------------------------------------------------------------------

struct Exporter {
    const Model& model;
    const ExportOptions& o;
    std::vector<std::string>* notes;
    ox::ModelProto proto;
    int opset = 13;
    std::string cur;            // the tensor in hand
    std::vector<int> cur_dims;  // without the batch: {F} or {C, H, W}
    int counter = 0;
    nlohmann::json meta_layers = nlohmann::json::array();

    Exporter(const Model& m, const ExportOptions& options, std::vector<std::string>* n)
        : model(m), o(options), notes(n) {}

    ox::GraphProto& g() { return proto.graph; }
    std::string fresh(const std::string& base) { return base + "_" + std::to_string(counter++); }
    void note(const std::string& text) {
        if (notes) notes->push_back(text);
    }
    void need(int op) { opset = std::max(opset, op); }

    ox::NodeProto& add_node(const std::string& op, std::vector<std::string> inputs,
                            const std::string& output, const std::string& name) {
        ox::NodeProto n;
        n.op_type = op;
        n.input = std::move(inputs);
        n.output = {output};
        n.name = name;
        g().node.push_back(std::move(n));
        return g().node.back();
    }
    static void attr_int(ox::NodeProto& n, const char* name, std::int64_t v) {
        ox::AttributeProto a;
        a.name = name, a.type = ox::kAttrInt, a.i = v;
        n.attribute.push_back(std::move(a));
    }
    static void attr_float(ox::NodeProto& n, const char* name, float v) {
        ox::AttributeProto a;
        a.name = name, a.type = ox::kAttrFloat, a.f = v;
        n.attribute.push_back(std::move(a));
    }
    static void attr_ints(ox::NodeProto& n, const char* name, std::vector<std::int64_t> v) {
        ox::AttributeProto a;
        a.name = name, a.type = ox::kAttrInts, a.ints = std::move(v);
        n.attribute.push_back(std::move(a));
    }
    std::string scalar(const std::string& base, float v) {
        const std::string name = fresh(base);
        g().initializer.push_back(ox::float_tensor(name, {}, {v}));
        return name;
    }
    std::string code_scalar(const std::string& base, int type, std::int32_t code) {
        const std::string name = fresh(base);
        g().initializer.push_back(ox::code_tensor(name, type, {}, {code}));
        return name;
    }

    // The weight's formats as forward() applies them.
    struct WeightSpec {
        std::string whole;              // one format for the matrix
        std::vector<std::string> rows;  // or one per row
    };
    WeightSpec weight_spec(std::size_t l) const {
        WeightSpec w;
        if (!o.formats.layers.empty()) {
            if (l < o.formats.layers.size()) {
                w.rows = o.formats.layers[l].weight_rows;
                if (w.rows.empty()) w.whole = o.formats.layers[l].weights;
            }
            return w;
        }
        w.whole = o.formats.roles.weights;
        return w;
    }
    std::string activation_spec(std::size_t l) const {
        if (!o.formats.layers.empty())
            return l < o.formats.layers.size() ? o.formats.layers[l].activations : std::string();
        return o.formats.roles.activations;
    }

    Status emit_weight(std::size_t l, const Layer& L, std::string& name);
    bool emit_grid_weight(std::size_t l, const Layer& L, const Matrix& wq,
                          const std::vector<Grid>& grids, const std::string& name,
                          const std::vector<std::int64_t>& dims);
    bool emit_group_weight(std::size_t l, const Layer& L, const Format& f, const Matrix& wq,
                           const std::string& name, const std::vector<std::int64_t>& dims);
    bool emit_fp8_weight(const Matrix& wq, int type, const std::string& name,
                         const std::vector<std::int64_t>& dims);
    Status emit_quantizer(const std::string& spec, const std::string& what);
    Status to_rank(const Layer& L);
    void emit_activation(const Layer& L, std::size_t l);
    Status emit_layer(std::size_t l);
    Status run(std::string& bytes);
};

std::vector<std::int64_t> weight_dims(const Layer& L) {
    if (L.kind == LayerKind::dense) return {L.out, L.in};
    return {L.out, L.channels, L.kernel, L.kernel};
}

// Codes of the quantized values on a grid, checked: (float)(code - zero) * (float)scale, as
// DequantizeLinear computes it, must give each value back bit for bit.
bool grid_codes(const float* values, std::size_t n, const Grid& g,
                std::vector<std::int32_t>& codes) {
    const float s = static_cast<float>(g.scale);
    for (std::size_t i = 0; i < n; ++i) {
        const double k = std::nearbyint(static_cast<double>(values[i]) / g.scale) + g.zero;
        if (!(k >= g.qmin && k <= g.qmax)) return false;
        const float back = static_cast<float>(k - g.zero) * s;
        if (back != values[i] && !(back == 0 && values[i] == 0)) return false;
        codes.push_back(static_cast<std::int32_t>(k));
    }
    return true;
}

bool Exporter::emit_grid_weight(std::size_t l, const Layer& L, const Matrix& wq,
                                const std::vector<Grid>& grids, const std::string& name,
                                const std::vector<std::int64_t>& dims) {
    (void)l;
    const bool per_row = grids.size() > 1;
    int type = container(grids[0], true);
    for (const Grid& gr : grids)
        if (container(gr, true) != type || !float_exact(gr.scale)) return false;
    if (type == 0) return false;
    std::vector<std::int32_t> codes;
    for (Eigen::Index r = 0; r < wq.rows(); ++r)
        if (!grid_codes(wq.row(r).data(), static_cast<std::size_t>(wq.cols()),
                        grids[per_row ? static_cast<std::size_t>(r) : 0], codes))
            return false;
    const std::string q = name + "_quantized";
    g().initializer.push_back(ox::code_tensor(q, type, dims, codes));
    std::vector<float> scales;
    std::vector<std::int32_t> zeros;
    for (const Grid& gr : grids) {
        scales.push_back(static_cast<float>(gr.scale));
        zeros.push_back(static_cast<std::int32_t>(gr.zero));
    }
    const std::vector<std::int64_t> pdims =
        per_row ? std::vector<std::int64_t>{static_cast<std::int64_t>(grids.size())}
                : std::vector<std::int64_t>{};
    g().initializer.push_back(ox::float_tensor(name + "_scale", pdims, scales));
    g().initializer.push_back(ox::code_tensor(name + "_zero", type, pdims, zeros));
    auto& n =
        add_node("DequantizeLinear", {q, name + "_scale", name + "_zero"}, name, name + "_dq");
    if (per_row) attr_int(n, "axis", 0);
    need(opset_for(type));
    (void)L;
    return true;
}

bool Exporter::emit_group_weight(std::size_t l, const Layer& L, const Format& f, const Matrix& wq,
                                 const std::string& name, const std::vector<std::int64_t>& dims) {
    const std::size_t group = f.block_size();
    const Matrix& w = L.weight;
    const auto cols = static_cast<std::size_t>(w.cols());
    const std::size_t blocks = (cols + group - 1) / group;
    std::vector<std::int32_t> codes;
    std::vector<float> scales;
    std::vector<std::int32_t> zeros;
    int type = 0;
    for (Eigen::Index r = 0; r < w.rows(); ++r)
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::size_t start = b * group, count = std::min(group, cols - start);
            std::vector<double> original(w.row(r).data() + start, w.row(r).data() + start + count);
            const Format fitted = f.fit(original);  // the block's int:b=B,scale=S[,zero=Z] grid
            auto parsed = Format::parse(fitted.to_string());
            Grid gr;
            if (!parsed || !int_grid(*parsed, gr)) return false;
            const int t = container(gr, true);
            if (t == 0 || (type && t != type) || !float_exact(gr.scale)) return false;
            type = t;
            if (!grid_codes(wq.row(r).data() + start, count, gr, codes)) return false;
            scales.push_back(static_cast<float>(gr.scale));
            zeros.push_back(static_cast<std::int32_t>(gr.zero));
        }
    const std::string q = name + "_quantized",
                      dq = L.kind == LayerKind::dense ? name : name + "_2d";
    const std::vector<std::int64_t> flat = {L.out, L.in};
    const std::vector<std::int64_t> pdims = {L.out, static_cast<std::int64_t>(blocks)};
    g().initializer.push_back(ox::code_tensor(q, type, flat, codes));
    g().initializer.push_back(ox::float_tensor(name + "_scale", pdims, scales));
    g().initializer.push_back(ox::code_tensor(name + "_zero", type, pdims, zeros));
    auto& n = add_node("DequantizeLinear", {q, name + "_scale", name + "_zero"}, dq, name + "_dq");
    attr_int(n, "axis", 1);
    attr_int(n, "block_size", static_cast<std::int64_t>(group));
    need(21);
    if (L.kind != LayerKind::dense) {
        // The lab's blocks run along a kernel's whole row (C k k): blocked on the 2-D matrix,
        // then reshaped to O x C x k x k.
        const std::string shape = name + "_shape";
        g().initializer.push_back(ox::int64_tensor(shape, {4}, dims));
        add_node("Reshape", {dq, shape}, name, name + "_reshape");
    }
    (void)l;
    return true;
}

bool Exporter::emit_fp8_weight(const Matrix& wq, int type, const std::string& name,
                               const std::vector<std::int64_t>& dims) {
    auto f = Format::parse(type == ox::kFloat8E4M3FN     ? "fp8:e4m3"
                           : type == ox::kFloat8E5M2     ? "fp8:e5m2"
                           : type == ox::kFloat8E4M3FNUZ ? "fp8:e4m3fnuz"
                                                         : "fp8:e5m2fnuz");
    if (!f) return false;
    std::vector<std::int32_t> codes;
    for (Eigen::Index i = 0; i < wq.size(); ++i) {
        const float v = wq.data()[i];
        if (!std::isfinite(v) || f->quantize_ref(v) != v) return false;
        const auto code = static_cast<std::int32_t>(f->encode(v).code);
        if (ox::float8_to_float(type, static_cast<std::uint8_t>(code)) != v) return false;
        codes.push_back(code);
    }
    const std::string q = name + "_quantized";
    g().initializer.push_back(ox::code_tensor(q, type, dims, codes));
    g().initializer.push_back(ox::float_tensor(name + "_scale", {}, {1.0f}));
    g().initializer.push_back(ox::code_tensor(name + "_zero", type, {}, {0}));
    add_node("DequantizeLinear", {q, name + "_scale", name + "_zero"}, name, name + "_dq");
    need(19);
    return true;
}

Status Exporter::emit_weight(std::size_t l, const Layer& L, std::string& name) {
    name = "layer" + std::to_string(l + 1) + "_weight";
    const std::vector<std::int64_t> dims = weight_dims(L);
    const WeightSpec spec = weight_spec(l);
    if (spec.rows.empty() && spec.whole.empty()) {  // float: the weights as they are
        meta_layers.push_back(nlohmann::json::object());
        g().initializer.push_back(ox::float_tensor(name, dims, L.weight.data(),
                                                   static_cast<std::size_t>(L.weight.size())));
        return Status::success();
    }
    Matrix wq = L.weight;
    const QuantizeOptions q;  // round-half-even, as evaluation quantizes weights
    nlohmann::json meta = nlohmann::json::object();
    std::vector<Grid> grids;
    std::optional<Format> whole;
    bool grid = true;
    if (!spec.rows.empty()) {
        meta["weight_rows"] = spec.rows;
        for (Eigen::Index r = 0; r < wq.rows(); ++r) {
            if (static_cast<std::size_t>(r) >= spec.rows.size()) break;
            auto f = Format::parse(spec.rows[static_cast<std::size_t>(r)]);
            if (!f)
                return Status::error("layer " + std::to_string(l + 1) + " row " +
                                     std::to_string(r) + " weights: " + f.status().message());
            Matrix row = wq.row(r);
            f->quantize_rows(row.data(), row.data(), 1, static_cast<std::size_t>(row.cols()), q);
            wq.row(r) = row;
            Grid gr;
            grid = grid && int_grid(*f, gr);
            grids.push_back(gr);
        }
        grid = grid && grids.size() == static_cast<std::size_t>(wq.rows());
    } else if (!spec.whole.empty()) {
        meta["weights"] = spec.whole;
        auto f = Format::parse(spec.whole);
        if (!f)
            return Status::error("layer " + std::to_string(l + 1) +
                                 " weights: " + f.status().message());
        f->quantize_rows(wq.data(), wq.data(), static_cast<std::size_t>(wq.rows()),
                         static_cast<std::size_t>(wq.cols()), q);
        whole = *f;
        Grid gr;
        grid = int_grid(*f, gr);
        grids.push_back(gr);
    }
    meta_layers.push_back(std::move(meta));
    const bool quantized = !spec.rows.empty() || whole.has_value();
    if (quantized) {
        const std::string what = spec.rows.empty() ? spec.whole : "per-channel " + spec.rows[0];
        if (grid && emit_grid_weight(l, L, wq, grids, name, dims)) return Status::success();
        if (whole && whole->data_dependent() && whole->kind() == "int" && whole->block_size() > 0 &&
            emit_group_weight(l, L, *whole, wq, name, dims))
            return Status::success();
        if (whole && float8_type(spec.whole) &&
            emit_fp8_weight(wq, float8_type(spec.whole), name, dims))
            return Status::success();
        note("layer " + std::to_string(l + 1) + " weights (" + what +
             "): ONNX has no DequantizeLinear for this format" +
             (grid ? " with a float32 scale" : "") +
             ", so they are float32 initializers holding exactly the quantized values");
    }
    g().initializer.push_back(
        ox::float_tensor(name, dims, wq.data(), static_cast<std::size_t>(wq.size())));
    return Status::success();
}

// A quantizer on the tensor in hand: QuantizeLinear/DequantizeLinear (int grids, FP8), a Clip
// when the grid is narrower than the ONNX type, or a Cast to float16 and back.
Status Exporter::emit_quantizer(const std::string& spec, const std::string& what) {
    auto f = Format::parse(spec);
    if (!f) return Status::error(what + ": " + f.status().message());
    const std::string base = fresh("quant");
    Grid gr;
    if (int_grid(*f, gr)) {
        const int type = container(gr, false);
        if (type == 0)
            return Status::error(what + " '" + spec +
                                 "': ONNX's QuantizeLinear holds int grids of up to 8 bits here");
        if (!float_exact(gr.scale))
            return Status::error(what + " '" + spec + "': its scale " + shortest_repr(gr.scale) +
                                 " is not a float32 number (ONNX stores scales as float32)");
        const std::string scale = scalar(base + "_scale", static_cast<float>(gr.scale));
        const std::string zero =
            code_scalar(base + "_zero", type, static_cast<std::int32_t>(gr.zero));
        const std::string qn = base + "_q", dqn = base + "_dq";
        add_node("QuantizeLinear", {cur, scale, zero}, qn, qn);
        add_node("DequantizeLinear", {qn, scale, zero}, dqn, dqn);
        cur = dqn;
        const double tmin = type == ox::kInt8 ? -128 : 0, tmax = type == ox::kInt8 ? 127 : 255;
        if (gr.qmin > tmin || gr.qmax < tmax) {
            const float lo = static_cast<float>(gr.qmin - gr.zero) * static_cast<float>(gr.scale);
            const float hi = static_cast<float>(gr.qmax - gr.zero) * static_cast<float>(gr.scale);
            const std::string out = base + "_clip";
            add_node("Clip", {cur, scalar(base + "_lo", lo), scalar(base + "_hi", hi)}, out, out);
            cur = out;
        }
        return Status::success();
    }
    if (const int type = float8_type(f->to_string())) {
        const bool sat = f->to_string().find("sat=1") != std::string::npos;
        const std::string scale = scalar(base + "_scale", 1.0f);
        const std::string zero = code_scalar(base + "_zero", type, 0);
        const std::string qn = base + "_q", dqn = base + "_dq";
        auto& qnode = add_node("QuantizeLinear", {cur, scale, zero}, qn, qn);
        attr_int(qnode, "saturate", sat ? 1 : 0);
        add_node("DequantizeLinear", {qn, scale, zero}, dqn, dqn);
        cur = dqn;
        need(19);
        return Status::success();
    }
    if (f->to_string() == "float:e=5,m=10") {
        const std::string half = base + "_half", back = base + "_float";
        attr_int(add_node("Cast", {cur}, half, half), "to", ox::kFloat16);
        attr_int(add_node("Cast", {half}, back, back), "to", ox::kFloat);
        cur = back;
        return Status::success();
    }
    return Status::error(what + " '" + spec +
                         "': ONNX has no operator that rounds to this format (QuantizeLinear "
                         "takes int grids of up to 8 bits and FP8, Cast takes float16); export "
                         "with float activations (--weights only) or pick such a format");
}

// The tensor in hand in the rank the layer takes: N x F for dense, N x C x H x W otherwise.
Status Exporter::to_rank(const Layer& L) {
    if (L.kind == LayerKind::dense) {
        if (cur_dims.size() == 1) return Status::success();
        const std::string out = fresh("flatten");
        attr_int(add_node("Flatten", {cur}, out, out), "axis", 1);
        cur = out;
        int total = 1;
        for (int d : cur_dims) total *= d;
        cur_dims = {total};
        return Status::success();
    }
    const std::vector<int> want = {L.channels, L.height, L.width};
    if (cur_dims == want) return Status::success();
    const std::string shape = fresh("shape"), out = fresh("reshape");
    g().initializer.push_back(ox::int64_tensor(shape, {4}, {-1, L.channels, L.height, L.width}));
    add_node("Reshape", {cur, shape}, out, out);
    cur = out;
    cur_dims = want;
    return Status::success();
}

void Exporter::emit_activation(const Layer& L, std::size_t l) {
    const std::string out = "layer" + std::to_string(l + 1) + "_" + activation_name(L.activation);
    const std::string name = out;
    switch (L.activation) {
        case Activation::none:
            return;
        case Activation::relu:
            add_node("Relu", {cur}, out, name);
            break;
        case Activation::tanh:
            add_node("Tanh", {cur}, out, name);
            break;
        case Activation::sigmoid:
            add_node("Sigmoid", {cur}, out, name);
            break;
        case Activation::hardsigmoid:  // Sakr's ReLU clipped to [0, 2]
            add_node("Clip", {cur, scalar("zero", 0), scalar("two", 2)}, out, name);
            break;
        case Activation::clip:
            add_node("Clip", {cur, scalar("min", L.alpha), scalar("max", L.beta)}, out, name);
            break;
        case Activation::leakyrelu:
            attr_float(add_node("LeakyRelu", {cur}, out, name), "alpha", L.alpha);
            break;
        case Activation::onnx_hardsigmoid: {
            auto& n = add_node("HardSigmoid", {cur}, out, name);
            attr_float(n, "alpha", L.alpha);
            attr_float(n, "beta", L.beta);
            break;
        }
    }
    cur = out;
}

Status Exporter::emit_layer(std::size_t l) {
    const Layer& L = model.layers[l];
    const std::string tag = "layer" + std::to_string(l + 1);
    if (Status s = to_rank(L); !s) return s;
    const std::string out = tag + "_out";
    if (L.has_weights()) {
        std::string w;
        if (Status s = emit_weight(l, L, w); !s) return s;
        const std::string b = tag + "_bias";
        g().initializer.push_back(
            ox::float_tensor(b, {L.out}, std::vector<float>(L.bias.data(), L.bias.data() + L.out)));
        if (L.kind == LayerKind::dense) {
            attr_int(add_node("Gemm", {cur, w, b}, out, tag + "_gemm"), "transB", 1);
        } else {
            auto& n = add_node("Conv", {cur, w, b}, out, tag + "_conv");
            attr_ints(n, "kernel_shape", {L.kernel, L.kernel});
            attr_ints(n, "strides", {L.step(), L.step()});
            attr_ints(n, "dilations", {L.dilation, L.dilation});
            attr_ints(n, "pads", {L.pad_top, L.pad_left, L.pad_bottom, L.pad_right});
        }
    } else {
        meta_layers.push_back(nlohmann::json::object());
        if (L.kind == LayerKind::globalavgpool) {
            add_node("GlobalAveragePool", {cur}, out, tag + "_pool");
        } else {
            const bool avg = L.kind == LayerKind::avgpool2d;
            auto& n = add_node(avg ? "AveragePool" : "MaxPool", {cur}, out, tag + "_pool");
            attr_ints(n, "kernel_shape", {L.kernel, L.kernel});
            attr_ints(n, "strides", {L.step(), L.step()});
            attr_ints(n, "pads", {L.pad_top, L.pad_left, L.pad_bottom, L.pad_right});
            if (avg) attr_int(n, "count_include_pad", L.count_include_pad ? 1 : 0);
        }
    }
    cur = out;
    if (L.kind == LayerKind::dense)
        cur_dims = {L.out};
    else
        cur_dims = {L.kind == LayerKind::conv2d ? L.out : L.channels, L.output_height(),
                    L.output_width()};
    emit_activation(L, l);
    if (l + 1 < model.layers.size()) {
        const std::string spec = activation_spec(l);
        if (!spec.empty()) {
            meta_layers.back()["activations"] = spec;
            if (Status s = emit_quantizer(spec, "layer " + std::to_string(l + 1) + " activations");
                !s)
                return s;
        }
    }
    return Status::success();
}

ox::ValueInfoProto value_info(const std::string& name, const std::vector<int>& dims) {
    ox::ValueInfoProto v;
    v.name = name;
    v.elem_type = ox::kFloat;
    v.is_tensor = v.has_shape = true;
    ox::Dimension batch;
    batch.param = "batch";
    v.shape.push_back(batch);
    for (int d : dims) {
        ox::Dimension x;
        x.has_value = true;
        x.value = d;
        v.shape.push_back(x);
    }
    return v;
}

int ir_version_for(int opset) {
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

Status Exporter::run(std::string& bytes) {
    if (model.layers.empty()) return Status::error("the model has no layers");
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        if (Status s = check_layer(model.layers[l]); !s)
            return Status::error("layer " + std::to_string(l + 1) + ": " + s.message());
        if (l > 0 && model.layers[l - 1].output_size() != model.layers[l].input_size())
            return Status::error("layer " + std::to_string(l + 1) + " takes " +
                                 std::to_string(model.layers[l].input_size()) +
                                 " values, the layer before it gives " +
                                 std::to_string(model.layers[l - 1].output_size()));
    }
    if (o.opset != 0 && (o.opset < 13 || o.opset > 21))
        return Status::error("opset " + std::to_string(o.opset) +
                             " is not supported for export (13 to 21)");
    const Layer& first = model.layers.front();
    std::vector<int> in = o.input_shape;
    if (in.empty()) {
        if (first.kind == LayerKind::dense)
            in = {first.in};
        else
            in = {first.channels, first.height, first.width};
    }
    long long total = 1;
    for (int d : in) total *= d;
    if ((in.size() != 1 && in.size() != 3) || total != model.inputs())
        return Status::error("the input shape must be features or C x H x W with " +
                             std::to_string(model.inputs()) + " values in all");
    proto.graph.name = "quantlab";
    g().input.push_back(value_info("input", in));
    cur = "input";
    cur_dims = in;
    if (!o.input_format.empty())
        if (Status s = emit_quantizer(o.input_format, "the input's format"); !s) return s;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (Status s = emit_layer(l); !s) return s;
    if (cur_dims.size() != 1) {
        const std::string out = fresh("flatten");
        attr_int(add_node("Flatten", {cur}, out, out), "axis", 1);
        cur = out;
    }
    if (!o.output_format.empty())
        if (Status s = emit_quantizer(o.output_format, "the output's format"); !s) return s;
    if (o.output != OutputMeaning::none) {
        const std::string out = o.output == OutputMeaning::softmax ? "softmax" : "log_softmax";
        attr_int(add_node(o.output == OutputMeaning::softmax ? "Softmax" : "LogSoftmax", {cur}, out,
                          out),
                 "axis", 1);
        cur = out;
    }
    // The last node writes the graph's output.
    for (ox::NodeProto& n : g().node)
        for (std::string& i : n.input)
            if (i == cur) i = "output";
    g().node.back().output[0] = "output";
    g().output.push_back(value_info("output", {model.outputs()}));
    if (o.opset != 0 && o.opset < opset)
        return Status::error(
            "opset " + std::to_string(o.opset) + " cannot express these formats: " +
            (opset == 21 ? "4-bit and blocked ints need opset 21" : "FP8 needs opset 19"));
    const int version = o.opset ? o.opset : opset;
    proto.ir_version = ir_version_for(version);
    proto.opset_import.push_back({"", version});
    proto.producer_name = o.producer;
    proto.producer_version = "1";
    nlohmann::json meta = {{"version", 1}, {"layers", meta_layers}};
    if (!o.input_format.empty()) meta["input"] = o.input_format;
    if (!o.output_format.empty()) meta["output"] = o.output_format;
    proto.metadata_props.emplace_back("quantlab.formats", meta.dump());
    bytes = ox::serialize_model(proto);
    return Status::success();
}

}  // namespace

Result<std::string> export_onnx(const Model& model, const ExportOptions& options,
                                std::vector<std::string>* notes) {
    Exporter e(model, options, notes);
    std::string bytes;
    if (Status s = e.run(bytes); !s) return Status::error("ONNX export: " + s.message());
    return bytes;
}

}  // namespace qlab
