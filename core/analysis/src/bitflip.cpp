// Bit flips in stored fixed-point weights and the per-layer x bit sensitivity map (bitflip.hpp).
// The codes are the integers Format "fixed" stores (nearest, ties to even, saturating), so a
// flipped model is still on the fixed-point grid and the fixed-point network leaves it unchanged.
#include "qlab/bitflip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "qlab/sakr.hpp"

namespace qlab {

std::int64_t fixed_code(double x, int bits, int frac) {
    const std::int64_t hi = (std::int64_t{1} << (bits - 1)) - 1, lo = -hi - 1;
    if (std::isnan(x)) return 0;
    // Scaling by 2^frac is exact; nearbyint rounds half to even in the default mode.
    const double k = std::nearbyint(std::ldexp(x, frac));
    if (k >= static_cast<double>(hi)) return hi;
    if (k <= static_cast<double>(lo)) return lo;
    return static_cast<std::int64_t>(k);
}

double fixed_code_value(std::int64_t code, int frac) {
    return std::ldexp(static_cast<double>(code), -frac);
}

std::int64_t flip_code_bit(std::int64_t code, int bit, int bits) {
    const std::uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
    std::uint64_t u = (static_cast<std::uint64_t>(code) & mask) ^ (1ull << bit);
    // Sign-extend bit bits-1 (two's complement of a bits-wide word).
    if (bits < 64 && (u >> (bits - 1)) & 1ull) u |= ~mask;
    return static_cast<std::int64_t>(u);
}

BitFlipCount flip_bits(float* values, std::size_t n, int bits, int frac, int bit, double rate,
                       Rng& rng) {
    BitFlipCount c;
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t code = fixed_code(values[i], bits, frac);
        // One draw per value whatever the rate, so a seed picks the same values at every bit.
        if (rng.uniform() < rate) {
            code = flip_code_bit(code, bit, bits);
            ++c.flipped;
        }
        values[i] = static_cast<float>(fixed_code_value(code, frac));
        ++c.values;
    }
    return c;
}

namespace {

// Hidden activations are unsigned (ufixed) when every hidden layer's activation is never negative
// (ReLU, the hard sigmoid, ...; a pool passes its input's range on), as in
// sakr_fixed_decisions_quantized.
bool unsigned_activations(const Model& m) {
    bool u = true;
    for (std::size_t l = 0; l + 1 < m.layers.size(); ++l)
        u &= !m.layers[l].has_weights() || activation_nonnegative(m.layers[l]);
    return u;
}

// ufixed:w=bits,f=frac codes 0 .. 2^bits - 1 (nearest, ties to even, saturating), bit flipped.
void flip_unsigned(float* values, std::size_t n, int bits, int frac, int bit, double rate, Rng& rng,
                   BitFlipCount& c) {
    const double hi = std::ldexp(1.0, bits) - 1;
    for (std::size_t i = 0; i < n; ++i) {
        double k = std::isnan(values[i]) ? 0 : std::nearbyint(std::ldexp(values[i], frac));
        k = std::clamp(k, 0.0, hi);
        auto code = static_cast<std::uint64_t>(k);
        if (rng.uniform() < rate) {
            code ^= 1ull << bit;
            ++c.flipped;
        }
        values[i] = static_cast<float>(std::ldexp(static_cast<double>(code), -frac));
        ++c.values;
    }
}

Model layers_of(const Model& m, std::size_t begin, std::size_t end) {
    Model part;
    part.layers.assign(m.layers.begin() + static_cast<long>(begin),
                       m.layers.begin() + static_cast<long>(end));
    return part;
}

}  // namespace

