// The ONNX import's handlers for ops on a layer's output (onnx_import.hpp): activations (composed,
// or moved across a max-pool they commute with), BatchNormalization folded, Flatten/Reshape/
// Squeeze/Unsqueeze as shapes, QuantizeLinear/DequantizeLinear and Cast pairs as activation
// formats, a final Softmax. Sections 4-8, after onnx_import_ops.cpp's 1-3.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "onnx_import.hpp"

namespace qlab::onnx_import {

// ---- 4. activations -----------------------------------------------------------------------------
// A Clip's activation: Sakr's ReLU clipped to [0, 2], a ReLU, or a clip to [alpha, beta]; the
// bounds are attributes before opset 11 and constant inputs from it.
Status Importer::clip_activation(std::size_t index, Activation& a, float& alpha, float& beta) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
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
    return Status::success();
}

// The lab's activation and its parameters for an activation node.
Status Importer::read_activation(std::size_t index, Activation& a, float& alpha, float& beta) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
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
        return clip_activation(index, a, alpha, beta);
    }
    return Status::success();
}

// A Clip to two atoms of the quantizer before it narrows that quantizer's grid (how export_onnx
// writes an int grid narrower than the ONNX type): true when it did.
bool Importer::narrow_quantizer(Activation a, float alpha, float beta) {
    const float lo = a == Activation::clip ? alpha : 0.0f;
    const float hi = a == Activation::clip ? beta : a == Activation::hardsigmoid ? 2.0f : 3.4e38f;
    LayerFormats& f = formats(model().layers.size() - 1);
    std::string narrowed;
    if (!narrow_grid(f.activations, lo, hi, narrowed)) return false;
    f.activations = narrowed;
    return true;
}

// Clamps compose: a ReLU then a Clip (as torch writes ReLU6), a Clip then a ReLU, ...: true
// when node `index`'s clamp merged into the activation of layer H.
bool Importer::merge_clamps(std::size_t index, Layer& H, Activation a, float alpha, float beta) {
    auto bounds = [](Activation act, float al, float be, float& lo, float& hi) {
        if (act == Activation::relu) return lo = 0, hi = INFINITY, true;
        if (act == Activation::hardsigmoid) return lo = 0, hi = 2, true;
        if (act == Activation::clip) return lo = al, hi = be, true;
        return false;
    };
    float lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0;
    if (!(bounds(H.activation, H.alpha, H.beta, lo1, hi1) && bounds(a, alpha, beta, lo2, hi2) &&
          std::max(lo1, lo2) <= std::min(hi1, hi2)))
        return false;
    const float lo = std::max(lo1, lo2), hi = std::min(hi1, hi2);
    constexpr float kBig = 3.4e38f;
    if (lo == 0 && hi == 2) {
        H.activation = Activation::hardsigmoid, H.alpha = H.beta = 0;
    } else if (lo == 0 && hi >= kBig) {
        H.activation = Activation::relu, H.alpha = H.beta = 0;
    } else {
        H.activation = Activation::clip;
        H.alpha = std::max(lo, -kBig), H.beta = std::min(hi, kBig);
    }
    note(node_label(node(index), index) + " merged with the activation before it into " +
         activation_name(H.activation) +
         (H.activation == Activation::clip
              ? " [" + shortest_repr(H.alpha) + ", " + shortest_repr(H.beta) + "]"
              : std::string()));
    return true;
}

Status Importer::activation(std::size_t index) {
    const NodeProto& n = node(index);
    Layer* L = model().layers.empty() ? nullptr : &model().layers.back();
    if (!L)
        return node_error(n, index,
                          "comes before the first layer: the lab's activations belong to a layer");
    Activation a = Activation::none;
    float alpha = 0, beta = 0;
    if (Status s = read_activation(index, a, alpha, beta); !s) return s;
    if (act_quantized && n.op_type == "Clip" && narrow_quantizer(a, alpha, beta))
        return Status::success();
    Layer* H = act_set ? &model().layers[act_host] : L;
    if (act_set && !act_quantized && merge_clamps(index, *H, a, alpha, beta))
        return Status::success();
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

// ---- 5. BatchNormalization ----------------------------------------------------------------------
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

// Reshape on the chain: `full` is the shape with the batch first (written as -2) and `total` the
// values per example; the batch must stay first.
Status Importer::reshape_shape(std::size_t index, const std::vector<std::int64_t>& full,
                               std::int64_t total, std::vector<std::int64_t>& result) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
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
            n, index, "reshapes to " + ints_text(t) + ": the first dimension must stay the batch");
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
                    n, index, "reshapes to " + ints_text(t) + " with more than one size to infer");
            infer = static_cast<int>(k);
        } else if (d < 1 || d > total) {
            return node_error(n, index,
                              "reshapes " + std::to_string(total) + " values to " + ints_text(t));
        } else {
            known *= d;  // both at most the total (10^8): no overflow
            if (known > total)
                return node_error(n, index,
                                  "reshapes " + std::to_string(total) + " values to " +
                                      ints_text(t) + ": the sizes do not match");
        }
        result.push_back(d);
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return node_error(
                n, index, "cannot reshape " + std::to_string(total) + " values to " + ints_text(t));
        result[static_cast<std::size_t>(infer)] = total / known;
        known *= total / known;
    }
    if (known != total)
        return node_error(n, index,
                          "reshapes " + std::to_string(total) + " values to " + ints_text(t) +
                              ": the sizes do not match");
    return Status::success();
}

// Squeeze and Unsqueeze on the chain (the axes an input from opset 13, an attribute before);
// neither may touch the batch axis.
Status Importer::squeeze_shape(std::size_t index, const std::vector<std::int64_t>& full,
                               std::vector<std::int64_t>& result) {
    const NodeProto& n = node(index);
    const Attrs at{n, index};
    std::vector<std::int64_t> axes;
    bool present = false;
    if (opset >= 13) {
        const Const* a = nullptr;
        if (Status s = const_input(index, 1, a, true); !s) return s;
        if (a) axes = a->i, present = true;
    } else if (Status s = at.get_ints("axes", axes, present); !s) {
        return s;
    }
    const bool squeeze = n.op_type == "Squeeze";
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
                return node_error(
                    n, index,
                    "squeezes axis " + std::to_string(k) + " of size " + std::to_string(full[k]));
            if (!drop) result.push_back(full[k]);
        }
    } else {
        std::size_t from = 0;
        for (std::int64_t k = 0; k < rank; ++k)
            result.push_back(set.count(k) ? 1 : from < full.size() ? full[from++] : 1);
    }
    return Status::success();
}

// ---- 6. shapes ----------------------------------------------------------------------------------
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
        if (Status s = reshape_shape(index, full, total, result); !s) return s;
    } else if (Status s = squeeze_shape(index, full, result); !s) {
        return s;
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

// ---- 7. QDQ and Cast pairs on activations -------------------------------------------------------
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

// ---- 8. Softmax ---------------------------------------------------------------------------------
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

}  // namespace qlab::onnx_import
