// Affine integers, the scheme of production int8 toolkits: atoms scale * (k - zero) for codes k
// of b bits, signed (optionally narrow, dropping -2^(b-1)) or unsigned. Saturating.
#include <algorithm>
#include <cmath>

#include "format_impls.hpp"
#include "int_lattice.hpp"

namespace qlab::detail {
namespace {

class IntFormat final : public FormatImpl {
  public:
    IntFormat(int bits, double scale, std::int64_t zero, bool is_signed, bool narrow)
        : bits_(bits),
          scale_(scale),
          zero_(static_cast<double>(zero)),
          signed_(is_signed),
          narrow_(narrow) {
        qmin_ = is_signed ? -std::ldexp(1.0, bits - 1) + (narrow ? 1 : 0) : 0;
        qmax_ = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    }

    std::string kind() const override { return "int"; }
    std::string canonical_spec() const override {
        std::string s = "int:b=" + std::to_string(bits_) + ",scale=" + shortest_repr(scale_);
        if (zero_ != 0) s += ",zero=" + shortest_repr(zero_);
        if (!signed_) s += ",signed=0";
        if (narrow_) s += ",narrow=1";
        return s;
    }

    double atom(double code) const { return scale_ * (code - zero_); }

    Bracket bracket(double x) const override {
        if (x > atom(qmax_) + 2 * scale_ || x < atom(qmin_) - 2 * scale_) return {x, x, true};
        double k = std::floor(x / scale_) + zero_;
        while (atom(k) > x) k -= 1;
        while (atom(k + 1) <= x) k += 1;
        // Ties go to an even offset k - zero, as rint(x / scale) + zero does in int8 toolkits.
        const bool even = std::fmod(std::fabs(k - zero_), 2.0) == 0;
        if (atom(k) == x) return {x, x, even};
        return {atom(k), atom(k + 1), even};
    }
    double resolve(double v) const override {
        return v > max_finite() ? max_finite() : v < min_finite() ? min_finite() : v;
    }
    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (x >= max_finite()) return INFINITY;
        if (x < min_finite()) return min_finite();
        const Bracket b = bracket(x);
        return b.lo == b.hi ? atom(code_of(b.lo) + 1) : b.hi;
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (x <= min_finite()) return -INFINITY;
        if (x > max_finite()) return max_finite();
        const Bracket b = bracket(x);
        return b.lo == b.hi ? atom(code_of(b.lo) - 1) : b.lo;
    }
    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return atom(qmax_); }
    double min_finite() const override { return atom(qmin_); }
    double min_positive() const override { return next_up(0.0); }
    double epsilon() const override { return scale_; }
    double atom_count() const override { return qmax_ - qmin_ + 1; }
    int bits() const override { return bits_; }
    Encoding encode(double v) const override {
        Encoding e;
        e.total_bits = bits_;
        const auto k = static_cast<std::int64_t>(code_of(resolve(v)));
        e.code = static_cast<std::uint64_t>(k) & ((1ull << bits_) - 1);
        e.fields.push_back({"integer code", bits_, e.code});
        return e;
    }

    void quantize_array(const float* in, float* out, std::size_t n,
                        const QuantizeOptions& options) const override {
        if (options.rounding != Rounding::nearest_even)
            return FormatImpl::quantize_array(in, out, n, options);
        // The exact kernel (int_lattice.hpp) on offsets k - zero.
        round_int_lattice_exact(in, out, n, scale_, qmin_ - zero_, qmax_ - zero_);
    }

  private:
    double code_of(double atom_value) const {
        double k = std::round(atom_value / scale_) + zero_;
        while (atom(k) > atom_value) k -= 1;
        while (atom(k) < atom_value) k += 1;
        return k;
    }
    int bits_;
    double scale_, zero_;
    bool signed_, narrow_;
    double qmin_ = 0, qmax_ = 0;
};

}  // namespace

std::shared_ptr<const FormatImpl> make_int(int bits, double scale, std::int64_t zero,
                                           bool is_signed, bool narrow) {
    return std::make_shared<IntFormat>(bits, scale, zero, is_signed, narrow);
}

