// The OCP element types: FP8 E4M3/E5M2 (OCP 8-bit Floating Point Specification, OFP8, §4-5),
// FP6 E2M3/E3M2, FP4 E2M1 and the E8M0 scale (OCP Microscaling Formats (MX) v1.0, §5.3-5.4).
// fp8 takes sat=1 (OFP8 §5 saturating conversion); FP6/FP4 always saturate (MX §5.3.3). Also the
// FNUZ FP8 variants ONNX names FLOAT8E4M3FNUZ and FLOAT8E5M2FNUZ (Graphcore/AMD): bias one
// higher (8, 16), no infinity, no negative zero, and 0x80 (S=1, all else 0) the only NaN.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "binary_float.hpp"
#include "format_impls.hpp"

namespace qlab::detail {
namespace {

// What the codes above max finite mean.
enum class Specials {
    none,      // FP6/FP4 (MX §5.3.3): every code is finite
    nan_only,  // E4M3 (OFP8 §4.1): S.1111.111 is NaN, S.1111.000-110 are normals, no infinity
    ieee,      // E5M2 (OFP8 §4.1): S.11111.00 is infinity, S.11111.{01,10,11} NaN
    fnuz,      // E4M3FNUZ, E5M2FNUZ: every code but 0x80 finite, 0x80 NaN, no -0, bias + 1
};

// A small binary float with subnormals whose lattice continues the IEEE one beyond max, so
// overflow is decided by the same rounding rule as IEEE and resolved afterwards (OFP8 §5).
class OcpFloat final : public FormatImpl {
  public:
    OcpFloat(std::string name, int exp_bits, int man_bits, Specials specials, bool saturate)
        : name_(std::move(name)), e_(exp_bits), m_(man_bits), specials_(specials), sat_(saturate) {
        bias_ = (1 << (e_ - 1)) - 1 + (specials_ == Specials::fnuz ? 1 : 0);
        emin_ = 1 - bias_;
        // The largest exponent field that holds finite values, and its largest mantissa.
        const int top_field = specials_ == Specials::ieee ? (1 << e_) - 2 : (1 << e_) - 1;
        const int top_man = specials_ == Specials::nan_only ? (1 << m_) - 2 : (1 << m_) - 1;
        emax_ = top_field - bias_;
        max_ = std::ldexp(1.0 + std::ldexp(static_cast<double>(top_man), -m_), emax_);
        max_code_ =
            (static_cast<std::uint64_t>(top_field) << m_) | static_cast<std::uint64_t>(top_man);
        min_normal_ = std::ldexp(1.0, emin_);
        grid_ = {m_, emin_, max_, true};
    }

    std::string kind() const override { return name_.substr(0, name_.find(':')); }
    std::string canonical_spec() const override {
        return name_ + (sat_ && kind() == "fp8" ? ",sat=1" : "");
    }

    Bracket bracket(double x) const override {
        const double a = std::fabs(x);
        bool lo_even = true, hi_even = false;
        double lo = 0, hi = 0;
        if (a == 0) {
            lo = hi = 0;
        } else if (a > max_) {
            // OFP8 §5: round as if the exponent range went on; the next lattice point beyond
            // max is one max-ulp above it, and resolve() maps it to NaN, inf or max.
            lo = max_, hi = max_ + std::ldexp(1.0, emax_ - m_);
            lo_even = (max_code_ & 1) == 0;
            hi_even = !lo_even;
        } else {
            double n = 0;
            int e = 0;
            grid_.neighbours(a, lo, hi, n, e);
            lo_even = std::fmod(n, 2.0) == 0;
            hi_even = !lo_even;
        }
        if (std::signbit(x)) return {-hi, -lo, hi_even};
        return {lo, hi, lo_even};
    }

    double resolve(double v) const override {
        if (!(std::fabs(v) > max_)) return v;
        if (sat_) return std::copysign(max_, v);
        return specials_ == Specials::ieee ? std::copysign(INFINITY, v) : NAN;
    }
    // Between -min_positive and 0 the lattice steps to +0 (there is no -0 to step to).
    double next_up_signed(double x) const {
        const double u = grid_.next_up(x);
        return u == 0 ? 0.0 : u;
    }

