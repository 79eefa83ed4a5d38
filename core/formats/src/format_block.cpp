// Block-scaled formats: OCP Microscaling v1.0 (MXFP8/6/4, MXINT8: E8M0 power-of-two scale per
// block, MX §5-6), NVFP4 (E2M1 blocks of 16, an E4M3 block scale and an FP32 per-tensor scale),
// and group-wise int as weight-only LLM quantizers use it (an FP16 scale, and zero, per group).
// Sections: 1. ScaledFormat, one fitted block  2. MX  3. NVFP4  4. group-wise int  5. parsers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "binary_float.hpp"
#include "format_impls.hpp"
#include "int_lattice.hpp"

namespace qlab::detail {
namespace {

// ---- 1. One fitted block: atoms scale * (element atoms) -------------------------------------

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
                       double x) {
    if (x == 0) return {x, x, true};
    const double y = x / scale;
    if (!(y >= lim_lo && y <= lim_hi)) return {x, x, true};
    Bracket b = element.bracket(y);
    auto gap_above = [&](double a) { return element.bracket(std::nextafter(a, INFINITY)); };
    auto gap_below = [&](double a) { return element.bracket(std::nextafter(a, -INFINITY)); };
    if (b.lo == b.hi) {
        const double p = b.lo * scale;
        if (p == x) return {x, x, true};
        b = p < x ? gap_above(b.lo) : gap_below(b.lo);
    } else if (b.lo * scale > x) {
        b = gap_below(b.lo);
    } else if (b.hi * scale < x) {
        b = gap_above(b.hi);
    }
    const double lo = b.lo * scale, hi = b.hi * scale;
    if (lo == x || hi == x) return {x, x, true};
    return {lo, hi, b.lo_is_even};
}

// Round-half-even of x onto scale * (element), saturating at the element's range: how the
// per-block scales themselves are rounded (NVFP4's E4M3 block scale, group-wise int's FP16).
double round_scaled_rne(const FormatImpl& element, double scale, double x) {
    const double max = element.max_finite();
    const double lim = max + (max - element.next_down(max));
    const Bracket b = scaled_bracket(element, scale, -lim, lim, x);
    double r = b.lo;
    if (b.lo != b.hi) {
        const double mid = b.lo + (b.hi - b.lo) / 2;
        r = x < mid ? b.lo : x > mid ? b.hi : (b.lo_is_even ? b.lo : b.hi);
    }
    return std::clamp(r, element.min_finite() * scale, max * scale);
}

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

Encoding e8m0_code(int biased) {
    Encoding e;
    e.total_bits = 8;
    e.code = static_cast<std::uint64_t>(biased);
    e.fields = {{"exponent", 8, e.code}};
    return e;
}

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

std::uint32_t max_magnitude_bits(const float* in, std::size_t n) {
    if (n == 32) return max_magnitude_bits_of<32>(in);  // MX's k, unrolled at compile time
    if (n == 16) return max_magnitude_bits_of<16>(in);  // NVFP4's
    return max_magnitude_bits_of<0>(in, n);
}

float float_from_bits(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Runs the generic path (fit, then the fitted block's own array path) on one block.
void quantize_block_generic(const FormatImpl& format, const float* in, float* out, std::size_t n,
                            const QuantizeOptions& options, std::vector<double>& scratch) {
    scratch.assign(in, in + n);
    format.fit(scratch.data(), n)->quantize_array(in, out, n, options);
}

// ---- 2. OCP Microscaling v1.0 ----------------------------------------------------------------

struct MxElement {
    const char* kind;     // mxfp8, mxfp6, mxfp4, mxint8
    const char* variant;  // e4m3, ... ("" when the kind has one element type)
    InfInput inf;         // what an Inf input becomes, if the element can hold it (MX §5.2)
    bool nan_code;        // the element has a NaN code (only FP8 does)
};

// MX v1.0 Table 1 (§5.1): the concrete MX-compliant formats, all with an E8M0 scale and k = 32.
constexpr MxElement kMxElements[] = {
    {"mxfp8", "e4m3", InfInput::nan, true},       {"mxfp8", "e5m2", InfInput::keep, true},
    {"mxfp6", "e2m3", InfInput::saturate, false}, {"mxfp6", "e3m2", InfInput::saturate, false},
    {"mxfp4", "", InfInput::saturate, false},     {"mxint8", "", InfInput::saturate, false},
};

class MxFormat final : public DataDependentFormat {
  public:
    MxFormat(const MxElement& e, std::size_t block) : e_(e), block_(block) {
        const std::string kind = e.kind;
        if (kind == "mxint8") {
            // MX §5.3.4 (INT8): two's complement with an implicit scale 2^-6, i.e. fixed point
            // with 6 fraction bits: -2 .. 1.984375.
            element_ = make_fixed(8, 6, true, false);
        } else {
            // §6.3 clamps normal numbers beyond the element's max to max: the saturating variant.
            const std::string ocp_kind = kind.substr(2);  // fp8, fp6, fp4
            element_ = make_ocp(ocp_kind, kind == "mxfp4" ? "e2m1" : e.variant, true);
            grid_ = {static_cast<int>(std::lround(-std::log2(element_->epsilon()))),
                     std::ilogb(element_->min_positive() / element_->epsilon()),
                     element_->max_finite(), true};
        }
        // emax_elem (§6.3): the exponent of the element's largest normal number.
        emax_ = std::ilogb(element_->max_finite());
        int_ = kind == "mxint8";
        over_ = element_->bracket(std::nextafter(element_->max_finite(), INFINITY)).hi;
    }
    std::string kind() const override { return e_.kind; }
    std::string canonical_spec() const override {
        std::string s = e_.kind;
        if (*e_.variant) s += std::string(":") + e_.variant;
        if (block_ != 32)
            s += std::string(*e_.variant ? "," : ":") + "block=" + std::to_string(block_);
        return s;
    }
    std::size_t block_size() const override { return block_; }
    double atom_count() const override { return element_->atom_count(); }
    int bits() const override { return element_->bits(); }
    double bits_per_value(std::size_t n) const override {
        if (n == 0) return bits() + 8.0 / static_cast<double>(block_);
        const double blocks = std::ceil(static_cast<double>(n) / static_cast<double>(block_));
        return bits() + 8.0 * blocks / static_cast<double>(n);
    }
    std::string element_spec() const override { return element_->canonical_spec(); }
    std::string scale_spec() const override { return "e8m0"; }
    int emax_elem() const { return emax_; }

    // MX §6.3 (Algorithm 1): shared_exp = floor(log2(max_i |V_i|)) - emax_elem, X = 2^shared_exp
    // clamped to E8M0's range 2^-127 .. 2^127 (an all-zero block gets 2^-127); P_i = V_i / X
    // quantized to the element format, normal numbers beyond its max clamped to max.
    // NaN and Inf: max_i |V_i| runs over the finite values. A NaN stays in its element where the
    // element has a NaN code (FP8), an Inf becomes Inf (E5M2) or NaN (E4M3) there; where the
    // element has no such code (FP6, FP4, INT8) the block's scale takes the E8M0 NaN code and
    // the whole block reads NaN (§5.2).
    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        double amax = 0;
        bool nan = false, inf = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (std::isnan(data[i]))
                nan = true;
            else if (std::isinf(data[i]))
                inf = true;
            else
                amax = std::max(amax, std::fabs(data[i]));
        }
        if ((nan || inf) && !e_.nan_code)
            return std::make_shared<NanBlock>(e_.kind, e8m0_code(0xFF));
        const int k = shared_exponent(amax);
        return std::make_shared<ScaledFormat>(
            e_.kind, canonical_spec() + " block, X = 2^" + std::to_string(k), element_,
            std::ldexp(1.0, k), e_.inf, e8m0_code(k + 127), std::string(e_.kind) == "mxint8");
    }

    // The fast path, per block: the shared scale once from the largest magnitude (one pass), then
    // the elements by the element grid's own kernel on V / X (MX §6.3). X is a power of two, so
    // V / X and P * X are exact (in float32 for nearest-even, see BinaryFloatGrid; in double for
    // stochastic rounding, which draws exactly as the reference does: a fresh stream seeded
    // seed + block start, one draw per value off the lattice). Blocks holding NaN or Inf take
    // the generic path (fit, then the fitted block's reference), as rare as they are special.
    bool quantize_blocks(const float* in, float* out, std::size_t n,
                         const QuantizeOptions& options) const override {
        const bool stochastic = options.rounding == Rounding::stochastic;
        if (options.rounding != Rounding::nearest_even && !stochastic) return false;
        std::vector<double> scratch;
        Rng rng;
        // Up to 64 blocks at a time: their shared exponents first (NaN or Inf: INT_MIN), then
        // their elements.
        constexpr std::size_t kBatch = 64;
        int exps[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * block_) {
            const std::size_t blocks = std::min(kBatch, (n - first + block_ - 1) / block_);
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * block_;
                const std::uint32_t top =
                    max_magnitude_bits(in + start, std::min(block_, n - start));
                exps[b] = top >= 0x7f800000u ? std::numeric_limits<int>::min()
                                             : shared_exponent_of_bits(top);
            }
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * block_;
                const std::size_t count = std::min(block_, n - start);
                const float* x = in + start;
                float* o = out + start;
                QuantizeOptions block_options = options;
                block_options.seed = options.seed + start;  // the reference's per-block stream
                if (exps[b] == std::numeric_limits<int>::min()) {
                    quantize_block_generic(*this, x, o, count, block_options, scratch);
                } else if (stochastic) {
                    rng.reseed(block_options.seed);
                    stochastic_block(x, o, count, exps[b], rng);
                } else {
                    nearest_even_block(x, o, count, exps[b]);
                }
            }
        }
        return true;
    }

  private:
    int shared_exponent(double amax) const {
        if (!(amax > 0)) return -127;
        return std::clamp(std::ilogb(amax) - emax_, -127, 127);
    }
    // The same from the largest magnitude's float32 bits (finite): its exponent field, or
    // ilogb for a subnormal amax.
    int shared_exponent_of_bits(std::uint32_t top) const {
        if (top < 0x00800000u) return shared_exponent(float_from_bits(top));
        return std::clamp(static_cast<int>(top >> 23) - 127 - emax_, -127, 127);
    }

    // Nearest-even of the block's finite values with X = 2^k, in float32.
    void nearest_even_block(const float* x, float* o, std::size_t count, int k) const {
        const float down = pow2f(-k), up = pow2f(k);
        if (!int_) {
            grid_.round_float32_nearest_even_scaled(x, o, count, down, up);
            return;
        }
        // MXINT8 (§5.3.4): codes -128 .. 127 times 2^-6. The 2^6 folds into the scale while
        // 2^(6 - k) is a normal float32; an input that underflows in x * 2^(6 - k) lies far
        // below half a code and rounds to zero either way, and code * 2^(k - 6) is exact.
        if (k >= -121) {
            const float in_scale = pow2f(6 - k), out_scale = pow2f(k - 6);
            if (count == 32) return int8_block(x, o, 32, in_scale, out_scale);  // unrolled
            return int8_block(x, o, count, in_scale, out_scale);
        }
        for (std::size_t i = 0; i < count; ++i) o[i] = x[i] * down * 64.0f;
        int8_block(o, o, count, 1, 1);
        for (std::size_t i = 0; i < count; ++i) o[i] = o[i] * 0.015625f * up + 0.0f;
    }
    // Codes of x * in_scale (rint by the 1.5 * 2^23 trick, saturating at 127), times out_scale.
    // |x| / X < 2^(emax_elem + 1) = 2 in a block, so x * in_scale > -128: no lower clamp.
    static void int8_block(const float* x, float* o, std::size_t count, float in_scale,
                           float out_scale) {
        const float magic = 0x1.8p23f;
        for (std::size_t i = 0; i < count; ++i) {
            float y = x[i] * in_scale;
            y = y > 127.0f ? 127.0f : y;
            y = (y + magic) - magic;
            o[i] = y * out_scale + 0.0f;  // one zero: + 0 turns -0 into +0
        }
    }

    // Stochastic rounding of the block's finite values with X = 2^k, in double (exact), then
    // the reference's resolve: saturation at the element's max (§6.3) and the sign of zero.
    void stochastic_block(const float* x, float* o, std::size_t count, int k, Rng& rng) const {
        const double down = pow2(-k), up = pow2(k), max = element_->max_finite();
        for (std::size_t i = 0; i < count; ++i) {
            const double y = static_cast<double>(x[i]) * down;
            double r = 0;
            if (int_) {
                // INT8 times 2^-6: a uniform grid, |y| < 2 here (the block's largest |V| / X is
                // below 2^(emax_elem + 1) = 2), so inside the bracket's range.
                const double lo = std::floor(y * 64) / 64;
                r = lo == y ? y : rng.uniform() / 64 < y - lo ? lo + 1.0 / 64 : lo;
                r = std::clamp(r, -2.0, max) + 0.0;  // one zero: + 0 turns -0 into +0
            } else {
                r = std::clamp(grid_.stochastic_point(y, over_, false, rng), -max, max);
            }
            o[i] = static_cast<float>(r * up);
        }
    }

    MxElement e_;
    std::size_t block_;
    std::shared_ptr<const FormatImpl> element_;
    BinaryFloatGrid grid_;
    int emax_ = 0;
    bool int_ = false;
    double over_ = 0;  // the element lattice's point after max (OcpFloat::bracket)
};

