// Models as versioned JSON: {"format":"quantlab-model","version":1,"layers":[{"type":
// "dense","in":N,"out":M,"activation":"relu|hardsigmoid|tanh|none","weight":[[M rows of N]],
// "bias":[M]}, {"type":"conv2d","channels":C,"height":H,"width":W,"kernel":K,"out":O,...,"weight":
// [[O rows of C*K*K]]}, {"type":"maxpool2d","channels":C,"height":H,"width":W,"size":S}]}.
// Optional fields, written only when they differ from the defaults (so version-1 files read as
// before and plain models write as before): "stride", "dilation" (conv), "pads" [top, left,
// bottom, right], an "activation" on a pool, the activation's "alpha"/"beta" (leakyrelu,
// onnx_hardsigmoid) or "min"/"max" (clip); and two more layer types, {"type":"avgpool2d",
// "channels","height","width","size"[,"stride","pads","count_include_pad"]} and
// {"type":"globalavgpool","channels","height","width"}. Files are untrusted: every field is
// type-checked before it is read (nothing throws, which matters in WebAssembly builds without
// exceptions) and errors name the layer.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qlab/bytes.hpp"
#include "qlab/mlp.hpp"
#include "qlab/onnx.hpp"

namespace qlab {
namespace {

using nlohmann::json;

// Finds where a document stops being JSON without exceptions.
struct ErrorPosition : nlohmann::json_sax<json> {
    std::size_t position = 0;
    std::string token;
    bool failed = false;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string& last,
                     const nlohmann::detail::exception&) override {
        position = pos, token = last, failed = true;
        return false;
    }
};

bool read_number(const json& j, float& out) {
    if (!j.is_number()) return false;
    const double v = j.get<double>();
    if (!std::isfinite(v) || std::fabs(v) > 3.4e38) return false;
    out = static_cast<float>(v);
    return true;
}

bool read_int(const json& j, const char* key, int& out) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    const auto v = it->get<long long>();
    if (v < 1 || v > 1 << 20) return false;
    out = static_cast<int>(v);
    return true;
}

const char* layer_type(LayerKind kind) {
    switch (kind) {
        case LayerKind::dense:
            return "dense";
        case LayerKind::conv2d:
            return "conv2d";
        case LayerKind::maxpool2d:
            return "maxpool2d";
        case LayerKind::avgpool2d:
            return "avgpool2d";
        case LayerKind::globalavgpool:
            return "globalavgpool";
    }
    return "?";
}

// The optional fields of a layer (none for a version-1 layer with default geometry).
void put_options(const Layer& L, json& j) {
    if (L.kind != LayerKind::dense && L.kind != LayerKind::globalavgpool) {
        if (L.step() != (L.kind == LayerKind::conv2d ? 1 : L.kernel)) j["stride"] = L.step();
        if (L.dilation != 1) j["dilation"] = L.dilation;
        if (L.padded()) j["pads"] = {L.pad_top, L.pad_left, L.pad_bottom, L.pad_right};
        if (L.kind == LayerKind::avgpool2d && L.padded())
            j["count_include_pad"] = L.count_include_pad;
    }
    if (L.is_pool() && L.activation != Activation::none)
        j["activation"] = activation_name(L.activation);
    if (L.activation == Activation::clip) {
        j["min"] = L.alpha;
        j["max"] = L.beta;
    } else if (L.activation == Activation::leakyrelu) {
        j["alpha"] = L.alpha;
    } else if (L.activation == Activation::onnx_hardsigmoid) {
        j["alpha"] = L.alpha;
        j["beta"] = L.beta;
    }
}

// A dense or conv layer's "weight" (out rows of in numbers) and "bias" (out numbers).
void put_weights(const Layer& L, json& j) {
    json weight = json::array();
    for (int r = 0; r < L.out; ++r) {
        json row = json::array();
        for (int c = 0; c < L.in; ++c) row.push_back(L.weight(r, c));
        weight.push_back(std::move(row));
    }
    json bias = json::array();
    for (int r = 0; r < L.out; ++r) bias.push_back(L.bias(r));
    j["weight"] = std::move(weight);
    j["bias"] = std::move(bias);
}

}  // namespace

