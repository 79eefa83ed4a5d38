// Format library tests: parsing and its messages, hand-derived values for fixed point and
// lattices, the properties every format must have, delta, stochastic rounding, and fast paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../bench/format_specs.hpp"
#include "qlab/format.hpp"
#include "qlab/format_kinds.hpp"

namespace qlab {
namespace {

// A fast path must agree with the reference bit for bit.
constexpr int kFastPathUlpTolerance = 0;
// Stochastic rounding mean: allowed distance from x in standard errors.
constexpr double kStochasticSigmas = 5.0;

Format parse_ok(const std::string& spec) {
    auto f = Format::parse(spec);
    EXPECT_TRUE(f.ok()) << spec << ": " << f.status().message();
    return *f;
}

bool same_bits(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

const std::vector<std::string>& all_test_specs() {
    static const std::vector<std::string> specs = {
        "fixed:w=8,f=4",
        "fixed:w=4,f=2",
        "fixed:w=6,f=0,overflow=wrap",
        "fixed:w=12,f=-2",
        "fixed:w=16,f=18",
        "ufixed:w=8,f=8",
        "ufixed:w=3,f=1,overflow=wrap",
        "float:e=5,m=10",
        "float:e=8,m=7",
        "float:e=4,m=3",
        "float:e=5,m=2",
        "float:e=3,m=0",
        "float:e=4,m=3,sub=0",
        "float:e=5,m=2,sat=1",
        "float:e=2,m=1,sub=0,sat=1",
        "float:e=11,m=52",
        "float:e=8,m=23",
        "lattice:range=1,points=5",
        "lattice:range=2,points=16",
        "lattice:range=0.1,points=7",
        "int:b=8,scale=0.1",
        "int:b=4,scale=0.3,zero=2",
        "int:b=8,scale=0.05,zero=128,signed=0",
        "int:b=8,scale=0.1,narrow=1",
        "int:b=16,scale=0.001",
        "binary:alpha=0.5",
        "ternary:alpha=1,threshold=0.3",
        "ternary:alpha=2",
        "ternary:alpha=0.5,threshold=0.8",
        "codebook:values=-1;-0.3;0;0.1;0.7;2",
        // OCP element types; fp8:e4m3 (overflow to NaN) and e8m0 (no zero, no sign) break the
        // monotone/saturate-at-infinity properties on purpose and are covered in format_ocp_test.
        "fp8:e4m3,sat=1",
        "fp8:e5m2",
        "fp8:e5m2,sat=1",
        "fp6:e2m3",
        "fp6:e3m2",
        "fp4:e2m1",
        // The FNUZ variants (no negative zero; the non-saturating ones overflow to NaN).
        "fp8:e4m3fnuz,sat=1",
        "fp8:e5m2fnuz,sat=1",
    };
    return specs;
}

TEST(FormatParse, CanonicalSpecsRoundTrip) {
    EXPECT_EQ(parse_ok("fixed:w=8,f=4").to_string(), "fixed:w=8,f=4");
    EXPECT_EQ(parse_ok(" fixed : f=4 , w=8 ").to_string(), "fixed:w=8,f=4");
    EXPECT_EQ(parse_ok("fixed:w=8,f=4,overflow=sat").to_string(), "fixed:w=8,f=4");
    EXPECT_EQ(parse_ok("ufixed:w=8,f=4,overflow=wrap").to_string(), "ufixed:w=8,f=4,overflow=wrap");
    EXPECT_EQ(parse_ok("float:m=10,e=5,sub=1,sat=0").to_string(), "float:e=5,m=10");
    EXPECT_EQ(parse_ok("float:e=4,m=3,sub=0,sat=1").to_string(), "float:e=4,m=3,sub=0,sat=1");
    EXPECT_EQ(parse_ok("lattice:range=0.5,points=64").to_string(), "lattice:range=0.5,points=64");
    EXPECT_EQ(parse_ok("int:scale=0.1,b=8,zero=0,signed=1").to_string(), "int:b=8,scale=0.1");
    EXPECT_EQ(parse_ok("ternary:alpha=1,threshold=0.5").to_string(), "ternary:alpha=1");
    EXPECT_EQ(parse_ok("ternary:block=64").to_string(), "ternary:block=64");
    EXPECT_EQ(parse_ok("codebook:values=2;-1;0;2").to_string(), "codebook:values=-1;0;2");
    EXPECT_EQ(parse_ok("bfp:block=16,w=8").to_string(), "bfp:w=8,block=16");
    EXPECT_TRUE(parse_ok("bfp:w=8,block=16").data_dependent());
    EXPECT_FALSE(parse_ok("ternary:alpha=1").data_dependent());
    for (const auto& spec : all_test_specs())
        EXPECT_EQ(parse_ok(parse_ok(spec).to_string()).to_string(), parse_ok(spec).to_string());
}

TEST(FormatParse, MalformedCorpusGivesNamedMessages) {
    std::ifstream in(QLAB_TEST_DATA "/bad_specs.txt");
    ASSERT_TRUE(in) << "cannot open " << QLAB_TEST_DATA "/bad_specs.txt";
    std::string line;
    int cases = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        const std::string spec = line.substr(0, tab), expected = line.substr(tab + 1);
        auto f = Format::parse(spec);
        ASSERT_FALSE(f.ok()) << "accepted bad spec '" << spec << "'";
        EXPECT_NE(f.status().message().find(expected), std::string::npos)
            << "spec '" << spec << "' gave: " << f.status().message();
        ++cases;
    }
    EXPECT_GE(cases, 30);
}

TEST(FormatParse, RoundingNames) {
    for (Rounding r : all_roundings()) EXPECT_EQ(*parse_rounding(rounding_name(r)), r);
    auto bad = parse_rounding("nearest");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("'nearest'"), std::string::npos);
}

TEST(ShortestRepr, RoundTripsWithoutNeedlessExponents) {
    EXPECT_EQ(shortest_repr(20), "20");
    EXPECT_EQ(shortest_repr(100), "100");
    EXPECT_EQ(shortest_repr(-240), "-240");
    EXPECT_EQ(shortest_repr(65504), "65504");
    EXPECT_EQ(shortest_repr(0.1), "0.1");
    EXPECT_EQ(shortest_repr(-3.3125), "-3.3125");
    EXPECT_EQ(shortest_repr(1e21), "1e+21");
    EXPECT_EQ(shortest_repr(5.9604644775390625e-08), "5.9604644775390625e-08");
    EXPECT_EQ(shortest_repr(0.0), "0");
    EXPECT_EQ(shortest_repr(-0.0), "-0");
    EXPECT_EQ(shortest_repr(INFINITY), "inf");
    EXPECT_EQ(shortest_repr(-INFINITY), "-inf");
    EXPECT_EQ(shortest_repr(NAN), "nan");
    std::mt19937_64 gen(1);
    for (int i = 0; i < 100000; ++i) {
        double v;
        const std::uint64_t bits = gen();
        std::memcpy(&v, &bits, 8);
        if (std::isnan(v)) continue;
        ASSERT_EQ(std::strtod(shortest_repr(v).c_str(), nullptr), v) << shortest_repr(v);
    }
}

TEST(FixedPoint, IssueExample) {
    const Format f = parse_ok("fixed:w=8,f=4");
    EXPECT_EQ(f.quantize_ref(0.1), 0.125);
    EXPECT_EQ(f.quantize_ref(-3.3), -3.3125);
    EXPECT_EQ(f.quantize_ref(100), 7.9375);
    EXPECT_EQ(f.quantize_ref(-100), -8);
    EXPECT_EQ(f.max_finite(), 7.9375);
    EXPECT_EQ(f.min_finite(), -8);
    EXPECT_EQ(f.min_positive(), 0.0625);
    EXPECT_EQ(f.atom_count(), 256);
    EXPECT_EQ(f.bits(), 8);
}

TEST(FixedPoint, RoundingModesByHand) {
    const Format f = parse_ok("fixed:w=4,f=2");  // atoms -2, -1.75, ..., 1.75
    struct Case {
        double x;
        double rne, rna, rtz, up, down;
    };
    const Case cases[] = {
        {0.3, 0.25, 0.25, 0.25, 0.5, 0.25},    {-0.3, -0.25, -0.25, -0.25, -0.25, -0.5},
        {0.375, 0.5, 0.5, 0.25, 0.5, 0.25},    {0.125, 0, 0.25, 0, 0.25, 0},
        {-0.125, 0, -0.25, 0, 0, -0.25},       {0.625, 0.5, 0.75, 0.5, 0.75, 0.5},
        {1.9, 1.75, 1.75, 1.75, 1.75, 1.75},   {-2.2, -2, -2, -2, -2, -2},
        {1.875, 1.75, 1.75, 1.75, 1.75, 1.75}, {0.75, 0.75, 0.75, 0.75, 0.75, 0.75},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(f.quantize_ref(c.x, Rounding::nearest_even), c.rne) << c.x;
        EXPECT_EQ(f.quantize_ref(c.x, Rounding::nearest_away), c.rna) << c.x;
        EXPECT_EQ(f.quantize_ref(c.x, Rounding::toward_zero), c.rtz) << c.x;
        EXPECT_EQ(f.quantize_ref(c.x, Rounding::up), c.up) << c.x;
        EXPECT_EQ(f.quantize_ref(c.x, Rounding::down), c.down) << c.x;
    }
}

TEST(FixedPoint, WrapAndUnsigned) {
    const Format wrap = parse_ok("fixed:w=4,f=0,overflow=wrap");  // -8..7
    EXPECT_EQ(wrap.quantize_ref(8), -8);
    EXPECT_EQ(wrap.quantize_ref(9), -7);
    EXPECT_EQ(wrap.quantize_ref(-9), 7);
    EXPECT_EQ(wrap.quantize_ref(23), 7);          // 23 - 16
    EXPECT_EQ(wrap.quantize_ref(7.6), -8);        // rounds to 8 first, then wraps
    EXPECT_EQ(wrap.quantize_ref(INFINITY), 7);    // infinity has no wrap: saturate
    const Format u = parse_ok("ufixed:w=8,f=8");  // 0 .. 255/256
    EXPECT_EQ(u.quantize_ref(-0.3), 0);
    EXPECT_EQ(u.quantize_ref(2), 255.0 / 256);
    EXPECT_EQ(u.quantize_ref(0.5 / 256), 0);          // tie to even code 0
    EXPECT_EQ(u.quantize_ref(1.5 / 256), 2.0 / 256);  // tie to even code 2
    const Format uw = parse_ok("ufixed:w=3,f=0,overflow=wrap");
    EXPECT_EQ(uw.quantize_ref(9), 1);
    EXPECT_EQ(uw.quantize_ref(-1), 7);
}

TEST(FixedPoint, EncodingIsTwosComplement) {
    const Format f = parse_ok("fixed:w=8,f=4");
    EXPECT_EQ(f.encode(-3.3125).code, 0xCBu);  // -53
    EXPECT_EQ(f.encode(7.9375).code, 0x7Fu);
    EXPECT_EQ(f.encode(-8).code, 0x80u);
    EXPECT_EQ(f.encode(0.0625).code, 0x01u);
    ASSERT_EQ(f.encode(1).fields.size(), 1u);
    EXPECT_EQ(f.encode(1).fields[0].width, 8);
}

TEST(Lattice, AtomsAndRounding) {
    const Format f = parse_ok("lattice:range=1,points=5");
    const AtomList atoms = f.atoms_in(-10, 10);
    EXPECT_EQ(atoms.atoms, (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
    EXPECT_EQ(f.quantize_ref(0.3), 0.5);
    EXPECT_EQ(f.quantize_ref(0.25), 0);    // tie: index 2 is even
    EXPECT_EQ(f.quantize_ref(0.75), 1);    // tie: index 4 is even
    EXPECT_EQ(f.quantize_ref(-0.75), -1);  // index 0
    EXPECT_EQ(f.quantize_ref(7), 1);
    EXPECT_EQ(f.quantize_ref(-7), -1);
    EXPECT_EQ(f.bits(), 3);
    EXPECT_EQ(f.epsilon(), 0.5);
    const Format even = parse_ok("lattice:range=1,points=4");  // -1, -1/3, 1/3, 1: no zero
    EXPECT_EQ(even.quantize_ref(0.01), 1.0 / 3);
    EXPECT_EQ(even.quantize_ref(-0.01), -1.0 / 3);
    EXPECT_EQ(even.min_positive(), 1.0 / 3);
    const Format tenth = parse_ok("lattice:range=0.1,points=7");
    const AtomList t = tenth.atoms_in(-1, 1);
    ASSERT_EQ(t.atoms.size(), 7u);
    EXPECT_EQ(t.atoms.front(), -0.1);
    EXPECT_EQ(t.atoms.back(), 0.1);
    for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(t.atoms[i], -t.atoms[6 - i]);
}

// The properties every format must satisfy.
class FormatProperties : public ::testing::TestWithParam<std::string> {};

TEST_P(FormatProperties, AtomsAreFixedPointsOfEveryMode) {
    const Format f = parse_ok(GetParam());
    const double span = std::min(f.max_finite(), 64.0);
    const AtomList atoms = f.atoms_in(-span, span, 3000);
    ASSERT_GE(atoms.atoms.size(), 2u);
    Rng rng(3);
    for (double a : atoms.atoms)
        for (Rounding r : all_roundings()) ASSERT_EQ(f.quantize_ref(a, r, &rng), a) << a;
    // atoms_in and next_up/next_down agree, and are strictly increasing.
    for (std::size_t i = 0; i + 1 < atoms.atoms.size(); ++i) {
        ASSERT_LT(atoms.atoms[i], atoms.atoms[i + 1]);
        ASSERT_EQ(f.next_up(atoms.atoms[i]), atoms.atoms[i + 1]);
        ASSERT_EQ(f.next_down(atoms.atoms[i + 1]), atoms.atoms[i]);
    }
}

TEST_P(FormatProperties, IdempotentMonotoneAndBetweenNeighbours) {
    const Format f = parse_ok(GetParam());
    std::mt19937_64 gen(42);
    const double scale = std::min(f.max_finite() * 1.5, 1e6);
    std::uniform_real_distribution<double> u(-scale, scale);
    std::vector<double> xs(4000);
    for (double& x : xs) x = u(gen) * std::pow(2.0, -static_cast<int>(gen() % 12));
    std::sort(xs.begin(), xs.end());
    for (Rounding r : all_roundings()) {
        if (r == Rounding::stochastic) continue;
        double previous = -INFINITY;
        for (double x : xs) {
            const double q = f.quantize_ref(x, r);
            ASSERT_TRUE(same_bits(f.quantize_ref(q, r), q)) << GetParam() << " x=" << x;
            if (GetParam().find("wrap") == std::string::npos) {
                ASSERT_GE(q, previous) << GetParam() << " x=" << x << " " << rounding_name(r);
                previous = q;
                if (x >= f.min_finite() && x <= f.max_finite()) {
                    const Bracket b = f.bracket(x);
                    ASSERT_TRUE(q == b.lo || q == b.hi || q == 0) << x;
                }
            }
        }
    }
}

TEST_P(FormatProperties, NanInfAndSignedZero) {
    const Format f = parse_ok(GetParam());
    EXPECT_TRUE(std::isnan(f.quantize_ref(NAN)));
    const double pos_inf = f.quantize_ref(INFINITY), neg_inf = f.quantize_ref(-INFINITY);
    if (f.has_infinity()) {
        EXPECT_EQ(pos_inf, INFINITY);
        EXPECT_EQ(neg_inf, -INFINITY);
    } else {
        EXPECT_EQ(pos_inf, f.max_finite());
        EXPECT_EQ(neg_inf, f.min_finite());
    }
    const bool is_float = (GetParam().rfind("float", 0) == 0 || GetParam().rfind("fp", 0) == 0) &&
                          GetParam().find("fnuz") == std::string::npos;  // FNUZ: no -0
    const double q = f.quantize_ref(-0.0);
    if (is_float) {
        EXPECT_TRUE(same_bits(q, -0.0));
        const double tiny = f.min_positive() / 4;  // rounds to zero in every nearest mode
        if (tiny > 0) {
            EXPECT_TRUE(same_bits(f.quantize_ref(-tiny), -0.0));
            EXPECT_TRUE(same_bits(f.quantize_ref(tiny), 0.0));
            EXPECT_TRUE(same_bits(f.quantize_ref(-tiny, Rounding::toward_zero), -0.0));
        }
    } else if (f.quantize_ref(0.0) == 0) {
        EXPECT_TRUE(same_bits(q, 0.0)) << "fixed point and lattices have a single +0";
    }
}

TEST_P(FormatProperties, FastPathMatchesReference) {
    const Format f = parse_ok(GetParam());
    std::mt19937 gen(7);
    std::vector<float> in;
    // Random values across many binades, plus adversarial ones: ties, neighbours, extremes.
    std::uniform_real_distribution<float> u(-1, 1);
    for (int i = 0; i < 200000; ++i)
        in.push_back(u(gen) * std::ldexp(1.0f, static_cast<int>(gen() % 40) - 20));
    const double span = std::min(f.max_finite(), 1e30);
    for (double a : f.atoms_in(-span, span, 2000).atoms) {
        const double b = f.next_up(a);
        const float fa = static_cast<float>(a);
        in.push_back(fa);
        in.push_back(std::nextafter(fa, INFINITY));
        in.push_back(std::nextafter(fa, -INFINITY));
        if (std::isfinite(b)) in.push_back(static_cast<float>(a + (b - a) / 2));
    }
    for (float v : {0.0f, -0.0f, INFINITY, -INFINITY, NAN, std::numeric_limits<float>::max(),
                    -std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                    std::numeric_limits<float>::min(), 1e-40f, -1e-40f})
        in.push_back(v);
    const float fmax = static_cast<float>(std::min(f.max_finite(), 3e38));
    in.push_back(fmax), in.push_back(std::nextafter(fmax, INFINITY)), in.push_back(fmax * 1.0001f);
    std::vector<float> out(in.size());
    f.quantize(in.data(), out.data(), in.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const float expected = static_cast<float>(f.quantize_ref(in[i]));
        if (!same_bits(out[i], expected)) {
            if (++mismatches < 5)
                ADD_FAILURE() << GetParam() << " x=" << in[i] << " fast=" << out[i]
                              << " ref=" << expected;
        }
    }
    EXPECT_EQ(mismatches, static_cast<std::size_t>(kFastPathUlpTolerance));
    // Stochastic rounding: the fast path (float's, issue 19) draws from one stream seeded
    // `seed`, one draw per value off the lattice, as the reference over the whole array does.
    QuantizeOptions o;
    o.rounding = Rounding::stochastic;
    o.seed = 9;
    f.quantize(in.data(), out.data(), in.size(), o);
    const std::vector<double> ref =
        f.quantize_tensor_ref(std::vector<double>(in.begin(), in.end()), o);
    mismatches = 0;
    for (std::size_t i = 0; i < in.size(); ++i)
        if (!same_bits(out[i], static_cast<float>(ref[i])) && ++mismatches < 5)
            ADD_FAILURE() << GetParam() << " stochastic x=" << in[i] << " fast=" << out[i]
                          << " ref=" << ref[i];
    EXPECT_EQ(mismatches, static_cast<std::size_t>(kFastPathUlpTolerance)) << "stochastic";
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FormatProperties, ::testing::ValuesIn(all_test_specs()));

// Formats fitted per block or tensor: the fast Format::quantize against the tensor reference,
// every rounding mode (the brute-force reference is in format_block_test.cpp). Every
// block-scaled example of the registry (each MX element type, NVFP4, group-wise int sym and
// asym), then other block sizes, ragged last blocks (5000 values), the other fitted kinds and
// the benchmarks' ratio table (tests/bench/format_specs.hpp).
const std::vector<std::string>& block_test_specs() {
    static const std::vector<std::string> specs = [] {
        std::vector<std::string> s;
        for (const FormatKindInfo& kind : format_kinds())
            for (const FormatForm& form : kind.forms)
                for (const FormatExample& example : form.examples)
                    if (parse_ok(example.spec).block_scaled()) s.push_back(example.spec);
        for (const char* spec :
             {"mxint8", "mxfp4:block=7", "mxfp8:e4m3,block=48", "nvfp4", "nvfp4:global=0.001",
              "nvfp4:global=3e-39", "int:b=4,group=128", "int:b=4,group=32,asym=1",
              "int:b=8,group=5", "int:b=8,group=128", "int:b=3,group=33",
              "int:b=16,group=64,asym=1", "int:b=2,group=16,asym=1", "bfp:w=8,block=16",
              "ternary:block=64", "binary:block=8"})
            if (std::find(s.begin(), s.end(), spec) == s.end()) s.push_back(spec);
        for (const char* spec : bench::kRatioSpecs)  // the benchmarks' block formats
            if (std::find(s.begin(), s.end(), spec) == s.end()) s.push_back(spec);
        return s;
    }();
    return specs;
}

// Inputs that stress the block paths: N(0,1) over 30 binades, all-zero blocks, NaN, +-Inf, -0,
// float max and the smallest subnormal, then blocks of 16 (NVFP4's; a part of every other
// block size) that are all equal, all subnormal, one huge value among tiny ones, values next
// to the fitted block's midpoints, i.e. (near) ties, and values on the fitted lattice.
std::vector<float> block_test_input(const Format& f) {
    std::mt19937 gen(11);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> in(5000);
    for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = normal(gen) * std::ldexp(1.0f, static_cast<int>((i / 37) % 30) - 15);
    for (std::size_t i = 0; i < 64; ++i) in[i] = 0;  // all-zero blocks
    in[100] = NAN, in[300] = INFINITY, in[700] = -INFINITY, in[900] = -0.0f;
    in[1000] = std::numeric_limits<float>::max(),
    in[1001] = std::numeric_limits<float>::denorm_min();
    for (std::size_t i = 2048; i < 2048 + 128; ++i) in[i] = 0.7f;   // all equal
    for (std::size_t i = 2304; i < 2304 + 128; ++i) in[i] = -0.7f;  // all equal, negative
    for (std::size_t i = 2560; i < 2560 + 128; ++i)                 // subnormals only
        in[i] = std::ldexp(static_cast<float>(i % 7) - 3, -140);
    for (std::size_t i = 2816; i < 2816 + 128; ++i) in[i] = normal(gen) * 1e-6f;
    in[2816 + 3] = 3e30f;  // one huge value among small ones
    // Midpoints between neighbouring atoms of each fitted block, kept inside the block's range
    // (the value of largest magnitude stays, so the block's fit does not change).
    if (!f.to_string().empty() && f.block_size() > 0 && f.to_string() != "nvfp4") {
        const std::size_t b = f.block_size();
        for (std::size_t start = 3072 / b * b; start + b <= 4096; start += b) {
            const std::vector<double> block(in.begin() + static_cast<long>(start),
                                            in.begin() + static_cast<long>(start + b));
            const Format fitted = f.fit(block);
            std::size_t top = 0;
            for (std::size_t i = 1; i < b; ++i)
                if (std::fabs(block[i]) > std::fabs(block[top])) top = i;
            double lo = 0, hi = 0;
            for (double v : block) lo = std::min(lo, v), hi = std::max(hi, v);
            for (std::size_t i = 0; i < b; ++i) {
                if (i == top) continue;
                const double q = fitted.quantize_ref(block[i], Rounding::down);
                const double next = fitted.next_up(q);
                const auto mid = static_cast<float>(q + (next - q) / 2);
                if (std::isfinite(next) && mid > lo && mid < hi) in[start + i] = mid;
            }
        }
        // And blocks with every other value on the lattice (stochastic rounding draws nothing
        // for them, and the fast path must skip the same draws).
        for (std::size_t start = 4096 / b * b; start + b <= 4608; start += b) {
            const std::vector<double> block(in.begin() + static_cast<long>(start),
                                            in.begin() + static_cast<long>(start + b));
            const Format fitted = f.fit(block);
            for (std::size_t i = 0; i < b; i += 2) {
                const double q = fitted.quantize_ref(block[i], Rounding::toward_zero);
                if (std::isfinite(q)) in[start + i] = static_cast<float>(q);
            }
        }
    }
    return in;
}

class BlockFastPath : public ::testing::TestWithParam<std::string> {};

TEST_P(BlockFastPath, MatchesTensorReferenceInEveryMode) {
    const Format f = parse_ok(GetParam());
    EXPECT_EQ(parse_ok(f.to_string()).to_string(), f.to_string());
    const std::vector<float> in = block_test_input(f);
    const std::vector<double> values(in.begin(), in.end());
    for (Rounding r : all_roundings()) {
        for (std::uint64_t seed : {5u, 6u}) {
            QuantizeOptions o;
            o.rounding = r;
            o.seed = seed;
            std::vector<float> out(in.size());
            f.quantize(in.data(), out.data(), in.size(), o);
            const std::vector<double> ref = f.quantize_tensor_ref(values, o);
            std::size_t mismatches = 0;
            for (std::size_t i = 0; i < in.size(); ++i)
                if (!same_bits(out[i], static_cast<float>(ref[i])) && ++mismatches < 5)
                    ADD_FAILURE() << GetParam() << " " << rounding_name(r) << " i=" << i
                                  << " x=" << in[i] << " fast=" << out[i] << " ref=" << ref[i];
            EXPECT_EQ(mismatches, static_cast<std::size_t>(kFastPathUlpTolerance))
                << rounding_name(r);
            if (r != Rounding::stochastic) break;  // one seed is the whole story
        }
    }
}

// Exact ties of a block, and their float32 neighbours: values on midpoints of the fitted lattice
// that are float32 numbers (MX: power-of-two scales; NVFP4 with global 1: E4M3 scales; group-wise
// int: an FP16 scale times half-integers of few bits).
TEST(BlockFastPath, ExactTiesGoToTheEvenCode) {
    for (const char* spec : {"mxfp4", "mxfp8:e4m3", "mxint8", "int:b=4,group=32",
                             "int:b=4,group=32,asym=1", "nvfp4:global=1"}) {
        const Format f = parse_ok(spec);
        std::vector<float> in;
        for (int k = 0; k < 40; ++k) {
            // A block whose largest value fixes the scale, then midpoints of its atoms.
            // Largest values 6 * {1, 1.25, 1.5, 1.75} * 2^j: scales that are not powers of two,
            // so 1 / scale is inexact and the float kernels must see the ties coming.
            std::vector<double> block = {6.0 * (1 + (k % 4) / 4.0) * std::ldexp(1.0, k % 9 - 4)};
            block.resize(f.block_size(), 0.0);
            const Format fitted = f.fit(block);
            const std::vector<double> atoms = fitted.atoms_in(-block[0], block[0], 4096).atoms;
            for (std::size_t i = 1; i < block.size(); ++i) {
                const std::size_t j = (i * 7 + static_cast<std::size_t>(k)) % (atoms.size() - 1);
                block[i] = atoms[j] + (atoms[j + 1] - atoms[j]) / 2;
            }
            for (double v : block) in.push_back(static_cast<float>(v));
            // and a block of the float32 neighbours of those ties (the largest value kept)
            in.push_back(static_cast<float>(block[0]));
            for (std::size_t i = 1; i < block.size(); ++i)
                in.push_back(
                    std::nextafter(static_cast<float>(block[i]), i % 2 ? INFINITY : -INFINITY));
        }
        const std::vector<double> values(in.begin(), in.end());
        std::vector<float> out(in.size());
        f.quantize(in.data(), out.data(), in.size());
        const std::vector<double> ref = f.quantize_tensor_ref(values);
        std::size_t mismatches = 0, ties = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            ties += static_cast<double>(in[i]) == values[i];
            if (!same_bits(out[i], static_cast<float>(ref[i])) && ++mismatches < 5)
                ADD_FAILURE() << spec << " x=" << in[i] << " fast=" << out[i] << " ref=" << ref[i];
        }
        EXPECT_EQ(mismatches, static_cast<std::size_t>(kFastPathUlpTolerance)) << spec;
        EXPECT_GT(ties, in.size() / 3) << spec;
    }
}

INSTANTIATE_TEST_SUITE_P(BlockFormats, BlockFastPath, ::testing::ValuesIn(block_test_specs()));

TEST(WorstCaseError, HandDerived) {
    const Format fixed = parse_ok("fixed:w=8,f=4");
    EXPECT_EQ(fixed.worst_case_error(-4, 4), 1.0 / 32);
    EXPECT_EQ(fixed.worst_case_error(-4, 4, Rounding::down), 1.0 / 16);
    EXPECT_EQ(fixed.worst_case_error(-4, 4, Rounding::stochastic), 1.0 / 16);
    EXPECT_EQ(fixed.worst_case_error(0.25, 0.26), 0.26 - 0.25);  // inside one gap, nearer 0.25
    EXPECT_EQ(fixed.worst_case_error(-10, 10), 2.0625);          // saturation: 10 -> 7.9375
    const Format lattice = parse_ok("lattice:range=1,points=5");
    EXPECT_EQ(lattice.worst_case_error(-1, 1), 0.25);
    EXPECT_EQ(lattice.worst_case_error(-3, 1), 2.0);
    const Format half = parse_ok("float:e=5,m=10");
    EXPECT_EQ(half.worst_case_error(-1, 1), std::ldexp(1.0, -12));  // half the gap below 1
    EXPECT_EQ(half.worst_case_error(-1024, 1024), 0.25);   // half of the 0.5 gap below 1024
    EXPECT_EQ(half.worst_case_error(0, 70000), INFINITY);  // overflows to inf
    EXPECT_EQ(half.worst_case_error(0, 65519), 16);        // midpoint 65488 of the top gap of 32
    EXPECT_EQ(half.worst_case_error(65504, 65519), 15);    // only above max: 65519 -> 65504
    EXPECT_EQ(half.worst_case_error(65504, 65519, Rounding::toward_zero), 15);
    EXPECT_EQ(half.worst_case_error(65504, 1e6, Rounding::toward_zero), 1e6 - 65504);
    const Format sat = parse_ok("float:e=5,m=10,sat=1");
    EXPECT_EQ(sat.worst_case_error(0, 70000), 70000 - 65504);
    const Format flush = parse_ok("float:e=4,m=3,sub=0");  // min normal 2^-6
    EXPECT_EQ(flush.worst_case_error(-0.01, 0.01), std::ldexp(1.0, -7));
    const Format wrap = parse_ok("fixed:w=4,f=0,overflow=wrap");
    EXPECT_EQ(wrap.worst_case_error(0, 8), 16);  // 8 wraps to -8
}

TEST(StochasticRounding, NeighboursOnlyUnbiasedAndSeeded) {
    const Format f = parse_ok("fixed:w=8,f=2");  // step 0.25
    const double x = 0.3;                        // P(0.5) = 0.2
    const int n = 200000;
    Rng rng(11);
    double sum = 0;
    int ups = 0;
    for (int i = 0; i < n; ++i) {
        const double q = f.quantize_ref(x, Rounding::stochastic, &rng);
        ASSERT_TRUE(q == 0.25 || q == 0.5) << q;
        sum += q;
        ups += q == 0.5;
    }
    const double p = 0.2, sd_mean = 0.25 * std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(sum / n, x, kStochasticSigmas * sd_mean);
    EXPECT_NEAR(static_cast<double>(ups) / n, p, kStochasticSigmas * std::sqrt(p * (1 - p) / n));
    // The same seed gives the same sequence, natively and in WebAssembly.
    std::vector<double> values(1000, 0.3);
    QuantizeOptions options;
    options.rounding = Rounding::stochastic;
    options.seed = 99;
    EXPECT_EQ(f.quantize(values, options), f.quantize(values, options));
    options.seed = 100;
    const auto other = f.quantize(values, options);
    options.seed = 99;
    EXPECT_NE(f.quantize(values, options), other);
    // Atoms are never moved.
    Rng r2(5);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(f.quantize_ref(0.75, Rounding::stochastic, &r2), 0.75);
}

TEST(StochasticRounding, FirstDrawsArePinned) {
    // Pins the generator so a platform difference (native vs WASM) shows up as a failure.
    Rng rng(1);
    const std::uint64_t first = rng.next_u64();
    Rng again(1);
    EXPECT_EQ(again.next_u64(), first);
    Rng zero(0);
    EXPECT_NE(zero.next_u64(), 0u);
}

TEST(Facts, StepAndAtomsIn) {
    const Format half = parse_ok("float:e=5,m=10");
    EXPECT_EQ(half.step_at(1.5), std::ldexp(1.0, -10));
    EXPECT_EQ(half.step_at(0.75), std::ldexp(1.0, -11));
    EXPECT_EQ(half.step_at(1.0), std::ldexp(1.0, -10));
    const Format fixed = parse_ok("fixed:w=8,f=4");
    EXPECT_EQ(fixed.step_at(0.3), 0.0625);
    const AtomList some = fixed.atoms_in(-8, 8, 10);
    EXPECT_TRUE(some.truncated);
    EXPECT_EQ(some.atoms.size(), 10u);
    EXPECT_EQ(some.atoms.front(), -8);
    EXPECT_EQ(fixed.atoms_in(-8, 8, 1000).atoms.size(), 256u);
}

}  // namespace
}  // namespace qlab
