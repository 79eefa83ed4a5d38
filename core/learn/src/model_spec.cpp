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

void glorot(Layer& layer, double fan_in, double fan_out, Rng& rng) {
    const double limit = std::sqrt(6.0 / (fan_in + fan_out));
    layer.weight.resize(layer.out, layer.in);
    for (Eigen::Index i = 0; i < layer.weight.size(); ++i)
        layer.weight.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * limit);
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

// "cnn:28x28x1-c8k5-p2-c16k5-p2-10[:act=relu]"
Result<Model> make_cnn(const std::string& spec, int inputs, int classes, std::uint64_t seed) {
    std::string rest = spec.substr(4);
    const std::size_t colon = rest.find(':');
    Activation act = Activation::relu;
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
    std::vector<std::string> tokens;
    for (std::size_t start = 0;;) {
        const std::size_t dash = rest.find('-', start);
        tokens.push_back(
            rest.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    int h = 0, w = 0, c = 0;
    char tail = 0;
    if (tokens.size() < 2 || std::sscanf(tokens[0].c_str(), "%dx%dx%d%c", &h, &w, &c, &tail) != 3 ||
        h < 1 || w < 1 || c < 1 || h > 4096 || w > 4096 || c > 4096)
        return Status::error(
            "model '" + spec +
            "': expected cnn:HxWxC-... with the input height, width and channels first");
    if (h * w * c != inputs)
        return Status::error("model '" + spec + "': " + tokens[0] + " is " +
                             std::to_string(h * w * c) + " values, the data has " +
                             std::to_string(inputs) + " features");
    Model m;
    Rng rng(seed);
    int features = h * w * c;
    bool flat = false;
    for (std::size_t t = 1; t < tokens.size(); ++t) {
        const std::string& tok = tokens[t];
        const std::string where = "model '" + spec + "': layer '" + tok + "'";
        Layer layer;
        char kind = 0;
        int a = 0;
        std::map<char, int> o;
        if (!flat && parse_layer_token(tok, kind, a, o) && kind == 'c') {
            const int b = o['k'], stride = o.count('s') ? o['s'] : 1, pad = o['p'],
                      dilation = o.count('d') ? o['d'] : 1;
            layer.kind = LayerKind::conv2d;
            layer.channels = c, layer.height = h, layer.width = w, layer.kernel = b;
            layer.stride = stride, layer.dilation = dilation;
            layer.pad_top = layer.pad_left = layer.pad_bottom = layer.pad_right = pad;
            layer.in = c * b * b, layer.out = a;
            if (a < 1 || a > 4096 || b < 1 || b > 4096 || !check_layer(layer).ok())
                return Status::error(
                    where + ": needs 1..4096 channels and a kernel no larger than the " +
                    std::to_string(h) + "x" + std::to_string(w) +
                    " input (with its padding, smaller than the kernel, and dilation)");
            layer.activation = act;
            default_activation_parameters(act, layer.alpha, layer.beta);
            glorot(layer, c * b * b, a * b * b, rng);
            h = layer.output_height(), w = layer.output_width(), c = a;
        } else if (!flat && kind == 'g' && parse_layer_token(tok, kind, a, o)) {
            layer.kind = LayerKind::globalavgpool;
            layer.channels = c, layer.height = h, layer.width = w;
            layer.activation = Activation::none;
            h = w = 1;
        } else if (!flat && parse_layer_token(tok, kind, a, o)) {  // pN or aN, [sS]
            layer.kind = kind == 'p' ? LayerKind::maxpool2d : LayerKind::avgpool2d;
            layer.channels = c, layer.height = h, layer.width = w, layer.kernel = a;
            layer.stride = o.count('s') ? o['s'] : 0;
            if (a < 1 || a > h || a > w || !check_layer(layer).ok())
                return Status::error(where + ": the pool window must fit the " + std::to_string(h) +
                                     "x" + std::to_string(w) + " input");
            layer.activation = Activation::none;
            h = layer.output_height(), w = layer.output_width();
        } else {
            char* end = nullptr;
            const long width = std::strtol(tok.c_str(), &end, 10);
            if (tok.empty() || *end || width < 1 || width > 65536)
                return Status::error(where +
                                     ": expected cNkK, pN or a dense width (or cNkK with sS "
                                     "stride, pP padding, dD dilation; pNsS; aN[sS] average "
                                     "pool; g global average pool)");
            flat = true;
            layer.in = features, layer.out = static_cast<int>(width);
            layer.activation = t + 1 == tokens.size() ? Activation::none : act;
            default_activation_parameters(layer.activation, layer.alpha, layer.beta);
            glorot(layer, layer.in, layer.out, rng);
        }
        features = layer.output_size();
        m.layers.push_back(std::move(layer));
    }
    if (m.layers.back().kind != LayerKind::dense || m.layers.back().out != classes)
        return Status::error("model '" + spec + "': must end in a dense layer of " +
                             std::to_string(classes) + " (the classes)");
    return m;
}

}  // namespace

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
