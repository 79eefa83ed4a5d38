// libFuzzer target for the model loader (JSON from disk or the browser). A model that loads must
// have consistent shapes and survive a forward pass and a save/load round trip.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "qlab/mlp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto m = qlab::model_from_json(text);
    if (!m.ok()) {
        if (m.status().message().empty()) std::abort();
        return 0;
    }
    for (std::size_t l = 0; l < m->layers.size(); ++l) {
        const auto& L = m->layers[l];
        if (L.weight.rows() != L.out || L.weight.cols() != L.in || L.bias.size() != L.out)
            std::abort();
        // Layers chain by their flattened sizes (conv and pool layers have no dense in/out).
        if (l > 0 && m->layers[l - 1].output_size() != L.input_size()) std::abort();
    }
    if (static_cast<double>(m->inputs()) * m->outputs() < 1e6) {
        qlab::Dataset d;
        d.features = m->inputs();
        d.classes = m->outputs();
        d.x.assign(static_cast<std::size_t>(d.features), 0.5f);
        d.y = {0};
        (void)qlab::predict_scores(*m, d);
    }
    auto again = qlab::model_from_json(qlab::model_to_json(*m));
    if (!again.ok() || again->layers.size() != m->layers.size()) std::abort();
    return 0;
}
