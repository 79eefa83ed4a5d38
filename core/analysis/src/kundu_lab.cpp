// Kundu 2017 figures the browser lesson shows beside the CLI's: multiplications per example at a
// residual level, the r_i histogram and Table 2's FGQ row for the same blocks.
#include <algorithm>

#include "qlab/kundu.hpp"

namespace qlab {

namespace {

// Output rows the weights [begin, begin + size) of a row-major matrix with `in` columns touch.
std::size_t rows_touched(std::size_t begin, std::size_t size, std::size_t in) {
    if (size == 0 || in == 0) return 0;
    return (begin + size - 1) / in - begin / in + 1;
}

}  // namespace

KunduCost kundu_cost(const Model& model, const KunduResult& result, int level) {
    KunduCost cost;
    for (const KunduLayer& kl : result.layers) {
        if (kl.layer >= model.layers.size()) continue;
        const Layer& L = model.layers[kl.layer];
        const double reuse = L.kind == LayerKind::conv2d
                                 ? static_cast<double>(L.output_height()) * L.output_width()
                                 : 1.0;
        const auto in = static_cast<std::size_t>(L.weight.cols());
        cost.macs += reuse * static_cast<double>(kl.tensor.n);
        for (const ResidualBlock& b : kl.tensor.blocks) {
            // Terms kept at the level: the FGQ term and up to `level` residuals (Algorithm 2's
            // last residuals go first, "battery-saving mode").
            const int terms = 1 + std::min(std::max(level, 0), b.residuals());
            cost.multiplications +=
                reuse * terms * static_cast<double>(rows_touched(b.begin, b.size, in));
        }
    }
    return cost;
}

std::size_t kundu_weights(const KunduResult& result) {
    std::size_t n = 0;
    for (const KunduLayer& kl : result.layers) n += kl.tensor.n;
    return n;
}

std::vector<long long> residual_histogram(const ResidualTensor& tensor) {
    std::vector<long long> counts(static_cast<std::size_t>(tensor.max_residuals()) + 1, 0);
    if (tensor.blocks.empty()) return {};
    for (const ResidualBlock& b : tensor.blocks) ++counts[static_cast<std::size_t>(b.residuals())];
    return counts;
}

Table2Row fgq_row(const ResidualTensor& tensor) {
    Table2Row row;
    const auto k = static_cast<double>(tensor.blocks.size());
    row.model_size_bits = 8 * k + 2 * static_cast<double>(tensor.n);
    row.capacity = tensor.blocks.empty() ? 0 : 2 * k + 1;
    row.scale_factors = static_cast<long long>(tensor.blocks.size());
    return row;
}

Table2Row residual_row(const ResidualTensor& tensor) {
    return {tensor.model_size_bits(), tensor.capacity(), tensor.scale_factors()};
}

}  // namespace qlab
