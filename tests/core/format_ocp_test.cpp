// Exhaustive checks of the OCP element types (OFP8 §4-5; MX v1.0 §5.3-5.4) against an oracle
// built only from their bit patterns: decode every code by the spec's table, sort, and classify
// every midpoint and its neighbours in every rounding mode, saturating and not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "qlab/format.hpp"

namespace qlab {
namespace {

bool same_bits(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

// The spec tables, field by field. NaN for NaN codes.
double decode(const std::string& type, std::uint32_t p) {
    auto value = [](std::uint32_t s, double mag) { return s ? -mag : mag; };
    if (type == "e4m3") {  // OFP8 Table 1: bias 7, S.1111.111 NaN, no inf
        const std::uint32_t s = p >> 7, e = (p >> 3) & 15, m = p & 7;
        if (e == 15 && m == 7) return NAN;
        return value(s, e == 0 ? m * 0x1p-9 : (8 + m) * std::ldexp(1.0, static_cast<int>(e) - 10));
    }
    if (type == "e5m2") {  // OFP8 Table 1: bias 15, IEEE specials
        const std::uint32_t s = p >> 7, e = (p >> 2) & 31, m = p & 3;
        if (e == 31) return m == 0 ? value(s, INFINITY) : NAN;
        return value(s, e == 0 ? m * 0x1p-16 : (4 + m) * std::ldexp(1.0, static_cast<int>(e) - 17));
    }
    if (type == "e4m3fnuz") {  // bias 8, 0x80 the only NaN, no inf, no -0
        const std::uint32_t s = p >> 7, e = (p >> 3) & 15, m = p & 7;
        if (p == 0x80) return NAN;
        return value(s, e == 0 ? m * 0x1p-10 : (8 + m) * std::ldexp(1.0, static_cast<int>(e) - 11));
    }
    if (type == "e5m2fnuz") {  // bias 16, 0x80 the only NaN, no inf, no -0
        const std::uint32_t s = p >> 7, e = (p >> 2) & 31, m = p & 3;
        if (p == 0x80) return NAN;
        return value(s, e == 0 ? m * 0x1p-17 : (4 + m) * std::ldexp(1.0, static_cast<int>(e) - 18));
    }
    if (type == "e2m3") {  // MX Table: bias 1, no specials
        const std::uint32_t s = p >> 5, e = (p >> 3) & 3, m = p & 7;
        return value(s, e == 0 ? m * 0.125 : (8 + m) * std::ldexp(1.0, static_cast<int>(e) - 4));
    }
    if (type == "e3m2") {  // bias 3
        const std::uint32_t s = p >> 5, e = (p >> 2) & 7, m = p & 3;
        return value(s, e == 0 ? m * 0.0625 : (4 + m) * std::ldexp(1.0, static_cast<int>(e) - 5));
    }
    if (type == "e2m1") {  // bias 1
        const std::uint32_t s = p >> 3, e = (p >> 1) & 3, m = p & 1;
        return value(s, e == 0 ? m * 0.5 : (2 + m) * std::ldexp(1.0, static_cast<int>(e) - 2));
    }
    // e8m0, MX §5.4: 2^(k-127), 0xFF NaN
    return p == 0xFF ? NAN : std::ldexp(1.0, static_cast<int>(p) - 127);
}

struct Case {
    std::string spec;  // the format spec under test
    std::string type;  // decode table
    int bits;
    enum Overflow { to_nan, to_inf, to_max } overflow;
    bool unsigned_zero = false;  // FNUZ: a negative value rounding to zero gives +0
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.spec;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"fp8:e4m3", "e4m3", 8, Case::to_nan},
        {"fp8:e4m3,sat=1", "e4m3", 8, Case::to_max},
        {"fp8:e5m2", "e5m2", 8, Case::to_inf},
        {"fp8:e5m2,sat=1", "e5m2", 8, Case::to_max},
        {"fp6:e2m3", "e2m3", 6, Case::to_max},
        {"fp6:e3m2", "e3m2", 6, Case::to_max},
        {"fp4:e2m1", "e2m1", 4, Case::to_max},
        {"e8m0", "e8m0", 8, Case::to_nan},
        // The FNUZ variants ONNX carries (FLOAT8E4M3FNUZ, FLOAT8E5M2FNUZ): no -0 either.
        {"fp8:e4m3fnuz", "e4m3fnuz", 8, Case::to_nan, true},
        {"fp8:e4m3fnuz,sat=1", "e4m3fnuz", 8, Case::to_max, true},
        {"fp8:e5m2fnuz", "e5m2fnuz", 8, Case::to_nan, true},
        {"fp8:e5m2fnuz,sat=1", "e5m2fnuz", 8, Case::to_max, true},
    };
    return all;
}

class OcpExhaustive : public ::testing::TestWithParam<Case> {
  protected:
    void SetUp() override {
        c_ = GetParam();
        auto parsed = Format::parse(c_.spec);
        ASSERT_TRUE(parsed.ok()) << parsed.status().message();
        format_ = std::make_unique<Format>(*parsed);
        e8m0_ = c_.type == "e8m0";
        // Positive finite values in code order (sign bit clear; E8M0 has none).
        const std::uint32_t half = e8m0_ ? 256 : 1u << (c_.bits - 1);
        for (std::uint32_t p = 0; p < half; ++p) {
            const double v = decode(c_.type, p);
            if (std::isfinite(v)) values_.push_back(v);
        }
        ASSERT_TRUE(std::is_sorted(values_.begin(), values_.end()));
        // The next point beyond max on the unbounded lattice, OFP8 §5: one top-binade step up
        // (for E8M0's powers of two, the next power).
        const double max = values_.back();
        beyond_ = e8m0_ ? 2 * max : max + (max - values_[values_.size() - 2]);
    }
    double overflowed(double sign) const {
        if (c_.overflow == Case::to_max) return sign * values_.back();
        return c_.overflow == Case::to_inf ? sign * INFINITY : NAN;
    }
    // Expected q(x) for x > 0 from the sorted values; the index is the code, so its parity is
    // what round-half-even looks at.
    double oracle_positive(double x, Rounding r) const {
        std::size_t hi_index;
        double lo, hi;
        bool hi_over = false;
        if (x > values_.back()) {
            lo = values_.back(), hi = beyond_, hi_index = values_.size(), hi_over = true;
        } else {
            const auto it = std::lower_bound(values_.begin(), values_.end(), x);
            if (*it == x) return x;
            hi_index = static_cast<std::size_t>(it - values_.begin());
            if (hi_index == 0) return values_[0];  // E8M0 below 2^-127: no atom beneath
            lo = values_[hi_index - 1], hi = values_[hi_index];
        }
        const double mid = lo + (hi - lo) / 2;
        const bool lo_even = ((hi_index - 1) & 1) == 0;
        bool pick_hi = false;
        switch (r) {
            case Rounding::toward_zero:
            case Rounding::down:
                pick_hi = false;
                break;
            case Rounding::up:
                pick_hi = true;
                break;
            case Rounding::nearest_away:
                pick_hi = x >= mid;
                break;
            default:
                pick_hi = x > mid || (x == mid && !lo_even);
                break;
        }
        if (!pick_hi) return lo;
        return hi_over ? overflowed(1) : hi;
    }
    double oracle(double x, Rounding r) const {
        if (std::isnan(x)) return x;
        if (e8m0_) return x > 0 ? (std::isinf(x) ? NAN : oracle_positive(x, r)) : NAN;
        if (std::isinf(x)) return overflowed(x > 0 ? 1 : -1);
        if (x == 0) return c_.unsigned_zero ? 0.0 : x;
        if (x > 0) return oracle_positive(x, r);
        const Rounding mirrored = r == Rounding::up     ? Rounding::down
                                  : r == Rounding::down ? Rounding::up
                                                        : r;
        const double q = -oracle_positive(-x, mirrored);  // -0.0 for tiny negatives...
        return q == 0 && c_.unsigned_zero ? 0.0 : q;      // ...where the format has -0
    }
    std::vector<double> probes() const {
        std::vector<double> p;
        for (std::size_t i = 0; i + 1 < values_.size(); ++i) {
            const double a = values_[i], b = values_[i + 1], mid = a + (b - a) / 2;
            p.insert(p.end(), {a, mid, std::nextafter(mid, 0.0), std::nextafter(mid, INFINITY),
                               std::nextafter(a, INFINITY), std::nextafter(b, 0.0)});
        }
        const double max = values_.back(), omid = max + (beyond_ - max) / 2;
        p.insert(p.end(), {max, std::nextafter(max, INFINITY), omid, std::nextafter(omid, 0.0),
                           std::nextafter(omid, INFINITY), beyond_, beyond_ * 3, 1e300});
        if (e8m0_) p.insert(p.end(), {0x1p-128, 0x1.8p-128, 1e-300, std::nextafter(0x1p-127, 0.0)});
        return p;
    }
    Case c_;
    bool e8m0_ = false;
    std::unique_ptr<Format> format_;
    std::vector<double> values_;
    double beyond_ = 0;
};

TEST_P(OcpExhaustive, EveryBitPatternDecodesToAnAtomWithThatCode) {
    const std::uint32_t count = 1u << c_.bits;
    for (std::uint32_t p = 0; p < count; ++p) {
        const double v = decode(c_.type, p);
        if (std::isinf(v) && c_.overflow != Case::to_inf) continue;  // E5M2 inf under sat=1
        for (Rounding r : all_roundings()) {
            Rng rng(p);
            ASSERT_TRUE(same_bits(format_->quantize_ref(v, r, &rng), v))
                << std::hex << p << " " << v;
        }
        if (!std::isnan(v)) {
            ASSERT_EQ(format_->encode(v).code, p) << std::hex << p;
        }
    }
    EXPECT_EQ(format_->bits(), c_.bits);
    EXPECT_EQ(format_->max_finite(), values_.back());
    EXPECT_EQ(format_->min_positive(), values_[e8m0_ ? 0 : 1]);
    EXPECT_EQ(format_->min_finite(), e8m0_ ? values_[0] : -values_.back());
    EXPECT_EQ(format_->atom_count(), e8m0_ ? 255.0 : 2.0 * values_.size() - 1);
    EXPECT_EQ(format_->has_infinity(), c_.overflow == Case::to_inf);
    const AtomList atoms =
        format_->atoms_in(e8m0_ ? values_[0] : -values_.back(), values_.back(), 1000);
    EXPECT_EQ(static_cast<double>(atoms.atoms.size()), format_->atom_count());
    EXPECT_FALSE(atoms.truncated);
}

TEST_P(OcpExhaustive, EveryMidpointAndItsNeighboursInEveryMode) {
    const std::vector<double> ps = probes();
    for (Rounding r : all_roundings()) {
        if (r == Rounding::stochastic) continue;
        for (double p : ps) {
            for (double x : {p, -p}) {
                const double want = oracle(x, r), got = format_->quantize_ref(x, r);
                ASSERT_TRUE(same_bits(got, want))
                    << c_.spec << " x=" << x << " mode=" << rounding_name(r) << " got " << got
                    << " want " << want;
            }
        }
    }
}

TEST_P(OcpExhaustive, StochasticPicksANeighbour) {
    Rng rng(11);
    for (double p : probes()) {
        for (double x : {p, -p}) {
            const double lo = oracle(x, Rounding::down), hi = oracle(x, Rounding::up);
            for (int k = 0; k < 4; ++k) {
                const double q = format_->quantize_ref(x, Rounding::stochastic, &rng);
                ASSERT_TRUE(same_bits(q, lo) || same_bits(q, hi))
                    << c_.spec << " x=" << x << " q=" << q;
            }
        }
    }
    // Unbiased between two atoms: the mean of many draws at 1/4 of a gap sits near 1/4.
    const double a = values_[values_.size() / 2], b = values_[values_.size() / 2 + 1];
    double sum = 0;
    const int draws = 20000;
    for (int k = 0; k < draws; ++k)
        sum += format_->quantize_ref(a + (b - a) / 4, Rounding::stochastic, &rng);
    EXPECT_NEAR((sum / draws - a) / (b - a), 0.25, 0.02);
}

TEST_P(OcpExhaustive, NanInfinityAndOverflow) {
    EXPECT_TRUE(std::isnan(format_->quantize_ref(NAN)));
    for (Rounding r : all_roundings()) {
        Rng rng(1);
        EXPECT_TRUE(same_bits(format_->quantize_ref(INFINITY, r, &rng), oracle(INFINITY, r)))
            << c_.spec;
        EXPECT_TRUE(same_bits(format_->quantize_ref(-INFINITY, r, &rng), oracle(-INFINITY, r)))
            << c_.spec;
    }
    const double max = values_.back();
    // Just above the overflow midpoint every nearest mode overflows as the spec says.
    const double over = std::nextafter(max + (beyond_ - max) / 2, INFINITY);
    EXPECT_TRUE(same_bits(format_->quantize_ref(over), overflowed(1))) << c_.spec;
    EXPECT_TRUE(same_bits(format_->quantize_ref(over, Rounding::toward_zero), max)) << c_.spec;
}

// The fast float32 array path is bit-exact with the scalar reference (and the oracle) in
// every mode, including the E4M3 NaN overflow and E8M0 that the property list leaves out.
TEST_P(OcpExhaustive, FastPathBitExact) {
    std::vector<float> in;
    for (double p : probes())
        for (double x : {p, -p}) {
            const float f = static_cast<float>(x);
            in.insert(in.end(), {f, std::nextafter(f, INFINITY), std::nextafter(f, -INFINITY)});
        }
    std::mt19937 gen(9);
    std::uniform_real_distribution<float> u(-1, 1);
    for (int i = 0; i < 20000; ++i)
        in.push_back(u(gen) * std::ldexp(1.0f, static_cast<int>(gen() % 60) - 30));
    for (float v :
         {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 3e38f, -3e38f, 1e-45f, 1e-40f, -1e-40f,
          0x1p-127f, 0x1.8p-127f, 0x1.8p-126f, 0x1p127f, 0x1.8p127f, 0x1.7fffffp127f})
        in.push_back(v);
    std::vector<float> out(in.size());
    for (Rounding r : all_roundings()) {
        QuantizeOptions opt;
        opt.rounding = r;
        opt.seed = 5;
        format_->quantize(in.data(), out.data(), in.size(), opt);
        Rng rng(5);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float ref = static_cast<float>(format_->quantize_ref(in[i], r, &rng));
            ASSERT_TRUE(same_bits(out[i], ref))
                << c_.spec << " " << rounding_name(r) << " x=" << in[i] << " fast=" << out[i]
                << " ref=" << ref;
            if (r != Rounding::stochastic) {
                ASSERT_TRUE(same_bits(out[i], static_cast<float>(oracle(in[i], r))))
                    << c_.spec << " x=" << in[i];
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(OcpElementTypes, OcpExhaustive, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) {
                             std::string n = param_info.param.spec;
                             for (char& ch : n)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

// Anchors worked by hand from the spec tables.
TEST(OcpAnchors, HandCheckedCodes) {
    EXPECT_EQ(decode("e4m3", 0x7E), 448);
    EXPECT_EQ(decode("e4m3", 0x08), 0x1p-6);
    EXPECT_EQ(decode("e4m3", 0x01), 0x1p-9);
    EXPECT_TRUE(std::isnan(decode("e4m3", 0x7F)));
    EXPECT_TRUE(std::isnan(decode("e4m3", 0xFF)));
    EXPECT_EQ(decode("e4m3", 0x78), 256);  // S.1111.000 is a normal, not infinity
    EXPECT_EQ(decode("e5m2", 0x7B), 57344);
    EXPECT_EQ(decode("e5m2", 0x7C), INFINITY);
    EXPECT_EQ(decode("e5m2", 0x01), 0x1p-16);
    EXPECT_EQ(decode("e2m3", 0x1F), 7.5);
    EXPECT_EQ(decode("e2m3", 0x01), 0.125);
    EXPECT_EQ(decode("e3m2", 0x1F), 28);
    EXPECT_EQ(decode("e3m2", 0x01), 0.0625);
    const double e2m1_values[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (std::uint32_t p = 0; p < 8; ++p) {
        EXPECT_EQ(decode("e2m1", p), e2m1_values[p]);
        EXPECT_TRUE(same_bits(decode("e2m1", p | 8), -e2m1_values[p]));
    }
    EXPECT_EQ(decode("e8m0", 0x7F), 1);
    EXPECT_EQ(decode("e8m0", 0x00), 0x1p-127);
    EXPECT_EQ(decode("e8m0", 0xFE), 0x1p127);

    const Format e4m3 = *Format::parse("fp8:e4m3");
    EXPECT_EQ(e4m3.max_finite(), 448);
    EXPECT_EQ(e4m3.quantize_ref(464), 448);           // tie: 448 = S.1111.110 is even
    EXPECT_TRUE(std::isnan(e4m3.quantize_ref(465)));  // OFP8 §5 non-saturating: NaN
    EXPECT_TRUE(std::isnan(e4m3.quantize_ref(464, Rounding::nearest_away)));
    EXPECT_EQ(Format::parse("fp8:e4m3,sat=1")->quantize_ref(1e9), 448);
    EXPECT_EQ(e4m3.encode(NAN).code, 0x7Fu);
    EXPECT_EQ(e4m3.atom_count(), 253);
    const Format e5m2 = *Format::parse("fp8:e5m2");
    EXPECT_EQ(e5m2.quantize_ref(61440), INFINITY);  // tie: 0x7B is odd, so away to 2^16: inf
    EXPECT_EQ(e5m2.quantize_ref(-1e6), -INFINITY);
    EXPECT_EQ(e5m2.encode(INFINITY).code, 0x7Cu);
    EXPECT_EQ(e5m2.atom_count(), 247);
    const Format e2m1 = *Format::parse("fp4:e2m1");
    EXPECT_EQ(e2m1.quantize_ref(5), 4);  // tie between 4 (code 6) and 6 (code 7)
    EXPECT_EQ(e2m1.quantize_ref(100), 6);
    EXPECT_EQ(e2m1.quantize_ref(-0.25), -0.0);
    EXPECT_EQ(e2m1.atom_count(), 15);
    const Format e8m0 = *Format::parse("e8m0");
    EXPECT_EQ(e8m0.quantize_ref(3), 2);    // tie between 2 (code 128, even) and 4 (code 129)
    EXPECT_EQ(e8m0.quantize_ref(1.5), 2);  // tie between 1 (code 127, odd) and 2
    EXPECT_TRUE(std::isnan(e8m0.quantize_ref(0)));
    EXPECT_TRUE(std::isnan(e8m0.quantize_ref(-1)));
    EXPECT_EQ(e8m0.encode(1).code, 0x7Fu);
}

// The FNUZ variants by hand: bias 8 and 16, max 240 and 57344, 0x80 the only NaN, no -0.
TEST(OcpAnchors, FnuzVariants) {
    EXPECT_EQ(decode("e4m3fnuz", 0x7F), 240);
    EXPECT_EQ(decode("e4m3fnuz", 0x01), 0x1p-10);
    EXPECT_EQ(decode("e4m3fnuz", 0x08), 0x1p-7);
    EXPECT_EQ(decode("e5m2fnuz", 0x7F), 57344);
    EXPECT_EQ(decode("e5m2fnuz", 0x01), 0x1p-17);
    EXPECT_TRUE(std::isnan(decode("e5m2fnuz", 0x80)));
    const Format e4 = *Format::parse("fp8:e4m3fnuz");
    EXPECT_EQ(e4.max_finite(), 240);
    EXPECT_EQ(e4.atom_count(), 255);
    EXPECT_FALSE(e4.has_infinity());
    EXPECT_TRUE(same_bits(e4.quantize_ref(-1e-9), 0.0));  // no negative zero
    EXPECT_TRUE(same_bits(e4.quantize_ref(-0.0), 0.0));
    EXPECT_EQ(e4.quantize_ref(247.9), 240);
    EXPECT_TRUE(std::isnan(e4.quantize_ref(248)));  // tie: 240 (0x7F) is odd, so 256: overflow
    EXPECT_EQ(Format::parse("fp8:e4m3fnuz,sat=1")->quantize_ref(1e9), 240);
    EXPECT_EQ(e4.encode(NAN).code, 0x80u);
    EXPECT_EQ(e4.encode(-0.0).code, 0x00u);
    EXPECT_EQ(e4.encode(-240).code, 0xFFu);
    EXPECT_EQ(e4.next_up(-0x1p-10), 0.0);
    const Format e5 = *Format::parse("fp8:e5m2fnuz");
    EXPECT_EQ(e5.max_finite(), 57344);
    EXPECT_TRUE(std::isnan(e5.quantize_ref(INFINITY)));
    EXPECT_TRUE(std::isnan(e5.quantize_ref(-1e6)));
    EXPECT_EQ(e5.encode(1).code, 0x40u);  // 1 = 2^(16 - 16): exponent field 16
}

TEST(OcpParse, CanonicalSpecs) {
    for (const char* s : {"fp8:e4m3", "fp8:e5m2", "fp8:e4m3,sat=1", "fp6:e2m3", "fp6:e3m2",
                          "fp4:e2m1", "e8m0", "fp8:e4m3fnuz", "fp8:e5m2fnuz,sat=1"})
        EXPECT_EQ(Format::parse(s)->to_string(), s);
    EXPECT_EQ(Format::parse("fp8: e5m2 ,sat=0")->to_string(), "fp8:e5m2");
    EXPECT_EQ(Format::parse("fp8:e4m3")->kind(), "fp8");
}

}  // namespace
}  // namespace qlab