std::string model_to_json(const Model& model, ModelWeights weights) {
    json layers = json::array();
    for (const Layer& L : model.layers) {
        if (L.is_pool()) {
            json j = {{"type", layer_type(L.kind)},
                      {"channels", L.channels},
                      {"height", L.height},
                      {"width", L.width}};
            if (L.kind != LayerKind::globalavgpool) j["size"] = L.kernel;
            put_options(L, j);
            layers.push_back(std::move(j));
            continue;
        }
        json j;
        if (L.kind == LayerKind::conv2d) {
            // weight rows: one per output channel, channels * kernel * kernel values in (c, i, j)
            // order
            j = {{"type", "conv2d"},
                 {"channels", L.channels},
                 {"height", L.height},
                 {"width", L.width},
                 {"kernel", L.kernel},
                 {"out", L.out},
                 {"activation", activation_name(L.activation)}};
        } else {
            j = {{"type", "dense"},
                 {"in", L.in},
                 {"out", L.out},
                 {"activation", activation_name(L.activation)}};
        }
        put_options(L, j);
        if (weights == ModelWeights::included) put_weights(L, j);
        layers.push_back(std::move(j));
    }
    return json{{"format", "quantlab-model"}, {"version", 1}, {"layers", std::move(layers)}}.dump();
}

namespace {

// An optional non-negative integer field; false when present but not an integer in [lo, 2^20].
bool read_optional_int(const json& j, const char* key, int lo, int& out) {
    const auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_number_integer()) return false;
    const auto v = it->get<long long>();
    if (v < lo || v > 1 << 20) return false;
    out = static_cast<int>(v);
    return true;
}

// The optional geometry and activation parameters; an error names the field.
Status read_options(const json& j, Layer& L) {
    if (!read_optional_int(j, "stride", 1, L.stride))
        return Status::error("\"stride\" must be an integer from 1 to 2^20");
    if (!read_optional_int(j, "dilation", 1, L.dilation))
        return Status::error("\"dilation\" must be an integer from 1 to 2^20");
    if (const auto pads = j.find("pads"); pads != j.end()) {
        int p[4] = {0, 0, 0, 0};
        bool ok = pads->is_array() && pads->size() == 4;
        for (std::size_t i = 0; ok && i < 4; ++i) {
            const json& v = (*pads)[i];
            ok = v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() < 1 << 20;
            if (ok) p[i] = static_cast<int>(v.get<long long>());
        }
        if (!ok)
            return Status::error(
                "\"pads\" must be 4 non-negative integers (top, left, bottom, right)");
        L.pad_top = p[0], L.pad_left = p[1], L.pad_bottom = p[2], L.pad_right = p[3];
    }
    if (const auto c = j.find("count_include_pad"); c != j.end()) {
        if (!c->is_boolean()) return Status::error("\"count_include_pad\" must be true or false");
        L.count_include_pad = c->get<bool>();
    }
    default_activation_parameters(L.activation, L.alpha, L.beta);
    const bool clip = L.activation == Activation::clip;
    for (const char* key : {"alpha", "beta", "min", "max"}) {
        const auto it = j.find(key);
        if (it == j.end()) continue;
        float v = 0;
        if (!read_number(*it, v))
            return Status::error("\"" + std::string(key) + "\" must be a finite number");
        const std::string k = key;
        if (clip && (k == "min" || k == "max"))
            (k == "min" ? L.alpha : L.beta) = v;
        else if (!clip && (k == "alpha" || k == "beta"))
            (k == "alpha" ? L.alpha : L.beta) = v;
    }
    if (clip && !(L.alpha <= L.beta)) return Status::error("clip needs \"min\" <= \"max\"");
    return Status::success();
}

