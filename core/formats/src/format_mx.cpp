// OCP Microscaling v1.0 (MXFP8/6/4, MXINT8): blocks of k elements sharing an E8M0
// power-of-two scale (MX §5-6), the reference fit and the per-block fast path, and the parser.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "binary_float.hpp"
#include "format_block_scaled.hpp"
#include "format_impls.hpp"

namespace qlab::detail {
namespace {

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

}  // namespace

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

}  // namespace qlab::detail
