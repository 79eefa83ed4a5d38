// Parsers of the individual formats, one implementation file each, each beside its kind's
// declaration (format_params.hpp); format.cpp keeps the registry.
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "format_params.hpp"
#include "qlab/format.hpp"
#include "spec_args.hpp"

namespace qlab::detail {

using ImplResult = Result<std::shared_ptr<const FormatImpl>>;

// Base of formats whose atoms come from the data (fit() builds the concrete format): before
// fitting there are no atoms, so the value facts are NaN and no value is quantized directly.
class DataDependentFormat : public FormatImpl {
  public:
    bool data_dependent() const override { return true; }
    Bracket bracket(double x) const override { return {x, x, true}; }
    double resolve(double v) const override { return v; }
    double next_up(double) const override { return INFINITY; }
    double next_down(double) const override { return -INFINITY; }
    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return NAN; }
    double min_finite() const override { return NAN; }
    double min_positive() const override { return NAN; }
    double epsilon() const override { return NAN; }
    Encoding encode(double) const override { return {}; }
};

// Each kind's declaration, in the file of its parser.
const FormatKindInfo& fixed_kind(bool is_signed);
const FormatKindInfo& float_kind();
const FormatKindInfo& lattice_kind();
const FormatKindInfo& int_kind();               // forms: 0 affine, 1 group-wise
const FormatKindInfo& sign_kind(bool ternary);  // binary, ternary; forms: 0 alpha, 1 fitted
const FormatKindInfo& codebook_kind();          // forms: 0 values, 1 k-means
const FormatKindInfo& bfp_kind();
const FormatKindInfo& ocp_kind(const std::string& kind);  // fp8, fp6, fp4, e8m0
const FormatKindInfo& mx_kind(const std::string& kind);   // mxfp8, mxfp6, mxfp4, mxint8
const FormatKindInfo& nvfp4_kind();
// The OCP element types of one kind (fp8: e4m3, e5m2), each with what sets it apart.
std::vector<ParamChoice> ocp_variants(const std::string& kind);

ImplResult parse_fixed(SpecArgs& args, bool is_signed);
ImplResult parse_float(SpecArgs& args);
ImplResult parse_lattice(SpecArgs& args);
ImplResult parse_int(SpecArgs& args);
ImplResult parse_binary(SpecArgs& args);
ImplResult parse_ternary(SpecArgs& args);
ImplResult parse_codebook(SpecArgs& args);
ImplResult parse_bfp(SpecArgs& args);
// OCP element types (format_ocp.cpp): kind is fp8, fp6, fp4 or e8m0.
ImplResult parse_ocp(SpecArgs& args, const std::string& kind);
// Block-scaled formats (format_mx.cpp, format_nvfp4.cpp, format_int_group.cpp): MX v1.0 (kind
// mxfp8, mxfp6, mxfp4, mxint8), NVFP4, and group-wise int (parse_int reads int:b=B,group=G[,asym=1]
// and makes it there).
ImplResult parse_mx(SpecArgs& args, const std::string& kind);
ImplResult parse_nvfp4(SpecArgs& args);
ImplResult make_int_group(int bits, std::size_t group, bool asym);

// Concrete formats that data-dependent ones fit per tensor or block.
std::shared_ptr<const FormatImpl> make_fixed(int width, int frac, bool is_signed, bool wrap);
std::shared_ptr<const FormatImpl> make_codebook(std::vector<double> sorted_unique_values);
std::shared_ptr<const FormatImpl> make_int(int bits, double scale, std::int64_t zero,
                                           bool is_signed, bool narrow);
// An OCP element type (format_ocp.cpp): kind fp8/fp6/fp4, variant e4m3 etc.; nullptr if unknown.
std::shared_ptr<const FormatImpl> make_ocp(const std::string& kind, const std::string& variant,
                                           bool saturate);

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
