// Two's complement (fixed:) and unsigned (ufixed:) fixed point: atoms k * 2^-f for k in the
// integer range of w bits, saturating or wrapping on overflow.
#include <cmath>

#include "format_impls.hpp"

namespace qlab::detail {
namespace {

class FixedFormat final : public FormatImpl {
  public:
    FixedFormat(int width, int frac, bool is_signed, bool wrap)
        : width_(width), frac_(frac), signed_(is_signed), wrap_(wrap) {
        kmin_ = is_signed ? -std::ldexp(1.0, width - 1) : 0.0;
        kmax_ = is_signed ? std::ldexp(1.0, width - 1) - 1 : std::ldexp(1.0, width) - 1;
    }

    std::string kind() const override { return signed_ ? "fixed" : "ufixed"; }
    std::string canonical_spec() const override {
        return kind() + ":w=" + std::to_string(width_) + ",f=" + std::to_string(frac_) +
               (wrap_ ? ",overflow=wrap" : "");
    }

    Bracket bracket(double x) const override {
        const double y = std::ldexp(x, frac_);
        // Far beyond any representable code: treat as a lattice point and let resolve() clamp.
        if (std::fabs(y) > 0x1p60) return {x, x, true};
        const double k = std::floor(y);
        const double lo = std::ldexp(k, -frac_);
        if (k == y) return {lo, lo, is_even(k)};
        return {lo, std::ldexp(k + 1, -frac_), is_even(k)};
    }

    double resolve(double v) const override {
        if (std::isinf(v)) return std::ldexp(v > 0 ? kmax_ : kmin_, -frac_);
        const double k = std::ldexp(v, frac_);
        if (k >= kmin_ && k <= kmax_) return v;
        if (!wrap_) return std::ldexp(k > kmax_ ? kmax_ : kmin_, -frac_);
        const double modulus = std::ldexp(1.0, width_);
        double wrapped = std::fmod(k - kmin_, modulus);  // exact for doubles
        if (wrapped < 0) wrapped += modulus;
        return std::ldexp(kmin_ + wrapped, -frac_);
    }

    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (x >= max_finite()) return INFINITY;
        if (x < min_finite()) return min_finite();
        return std::ldexp(std::floor(std::ldexp(x, frac_)) + 1, -frac_);
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (x <= min_finite()) return -INFINITY;
        if (x > max_finite()) return max_finite();
        return std::ldexp(std::ceil(std::ldexp(x, frac_)) - 1, -frac_);
    }

    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return std::ldexp(kmax_, -frac_); }
    double min_finite() const override { return std::ldexp(kmin_, -frac_); }
    double min_positive() const override { return std::ldexp(1.0, -frac_); }
    double epsilon() const override { return std::ldexp(1.0, -frac_); }
    double atom_count() const override { return std::ldexp(1.0, width_); }
    int bits() const override { return width_; }

    Encoding encode(double atom) const override {
        Encoding e;
        e.total_bits = width_;
        const double k = std::ldexp(resolve(atom), frac_);
        const std::uint64_t mask = width_ >= 64 ? ~0ull : ((1ull << width_) - 1);
        e.code = static_cast<std::uint64_t>(static_cast<std::int64_t>(k)) & mask;
        e.fields.push_back({"integer code", width_, e.code});
        return e;
    }

    void quantize_array(const float* in, float* out, std::size_t n,
                        const QuantizeOptions& options) const override {
        // Round-to-nearest-even by the magic-number add: exact when |k| <= 2^22 and the scale
        // keeps every code a normal float.
        const bool fast = options.rounding == Rounding::nearest_even && !wrap_ && kmax_ <= 0x1p22 &&
                          kmin_ >= -0x1p22 && frac_ >= -100 && frac_ <= 100;
        if (!fast) return FormatImpl::quantize_array(in, out, n, options);
        const float scale = std::ldexp(1.0f, frac_);
        const float inv_scale = std::ldexp(1.0f, -frac_);
        const float lo = static_cast<float>(kmin_), hi = static_cast<float>(kmax_);
        const float magic = 0x1.8p23f;
        for (std::size_t i = 0; i < n; ++i) {
            float y = in[i] * scale;
            y = y < lo ? lo : y;  // comparisons keep NaN, unlike fmin/fmax
            y = y > hi ? hi : y;
            y = (y + magic) - magic;
            out[i] = y * inv_scale + 0.0f;  // + 0.0f turns -0 into +0: fixed point has one zero
        }
    }

  private:
    static bool is_even(double k) { return std::fmod(k, 2.0) == 0; }
    int width_, frac_;
    bool signed_, wrap_;
    double kmin_ = 0, kmax_ = 0;
};

}  // namespace

std::shared_ptr<const FormatImpl> make_fixed(int width, int frac, bool is_signed, bool wrap) {
    return std::make_shared<FixedFormat>(width, frac, is_signed, wrap);
}

const FormatKindInfo& fixed_kind(bool is_signed) {
    auto declare = [](bool s) {
        const std::string kind = s ? "fixed" : "ufixed";
        FormatForm form{
            "",
            "",
            {Param::integer("w", s ? 2 : 1, 53)
                 .required()
                 .label("bits")
                 .means(s ? "width in bits, the sign included" : "width in bits"),
             // w - f <= 1000 for every w keeps each atom a normal double (exact arithmetic).
             Param::integer("f", 53 - 1000, 1000)
                 .required()
                 .label("fraction bits")
                 .means("atoms are multiples of 2^-f (a negative f: steps of 2^|f|)")
                 .slider(-8, 32),
             Param::choice("overflow",
                           {{"sat", "a value beyond the range saturates to the nearest end"},
                            {"wrap",
                             "the integer code wraps around modulo 2^w, as plain "
                             "integer hardware does"}},
                           "sat")
                 .label("overflow")
                 .means("what a value beyond the range becomes")},
            {{kind + ":w=8,f=4", ""}, {kind + ":w=4,f=2", ""}, {kind + ":w=16,f=8", ""}}};
        return FormatKindInfo{
            kind,
            s ? "two's complement fixed point: w bits with f fraction bits, atoms k*2^-f for k "
                "in [-2^(w-1), 2^(w-1) - 1]"
              : "unsigned fixed point: atoms k*2^-f for k = 0 .. 2^w - 1",
            {form}};
    };
    static const FormatKindInfo fixed = declare(true), ufixed = declare(false);
    return is_signed ? fixed : ufixed;
}

ImplResult parse_fixed(SpecArgs& args, bool is_signed) {
    ParamReader r(args, fixed_kind(is_signed));
    int width = 0, frac = 0;
    std::string overflow;
    if (Status s = r.read("w", width); !s) return s;
    if (Status s = r.read("f", frac); !s) return s;
    if (Status s = r.read("overflow", overflow); !s) return s;
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<FixedFormat>(width, frac, is_signed, overflow == "wrap"));
}

}  // namespace qlab::detail
