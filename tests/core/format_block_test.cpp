// Block-scaled formats: hand-worked blocks (MX v1.0 §5.2, §6.3; NVIDIA's NVFP4 recipe; group-wise
// int), and an independent brute-force reference built from element bit patterns against
// Format::quantize_tensor_ref and the fast Format::quantize, every deterministic rounding mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../bench/format_specs.hpp"
#include "qlab/format.hpp"
#include "qlab/mlp.hpp"
#include "qlab/sqnr.hpp"

namespace qlab {
namespace {

// Every comparison here is exact: the fast path and the reference agree bit for bit.
constexpr int kMismatchesAllowed = 0;
// Random blocks per format and rounding mode in the brute-force comparison.
constexpr int kRandomTensors = 60;
// Values in the long-array comparison of the fast paths (several batches of every format).
constexpr std::size_t kLongArray = 40000;

Format parse_ok(const std::string& spec) {
    auto f = Format::parse(spec);
    EXPECT_TRUE(f.ok()) << spec << ": " << f.status().message();
    return *f;
}

bool same_bits(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

std::vector<double> quantize_fast(const Format& f, const std::vector<double>& v,
                                  Rounding mode = Rounding::nearest_even) {
    std::vector<float> in(v.begin(), v.end()), out(v.size());
    QuantizeOptions o;
    o.rounding = mode;
    f.quantize(in.data(), out.data(), in.size(), o);
    return std::vector<double>(out.begin(), out.end());
}

std::vector<double> quantize_ref(const Format& f, const std::vector<double>& v,
                                 Rounding mode = Rounding::nearest_even) {
    QuantizeOptions o;
    o.rounding = mode;
    return f.quantize_tensor_ref(v, o);
}

// Both paths, checked against the expected values bit for bit (NaN matches NaN).
void expect_block(const std::string& spec, const std::vector<double>& in,
                  const std::vector<double>& want) {
    const Format f = parse_ok(spec);
    const auto ref = quantize_ref(f, in), fast = quantize_fast(f, in);
    ASSERT_EQ(ref.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_TRUE(same_bits(ref[i], want[i]))
            << spec << " [" << i << "] x=" << in[i] << " ref=" << ref[i] << " want=" << want[i];
        EXPECT_TRUE(same_bits(fast[i], static_cast<float>(want[i])))
            << spec << " [" << i << "] fast=" << fast[i];
    }
}

// ---- Element atoms from bit patterns alone (no library code) ---------------------------------

struct Atom {
    double value;
    std::uint32_t code;
};

// Finite values of a sign-magnitude minifloat with e exponent and m mantissa bits, bias
// 2^(e-1) - 1, subnormals; `reserved` says which top codes are not finite (OFP8 §4.1).
std::vector<Atom> minifloat_atoms(int e, int m, const std::string& reserved) {
    std::vector<Atom> atoms;
    const int bias = (1 << (e - 1)) - 1;
    for (std::uint32_t code = 0; code < (1u << (1 + e + m)); ++code) {
        const std::uint32_t sign = code >> (e + m), exp = (code >> m) & ((1u << e) - 1),
                            man = code & ((1u << m) - 1);
        const bool top = exp == (1u << e) - 1;
        if (reserved == "ieee" && top) continue;                         // E5M2: inf and NaN
        if (reserved == "nan" && top && man == (1u << m) - 1) continue;  // E4M3: S.1111.111
        const double mag = exp == 0 ? std::ldexp(static_cast<double>(man), 1 - bias - m)
                                    : std::ldexp(1.0 + std::ldexp(static_cast<double>(man), -m),
                                                 static_cast<int>(exp) - bias);
        atoms.push_back({sign ? -mag : mag, code});
    }
    return atoms;
}

std::vector<Atom> element_atoms(const std::string& type) {
    if (type == "e4m3") return minifloat_atoms(4, 3, "nan");
    if (type == "e5m2") return minifloat_atoms(5, 2, "ieee");
    if (type == "e2m3") return minifloat_atoms(2, 3, "");
    if (type == "e3m2") return minifloat_atoms(3, 2, "");
    if (type == "e2m1") return minifloat_atoms(2, 1, "");
    std::vector<Atom> atoms;
    if (type == "int8") {  // MX INT8: two's complement times 2^-6
        for (int k = -128; k <= 127; ++k)
            atoms.push_back({k / 64.0, static_cast<std::uint32_t>(k)});
    }
    return atoms;
}

double max_of(const std::vector<Atom>& atoms) {
    double m = 0;
    for (const Atom& a : atoms) m = std::max(m, a.value);
    return m;
}

// Picks from scale * atoms by brute force: every atom is a candidate, the distances decide.
// Beyond the range it saturates (MX §6.3 clamps normal numbers; NVFP4 and int saturate).
// `even` says which of two tied atoms is the even one.
double pick(const std::vector<Atom>& atoms, double scale, double x, Rounding mode,
            bool keeps_negative_zero, const std::function<bool(const Atom&)>& even) {
    const Atom* below = nullptr;
    const Atom* above = nullptr;
    for (const Atom& a : atoms) {
        const double v = a.value * scale;
        if (v == 0 && std::signbit(a.value)) continue;  // -0 is the same point as +0
        if (v <= x && (!below || v > below->value * scale)) below = &a;
        if (v >= x && (!above || v < above->value * scale)) above = &a;
    }
    double r;
    if (!below)
        r = above->value * scale;  // below the smallest atom: saturate
    else if (!above)
        r = below->value * scale;  // above the largest
    else {
        const double lo = below->value * scale, hi = above->value * scale;
        const double dl = x - lo, dh = hi - x;
        switch (mode) {
            case Rounding::nearest_even:
                r = dl < dh ? lo : dh < dl ? hi : (even(*below) ? lo : hi);
                break;
            case Rounding::nearest_away:
                r = dl < dh ? lo : dh < dl ? hi : (x > 0 ? hi : lo);
                break;
            case Rounding::toward_zero:
                r = x >= 0 ? lo : hi;
                break;
            case Rounding::up:
                r = hi;
                break;
            default:
                r = lo;
                break;
        }
    }
    if (r == 0) r = keeps_negative_zero && std::signbit(x) ? -0.0 : 0.0;
    return r;
}

// MX §6.3 from first principles: X = 2^(floor(log2 amax) - emax_elem), clamped to 2^+-127.
std::vector<double> mx_brute(const std::string& type, std::size_t block,
                             const std::vector<double>& v, Rounding mode) {
    const auto atoms = element_atoms(type);
    const double max = max_of(atoms);
    int emax = 0;
    std::frexp(max, &emax);
    emax -= 1;  // frexp's exponent is one above floor(log2)
    std::vector<double> out;
    for (std::size_t start = 0; start < v.size(); start += block) {
        const std::size_t n = std::min(block, v.size() - start);
        double amax = 0;
        for (std::size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[start + i]));
        int e = 0;
        std::frexp(amax, &e);
        const int k = amax > 0 ? std::clamp(e - 1 - emax, -127, 127) : -127;
        const double scale = std::ldexp(1.0, k);
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(pick(atoms, scale, v[start + i], mode, type != "int8",
                               [&](const Atom& a) { return (a.code & 1) == 0; }));
    }
    return out;
}

// Positive finite atoms of a format, for choosing a scale.
std::vector<double> positive_values(const std::vector<Atom>& atoms) {
    std::vector<double> out;
    for (const Atom& a : atoms)
        if (a.value > 0) out.push_back(a.value);
    std::sort(out.begin(), out.end());
    return out;
}

// The atom of `values` nearest to num / den, ties to the even position, saturating; by brute
// force over the products value * den (exact here), never dividing.
double nearest_quotient(const std::vector<double>& values, bool with_zero, double num, double den) {
    std::vector<double> cand = values;
    if (with_zero) cand.insert(cand.begin(), 0.0);
    // With zero first, a candidate's index is its code (0, then the positive atoms in order),
    // so a tie goes to the even index.
    double best = cand[0];
    for (std::size_t i = 1; i < cand.size(); ++i) {
        const double d = std::fabs(cand[i] * den - num), db = std::fabs(best * den - num);
        if (d < db || (d == db && i % 2 == 0)) best = cand[i];
    }
    return best;
}

std::vector<double> nvfp4_brute(const std::vector<double>& v, Rounding mode) {
    const auto fp4 = element_atoms("e2m1");
    const auto e4m3 = positive_values(element_atoms("e4m3"));
    double amax = 0;
    for (double x : v) amax = std::max(amax, std::fabs(x));
    float global = static_cast<float>(amax) / 2688.0f;
    if (amax == 0) global = 1;
    std::vector<double> out;
    for (std::size_t start = 0; start < v.size(); start += 16) {
        const std::size_t n = std::min<std::size_t>(16, v.size() - start);
        double bamax = 0;
        for (std::size_t i = 0; i < n; ++i) bamax = std::max(bamax, std::fabs(v[start + i]));
        // E4M3 code parity: 0 is code 0, the positive atoms follow with codes 1, 2, ...
        const double bs = nearest_quotient(e4m3, true, bamax, 6.0 * global);
        for (std::size_t i = 0; i < n; ++i) {
            if (bs == 0) {
                out.push_back(std::signbit(v[start + i]) ? -0.0 : 0.0);
                continue;
            }
            out.push_back(pick(fp4, bs * global, v[start + i], mode, true,
                               [](const Atom& a) { return (a.code & 1) == 0; }));
        }
    }
    return out;
}

std::vector<double> fp16_positive() {
    return positive_values(minifloat_atoms(5, 10, "ieee"));
}

std::vector<double> int_group_brute(int b, std::size_t group, bool asym,
                                    const std::vector<double>& v, Rounding mode) {
    static const std::vector<double> halves = fp16_positive();
    const double qmax = asym ? std::ldexp(1.0, b) - 1 : std::ldexp(1.0, b - 1) - 1;
    std::vector<double> out;
    for (std::size_t start = 0; start < v.size(); start += group) {
        const std::size_t n = std::min(group, v.size() - start);
        double lo = 0, hi = 0;
        for (std::size_t i = 0; i < n; ++i)
            lo = std::min(lo, v[start + i]), hi = std::max(hi, v[start + i]);
        double s = nearest_quotient(halves, true, asym ? hi - lo : std::max(hi, -lo), qmax);
        if (s == 0) s = 0x1p-24;
        const double z = asym ? std::clamp(std::rint(-lo / s), 0.0, qmax) : 0;
        std::vector<Atom> atoms;
        const double kmin = asym ? 0 : -qmax;
        for (double k = kmin; k <= qmax; ++k)
            atoms.push_back({k - z, static_cast<std::uint32_t>(k - z + 1024)});
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(pick(atoms, s, v[start + i], mode, false,
                               [](const Atom& a) { return (a.code & 1) == 0; }));
    }
    return out;
}

// ---- Facts --------------------------------------------------------------------------------

TEST(BlockFormats, SpecsRoundTripAndFacts) {
    for (const char* spec :
         {"mxfp8:e4m3", "mxfp8:e5m2", "mxfp6:e2m3", "mxfp6:e3m2", "mxfp4", "mxint8", "nvfp4",
          "int:b=4,group=128", "int:b=4,group=128,asym=1", "mxfp4:block=16", "mxfp8:e4m3,block=64",
          "nvfp4:global=0.5", "int:b=8,group=32"}) {
        const Format f = parse_ok(spec);
        EXPECT_EQ(f.to_string(), spec);
        EXPECT_TRUE(f.data_dependent()) << spec;
        EXPECT_TRUE(f.block_scaled()) << spec;
    }
    EXPECT_EQ(parse_ok("mxfp8:e4m3,block=32").to_string(), "mxfp8:e4m3");
    // Bits per value with the scale's share (the figures).
    EXPECT_EQ(parse_ok("mxfp8:e4m3").bits_per_value(), 8.25);
    EXPECT_EQ(parse_ok("mxfp6:e3m2").bits_per_value(), 6.25);
    EXPECT_EQ(parse_ok("mxfp4").bits_per_value(), 4.25);
    EXPECT_EQ(parse_ok("mxint8").bits_per_value(), 8.25);
    EXPECT_EQ(parse_ok("nvfp4").bits_per_value(), 4.5);
    EXPECT_EQ(parse_ok("nvfp4").bits_per_value(1024), 4.5 + 32.0 / 1024);
    EXPECT_EQ(parse_ok("int:b=4,group=128").bits_per_value(), 4.125);
    EXPECT_EQ(parse_ok("int:b=4,group=128,asym=1").bits_per_value(), 4 + 20.0 / 128);
    EXPECT_EQ(parse_ok("mxfp4").bits_per_value(40), 4 + 16.0 / 40);  // two blocks, the last partial
    EXPECT_EQ(parse_ok("bfp:w=8,block=16").bits_per_value(), 8.5);
    EXPECT_EQ(parse_ok("bfp:w=8,block=16").bits(), 9);  // unchanged: rounded up to whole bits
    EXPECT_EQ(parse_ok("fp8:e4m3").bits_per_value(), 8);
    EXPECT_EQ(parse_ok("mxfp4").bits(), 4);
    // Element and scale types (MX v1.0 Table 1, §5.1).
    EXPECT_EQ(parse_ok("mxfp4").element_spec(), "fp4:e2m1");
    EXPECT_EQ(parse_ok("mxfp8:e4m3").element_spec(), "fp8:e4m3,sat=1");
    EXPECT_EQ(parse_ok("mxint8").element_spec(), "fixed:w=8,f=6");
    EXPECT_EQ(parse_ok("mxfp6:e2m3").scale_spec(), "e8m0");
    EXPECT_EQ(parse_ok("nvfp4").scale_spec(), "fp8:e4m3,sat=1");
    EXPECT_EQ(parse_ok("nvfp4").tensor_scale_spec(), "float:e=8,m=23");
    EXPECT_EQ(parse_ok("int:b=4,group=64").scale_spec(), "float:e=5,m=10,sat=1");
    EXPECT_FALSE(parse_ok("fp4:e2m1").block_scaled());
    EXPECT_FALSE(parse_ok("bfp:w=8,block=16").block_scaled());
    for (const char* bad : {"mxfp8", "mxfp8:e2m1", "mxfp6:e4m3", "mxfp4:block=0", "int:b=1,group=4",
                            "nvfp4:global=-1", "int:b=4,group=4,scale=1", "mxint8:e4m3"})
        EXPECT_FALSE(Format::parse(bad).ok()) << bad;
}

TEST(BlockFormats, EmaxElemOfEveryMxElement) {
    // §6.3's emax_elem, the exponent of the largest normal: 448 = 1.75 * 2^8, 57344 = 1.75 * 2^15,
    // 7.5 = 1.875 * 2^2, 28 = 1.75 * 2^4, 6 = 1.5 * 2^2, INT8 1.984375 < 2^1.
    // A block whose largest value is exactly 2^emax_elem gets X = 1.
    const std::pair<const char*, double> cases[] = {{"mxfp8:e4m3", 256}, {"mxfp8:e5m2", 32768},
                                                    {"mxfp6:e2m3", 4},   {"mxfp6:e3m2", 16},
                                                    {"mxfp4", 4},        {"mxint8", 1}};
    for (const auto& [spec, top] : cases) {
        EXPECT_EQ(parse_ok(spec).fit({top, 0.5}).block_scale(), 1.0) << spec;
        EXPECT_EQ(parse_ok(spec).fit({top * 2, 0.5}).block_scale(), 2.0) << spec;
        EXPECT_EQ(parse_ok(spec).fit({std::nextafter(top, 0.0), 0.5}).block_scale(), 0.5) << spec;
    }
}

// ---- Hand-worked MX blocks (MX v1.0 §6.3, Algorithm 1) -------------------------------------

TEST(MxHandWorked, LargestValueExactlyOnAPowerOfTwo) {
    // amax = 8 = 2^3, emax_elem(E2M1) = 2: shared_exp = 3 - 2 = 1, X = 2 (E8M0 code 128).
    // V / X: 8 -> 4 (exact), 1 -> 0.5, -3 -> -1.5, 0.3 -> 0.15 (below 0.25, half the smallest
    // subnormal: 0), 0.5 -> 0.25 (tie of 0 and 0.5: even code 0), 0.6 -> 0.3 -> 0.5,
    // 7 -> 3.5 (tie of 3 = code 5 and 4 = code 6: 4, so 8), 5 -> 2.5 (tie 2 / 3: 2, so 4).
    std::vector<double> in = {8, 1, -3, 0.3, 0.5, 0.6, 7, 5};
    std::vector<double> want = {8, 1, -3, 0, 0, 1, 8, 4};
    in.resize(32, 0.0);
    want.resize(32, 0.0);
    expect_block("mxfp4", in, want);
    const Format fitted = parse_ok("mxfp4").fit(in);
    EXPECT_EQ(fitted.block_scale(), 2);
    EXPECT_EQ(fitted.block_scale_encoding().code, 128u);
    EXPECT_EQ(fitted.encode(-3).code, 0b1011u);  // -1.5 = S.01.1
}

TEST(MxHandWorked, BlockOfThirtyTwoWithClamping) {
    // amax = 7.9 just below 8: floor(log2 7.9) = 2, X = 2^0 = 1. Elements above 6 (E2M1 max)
    // are normal numbers beyond the range and clamp to 6 (§6.3, "clamping normal numbers"):
    // 7.9 -> 6, -6.5 -> -6; 5 is a tie of 4 (code 6) and 6 (code 7) -> 4; 0.75 a tie of
    // 0.5 (code 1) and 1 (code 2) -> 1; -0.2 -> -0 (the sign of zero is kept).
    std::vector<double> in(32), want(32);
    for (int i = 0; i < 32; ++i) in[i] = (i % 5) * 0.5 - 1, want[i] = in[i];  // atoms of E2M1
    in[0] = 7.9, want[0] = 6;
    in[7] = -6.5, want[7] = -6;
    in[9] = 5, want[9] = 4;
    in[13] = 0.75, want[13] = 1;
    in[31] = -0.2, want[31] = -0.0;
    expect_block("mxfp4", in, want);
    EXPECT_EQ(parse_ok("mxfp4").fit(in).block_scale_encoding().code, 127u);
    // E4M3: amax 500, floor(log2 500) = 8 = emax_elem, X = 1: 500 clamps to 448, where plain
    // non-saturating fp8:e4m3 would give NaN (OFP8 §5).
    expect_block("mxfp8:e4m3", {500, 1, -449}, {448, 1, -448});
    EXPECT_TRUE(std::isnan(parse_ok("fp8:e4m3").quantize_ref(500)));
}

TEST(MxHandWorked, ABlockHoldingANaN) {
    // FP8 elements have a NaN code: only that element is NaN (§5.2); the scale comes from the
    // other values: amax 2, shared_exp = 1 - 8 = -7, 1 * 2^7 = 128 is an E4M3 atom;
    // -0.3 * 2^7 = -38.4 lies between -36 and -40 (step 4 in [32, 64)): -40, so -0.3125.
    expect_block("mxfp8:e4m3", {1, NAN, 2, -0.3}, {1, NAN, 2, -0.3125});
    // FP6, FP4 and INT8 have none: the block's scale takes E8M0's NaN code 0xFF and every value
    // of the block reads NaN (§5.2); the next block is untouched.
    std::vector<double> in(64, 1.0), want(64, NAN);
    in[5] = NAN;
    for (int i = 32; i < 64; ++i) want[i] = 1.0;
    for (const char* spec : {"mxfp4", "mxfp6:e2m3", "mxfp6:e3m2", "mxint8"})
        expect_block(spec, in, want);
    const Format nan_block = parse_ok("mxfp4").fit({1.0, NAN});
    EXPECT_EQ(nan_block.block_scale_encoding().code, 0xFFu);
    EXPECT_TRUE(std::isnan(nan_block.block_scale()));
}

TEST(MxHandWorked, ABlockHoldingAnInf) {
    // E5M2 keeps infinities (§5.2; Inf is not clamped): X from the finite values (amax 1:
    // shared_exp = 0 - 15), 1 * 2^15 = 32768 exact. E4M3 has no infinity: NaN there. FP6, FP4,
    // INT8: no code at all, so the scale is NaN and the whole block reads NaN.
    expect_block("mxfp8:e5m2", {INFINITY, 1, -1, -INFINITY}, {INFINITY, 1, -1, -INFINITY});
    expect_block("mxfp8:e4m3", {INFINITY, 1, -1}, {NAN, 1, -1});
    expect_block("mxfp6:e2m3", {INFINITY, 1, -1}, {NAN, NAN, NAN});
    expect_block("mxfp4", {-INFINITY, 1}, {NAN, NAN});
}

TEST(MxHandWorked, AllZeroBlockAndSubnormalElements) {
    // max |V| = 0: the smallest E8M0 scale 2^-127 (code 0); zeros keep their sign in FP elements.
    expect_block("mxfp8:e4m3", {0.0, -0.0, 0.0}, {0.0, -0.0, 0.0});
    EXPECT_EQ(parse_ok("mxfp8:e4m3").fit({0.0, -0.0}).block_scale_encoding().code, 0u);
    expect_block("mxint8", {0.0, -0.0}, {0.0, 0.0});  // one integer zero
    // amax = 1: X = 2^(0 - 8). E4M3 subnormals are multiples of 2^-9 below 2^-6:
    // 2^-15 / X = 2^-7 (subnormal, exact); 3 * 2^-17 / X = 3 * 2^-9 (exact);
    // 2^-18 / X = 2^-10, a tie of 0 and 2^-9: 0; 1.5 * 2^-18 / X = 0.75 * 2^-9: up to 2^-9, so
    // 2^-17.
    expect_block("mxfp8:e4m3", {1, 0x1p-15, 3 * 0x1p-17, 0x1p-18, -1.5 * 0x1p-18},
                 {1, 0x1p-15, 3 * 0x1p-17, 0.0, -0x1p-17});
    // Very small blocks: X clamps at 2^-127, elements below the smallest subnormal flush.
    expect_block("mxfp8:e4m3", {0x1p-130, 0x1p-140}, {0x1p-130, 0.0});
    EXPECT_EQ(parse_ok("mxfp8:e4m3").fit({0x1p-130}).block_scale(), 0x1p-127);
}

TEST(MxHandWorked, MxInt8Codes) {
    // MX §5.3.4: INT8 elements are two's complement with an implicit scale 2^-6; emax_elem = 0.
    // amax 1.999: X = 1. 1.99 * 64 = 127.36 -> 127 (0x7F, 1.984375); -1 -> -64 (0xC0);
    // 0.7 * 64 = 44.8 -> 45 (0x2D, 0.703125); -1.999 * 64 = -127.936 -> -128 (0x80, -2): the
    // code range holds -2, which the conversion uses.
    expect_block("mxint8", {1.99, -1, 0.7, -1.999}, {1.984375, -1, 0.703125, -2});
    const Format f = parse_ok("mxint8").fit({1.99, -1, 0.7, -1.999});
    EXPECT_EQ(f.encode(1.984375).code, 0x7Fu);
    EXPECT_EQ(f.encode(-1.0).code, 0xC0u);
    EXPECT_EQ(f.encode(0.703125).code, 0x2Du);
    EXPECT_EQ(f.encode(-2.0).code, 0x80u);
    // amax 3: X = 2, 3 / 2 = 1.5 -> code 96 -> 3; 0.01 / 2 * 64 = 0.32 -> 0.
    expect_block("mxint8", {3, 0.01, -0.05}, {3, 0, -0.0625});
}

// ---- NVFP4 -----------------------------------------------------------------------------------

TEST(Nvfp4HandWorked, GlobalAndBlockScales) {
    // amax over the tensor 2688 = 6 * 448: global = 2688 / 2688 = 1 (FP32).
    // Block 1 (amax 2688): s_b = e4m3(2688 / 6) = 448; x / 448: 2688 -> 6, 1000 -> 2.23 -> 2
    // (896), -300 -> -0.67 -> -0.5 (-224), 560 -> 1.25, a tie of 1 (code 2) and 1.5 (code 3):
    // 1 (448).
    // Block 2 (amax 100): 100 / 6 = 16.67; E4M3 atoms there are 16, 18: s_b = 16. 100 / 16 =
    // 6.25 clamps to 6 (96); 50 / 16 = 3.125 -> 3 (48); 7 / 16 = 0.4375 -> 0.5 (8); -20 / 16 =
    // -1.25 -> tie -> -1 (-16).
    std::vector<double> in(32, 0.0), want(32, 0.0);
    const double b1[] = {2688, 1000, -300, 560}, w1[] = {2688, 896, -224, 448};
    const double b2[] = {100, 50, 7, -20}, w2[] = {96, 48, 8, -16};
    for (int i = 0; i < 4; ++i)
        in[i] = b1[i], want[i] = w1[i], in[16 + i] = b2[i], want[16 + i] = w2[i];
    expect_block("nvfp4", in, want);
    expect_block("nvfp4:global=1", in, want);
    const Format bound = parse_ok("nvfp4").fit_tensor(in);
    EXPECT_EQ(bound.to_string(), "nvfp4:global=1");
    EXPECT_EQ(bound.fit(std::vector<double>(in.begin() + 16, in.end())).block_scale(), 16);
    EXPECT_EQ(bound.fit(std::vector<double>(in.begin() + 16, in.end())).block_scale_encoding().code,
              0x58u);  // 16 = 0.1011.000
    // amax 1: global = 1 / 2688 in FP32 arithmetic, not exact; the dequantized values are the
    // exact products element * s_b * global.
    const float g = 1.0f / 2688.0f;
    EXPECT_EQ(parse_ok("nvfp4").fit_tensor({1.0, 0.5}).to_string(),
              "nvfp4:global=" + shortest_repr(g));
    const double s = 448.0 * g;  // 1 / (6 g) = 448.0000...something rounds to 448
    expect_block("nvfp4", {1.0, 0.5}, {6 * s, 3 * s});
    // A block 2^-20 of the tensor's amax: its scale rounds to 0 in E4M3; every element is 0.
    std::vector<double> tiny(32, 0.0);
    tiny[0] = 2688, tiny[16] = 2688 * 0x1p-20, tiny[17] = -2688 * 0x1p-21;
    std::vector<double> tiny_want(32, 0.0);
    tiny_want[0] = 2688, tiny_want[17] = -0.0;
    expect_block("nvfp4", tiny, tiny_want);
    // NaN in a block: E2M1 has no NaN, the E4M3 block scale takes its NaN code.
    std::vector<double> with_nan(in);
    with_nan[20] = NAN;
    std::vector<double> nan_want(want);
    for (int i = 16; i < 32; ++i) nan_want[i] = NAN;
    expect_block("nvfp4", with_nan, nan_want);
}

// ---- Group-wise int ---------------------------------------------------------------------------

TEST(IntGroupHandWorked, SymmetricAndAsymmetric) {
    // int4 sym, group 4: scale = max|x| / 7 = 0.7 / 7 = 0.1, stored in FP16 as 1638 * 2^-14 =
    // 0.0999755859375. x / s: 0.7 -> 7.0017 -> 7 (0.69982910156); -0.35 -> -3.5009 -> -4
    // (-0.39990234375); 0.1 -> 1.0002 -> 1; 0 -> 0. Codes -7..7 (symmetric).
    const double s = 0.0999755859375;
    expect_block("int:b=4,group=4", {0.7, -0.35, 0.1, 0.0}, {7 * s, -4 * s, s, 0});
    EXPECT_EQ(parse_ok("int:b=4,group=4").fit({0.7, -0.35, 0.1, 0.0}).block_scale(), s);
    EXPECT_EQ(parse_ok("int:b=4,group=4").fit({0.7, -0.35, 0.1, 0.0}).block_scale_encoding().code,
              0x2E66u);
    // Symmetric codes: the largest magnitude, negative here, maps to -7 (the same s).
    expect_block("int:b=4,group=2", {-0.7, 0.35}, {-7 * s, 4 * s});
    // int4 asym: min -0.5, max 1: scale = 1.5 / 15 = 0.1 -> the same FP16 s; zero point
    // rint(0.5 / s) = rint(5.0012) = 5. (x / s) + 5 rounded: 1 -> 15.0024 -> 15 (value 10 s);
    // 0.2 -> 2 s; -0.5 -> -5 s (code 0); 0.25 -> 2.5006 -> 3 s.
    expect_block("int:b=4,group=4,asym=1", {1.0, 0.2, -0.5, 0.25}, {10 * s, 2 * s, -5 * s, 3 * s});
    // An all-positive group: the range is widened to include 0 (lo = 0): scale 4 / 15 ->
    // FP16 1092 * 2^-12 = 0.2666015625, zero 0: 1 -> 3.75 -> 4; 2 -> 7.50 -> 8; 3 -> 11.25 -> 11;
    // 4 -> 15.004 -> 15.
    const double t = 0.2666015625;
    expect_block("int:b=4,group=4,asym=1", {1, 2, 3, 4}, {4 * t, 8 * t, 11 * t, 15 * t});
    // An all-zero group: the FP16 scale would be 0, the smallest subnormal 2^-24 stands in.
    EXPECT_EQ(parse_ok("int:b=4,group=4").fit({0.0, 0.0}).block_scale(), 0x1p-24);
    expect_block("int:b=4,group=4", {0.0, -0.0, NAN, 0.0}, {0.0, 0.0, NAN, 0.0});
    // Infinity saturates and does not take part in the scale.
    expect_block("int:b=4,group=4", {INFINITY, 0.7, -INFINITY, 0}, {7 * s, 7 * s, -7 * s, 0});
}

// ---- Brute force against both paths ---------------------------------------------------------

// Random tensors whose blocks mix random values with exact midpoints and atoms of the block's
// own lattice (ties), so every rounding rule is exercised. `lattice` maps a block's amax to
// its scaled atoms.
std::vector<double> random_tensor(std::mt19937_64& gen, std::size_t blocks, std::size_t block,
                                  const std::function<std::vector<double>(double amax)>& lattice) {
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> v;
    for (std::size_t b = 0; b < blocks; ++b) {
        const int binade = static_cast<int>(gen() % 40) - 20;
        const double amax = static_cast<double>(static_cast<float>(std::ldexp(1 + u(gen), binade)));
        const std::vector<double> atoms = lattice(amax);
        const std::size_t n =
            (b + 1 == blocks) ? 1 + gen() % block : block;  // a partial last block
        const std::size_t where = gen() % n;
        for (std::size_t i = 0; i < n; ++i) {
            double x;
            if (i == where)
                x = amax * (gen() % 2 ? 1 : -1);
            else {
                const std::size_t j = gen() % atoms.size();
                const double a = atoms[j], next = j + 1 < atoms.size() ? atoms[j + 1] : a;
                switch (gen() % 4) {
                    case 0:
                        x = a + (next - a) / 2;
                        break;  // a midpoint: a tie
                    case 1:
                        x = a;
                        break;  // an atom
                    case 2:
                        x = std::nextafter(static_cast<float>(a + (next - a) / 2),
                                           gen() % 2 ? 1e30f : -1e30f);
                        break;
                    default:
                        x = (2 * u(gen) - 1) * amax;
                        break;
                }
                if (std::fabs(x) > amax) x = std::copysign(amax, x);
            }
            v.push_back(static_cast<double>(static_cast<float>(x)));
        }
    }
    return v;
}

std::vector<double> scaled(const std::vector<Atom>& atoms, double s) {
    std::vector<double> out;
    for (const Atom& a : atoms) out.push_back(a.value * s);
    std::sort(out.begin(), out.end());
    return out;
}

void compare_all_modes(
    const std::string& spec, const std::vector<double>& v,
    const std::function<std::vector<double>(const std::vector<double>&, Rounding)>& brute) {
    const Format f = parse_ok(spec);
    for (Rounding mode : all_roundings()) {
        if (mode == Rounding::stochastic) continue;
        const auto want = brute(v, mode), ref = quantize_ref(f, v, mode),
                   fast = quantize_fast(f, v, mode);
        int bad = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!same_bits(ref[i], want[i]) && ++bad < 4)
                ADD_FAILURE() << spec << " " << rounding_name(mode) << " [" << i << "] x=" << v[i]
                              << " ref=" << ref[i] << " brute=" << want[i];
            if (!same_bits(fast[i], static_cast<float>(want[i])) && ++bad < 4)
                ADD_FAILURE() << spec << " " << rounding_name(mode) << " [" << i << "] x=" << v[i]
                              << " fast=" << fast[i] << " brute=" << want[i];
        }
        ASSERT_EQ(bad, kMismatchesAllowed) << spec << " " << rounding_name(mode);
    }
}

