// Small helpers the analysis files share (Lin's SQNR and formats, the Layers lesson's meters,
// fine-tuning): SQNR of two arrays, a matrix as doubles, the first rows of a data set, and the
// model/data agreement check. Private to core/analysis.
#pragma once

#include <cstddef>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"

namespace qlab::detail {

// 10 log10(sum x^2 / sum (x - q)^2): +inf without noise, -inf without signal.
double sqnr_db(const float* x, const float* q, std::size_t n);
std::vector<double> to_doubles(const Matrix& m);
// A model with layers, data with rows, and the widths agree.
Status check_model_data(const Model& model, const Dataset& data);

}  // namespace qlab::detail
