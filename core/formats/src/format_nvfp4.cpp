// NVFP4: E2M1 blocks of 16 with an E4M3 block scale and an FP32 per-tensor scale (NVIDIA's
// two-level recipe), the reference fit, the per-block fast path, and the parser.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "binary_float.hpp"
#include "format_block_scaled.hpp"
#include "format_impls.hpp"

namespace qlab::detail {
namespace {

constexpr std::size_t kNvBlock = 16;
constexpr double kFp4Max = 6, kE4m3Max = 448;

// Four 32-bit lanes (GCC and Clang vector extensions: SSE2 natively, simd128 in WebAssembly).
using V4i = std::int32_t __attribute__((vector_size(16)));
using V4u = std::uint32_t __attribute__((vector_size(16)));

// ---- The fast path's tables: every decision is one comparison of float32 bit patterns ---------

// The E4M3 code (0 .. 126, a positive value or zero) and its value.
struct E4m3Values {
    double of[128];  // codes 0 .. 126, and 127 (NaN) as 480, the point after the largest
};
constexpr E4m3Values make_e4m3_values() {
    E4m3Values v{};
    for (int code = 0; code < 128; ++code) {
        const int e = code >> 3, m = code & 7;
        double x = e == 0 ? m : 8 + m;  // times 2^-9, or 2^(e - 10): halvings, exact
        for (int k = 0; k < (e == 0 ? 9 : 10 - e); ++k) x /= 2;
        for (int k = 0; k < e - 10; ++k) x *= 2;
        v.of[code] = x;
    }
    return v;
}
constexpr E4m3Values kE4m3 = make_e4m3_values();
double e4m3_value(int code) {
    return kE4m3.of[code];
}

// The smallest float32 at or above x (tie_up), or above x (!tie_up), as its bit pattern: the
// threshold from which a float rounds up, for x >= 0 a midpoint, exact in double.
std::uint32_t float_threshold_bits(double x, bool tie_up) {
    const auto f = static_cast<float>(x);
    const double back = f;
    return float32_bits(f) + ((back < x) | ((back == x) & !tie_up) ? 1u : 0u);
}

// floor_code[q's bits >> 20] is the largest E4M3 code at or below q, for 0 <= q <= 448: the
// bits above bit 20 are q's exponent and first 3 fraction bits, and every E4M3 value (normal:
// 3 fraction bits; subnormal: multiples of 2^-9) starts such a bucket.
const std::uint8_t* e4m3_floor_codes() {
    static const std::vector<std::uint8_t> table = [] {
        std::vector<std::uint8_t> t(1u << 11);
        int code = 0;
        for (std::uint32_t b = 0; b < t.size(); ++b) {
            const double v = float_from_bits(b << 20);
            while (code < 126 && e4m3_value(code + 1) <= v) ++code;
            t[b] = static_cast<std::uint8_t>(code);
        }
        return t;
    }();
    return table.data();
}

// One tensor's (one global scale's) nearest-even decisions, filled in as codes turn up:
//  block scale: the code of e4m3(amax / (6 * global)) is c or c + 1 for the floor code c of a
//  float32 quotient (a few ulps off the exact one, far less than E4M3's half step), and
//  amax >= up_from[c + 1] (the smallest float32 that rounds to c + 1 or above) decides;
//  elements on s * E2M1 (s = e4m3 value * global, exact in double): |x| rounds past atom j
//  when its bits exceed above[j] (a threshold at the exact midpoint, ties to the even code),
//  and the float32 result atom * s is step[0] + ... + step[j] (differences of bit patterns).
class Nvfp4Tables {
  public:
    // The block scale's thresholds, all 126 at once (a multiplication and a rounding each).
    explicit Nvfp4Tables(float global)
        : global_(global),
          den_(6 * static_cast<double>(global)),
          inv_den_(1 / den_),
          floor_code_(e4m3_floor_codes()) {
        for (int c = 1; c < 127; ++c) {  // the midpoint of codes c - 1, c times 6 * global
            const double mid = (kE4m3.of[c - 1] + kE4m3.of[c]) / 2 * den_;
            up_from_[c] = float_threshold_bits(mid, ((c - 1) & 1) != 0);
        }
        up_from_[127] = 0xffffffffu;  // nothing rounds past 448: it saturates
    }

    int block_code(std::uint32_t amax_bits) const {
        const double q =
            std::min(static_cast<double>(float_from_bits(amax_bits)) * inv_den_, 448.0);
        const int c = floor_code_[float32_bits(static_cast<float>(q)) >> 20];
        return c + (amax_bits >= up_from_[c + 1] ? 1 : 0);
    }
    double scale(int code) const { return e4m3_value(code) * static_cast<double>(global_); }

