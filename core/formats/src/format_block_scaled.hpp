// What the block-scaled formats share (MX, NVFP4, group-wise int): one fitted block, the
// lattice scale * (element atoms) decided by exact comparisons, NaN/zero-scale blocks, helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binary_float.hpp"
#include "format_impls.hpp"

namespace qlab::detail {

// What an infinite input becomes (MX §6.3 clamps normal numbers only; Inf is not clamped).
enum class InfInput {
    keep,      // the element has infinities (E5M2): +-inf
    nan,       // the element has a NaN code only (E4M3): NaN
    saturate,  // integers, which hold neither: +-max, as every saturating format here does
};

// Neighbours of x on the lattice scale * (element lattice), exactly: x / scale is only a first
// guess, every decision compares x with an exact product scale * (element point). The products
// are exact for every scale used here (a power of two; E4M3 x FP32; FP16 x small integers).
// Beyond [lim_lo, lim_hi] (one element gap past the range) x is returned alone: resolve clamps.
Bracket scaled_bracket(const FormatImpl& element, double scale, double lim_lo, double lim_hi,
                       double x);

// Round-half-even of x onto scale * (element), saturating at the element's range: how the
// per-block scales themselves are rounded (NVFP4's E4M3 block scale, group-wise int's FP16).
double round_scaled_rne(const FormatImpl& element, double scale, double x);

class ScaledFormat final : public FormatImpl {
  public:
    ScaledFormat(std::string kind, std::string spec, std::shared_ptr<const FormatImpl> element,
                 double scale, InfInput inf, Encoding scale_code, bool uniform)
        : kind_(std::move(kind)),
          spec_(std::move(spec)),
          element_(std::move(element)),
          scale_(scale),
          inf_(inf),
          scale_code_(std::move(scale_code)),
          uniform_(uniform) {
        const double emax = element_->max_finite(), emin = element_->min_finite();
        lim_hi_ = emax + (emax - element_->next_down(emax));
        lim_lo_ = emin - (element_->next_up(emin) - emin);
        max_ = emax * scale_;
        min_ = emin * scale_;
    }

    std::string kind() const override { return kind_; }
    std::string canonical_spec() const override { return spec_; }
    Bracket bracket(double x) const override {
        return scaled_bracket(*element_, scale_, lim_lo_, lim_hi_, x);
    }
    double resolve(double v) const override {
        if (std::isinf(v)) {
            if (inf_ == InfInput::keep) return v;
            if (inf_ == InfInput::nan) return NAN;
        }
        return v > max_ ? max_ : v < min_ ? min_ : v;
    }
    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (x >= max_) return INFINITY;
        if (x < min_) return min_;
        const Bracket b = bracket(x);
        return b.lo == b.hi ? element_->next_up(b.lo / scale_) * scale_ : b.hi;
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (x <= min_) return -INFINITY;
        if (x > max_) return max_;
        const Bracket b = bracket(x);
        return b.lo == b.hi ? element_->next_down(b.lo / scale_) * scale_ : b.lo;
    }
    bool keeps_negative_zero() const override { return element_->keeps_negative_zero(); }
    bool has_infinity() const override { return inf_ == InfInput::keep; }
    double max_finite() const override { return max_; }
    double min_finite() const override { return min_; }
    double min_positive() const override { return element_->min_positive() * scale_; }
    double epsilon() const override { return element_->epsilon() * (uniform_ ? scale_ : 1.0); }
    double atom_count() const override { return element_->atom_count(); }
    int bits() const override { return element_->bits(); }
    // The element's code: a stored value is scale * element, the element alone is stored.
    Encoding encode(double v) const override {
        return element_->encode(std::isfinite(v) ? v / scale_ : v);
    }
    double block_scale() const override { return scale_; }
    Encoding block_scale_encoding() const override { return scale_code_; }

