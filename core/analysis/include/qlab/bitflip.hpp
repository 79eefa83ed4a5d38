// Bit-flip injection (fault injection) into stored fixed-point numbers: a value is stored as the
// B-bit two's complement code of fixed:w=B,f=F, bit k of the code is flipped at rate p (seeded),
// and the network's accuracy is measured; a per-layer x bit-position sensitivity map as a job.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/mlp.hpp"
#include "qlab/random.hpp"
#include "qlab/status.hpp"

namespace qlab {

// The two's complement code of x in fixed:w=bits,f=frac: round to nearest (ties to even) and
// saturate to [-2^(bits-1), 2^(bits-1) - 1], exactly as Format "fixed" stores it. bits in 1..31.
std::int64_t fixed_code(double x, int bits, int frac);
double fixed_code_value(std::int64_t code, int frac);  // code * 2^-frac
// Bit `bit` (0 = least significant, bits-1 = the sign) of a bits-wide code flipped; the result
// is the sign-extended code.
std::int64_t flip_code_bit(std::int64_t code, int bit, int bits);

struct BitFlipCount {
    long long values = 0, flipped = 0;
};
// Stores every value in fixed:w=bits,f=frac and flips `bit` of each code with probability `rate`
// (one uniform draw per value, in order), writing the values back.
BitFlipCount flip_bits(float* values, std::size_t n, int bits, int frac, int bit, double rate,
                       Rng& rng);

// A copy of the model whose weights (dense layer `layer`, or every dense layer when layer < 0)
// are stored in fixed:w=bw,f=bw-1 (Sakr's weights) with bit `bit` flipped at `rate`; the other
// layers' weights are left as they are (the fixed-point network rounds them anyway).
Model flip_weight_bits(const Model& model, int layer, int bw, int bit, double rate,
                       std::uint64_t seed, BitFlipCount* count = nullptr);

// The stored activations instead: the values entering model layer `layer` (0: the inputs, two's
// complement fixed:w=B_A,f=B_A-1; later: hidden outputs in ufixed:w=B_A,f=B_A-1 after ReLU / hard
// sigmoid, fixed otherwise, as sakr_fixed_decisions stores them) with bit `bit` of each code
// flipped at `rate`, one draw per value in row order; the decisions of the fixed-point network
// whose weights are given quantized (sakr_quantize_weights). Rate 0 gives its decisions exactly.
std::vector<int> activation_flip_decisions(const Model& quantized, const Dataset& data, int ba,
                                           int layer, int bit, double rate, Rng& rng,
                                           BitFlipCount* count = nullptr);

// The sensitivity map: for every dense layer l and bit k of B_W, the accuracy of the fixed-point
// network at (B_A, B_W) (sakr_fixed_decisions) when bit k of layer l's weights flips at `rate`.
// One unit is one cell; each cell has its own seed (from seed, l and k), so the map does not
// depend on the order or the slicing of the work.
struct BitFlipOptions {
    int ba = 8, bw = 8;
    double rate = 0.01;
    std::uint64_t seed = 1;
    int rows_per_unit = 256;  // data rows evaluated per unit (fewer for a large network)
    // Flip the activations entering each dense layer (bits of B_A) instead of its weights.
    bool activations = false;
};
// The map so far (what BitFlipJob's accessors give, in one value).
struct BitFlipResult {
    int layers = 0, bits = 0;
    double baseline = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> accuracy;  // [layer][bit] row-major; NaN where not computed yet
    std::vector<long long> flipped;
};
class BitFlipJob : public Job {
  public:
    BitFlipJob(const Model& model, const Dataset& data, const BitFlipOptions& options);
    ~BitFlipJob() override;
    JobProgress progress() const override;
    int layers() const;       // rows of the map: the dense layers
    int bits() const;         // columns: bit 0 (LSB) .. B_W - 1 (sign)
    double baseline() const;  // accuracy without flips (computed by the first unit)
    // Accuracy per (layer, bit), row-major; NaN where not computed yet.
    const std::vector<double>& accuracy() const;
    const std::vector<long long>& flipped() const;  // weights flipped per cell
    const BitFlipResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// The cell's seed: splitmix64 of (seed, layer, bit).
std::uint64_t bitflip_cell_seed(std::uint64_t seed, int layer, int bit);

}  // namespace qlab
