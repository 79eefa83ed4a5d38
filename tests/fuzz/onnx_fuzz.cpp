// libFuzzer target for the ONNX reader (files from disk or dropped on the lab). Anything either
// imports as a model with consistent layers or fails with a message; an imported model survives
// a forward pass, and what export_onnx writes of it imports again with the same layers.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "qlab/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    qlab::OnnxImportOptions o;
    o.max_parameters = 1e6;  // keeps each run fast; the limits are checked all the same
    auto m = qlab::import_onnx(bytes, o);
    if (!m.ok()) {
        if (m.status().message().rfind("ONNX: ", 0) != 0) std::abort();
        return 0;
    }
    const qlab::Model& model = m->model;
    if (model.layers.empty()) std::abort();
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const auto& L = model.layers[l];
        if (!qlab::check_layer(L).ok()) std::abort();
        if (L.weight.rows() != L.out || L.weight.cols() != L.in || L.bias.size() != L.out)
            std::abort();
        if (l > 0 && model.layers[l - 1].output_size() != L.input_size()) std::abort();
    }
    if (!m->layers.empty() && m->layers.size() != model.layers.size()) std::abort();
    if (static_cast<double>(model.inputs()) * model.outputs() < 1e6) {
        qlab::Dataset d;
        d.features = model.inputs();
        d.classes = model.outputs();
        d.x.assign(static_cast<std::size_t>(d.features), 0.5f);
        d.y = {0};
        (void)qlab::predict_scores(model, d, m->eval());
    }
    qlab::ExportOptions e;
    e.formats = m->eval();
    e.input_format = m->input_format;
    e.output_format = m->output_format;
    e.output = m->output;
    e.input_shape = m->input_shape;
    auto again = qlab::export_onnx(model, e);
    if (again.ok()) {  // formats ONNX cannot hold are refused, never crash
        auto back = qlab::import_onnx(*again, o);
        if (!back.ok() || back->model.layers.size() != model.layers.size()) std::abort();
    }
    return 0;
}
