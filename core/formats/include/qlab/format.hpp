// Number formats as Cherkhev's triple (atoms A, quantize q, restore r): spec parsing, a scalar
// reference quantizer shared by every format, fast array paths, and the facts a learner sees.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/random.hpp"
#include "qlab/status.hpp"

namespace qlab {

enum class Rounding { nearest_even, nearest_away, toward_zero, up, down, stochastic };

// Short names used in specs, the CLI and the URL: rne, rna, rtz, up, down, stochastic.
const char* rounding_name(Rounding mode);
Result<Rounding> parse_rounding(std::string_view name);
const std::vector<Rounding>& all_roundings();

// Shortest decimal text that reads back as the same double ("inf", "-inf", "nan" otherwise).
std::string shortest_repr(double v);

struct QuantizeOptions {
    Rounding rounding = Rounding::nearest_even;
    std::uint64_t seed = 0;  // only used by stochastic rounding
};

// Two neighbouring points of a format's lattice extended without bound (so overflow can be
// decided by the same rounding rule and resolved afterwards): lo <= x <= hi, lo == hi on a point.
struct Bracket {
    double lo = 0;
    double hi = 0;
    bool lo_is_even = true;  // which neighbour round-half-even picks on a tie
};

// One field of the bit-level view of a stored value.
struct BitField {
    std::string name;  // "sign", "exponent", "mantissa", "integer code", "index"
    int width = 0;
    std::uint64_t value = 0;
};

struct Encoding {
    int total_bits = 0;
    std::uint64_t code = 0;  // all fields packed, most significant first
    std::vector<BitField> fields;
};

struct AtomList {
    std::vector<double> atoms;  // ascending
    bool truncated = false;     // more atoms lie in the range than were asked for
};

// What every format implements. Adding a format means one new implementation file (the class,
// its kind's declaration of parameters, see qlab/format_kinds.hpp, and its parser) plus one line
// in the registry (format.cpp); the lab's controls, the CLI's help and docs/formats.md follow.
class FormatImpl {
  public:
    virtual ~FormatImpl() = default;
    virtual std::string kind() const = 0;
    virtual std::string canonical_spec() const = 0;

    // Neighbours of finite x on the unbounded lattice.
    virtual Bracket bracket(double x) const = 0;
    // Where nearest rounding switches from lo to hi: the midpoint, except for thresholded
    // formats such as ternary (Kundu's T).
    virtual double nearest_split(const Bracket& b) const { return b.lo + (b.hi - b.lo) / 2; }
    // Maps a rounded lattice point (possibly beyond the range) or +-inf to the stored value.
    virtual double resolve(double lattice_point) const = 0;
    // Stored atoms strictly above / below a finite value; +-inf (or NaN) when there is none.
    virtual double next_up(double x) const = 0;
    virtual double next_down(double x) const = 0;

    virtual bool keeps_negative_zero() const = 0;
    virtual bool has_infinity() const = 0;
    virtual double max_finite() const = 0;
    virtual double min_finite() const = 0;
    virtual double min_positive() const = 0;
    virtual double epsilon() const = 0;  // gap above 1 (float) or the uniform step
    virtual double atom_count() const = 0;
    virtual int bits() const = 0;
    virtual Encoding encode(double atom) const = 0;

    // Fast path over float32 arrays; the default runs the scalar reference.
    virtual void quantize_array(const float* in, float* out, std::size_t n,
                                const QuantizeOptions& options) const;

    // Formats whose parameters come from the data (ternary alpha*/T*, block floating point,
    // k-means codebooks) return true and build a concrete format per tensor or block.
    virtual bool data_dependent() const { return false; }
    virtual std::size_t block_size() const { return 0; }  // 0: one fit for the whole tensor
    virtual std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const;

    // A step over the whole tensor before its blocks (NVFP4's FP32 per-tensor scale from the
    // tensor's amax): fits_tensor() is true and fit_tensor() returns the format with that
    // parameter bound (whose fits_tensor() is false). No other format has one.
    virtual bool fits_tensor() const { return false; }
    virtual std::shared_ptr<const FormatImpl> fit_tensor(const double* data, std::size_t n) const;
    // The same step on float32 values (Format::quantize's input); the default widens them.
    virtual std::shared_ptr<const FormatImpl> fit_tensor_float(const float* data,
                                                               std::size_t n) const;
    // Optional whole-tensor fast path of a block format: the same values as the per-block fit
    // loop of Format::quantize (blocks in order, stochastic streams seeded seed + block start),
    // bit for bit. false: not taken, the generic loop runs. A format that fits a tensor is asked
    // first, before its fit, and may do both steps in its own passes.
    virtual bool quantize_blocks(const float* in, float* out, std::size_t n,
                                 const QuantizeOptions& options) const;

