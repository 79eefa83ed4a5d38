// The small model and data the Lin tests share (the analysis and the Layers lesson's core parts),
// so both files check the same network on the same rows.
#pragma once

#include <cstdint>

#include "qlab/lin.hpp"
#include "qlab/random.hpp"

namespace qlab::test {

// mlp:6-12-8-3 from seed 11 with small positive biases (no layer starts with zero bias).
inline Model small_model() {
    Model m = *make_model("mlp:6-12-8-3", 6, 3, 11);
    for (auto& L : m.layers) L.bias.setConstant(0.05f);
    return m;
}

// n rows of features uniform in [-1, 1) with labels 0, 1, 2 in turn.
inline Dataset random_data(std::size_t n, int features, std::uint64_t seed) {
    Rng rng(seed);
    Dataset d;
    d.features = features;
    d.classes = 3;
    for (std::size_t i = 0; i < n * static_cast<std::size_t>(features); ++i)
        d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    for (std::size_t i = 0; i < n; ++i) d.y.push_back(static_cast<int>(i % 3));
    return d;
}

}  // namespace qlab::test
