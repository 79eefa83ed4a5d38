// IEEE-754-style binary floating point with E exponent and M fraction bits: subnormals, signed
// zero, +-inf and NaN. float:e=5,m=10 is binary16 and float:e=8,m=7 is bfloat16, bit for bit.
// sub=0 drops the subnormal atoms; sat=1 maps overflow (and +-inf) to +-max finite.
#include <cmath>
#include <cstring>

#include "binary_float.hpp"
#include "format_impls.hpp"

namespace qlab::detail {
namespace {

class FloatFormat final : public FormatImpl {
  public:
    FloatFormat(int exp_bits, int man_bits, bool subnormals, bool saturate)
        : e_(exp_bits), m_(man_bits), sub_(subnormals), sat_(saturate) {
        bias_ = (1 << (exp_bits - 1)) - 1;
        emax_ = bias_;
        emin_ = 1 - bias_;
        max_ = std::ldexp(2.0 - std::ldexp(1.0, -man_bits), emax_);
        min_normal_ = std::ldexp(1.0, emin_);
        grid_ = {man_bits, emin_, max_, subnormals};
    }

    std::string kind() const override { return "float"; }
    std::string canonical_spec() const override {
        return "float:e=" + std::to_string(e_) + ",m=" + std::to_string(m_) +
               (sub_ ? "" : ",sub=0") + (sat_ ? ",sat=1" : "");
    }

    Bracket bracket(double x) const override {
        const double a = std::fabs(x);
        bool lo_even = true, hi_even = false;
        double lo = 0, hi = 0;
        if (a == 0) {
            lo = hi = 0;
        } else if (!sub_ && a < min_normal_) {
            // Only 0 and the smallest normal remain; a tie goes to zero.
            lo = 0, hi = min_normal_;
        } else if (a > max_) {
            // IEEE decides overflow as if the exponent range went on: the next point would be
            // 2^(emax+1), which resolve() turns into inf (or max when saturating). x may lie
            // beyond it; every rounding rule still picks the right side.
            lo = max_, hi = std::ldexp(1.0, emax_ + 1);
            lo_even = code_is_even(std::ldexp(max_, m_ - emax_), emax_);
            hi_even = !lo_even;
        } else {
            double n = 0;
            int e = 0;
            grid_.neighbours(a, lo, hi, n, e);
            lo_even = code_is_even(n, e);
            hi_even = !lo_even;
        }
        if (std::signbit(x)) return {-hi, -lo, hi_even};
        return {lo, hi, lo_even};
    }

    double resolve(double v) const override {
        if (std::fabs(v) <= max_) return v;
        return std::copysign(sat_ ? max_ : INFINITY, v);
    }

    double next_up(double x) const override { return grid_.next_up(x); }
    double next_down(double x) const override { return grid_.next_down(x); }

    bool keeps_negative_zero() const override { return true; }
    bool has_infinity() const override { return !sat_; }
    double max_finite() const override { return max_; }
    double min_finite() const override { return -max_; }
    double min_positive() const override { return grid_.min_positive(); }
    double epsilon() const override { return std::ldexp(1.0, -m_); }
    double atom_count() const override {
        // Distinct finite values: zero once, then both signs of normals and subnormals.
        const double per_sign =
            (std::ldexp(1.0, e_) - 2) * std::ldexp(1.0, m_) + (sub_ ? std::ldexp(1.0, m_) - 1 : 0);
        return 2 * per_sign + 1;
    }
    int bits() const override { return 1 + e_ + m_; }