    // Storage per value with the shared scales' share: bits() for element-wise formats. With
    // tensor_values > 0 a last partial block pays a whole scale and a per-tensor scale counts.
    virtual double bits_per_value(std::size_t tensor_values = 0) const;
    // Block-scaled formats (MX, NVFP4, group-wise int): the element format's spec (its atoms
    // before scaling), the per-block scale's and the per-tensor scale's (empty: none).
    virtual std::string element_spec() const { return {}; }
    virtual std::string scale_spec() const { return {}; }
    virtual std::string tensor_scale_spec() const { return {}; }
    // A block-scaled format fitted to one block: the stored scale its elements multiply (NaN
    // for an MX block whose scale is the NaN code) and the scale's encoding.
    virtual double block_scale() const { return NAN; }
    virtual Encoding block_scale_encoding() const { return {}; }
};

class Format {
  public:
    // Parses "kind[:key=value,...]", e.g. "fixed:w=8,f=4" or "float:e=5,m=10,sub=0".
    static Result<Format> parse(std::string_view spec);
    // The kinds the parser knows, with a one-line syntax reminder each (made from the kinds'
    // declarations, qlab/format_kinds.hpp).
    static const std::vector<std::pair<std::string, std::string>>& known_kinds();

    std::string kind() const { return impl_->kind(); }
    std::string to_string() const { return impl_->canonical_spec(); }

    // The plain scalar reference: q(x) under a rounding mode. Stochastic rounding draws from rng.
    // Not for data-dependent formats: fit() them first, or use quantize_tensor_ref.
    double quantize_ref(double x, Rounding mode = Rounding::nearest_even, Rng* rng = nullptr) const;

    // Data-dependent formats (no explicit parameters) take their parameters from the data.
    bool data_dependent() const { return impl_->data_dependent(); }
    std::size_t block_size() const { return impl_->block_size(); }
    // The concrete format fitted to these values as one block, after the per-tensor step on the
    // same values (the format itself when not data-dependent).
    Format fit(const std::vector<double>& values) const;
    // Reference over a whole tensor: per block fit for data-dependent formats, then quantize_ref.
    std::vector<double> quantize_tensor_ref(const std::vector<double>& values,
                                            const QuantizeOptions& options = {}) const;
    // Fast path over float32 (tested against quantize_ref).
    void quantize(const float* in, float* out, std::size_t n,
                  const QuantizeOptions& options = {}) const;
    // A row-major rows x cols matrix: blocks and groups run along each row (a weight row is a
    // neuron's fan-in), never across two rows; a per-tensor step still sees the whole matrix.
    // The same as quantize() over rows * cols values when cols is a multiple of the block.
    void quantize_rows(const float* in, float* out, std::size_t rows, std::size_t cols,
                       const QuantizeOptions& options = {}) const;
    std::vector<double> quantize(const std::vector<double>& values,
                                 const QuantizeOptions& options = {}) const;

    Bracket bracket(double x) const { return impl_->bracket(x); }
    double next_up(double x) const { return impl_->next_up(x); }
    double next_down(double x) const { return impl_->next_down(x); }
    bool has_infinity() const { return impl_->has_infinity(); }
    double max_finite() const { return impl_->max_finite(); }
    double min_finite() const { return impl_->min_finite(); }
    double min_positive() const { return impl_->min_positive(); }
    double epsilon() const { return impl_->epsilon(); }
    double atom_count() const { return impl_->atom_count(); }
    int bits() const { return impl_->bits(); }
    Encoding encode(double atom) const { return impl_->encode(atom); }

    // Bits per value including the scales' share (MXFP4 4.25, NVFP4 4.5 + 32 / tensor_values).
    double bits_per_value(std::size_t tensor_values = 0) const {
        return impl_->bits_per_value(tensor_values);
    }
    // Block-scaled formats: element, block scale and per-tensor scale formats (empty: none).
    bool block_scaled() const { return !impl_->element_spec().empty(); }
    std::string element_spec() const { return impl_->element_spec(); }
    std::string scale_spec() const { return impl_->scale_spec(); }
    std::string tensor_scale_spec() const { return impl_->tensor_scale_spec(); }
    // Of a block-scaled format fitted to one block (fit()): its scale and the scale's code.
    double block_scale() const { return impl_->block_scale(); }
    Encoding block_scale_encoding() const { return impl_->block_scale_encoding(); }
    // The per-tensor step alone (NVFP4's FP32 scale from these values); *this when none.
    Format fit_tensor(const std::vector<double>& values) const;

    // Atoms in [lo, hi], at most `limit` of them (the first ones from lo).
    AtomList atoms_in(double lo, double hi, std::size_t limit = 4096) const;
    // Gap between the two stored atoms around x (0 if x is beyond the last atom).
    double step_at(double x) const;
    // Cherkhev eq. 1: sup over x in [lo, hi] of |x - r(q(x))| under the rounding mode.
    // Infinite when some x in the range overflows to infinity.
    double worst_case_error(double lo, double hi, Rounding mode = Rounding::nearest_even) const;

    explicit Format(std::shared_ptr<const FormatImpl> impl) : impl_(std::move(impl)) {}

  private:
    std::shared_ptr<const FormatImpl> impl_;
};

}  // namespace qlab
