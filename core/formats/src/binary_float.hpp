// What IEEE-style floats and the OCP element types share: the atoms of a binary float with m
// fraction bits, exponents from emin, subnormals (or not) and a largest finite value, stepped
// between and rounded to in float32 bit arithmetic. Each format adds its own overflow and codes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qlab/random.hpp"

namespace qlab::detail {

inline std::uint32_t float32_bits(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

// 2^k for -1022 <= k <= 1023, built from its bit pattern (no libm call in the inner loops).
inline double pow2(int k) {
    const std::uint64_t bits = static_cast<std::uint64_t>(k + 1023) << 52;
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
}

// 2^k as a float32 for -127 <= k <= 127 (2^-127 is subnormal), from its bit pattern.
inline float pow2f(int k) {
    const std::uint32_t bits =
        k >= -126 ? static_cast<std::uint32_t>(k + 127) << 23 : 0x00400000u >> (-127 - k);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// The unbiased exponent of a positive normal double (what std::ilogb returns for it).
inline int exponent_of(double a) {
    std::uint64_t bits;
    std::memcpy(&bits, &a, 8);
    return static_cast<int>((bits >> 52) & 0x7ff) - 1023;
}

struct BinaryFloatGrid {
    int m = 0;       // fraction bits
    int emin = 0;    // exponent of the smallest normal
    double max = 0;  // largest finite atom
    bool subnormals = true;

    double min_normal() const { return pow2(emin); }
    double min_positive() const { return subnormals ? std::ldexp(1.0, emin - m) : min_normal(); }

    // For min_positive() <= a <= max: the atoms below and above a (equal when a is one), and
    // lo's integer significand n at exponent e (lo = n * 2^(e - m)), whose parity is lo's code's.
    void neighbours(double a, double& lo, double& hi, double& n, int& e) const {
        e = std::max(std::ilogb(a), emin);
        n = std::floor(std::ldexp(a, m - e));
        lo = std::ldexp(n, e - m);
        hi = (lo == a) ? lo : std::ldexp(n + 1, e - m);
    }
    // The next atom up from a >= 0 (INFINITY past max: an inf atom, or none), and down from a > 0.
    double next_up_magnitude(double a) const {
        if (a >= max) return INFINITY;
        if (a < min_positive()) return min_positive();
        const int e = std::max(std::ilogb(a), emin);
        return std::ldexp(std::floor(std::ldexp(a, m - e)) + 1, e - m);
    }
    double next_down_magnitude(double a) const {
        if (a > max) return max;
        if (a <= min_positive()) return 0;
        int e = std::max(std::ilogb(a), emin);
        double n = std::ceil(std::ldexp(a, m - e)) - 1;
        if (n < std::ldexp(1.0, m) && e > emin) {  // crossed into the binade below
            e -= 1;
            n = std::ldexp(2.0, m) - 1;
        }
        return std::ldexp(n, e - m);
    }
    // Signed stepping, with -0 above the smallest negative atom; NaN stays NaN.
    double next_up(double x) const {
        if (std::isnan(x)) return x;
        if (x < 0) {
            const double down = next_down_magnitude(-x);
            return down == 0 ? -0.0 : -down;
        }
        return next_up_magnitude(x);
    }
    double next_down(double x) const {
        if (std::isnan(x)) return x;
        if (x > 0) return next_down_magnitude(x);
        return -next_up_magnitude(-x);
    }

    // For 0 <= a <= max (a normal double or 0): lo = n * step <= a < lo + step on the grid, n an
    // integer (its parity is lo's code's for m > 0), as neighbours() finds them, without libm.
    double floor_point(double a, double& step, std::int64_t& n) const {
        const int e = std::max(exponent_of(a), emin);
        step = pow2(e - m);
        n = static_cast<std::int64_t>(a * pow2(m - e));  // truncation is floor: a > 0
        return static_cast<double>(n) * step;
    }

    // Round-half-even of x / den onto the grid (x >= 0, den > 0), saturating at max: the value of
    // round_scaled_rne(format, den, x) / den for the per-block scales (NVFP4's E4M3, group-wise
    // int's FP16). The quotient only finds the two neighbours; the choice compares x with the
    // exact product midpoint * den (exact in double: den and the midpoints have few bits), and
    // a quotient a double rounding away from a grid point still has the right nearest point.
    // inv_den is 1 / den rounded: q = x * inv_den is within a few double ulps of x / den, and a
    // q off by that much still finds the right neighbours or, next to a grid point g, the pair
    // around g, whose midpoint comparison picks g as the exact quotient would.
    double round_quotient_nearest_even(double x, double den, double inv_den) const {
        // Branch-free (selects), so consecutive blocks' scales overlap in the pipeline; q = 0
        // takes the smallest step and gives lo = 0.
        const double q = std::min(x * inv_den, max);
        double step = 0;
        std::int64_t n = 0;
        const double lo = floor_point(q, step, n);
        const double mid = (lo + step / 2) * den;
        // Up when above the midpoint or on it from an odd code (ties to even); the 0/1 product
        // keeps the (unpredictable) choice out of the branch predictor.
        const bool up = (x > mid) | ((x == mid) & ((n & 1) != 0));
        return std::min(lo + step * static_cast<double>(up), max);
    }

    // Stochastic rounding of finite y onto the grid, continued above max by the point `over`,
    // exactly as Format's reference rule does it: y itself (no draw) on a grid point or zero,
    // else the upper neighbour H when rng.uniform() * (H - L) < y - L, one draw per value.
    // Magnitudes above max lie between max and over; beyond over, a block format's bracket
    // returns y undrawn (draw_beyond false) while an IEEE float still draws between max and
    // 2^(emax+1) (draw_beyond true; y - L exceeds H - L, so H is certain). Overflow is the
    // caller's to resolve. Signs follow the reference's brackets: [-hi, -lo] for negative y.
    double stochastic_point(double y, double over, bool draw_beyond, Rng& rng) const {
        const double a = std::fabs(y);
        if (a == 0) return y;
        double lo = max, hi = over;
        if (a > max) {
            if (!draw_beyond && a >= over) return y;
        } else {
            double step = 0;
            std::int64_t n = 0;
            lo = floor_point(a, step, n);
            if (lo == a) return y;
            hi = lo + step;
        }
        const double low = y < 0 ? -hi : lo, high = y < 0 ? -lo : hi;
        return rng.uniform() * (high - low) < y - low ? high : low;
    }

    // Round-half-even of float32 inputs onto the grid (with subnormals, m <= 23, emin >= -126),
    // then every magnitude above max becomes `overflow_bits` (inf, NaN or max, as the format
    // says); NaN passes through. Decisions are made on bit patterns (for non-negative floats
    // their order is the value order), so the loop is branch-free and vectorizes.
    void round_float32_nearest_even(const float* in, float* out, std::size_t count,
                                    std::uint32_t overflow_bits) const {
        const int shift = 23 - m;
        const std::uint32_t half_minus_one = shift > 0 ? (1u << (shift - 1)) - 1 : 0;
        const std::uint32_t keep_mask = ~((1u << shift) - 1);
        const std::uint32_t lsb_mask = shift > 0 ? 1u : 0u;  // m = 23 keeps every bit
        const auto min_normal_i =
            static_cast<std::int32_t>(float32_bits(static_cast<float>(min_normal())));
        const auto max_i = static_cast<std::int32_t>(float32_bits(static_cast<float>(max)));
        // Adding 2^(emin - m + 23) rounds anything below the smallest normal to the subnormal step.
        const auto magic = static_cast<float>(pow2(emin - m + 23));
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint32_t bits = float32_bits(in[i]);
            const std::uint32_t sign = bits & 0x80000000u;
            const std::uint32_t mag = bits & 0x7fffffffu;
            const std::uint32_t rounded =
                (mag + half_minus_one + ((mag >> shift) & lsb_mask)) & keep_mask;
            float mag_float;
            std::memcpy(&mag_float, &mag, 4);
            const std::uint32_t tiny = float32_bits((mag_float + magic) - magic);
            // Magnitudes fit in 31 bits, so signed compares (what SSE2 has) order them correctly;
            // explicit masks keep the loop free of branches.
            const auto smag = static_cast<std::int32_t>(mag);
            const std::uint32_t is_tiny = 0u - static_cast<std::uint32_t>(smag < min_normal_i);
            std::uint32_t r = (tiny & is_tiny) | (rounded & ~is_tiny);
            const std::uint32_t is_over =
                0u - static_cast<std::uint32_t>(static_cast<std::int32_t>(r) > max_i);
            r = (overflow_bits & is_over) | (r & ~is_over);
            const std::uint32_t is_nan = 0u - static_cast<std::uint32_t>(smag > 0x7f800000);
            r = (mag & is_nan) | (r & ~is_nan);  // NaN in, NaN out
            r |= sign;
            std::memcpy(&out[i], &r, 4);
        }
    }

    // Round-half-even of in * down (finite inputs), saturating at max, times up: an MX block
    // (MX v1.0 §6.3: V / X with X = 2^shared_exp, then P * X). X is a power of two, so both
    // products are exact (an input that underflows in in * down lies below half the smallest
    // element and rounds to zero either way; results are elements times X, never beyond
    // float32's range). |V / X| < 2^(emax+1) <= 2^16 and m <= 21 here, so each value rounds by
    // one magic addition: (a + C) - C with C = 1.5 * 2^23 * step, step = 2^(max(e, emin) - m)
    // the grid's step at a's binade, rounds a to a multiple of step, ties to even, exactly.
    // A block of 32 (MX's k) is unrolled at compile time.
    void round_float32_nearest_even_scaled(const float* in, float* out, std::size_t count,
                                           float down, float up) const {
        if (count == 32) return round_scaled_saturating(in, out, 32, down, up);
        round_scaled_saturating(in, out, count, down, up);
    }

  private:
    void round_scaled_saturating(const float* in, float* out, std::size_t count, float down,
                                 float up) const {
        const auto emin_bits = static_cast<std::int32_t>(emin + 127) << 23;
        const auto magic_offset = static_cast<std::uint32_t>(23 - m) << 23 | 0x00400000u;
        const auto max_float = static_cast<float>(max);
        for (std::size_t i = 0; i < count; ++i) {
            const float y = in[i] * down;
            const std::uint32_t bits = float32_bits(y);
            const std::uint32_t sign = bits & 0x80000000u;
            const std::uint32_t mag = bits & 0x7fffffffu;
            auto e_bits = static_cast<std::int32_t>(mag & 0x7f800000u);
            e_bits = e_bits < emin_bits ? emin_bits : e_bits;
            const std::uint32_t magic_bits = static_cast<std::uint32_t>(e_bits) + magic_offset;
            float a, magic;
            std::memcpy(&a, &mag, 4);
            std::memcpy(&magic, &magic_bits, 4);
            float r = (a + magic) - magic;
            r = r > max_float ? max_float : r;
            std::uint32_t r_bits = float32_bits(r) | sign;
            std::memcpy(&r, &r_bits, 4);
            out[i] = r * up;
        }
    }
};

}  // namespace qlab::detail
