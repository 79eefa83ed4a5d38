// Helpers shared by the network tests: the loss a finite-difference check differentiates, and
// sklearn's digits split and scaled to [-1, 1] (absent when the bootstrap has not installed them).
#pragma once

#include <cmath>
#include <optional>

#include "qlab/mlp.hpp"

namespace qlab::test {

// Mean softmax cross-entropy of a model's scores, in double.
inline double mean_loss(const Model& m, const Dataset& d) {
    const Matrix s = predict_scores(m, d);
    double loss = 0;
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
        const double mx = s.row(i).maxCoeff();
        double sum = 0;
        for (Eigen::Index c = 0; c < s.cols(); ++c) sum += std::exp(s(i, c) - mx);
        loss -= s(i, d.y[static_cast<std::size_t>(i)]) - mx - std::log(sum);
    }
    return loss / static_cast<double>(s.rows());
}

inline std::optional<Split> scaled_digits() {
    DataSpecOptions where;
    where.data_dir = QLAB_DATA_DIR;
    auto digits = load_data_spec("sklearn:digits", where);
    if (!digits.ok()) return std::nullopt;
    Split s = split_dataset(*digits, 0.2, 1);
    const Dataset reference = s.train;
    normalize(s.train, reference, Normalization::scale_to_unit_range);
    normalize(s.test, reference, Normalization::scale_to_unit_range);
    return s;
}

}  // namespace qlab::test