TEST(BlockBruteForce, MxEveryElementEveryMode) {
    const std::pair<const char*, const char*> kinds[] = {
        {"mxfp8:e4m3", "e4m3"}, {"mxfp8:e5m2", "e5m2"}, {"mxfp6:e2m3", "e2m3"},
        {"mxfp6:e3m2", "e3m2"}, {"mxfp4", "e2m1"},      {"mxint8", "int8"}};
    for (const auto& kind : kinds) {
        const std::string spec = kind.first, type = kind.second;
        const auto atoms = element_atoms(type);
        int emax = 0;
        std::frexp(max_of(atoms), &emax);
        for (int seed = 0; seed < kRandomTensors; ++seed) {
            std::mt19937_64 gen(seed);
            const std::size_t block = seed % 3 == 0 ? 32 : 1 + gen() % 40;
            const std::string s =
                block == 32 ? spec
                            : std::string(spec) +
                                  (std::string(spec).find(':') != std::string::npos ? "," : ":") +
                                  "block=" + std::to_string(block);
            const auto v = random_tensor(gen, 4, block, [&](double amax) {
                int e = 0;
                std::frexp(amax, &e);
                return scaled(atoms, std::ldexp(1.0, e - emax));
            });
            compare_all_modes(s, v, [&](const std::vector<double>& x, Rounding m) {
                return mx_brute(type, block, x, m);
            });
        }
    }
}