  private:
    std::string kind_, spec_;
    std::shared_ptr<const FormatImpl> element_;
    double scale_;
    InfInput inf_;
    Encoding scale_code_;
    bool uniform_;  // integer elements: the step is scale * 1
    double lim_lo_ = 0, lim_hi_ = 0, max_ = 0, min_ = 0;
};

// A block whose scale is the NaN code (MX §5.2: then every value of the block is NaN,
// whatever the elements hold). Used where a NaN or Inf has no element code to go to.
class NanBlock final : public DataDependentFormat {
  public:
    NanBlock(std::string kind, Encoding scale_code)
        : kind_(std::move(kind)), scale_code_(std::move(scale_code)) {}
    bool data_dependent() const override { return false; }
    std::string kind() const override { return kind_; }
    std::string canonical_spec() const override { return kind_ + " block with a NaN scale"; }
    double resolve(double) const override { return NAN; }
    double atom_count() const override { return 0; }
    int bits() const override { return 0; }
    double block_scale() const override { return NAN; }
    Encoding block_scale_encoding() const override { return scale_code_; }

  private:
    std::string kind_;
    Encoding scale_code_;
};

// An NVFP4 block whose E4M3 scale rounded to zero: every element is a (signed) zero.
class ZeroBlock final : public DataDependentFormat {
  public:
    ZeroBlock(std::string kind, Encoding scale_code)
        : kind_(std::move(kind)), scale_code_(std::move(scale_code)) {}
    bool data_dependent() const override { return false; }
    std::string kind() const override { return kind_; }
    std::string canonical_spec() const override { return kind_ + " block with a zero scale"; }
    Bracket bracket(double) const override { return {0, 0, true}; }
    double resolve(double v) const override { return std::isnan(v) ? v : 0.0; }
    bool keeps_negative_zero() const override { return true; }
    double max_finite() const override { return 0; }
    double min_finite() const override { return 0; }
    double atom_count() const override { return 1; }
    int bits() const override { return 4; }
    double block_scale() const override { return 0; }
    Encoding block_scale_encoding() const override { return scale_code_; }

  private:
    std::string kind_;
    Encoding scale_code_;
};

Encoding e8m0_code(int biased);

// The largest magnitude's bit pattern (non-negative floats order as their bits), at least
// 0x7f800000 when the block holds an Inf or NaN. Magnitudes fit in 31 bits, so a signed max
// (what SSE2 compares) orders them and the loop vectorizes.
template <std::size_t N>
std::uint32_t max_magnitude_bits_of(const float* in, std::size_t n = N) {
    std::int32_t top = 0;
    std::size_t i = 0;
    if (N % 8 == 0 && N > 0) {  // eight running maxima: one AVX register, two SSE2 ones
        std::int32_t lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (; i < N; i += 8)
            for (std::size_t l = 0; l < 8; ++l) {
                const auto mag = static_cast<std::int32_t>(float32_bits(in[i + l]) & 0x7fffffffu);
                lane[l] = lane[l] < mag ? mag : lane[l];
            }
        for (std::size_t l = 0; l < 8; ++l) top = std::max(top, lane[l]);
    }
    for (; i < n; ++i) {
        const auto mag = static_cast<std::int32_t>(float32_bits(in[i]) & 0x7fffffffu);
        top = top < mag ? mag : top;
    }
    return static_cast<std::uint32_t>(top);
}

std::uint32_t max_magnitude_bits(const float* in, std::size_t n);
// The same for each of `blocks` consecutive blocks of `block` values (the last one may be short:
// n values in all), into top[0 .. blocks). Not inline, so each block's loop stays vectorized.
void block_max_magnitude_bits(const float* in, std::size_t n, std::size_t block, std::size_t blocks,
                              std::uint32_t* top);

inline float float_from_bits(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Runs the generic path (fit, then the fitted block's own array path) on one block.
void quantize_block_generic(const FormatImpl& format, const float* in, float* out, std::size_t n,
                            const QuantizeOptions& options, std::vector<double>& scratch);

}  // namespace qlab::detail
