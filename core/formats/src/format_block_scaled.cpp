// The shared parts of the block-scaled formats (format_block_scaled.hpp): the exact scaled
// bracket and scale rounding, the E8M0 code, the largest magnitude, the generic block path.
#include "format_block_scaled.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace qlab::detail {

Bracket scaled_bracket(const FormatImpl& element, double scale, double lim_lo, double lim_hi,
                       double x) {
    if (x == 0) return {x, x, true};
    const double y = x / scale;
    if (!(y >= lim_lo && y <= lim_hi)) return {x, x, true};
    Bracket b = element.bracket(y);
    auto gap_above = [&](double a) { return element.bracket(std::nextafter(a, INFINITY)); };
    auto gap_below = [&](double a) { return element.bracket(std::nextafter(a, -INFINITY)); };
    if (b.lo == b.hi) {
        const double p = b.lo * scale;
        if (p == x) return {x, x, true};
        b = p < x ? gap_above(b.lo) : gap_below(b.lo);
    } else if (b.lo * scale > x) {
        b = gap_below(b.lo);
    } else if (b.hi * scale < x) {
        b = gap_above(b.hi);
    }
    const double lo = b.lo * scale, hi = b.hi * scale;
    if (lo == x || hi == x) return {x, x, true};
    return {lo, hi, b.lo_is_even};
}

double round_scaled_rne(const FormatImpl& element, double scale, double x) {
    const double max = element.max_finite();
    const double lim = max + (max - element.next_down(max));
    const Bracket b = scaled_bracket(element, scale, -lim, lim, x);
    double r = b.lo;
    if (b.lo != b.hi) {
        const double mid = b.lo + (b.hi - b.lo) / 2;
        r = x < mid ? b.lo : x > mid ? b.hi : (b.lo_is_even ? b.lo : b.hi);
    }
    return std::clamp(r, element.min_finite() * scale, max * scale);
}

Encoding e8m0_code(int biased) {
    Encoding e;
    e.total_bits = 8;
    e.code = static_cast<std::uint64_t>(biased);
    e.fields = {{"exponent", 8, e.code}};
    return e;
}

std::uint32_t max_magnitude_bits(const float* in, std::size_t n) {
    if (n == 32) return max_magnitude_bits_of<32>(in);  // MX's k, unrolled at compile time
    if (n == 16) return max_magnitude_bits_of<16>(in);  // NVFP4's
    return max_magnitude_bits_of<0>(in, n);
}

namespace {

// Four 32-bit lanes (GCC and Clang vector extensions: SSE2 natively, simd128 in WebAssembly).
using V4i = std::int32_t __attribute__((vector_size(16)));

// max_magnitude_bits_of<16> in four lanes: a tree of three lane-wise maxima, then the lanes.
std::uint32_t max_magnitude_bits_16(const float* in) {
    V4i v[4];
    std::memcpy(v, in, sizeof v);
    for (V4i& x : v) x &= 0x7fffffff;
    const V4i a = v[0] > v[1] ? v[0] : v[1], b = v[2] > v[3] ? v[2] : v[3];
    const V4i m = a > b ? a : b;
    const std::int32_t top = std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
    return static_cast<std::uint32_t>(top);
}

}  // namespace

void block_max_magnitude_bits(const float* in, std::size_t n, std::size_t block, std::size_t blocks,
                              std::uint32_t* top) {
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t start = b * block, count = std::min(block, n - start);
        if (count == 16)
            top[b] = max_magnitude_bits_16(in + start);
        else if (count == 32)
            top[b] = max_magnitude_bits_of<32>(in + start);
        else
            top[b] = max_magnitude_bits_of<0>(in + start, count);
    }
}

void quantize_block_generic(const FormatImpl& format, const float* in, float* out, std::size_t n,
                            const QuantizeOptions& options, std::vector<double>& scratch) {
    scratch.assign(in, in + n);
    format.fit(scratch.data(), n)->quantize_array(in, out, n, options);
}

}  // namespace qlab::detail