std::vector<int> activation_flip_decisions(const Model& quantized, const Dataset& data, int ba,
                                           int layer, int bit, double rate, Rng& rng,
                                           BitFlipCount* count) {
    BitFlipCount c;
    if (ba < 2 || data.size() == 0 || layer < 0 ||
        layer >= static_cast<int>(quantized.layers.size()))
        return {};
    const std::string bits_a = std::to_string(ba), frac_a = std::to_string(ba - 1);
    const bool unsigned_acts = unsigned_activations(quantized);
    EvalOptions o;  // the weights come quantized; activations as sakr_fixed_decisions stores them
    o.roles.activations = (unsigned_acts ? "ufixed:w=" : "fixed:w=") + bits_a + ",f=" + frac_a;
    Dataset in = data;
    const Format input = *Format::parse("fixed:w=" + bits_a + ",f=" + frac_a);
    input.quantize(in.x.data(), in.x.data(), in.x.size());
    if (layer == 0) {
        const BitFlipCount f = flip_bits(in.x.data(), in.x.size(), ba, ba - 1, bit, rate, rng);
        c = f;
    } else {
        // The network up to the layer (its last activation applied, not yet stored), stored as the
        // full network stores it, flipped, then the rest of the network on those values.
        const Matrix h =
            predict_scores(layers_of(quantized, 0, static_cast<std::size_t>(layer)), in, o);
        const Format act = *Format::parse(o.roles.activations);
        Dataset mid;
        mid.features = static_cast<int>(h.cols()), mid.classes = data.classes;
        mid.x.assign(h.data(), h.data() + h.size());  // row-major, as Dataset
        mid.y = data.y;
        act.quantize(mid.x.data(), mid.x.data(), mid.x.size());
        if (unsigned_acts)
            flip_unsigned(mid.x.data(), mid.x.size(), ba, ba - 1, bit, rate, rng, c);
        else
            c = flip_bits(mid.x.data(), mid.x.size(), ba, ba - 1, bit, rate, rng);
        in = std::move(mid);
    }
    const Model tail =
        layer == 0 ? quantized
                   : layers_of(quantized, static_cast<std::size_t>(layer), quantized.layers.size());
    const Matrix z = predict_scores(tail, in, o);
    std::vector<int> out(data.size());
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(i);
        out[static_cast<std::size_t>(i)] = first_max(row.data(), static_cast<int>(z.cols()));
    }
    if (count) *count = c;
    return out;
}

std::uint64_t bitflip_cell_seed(std::uint64_t seed, int layer, int bit) {
    std::uint64_t z =
        seed ^ (static_cast<std::uint64_t>(layer + 1) << 32) ^ static_cast<std::uint64_t>(bit + 1);
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

Model flip_weight_bits(const Model& model, int layer, int bw, int bit, double rate,
                       std::uint64_t seed, BitFlipCount* count) {
    Model m = model;
    Rng rng(seed);
    BitFlipCount total;
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        Layer& L = m.layers[l];
        if (L.kind != LayerKind::dense || (layer >= 0 && static_cast<int>(l) != layer)) continue;
        const BitFlipCount c = flip_bits(L.weight.data(), static_cast<std::size_t>(L.weight.size()),
                                         bw, bw - 1, bit, rate, rng);
        total.values += c.values, total.flipped += c.flipped;
    }
    if (count) *count = total;
    return m;
}

struct BitFlipJob::State {
    Model model;
    Dataset data;
    BitFlipOptions o;
    std::vector<int> dense;  // model layer index of each map row
    int cell = -1;           // -1: the baseline; then row-major (layer, bit)
    std::size_t next = 0;    // next data row of the current cell
    std::size_t rows_per_unit = 256;
    Model flipped;
    Rng rng;  // the activation flips of the current cell, drawn in row order across slices
    long long correct = 0;
    BitFlipResult r;
};

BitFlipJob::BitFlipJob(const Model& model, const Dataset& data, const BitFlipOptions& options)
    : s_(std::make_unique<State>()) {
    State& s = *s_;
    s.o = options;
    if (options.ba < 2 || options.ba > 24 || options.bw < 2 || options.bw > 24) {
        fail_now(Status::error("bit flips need B_A in 2..24 and B_W in 2..24"));
        return;
    }
    if (!(options.rate >= 0 && options.rate <= 1)) {
        fail_now(Status::error("the flip rate must be in [0, 1]"));
        return;
    }
    if (data.size() == 0) {
        fail_now(Status::error("the data has no rows"));
        return;
    }
    if (data.features != model.inputs()) {
        fail_now(Status::error("the data has " + std::to_string(data.features) +
                               " features, the model takes " + std::to_string(model.inputs())));
        return;
    }
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (model.layers[l].kind == LayerKind::dense) s.dense.push_back(static_cast<int>(l));
    if (s.dense.empty()) {
        fail_now(Status::error("the model has no dense layers"));
        return;
    }
    s.model = model;
    s.data = data;
    s.flipped = model;
    s.rows_per_unit = static_cast<std::size_t>(std::max(1, options.rows_per_unit));
    const std::size_t cells =
        s.dense.size() * static_cast<std::size_t>(options.activations ? options.ba : options.bw);
    s.r.accuracy.assign(cells, std::numeric_limits<double>::quiet_NaN());
    s.r.flipped.assign(cells, 0);
    s.r.layers = static_cast<int>(s.dense.size());
    s.r.bits = options.activations ? options.ba : options.bw;
}

