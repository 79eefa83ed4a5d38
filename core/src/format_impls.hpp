// Parsers of the individual formats, one implementation file each; format.cpp keeps the registry.
#pragma once

#include <memory>
#include <vector>

#include "qlab/format.hpp"
#include "spec_args.hpp"

namespace qlab::detail {

using ImplResult = Result<std::shared_ptr<const FormatImpl>>;

ImplResult parse_fixed(SpecArgs& args, bool is_signed);
ImplResult parse_float(SpecArgs& args);
ImplResult parse_lattice(SpecArgs& args);
ImplResult parse_int(SpecArgs& args);
ImplResult parse_binary(SpecArgs& args);
ImplResult parse_ternary(SpecArgs& args);
ImplResult parse_codebook(SpecArgs& args);
ImplResult parse_bfp(SpecArgs& args);

// Concrete formats that data-dependent ones fit per tensor or block.
std::shared_ptr<const FormatImpl> make_fixed(int width, int frac, bool is_signed, bool wrap);
std::shared_ptr<const FormatImpl> make_codebook(std::vector<double> sorted_unique_values);

// Kundu eq. 7 (corrected, see format_ternary.cpp): the optimal alpha and threshold.
struct TernaryFit {
    double alpha = 0;
    double threshold = 0;
    std::size_t nonzero = 0;  // |I_T|
};
TernaryFit fit_ternary(const double* data, std::size_t n);
// 1-D k-means (Lloyd's algorithm, initialised at quantiles): sorted unique centres.
std::vector<double> kmeans_1d(const double* data, std::size_t n, int k, int iterations);

using qlab::shortest_repr;

}  // namespace qlab::detail
