// NVFP4: E2M1 blocks of 16 with an E4M3 block scale and an FP32 per-tensor scale (NVIDIA's
// two-level recipe), the reference fit, the per-block fast path, and the parser.
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

constexpr std::size_t kNvBlock = 16;
constexpr double kFp4Max = 6, kE4m3Max = 448;

// NVIDIA's two-level recipe (Transformer Engine's NVFP4 scaling, TensorRT Model Optimizer):
// global = amax_tensor / (6 * 448) in FP32; per block of 16, the E4M3 scale
// s_b = e4m3(amax_block / (6 * global)) (round-half-even, saturating); elements
// fp4(x / (s_b * global)). The division is exact here: elements round on the lattice
// s_b * global * {E2M1 atoms} by exact comparisons, and the stored value is that exact product.
class NvFp4Format final : public DataDependentFormat {
  public:
    NvFp4Format() = default;
    explicit NvFp4Format(float global)
        : bound_(true), global_(global), inv_den_(1 / (kFp4Max * static_cast<double>(global))) {}
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
        const float amax_f = static_cast<float>(std::min(amax, 3.4028234663852886e38));
        float global = amax_f / static_cast<float>(kFp4Max * kE4m3Max);
        if (amax_f == 0)
            global = 1;
        else if (global == 0)
            global = std::ldexp(1.0f, -149);
        return std::make_shared<NvFp4Format>(global);
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
    // (exact in double: 4 + 24 bits). Nearest-even runs a float32 kernel and, for a block with
    // a value next to a midpoint, the exact double kernel; stochastic rounding finds the
    // neighbours by exact comparisons with atom * s and draws as the reference does (stream
    // seed + block start, one draw per value off the lattice). Blocks holding NaN or Inf take
    // the generic path (an E4M3 NaN scale).
    bool quantize_blocks(const float* in, float* out, std::size_t n,
                         const QuantizeOptions& options) const override {
        const bool stochastic = options.rounding == Rounding::stochastic;
        if (!bound_ || (options.rounding != Rounding::nearest_even && !stochastic)) return false;
        std::vector<double> scratch;
        Rng rng;
        // Up to 64 blocks at a time: first their scales, independent of one another, so the
        // chains of divisions overlap in the pipeline; then their elements. NaN marks a block
        // holding NaN or Inf.
        constexpr std::size_t kBatch = 64;
        double scale[kBatch];
        float inv[kBatch];  // 1 / scale in float32 (the float kernel's), 0: exact kernel only
        std::uint32_t top[kBatch];
        for (std::size_t first = 0; first < n; first += kBatch * kNvBlock) {
            const std::size_t blocks = std::min(kBatch, (n - first + kNvBlock - 1) / kNvBlock);
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * kNvBlock;
                top[b] = n - start >= kNvBlock ? max_magnitude_bits_of<kNvBlock>(in + start)
                                               : max_magnitude_bits(in + start, n - start);
            }
            for (std::size_t b = 0; b < blocks; ++b) {  // short independent chains
                // (A block holding NaN or Inf gets a finite stand-in, then NaN.)
                const double amax = float_from_bits(std::min(top[b], 0x7f7fffffu));
                const double s = block_scale_fast(amax) * global_;
                scale[b] = top[b] >= 0x7f800000u ? NAN : s;
                // The float kernel's scaling is exact while s / 2 and 1 / s are normal floats.
                inv[b] = s >= 0x1p-125 && s <= 0x1p125 ? static_cast<float>(1 / s) : 0.0f;
            }
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::size_t start = first + b * kNvBlock;
                const std::size_t count = std::min(kNvBlock, n - start);
                const float* x = in + start;
                float* o = out + start;
                const double s = scale[b];
                QuantizeOptions block_options = options;
                block_options.seed = options.seed + start;  // the reference's per-block stream
                if (std::isnan(s)) {
                    quantize_block_generic(*this, x, o, count, block_options, scratch);
                } else if (s == 0) {  // a zero scale (ZeroBlock): signed zeros, no draws
                    for (std::size_t i = 0; i < count; ++i) o[i] = std::copysign(0.0f, x[i]);
                } else if (stochastic) {
                    rng.reseed(block_options.seed);
                    stochastic_block(x, o, count, s, rng);
                } else if (!nearest_even_block_float(x, o, count, s, inv[b])) {
                    nearest_even_block(x, o, count, s);
                }
            }
        }
        return true;
    }

    // The per-tensor scale straight from float32 input (Format::quantize): the largest finite
    // magnitude's bits, the same amax as fit_tensor's.
    std::shared_ptr<const FormatImpl> fit_tensor_float(const float* data,
                                                       std::size_t n) const override {
        std::int32_t top = 0;  // magnitudes fit in 31 bits: a signed max, which vectorizes
        for (std::size_t i = 0; i < n; ++i) {
            const auto mag = static_cast<std::int32_t>(float32_bits(data[i]) & 0x7fffffffu);
            const std::int32_t finite = mag < 0x7f800000 ? mag : 0;
            top = finite > top ? finite : top;
        }
        const double amax = float_from_bits(static_cast<std::uint32_t>(top));
        return fit_tensor(&amax, 1);
    }

  private:
    // e4m3(amax_block / (6 * global)), exactly: 6 * global and E4M3 atoms times it are exact.
    // The reference by round_scaled_rne's comparisons; the fast path by the E4M3 grid's rule.
    double block_scale_for(double amax) const {
        const double den = kFp4Max * static_cast<double>(global_);
        return round_scaled_rne(*e4m3_, den, amax) / den;
    }
    double block_scale_fast(double amax) const {
        const double den = kFp4Max * static_cast<double>(global_);
        return e4m3_grid_.round_quotient_nearest_even(amax, den, inv_den_);
    }

    // The same in float32, four lanes to SSE2's two doubles: y = |x| * (1 / s) is within two
    // float ulps of |x| / s, so rounding it (one magic addition at y's step, as the MX kernel)
    // gives the nearest atom unless y lies that close to a midpoint; then this returns false
    // and the exact kernel redoes the block. The stored value atom * s rounded to float32 is
    // 2^e * f where atom = 2^e * (1 or 1.5) and f = float(s) or float(1.5 * s): exact scaling
    // while s * 0.5 and 1 / s are normal floats (else inv is 0 and this returns false).
    static bool nearest_even_block_float(const float* x, float* o, std::size_t count, double s,
                                         float inv) {
        if (inv == 0) return false;
        const auto f1 = static_cast<float>(s), f15 = static_cast<float>(1.5 * s);
        if (count == 16) return e2m1_float(x, o, 16, inv, f1, f15);  // unrolled at compile time
        return e2m1_float(x, o, count, inv, f1, f15);
    }
    static bool e2m1_float(const float* x, float* o, std::size_t count, float inv, float f1,
                           float f15) {
        int near_tie = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint32_t bits = float32_bits(x[i]);
            const std::uint32_t sign = bits & 0x80000000u;
            // Above 8 everything saturates to 6 (a block scale saturated at 448 leaves y large).
            float y = float_from_bits(bits & 0x7fffffffu) * inv;
            y = y > 8.0f ? 8.0f : y;
            // E2M1: step 0.5 below 2 (smallest normal 1, subnormals 0.5), then 1, then 2.
            auto e_bits = static_cast<std::int32_t>(float32_bits(y) & 0x7f800000u);
            e_bits = e_bits < 0x3f800000 ? 0x3f800000 : e_bits;  // binade of 1 at least
            const auto e = static_cast<std::uint32_t>(e_bits);
            const float magic = float_from_bits(e + (22u << 23) + 0x00400000u);  // 1.5*2^22*2^e
            float r = (y + magic) - magic;
            const float half_step = float_from_bits(e - (2u << 23));  // 2^(e-2)
            near_tie |= std::fabs(std::fabs(y - r) - half_step) <= y * 0x1p-20f;
            r = r > 6.0f ? 6.0f : r;
            const std::uint32_t r_bits = float32_bits(r);
            const float scaled =
                float_from_bits(r_bits & 0x7f800000u) * ((r_bits & 0x00400000u) != 0 ? f15 : f1);
            o[i] = float_from_bits(float32_bits(scaled) | sign);
        }
        return near_tie == 0;
    }

    // Nearest-even onto s * E2M1 (0, 0.5, 1, 1.5, 2, 3, 4, 6): E2M1 has one fraction bit, its
    // smallest normal is 1 and the subnormal step 0.5; above 6 it saturates (MX §5.3.3).
    static void nearest_even_block(const float* x, float* o, std::size_t count, double s) {
        for (std::size_t i = 0; i < count; ++i) {
            const double y = std::fabs(static_cast<double>(x[i])) / s;
            std::uint64_t bits;
            std::memcpy(&bits, &y, 8);
            // Keep 1 of the 52 fraction bits, ties to even; below 1, multiples of 0.5 by the
            // 2^51 trick (also ties to even).
            bits = (bits + (1ull << 50) - 1 + ((bits >> 51) & 1)) & ~((1ull << 51) - 1);
            double normal;
            std::memcpy(&normal, &bits, 8);
            const double tiny = (y + 0x1p51) - 0x1p51;
            const double r = std::min(y < 1 ? tiny : normal, kFp4Max);
            o[i] = static_cast<float>(std::copysign(r * s, static_cast<double>(x[i])));
        }
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
    double inv_den_ = 1 / kFp4Max;  // 1 / (6 * global), rounded
    std::shared_ptr<const FormatImpl> fp4_ = make_ocp("fp4", "e2m1", true);
    std::shared_ptr<const FormatImpl> e4m3_ = make_ocp("fp8", "e4m3", true);
    // E4M3 (OFP8): 3 fraction bits, smallest normal 2^-6, subnormals, max 448.
    BinaryFloatGrid e4m3_grid_{3, -6, kE4m3Max, true};
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