// The document around the layers: valid JSON, the format and version, a non-empty "layers".
Status read_document(std::string_view text, json& doc) {
    ErrorPosition where;
    json::sax_parse(text.begin(), text.end(), &where);
    if (where.failed)
        return Status::error("model JSON is malformed at byte " + std::to_string(where.position) +
                             " (near '" + where.token.substr(0, 20) + "')");
    doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (!doc.is_object()) return Status::error("model JSON must be an object");
    const auto format = doc.find("format");
    if (format == doc.end() || !format->is_string() ||
        format->get<std::string>() != "quantlab-model")
        return Status::error("model JSON: \"format\" must be \"quantlab-model\"");
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer())
        return Status::error("model JSON: \"version\" must be an integer");
    if (version->get<long long>() != 1)
        return Status::error("model JSON: version " + version->dump() +
                             " is not supported (this build reads version 1)");
    const auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array() || layers->empty())
        return Status::error("model JSON: \"layers\" must be a non-empty array");
    return Status::success();
}

// The kind and sizes of a layer: a conv or pool layer's input geometry and kernel, a conv or
// dense layer's "in" and "out". Errors here and below leave the layer's name to the caller.
Status read_sizes(const json& j, const std::string& kind, bool pool, Layer& L) {
    if (kind == "conv2d" || pool) {
        if (!read_int(j, "channels", L.channels) || !read_int(j, "height", L.height) ||
            !read_int(j, "width", L.width))
            return Status::error(
                "\"channels\", \"height\" and \"width\" must be integers from 1 to 2^20");
        if (static_cast<double>(L.channels) * L.height * L.width > 1e8)
            return Status::error("the input is too large");
        if (kind != "globalavgpool" && !read_int(j, kind == "conv2d" ? "kernel" : "size", L.kernel))
            return Status::error("\"" + std::string(kind == "conv2d" ? "kernel" : "size") +
                                 "\" must be an integer from 1 to 2^20");
    }
    if (pool) {
        L.kind = kind == "maxpool2d"   ? LayerKind::maxpool2d
                 : kind == "avgpool2d" ? LayerKind::avgpool2d
                                       : LayerKind::globalavgpool;
        L.activation = Activation::none;
    } else if (kind == "conv2d") {
        L.kind = LayerKind::conv2d;
        if (!read_int(j, "out", L.out))
            return Status::error("\"out\" must be an integer from 1 to 2^20");
        L.in = L.channels * L.kernel * L.kernel;
    } else if (kind == "dense") {
        if (!read_int(j, "in", L.in))
            return Status::error("\"in\" must be an integer from 1 to 2^20");
        if (!read_int(j, "out", L.out))
            return Status::error("\"out\" must be an integer from 1 to 2^20");
    } else {
        return Status::error(
            "type '" + kind +
            "' is not supported (dense, conv2d, maxpool2d, avgpool2d, globalavgpool)");
    }
    return Status::success();
}

// A dense or conv layer's "weight" (out rows of in numbers) and "bias" (out numbers).
Status read_weights(const json& j, Layer& L) {
    const auto weight = j.find("weight");
    if (weight == j.end() || !weight->is_array() ||
        weight->size() != static_cast<std::size_t>(L.out))
        return Status::error("\"weight\" must be an array of " + std::to_string(L.out) +
                             " rows (\"out\")");
    // Every row's length first: the matrix is allocated only for data the file really holds
    // (a small file of empty rows must not cost out x in floats before failing).
    for (int r = 0; r < L.out; ++r) {
        const json& row = (*weight)[static_cast<std::size_t>(r)];
        if (!row.is_array() || row.size() != static_cast<std::size_t>(L.in))
            return Status::error("weight row " + std::to_string(r) + " must hold " +
                                 std::to_string(L.in) + " numbers");
    }
    L.weight.resize(L.out, L.in);
    for (int r = 0; r < L.out; ++r) {
        const json& row = (*weight)[static_cast<std::size_t>(r)];
        for (int c = 0; c < L.in; ++c)
            if (!read_number(row[static_cast<std::size_t>(c)], L.weight(r, c)))
                return Status::error("weight[" + std::to_string(r) + "][" + std::to_string(c) +
                                     "] is not a finite number");
    }
    const auto bias = j.find("bias");
    if (bias == j.end() || !bias->is_array() || bias->size() != static_cast<std::size_t>(L.out))
        return Status::error("\"bias\" must be an array of " + std::to_string(L.out) + " numbers");
    L.bias.resize(L.out);
    for (int r = 0; r < L.out; ++r)
        if (!read_number((*bias)[static_cast<std::size_t>(r)], L.bias(r)))
            return Status::error("bias[" + std::to_string(r) + "] is not a finite number");
    return Status::success();
}