// ---- 3. NVFP4 --------------------------------------------------------------------------------

constexpr std::size_t kNvBlock = 16;
constexpr double kFp4Max = 6, kE4m3Max = 448;

// NVIDIA's two-level recipe (Transformer Engine's NVFP4 scaling, TensorRT Model Optimizer):
// global = amax_tensor / (6 * 448) in FP32; per block of 16, the E4M3 scale
// s_b = e4m3(amax_block / (6 * global)) (round-half-even, saturating); elements
// fp4(x / (s_b * global)). The division is exact here: elements round on the lattice
// s_b * global * {E2M1 atoms} by exact comparisons, and the stored value is that exact product.
class NvFp4Format final : public DataDependentFormat {
  public:
    NvFp4Format() = default;
    explicit NvFp4Format(float global)
        : bound_(true), global_(global), inv_den_(1 / (kFp4Max * static_cast<double>(global))) {}
    std::string kind() const override { return "nvfp4"; }
    std::string canonical_spec() const override {
        return bound_ ? "nvfp4:global=" + shortest_repr(global_) : "nvfp4";
    }
    std::size_t block_size() const override { return kNvBlock; }
    double atom_count() const override { return fp4_->atom_count(); }
    int bits() const override { return 4; }
    double bits_per_value(std::size_t n) const override {
        if (n == 0) return 4 + 8.0 / kNvBlock;
        const double blocks = std::ceil(static_cast<double>(n) / kNvBlock);
        return 4 + (8.0 * blocks + (bound_ ? 0.0 : 32.0)) / static_cast<double>(n);
    }
    std::string element_spec() const override { return "fp4:e2m1"; }
    std::string scale_spec() const override { return "fp8:e4m3,sat=1"; }
    std::string tensor_scale_spec() const override { return "float:e=8,m=23"; }