    // Each value four times: one 16-byte vector per threshold and per step (see e2m1_by_table).
    struct Elements {
        V4i above[7];  // rounds past atom j when |x|'s bits > above[j]
        V4u step[7];   // bits of float(atom[j + 1] * s) - bits of float(atom[j] * s)
    };
    const Elements& elements(int code) {
        Elements& t = elements_[code];
        if (built_[code]) return t;
        static constexpr double kAtoms[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
        const double s = scale(code);
        for (int j = 0; j < 7; ++j) {
            const double mid = (kAtoms[j] + kAtoms[j + 1]) / 2 * s;  // exact: 3 + 28 bits
            const auto above =
                static_cast<std::int32_t>(float_threshold_bits(mid, (j & 1) != 0) - 1);
            const std::uint32_t step = float32_bits(static_cast<float>(kAtoms[j + 1] * s)) -
                                       float32_bits(static_cast<float>(kAtoms[j] * s));
            t.above[j] = V4i{above, above, above, above};
            t.step[j] = V4u{step, step, step, step};
        }
        built_[code] = true;
        return t;
    }

  private:
    float global_;
    double den_, inv_den_;
    const std::uint8_t* floor_code_;
    std::uint32_t up_from_[128];  // the smallest amax bits of each code (and above)
    Elements elements_[127];
    bool built_[127] = {};
};

// Nearest-even of a block onto s * E2M1 by its table: branch-free integer compares and adds
// on four lanes at a time; the sign is put back as it was (E2M1 keeps -0), above 6 * s it
// saturates. A short last block runs lane 0 of the same table.
template <std::size_t N>
void e2m1_by_table(const float* x, float* o, const Nvfp4Tables::Elements& t, std::size_t n = N) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        V4u bits;
        std::memcpy(&bits, x + i, sizeof bits);
        const V4i mag = reinterpret_cast<V4i>(bits & 0x7fffffffu);
        V4u r = {0, 0, 0, 0};
        for (int j = 0; j < 7; ++j) r += reinterpret_cast<V4u>(mag > t.above[j]) & t.step[j];
        r |= bits & 0x80000000u;
        std::memcpy(o + i, &r, sizeof r);
    }
    for (; i < n; ++i) {
        const std::uint32_t bits = float32_bits(x[i]);
        const auto mag = static_cast<std::int32_t>(bits & 0x7fffffffu);
        std::uint32_t r = 0;
        for (int j = 0; j < 7; ++j)
            r += (0u - static_cast<std::uint32_t>(mag > t.above[j][0])) & t.step[j][0];
        o[i] = float_from_bits(r | (bits & 0x80000000u));
    }
}

// NVIDIA's two-level recipe (Transformer Engine's NVFP4 scaling, TensorRT Model Optimizer):
// global = amax_tensor / (6 * 448) in FP32; per block of 16, the E4M3 scale
// s_b = e4m3(amax_block / (6 * global)) (round-half-even, saturating); elements
// fp4(x / (s_b * global)). The division is exact here: elements round on the lattice
// s_b * global * {E2M1 atoms} by exact comparisons, and the stored value is that exact product.
class NvFp4Format final : public DataDependentFormat {
  public:
    NvFp4Format() = default;
    explicit NvFp4Format(float global) : bound_(true), global_(global) {}
    std::string kind() const override { return "nvfp4"; }
    std::string canonical_spec() const override {
        return bound_ ? "nvfp4:global=" + shortest_repr(global_) : "nvfp4";
    }
    std::size_t block_size() const override { return kNvBlock; }
    double atom_count() const override { return fp4_->atom_count(); }
    int bits() const override { return 4; }
    double bits_per_value(std::size_t n) const override {
        if (n == 0) return 4 + 8.0 / kNvBlock;
        const double blocks = std::ceil(static_cast<double>(n) / kNvBlock);
        return 4 + (8.0 * blocks + (bound_ ? 0.0 : 32.0)) / static_cast<double>(n);
    }
    std::string element_spec() const override { return "fp4:e2m1"; }
    std::string scale_spec() const override { return "fp8:e4m3,sat=1"; }
    std::string tensor_scale_spec() const override { return "float:e=8,m=23"; }

