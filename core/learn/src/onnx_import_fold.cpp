// The ONNX import's constant folding (onnx_import.hpp): a node whose inputs are all constants
// (Constant, DequantizeLinear, QuantizeLinear, Identity, Cast, Reshape, Squeeze, Unsqueeze,
// Transpose) becomes a constant itself, so only the chain from the graph's input is walked.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "onnx_import.hpp"

namespace qlab {
namespace onnx_import {

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
    Const c;
    bool folds = true;  // false: left to the walk
    Status s = Status::success();
    if (n.op_type == "Constant") {
        s = fold_constant_node(index, c);
    } else {
        const Const& x = consts.at(n.input[0]);
        c = x;
        if (n.op_type == "Identity") {
            // a copy
        } else if (n.op_type == "Cast") {
            s = fold_cast(index, x, c, folds);
        } else if (n.op_type == "Reshape") {
            s = fold_reshape(index, x, c);
        } else if (n.op_type == "Squeeze" || n.op_type == "Unsqueeze") {
            s = fold_squeeze(index, x, c);
        } else if (n.op_type == "Transpose") {
            s = fold_transpose(index, x, c);
        } else {
            s = fold_quantize_linear(index, x, c);
        }
    }
    if (!s || !folds) return s;
    consts[n.output[0]] = std::move(c);
    done = true;
    return Status::success();
}

Status Importer::fold_constant_node(std::size_t index, Const& c) {
    const NodeProto& n = node(index);
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
    return Status::success();
}

Status Importer::fold_cast(std::size_t index, const Const& x, Const& c, bool& folds) {
    const Attrs at{node(index), index};
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
        folds = false;  // left to the walk, which refuses it
        return Status::success();
    }
    c.quant.reset();
    return Status::success();
}

Status Importer::fold_reshape(std::size_t index, const Const& x, Const& c) {
    const NodeProto& n = node(index);
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
            // Each size and the running product at most the element count (bounded by
            // the file's size) before the next multiplication: no overflow.
            if (dims[k] <= static_cast<std::int64_t>(x.size()) + 1)
                known *= std::max<std::int64_t>(dims[k], 1);
            if (dims[k] > static_cast<std::int64_t>(x.size()) + 1 ||
                known > static_cast<std::int64_t>(x.size()) + 1)
                return node_error(
                    n, index,
                    "reshapes " + std::to_string(x.size()) + " values to " + ints_text(shape_c->i));
        }
    }
    const auto count = static_cast<std::int64_t>(x.size());
    if (infer >= 0 && known > 0) dims[static_cast<std::size_t>(infer)] = count / known;
    if (product(dims) != count)
        return node_error(
            n, index, "reshapes " + std::to_string(count) + " values to " + ints_text(shape_c->i));
    c.dims = dims;
    return Status::success();
}

// Squeeze and Unsqueeze: the axes come as an input from opset 13, as an attribute before.
Status Importer::fold_squeeze(std::size_t index, const Const& x, Const& c) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
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
    const auto rank = static_cast<std::int64_t>(x.dims.size() + (squeeze ? 0 : axes.size()));
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
            dims.push_back(axis_set.count(k) ? 1 : from < x.dims.size() ? x.dims[from++] : 1);
    }
    if (product(dims) != product(x.dims))
        return node_error(n, index, "squeezes an axis that is not of size 1");
    c.dims = dims;
    return Status::success();
}

Status Importer::fold_transpose(std::size_t index, const Const& x, Const& c) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
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
    for (std::size_t k = 0; k < rank; ++k) c.dims[k] = x.dims[static_cast<std::size_t>(perm[k])];
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
        if (!x.i.empty()) c.i[static_cast<std::size_t>(flat)] = x.i[static_cast<std::size_t>(src)];
        if (x.quant && x.quant->qidx.size() == x.size())
            c.quant->qidx[static_cast<std::size_t>(flat)] =
                x.quant->qidx[static_cast<std::size_t>(src)];
    }
    return Status::success();
}