BitFlipJob::~BitFlipJob() = default;

int BitFlipJob::layers() const {
    return static_cast<int>(s_->dense.size());
}
int BitFlipJob::bits() const {
    return s_->o.activations ? s_->o.ba : s_->o.bw;
}
double BitFlipJob::baseline() const {
    return s_->r.baseline;
}
const std::vector<double>& BitFlipJob::accuracy() const {
    return s_->r.accuracy;
}
const BitFlipResult& BitFlipJob::result() const {
    return s_->r;
}
const std::vector<long long>& BitFlipJob::flipped() const {
    return s_->r.flipped;
}

bool BitFlipJob::is_done() const {
    return s_->cell >= static_cast<int>(s_->r.accuracy.size());
}

JobProgress BitFlipJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    const long long per =
        static_cast<long long>((s.data.size() + s.rows_per_unit - 1) / s.rows_per_unit);
    p.total = per * static_cast<long long>(s.r.accuracy.size() + 1);
    p.done = per * (s.cell + 1) +
             static_cast<long long>((s.next + s.rows_per_unit - 1) / s.rows_per_unit);
    p.done = std::min(p.done, p.total);
    if (s.cell < 0)
        p.stage = "accuracy without flips";
    else if (!is_done())
        p.stage = std::string(s.o.activations ? "activations into layer " : "weights of layer ") +
                  std::to_string(s.cell / (s.r.accuracy.size() / s.dense.size()) + 1) + ", bit " +
                  std::to_string(s.cell % (s.r.accuracy.size() / s.dense.size()));
    return p;
}

Status BitFlipJob::do_unit() {
    State& s = *s_;
    const int bits = s.o.activations ? s.o.ba : s.o.bw;
    const int row = s.cell / bits, bit = s.cell % bits;
    if (s.next == 0 && s.cell >= 0 && s.o.activations) {
        // A new cell: the weights as stored, the activation flips drawn from the cell's seed.
        s.flipped = sakr_quantize_weights(s.model, s.o.bw);
        s.rng.reseed(bitflip_cell_seed(s.o.seed, row, bit));
    } else if (s.next == 0 && s.cell >= 0) {
        // A new cell: its own flipped copy of the weights, seeded by (seed, layer, bit).
        BitFlipCount c;
        // The flipped layer is on the grid already; the others are quantized once per cell.
        s.flipped = sakr_quantize_weights(
            flip_weight_bits(s.model, s.dense[static_cast<std::size_t>(row)], s.o.bw, bit, s.o.rate,
                             bitflip_cell_seed(s.o.seed, row, bit), &c),
            s.o.bw);
        s.r.flipped[static_cast<std::size_t>(s.cell)] = c.flipped;
    }
    const std::size_t end = std::min(s.data.size(), s.next + s.rows_per_unit);
    Dataset part;
    part.features = s.data.features, part.classes = s.data.classes;
    part.x.assign(s.data.row(s.next), s.data.row(s.next) + (end - s.next) * s.data.features);
    part.y.assign(s.data.y.begin() + static_cast<long>(s.next),
                  s.data.y.begin() + static_cast<long>(end));
    if (s.cell < 0 && s.next == 0) s.flipped = sakr_quantize_weights(s.model, s.o.bw);
    std::vector<int> d;
    if (s.cell >= 0 && s.o.activations) {
        BitFlipCount c;
        d = activation_flip_decisions(s.flipped, part, s.o.ba,
                                      s.dense[static_cast<std::size_t>(row)], bit, s.o.rate, s.rng,
                                      &c);
        s.r.flipped[static_cast<std::size_t>(s.cell)] += c.flipped;
    } else {
        d = sakr_fixed_decisions_quantized(s.flipped, part, s.o.ba);
    }
    for (std::size_t i = 0; i < d.size(); ++i) s.correct += d[i] == part.y[i];
    s.next = end;
    if (end >= s.data.size()) {
        const double acc = static_cast<double>(s.correct) / static_cast<double>(s.data.size());
        if (s.cell < 0)
            s.r.baseline = acc;
        else
            s.r.accuracy[static_cast<std::size_t>(s.cell)] = acc;
        ++s.cell;
        s.next = 0;
        s.correct = 0;
    }
    return Status::success();
}

}  // namespace qlab