    double next_up(double x) const override {
        return specials_ == Specials::fnuz ? next_up_signed(x) : grid_.next_up(x);
    }
    double next_down(double x) const override { return grid_.next_down(x); }

    bool keeps_negative_zero() const override { return specials_ != Specials::fnuz; }
    bool has_infinity() const override { return specials_ == Specials::ieee && !sat_; }
    double max_finite() const override { return max_; }
    double min_finite() const override { return -max_; }
    double min_positive() const override { return grid_.min_positive(); }
    double epsilon() const override { return std::ldexp(1.0, -m_); }
    // Codes 1..max_code per sign are the positive finite values in order, plus one zero.
    double atom_count() const override { return 2.0 * static_cast<double>(max_code_) + 1; }
    int bits() const override { return 1 + e_ + m_; }

    Encoding encode(double v) const override {
        Encoding enc;
        enc.total_bits = bits();
        const std::uint64_t sign = std::signbit(v) ? 1 : 0;
        const std::uint64_t all_ones = (1ull << e_) - 1, man_ones = (1ull << m_) - 1;
        std::uint64_t exp_field = 0, man_field = 0;
        const double a = std::fabs(v);
        if (specials_ == Specials::fnuz && (std::isnan(v) || (a > max_ && !sat_))) {
            enc.code = 0x80;  // the only NaN: S = 1, exponent and mantissa 0
            enc.fields = {{"sign", 1, 1}, {"exponent", e_, 0}, {"mantissa", m_, 0}};
            return enc;
        }
        if (specials_ == Specials::fnuz && a == 0) {
            enc.fields = {{"sign", 1, 0}, {"exponent", e_, 0}, {"mantissa", m_, 0}};
            return enc;  // code 0: the one zero
        }
        if (std::isnan(v) || (a > max_ && !sat_ && specials_ == Specials::nan_only)) {
            if (specials_ == Specials::none) return enc;  // MX §5.3.3: no NaN code
            exp_field = all_ones;
            man_field = specials_ == Specials::nan_only ? man_ones : 1ull << (m_ - 1);
        } else if (a > max_ && !sat_ && specials_ == Specials::ieee) {
            exp_field = all_ones;
        } else if (a > max_) {
            exp_field = max_code_ >> m_, man_field = max_code_ & man_ones;
        } else if (a >= min_normal_) {
            const int e = std::ilogb(a);
            exp_field = static_cast<std::uint64_t>(e + bias_);
            man_field = static_cast<std::uint64_t>(std::ldexp(a, m_ - e) - std::ldexp(1.0, m_));
        } else {
            man_field = static_cast<std::uint64_t>(std::ldexp(a, m_ - emin_));
        }
        enc.code = (sign << (e_ + m_)) | (exp_field << m_) | man_field;
        enc.fields = {{"sign", 1, sign}, {"exponent", e_, exp_field}, {"mantissa", m_, man_field}};
        return enc;
    }

    void quantize_array(const float* in, float* out, std::size_t n,
                        const QuantizeOptions& options) const override {
        if (options.rounding != Rounding::nearest_even)
            return FormatImpl::quantize_array(in, out, n, options);
        // Round-half-even on the float32 bit pattern (every OCP element value and every
        // midpoint is a float32), then the overflow of OFP8 §5 / MX §5.3.3 by comparison.
        const std::uint32_t overflow_bits = sat_ ? float32_bits(static_cast<float>(max_))
                                            : specials_ == Specials::ieee ? 0x7f800000u
                                                                          : 0x7fc00000u;
        grid_.round_float32_nearest_even(in, out, n, overflow_bits);
        if (specials_ == Specials::fnuz)  // no negative zero: -0 becomes +0
            for (std::size_t i = 0; i < n; ++i) {
                std::uint32_t bits;
                std::memcpy(&bits, &out[i], 4);
                bits = bits == 0x80000000u ? 0u : bits;
                std::memcpy(&out[i], &bits, 4);
            }
    }