    bool fits_tensor() const override { return !bound_; }
    // The FP32 per-tensor scale: amax over the finite values, divided by 6 * 448 in float32
    // arithmetic. An all-zero tensor takes 1 (nothing to scale); a positive amax whose quotient
    // underflows takes the smallest float, 2^-149.
    std::shared_ptr<const FormatImpl> fit_tensor(const double* data, std::size_t n) const override {
        double amax = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(data[i])) amax = std::max(amax, std::fabs(data[i]));
        const float amax_f = static_cast<float>(std::min(amax, 3.4028234663852886e38));
        float global = amax_f / static_cast<float>(kFp4Max * kE4m3Max);
        if (amax_f == 0)
            global = 1;
        else if (global == 0)
            global = std::ldexp(1.0f, -149);
        return std::make_shared<NvFp4Format>(global);
    }

    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        if (!bound_) return fit_tensor(data, n)->fit(data, n);  // a lone block is its own tensor
        double amax = 0;
        bool nonfinite = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(data[i]))
                nonfinite = true;
            else
                amax = std::max(amax, std::fabs(data[i]));
        }
        // E2M1 has neither NaN nor Inf: the block scale takes E4M3's NaN code (S.1111.111).
        if (nonfinite) return std::make_shared<NanBlock>("nvfp4", e4m3_->encode(NAN));
        const double bs = block_scale_for(amax);
        if (bs == 0) return std::make_shared<ZeroBlock>("nvfp4", e4m3_->encode(0.0));
        return std::make_shared<ScaledFormat>(
            "nvfp4",
            "nvfp4 block, scale " + shortest_repr(bs) + " x global " + shortest_repr(global_), fp4_,
            bs * global_, InfInput::nan, e4m3_->encode(bs), false);
    }

    // The fast path, per block of 16: the E4M3 block scale from the largest magnitude (NVIDIA's
    // two-level recipe above), then the elements on the lattice s * E2M1 with s = s_b * global
    // (exact in double: 4 + 24 bits). Nearest-even runs a float32 kernel and, for a block with
    // a value next to a midpoint, the exact double kernel; stochastic rounding finds the
    // neighbours by exact comparisons with atom * s and draws as the reference does (stream
    // seed + block start, one draw per value off the lattice). Blocks holding NaN or Inf take
    // the generic path (an E4M3 NaN scale).
    bool quantize_blocks(const float* in, float* out, std::size_t n,
                         const QuantizeOptions& options) const override {
        const bool stochastic = options.rounding == Rounding::stochastic;
        if (!bound_ || (options.rounding != Rounding::nearest_even && !stochastic)) return false;
        std::vector<double> scratch;
        Rng rng;
        // Up to 64 blocks at a time: first their scales, independent of one another, so the
        // chains of divisions overlap in the pipeline; then their elements. NaN marks a block
        // holding NaN or Inf.
        constexpr std::size_t kBatch = 64;
        double scale[kBatch];
        float inv[kBatch];  // 1 / scale in float32 (the float kernel's), 0: exact kernel only
        std::uint32_t top[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * kNvBlock) {
            const std::size_t blocks = std::min(kBatch, (n - first + kNvBlock - 1) / kNvBlock);
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * kNvBlock;
                top[b] = n - start >= kNvBlock ? max_magnitude_bits_of<kNvBlock>(in + start)
                                               : max_magnitude_bits(in + start, n - start);
            }
            for (std::size_t b = 0; b < blocks; ++b) {  // short independent chains
                // (A block holding NaN or Inf gets a finite stand-in, then NaN.)
                const double amax = float_from_bits(std::min(top[b], 0x7f7fffffu));
                const double s = block_scale_fast(amax) * global_;
                scale[b] = top[b] >= 0x7f800000u ? NAN : s;
                // The float kernel's scaling is exact while s / 2 and 1 / s are normal floats.
                inv[b] = s >= 0x1p-125 && s <= 0x1p125 ? static_cast<float>(1 / s) : 0.0f;
            }
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * kNvBlock;
                const std::size_t count = std::min(kNvBlock, n - start);
                const float* x = in + start;
                float* o = out + start;
                const double s = scale[b];
                QuantizeOptions block_options = options;
                block_options.seed = options.seed + start;  // the reference's per-block stream
                if (std::isnan(s)) {
                    quantize_block_generic(*this, x, o, count, block_options, scratch);
                } else if (s == 0) {  // a zero scale (ZeroBlock): signed zeros, no draws
                    for (std::size_t i = 0; i < count; ++i) o[i] = std::copysign(0.0f, x[i]);
                } else if (stochastic) {
                    rng.reseed(block_options.seed);
                    stochastic_block(x, o, count, s, rng);
                } else if (!nearest_even_block_float(x, o, count, s, inv[b])) {
                    nearest_even_block(x, o, count, s);
                }
            }
        }
        return true;
    }

    // The per-tensor scale straight from float32 input (Format::quantize): the largest finite
    // magnitude's bits, the same amax as fit_tensor's.
    std::shared_ptr<const FormatImpl> fit_tensor_float(const float* data,
                                                       std::size_t n) const override {
        std::int32_t top = 0;  // magnitudes fit in 31 bits: a signed max, which vectorizes
        for (std::size_t i = 0; i < n; ++i) {
            const auto mag = static_cast<std::int32_t>(float32_bits(data[i]) & 0x7fffffffu);
            const std::int32_t finite = mag < 0x7f800000 ? mag : 0;
            top = finite > top ? finite : top;
        }
        const double amax = float_from_bits(static_cast<std::uint32_t>(top));
        return fit_tensor(&amax, 1);
    }

  private:
    // e4m3(amax_block / (6 * global)), exactly: 6 * global and E4M3 atoms times it are exact.
    // The reference by round_scaled_rne's comparisons; the fast path by the E4M3 grid's rule.
    double block_scale_for(double amax) const {
        const double den = kFp4Max * static_cast<double>(global_);
        return round_scaled_rne(*e4m3_, den, amax) / den;
    }
    double block_scale_fast(double amax) const {
        const double den = kFp4Max * static_cast<double>(global_);
        return e4m3_grid_.round_quotient_nearest_even(amax, den, inv_den_);
    }

    // The same in float32, four lanes to SSE2's two doubles: y = |x| * (1 / s) is within two
    // float ulps of |x| / s, so rounding it (one magic addition at y's step, as the MX kernel)
    // gives the nearest atom unless y lies that close to a midpoint; then this returns false
    // and the exact kernel redoes the block. The stored value atom * s rounded to float32 is
    // 2^e * f where atom = 2^e * (1 or 1.5) and f = float(s) or float(1.5 * s): exact scaling
    // while s * 0.5 and 1 / s are normal floats (else inv is 0 and this returns false).
    static bool nearest_even_block_float(const float* x, float* o, std::size_t count, double s,
                                         float inv) {
        if (inv == 0) return false;
        const auto f1 = static_cast<float>(s), f15 = static_cast<float>(1.5 * s);
        if (count == 16) return e2m1_float(x, o, 16, inv, f1, f15);  // unrolled at compile time
        return e2m1_float(x, o, count, inv, f1, f15);
    }
    static bool e2m1_float(const float* x, float* o, std::size_t count, float inv, float f1,
                           float f15) {
        int near_tie = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint32_t bits = float32_bits(x[i]);
            const std::uint32_t sign = bits & 0x80000000u;
            // Above 8 everything saturates to 6 (a block scale saturated at 448 leaves y large).
            float y = float_from_bits(bits & 0x7fffffffu) * inv;
            y = y > 8.0f ? 8.0f : y;
            // E2M1: step 0.5 below 2 (smallest normal 1, subnormals 0.5), then 1, then 2.
            auto e_bits = static_cast<std::int32_t>(float32_bits(y) & 0x7f800000u);
            e_bits = e_bits < 0x3f800000 ? 0x3f800000 : e_bits;  // binade of 1 at least
            const auto e = static_cast<std::uint32_t>(e_bits);
            const float magic = float_from_bits(e + (22u << 23) + 0x00400000u);  // 1.5*2^22*2^e
            float r = (y + magic) - magic;
            const float half_step = float_from_bits(e - (2u << 23));  // 2^(e-2)
            near_tie |= std::fabs(std::fabs(y - r) - half_step) <= y * 0x1p-20f;
            r = r > 6.0f ? 6.0f : r;
            const std::uint32_t r_bits = float32_bits(r);
            const float scaled =
                float_from_bits(r_bits & 0x7f800000u) * ((r_bits & 0x00400000u) != 0 ? f15 : f1);
            o[i] = float_from_bits(float32_bits(scaled) | sign);
        }
        return near_tie == 0;
    }

    // Nearest-even onto s * E2M1 (0, 0.5, 1, 1.5, 2, 3, 4, 6): E2M1 has one fraction bit, its
    // smallest normal is 1 and the subnormal step 0.5; above 6 it saturates (MX §5.3.3).
    static void nearest_even_block(const float* x, float* o, std::size_t count, double s) {
        for (std::size_t i = 0; i < count; ++i) {
            const double y = std::fabs(static_cast<double>(x[i])) / s;
            std::uint64_t bits;
            std::memcpy(&bits, &y, 8);
            // Keep 1 of the 52 fraction bits, ties to even; below 1, multiples of 0.5 by the
            // 2^51 trick (also ties to even).
            bits = (bits + (1ull << 50) - 1 + ((bits >> 51) & 1)) & ~((1ull << 51) - 1);
            double normal;
            std::memcpy(&normal, &bits, 8);
            const double tiny = (y + 0x1p51) - 0x1p51;
            const double r = std::min(y < 1 ? tiny : normal, kFp4Max);
            o[i] = static_cast<float>(std::copysign(r * s, static_cast<double>(x[i])));
        }
    }

    // Stochastic rounding onto s * E2M1 continued to 8 (OcpFloat::bracket past max), as the
    // reference's scaled bracket: no draw on a lattice point, at 0, or from 8 * s on (resolved
    // to 6 * s); else the upper neighbour when uniform() * (H - L) < x - L.
    static void stochastic_block(const float* x, float* o, std::size_t count, double s, Rng& rng) {
        static constexpr double kAtoms[9] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, 8};
        double atom[9];
        for (int j = 0; j < 9; ++j) atom[j] = kAtoms[j] * s;
        const double max = atom[7];
        for (std::size_t i = 0; i < count; ++i) {
            const double v = x[i], a = std::fabs(v);
            int j = 0;
            for (int t = 1; t < 9; ++t) j += a >= atom[t];
            double r = v;
            if (a != 0 && j < 8 && atom[j] != a) {
                const double lo = atom[j], hi = atom[j + 1];
                const double low = v < 0 ? -hi : lo, high = v < 0 ? -lo : hi;
                r = rng.uniform() * (high - low) < v - low ? high : low;
            }
            r = std::clamp(r, -max, max);
            o[i] = static_cast<float>(r == 0 ? std::copysign(0.0, v) : r);
        }
    }

    bool bound_ = false;
    float global_ = 1;
    double inv_den_ = 1 / kFp4Max;  // 1 / (6 * global), rounded
    std::shared_ptr<const FormatImpl> fp4_ = make_ocp("fp4", "e2m1", true);
    std::shared_ptr<const FormatImpl> e4m3_ = make_ocp("fp8", "e4m3", true);
    // E4M3 (OFP8): 3 fraction bits, smallest normal 2^-6, subnormals, max 448.
    BinaryFloatGrid e4m3_grid_{3, -6, kE4m3Max, true};
};

