// Group-wise int as weight-only LLM quantizers store it (GPTQ, AWQ): an FP16 scale (and a zero
// point) per group of G values, the reference fit and the per-group fast path.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "binary_float.hpp"
#include "format_block_scaled.hpp"
#include "format_impls.hpp"
#include "int_lattice.hpp"

namespace qlab::detail {
namespace {

// Four float lanes (GCC and Clang vector extensions: SSE2 natively, simd128 in WebAssembly).
using V4f = float __attribute__((vector_size(16)));

// 1 / s for an FP16 value s > 0, rounded as the division rounds it, without dividing: s as a
// double is (1 + i / 1024) * 2^e (FP16's subnormals too: at most 10 bits after the leading one),
// so 1 / s is the table's rounded 1 / (1 + i / 1024) times 2^-e, an exact scaling.
struct Reciprocals {
    double of[1024];
};
constexpr Reciprocals make_reciprocals() {
    Reciprocals r{};
    for (int i = 0; i < 1024; ++i) r.of[i] = 1 / (1 + i / 1024.0);  // IEEE division, compiled
    return r;
}
constexpr Reciprocals kFp16Reciprocals = make_reciprocals();

double fp16_reciprocal(double s) {
    std::uint64_t bits;
    std::memcpy(&bits, &s, 8);
    return kFp16Reciprocals.of[(bits >> 42) & 0x3ff] * pow2(-exponent_of(s));
}

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
        return params_from_range(lo, hi);
    }
    // From the group's range: the FP16 scale rounds span / qmax by the reference's exact
    // comparisons (round_scaled_rne); the zero point rounds -lo / scale.
    Params params_from_range(double lo, double hi) const {
        Params p;
        const double span = asym_ ? hi - lo : std::max(hi, -lo);
        p.scale = round_scaled_rne(*fp16_, qmax_, span) / qmax_;
        if (p.scale == 0) p.scale = 0x1p-24;
        if (asym_)
            p.zero = static_cast<std::int64_t>(std::clamp(std::rint(-lo / p.scale), 0.0, qmax_));
        return p;
    }
    // The same on the fast path, in two steps (short chains, so consecutive groups overlap in
    // the pipeline): the scale by the FP16 grid's own rule (fp16_scale_fast), then the zero
    // point from -lo * (1 / scale), within an ulp of the reference's quotient -lo / scale; a
    // quotient that is not a half-integer lies far further from one (lo has 24 bits, scale 11),
    // so rint agrees unless this one is next to a half-integer (then it divides).
    double scale_fast(double lo, double hi) const {
        const double scale = fp16_scale_fast(asym_ ? hi - lo : std::max(hi, -lo));
        return scale == 0 ? 0x1p-24 : scale;
    }
    double zero_fast(double lo, double scale, double inv) const {
        double v = -lo * inv;
        const double r = (v + 0x1p52) - 0x1p52;  // rint for 0 <= v < 2^52
        if (std::fabs(std::fabs(v - r) - 0.5) < 0x1p-20) v = -lo / scale;
        return std::min((v + 0x1p52) - 0x1p52, qmax_);
    }
    // Round-half-even of span / qmax onto FP16, saturating, for the fast path. A float32
    // quotient (far closer than FP16's half step) gives the FP16 value c at or just below it
    // by clearing 13 fraction bits, and one exact comparison of span with the midpoint times
    // qmax (12 + 16 bits: exact in double) picks c or the next value (c's bits + 2^13, which
    // carries into the exponent). Results below FP16's smallest normal take the grid's rule.
    double fp16_scale_fast(double span) const {
        const auto q = static_cast<float>(span * (1 / qmax_));
        if (!(q >= 0x1p-14f)) return fp16_grid_.round_quotient_nearest_even(span, qmax_, 1 / qmax_);
        const std::uint32_t c = float32_bits(std::min(q, 65504.0f)) & ~0x1fffu;
        const double mid = static_cast<double>(float_from_bits(c | 0x1000u)) * qmax_;
        const bool up = (span > mid) | ((span == mid) & ((c & 0x2000u) != 0));
        return std::min(static_cast<double>(float_from_bits(c + (up ? 0x2000u : 0u))), 65504.0);
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
        float inv[kBatch];
        float lo[kBatch], hi[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * group_) {
            const std::size_t groups = std::min(kBatch, (n - first + group_ - 1) / group_);
            for (std::size_t g = 0; g < groups; ++g) {
                const std::size_t start = first + g * group_;
                const std::size_t count = std::min(group_, n - start);
                group_range(in + start, count, lo[g], hi[g]);
            }
            for (std::size_t g = 0; g < groups; ++g) scale[g] = scale_fast(lo[g], hi[g]);
            for (std::size_t g = 0; g < groups; ++g) {
                const double r = fp16_reciprocal(scale[g]);
                const double zero = asym_ ? zero_fast(lo[g], scale[g], r) : 0;
                inv[g] = static_cast<float>(r);
                // Offsets k - zero: symmetric -qmax .. qmax, asymmetric -z .. qmax - z.
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
                } else if (!nearest_even_group(x, o, count, scale[g], inv[g], k_lo[g], k_hi[g])) {
                    round_int_lattice_exact(x, o, count, scale[g], k_lo[g], k_hi[g]);
                }
            }
        }
        return true;
    }

  private:
    static bool nearest_even_group(const float* x, float* o, std::size_t count, double scale,
                                   float inv, double k_lo, double k_hi) {
        const auto s = static_cast<float>(scale);
        const auto lo = static_cast<float>(k_lo), hi = static_cast<float>(k_hi);
        if (std::max(-lo, hi) > kGroupWindowUpTo)
            return round_int_lattice_float<false>(x, o, count, s, inv, lo, hi);
        if (count == 32) return round_int_lattice_float<true>(x, o, 32, s, inv, lo, hi);
        if (count == 128) return round_int_lattice_float<true>(x, o, 128, s, inv, lo, hi);
        return round_int_lattice_float<true>(x, o, count, s, inv, lo, hi);
    }
    // Offsets up to which the float kernel's tie window is the group's widest (4-bit codes and
    // below: about 2 * 16 * 2^-20 of the values fall in it and take the exact kernel).
    static constexpr float kGroupWindowUpTo = 16;

    // The group's range for the fast path: float min/max lanes where they are single
    // instructions (x86: minps, maxps), falling back to finite_range() for a group holding an
    // infinity; in WebAssembly the integer keys of finite_range() measure faster (issue 19).
    // Groups of 32 and 128 (the usual sizes) get loops unrolled at compile time.
    static void group_range(const float* x, std::size_t count, float& lo, float& hi) {
#if defined(__wasm__)
        if (count == 32) return finite_range(x, 32, lo, hi);
        if (count == 128) return finite_range(x, 128, lo, hi);
        finite_range(x, count, lo, hi);
#else
        if (count == 32)
            range_with_infinities(x, 32, lo, hi);
        else if (count == 128)
            range_with_infinities(x, 128, lo, hi);
        else
            range_with_infinities(x, count, lo, hi);
        if (lo == -INFINITY || hi == INFINITY) finite_range(x, count, lo, hi);  // rare
#endif
    }

    // The smallest and largest value with 0, NaN left out (a comparison with NaN is false), in
    // eight running lanes of float min and max (one instruction each where the CPU has them).
    // An infinity comes back as lo or hi: then finite_range() decides.
    static void range_with_infinities(const float* x, std::size_t count, float& lo, float& hi) {
        V4f l0 = {0, 0, 0, 0}, l1 = l0, h0 = l0, h1 = l0;
        const std::size_t full = count / 8 * 8;
        for (std::size_t i = 0; i < full; i += 8) {
            V4f a, b;
            std::memcpy(&a, x + i, sizeof a);
            std::memcpy(&b, x + i + 4, sizeof b);
            l0 = min_else_second(a, l0), l1 = min_else_second(b, l1);
            h0 = max_else_second(a, h0), h1 = max_else_second(b, h1);
        }
        l0 = min_else_second(l1, l0), h0 = max_else_second(h1, h0);
        float l = 0, h = 0;
        for (int k = 0; k < 4; ++k) {
            l = l0[k] < l ? l0[k] : l;
            h = h0[k] > h ? h0[k] : h;
        }
        for (std::size_t i = full; i < count; ++i) {
            l = x[i] < l ? x[i] : l;
            h = x[i] > h ? x[i] : h;
        }
        lo = l, hi = h;
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

ImplResult make_int_group(int bits, std::size_t group, bool asym) {
    return std::shared_ptr<const FormatImpl>(std::make_shared<IntGroupFormat>(bits, group, asym));
}

}  // namespace qlab::detail