  private:
    std::string name_;
    int e_, m_;
    Specials specials_;
    bool sat_;
    int bias_ = 0, emin_ = 0, emax_ = 0;
    double max_ = 0, min_normal_ = 0;
    std::uint64_t max_code_ = 0;
    BinaryFloatGrid grid_;
};

// E8M0 (MX §5.4): 2^(k-127) for k = 0..254, k = 255 is NaN; no sign, no zero, no infinity.
// The spec defines no conversion into E8M0 for arbitrary values; ours rounds on the lattice of
// powers of two (linear midpoints 1.5 * 2^k, ties to the even code k) and returns NaN, the only
// non-finite code, for values above 2^127 when rounding goes up, for zero, negatives and +-inf.
// Positive values below 2^-127 have no atom beneath them and become 2^-127.
class E8M0 final : public FormatImpl {
  public:
    std::string kind() const override { return "e8m0"; }
    std::string canonical_spec() const override { return "e8m0"; }

    Bracket bracket(double x) const override {
        if (!(x > 0)) return {x, x, true};  // resolve() turns it into NaN
        if (x < kMin) return {kMin, kMin, true};
        if (x > kMax) return {kMax, 2 * kMax, true};  // k = 254 is even
        const int e = std::ilogb(x);
        const double lo = std::ldexp(1.0, e);
        return {lo, lo == x ? lo : 2 * lo, (e + 127) % 2 == 0};
    }
    double resolve(double v) const override { return v > 0 && v <= kMax ? v : NAN; }
    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (x < kMin) return kMin;
        if (x >= kMax) return INFINITY;
        return std::ldexp(1.0, std::ilogb(x) + 1);
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (x <= kMin) return -INFINITY;
        if (x > kMax) return kMax;
        const double p = std::ldexp(1.0, std::ilogb(x));
        return p == x ? p / 2 : p;
    }
    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return kMax; }
    double min_finite() const override { return kMin; }
    double min_positive() const override { return kMin; }
    double epsilon() const override { return 1; }
    double atom_count() const override { return 255; }
    int bits() const override { return 8; }
    Encoding encode(double v) const override {
        Encoding enc;
        enc.total_bits = 8;
        enc.code = v >= kMin && v <= kMax ? static_cast<std::uint64_t>(std::ilogb(v) + 127) : 0xFF;
        enc.fields = {{"exponent", 8, enc.code}};
        return enc;
    }

    void quantize_array(const float* in, float* out, std::size_t n,
                        const QuantizeOptions& options) const override {
        if (options.rounding != Rounding::nearest_even)
            return FormatImpl::quantize_array(in, out, n, options);
        // The float32 exponent field has the same bias as E8M0, so round-half-even to no
        // mantissa bits on the bit pattern gives the code (its parity is the float's).
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bits = float32_bits(in[i]);
            const auto sbits = static_cast<std::int32_t>(bits);
            const std::uint32_t normal = (bits + 0x3fffffu + ((bits >> 23) & 1u)) & 0x7f800000u;
            // Below 2^-126 only 2^-127 (0x00400000) and 2^-126 remain; the tie 1.5 * 2^-127
            // goes to the even code 0.
            const std::uint32_t tiny = sbits > 0x00600000 ? 0x00800000u : 0x00400000u;
            const std::uint32_t is_tiny = 0u - static_cast<std::uint32_t>(sbits < 0x00800000);
            const std::uint32_t r = (tiny & is_tiny) | (normal & ~is_tiny);
            // Zero, negatives, NaN and anything rounding above 2^127 have only the NaN code.
            const bool ok = sbits > 0 && sbits <= 0x7f800000 && r <= 0x7f000000u;
            const std::uint32_t v = ok ? r : 0x7fc00000u;
            std::memcpy(&out[i], &v, 4);
        }
    }

  private:
    static constexpr double kMin = 0x1p-127;
    static constexpr double kMax = 0x1p127;
};

struct Variant {
    const char* kind;
    const char* name;
    int e, m;
    Specials specials;
};
constexpr Variant kVariants[] = {
    {"fp8", "e4m3", 4, 3, Specials::nan_only}, {"fp8", "e5m2", 5, 2, Specials::ieee},
    {"fp8", "e4m3fnuz", 4, 3, Specials::fnuz}, {"fp8", "e5m2fnuz", 5, 2, Specials::fnuz},
    {"fp6", "e2m3", 2, 3, Specials::none},     {"fp6", "e3m2", 3, 2, Specials::none},
    {"fp4", "e2m1", 2, 1, Specials::none},
};

}  // namespace