// ---- 4. Group-wise int (weight-only LLM quantization) ---------------------------------------

// Per group of G consecutive values (along a weight row: Format::quantize_rows), as GPTQ and
// AWQ store them: the scale in FP16 (round-half-even, saturating; 0 becomes the smallest FP16
// subnormal 2^-24), the quantizer rounding on exactly that stored scale.
//  symmetric: scale = max|x| / (2^(b-1) - 1), codes -(2^(b-1) - 1) .. 2^(b-1) - 1;
//  asym=1:    scale = (max - min) / (2^b - 1) over the group's range widened to include 0 (as
//             GPTQ and PyTorch's observers do), zero point z = rint(-min / scale) clamped to
//             0 .. 2^b - 1, codes 0 .. 2^b - 1, value scale * (code - z); z is stored in b bits.
// NaN passes through; +-Inf saturates; neither takes part in the range.
class IntGroupFormat final : public DataDependentFormat {
  public:
    IntGroupFormat(int bits, std::size_t group, bool asym)
        : bits_(bits), group_(group), asym_(asym) {
        qmax_ = asym ? std::ldexp(1.0, bits) - 1 : std::ldexp(1.0, bits - 1) - 1;
    }
    std::string kind() const override { return "int"; }
    std::string canonical_spec() const override {
        return "int:b=" + std::to_string(bits_) + ",group=" + std::to_string(group_) +
               (asym_ ? ",asym=1" : "");
    }
    std::size_t block_size() const override { return group_; }
    double atom_count() const override { return asym_ ? qmax_ + 1 : 2 * qmax_ + 1; }
    int bits() const override { return bits_; }
    double bits_per_value(std::size_t n) const override {
        const double per_group = 16.0 + (asym_ ? bits_ : 0);
        if (n == 0) return bits_ + per_group / static_cast<double>(group_);
        const double groups = std::ceil(static_cast<double>(n) / static_cast<double>(group_));
        return bits_ + per_group * groups / static_cast<double>(n);
    }
    std::string element_spec() const override {
        return "int:b=" + std::to_string(bits_) + ",scale=1" + (asym_ ? ",signed=0" : ",narrow=1");
    }
    std::string scale_spec() const override { return "float:e=5,m=10,sat=1"; }