namespace {

// A QuantizeLinear's or DequantizeLinear's constant parameters, and which scale each element of
// its data uses.
struct QuantParams {
    const Const* scale = nullptr;
    const Const* zero = nullptr;  // optional
    std::vector<float> zeros;     // the zero points (0 without them)
    std::vector<std::int32_t> qidx;
    std::int64_t saturate = 1, out_type = 0;
};

// q.qidx: per element of x, its scale: by block along `axis`, per channel along it, or the one.
Status scale_indices(const NodeProto& n, std::size_t index, const Const& x, std::int64_t axis,
                     std::int64_t block, QuantParams& q) {
    const Const* scale = q.scale;
    const std::size_t rank = x.dims.size();
    const std::size_t count = x.size();
    const std::size_t params = scale->size();
    q.qidx.assign(count, 0);
    if (block > 0) {
        if (axis < 0 || axis >= static_cast<std::int64_t>(rank) || scale->dims.size() != rank)
            return node_error(n, index,
                              "is blocked along axis " + std::to_string(axis) +
                                  " but its scale's shape " + ints_text(scale->dims) +
                                  " does not fit");
        for (std::size_t k = 0; k < rank; ++k) {
            const std::int64_t want =
                static_cast<std::int64_t>(k) == axis ? (x.dims[k] + block - 1) / block : x.dims[k];
            if (scale->dims[k] != want)
                return node_error(n, index,
                                  "has a blocked scale of shape " + ints_text(scale->dims) +
                                      " for data of " + ints_text(x.dims) + " and block_size " +
                                      std::to_string(block));
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
            q.qidx[e] = static_cast<std::int32_t>(idx);
        }
    } else if (params > 1 || (!scale->dims.empty() && scale->dims[0] > 1 && rank > 0)) {
        if (axis < 0 || axis >= static_cast<std::int64_t>(rank) ||
            x.dims[static_cast<std::size_t>(axis)] != static_cast<std::int64_t>(params))
            return node_error(n, index,
                              "has " + std::to_string(params) + " scales along axis " +
                                  std::to_string(axis) + " of data " + ints_text(x.dims));
        for (std::size_t e = 0; e < count; ++e)
            q.qidx[e] = static_cast<std::int32_t>(
                coordinate(x.dims, static_cast<std::int64_t>(e), static_cast<std::size_t>(axis)));
    } else if (params != 1) {
        return node_error(n, index, "has no scale");
    }
    return Status::success();
}

// DequantizeLinear of a constant: the values, with the codes' type, scales and zero points kept.
Status dequantize_const(const NodeProto& n, std::size_t index, const Const& x, QuantParams& p,
                        Const& c) {
    if (!x.integer() && !ox::is_float8(x.type))
        return node_error(n, index,
                          std::string("dequantizes ") + ox::data_type_name(x.type) +
                              " data (int8, uint8, int4, uint4, int16, "
                              "uint16, int32 or FLOAT8 expected)");
    Quant q;
    q.type = x.type;
    q.scale = p.scale->f;
    q.zero = p.zeros;
    q.qidx = std::move(p.qidx);
    q.saturate = x.quant ? x.quant->saturate : true;
    c.type = p.scale->type == ox::kFloat16 || p.scale->type == ox::kBfloat16 ? ox::kFloat
                                                                             : p.scale->type;
    c.i.clear();
    for (std::size_t e = 0; e < x.size(); ++e) {
        const auto k = static_cast<std::size_t>(q.qidx[e]);
        c.f[e] = (x.f[e] - q.zero[k]) * q.scale[k];  // as onnxruntime: one rounding
    }
    c.quant = std::move(q);
    return Status::success();
}

// QuantizeLinear of a float constant (fake-quantized weights): the codes.
Status quantize_const(const NodeProto& n, std::size_t index, const Const& x, const QuantParams& p,
                      Const& c) {
    const std::size_t count = x.size();
    int type = p.zero ? p.zero->type : p.out_type ? static_cast<int>(p.out_type) : ox::kUint8;
    c.type = type;
    c.quant.reset();
    c.i.clear();
    if (int_quant_type(type)) {
        const bool is_signed = type == ox::kInt8 || type == ox::kInt4 || type == ox::kInt16;
        const int bits = ox::is_int4(type)                             ? 4
                         : (type == ox::kInt16 || type == ox::kUint16) ? 16
                                                                       : 8;
        const double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0;
        const double hi = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
        for (std::size_t e = 0; e < count; ++e) {
            const auto k = static_cast<std::size_t>(p.qidx[e]);
            const float r = x.f[e] / p.scale->f[k];  // in float, as onnxruntime
            const double code =
                std::clamp(std::nearbyint(static_cast<double>(r)) + p.zeros[k], lo, hi);
            c.f[e] = static_cast<float>(code);
            c.i.push_back(static_cast<std::int64_t>(code));
        }
    } else if (ox::is_float8(type)) {
        const Format f8 =
            *Format::parse(std::string(float8_name(type)) + (p.saturate ? ",sat=1" : ""));
        for (std::size_t e = 0; e < count; ++e) {
            const float r = x.f[e] / p.scale->f[static_cast<std::size_t>(p.qidx[e])];
            c.f[e] = static_cast<float>(f8.quantize_ref(r));
        }
        Quant marker;  // carries `saturate` to the DequantizeLinear
        marker.saturate = p.saturate != 0;
        c.quant = marker;
    } else {
        return node_error(n, index,
                          std::string("quantizes to ") + ox::data_type_name(type) +
                              ", which the lab does not read");
    }
    return Status::success();
}

}  // namespace

// QuantizeLinear / DequantizeLinear of a constant.
Status Importer::fold_quantize_linear(std::size_t index, const Const& x, Const& c) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    QuantParams p;
    if (Status s = const_input(index, 1, p.scale); !s) return s;
    if (Status s = const_input(index, 2, p.zero, true); !s) return s;
    std::int64_t axis = 1, block = 0;
    if (Status s = at.get_int("axis", 1, axis); !s) return s;
    if (Status s = at.get_int("block_size", 0, block); !s) return s;
    if (block < 0 || block > (std::int64_t{1} << 30))
        return node_error(n, index, "block_size " + std::to_string(block) + " is out of range");
    if (Status s = at.get_int("saturate", 1, p.saturate); !s) return s;
    if (Status s = at.get_int("output_dtype", 0, p.out_type); !s) return s;
    if (axis < 0) axis += static_cast<std::int64_t>(x.dims.size());
    const std::size_t params = p.scale->size();
    if (p.zero && p.zero->size() != params)
        return node_error(n, index,
                          "has " + std::to_string(params) + " scales but " +
                              std::to_string(p.zero->size()) + " zero points");
    if (Status s = scale_indices(n, index, x, axis, block, p); !s) return s;
    p.zeros = p.zero ? p.zero->f : std::vector<float>(params, 0.0f);
    if (n.op_type == "DequantizeLinear") return dequantize_const(n, index, x, p, c);
    return quantize_const(n, index, x, p, c);
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

}  // namespace onnx_import
}  // namespace qlab
