// Round-half-even onto an integer lattice scale * j (offsets j from lo to hi, saturating, NaN
// kept): the exact double kernel of affine int, and a float32 kernel for group-wise int.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace qlab::detail {

// The larger (smaller) of a and b, and b when either is NaN (a comparison with NaN is false),
// for scalars and vector-extension lanes, each written in the operand order its compiler makes
// one instruction of: maxps/minps for GCC on x86, f32x4.pmax/pmin for Clang in WebAssembly.
template <class T>
inline T max_else_second(T a, T b) {
#if defined(__wasm__)
    return b < a ? a : b;
#else
    return a > b ? a : b;
#endif
}
template <class T>
inline T min_else_second(T a, T b) {
    return a < b ? a : b;
}

// Bit-identical to the reference: x / scale in double can be one code off next to a midpoint,
// and one exact comparison against the reference's own midpoint settles it. Branch-free (rint by
// the 1.5 * 2^52 trick, masks as 0/1) so the loop vectorizes.
inline void round_int_lattice_exact(const float* in, float* out, std::size_t n, double scale,
                                    double lo, double hi) {
    const double inv = 1.0 / scale;
    const double magic = 0x1.8p52;
    const double s = scale;
    // Chunks keep each loop to one element type (float -> double -> float), which is what
    // lets the compiler vectorize the double arithmetic.
    constexpr std::size_t kChunk = 512;
    double x_buf[kChunk], q_buf[kChunk];
    for (std::size_t base = 0; base < n; base += kChunk) {
        const std::size_t m = std::min(kChunk, n - base);
        for (std::size_t i = 0; i < m; ++i) x_buf[i] = in[base + i];
        for (std::size_t i = 0; i < m; ++i) {
            const double x = x_buf[i];
            double y = x * inv;
            y = y < lo ? lo : y;  // comparisons keep NaN
            y = y > hi ? hi : y;
            const double j = (y + magic) - magic;
            const double a = s * j, up = s * (j + 1), down = s * (j - 1);
            const double mid_up = a + (up - a) / 2, mid_down = down + (a - down) / 2;
            const double half = j * 0.5;
            const bool odd = ((half + magic) - magic) != half;
            // Bitwise & and | (not && and ||): no short-circuit branches in the loop.
            const bool go_up = (j < hi) & ((x > mid_up) | ((x == mid_up) & odd));
            const bool go_down = (j > lo) & ((x < mid_down) | ((x == mid_down) & odd));
            const double k = j + (go_up ? 1.0 : 0.0) - (go_down ? 1.0 : 0.0);
            q_buf[i] = s * k + 0.0;
        }
        for (std::size_t i = 0; i < m; ++i) out[base + i] = static_cast<float>(q_buf[i]);
    }
}

// The same lattice in float32 when scale is a float32 value (group-wise int's FP16 scale) and
// |j| <= 2^22: with inv = 1 / scale rounded (to float, or to double then float), y = x * inv is
// within two float ulps of x / scale, so rint(y) is the
// nearest offset unless x lies that close to a midpoint; then (and only then) this returns
// false, out is to be discarded and the exact kernel decides. scale * j is one float product,
// the same rounding as the reference's double product converted to float.
// With kWindowPerGroup, the window around each midpoint is the group's widest, from the largest
// offset |lo| or |hi| (|y| is at most that): one comparison fewer per value, taken where offsets
// are small (few values fall in the wider window).
template <bool kWindowPerGroup = false>
inline bool round_int_lattice_float(const float* in, float* out, std::size_t n, float scale,
                                    float inv, float lo, float hi) {
    const float magic = 0x1.8p23f;
    const float window = std::max(std::fabs(lo), std::fabs(hi)) * 0x1p-20f + 0x1p-22f;
    int near_tie = 0;
    for (std::size_t i = 0; i < n; ++i) {
        float y = in[i] * inv;
        y = min_else_second(hi, max_else_second(lo, y));  // NaN stays
        const float j = (y + magic) - magic;
        // Distance of |y - j| from 1/2 against 8 ulps of y (and of 1/2 near zero).
        const float off_half = std::fabs(std::fabs(y - j) - 0.5f);
        near_tie |= off_half <= (kWindowPerGroup ? window : std::fabs(y) * 0x1p-20f + 0x1p-22f);
        out[i] = scale * j + 0.0f;  // one zero: + 0 turns -0 into +0
    }
    return near_tie == 0;
}

}  // namespace qlab::detail