    struct Params {
        double scale = 1;
        std::int64_t zero = 0;
    };
    Params params(const double* data, std::size_t n) const {
        double lo = 0, hi = 0;  // the range always holds 0
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(data[i])) lo = std::min(lo, data[i]), hi = std::max(hi, data[i]);
        return params_from_range(lo, hi, false);
    }
    // From the group's range: the FP16 scale rounds span / qmax, by the reference's exact
    // comparisons (round_scaled_rne) or, on the fast path, by the FP16 grid's own rule.
    Params params_from_range(double lo, double hi, bool fast) const {
        Params p;
        const double span = asym_ ? hi - lo : std::max(hi, -lo);
        if (fast) {  // branch-free: rint(v) for 0 <= v < 2^52 is (v + 2^52) - 2^52
            const double scale = fp16_grid_.round_quotient_nearest_even(span, qmax_, 1 / qmax_);
            p.scale = scale == 0 ? 0x1p-24 : scale;
            const double v = -lo / p.scale;
            p.zero = asym_ ? static_cast<std::int64_t>(std::min((v + 0x1p52) - 0x1p52, qmax_)) : 0;
            return p;
        }
        p.scale = round_scaled_rne(*fp16_, qmax_, span) / qmax_;
        if (p.scale == 0) p.scale = 0x1p-24;
        if (asym_)
            p.zero = static_cast<std::int64_t>(std::clamp(std::rint(-lo / p.scale), 0.0, qmax_));
        return p;
    }
    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        const Params p = params(data, n);
        auto element = make_int(bits_, 1, p.zero, !asym_, !asym_);
        std::string spec = "int:b=" + std::to_string(bits_) + ",scale=" + shortest_repr(p.scale);
        spec +=
            asym_ ? (p.zero ? ",zero=" + std::to_string(p.zero) : "") + ",signed=0" : ",narrow=1";
        return std::make_shared<ScaledFormat>("int", spec, std::move(element), p.scale,
                                              InfInput::saturate, fp16_->encode(p.scale), true);
    }
    // The fast path, per group: the range in one float32 pass (NaN and +-Inf left out, as in
    // params()), the same FP16 scale and zero point, then the elements on the lattice
    // scale * (k - zero): nearest-even by the float32 kernel (int_lattice.hpp; a group with a
    // value next to a midpoint takes the exact double kernel), stochastic rounding by exact
    // comparisons, drawing as the reference does (stream seed + group start, one draw per
    // value off the lattice).
    bool quantize_blocks(const float* in, float* out, std::size_t n,
                         const QuantizeOptions& options) const override {
        const bool stochastic = options.rounding == Rounding::stochastic;
        if (options.rounding != Rounding::nearest_even && !stochastic) return false;
        Rng rng;
        // Up to 32 groups at a time: their ranges, then their parameters (short chains of
        // divisions, independent of one another, so they overlap in the pipeline), then their
        // elements.
        constexpr std::size_t kBatch = 32;
        double scale[kBatch], k_lo[kBatch], k_hi[kBatch];
        float lo[kBatch], hi[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * group_) {
            const std::size_t groups = std::min(kBatch, (n - first + group_ - 1) / group_);
            for (std::size_t g = 0; g < groups; ++g) {
                const std::size_t start = first + g * group_;
                const std::size_t count = std::min(group_, n - start);
                // Groups of 32 and 128 (the usual sizes) get loops unrolled at compile time.
                if (count == 32)
                    finite_range(in + start, 32, lo[g], hi[g]);
                else if (count == 128)
                    finite_range(in + start, 128, lo[g], hi[g]);
                else
                    finite_range(in + start, count, lo[g], hi[g]);
            }
            for (std::size_t g = 0; g < groups; ++g) {  // short independent chains
                const Params p = params_from_range(lo[g], hi[g], true);
                // Offsets k - zero: symmetric -qmax .. qmax, asymmetric -z .. qmax - z.
                const double zero = static_cast<double>(p.zero);
                scale[g] = p.scale;
                k_lo[g] = asym_ ? -zero : -qmax_;
                k_hi[g] = asym_ ? qmax_ - zero : qmax_;
            }
            for (std::size_t g = 0; g < groups; ++g) {
                const std::size_t start = first + g * group_;
                const std::size_t count = std::min(group_, n - start);
                const float* x = in + start;
                float* o = out + start;
                if (stochastic) {
                    rng.reseed(options.seed + start);
                    stochastic_group(x, o, count, scale[g], k_lo[g], k_hi[g], rng);
                } else if (!nearest_even_group(x, o, count, scale[g], k_lo[g], k_hi[g])) {
                    round_int_lattice_exact(x, o, count, scale[g], k_lo[g], k_hi[g]);
                }
            }
        }
        return true;
    }

  private:
    static bool nearest_even_group(const float* x, float* o, std::size_t count, double scale,
                                   double k_lo, double k_hi) {
        const auto s = static_cast<float>(scale);
        const auto lo = static_cast<float>(k_lo), hi = static_cast<float>(k_hi);
        if (count == 32) return round_int_lattice_float(x, o, 32, s, lo, hi);
        if (count == 128) return round_int_lattice_float(x, o, 128, s, lo, hi);
        return round_int_lattice_float(x, o, count, s, lo, hi);
    }

    // The smallest and largest finite value with 0 (lo <= 0 <= hi; a -0 may come back as lo,
    // which changes neither span nor zero point). Floats compare as the integers
    // bits ^ (sign ? 0x7fffffff : 0), so the min and max are integer reductions that
    // vectorize (a float min/max reduction does not, without fast-math).
    static void finite_range(const float* x, std::size_t count, float& lo, float& hi) {
        std::int32_t lo_key = 0, hi_key = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint32_t bits = float32_bits(x[i]);
            const bool finite = (bits & 0x7fffffffu) < 0x7f800000u;
            const auto key =
                static_cast<std::int32_t>(finite ? bits ^ ((0u - (bits >> 31)) & 0x7fffffffu) : 0u);
            lo_key = key < lo_key ? key : lo_key;
            hi_key = key > hi_key ? key : hi_key;
        }
        auto value = [](std::int32_t key) {
            const auto bits = static_cast<std::uint32_t>(key);
            return float_from_bits(bits ^ ((0u - (bits >> 31)) & 0x7fffffffu));
        };
        lo = value(lo_key), hi = value(hi_key);
    }

    // Stochastic rounding onto scale * k for offsets k_lo .. k_hi, as the reference's scaled
    // bracket: the neighbours by exact comparisons with k * scale (the quotient only guesses
    // k), no draw on a lattice point or beyond one step past the range (then resolved to the
    // end of the range), a single +0.
    static void stochastic_group(const float* x, float* o, std::size_t count, double scale,
                                 double k_lo, double k_hi, Rng& rng) {
        const double lim_lo = k_lo - 1, lim_hi = k_hi + 1;
        const double min = k_lo * scale, max = k_hi * scale;
        for (std::size_t i = 0; i < count; ++i) {
            const double v = x[i];
            const double y = v / scale;
            double r = v;  // NaN stays; +-Inf and values far out clamp below, undrawn
            if (y >= lim_lo && y <= lim_hi) {
                double k = std::floor(y);
                k -= k * scale > v ? 1 : 0;
                k += (k + 1) * scale <= v ? 1 : 0;
                const double low = k * scale;
                if (low != v) {
                    const double high = (k + 1) * scale;
                    r = rng.uniform() * (high - low) < v - low ? high : low;
                }
            }
            r = r > max ? max : r < min ? min : r;
            o[i] = static_cast<float>(r + 0.0);  // one zero: + 0 turns -0 into +0
        }
    }

    int bits_;
    std::size_t group_;
    bool asym_;
    double qmax_ = 0;
    std::shared_ptr<const FormatImpl> fp16_ = [] {
        SpecArgs args = *SpecArgs::split("float:e=5,m=10,sat=1");
        return *parse_float(args);
    }();
    // FP16 (binary16): 10 fraction bits, smallest normal 2^-14, subnormals, max 65504.
    BinaryFloatGrid fp16_grid_{10, -14, 65504, true};
};

}  // namespace

