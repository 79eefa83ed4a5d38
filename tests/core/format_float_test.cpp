// Exhaustive checks of float:e=5,m=10 (IEEE binary16) and float:e=8,m=7 (bfloat16) against an
// oracle built only from bit patterns: decode every pattern by the textbook formula, sort, and
// classify any double against the exact midpoints. Natively also against the compiler's _Float16.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "qlab/format.hpp"

namespace qlab {
namespace {

struct SmallFloat {
    int e, m;
    double decode(std::uint32_t pattern) const {  // NaN for NaN codes
        const std::uint32_t sign = pattern >> (e + m);
        const std::uint32_t exp_field = (pattern >> m) & ((1u << e) - 1);
        const std::uint32_t man = pattern & ((1u << m) - 1);
        const int bias = (1 << (e - 1)) - 1;
        double mag;
        if (exp_field == (1u << e) - 1)
            mag = man ? NAN : INFINITY;
        else if (exp_field == 0)
            mag = std::ldexp(static_cast<double>(man), 1 - bias - m);
        else
            mag = std::ldexp(1.0 + std::ldexp(static_cast<double>(man), -m),
                             static_cast<int>(exp_field) - bias);
        return sign ? -mag : mag;
    }
    std::uint32_t max_pattern() const { return ((((1u << e) - 2) << m) | ((1u << m) - 1)); }
};

bool same_bits(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

// Expected result for x >= 0 from the sorted non-negative values (pattern order = value order).
double oracle_positive(const SmallFloat& sf, const std::vector<double>& values, double x,
                       Rounding r) {
    const double max = values.back();
    const double next_binade = std::ldexp(1.0, (1 << (sf.e - 1)));  // 2^(emax+1), emax = bias
    if (x > max) {
        // Beyond max: IEEE rounds as if the exponent went on, then overflows.
        const double mid = max + (next_binade - max) / 2;
        const bool max_even = (sf.max_pattern() & 1) == 0;
        switch (r) {
            case Rounding::toward_zero:
            case Rounding::down:
                return max;
            case Rounding::up:
                return INFINITY;
            case Rounding::nearest_away:
                return x < mid ? max : INFINITY;
            default:
                return x < mid ? max : x > mid ? INFINITY : (max_even ? max : INFINITY);
        }
    }
    const auto it = std::lower_bound(values.begin(), values.end(), x);
    if (*it == x) return x;
    const std::size_t hi_index = static_cast<std::size_t>(it - values.begin());
    const double lo = values[hi_index - 1], hi = values[hi_index];
    const double mid = lo + (hi - lo) / 2;  // exact: both are short binary fractions
    switch (r) {
        case Rounding::toward_zero:
        case Rounding::down:
            return lo;
        case Rounding::up:
            return hi;
        case Rounding::nearest_away:
            return x < mid ? lo : hi;
        default:
            return x < mid ? lo : x > mid ? hi : (((hi_index - 1) & 1) == 0 ? lo : hi);
    }
}

double oracle(const SmallFloat& sf, const std::vector<double>& values, double x, Rounding r) {
    if (std::isnan(x)) return x;
    if (x == 0) return x;
    if (!std::signbit(x)) return oracle_positive(sf, values, x, r);
    Rounding mirrored = r == Rounding::up ? Rounding::down : r == Rounding::down ? Rounding::up : r;
    const double q = oracle_positive(sf, values, -x, mirrored);
    return -q;  // includes -0.0 for tiny negatives
}

class ExhaustiveFloat : public ::testing::TestWithParam<SmallFloat> {
  protected:
    void SetUp() override {
        sf_ = GetParam();
        auto parsed =
            Format::parse("float:e=" + std::to_string(sf_.e) + ",m=" + std::to_string(sf_.m));
        ASSERT_TRUE(parsed.ok());
        format_ = std::make_unique<Format>(*parsed);
        for (std::uint32_t p = 0; p <= sf_.max_pattern(); ++p) values_.push_back(sf_.decode(p));
        ASSERT_TRUE(std::is_sorted(values_.begin(), values_.end()));
    }
    SmallFloat sf_{};
    std::unique_ptr<Format> format_;
    std::vector<double> values_;  // every non-negative finite value, in pattern order
};

TEST_P(ExhaustiveFloat, EveryBitPatternIsAnAtomWithThatEncoding) {
    const std::uint32_t count = 1u << (1 + sf_.e + sf_.m);
    for (std::uint32_t p = 0; p < count; ++p) {
        const double v = sf_.decode(p);
        for (Rounding r : all_roundings()) {
            Rng rng(p);
            ASSERT_TRUE(same_bits(format_->quantize_ref(v, r, &rng), v)) << std::hex << p;
        }
        if (!std::isnan(v)) {
            ASSERT_EQ(format_->encode(v).code, p) << std::hex << p;
        }
    }
    EXPECT_EQ(format_->max_finite(), values_.back());
    EXPECT_EQ(format_->min_positive(), values_[1]);
    EXPECT_EQ(format_->atom_count(), 2.0 * values_.size() - 1);
}

TEST_P(ExhaustiveFloat, EveryMidpointAndItsNeighboursInEveryMode) {
    std::vector<double> probes;
    for (std::size_t i = 0; i + 1 < values_.size(); ++i) {
        const double mid = values_[i] + (values_[i + 1] - values_[i]) / 2;
        probes.push_back(mid);
        probes.push_back(std::nextafter(mid, 0.0));
        probes.push_back(std::nextafter(mid, INFINITY));
        probes.push_back(std::nextafter(values_[i + 1], 0.0));
    }
    const double max = values_.back();
    const double overflow_mid = max + (std::ldexp(1.0, (1 << (sf_.e - 1))) - max) / 2;
    for (double p :
         {overflow_mid, std::nextafter(overflow_mid, 0.0), std::nextafter(overflow_mid, INFINITY),
          max * 4, 1e300, std::nextafter(max, INFINITY)})
        probes.push_back(p);
    for (Rounding r : all_roundings()) {
        if (r == Rounding::stochastic) continue;
        for (double p : probes) {
            for (double x : {p, -p}) {
                const double expected = oracle(sf_, values_, x, r);
                ASSERT_TRUE(same_bits(format_->quantize_ref(x, r), expected))
                    << "x=" << x << " mode=" << rounding_name(r) << " got "
                    << format_->quantize_ref(x, r) << " want " << expected;
            }
        }
    }
}

TEST_P(ExhaustiveFloat, RandomDoublesAcrossTheRange) {
    std::mt19937_64 gen(2024);
    const int bias = (1 << (sf_.e - 1)) - 1;
    for (int i = 0; i < 300000; ++i) {
        const int exponent = static_cast<int>(gen() % (2 * bias + sf_.m + 8)) - bias - sf_.m - 4;
        const double mantissa = 1.0 + static_cast<double>(gen() >> 11) * 0x1.0p-53;
        const double x = std::ldexp(mantissa, exponent) * ((gen() & 1) ? -1 : 1);
        for (Rounding r : {Rounding::nearest_even, Rounding::nearest_away, Rounding::toward_zero,
                           Rounding::up, Rounding::down})
            ASSERT_TRUE(same_bits(format_->quantize_ref(x, r), oracle(sf_, values_, x, r))) << x;
    }
}

INSTANTIATE_TEST_SUITE_P(Binary16AndBfloat16, ExhaustiveFloat,
                         ::testing::Values(SmallFloat{5, 10}, SmallFloat{8, 7}, SmallFloat{4, 3},
                                           SmallFloat{3, 0}),
                         [](const auto& param_info) {
                             return "e" + std::to_string(param_info.param.e) + "m" +
                                    std::to_string(param_info.param.m);
                         });

#if defined(__FLT16_MAX__) && !defined(__EMSCRIPTEN__)
// A second, independent oracle: the compiler's own double -> _Float16 conversion (RNE).
TEST(Binary16, MatchesCompilerFloat16) {
    const Format half = *Format::parse("float:e=5,m=10");
    std::mt19937_64 gen(5);
    SmallFloat sf{5, 10};
    std::vector<double> xs;
    for (std::uint32_t p = 0; p < 0x7c00; ++p) {
        const double a = sf.decode(p), b = sf.decode(p + 1);
        const double mid = a + (b - a) / 2;
        xs.insert(xs.end(), {mid, -mid, std::nextafter(mid, 0.0), std::nextafter(mid, 1e9)});
    }
    for (int i = 0; i < 1000000; ++i)
        xs.push_back(std::ldexp(static_cast<double>(gen() >> 11) * 0x1.0p-53,
                                static_cast<int>(gen() % 50) - 30) *
                     ((gen() & 1) ? -1 : 1));
    for (double x : xs) {
        const _Float16 h = static_cast<_Float16>(x);
        ASSERT_TRUE(same_bits(half.quantize_ref(x), static_cast<double>(h))) << x;
    }
}
#endif

// bfloat16 is the top half of a float32; the float32 route double -> float -> bf16 rounds twice.
// This case is one where that double rounding is wrong, and the direct rounding must not be.
TEST(Bfloat16, NoDoubleRounding) {
    const Format bf16 = *Format::parse("float:e=8,m=7");
    // 1 + 2^-8 is the exact midpoint between 1 and 1 + 2^-7; a hair above must round up,
    // but float32 would first round 1 + 2^-8 + 2^-40 down to the midpoint, then to even (1).
    const double x = 1 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
    EXPECT_EQ(bf16.quantize_ref(x), 1 + std::ldexp(1.0, -7));
    EXPECT_EQ(static_cast<float>(x), 1 + std::ldexp(1.0f, -8));  // float32 loses the hair
}

TEST(Float, SubnormalsOffAndSaturation) {
    const Format flush = *Format::parse("float:e=5,m=10,sub=0");  // min normal 2^-14
    const double min_normal = std::ldexp(1.0, -14);
    EXPECT_EQ(flush.min_positive(), min_normal);
    EXPECT_EQ(flush.quantize_ref(min_normal * 0.4), 0);
    EXPECT_EQ(flush.quantize_ref(min_normal * 0.6), min_normal);
    EXPECT_EQ(flush.quantize_ref(min_normal * 0.5), 0);  // tie goes to zero
    EXPECT_TRUE(std::signbit(flush.quantize_ref(-min_normal * 0.5)));
    EXPECT_EQ(flush.quantize_ref(min_normal * 0.1, Rounding::up), min_normal);
    EXPECT_EQ(flush.quantize_ref(-min_normal * 0.1, Rounding::down), -min_normal);
    EXPECT_EQ(flush.next_up(0.0), min_normal);
    EXPECT_EQ(flush.atom_count(), 2.0 * 30 * 1024 + 1);
    const Format sat = *Format::parse("float:e=5,m=10,sat=1");
    EXPECT_EQ(sat.quantize_ref(1e6), 65504);
    EXPECT_EQ(sat.quantize_ref(-1e6, Rounding::down), -65504);
    EXPECT_EQ(sat.quantize_ref(INFINITY), 65504);
    EXPECT_FALSE(sat.has_infinity());
    const Format half = *Format::parse("float:e=5,m=10");
    EXPECT_EQ(half.quantize_ref(1e6, Rounding::down), 65504);
    EXPECT_EQ(half.quantize_ref(1e6, Rounding::toward_zero), 65504);
    EXPECT_EQ(half.quantize_ref(-1e6, Rounding::up), -65504);
    EXPECT_EQ(half.quantize_ref(-1e6, Rounding::down), -INFINITY);
}

TEST(Float, EncodingFields) {
    const Format half = *Format::parse("float:e=5,m=10");
    EXPECT_EQ(half.encode(1.0).code, 0x3C00u);
    EXPECT_EQ(half.encode(-2.0).code, 0xC000u);
    EXPECT_EQ(half.encode(65504).code, 0x7BFFu);
    EXPECT_EQ(half.encode(INFINITY).code, 0x7C00u);
    EXPECT_EQ(half.encode(std::ldexp(1.0, -24)).code, 0x0001u);
    EXPECT_EQ(half.encode(-0.0).code, 0x8000u);
    const Encoding e = half.encode(-1.5);
    ASSERT_EQ(e.fields.size(), 3u);
    EXPECT_EQ(e.fields[0].value, 1u);
    EXPECT_EQ(e.fields[1].value, 15u);
    EXPECT_EQ(e.fields[2].value, 512u);
    const Format dbl = *Format::parse("float:e=11,m=52");
    const double x = 0.1;
    std::uint64_t bits;
    std::memcpy(&bits, &x, 8);
    EXPECT_EQ(dbl.encode(x).code, bits);
    EXPECT_EQ(dbl.quantize_ref(x), x);
    EXPECT_EQ(dbl.quantize_ref(5e-324), 5e-324);
    EXPECT_EQ(dbl.max_finite(), std::numeric_limits<double>::max());
}

}  // namespace
}  // namespace qlab