    Encoding encode(double v) const override {
        Encoding enc;
        enc.total_bits = 1 + e_ + m_;
        const std::uint64_t sign = std::signbit(v) ? 1 : 0;
        const std::uint64_t all_ones = (1ull << e_) - 1;
        std::uint64_t exp_field = 0, man_field = 0;
        const double a = std::fabs(v);
        if (std::isnan(v)) {
            exp_field = all_ones;
            man_field = m_ > 0 ? (1ull << (m_ - 1)) : 0;  // quiet NaN; M=0 has no NaN code
        } else if (std::isinf(a) || a > max_) {
            exp_field = sat_ ? all_ones - 1 : all_ones;
            man_field = sat_ ? (m_ >= 64 ? ~0ull : (1ull << m_) - 1) : 0;
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
        // Bit arithmetic on float32 is exact only when every input's quantum is a float32
        // quantum: E <= 8 keeps float32 subnormals inside this format's subnormal range.
        const bool fast = sub_ && e_ <= 8 && m_ <= 23;
        if (fast && options.rounding == Rounding::nearest_even)
            return grid_.round_float32_nearest_even(
                in, out, n, sat_ ? float32_bits(static_cast<float>(max_)) : 0x7f800000u);
        if (fast && options.rounding == Rounding::stochastic)
            return quantize_stochastic(in, out, n, options.seed);
        FormatImpl::quantize_array(in, out, n, options);
    }

  private:
    // Stochastic rounding in double (exact for float32 inputs), drawing exactly as the
    // reference: one stream seeded `seed`, one draw per finite value off the lattice; past max
    // the bracket is [max, 2^(emax+1)] (see bracket()), resolved to inf or max.
    void quantize_stochastic(const float* in, float* out, std::size_t n, std::uint64_t seed) const {
        Rng rng(seed);
        const double over = std::ldexp(1.0, emax_ + 1), big = sat_ ? max_ : INFINITY;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = in[i];
            double r = x;  // NaN stays NaN, +-inf resolves below
            if (std::isfinite(x)) r = grid_.stochastic_point(x, over, true, rng);
            if (std::fabs(r) > max_) r = std::copysign(big, r);
            out[i] = static_cast<float>(r);
        }
    }

    // Parity of the bit pattern of n * 2^(e - m), which is what round-half-even looks at.
    bool code_is_even(double n, int e) const {
        if (n == 0) return true;
        if (m_ > 0) return std::fmod(n, 2.0) == 0;
        // No fraction bits: consecutive atoms differ in the exponent field.
        const int biased = n >= 1 && e >= emin_ ? e + bias_ : 0;
        return biased % 2 == 0;
    }

    int e_, m_;
    bool sub_, sat_;
    int bias_ = 0, emax_ = 0, emin_ = 0;
    double max_ = 0, min_normal_ = 0;
    BinaryFloatGrid grid_;
};

}  // namespace

const FormatKindInfo& float_kind() {
    static const FormatKindInfo kind{
        "float",
        "IEEE-754-style binary floating point: sign, E exponent bits (bias 2^(E-1) - 1), M "
        "fraction bits, subnormals, +-inf and NaN; e=5,m=10 is binary16, e=8,m=7 bfloat16",
        {FormatForm{
            "",
            "",
            {Param::integer("e", 2, 11).required().label("exponent bits").means("exponent bits"),
             Param::integer("m", 0, 52)
                 .required()
                 .label("fraction bits")
                 .means("fraction (mantissa) bits after the implicit leading 1"),
             Param::boolean("sub", true)
                 .label("subnormals")
                 .means("0 removes the atoms between 0 and the smallest normal, as in Cherkhev's "
                        "float lattices; values there round to 0 or the smallest normal"),
             Param::boolean("sat", false)
                 .label("saturate")
                 .means("1: overflow gives +-max finite instead of +-inf")},
            {{"float:e=5,m=10", "binary16"},
             {"float:e=8,m=7", "bfloat16"},
             {"float:e=4,m=3", "IEEE e4m3"},
             {"float:e=5,m=2", "IEEE e5m2"}}}}};
    return kind;
}

ImplResult parse_float(SpecArgs& args) {
    ParamReader r(args, float_kind());
    int exp_bits = 0, man_bits = 0;
    bool subnormals = false, saturate = false;  // set from the spec or the declared default
    if (Status s = r.read("e", exp_bits); !s) return s;
    if (Status s = r.read("m", man_bits); !s) return s;
    if (Status s = r.read("sub", subnormals); !s) return s;
    if (Status s = r.read("sat", saturate); !s) return s;
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<FloatFormat>(exp_bits, man_bits, subnormals, saturate));
}

}  // namespace qlab::detail