// ---- 5. Parsers ------------------------------------------------------------------------------

const FormatKindInfo& mx_kind(const std::string& kind) {
    static const std::vector<FormatKindInfo> kinds = [] {
        auto declare = [](const std::string& k, const std::string& meaning) {
            std::vector<ParamChoice> variants;
            for (const auto& e : kMxElements) {
                if (k != e.kind || !*e.variant) continue;
                // The element type's own description (the MX elements are OCP types).
                for (const auto& c : ocp_variants(k.substr(2)))
                    if (c.name == e.variant) variants.push_back(c);
            }
            std::vector<FormatParam> params;
            std::vector<FormatExample> examples;
            if (!variants.empty())
                params.push_back(
                    Param::variant(variants).means("written right after the colon, without a key"));
            for (const auto& v : variants) examples.push_back({k + ":" + v.name, ""});
            if (variants.empty()) examples.push_back({k, ""});
            params.push_back(Param::integer("block", 1, 1 << 20)
                                 .by_default("32")
                                 .label("per scale")
                                 .means("elements that share one scale (MX v1.0: 32)")
                                 .slider(1, 256, true));
            examples.push_back(
                {examples.front().spec + (variants.empty() ? ":" : ",") + "block=16", ""});
            return FormatKindInfo{k, meaning, {FormatForm{"", "", params, examples}}};
        };
        return std::vector<FormatKindInfo>{
            declare("mxfp8",
                    "MXFP8 (OCP MX v1.0): blocks of 32 FP8 elements (E4M3 or E5M2) share one E8M0 "
                    "power-of-two scale"),
            declare("mxfp6",
                    "MXFP6 (OCP MX v1.0): blocks of 32 FP6 elements (E2M3 or E3M2) share one E8M0 "
                    "power-of-two scale"),
            declare("mxfp4",
                    "MXFP4 (OCP MX v1.0): blocks of 32 FP4 E2M1 elements share one E8M0 "
                    "power-of-two scale"),
            declare("mxint8",
                    "MXINT8 (OCP MX v1.0): blocks of 32 8-bit integers times 2^-6 share one E8M0 "
                    "scale"),
        };
    }();
    for (const auto& k : kinds)
        if (k.kind == kind) return k;
    assert(false && "an MX kind");
    return kinds.front();
}

