// Signal-to-quantization-noise ratio (Lin 2016): measured on data, and the optimal symmetric
// uniform quantizer for the named distributions of Lin's Table 1, derived numerically.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/status.hpp"

namespace qlab {

// Lin Table 1's inputs (after Shi & Sun 2008): Uniform on [-1, 1]; Gaussian, Laplacian and the
// two-sided Gamma of shape 1/2 (speech-like) all with zero mean and unit variance.
enum class Distribution { uniform, gaussian, laplacian, gamma };

const char* distribution_name(Distribution d);
Result<Distribution> parse_distribution(std::string_view name);
const std::vector<Distribution>& all_distributions();

double distribution_pdf(Distribution d, double x);
double distribution_variance(Distribution d);
// Seeded samples (the same sequence for the same seed on one platform).
std::vector<double> sample_distribution(Distribution d, std::size_t n, std::uint64_t seed);

// 10 log10(sum x^2 / sum (x - q)^2); +inf when q == x everywhere.
double sqnr_db(const std::vector<double>& signal, const std::vector<double>& quantized);
double sqnr_db(const Format& format, const std::vector<double>& signal,
               const QuantizeOptions& options = {});

// Mean squared error of the symmetric midrise uniform quantizer with 2^bits levels at
// +-(j + 1/2) * step, by numerical integration over the pdf (no sampling).
double uniform_quantizer_mse(Distribution d, int bits, double step);

struct OptimalStep {
    int bits = 0;
    double step = 0;
    double mse = 0;
    double sqnr_db = 0;
};
// The step that minimises the MSE (maximises SQNR): Lin Table 1, for 1..16 bits.
OptimalStep optimal_uniform_step(Distribution d, int bits);

// Lin eq. 2, gamma_dB ~ kappa * beta: the least-squares slope of the optimal SQNR (dB) over
// bits in [from_bits, to_bits].
double quantization_efficiency(Distribution d, int from_bits, int to_bits);

}  // namespace qlab
