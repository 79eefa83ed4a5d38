// What IEEE-style floats and the OCP element types share: the atoms of a binary float with m
// fraction bits, exponents from emin, subnormals (or not) and a largest finite value, stepped
// between and rounded to in float32 bit arithmetic. Each format adds its own overflow and codes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qlab::detail {

inline std::uint32_t float32_bits(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

struct BinaryFloatGrid {
    int m = 0;       // fraction bits
    int emin = 0;    // exponent of the smallest normal
    double max = 0;  // largest finite atom
    bool subnormals = true;

    double min_normal() const { return std::ldexp(1.0, emin); }
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
        const float magic = std::ldexp(1.0f, emin - m + 23);
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
};

}  // namespace qlab::detail