const FormatKindInfo& nvfp4_kind() {
    static const FormatKindInfo kind{
        "nvfp4",
        "NVFP4: blocks of 16 FP4 E2M1 elements with an FP8 E4M3 scale, and an FP32 scale per "
        "tensor",
        {FormatForm{
            "",
            "",
            {Param::number("global", std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max())
                 .label("FP32 scale")
                 .means("the per-tensor FP32 scale, a positive FP32 number (absent: fitted to "
                        "each tensor, amax / (6 * 448))")
                 .slider(1e-4, 1e4, true)},
            {{"nvfp4", ""}, {"nvfp4:global=0.01", ""}}}}};
    return kind;
}

ImplResult parse_mx(SpecArgs& args, const std::string& kind) {
    const FormatKindInfo& info = mx_kind(kind);
    ParamReader r(args, info);
    std::string variant;
    if (info.positional_variant())
        if (Status s = r.read("variant", variant); !s) return s;
    std::int64_t block = 0;
    if (Status s = r.read("block", block); !s) return s;
    for (const auto& e : kMxElements)
        if (kind == e.kind && variant == e.variant)
            return std::shared_ptr<const FormatImpl>(
                std::make_shared<MxFormat>(e, static_cast<std::size_t>(block)));
    assert(false && "the declared element types are the table's");
    return args.fail("unknown element type '" + variant + "'");
}

ImplResult parse_nvfp4(SpecArgs& args) {
    ParamReader r(args, nvfp4_kind());
    double global = NAN;  // absent: fitted to each tensor
    if (Status s = r.read("global", global); !s) return s;
    if (std::isnan(global))
        return std::shared_ptr<const FormatImpl>(std::make_shared<NvFp4Format>());
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<NvFp4Format>(static_cast<float>(global)));
}

ImplResult make_int_group(int bits, std::size_t group, bool asym) {
    return std::shared_ptr<const FormatImpl>(std::make_shared<IntGroupFormat>(bits, group, asym));
}

}  // namespace qlab::detail