// One layer, checked on its own and against the one before it (the last of m's layers).
Status read_layer(const json& j, const Model& m, ModelWeights weights, Layer& L) {
    if (!j.is_object()) return Status::error("must be an object");
    const auto type = j.find("type");
    if (type == j.end() || !type->is_string()) return Status::error("\"type\" must be a string");
    const std::string kind = type->get<std::string>();
    const bool pool = kind == "maxpool2d" || kind == "avgpool2d" || kind == "globalavgpool";
    if (Status st = read_sizes(j, kind, pool, L); !st) return st;
    const auto act = j.find("activation");
    if (act != j.end() || !pool) {
        if (act == j.end() || !act->is_string())
            return Status::error("\"activation\" must be a string");
        auto a = parse_activation(act->get<std::string>());
        if (!a) return a.status();
        L.activation = *a;
    }
    if (Status st = read_options(j, L); !st) return st;
    if (Status st = check_layer(L); !st) {
        if (L.kind != LayerKind::dense && L.kind != LayerKind::globalavgpool &&
            (L.output_height() < 1 || L.output_width() < 1) && L.plain_geometry())
            return Status::error(
                "\"" + std::string(kind == "conv2d" ? "kernel" : "size") +
                "\" must be an integer no larger than the input's height and width");
        return st;
    }
    if (!m.layers.empty() && m.layers.back().output_size() != L.input_size())
        return Status::error("takes " + std::to_string(L.input_size()) +
                             " values but the previous layer outputs " +
                             std::to_string(m.layers.back().output_size()));
    if (pool) return Status::success();
    if (weights == ModelWeights::included) return read_weights(j, L);
    if (j.contains("weight") || j.contains("bias"))
        return Status::error("holds weights where only the shape was expected");
    L.weight = Matrix::Zero(L.out, L.in);
    L.bias = Vector::Zero(L.out);
    return Status::success();
}

}  // namespace

Result<Model> model_from_json(std::string_view text, ModelWeights weights) {
    json doc;
    if (Status s = read_document(text, doc); !s) return s;
    const json& layers = *doc.find("layers");
    Model m;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        Layer L;
        if (Status st = read_layer(layers[l], m, weights, L); !st)
            return Status::error("model JSON layer " + std::to_string(l) + ": " + st.message());
        m.layers.push_back(std::move(L));
    }
    return m;
}

std::string model_to_bytes(const Model& model) {
    ByteWriter w;
    w.text(model_to_json(model, ModelWeights::omitted));
    for (const Layer& L : model.layers)
        if (L.has_weights()) w.matrix(L.weight), w.matrix(L.bias);
    return w.take();
}

Result<Model> model_from_bytes(std::string_view bytes) {
    ByteReader r(bytes);
    const std::string shape = r.text();
    if (!r.ok()) return Status::error("model bytes cut short in the model's shape");
    auto m = model_from_json(shape, ModelWeights::omitted);
    if (!m) return m.status();
    Model model = std::move(m).value();
    for (Layer& L : model.layers)
        if (L.has_weights()) r.matrix(L.weight, L.out, L.in), r.matrix(L.bias, L.out, 1);
    if (!r.ok() || !r.at_end())
        return Status::error(std::string("model bytes that do not fit their shape: ") +
                             (r.ok() ? "bytes left over" : "cut short or other sizes"));
    return model;
}

Status save_model(const Model& model, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    if (!out) return Status::error("cannot write model to '" + path + "'");
    out << model_to_json(model) << "\n";
    if (!out) return Status::error("writing model to '" + path + "' failed");
    return Status::success();
}

Result<Model> load_model(const std::string& path) {
    if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0) {
        auto imported = import_onnx_file(path);
        if (!imported) return imported.status();
        return imported->model;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::error("cannot open model '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto m = model_from_json(ss.str());
    if (!m) return Status::error(path + ": " + m.status().message());
    return m;
}

}  // namespace qlab