std::shared_ptr<const FormatImpl> make_ocp(const std::string& kind, const std::string& variant,
                                           bool saturate) {
    if (kind == "e8m0") return std::make_shared<E8M0>();
    for (const auto& v : kVariants)
        if (kind == v.kind && variant == v.name)
            return std::make_shared<OcpFloat>(kind + ":" + variant, v.e, v.m, v.specials, saturate);
    return nullptr;
}

std::vector<ParamChoice> ocp_variants(const std::string& kind) {
    std::vector<ParamChoice> out;
    for (const auto& v : kVariants) {
        if (kind != v.kind) continue;
        const char* specials = "";
        switch (v.specials) {
            case Specials::none:
                specials = "no infinity or NaN";
                break;
            case Specials::nan_only:
                specials = "no infinity, one NaN per sign";
                break;
            case Specials::ieee:
                specials = "IEEE-like +-inf and NaN";
                break;
            case Specials::fnuz:
                specials = "no infinity, no -0, 0x80 the only NaN (bias one larger)";
                break;
        }
        const auto f = make_ocp(kind, v.name, false);
        out.push_back({v.name, std::to_string(v.e) + " exponent and " + std::to_string(v.m) +
                                   " mantissa bits, max " + shortest_repr(f->max_finite()) + ", " +
                                   specials});
    }
    return out;
}

const FormatKindInfo& ocp_kind(const std::string& kind) {
    static const std::vector<FormatKindInfo> kinds = [] {
        auto element = [](const std::string& k, std::vector<FormatParam> extra) {
            std::vector<FormatParam> params = {
                Param::variant(ocp_variants(k))
                    .means("written right after the colon, without a key")};
            params.insert(params.end(), extra.begin(), extra.end());
            std::vector<FormatExample> examples;
            for (const auto& v : ocp_variants(k)) examples.push_back({k + ":" + v.name, ""});
            return FormatForm{"", "", params, examples};
        };
        const FormatParam sat =
            Param::boolean("sat", false)
                .label("saturate")
                .means(
                    "1 clamps overflow (and E4M3's +-inf) to +-max (OFP8 §5 saturating "
                    "conversion); 0 gives NaN (E4M3) or +-inf (E5M2)");
        return std::vector<FormatKindInfo>{
            {"fp8",
             "OCP FP8 (OFP8): E4M3 (no infinity, max 448, one NaN per sign) or E5M2 (IEEE-like, "
             "max 57344); the FNUZ variants of ONNX and AMD (e4m3fnuz max 240, e5m2fnuz max "
             "57344): no infinity, no negative zero, 0x80 the only NaN",
             {element("fp8", {sat})}},
            {"fp6",
             "OCP MX FP6: E2M3 (max 7.5) or E3M2 (max 28); no infinity or NaN, overflow "
             "saturates (MX §5.3.3)",
             {element("fp6", {})}},
            {"fp4",
             "OCP MX FP4 E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; saturates at 6",
             {element("fp4", {})}},
            {"e8m0",
             "E8M0, the MX scale type (MX §5.4): powers of two 2^-127 .. 2^127 and one NaN code",
             {FormatForm{"", "", {}, {{"e8m0", ""}}}}},
        };
    }();
    for (const auto& k : kinds)
        if (k.kind == kind) return k;
    assert(false && "an OCP element kind");
    return kinds.front();
}

// The variant comes positionally (fp8:e4m3); Format::parse hands it over as key "variant".
ImplResult parse_ocp(SpecArgs& args, const std::string& kind) {
    if (kind == "e8m0") return std::shared_ptr<const FormatImpl>(std::make_shared<E8M0>());
    ParamReader r(args, ocp_kind(kind));
    std::string variant;
    if (Status s = r.read("variant", variant); !s) return s;
    bool saturate = kind != "fp8";  // MX §5.3.3: FP6/FP4 conversion saturates
    if (kind == "fp8")
        if (Status s = r.read("sat", saturate); !s) return s;
    return make_ocp(kind, variant, saturate);
}

}  // namespace qlab::detail