TEST(BlockBruteForce, Nvfp4EveryMode) {
    const auto fp4 = element_atoms("e2m1");
    const auto e4m3 = positive_values(element_atoms("e4m3"));
    for (int seed = 0; seed < kRandomTensors; ++seed) {
        std::mt19937_64 gen(100 + seed);
        // The first block holds 2688 so the global scale is 1 and every lattice point is a float.
        auto v = random_tensor(gen, 5, 16, [&](double amax) {
            return scaled(fp4, nearest_quotient(e4m3, true, amax, 6.0));
        });
        for (double& x : v) x = std::clamp(x, -2688.0, 2688.0);
        v[0] = seed % 2 ? 2688 : -2688;
        compare_all_modes("nvfp4", v, nvfp4_brute);
    }
    // And tensors with an arbitrary amax (an inexact FP32 global).
    for (int seed = 0; seed < kRandomTensors; ++seed) {
        std::mt19937_64 gen(200 + seed);
        std::normal_distribution<double> normal;
        std::vector<double> v(16 * 4 + 3);
        for (double& x : v) x = static_cast<float>(normal(gen) * std::ldexp(1.0, seed % 20 - 10));
        compare_all_modes("nvfp4", v, nvfp4_brute);
    }
}

TEST(BlockBruteForce, IntGroupsEveryWidthEveryMode) {
    for (int b = 2; b <= 8; ++b) {
        for (bool asym : {false, true}) {
            for (int seed = 0; seed < kRandomTensors / 4; ++seed) {
                std::mt19937_64 gen(300 + seed * 16 + b);
                const std::size_t group = seed % 2 ? 128 : 1 + gen() % 64;
                const std::string spec = "int:b=" + std::to_string(b) +
                                         ",group=" + std::to_string(group) +
                                         (asym ? ",asym=1" : "");
                std::normal_distribution<double> normal;
                std::vector<double> v(group * 3 + 5);
                for (double& x : v)
                    x = static_cast<float>(normal(gen) * std::ldexp(1.0, seed % 10 - 5) +
                                           (asym ? 0.3 : 0));
                // Ties: x = (j + 1/2) * s for the group's own FP16 scale s.
                for (std::size_t start = 0; start < v.size(); start += group) {
                    const std::size_t n = std::min(group, v.size() - start);
                    const Format fitted = parse_ok(spec).fit(
                        std::vector<double>(v.begin() + start, v.begin() + start + n));
                    const double s = fitted.block_scale();
                    double lo = 0, hi = 0;
                    for (std::size_t i = 0; i < n; ++i)
                        lo = std::min(lo, v[start + i]), hi = std::max(hi, v[start + i]);
                    for (std::size_t i = 1; i < n; i += 3) {
                        const double tie = fitted.quantize_ref(v[start + i]) + s / 2;
                        if (tie < hi && tie > lo) v[start + i] = tie;  // inside: the scale stays
                    }
                }
                compare_all_modes(spec, v, [&](const std::vector<double>& x, Rounding m) {
                    return int_group_brute(b, group, asym, x, m);
                });
            }
        }
    }
}

