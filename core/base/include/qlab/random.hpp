// Seeded, platform-independent random numbers (xoshiro256**), so that a seed gives the same
// stochastic rounding and the same training run natively and in WebAssembly.
#pragma once

#include <cmath>
#include <cstdint>

namespace qlab {

class Rng {
  public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        // splitmix64 spreads any seed, including 0, over the whole state.
        for (auto& word : state_) {
            seed += 0x9E3779B97F4A7C15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            word = z ^ (z >> 31);
        }
    }

    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

    // Standard normal by Box-Muller (one value per two uniforms; 1 - u keeps the log finite).
    double normal() {
        const double u1 = 1 - uniform(), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
    }

    // The generator's whole state, so a job can move to another process and go on exactly.
    using State = std::uint64_t[4];
    const State& state() const { return state_; }
    void set_state(const State& s) {
        for (int i = 0; i < 4; ++i) state_[i] = s[i];
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

}  // namespace qlab
