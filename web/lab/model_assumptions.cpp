// Which analysis assumptions an imported model breaks (see model_assumptions.hpp).
#include "lab/model_assumptions.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace quantlab {

namespace {

// The largest value an activation can give, or +inf when it has no bound.
double activation_bound(const qlab::Layer& L) {
    using qlab::Activation;
    switch (L.activation) {
        case Activation::hardsigmoid:
            return 2;
        case Activation::tanh:
        case Activation::sigmoid:
        case Activation::onnx_hardsigmoid:
            return 1;
        case Activation::clip:
            return L.beta;
        default:
            return 1e300;  // relu, leakyrelu, none
    }
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

}  // namespace

std::vector<std::string> sakr_assumption_problems(const SharedModel& m) {
    std::vector<std::string> out;
    if (!m.has_model() || !m.data().ready()) return out;
    const std::vector<float>& x = m.data().split().test.x;
    if (!x.empty()) {
        const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
        if (*lo < -1 || *hi > 1)
            out.push_back("The inputs span [" + number(*lo) + ", " + number(*hi) + "] (" +
                          m.data().preprocessing() +
                          "), beyond the [-1, 1] of the fixed-point input: the simulation clips "
                          "them, and that clipping is not the rounding noise the theorems bound.");
    }
    const std::vector<qlab::Layer>& layers = m.model().layers;
    bool negative = false;
    for (std::size_t l = 0; l + 1 < layers.size(); ++l)
        if (layers[l].kind != qlab::LayerKind::maxpool2d && !activation_nonnegative(layers[l]))
            negative = true;
    const double top = negative ? 1 : 2;
    // One line for all the layers that break it the same way ("Layers 1, 3 and 5 (relu, ...").
    std::vector<std::pair<std::string, std::vector<std::size_t>>> groups;
    for (std::size_t l = 0; l + 1 < layers.size(); ++l) {
        const qlab::Layer& L = layers[l];
        if (L.is_pool()) continue;  // passes its input's range on
        const double bound = activation_bound(L);
        if (bound <= top) continue;
        const std::string what = std::string(qlab::activation_name(L.activation)) +
                                 (bound < 1e300 ? " up to " + number(bound) : ", unbounded");
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& group) { return group.first == what; });
        if (g == groups.end())
            groups.push_back({what, {l + 1}});
        else
            g->second.push_back(l + 1);
    }
    for (const auto& [what, list] : groups) {
        std::string names;
        for (std::size_t i = 0; i < list.size(); ++i)
            names += (i == 0                 ? ""
                      : i + 1 == list.size() ? " and "
                                             : ", ") +
                     std::to_string(list[i]);
        out.push_back((list.size() > 1 ? "The outputs of layers " : "The output of layer ") +
                      names + " (" + what + ") exceed the fixed-point range [" +
                      (negative ? "-1" : "0") + ", " + number(top) +
                      "): larger values saturate, so the simulated mismatch can exceed the bounds "
                      "at any precision. The bounds are for the rounding alone.");
    }
    return out;
}

std::string hidden_activations_text(const qlab::Model& model) {
    std::vector<std::string> names;
    for (std::size_t l = 0; l + 1 < model.layers.size(); ++l) {
        if (model.layers[l].is_pool()) continue;
        const std::string name = qlab::activation_name(model.layers[l].activation);
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    std::string text;
    for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
}

bool hidden_outputs_saturate(const qlab::Model& model) {
    for (std::size_t l = 0; l + 1 < model.layers.size(); ++l)
        if (!model.layers[l].is_pool() && activation_bound(model.layers[l]) > 2) return true;
    return false;
}

}  // namespace quantlab