// ---- Fast paths at their own decision points (issue 19) --------------------------------------
// The fast paths decide by thresholds (NVFP4: float32 bit patterns at the exact midpoints of the
// E4M3 block scale and of the E2M1 elements; group-wise int: an FP16 scale from a float32
// quotient, a zero point from a multiplied reciprocal). Inputs on and next to every such
// threshold, through the fast Format::quantize against the tensor reference, every rounding mode.

// Seeds of the stochastic comparisons (the fast path draws as the reference: same stream).
constexpr std::uint64_t kStochasticSeeds[] = {3, 4};

void expect_fast_path_is_reference(const std::string& spec, const std::vector<float>& in) {
    const Format f = parse_ok(spec);
    const std::vector<double> values(in.begin(), in.end());
    for (Rounding mode : all_roundings()) {
        for (std::uint64_t seed : kStochasticSeeds) {
            QuantizeOptions o;
            o.rounding = mode;
            o.seed = seed;
            std::vector<float> out(in.size());
            f.quantize(in.data(), out.data(), in.size(), o);
            const std::vector<double> ref = f.quantize_tensor_ref(values, o);
            int bad = 0;
            for (std::size_t i = 0; i < in.size(); ++i)
                if (!same_bits(out[i], static_cast<float>(ref[i])) && ++bad < 4)
                    ADD_FAILURE() << spec << " " << rounding_name(mode) << " [" << i
                                  << "] x=" << in[i] << " fast=" << out[i] << " ref=" << ref[i];
            ASSERT_EQ(bad, kMismatchesAllowed) << spec << " " << rounding_name(mode);
            if (mode != Rounding::stochastic) break;  // one seed is the whole story
        }
    }
}

