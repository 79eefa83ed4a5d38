// Random dense networks and data for the Sakr tests (the analysis and the lesson's core helpers),
// so both test files build the same models from the same seeds.
#pragma once

#include <cstdint>
#include <vector>

#include "qlab/random.hpp"
#include "qlab/sakr.hpp"

namespace qlab::test {

// A random dense network (widths, activation on hidden layers) with biases away from zero.
inline Model random_model(const std::vector<int>& widths, Activation act, std::uint64_t seed,
                          float scale = 0.8f) {
    Model m;
    Rng rng(seed);
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
        Layer L;
        L.in = widths[l], L.out = widths[l + 1];
        L.activation = l + 2 == widths.size() ? Activation::none : act;
        L.weight.resize(L.out, L.in);
        for (Eigen::Index i = 0; i < L.weight.size(); ++i)
            L.weight.data()[i] = static_cast<float>((2 * rng.uniform() - 1) * scale);
        L.bias.resize(L.out);
        for (Eigen::Index i = 0; i < L.bias.size(); ++i)
            L.bias(i) = static_cast<float>(0.2 + 0.3 * rng.uniform());
        m.layers.push_back(L);
    }
    return m;
}

// n rows of features uniform in [-1, 1) with random labels.
inline Dataset random_data(int n, int features, int classes, std::uint64_t seed) {
    Dataset d;
    d.features = features, d.classes = classes;
    Rng rng(seed);
    for (int i = 0; i < n * features; ++i) d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    for (int i = 0; i < n; ++i)
        d.y.push_back(static_cast<int>(rng.next_u64() % static_cast<std::uint64_t>(classes)));
    return d;
}

}  // namespace qlab::test
