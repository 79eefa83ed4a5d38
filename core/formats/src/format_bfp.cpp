// Block floating point: each block of N values shares one exponent (the largest magnitude's),
// and each value keeps a w-bit two's complement mantissa. Per block this is fixed point with
// f = w - 2 - e; the shared exponent costs 8 more bits per block.
#include <algorithm>
#include <cmath>

#include "format_impls.hpp"

namespace qlab::detail {
namespace {

constexpr int kSharedExponentBits = 8;

class BlockFloatFormat final : public DataDependentFormat {
  public:
    BlockFloatFormat(int width, std::size_t block) : width_(width), block_(block) {}
    std::string kind() const override { return "bfp"; }
    std::string canonical_spec() const override {
        return "bfp:w=" + std::to_string(width_) + ",block=" + std::to_string(block_);
    }
    std::size_t block_size() const override { return block_; }
    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        double max_mag = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(data[i])) max_mag = std::max(max_mag, std::fabs(data[i]));
        // The exponent field holds 8 bits; keep it in a range every atom can represent.
        const int e = max_mag > 0 ? std::clamp(std::ilogb(max_mag), -120, 127) : 0;
        return make_fixed(width_, width_ - 2 - e, true, false);
    }
    double atom_count() const override { return std::ldexp(1.0, width_); }
    // The exact share of the 8-bit shared exponent (bits() rounds it up to whole bits).
    double bits_per_value(std::size_t n) const override {
        if (n == 0)
            return width_ + static_cast<double>(kSharedExponentBits) / static_cast<double>(block_);
        const double blocks = std::ceil(static_cast<double>(n) / static_cast<double>(block_));
        return width_ + kSharedExponentBits * blocks / static_cast<double>(n);
    }
    int bits() const override {
        return width_ + static_cast<int>((kSharedExponentBits + block_ - 1) / block_);
    }

  private:
    int width_;
    std::size_t block_;
};

}  // namespace

const FormatKindInfo& bfp_kind() {
    static const FormatKindInfo kind{
        "bfp",
        "block floating point (beyond the papers): each block of N values shares one 8-bit "
        "exponent, its largest magnitude's, and each value keeps a w-bit two's complement mantissa",
        {FormatForm{"",
                    "",
                    {Param::integer("w", 2, 24)
                         .required()
                         .label("mantissa bits")
                         .means("mantissa bits per value, the sign included"),
                     Param::integer("block", 1, 1 << 20)
                         .required()
                         .label("per exponent")
                         .means("values that share one exponent")
                         .slider(1, 256, true)},
                    {{"bfp:w=8,block=16", ""}, {"bfp:w=4,block=32", ""}}}}};
    return kind;
}

ImplResult parse_bfp(SpecArgs& args) {
    ParamReader r(args, bfp_kind());
    int width = 0;
    std::int64_t block = 0;
    if (Status s = r.read("w", width); !s) return s;
    if (Status s = r.read("block", block); !s) return s;
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<BlockFloatFormat>(width, static_cast<std::size_t>(block)));
}

}  // namespace qlab::detail