// A float32 value and its two neighbours.
void push_with_neighbours(std::vector<float>& v, double x) {
    const auto f = static_cast<float>(x);
    v.push_back(f);
    v.push_back(std::nextafter(f, INFINITY));
    v.push_back(std::nextafter(f, -INFINITY));
}

// NVFP4 with a bound FP32 global g: for every E4M3 code, blocks whose amax lies on (and next to)
// the midpoint between it and the code below, times 6 * g (the block scale's ties); then the
// elements on and next to the midpoints of s * E2M1 for that block's own scale s (the elements'
// ties), signs alternating. Globals: 1 (every lattice point a float), inexact ones, one that
// makes the lattice subnormal, and a large one. Plus a block that saturates the scale at 448, a
// zero-scale block of subnormals, and blocks holding NaN or Inf.
TEST(BlockFastPathEdges, Nvfp4OnEveryBlockScaleAndElementMidpoint) {
    const std::vector<double> e4m3 = positive_values(element_atoms("e4m3"));
    const double kMids[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5};
    for (const double global : {1.0, 0.001, 7.3, 3e-39, 1e30}) {
        const auto g = static_cast<float>(global);
        const std::string spec = "nvfp4:global=" + shortest_repr(g);
        const Format f = parse_ok(spec);
        std::vector<float> in;
        for (std::size_t c = 0; c < e4m3.size(); ++c) {
            const double below = c == 0 ? 0 : e4m3[c - 1];
            const double mid = (below + e4m3[c]) / 2 * 6 * static_cast<double>(g);
            std::vector<float> amaxes;
            push_with_neighbours(amaxes, mid);
            for (float amax : amaxes) {
                if (!(amax > 0) || !std::isfinite(amax)) continue;
                std::vector<float> block(16, 0.0f);
                block[0] = amax;
                const double s =
                    f.fit(std::vector<double>(block.begin(), block.end())).block_scale();
                std::vector<float> elements;
                for (double m : kMids) push_with_neighbours(elements, m * s);
                for (std::size_t i = 1; i < 16; ++i) {
                    const float e = elements[(i + c) % elements.size()];
                    block[i] = (i % 2 ? -1.0f : 1.0f) * (std::fabs(e) < amax ? e : amax / 3);
                }
                in.insert(in.end(), block.begin(), block.end());
            }
        }
        std::vector<float> extra(16, 0.0f);
        extra[0] = 1e38f, extra[1] = -3e37f, extra[2] = 2.5f;  // the scale saturates at 448
        in.insert(in.end(), extra.begin(), extra.end());
        for (std::size_t i = 0; i < 16; ++i)  // subnormals only
            in.push_back(std::ldexp(static_cast<float>(i) - 8, -149));
        std::vector<float> special(32, 1.5f);
        special[3] = NAN, special[16 + 5] = -INFINITY;
        in.insert(in.end(), special.begin(), special.end());
        in.push_back(0.1f);  // a short last block
        expect_fast_path_is_reference(spec, in);
        // The same values with the global fitted to the tensor (the one-pass path).
        expect_fast_path_is_reference("nvfp4", in);
    }
}

