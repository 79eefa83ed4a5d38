// Building models from specs: "logreg", "mlp:784-512-10[:act=...]" and CNN specs such as
// "cnn:28x28x1-c8k5-p2-10" or "cnn:28x28x1-c8k3s2p1-a2-g-10" (strided, padded, dilated convs,
// average and global average pools), with Glorot-initialised weights from a seed; activation
// names.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include "qlab/mlp.hpp"
#include "qlab/random.hpp"

namespace qlab {

const char* activation_name(Activation a) {
    switch (a) {
        case Activation::relu:
            return "relu";
        case Activation::hardsigmoid:
            return "hardsigmoid";
        case Activation::tanh:
            return "tanh";
        case Activation::none:
            return "none";
        case Activation::leakyrelu:
            return "leakyrelu";
        case Activation::clip:
            return "clip";
        case Activation::sigmoid:
            return "sigmoid";
        case Activation::onnx_hardsigmoid:
            return "onnx_hardsigmoid";
    }
    return "?";
}

Result<Activation> parse_activation(std::string_view name) {
    for (Activation a : {Activation::relu, Activation::hardsigmoid, Activation::tanh,
                         Activation::none, Activation::leakyrelu, Activation::clip,
                         Activation::sigmoid, Activation::onnx_hardsigmoid})
        if (name == activation_name(a)) return a;
    return Status::error("unknown activation '" + std::string(name) +
                         "' (expected relu, hardsigmoid, tanh, none, leakyrelu, clip, sigmoid or "
                         "onnx_hardsigmoid)");
}

void default_activation_parameters(Activation a, float& alpha, float& beta) {
    alpha = beta = 0;
    if (a == Activation::leakyrelu) alpha = 0.01f;                     // ONNX LeakyRelu
    if (a == Activation::clip) alpha = 0, beta = 6;                    // ReLU6
    if (a == Activation::onnx_hardsigmoid) alpha = 0.2f, beta = 0.5f;  // ONNX HardSigmoid
}

double mlp_parameter_count(int inputs, const std::vector<int>& hidden, int classes) {
    double params = 0;
    int prev = inputs;
    for (int w : hidden) params += (prev + 1.0) * w, prev = w;
    return params + (prev + 1.0) * classes;
}

namespace {

// Glorot-uniform weights and zero biases; no rng: the shape only (a parameter count).
void glorot(Layer& layer, double fan_in, double fan_out, Rng* rng) {
    if (!rng) return;
    const double limit = std::sqrt(6.0 / (fan_in + fan_out));
    layer.weight.resize(layer.out, layer.in);
    for (Eigen::Index i = 0; i < layer.weight.size(); ++i)
        layer.weight.data()[i] = static_cast<float>((2 * rng->uniform() - 1) * limit);
    layer.bias = Vector::Zero(layer.out);
}

// A CNN token: "c8k3s2p1d2" (8 channels of 3x3, stride 2, padding 1 on every side, dilation 2),
// "p2" / "p3s2" (max-pool, window and stride; the stride defaults to the window), "a2s1"
// (average pool, padding none), "g" (global average pool). kind is c, p, a or g, value the
// number after it, options the letters after that (c needs k). False when malformed.
bool parse_layer_token(const std::string& tok, char& kind, int& value,
                       std::map<char, int>& options) {
    options.clear();
    value = 0;
    if (tok.empty()) return false;
    kind = tok[0];
    if (kind == 'g') return tok == "g";
    const std::string allowed = kind == 'c' ? "kspd" : kind == 'p' || kind == 'a' ? "s" : "";
    if (allowed.empty()) return false;
    std::size_t i = 1;
    auto number = [&](int& out) {
        const std::size_t start = i;
        long v = 0;
        while (i < tok.size() && std::isdigit(static_cast<unsigned char>(tok[i])) && v < 100000)
            v = v * 10 + (tok[i++] - '0');
        out = static_cast<int>(v);
        return i > start && (i == tok.size() || !std::isdigit(static_cast<unsigned char>(tok[i])));
    };
    if (!number(value)) return false;
    while (i < tok.size()) {
        const char key = tok[i++];
        if (allowed.find(key) == std::string::npos || options.count(key)) return false;
        if (!number(options[key])) return false;
    }
    return kind != 'c' || options.count('k');
}

// A CNN's input and, after each layer, the next layer's: height, width and channels.
struct CnnShape {
    int h = 0, w = 0, c = 0;
};

// "cnn:TOKENS[:act=NAME]": the dash-separated tokens and the activation of the hidden layers.
Status cnn_tokens(const std::string& spec, std::vector<std::string>& tokens, Activation& act) {
    std::string rest = spec.substr(4);
    const std::size_t colon = rest.find(':');
    if (colon != std::string::npos) {
        const std::string options = rest.substr(colon + 1);
        if (options.rfind("act=", 0) != 0)
            return Status::error("model '" + spec + "': unknown option '" + options +
                                 "' (expected act=NAME)");
        auto a = parse_activation(options.substr(4));
        if (!a) return Status::error("model '" + spec + "': " + a.status().message());
        act = *a;
        rest = rest.substr(0, colon);
    }
    for (std::size_t start = 0;;) {
        const std::size_t dash = rest.find('-', start);
        tokens.push_back(
            rest.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    return Status::success();
}

// The first token, HxWxC, which must hold the data's features.
Status cnn_input(const std::string& spec, const std::vector<std::string>& tokens, int inputs,
                 CnnShape& s) {
    char tail = 0;
    if (tokens.size() < 2 ||
        std::sscanf(tokens[0].c_str(), "%dx%dx%d%c", &s.h, &s.w, &s.c, &tail) != 3 || s.h < 1 ||
        s.w < 1 || s.c < 1 || s.h > 4096 || s.w > 4096 || s.c > 4096)
        return Status::error(
            "model '" + spec +
            "': expected cnn:HxWxC-... with the input height, width and channels first");
    if (s.h * s.w * s.c != inputs)
        return Status::error("model '" + spec + "': " + tokens[0] + " is " +
                             std::to_string(s.h * s.w * s.c) + " values, the data has " +
                             std::to_string(inputs) + " features");
    return Status::success();
}

// cAkB[sS][pP][dD]: A channels of B x B over the input s, which becomes the layer's output.
Status cnn_conv(const std::string& where, int a, std::map<char, int>& o, Activation act, Rng* rng,
                CnnShape& s, Layer& layer) {
    const int b = o['k'], stride = o.count('s') ? o['s'] : 1, pad = o['p'],
              dilation = o.count('d') ? o['d'] : 1;
    layer.kind = LayerKind::conv2d;
    layer.channels = s.c, layer.height = s.h, layer.width = s.w, layer.kernel = b;
    layer.stride = stride, layer.dilation = dilation;
    layer.pad_top = layer.pad_left = layer.pad_bottom = layer.pad_right = pad;
    layer.in = s.c * b * b, layer.out = a;
    if (a < 1 || a > 4096 || b < 1 || b > 4096 || !check_layer(layer).ok())
        return Status::error(where + ": needs 1..4096 channels and a kernel no larger than the " +
                             std::to_string(s.h) + "x" + std::to_string(s.w) +
                             " input (with its padding, smaller than the kernel, and dilation)");
    layer.activation = act;
    default_activation_parameters(act, layer.alpha, layer.beta);
    glorot(layer, s.c * b * b, a * b * b, rng);
    s.h = layer.output_height(), s.w = layer.output_width(), s.c = a;
    return Status::success();
}

// pA[sS] or aA[sS]: a max or average pool of window A over the input s.
Status cnn_pool(const std::string& where, char kind, int a, std::map<char, int>& o, CnnShape& s,
                Layer& layer) {
    layer.kind = kind == 'p' ? LayerKind::maxpool2d : LayerKind::avgpool2d;
    layer.channels = s.c, layer.height = s.h, layer.width = s.w, layer.kernel = a;
    layer.stride = o.count('s') ? o['s'] : 0;
    if (a < 1 || a > s.h || a > s.w || !check_layer(layer).ok())
        return Status::error(where + ": the pool window must fit the " + std::to_string(s.h) + "x" +
                             std::to_string(s.w) + " input");
    layer.activation = Activation::none;
    s.h = layer.output_height(), s.w = layer.output_width();
    return Status::success();
}

// A dense width after the features so far; the last layer has no activation.
Status cnn_dense(const std::string& where, const std::string& tok, int features, Activation act,
                 Rng* rng, Layer& layer) {
    char* end = nullptr;
    const long width = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end || width < 1 || width > 65536)
        return Status::error(where +
                             ": expected cNkK[sS][pP][dD], pN[sS], aN[sS], g or a dense width "
                             "(N channels of KxK with stride S, padding P, dilation D; "
                             "max-pool or average pool of N x N; global average pool)");
    layer.in = features, layer.out = static_cast<int>(width);
    layer.activation = act;
    default_activation_parameters(layer.activation, layer.alpha, layer.beta);
    glorot(layer, layer.in, layer.out, rng);
    return Status::success();
}

// "cnn:28x28x1-c8k5-p2-c16k5-p2-10[:act=relu]"; without weights: the layers' shapes only.
Result<Model> make_cnn(const std::string& spec, int inputs, int classes, std::uint64_t seed,
                       bool weights = true) {
    std::vector<std::string> tokens;
    Activation act = Activation::relu;
    if (Status s = cnn_tokens(spec, tokens, act); !s) return s;
    CnnShape shape;
    if (Status st = cnn_input(spec, tokens, inputs, shape); !st) return st;
    Model m;
    Rng seeded(seed);
    Rng* rng = weights ? &seeded : nullptr;
    int features = shape.h * shape.w * shape.c;
    bool flat = false;
    for (std::size_t t = 1; t < tokens.size(); ++t) {
        const std::string& tok = tokens[t];
        const std::string where = "model '" + spec + "': layer '" + tok + "'";
        Layer layer;
        char kind = 0;
        int a = 0;
        std::map<char, int> o;
        Status st = Status::success();
        if (!flat && parse_layer_token(tok, kind, a, o) && kind == 'c') {
            st = cnn_conv(where, a, o, act, rng, shape, layer);
        } else if (!flat && kind == 'g' && parse_layer_token(tok, kind, a, o)) {
            layer.kind = LayerKind::globalavgpool;
            layer.channels = shape.c, layer.height = shape.h, layer.width = shape.w;
            layer.activation = Activation::none;
            shape.h = shape.w = 1;
        } else if (!flat && parse_layer_token(tok, kind, a, o)) {  // pN or aN, [sS]
            st = cnn_pool(where, kind, a, o, shape, layer);
        } else {
            st = cnn_dense(where, tok, features, t + 1 == tokens.size() ? Activation::none : act,
                           rng, layer);
            flat = true;
        }
        if (!st) return st;
        features = layer.output_size();
        m.layers.push_back(std::move(layer));
    }
    if (m.layers.back().kind != LayerKind::dense || m.layers.back().out != classes)
        return Status::error("model '" + spec + "': must end in a dense layer of " +
                             std::to_string(classes) + " (the classes)");
    return m;
}

}  // namespace

Result<double> cnn_parameter_count(std::string_view spec, int inputs, int classes) {
    auto shapes = make_cnn(std::string(spec), inputs, classes, 0, false);
    if (!shapes) return shapes.status();
    double params = 0;
    for (const Layer& L : shapes->layers)
        if (L.has_weights()) params += (L.in + 1.0) * L.out;  // conv: in = channels x K x K
    return params;
}

Result<Model> make_model(std::string_view spec_view, int inputs, int classes, std::uint64_t seed) {
    const std::string spec(spec_view);
    if (spec.rfind("cnn:", 0) == 0) return make_cnn(spec, inputs, classes, seed);
    std::vector<int> widths;
    Activation act = Activation::relu;
    if (spec == "logreg") {
        widths = {inputs, classes};
    } else if (spec.rfind("mlp:", 0) == 0) {
        std::string rest = spec.substr(4);
        const std::size_t colon = rest.find(':');
        std::string options = colon == std::string::npos ? "" : rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        std::size_t start = 0;
        while (true) {
            const std::size_t dash = rest.find('-', start);
            const std::string w =
                rest.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
            char* end = nullptr;
            const long v = std::strtol(w.c_str(), &end, 10);
            if (w.empty() || *end || v < 1 || v > 1 << 16)
                return Status::error("model '" + spec + "': layer width '" + w +
                                     "' must be an integer from 1 to 65536");
            widths.push_back(static_cast<int>(v));
            if (dash == std::string::npos) break;
            start = dash + 1;
        }
        if (widths.size() < 2)
            return Status::error("model '" + spec +
                                 "': needs at least an input and an output width");
        if (!options.empty()) {
            if (options.rfind("act=", 0) != 0)
                return Status::error("model '" + spec + "': unknown option '" + options +
                                     "' (expected act=NAME)");
            auto a = parse_activation(options.substr(4));
            if (!a) return Status::error("model '" + spec + "': " + a.status().message());
            act = *a;
        }
        if (widths.front() != inputs)
            return Status::error("model '" + spec + "': the input width " +
                                 std::to_string(widths.front()) + " does not match the data's " +
                                 std::to_string(inputs) + " features");
        if (widths.back() != classes)
            return Status::error("model '" + spec + "': the output width " +
                                 std::to_string(widths.back()) + " does not match the data's " +
                                 std::to_string(classes) + " classes");
    } else {
        return Status::error("unknown model '" + spec +
                             "' (expected logreg, mlp:IN-H1-...-OUT[:act=relu|hardsigmoid|tanh] "
                             "or cnn:HxWxC-cNkK-pN-...-OUT)");
    }
    Model m;
    Rng rng(seed);
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
        DenseLayer layer;
        layer.in = widths[l], layer.out = widths[l + 1];
        layer.activation = l + 2 == widths.size() ? Activation::none : act;
        default_activation_parameters(layer.activation, layer.alpha, layer.beta);
        const double limit = std::sqrt(6.0 / (layer.in + layer.out));  // Glorot uniform
        layer.weight.resize(layer.out, layer.in);
        for (Eigen::Index i = 0; i < layer.weight.size(); ++i)
            layer.weight.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * limit);
        layer.bias = Vector::Zero(layer.out);
        m.layers.push_back(std::move(layer));
    }
    return m;
}

}  // namespace qlab