    bool fits_tensor() const override { return !bound_; }
    // The FP32 per-tensor scale: amax over the finite values, divided by 6 * 448 in float32
    // arithmetic. An all-zero tensor takes 1 (nothing to scale); a positive amax whose quotient
    // underflows takes the smallest float, 2^-149.
    std::shared_ptr<const FormatImpl> fit_tensor(const double* data, std::size_t n) const override {
        double amax = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(data[i])) amax = std::max(amax, std::fabs(data[i]));
        return std::make_shared<NvFp4Format>(global_for(amax));
    }
    static float global_for(double amax) {
        const float amax_f = static_cast<float>(std::min(amax, 3.4028234663852886e38));
        const float global = amax_f / static_cast<float>(kFp4Max * kE4m3Max);
        return amax_f == 0 ? 1.0f : global == 0 ? std::ldexp(1.0f, -149) : global;
    }

    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        if (!bound_) return fit_tensor(data, n)->fit(data, n);  // a lone block is its own tensor
        double amax = 0;
        bool nonfinite = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (!std::isfinite(data[i]))
                nonfinite = true;
            else
                amax = std::max(amax, std::fabs(data[i]));
        }
        // E2M1 has neither NaN nor Inf: the block scale takes E4M3's NaN code (S.1111.111).
        if (nonfinite) return std::make_shared<NanBlock>("nvfp4", e4m3_->encode(NAN));
        const double bs = block_scale_for(amax);
        if (bs == 0) return std::make_shared<ZeroBlock>("nvfp4", e4m3_->encode(0.0));
        return std::make_shared<ScaledFormat>(
            "nvfp4",
            "nvfp4 block, scale " + shortest_repr(bs) + " x global " + shortest_repr(global_), fp4_,
            bs * global_, InfInput::nan, e4m3_->encode(bs), false);
    }

    // The fast path, per block of 16: the E4M3 block scale from the largest magnitude (NVIDIA's
    // two-level recipe above), then the elements on the lattice s * E2M1 with s = s_b * global
    // (exact in double: 4 + 24 bits). Nearest-even decides both by comparisons of float32 bit
    // patterns with thresholds at the exact midpoints (Nvfp4Tables); stochastic rounding finds
    // the neighbours by exact comparisons with atom * s and draws as the reference does (stream
    // seed + block start, one draw per value off the lattice). Blocks holding NaN or Inf take
    // the generic path (an E4M3 NaN scale).
    // Unbound (Format::quantize tries this first): one pass for every block's largest magnitude,
    // whose maximum is the tensor's amax unless a block holds NaN or Inf (then a pass over
    // the finite values, as fit_tensor_float), then the blocks of the bound format.
    bool quantize_blocks(const float* in, float* out, std::size_t n,
                         const QuantizeOptions& options) const override {
        const bool stochastic = options.rounding == Rounding::stochastic;
        if (options.rounding != Rounding::nearest_even && !stochastic) return false;
        const std::size_t blocks = (n + kNvBlock - 1) / kNvBlock;
        const std::unique_ptr<std::uint32_t[]> top(new std::uint32_t[blocks]);  // no zeroing
        block_max_magnitude_bits(in, n, kNvBlock, blocks, top.get());
        if (bound_) return quantize_with_tops(in, out, n, options, top.get()), true;
        std::uint32_t amax = 0;
        for (std::size_t b = 0; b < blocks; ++b) amax = top[b] > amax ? top[b] : amax;
        const double a = amax < 0x7f800000u ? float_from_bits(amax) : finite_amax(in, n);
        NvFp4Format(global_for(a)).quantize_with_tops(in, out, n, options, top.get());
        return true;
    }

    // The per-tensor scale straight from float32 input (Format::quantize): the largest finite
    // magnitude's bits, the same amax as fit_tensor's.
    std::shared_ptr<const FormatImpl> fit_tensor_float(const float* data,
                                                       std::size_t n) const override {
        const double amax = finite_amax(data, n);
        return fit_tensor(&amax, 1);
    }

  private:
    static double finite_amax(const float* data, std::size_t n) {
        std::int32_t top = 0;  // magnitudes fit in 31 bits: a signed max, which vectorizes
        for (std::size_t i = 0; i < n; ++i) {
            const auto mag = static_cast<std::int32_t>(float32_bits(data[i]) & 0x7fffffffu);
            const std::int32_t finite = mag < 0x7f800000 ? mag : 0;
            top = finite > top ? finite : top;
        }
        return float_from_bits(static_cast<std::uint32_t>(top));
    }

    // The fast path of a bound format, per block of 16 (top: each block's largest magnitude's
    // bits): the E4M3 block scale (NVIDIA's two-level recipe above), then the elements on the
    // lattice s * E2M1 with s = s_b * global (exact in double: 4 + 24 bits). Nearest-even
    // decides both by comparisons of float32 bit patterns with thresholds at the exact
    // midpoints (Nvfp4Tables); stochastic rounding finds the neighbours by exact comparisons
    // with atom * s and draws as the reference does (stream seed + block start, one draw per
    // value off the lattice). Blocks holding NaN or Inf take the generic path (a NaN scale).
    void quantize_with_tops(const float* in, float* out, std::size_t n,
                            const QuantizeOptions& options, const std::uint32_t* top) const {
        std::vector<double> scratch;
        Rng rng;
        auto tables = std::make_unique<Nvfp4Tables>(global_);
        // Up to 64 blocks at a time: their codes (independent of one another, so they overlap
        // in the pipeline; -1: NaN or Inf), then their elements.
        constexpr std::size_t kBatch = 64;
        int code[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * kNvBlock) {
            const std::size_t blocks = std::min(kBatch, (n - first + kNvBlock - 1) / kNvBlock);
            const std::uint32_t* t = top + first / kNvBlock;
            for (std::size_t b = 0; b < blocks; ++b)
                code[b] = t[b] >= 0x7f800000u ? -1 : tables->block_code(t[b]);
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * kNvBlock;
                const std::size_t count = std::min(kNvBlock, n - start);
                const float* x = in + start;
                float* o = out + start;
                if (code[b] < 0) {  // NaN or Inf: the generic path (the reference's own)
                    QuantizeOptions block_options = options;
                    block_options.seed = options.seed + start;  // the reference's block stream
                    quantize_block_generic(*this, x, o, count, block_options, scratch);
                } else if (code[b] == 0) {  // a zero scale (ZeroBlock): signed zeros, no draws
                    for (std::size_t i = 0; i < count; ++i) o[i] = std::copysign(0.0f, x[i]);
                } else if (options.rounding == Rounding::stochastic) {
                    rng.reseed(options.seed + start);
                    stochastic_block(x, o, count, tables->scale(code[b]), rng);
                } else {
                    if (count == kNvBlock)  // unrolled at compile time
                        e2m1_by_table<kNvBlock>(x, o, tables->elements(code[b]));
                    else
                        e2m1_by_table<0>(x, o, tables->elements(code[b]), count);
                }
            }
        }
    }

    // e4m3(amax_block / (6 * global)), exactly: 6 * global and E4M3 atoms times it are exact.
    // The reference by round_scaled_rne's comparisons (the fast path: Nvfp4Tables).
    double block_scale_for(double amax) const {
        const double den = kFp4Max * static_cast<double>(global_);
        return round_scaled_rne(*e4m3_, den, amax) / den;
    }
    // Stochastic rounding onto s * E2M1 continued to 8 (OcpFloat::bracket past max), as the
    // reference's scaled bracket: no draw on a lattice point, at 0, or from 8 * s on (resolved
    // to 6 * s); else the upper neighbour when uniform() * (H - L) < x - L.
    static void stochastic_block(const float* x, float* o, std::size_t count, double s, Rng& rng) {
        static constexpr double kAtoms[9] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, 8};
        double atom[9];
        for (int j = 0; j < 9; ++j) atom[j] = kAtoms[j] * s;
        const double max = atom[7];
        for (std::size_t i = 0; i < count; ++i) {
            const double v = x[i], a = std::fabs(v);
            int j = 0;
            for (int t = 1; t < 9; ++t) j += a >= atom[t];
            double r = v;
            if (a != 0 && j < 8 && atom[j] != a) {
                const double lo = atom[j], hi = atom[j + 1];
                const double low = v < 0 ? -hi : lo, high = v < 0 ? -lo : hi;
                r = rng.uniform() * (high - low) < v - low ? high : low;
            }
            r = std::clamp(r, -max, max);
            o[i] = static_cast<float>(r == 0 ? std::copysign(0.0, v) : r);
        }
    }

    bool bound_ = false;
    float global_ = 1;
    std::shared_ptr<const FormatImpl> fp4_ = make_ocp("fp4", "e2m1", true);
    std::shared_ptr<const FormatImpl> e4m3_ = make_ocp("fp8", "e4m3", true);
};

}  // namespace

const FormatKindInfo& nvfp4_kind() {
    static const FormatKindInfo kind{
        "nvfp4",
        "NVFP4: blocks of 16 FP4 E2M1 elements with an FP8 E4M3 scale, and an FP32 scale per "
        "tensor",
        {FormatForm{
            "",
            "",
            {Param::number("global", std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max())
                 .label("FP32 scale")
                 .means("the per-tensor FP32 scale, a positive FP32 number (absent: fitted to "
                        "each tensor, amax / (6 * 448))")
                 .slider(1e-4, 1e4, true)},
            {{"nvfp4", ""}, {"nvfp4:global=0.01", ""}}}}};
    return kind;
}

ImplResult parse_nvfp4(SpecArgs& args) {
    ParamReader r(args, nvfp4_kind());
    double global = NAN;  // absent: fitted to each tensor
    if (Status s = r.read("global", global); !s) return s;
    if (std::isnan(global))
        return std::shared_ptr<const FormatImpl>(std::make_shared<NvFp4Format>());
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<NvFp4Format>(static_cast<float>(global)));
}

}  // namespace qlab::detail
