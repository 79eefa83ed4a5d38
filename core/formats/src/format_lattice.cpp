// Cherkhev's regular lattice (§4.1, Tables 2-4): P evenly spaced atoms from -R to +R inclusive,
// saturating at the ends.
#include <cmath>

#include "format_impls.hpp"

namespace qlab::detail {
namespace {

class LatticeFormat final : public FormatImpl {
  public:
    LatticeFormat(double range, std::int64_t points)
        : range_(range), points_(points), step_(2 * range / static_cast<double>(points - 1)) {}

    std::string kind() const override { return "lattice"; }
    std::string canonical_spec() const override {
        return "lattice:range=" + shortest_repr(range_) + ",points=" + std::to_string(points_);
    }

    // Atom i of the lattice extended past both ends; the formula is odd-symmetric, so
    // atom(P-1-i) == -atom(i) exactly, and the ends are exactly -R and R.
    double atom(double i) const {
        const double last = static_cast<double>(points_ - 1);
        if (i == 0) return -range_;
        if (i == last) return range_;
        return range_ * (2 * i - last) / last;
    }

    Bracket bracket(double x) const override {
        // Far outside: treat as a lattice point; resolve() saturates it.
        if (x > range_ + 2 * step_ || x < -range_ - 2 * step_) return {x, x, true};
        double i = std::floor((x + range_) / step_);
        while (atom(i) > x) i -= 1;
        while (atom(i + 1) <= x) i += 1;
        const double lo = atom(i);
        const bool even = std::fmod(std::fabs(i), 2.0) == 0;
        if (lo == x) return {lo, lo, even};
        return {lo, atom(i + 1), even};
    }

    double resolve(double v) const override {
        return v > range_ ? range_ : v < -range_ ? -range_ : v;
    }

    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (x >= range_) return INFINITY;
        if (x < -range_) return -range_;
        const Bracket b = bracket(x);
        return b.lo == b.hi ? atom(index_of(b.lo) + 1) : b.hi;
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (x <= -range_) return -INFINITY;
        if (x > range_) return range_;
        const Bracket b = bracket(x);
        return b.lo == b.hi ? atom(index_of(b.lo) - 1) : b.lo;
    }

    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return range_; }
    double min_finite() const override { return -range_; }
    double min_positive() const override { return next_up(0.0); }
    double epsilon() const override { return step_; }
    double atom_count() const override { return static_cast<double>(points_); }
    int bits() const override {
        int b = 0;
        while ((std::int64_t{1} << b) < points_) ++b;
        return b;
    }

    Encoding encode(double v) const override {
        Encoding e;
        e.total_bits = bits();
        e.code = static_cast<std::uint64_t>(index_of(resolve(v)));
        e.fields.push_back({"index", e.total_bits, e.code});
        return e;
    }

  private:
    double index_of(double atom_value) const {
        double i = std::round((atom_value + range_) / step_);
        while (i > 0 && atom(i) > atom_value) i -= 1;
        while (atom(i) < atom_value) i += 1;
        return i;
    }

    double range_;
    std::int64_t points_;
    double step_;
};

}  // namespace

const FormatKindInfo& lattice_kind() {
    static const FormatKindInfo kind{
        "lattice",
        "Cherkhev's regular lattice (§4.1): P evenly spaced atoms from -R to +R "
        "inclusive (step 2R/(P-1)), saturating",
        {FormatForm{"",
                    "",
                    {Param::number("range", 1e-300, 1e300)
                         .required()
                         .label("R")
                         .means("the largest atom: the atoms span [-R, R]")
                         .slider(0.01, 100, true),
                     Param::integer("points", 2, 4294967296.0)
                         .required()
                         .label("P")
                         .means("how many atoms")
                         .slider(2, 1024, true)},
                    {{"lattice:range=1,points=16", ""}, {"lattice:range=2,points=32", ""}}}}};
    return kind;
}

ImplResult parse_lattice(SpecArgs& args) {
    ParamReader r(args, lattice_kind());
    double range = 0;
    std::int64_t points = 0;
    if (Status s = r.read("range", range); !s) return s;
    if (Status s = r.read("points", points); !s) return s;
    if (2 * range / static_cast<double>(points - 1) < range * 0x1p-50)
        return args.fail("too many points for range " + shortest_repr(range) +
                         ": neighbouring atoms would not be distinct doubles");
    return std::shared_ptr<const FormatImpl>(std::make_shared<LatticeFormat>(range, points));
}

}  // namespace qlab::detail
