// The ONNX import's op handlers (onnx_import.hpp): layers from Gemm, MatMul (+ Add), Conv and the
// pools with their geometry; activations (composed, or moved across a max-pool they commute
// with); BatchNormalization folded; Flatten/Reshape/Squeeze/Unsqueeze as shapes; Pad merged into
// the next Conv or AveragePool; QuantizeLinear/DequantizeLinear and Cast pairs as formats; a final
// Softmax as the output's meaning. Each reads its attributes or inputs by the model's opset.
// Sections: 1. layers and their geometry; 2. weights and their QDQ formats; 3. Gemm, MatMul,
// Add, Conv, the pools and Pad. Sections 4-8 (activations, BatchNormalization, shapes, QDQ and
// Cast pairs on activations, Softmax) are onnx_import_outputs.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "onnx_import.hpp"

namespace qlab::onnx_import {

// ---- 1. layers and their geometry ---------------------------------------------------------------
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

namespace {

// Conv's and the pools' spatial attributes as the node gives them.
struct SpatialAttrs {
    std::vector<std::int64_t> kernel, strides, dilations, pads;
    bool has_kernel = false, has_strides = false, has_dilations = false, has_pads = false;
    std::string auto_pad;
    std::int64_t ceil_mode = 0;
};

Status read_spatial(const Attrs& at, SpatialAttrs& a) {
    if (Status s = at.get_ints("kernel_shape", a.kernel, a.has_kernel); !s) return s;
    if (Status s = at.get_ints("strides", a.strides, a.has_strides); !s) return s;
    if (Status s = at.get_ints("dilations", a.dilations, a.has_dilations); !s) return s;
    if (Status s = at.get_ints("pads", a.pads, a.has_pads); !s) return s;
    if (Status s = at.get_string("auto_pad", "NOTSET", a.auto_pad); !s) return s;
    if (Status s = at.get_int("ceil_mode", 0, a.ceil_mode); !s) return s;
    return Status::success();
}

// The window: a square kernel (a conv's must match its weight), equal strides and dilations.
Status window(const NodeProto& n, std::size_t index, const SpatialAttrs& a, bool conv, Layer& L) {
    if (a.has_kernel) {
        const std::vector<std::int64_t>& kernel = a.kernel;
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
    if (a.has_strides) {
        const std::vector<std::int64_t>& strides = a.strides;
        if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1 ||
            strides[0] > (1 << 20))
            return node_error(n, index,
                              "strides " + ints_text(strides) +
                                  " is not supported (equal strides of at least 1 only)");
        L.stride = static_cast<int>(strides[0]);
    } else {
        L.stride = 1;  // ONNX's default for Conv and both pools
    }
    if (a.has_dilations) {
        const std::vector<std::int64_t>& dilations = a.dilations;
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
    return Status::success();
}

// The padding p (top, left, bottom, right): explicit pads, or auto_pad's SAME_UPPER, SAME_LOWER
// or VALID for the window already read into L.
Status padding(const NodeProto& n, std::size_t index, const SpatialAttrs& a, bool conv,
               const Layer& L, int p[4]) {
    const std::string& auto_pad = a.auto_pad;
    if (auto_pad == "NOTSET") {
        if (a.has_pads) {
            const std::vector<std::int64_t>& pads = a.pads;
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
        const long long span =
            conv ? static_cast<long long>(L.dilation) * (L.kernel - 1) + 1 : L.kernel;
        const long long sides[2] = {L.height, L.width};
        for (int k = 0; k < 2; ++k) {
            const long long outside = (sides[k] + L.stride - 1) / L.stride;
            const long long total = std::max(0LL, (outside - 1) * L.stride + span - sides[k]);
            if (total > (1 << 20))
                return node_error(n, index, "auto_pad " + auto_pad + " pads too much");
            const int small = static_cast<int>(total / 2), large = static_cast<int>(total) - small;
            p[k] = auto_pad == "SAME_UPPER" ? small : large;
            p[k + 2] = auto_pad == "SAME_UPPER" ? large : small;
        }
    } else if (auto_pad != "VALID") {
        return node_error(n, index, "auto_pad '" + auto_pad + "' is not supported");
    }
    return Status::success();
}

}  // namespace

// Spatial attributes shared by Conv and the pools: square windows, equal strides and
// dilations, explicit or automatic padding; a pending Pad adds to the padding.
Status Importer::geometry(std::size_t index, Layer& L, bool conv) {
    const NodeProto& n = node(index);
    SpatialAttrs a;
    if (Status s = read_spatial(Attrs{n, index}, a); !s) return s;
    if (Status s = window(n, index, a, conv, L); !s) return s;
    int p[4] = {0, 0, 0, 0};  // top, left, bottom, right
    if (Status s = padding(n, index, a, conv, L, p); !s) return s;
    if (pad_pending) {
        for (int k = 0; k < 4; ++k) p[k] += pad[k];
        pad_pending = false;
        note(node_label(node(pad_node), pad_node) + " merged into the padding of " +
             node_label(n, index));
    }
    L.pad_top = p[0], L.pad_left = p[1], L.pad_bottom = p[2], L.pad_right = p[3];
    if (a.ceil_mode != 0) {
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

// ---- 2. weights and their QDQ formats -----------------------------------------------------------
namespace {

// Which scale weight (r, c) uses: the constant's element r * cols + c, or c * rows + r when the
// constant is in x out (MatMul, Gemm without transB).
struct ScaleIndex {
    const Quant& q;
    bool transposed;
    std::size_t rows, cols;
    std::int32_t operator()(std::size_t r, std::size_t c) const {
        return q.qidx[transposed ? c * rows + r : r * cols + c];
    }
};

std::vector<float> row_of(const std::vector<float>& values, std::size_t r, std::size_t cols) {
    return std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(r * cols),
                              values.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols));
}

// A hint from the lab's own metadata, when it reproduces the weights exactly: true when taken.
bool take_hint(const LayerFormats& h, const std::vector<float>& values, std::size_t rows,
               std::size_t cols, LayerFormats& f) {
    if (!h.weight_rows.empty() && h.weight_rows.size() == rows) {
        bool ok = true;
        for (std::size_t r = 0; r < rows && ok; ++r)
            ok = reproduces(h.weight_rows[r], row_of(values, r, cols), 1, cols);
        if (ok) f.weight_rows = h.weight_rows;
        return ok;
    }
    if (!h.weights.empty() && reproduces(h.weights, values, rows, cols)) {
        f.weights = h.weights;
        return true;
    }
    return false;
}

// Blocks of G consecutive weights along each row (the last one may be shorter) as int:group=G;
// why the weights stay float, or nothing when f holds their format.
std::optional<std::string> blocked_format(const ScaleIndex& qidx, const std::vector<float>& values,
                                          std::size_t rows, std::size_t cols, LayerFormats& f) {
    const Quant& q = qidx.q;
    std::size_t group = 1;
    while (group < cols && qidx(0, group) == qidx(0, 0)) ++group;
    bool blocked = true;
    for (std::size_t r = 0; r < rows && blocked; ++r)
        for (std::size_t c = 0; c < cols && blocked; ++c)
            blocked = qidx(r, c) == qidx(r, c - c % group) &&
                      (c % group != 0 || c == 0 || qidx(r, c) != qidx(r, c - 1));
    if (!blocked)
        return "their scales vary within a row in a way the lab's formats cannot hold "
               "(per tensor, per output channel, or blocks along a row)";
    if (!int_quant_type(q.type)) return std::string("blocked ") + ox::data_type_name(q.type);
    const bool is_signed = q.type == ox::kInt8 || q.type == ox::kInt4 || q.type == ox::kInt16;
    const int bits = ox::is_int4(q.type)                               ? 4
                     : (q.type == ox::kInt16 || q.type == ox::kUint16) ? 16
                                                                       : 8;
    const std::string spec = "int:b=" + std::to_string(bits) + ",group=" + std::to_string(group) +
                             (is_signed ? "" : ",asym=1");
    if (!reproduces(spec, values, rows, cols))
        return "blocked " + std::string(ox::data_type_name(q.type)) + " (block " +
               std::to_string(group) + ") whose scales " + spec +
               " (FP16 scales from each block's range) does not reproduce";
    f.weights = spec;
    return std::nullopt;
}

// The format of dequantized weights: per tensor, per output row, or in blocks along the rows;
// why they stay float, or nothing when f holds their format.
std::optional<std::string> quantized_format(const ScaleIndex& qidx,
                                            const std::vector<float>& values, std::size_t rows,
                                            std::size_t cols, LayerFormats& f) {
    const Quant& q = qidx.q;
    auto spec_of = [&](std::int32_t k, std::string& why) {
        return quant_spec(q.type, q.scale[static_cast<std::size_t>(k)],
                          q.zero[static_cast<std::size_t>(k)], false, why);
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
        if (spec.empty()) return why;
        if (!reproduces(spec, values, rows, cols)) return spec + " does not reproduce them";
        f.weights = spec;
        return std::nullopt;
    }
    if (per_row) {
        std::vector<std::string> specs;
        for (std::size_t r = 0; r < rows; ++r) {
            specs.push_back(spec_of(qidx(r, 0), why));
            if (specs.back().empty()) return why;
            if (!reproduces(specs.back(), row_of(values, r, cols), 1, cols))
                return specs.back() + " does not reproduce row " + std::to_string(r);
        }
        f.weight_rows = std::move(specs);
        return std::nullopt;
    }
    return blocked_format(qidx, values, rows, cols, f);
}

}  // namespace

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
    if (layer < hints.layers.size() && take_hint(hints.layers[layer], values, rows, cols, f))
        return Status::success();
    if (!w.quant || w.quant->qidx.size() != w.size()) return Status::success();
    const ScaleIndex qidx{*w.quant, transposed, rows, cols};
    if (const auto why = quantized_format(qidx, values, rows, cols, f))
        note(where + " weights: " + *why + "; kept as their dequantized values (float)");
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

// ---- 3. Gemm, MatMul, Add, Conv, the pools and Pad ----------------------------------------------
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

}  // namespace qlab::onnx_import