const FormatKindInfo& int_kind() {
    static const FormatForm affine{
        "affine",
        "atoms scale * (k - zero) for the b-bit codes k, saturating (the scheme of production int8 "
        "toolkits)",
        {Param::integer("b", 1, 32)
             .required()
             .label("bits")
             .means("bits per code (a signed int needs b >= 2)"),
         Param::number("scale", 1e-300, 1e300)
             .required()
             .label("step")
             .means("the step between neighbouring atoms")
             .slider(1e-4, 10, true),
         Param::integer("zero", -2147483648.0, 4294967295.0)
             .by_default("0")
             .label("zero point")
             .means("the code that stores 0: a code of the format (-2^(b-1) .. 2^(b-1) - 1, or "
                    "0 .. 2^b - 1 unsigned)"),
         Param::boolean("signed", true).label("signed").means("0: unsigned codes 0 .. 2^b - 1"),
         Param::boolean("narrow", false)
             .label("narrow range")
             .means("1 drops the most negative code (-127 .. 127 for 8 bits), so the range is "
                    "symmetric; signed only")},
        {{"int:b=8,scale=0.05", "int8"},
         {"int:b=4,scale=0.3,zero=2", ""},
         {"int:b=8,scale=0.05,zero=128,signed=0", "uint8"},
         {"int:b=32,scale=1", ""},
         {"int:b=32,scale=1,signed=0", ""}}};
    static const FormatForm group{
        "group-wise",
        "GPTQ/AWQ-style weight-only quantization: b-bit codes with an FP16 scale (and a zero "
        "point) per group of G values, fitted from the data",
        {Param::integer("b", 2, 16).required().label("bits").means("bits per code"),
         Param::integer("group", 1, 1 << 20)
             .required()
             .label("per scale")
             .means("values that share one scale")
             .slider(1, 256, true),
         Param::boolean("asym", false)
             .label("asymmetric, zero point")
             .means("0: scale = max|x| / (2^(b-1) - 1), codes -(2^(b-1) - 1) .. 2^(b-1) - 1; 1: "
                    "scale = (max - min) / (2^b - 1) over a range that holds 0, and a b-bit zero "
                    "point")},
        {{"int:b=4,group=128", "int4 g128"}, {"int:b=4,group=32,asym=1", ""}}};
    static const FormatKindInfo kind{
        "int",
        "integers: affine codes with a given scale and zero point, or group-wise codes whose "
        "scales are fitted per group of values",
        {affine, group}};
    return kind;
}

ImplResult parse_int(SpecArgs& args) {
    // int:b=B,group=G[,asym=1]: a scale (and zero) per group of G values (format_int_group.cpp).
    if (args.peek("group")) {
        ParamReader r(args, int_kind(), 1);
        int bits = 0;
        std::int64_t group = 0;
        bool asym = false;
        if (Status s = r.read("b", bits); !s) return s;
        if (Status s = r.read("group", group); !s) return s;
        if (Status s = r.read("asym", asym); !s) return s;
        return make_int_group(bits, static_cast<std::size_t>(group), asym);
    }
    ParamReader r(args, int_kind(), 0);
    int bits = 0;
    double scale = 0;
    std::int64_t zero = 0;
    bool is_signed = false, narrow = false;  // set from the spec or the declared default
    if (Status s = r.read("b", bits); !s) return s;
    if (Status s = r.read("scale", scale); !s) return s;
    if (Status s = r.read("zero", zero); !s) return s;
    if (Status s = r.read("signed", is_signed); !s) return s;
    if (Status s = r.read("narrow", narrow); !s) return s;
    if (is_signed && bits < 2) return args.fail("a signed int needs b >= 2");
    if (narrow && !is_signed) return args.fail("narrow=1 applies to signed ints only");
    const double qmin = is_signed ? -std::ldexp(1.0, bits - 1) : 0;
    const double qmax = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    if (static_cast<double>(zero) < qmin || static_cast<double>(zero) > qmax)
        return args.fail("key 'zero' must be a code of the format, from " + shortest_repr(qmin) +
                         " to " + shortest_repr(qmax));
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<IntFormat>(bits, scale, zero, is_signed, narrow));
}

}  // namespace qlab::detail