// Group-wise int: groups whose span is on (and next to) the midpoint between two FP16 scales
// times qmax (the scale's ties; normal and subnormal FP16, and beyond 65504), groups whose zero
// point is a half-integer -lo / scale (even and odd), all-zero and all-equal groups, huge and
// tiny values, and groups holding NaN or +-Inf (left out of the range).
std::vector<float> int_group_edge_input(int bits, std::size_t group, bool asym) {
    const double qmax = asym ? std::ldexp(1.0, bits) - 1 : std::ldexp(1.0, bits - 1) - 1;
    std::mt19937_64 gen(static_cast<std::uint64_t>(bits * 100 + static_cast<int>(group)));
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> in;
    auto push_group = [&](float lo, float hi) {
        std::vector<float> v(group);
        for (float& x : v) x = static_cast<float>(lo + (hi - lo) * u(gen));
        v[0] = hi;
        if (group > 1) v[1] = lo;
        in.insert(in.end(), v.begin(), v.end());
    };
    // FP16 scales: normal ones across the range, subnormal ones (multiples of 2^-24).
    std::vector<double> fp16;
    for (int e = -14; e <= 15; e += 3)
        for (int m : {0, 1, 511, 1022, 1023}) fp16.push_back(std::ldexp(1 + m / 1024.0, e));
    for (int k : {1, 2, 3, 500, 1023}) fp16.push_back(std::ldexp(k, -24));
    for (double a : fp16) {
        const double step = a < 0x1p-14 ? 0x1p-24 : std::ldexp(1.0, std::ilogb(a) - 10);
        std::vector<float> spans;
        push_with_neighbours(spans, (a + step / 2) * qmax);  // the scale's tie
        for (float span : spans) push_group(asym ? 0.0f : -span * 0.5f, span);
        // A zero point on a half-integer: lo = -(k + 1/2) * a, span = qmax * a.
        if (asym && qmax >= 2)
            for (double k : {0.0, 1.0, std::floor(qmax / 2), qmax - 2}) {
                const auto lo = static_cast<float>(-(k + 0.5) * a);
                const auto hi = static_cast<float>((qmax - k - 0.5) * a);
                push_group(lo, hi);
                push_group(std::nextafter(lo, -INFINITY), hi);
                push_group(std::nextafter(lo, 0.0f), hi);
            }
    }
    push_group(-1e30f, 3e30f);  // the scale saturates at 65504
    push_group(0.0f, 0.0f);     // all zero: scale 2^-24
    push_group(-0.7f, -0.7f);   // all equal
    push_group(-1e-40f, 1e-41f);
    std::vector<float> special(group, 0.3f);
    special[0] = NAN, special[group / 2] = INFINITY, special[group - 1] = -INFINITY;
    in.insert(in.end(), special.begin(), special.end());
    in.push_back(-0.25f);  // a short last group
    return in;
}

