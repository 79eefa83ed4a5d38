// Sakr et al. 2017's costs of a network in fixed point: eq. 3's full adders of its dot products,
// eq. 4's bits of its activations and weights; and architectures written as "784-512-10".
#include <string>

#include "qlab/sakr.hpp"

namespace qlab {

// eq. 3: D B_A B_W + (D - 1)(B_A + B_W + ceil(log2 D) - 1) full adders for a D-term dot product.
double dot_product_full_adders(long long d, int ba, int bw) {
    int log2d = 0;
    while ((1LL << log2d) < d) ++log2d;
    return static_cast<double>(d) * ba * bw + static_cast<double>(d - 1) * (ba + bw + log2d - 1);
}

SakrCost sakr_cost(const std::vector<int>& widths, int ba, int bw) {
    SakrCost c;
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
        // widths[l+1] dot products of fan-in widths[l], plus the bias: D = fan-in + 1.
        c.fa += widths[l + 1] * dot_product_full_adders(widths[l] + 1LL, ba, bw);
        c.activations += widths[l];
        c.weights += static_cast<long long>(widths[l]) * widths[l + 1];
    }
    // eq. 4: |A| B_A + |W| B_W.
    c.bits = static_cast<double>(c.activations) * ba + static_cast<double>(c.weights) * bw;
    return c;
}

SakrCost sakr_cost(const Model& model, int ba, int bw) {
    SakrCost c;
    for (const Layer& L : model.layers) {
        if (!L.has_weights()) continue;
        const long long dots =
            L.kind == LayerKind::dense
                ? L.out
                : static_cast<long long>(L.out) * L.output_height() * L.output_width();
        c.fa += static_cast<double>(dots) * dot_product_full_adders(L.in + 1LL, ba, bw);
        c.activations += L.input_size();
        c.weights += static_cast<long long>(L.weight.size());
    }
    c.bits = static_cast<double>(c.activations) * ba + static_cast<double>(c.weights) * bw;
    return c;
}

Result<std::vector<int>> parse_architecture(std::string_view arch) {
    std::vector<int> widths;
    std::size_t start = 0;
    while (true) {
        const std::size_t dash = arch.find('-', start);
        const std::string_view part =
            arch.substr(start, dash == std::string_view::npos ? arch.npos : dash - start);
        int v = 0;
        bool ok = !part.empty() && part.size() <= 9;
        for (char ch : part) {
            if (ch < '0' || ch > '9')
                ok = false;
            else
                v = v * 10 + (ch - '0');
        }
        if (!ok || v < 1)
            return Status::error(
                "architecture '" + std::string(arch) +
                "': expected widths such as 784-512-512-512-10 (positive integers joined by '-')");
        widths.push_back(v);
        if (dash == std::string_view::npos) break;
        start = dash + 1;
    }
    if (widths.size() < 2)
        return Status::error("architecture '" + std::string(arch) +
                             "': give at least an input and an output width");
    return widths;
}

}  // namespace qlab