TEST(BlockFastPathEdges, IntGroupsOnEveryScaleAndZeroPointTie) {
    for (int bits : {2, 4, 8, 16})
        for (bool asym : {false, true})
            for (std::size_t group : {std::size_t{7}, std::size_t{32}, std::size_t{128}}) {
                const std::string spec = "int:b=" + std::to_string(bits) +
                                         ",group=" + std::to_string(group) +
                                         (asym ? ",asym=1" : "");
                expect_fast_path_is_reference(spec, int_group_edge_input(bits, group, asym));
            }
}

// Long N(0,1) arrays, many batches of the fast paths (1M values in the benchmarks), every
// block format of the benchmarks' ratio table (tests/bench/format_specs.hpp).
TEST(BlockFastPathEdges, LongArraysOfTheBenchmarkFormats) {
    std::mt19937 gen(5);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> in(kLongArray);
    for (float& x : in) x = normal(gen);
    for (const char* spec : bench::kRatioSpecs) expect_fast_path_is_reference(spec, in);
}

TEST(BlockFormats, StochasticRoundingIsSeededAndPicksNeighbours) {
    for (const char* spec :
         {"mxfp4", "mxfp8:e4m3", "nvfp4", "int:b=4,group=16", "int:b=3,group=8,asym=1"}) {
        const Format f = parse_ok(spec);
        const auto v = sample_distribution(Distribution::gaussian, 500, 3);
        QuantizeOptions o;
        o.rounding = Rounding::stochastic;
        o.seed = 9;
        const auto ref = f.quantize_tensor_ref(v, o), again = f.quantize_tensor_ref(v, o);
        EXPECT_EQ(ref, again);
        std::vector<float> in(v.begin(), v.end()), out(v.size());
        f.quantize(in.data(), out.data(), in.size(), o);
        const auto down = quantize_ref(f, v, Rounding::down), up = quantize_ref(f, v, Rounding::up);
        for (std::size_t i = 0; i < v.size(); ++i) {
            EXPECT_TRUE(ref[i] == down[i] || ref[i] == up[i]) << spec << " " << v[i];
            EXPECT_EQ(out[i], static_cast<float>(ref[i])) << spec << " " << i;
        }
    }
}

TEST(BlockFormats, RowsKeepGroupsInsideARow) {
    // A 3 x 10 matrix with groups of 4: rows of 10 do not hold whole groups, so quantize_rows
    // groups (0-3, 4-7, 8-9) within each row, the same as quantizing each row alone.
    const Format f = parse_ok("int:b=4,group=4");
    std::vector<float> m(40), out(30), row_out(10);
    for (int i = 0; i < 40; ++i) m[i] = static_cast<float>(std::sin(i * 1.7) * (1 + i / 10));
    f.quantize_rows(m.data(), out.data(), 3, 10);
    for (int r = 0; r < 3; ++r) {
        QuantizeOptions o;
        o.seed = static_cast<std::uint64_t>(r * 10);
        f.quantize(m.data() + r * 10, row_out.data(), 10, o);
        for (int c = 0; c < 10; ++c) EXPECT_EQ(out[r * 10 + c], row_out[c]) << r << "," << c;
    }
    // Rows of 8 hold two whole groups: the flat layout already keeps groups in a row.
    std::vector<float> flat(24), rows(24);
    f.quantize(m.data(), flat.data(), 24);
    f.quantize_rows(m.data(), rows.data(), 3, 8);
    EXPECT_EQ(flat, rows);
    // NVFP4's per-tensor scale still comes from the whole matrix.
    const Format nv = parse_ok("nvfp4");
    std::vector<float> a(40), b(40);
    nv.quantize_rows(m.data(), a.data(), 2, 20);
    const Format bound = nv.fit_tensor(std::vector<double>(m.begin(), m.begin() + 40));
    bound.quantize_rows(m.data(), b.data(), 2, 20);
    EXPECT_EQ(a, b);
}

TEST(BlockFormats, WeightGroupsRunAlongARowInTheNetwork) {
    // One dense layer, 2 x 6 weights, groups of 4: row 0 is [7, 0, 0, 0 | 0.7, 0.35], row 1
    // [70, 0, 0, 0 | 0, 0]. Along rows, row 0's second group has its own scale 0.1 (FP16
    // 0.0999755859375): 0.7 -> 7 s, 0.35 -> 4 s. Flat groups of 4 would mix 0.7, 0.35 with row 1's
    // 70 (scale 10) and zero them. Inputs e_j read the quantized weights back as scores.
    Model model;
    Layer layer;
    layer.in = 6, layer.out = 2, layer.activation = Activation::none;
    layer.weight = Matrix::Zero(2, 6);
    layer.weight(0, 0) = 7, layer.weight(0, 4) = 0.7f, layer.weight(0, 5) = 0.35f,
                    layer.weight(1, 0) = 70;
    layer.bias = Vector::Zero(2);
    model.layers.push_back(layer);
    Dataset data;
    data.features = 6, data.classes = 2;
    for (int j = 0; j < 6; ++j) {
        for (int i = 0; i < 6; ++i) data.x.push_back(i == j ? 1.0f : 0.0f);
        data.y.push_back(0);
    }
    EvalOptions o;
    o.roles.weights = "int:b=4,group=4";
    const Matrix scores = predict_scores(model, data, o);
    const double s = 0.0999755859375;
    EXPECT_EQ(scores(4, 0), static_cast<float>(7 * s));
    EXPECT_EQ(scores(5, 0), static_cast<float>(4 * s));
    EXPECT_EQ(scores(0, 1), 70.0f);
}

TEST(BlockFormats, SqnrGoesThroughTheBlocks) {
    // MXFP8 E4M3 on N(0,1): about 3 mantissa bits, roughly 31 dB; per-block scales make MXFP4 far
    // better than one FP4 grid over the whole tensor (whose top is 6).
    const auto v = sample_distribution(Distribution::gaussian, 20000, 1);
    const double mx8 = sqnr_db(parse_ok("mxfp8:e4m3"), v), mx4 = sqnr_db(parse_ok("mxfp4"), v);
    EXPECT_GT(mx8, 25);
    EXPECT_LT(mx8, 35);
    EXPECT_GT(mx4, 10);
    EXPECT_GT(mx8, mx4);
    EXPECT_EQ(sqnr_db(parse_ok("mxfp4"), v), sqnr_db(v, parse_ok("mxfp4").quantize_tensor_ref(v)));
}

}  // namespace
}  // namespace qlab
