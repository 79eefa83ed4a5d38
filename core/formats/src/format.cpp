// The format registry and everything shared by all formats: one rounding rule applied to the
// bracket a format reports, atom listing, and the worst-case error of Cherkhev eq. 1.
#include "qlab/format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "format_impls.hpp"
#include "qlab/format_kinds.hpp"

namespace qlab {

std::string shortest_repr(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) != v) continue;
        // %g switches to an exponent as soon as the digits run out (20 -> "2e+01"); write
        // ordinary magnitudes positionally instead, with the same significant digits.
        const double mag = std::fabs(v);
        if (std::strchr(buf, 'e') && mag >= 1e-5 && mag < 1e16) {
            const int exp10 = static_cast<int>(std::floor(std::log10(mag)));
            std::snprintf(buf, sizeof buf, "%.*f", std::max(0, digits - 1 - exp10), v);
        }
        break;
    }
    return buf;
}

namespace {

struct RoundingName {
    Rounding mode;
    const char* name;
};
constexpr std::array<RoundingName, 6> kRoundingNames{{
    {Rounding::nearest_even, "rne"},
    {Rounding::nearest_away, "rna"},
    {Rounding::toward_zero, "rtz"},
    {Rounding::up, "up"},
    {Rounding::down, "down"},
    {Rounding::stochastic, "stochastic"},
}};

using Parser = std::function<detail::ImplResult(detail::SpecArgs&)>;

// One entry per kind: its declaration (beside its parser, in the format's own file) and parser.
struct KindEntry {
    const FormatKindInfo* info;
    Parser parse;
};

const std::vector<KindEntry>& registry() {
    using detail::SpecArgs;
    auto ocp = [](const char* kind) {
        return KindEntry{&detail::ocp_kind(kind),
                         [kind](SpecArgs& a) { return detail::parse_ocp(a, kind); }};
    };
    auto mx = [](const char* kind) {
        return KindEntry{&detail::mx_kind(kind),
                         [kind](SpecArgs& a) { return detail::parse_mx(a, kind); }};
    };
    static const std::vector<KindEntry> entries = {
        {&detail::fixed_kind(true), [](SpecArgs& a) { return detail::parse_fixed(a, true); }},
        {&detail::fixed_kind(false), [](SpecArgs& a) { return detail::parse_fixed(a, false); }},
        {&detail::float_kind(), detail::parse_float},
        {&detail::lattice_kind(), detail::parse_lattice},
        {&detail::int_kind(), detail::parse_int},
        {&detail::sign_kind(false), detail::parse_binary},
        {&detail::sign_kind(true), detail::parse_ternary},
        {&detail::codebook_kind(), detail::parse_codebook},
        {&detail::bfp_kind(), detail::parse_bfp},
        ocp("fp8"),
        ocp("fp6"),
        ocp("fp4"),
        ocp("e8m0"),
        mx("mxfp8"),
        mx("mxfp6"),
        mx("mxfp4"),
        mx("mxint8"),
        {&detail::nvfp4_kind(), detail::parse_nvfp4},
    };
    return entries;
}

}  // namespace

const char* rounding_name(Rounding mode) {
    for (const auto& r : kRoundingNames)
        if (r.mode == mode) return r.name;
    assert(false && "unhandled rounding mode");
    return "?";
}

Result<Rounding> parse_rounding(std::string_view name) {
    for (const auto& r : kRoundingNames)
        if (name == r.name) return r.mode;
    return Status::error("unknown rounding mode '" + std::string(name) +
                         "' (expected rne, rna, rtz, up, down or stochastic)");
}

const std::vector<Rounding>& all_roundings() {
    static const std::vector<Rounding> modes = [] {
        std::vector<Rounding> m;
        for (const auto& r : kRoundingNames) m.push_back(r.mode);
        return m;
    }();
    return modes;
}

const std::vector<FormatKindInfo>& format_kinds() {
    static const std::vector<FormatKindInfo> kinds = [] {
        std::vector<FormatKindInfo> k;
        for (const auto& e : registry()) k.push_back(*e.info);
        return k;
    }();
    return kinds;
}

const std::vector<std::pair<std::string, std::string>>& Format::known_kinds() {
    static const std::vector<std::pair<std::string, std::string>> kinds = [] {
        std::vector<std::pair<std::string, std::string>> k;
        for (const auto& e : registry()) k.emplace_back(e.info->kind, e.info->usage());
        return k;
    }();
    return kinds;
}

namespace detail {

// A kind with an element type names it positionally ("fp8:e4m3,sat=1"); it reaches the
// parser as the key "variant", while messages still quote the spec as written.
Result<SpecArgs> split_format_spec(std::string_view spec) {
    const std::size_t colon = spec.find(':');
    if (colon == std::string_view::npos) return SpecArgs::split(spec);
    std::string kind_name(spec.substr(0, colon));
    kind_name.erase(0, kind_name.find_first_not_of(" \t"));
    kind_name.erase(kind_name.find_last_not_of(" \t") + 1);
    const FormatKindInfo* kind = find_format_kind(kind_name);
    const std::string_view rest = spec.substr(colon + 1);
    const std::string_view first = rest.substr(0, rest.find(','));
    if (!kind || !kind->positional_variant() || first.find('=') != std::string_view::npos ||
        first.find_first_not_of(" \t") == std::string_view::npos)
        return SpecArgs::split(spec);
    const std::string rewritten =
        std::string(spec.substr(0, colon + 1)) + "variant=" + std::string(rest);
    return SpecArgs::split(rewritten, "format", spec);
}

}  // namespace detail

Result<Format> Format::parse(std::string_view spec) {
    auto args = detail::split_format_spec(spec);
    if (!args) return args.status();
    detail::SpecArgs a = std::move(args).value();
    for (const auto& entry : registry()) {
        if (a.kind() != entry.info->kind) continue;
        auto impl = entry.parse(a);
        if (!impl) return impl.status();
        if (Status s = a.finish(entry.info->usage().c_str()); !s) return s;
        return Format(std::move(impl).value());
    }
    std::string known;
    for (const auto& entry : registry()) known += (known.empty() ? "" : ", ") + entry.info->kind;
    return Status::error("format '" + a.text() + "': unknown kind '" + a.kind() +
                         "' (known: " + known + ")");
}

namespace {

// The one rounding rule every format shares: pick lo or hi of the format's bracket by the mode,
// then let the format resolve overflow and the sign of zero.
double round_to_format(const FormatImpl& impl, double x, Rounding mode, Rng* rng) {
    if (std::isnan(x)) return x;
    if (std::isinf(x)) return impl.resolve(x);
    assert(!impl.data_dependent() && "fit() a data-dependent format before quantize_ref");
    const Bracket b = impl.bracket(x);
    double r = b.lo;
    if (b.lo != b.hi) {
        const double below = x - b.lo;
        const double split = impl.nearest_split(b);
        switch (mode) {
            case Rounding::nearest_even:
                r = x < split ? b.lo : x > split ? b.hi : (b.lo_is_even ? b.lo : b.hi);
                break;
            case Rounding::nearest_away:
                r = x < split ? b.lo : x > split ? b.hi : (x > 0 ? b.hi : b.lo);
                break;
            case Rounding::toward_zero:
                // A gap around zero (a lattice without 0): keep the sign, which stays monotone.
                r = x > 0 ? (b.lo >= 0 ? b.lo : b.hi) : (b.hi <= 0 ? b.hi : b.lo);
                break;
            case Rounding::up:
                r = b.hi;
                break;
            case Rounding::down:
                r = b.lo;
                break;
            case Rounding::stochastic:
                assert(rng && "stochastic rounding needs a generator");
                // P(hi) = (x - lo) / (hi - lo): the expected value is x, so rounding is unbiased.
                r = rng->uniform() * (b.hi - b.lo) < below ? b.hi : b.lo;
                break;
        }
    }
    r = impl.resolve(r);
    if (r == 0) r = (impl.keeps_negative_zero() && std::signbit(x)) ? -0.0 : 0.0;
    return r;
}

}  // namespace

double Format::quantize_ref(double x, Rounding mode, Rng* rng) const {
    return round_to_format(*impl_, x, mode, rng);
}

std::shared_ptr<const FormatImpl> FormatImpl::fit(const double*, std::size_t) const {
    assert(!data_dependent() && "data-dependent formats implement fit()");
    return nullptr;
}

std::shared_ptr<const FormatImpl> FormatImpl::fit_tensor(const double*, std::size_t) const {
    assert(!fits_tensor() && "formats with a per-tensor step implement fit_tensor()");
    return nullptr;
}

std::shared_ptr<const FormatImpl> FormatImpl::fit_tensor_float(const float* data,
                                                               std::size_t n) const {
    const std::vector<double> all(data, data + n);
    return fit_tensor(all.data(), n);
}

bool FormatImpl::quantize_blocks(const float*, float*, std::size_t, const QuantizeOptions&) const {
    return false;
}

double FormatImpl::bits_per_value(std::size_t) const {
    return bits();
}

Format Format::fit_tensor(const std::vector<double>& values) const {
    if (!impl_->fits_tensor()) return *this;
    return Format(impl_->fit_tensor(values.data(), values.size()));
}

Format Format::fit(const std::vector<double>& values) const {
    if (!impl_->data_dependent()) return *this;
    const Format bound = fit_tensor(values);
    return Format(bound.impl_->fit(values.data(), values.size()));
}

std::vector<double> Format::quantize_tensor_ref(const std::vector<double>& values,
                                                const QuantizeOptions& options) const {
    if (impl_->fits_tensor()) return fit_tensor(values).quantize_tensor_ref(values, options);
    Rng rng(options.seed);
    std::vector<double> out(values.size());
    if (!impl_->data_dependent()) {
        for (std::size_t i = 0; i < values.size(); ++i)
            out[i] = quantize_ref(values[i], options.rounding, &rng);
        return out;
    }
    const std::size_t block = impl_->block_size() ? impl_->block_size() : values.size();
    for (std::size_t start = 0; start < values.size(); start += block) {
        const std::size_t n = std::min(block, values.size() - start);
        const Format concrete(impl_->fit(values.data() + start, n));
        rng.reseed(options.seed + start);  // the same per-block streams as the fast path
        for (std::size_t i = start; i < start + n; ++i)
            out[i] = concrete.quantize_ref(values[i], options.rounding, &rng);
    }
    return out;
}

void FormatImpl::quantize_array(const float* in, float* out, std::size_t n,
                                const QuantizeOptions& options) const {
    Rng rng(options.seed);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(round_to_format(*this, in[i], options.rounding, &rng));
}

void Format::quantize(const float* in, float* out, std::size_t n,
                      const QuantizeOptions& options) const {
    if (impl_->fits_tensor()) {
        if (impl_->quantize_blocks(in, out, n, options)) return;  // the tensor step included
        return Format(impl_->fit_tensor_float(in, n)).quantize(in, out, n, options);
    }
    if (!impl_->data_dependent()) return impl_->quantize_array(in, out, n, options);
    if (impl_->quantize_blocks(in, out, n, options)) return;
    const std::size_t block = impl_->block_size() ? impl_->block_size() : n;
    std::vector<double> values;
    for (std::size_t start = 0; start < n; start += block) {
        const std::size_t count = std::min(block, n - start);
        values.assign(in + start, in + start + count);
        QuantizeOptions block_options = options;
        block_options.seed = options.seed + start;  // distinct streams per block, still seeded
        impl_->fit(values.data(), count)
            ->quantize_array(in + start, out + start, count, block_options);
    }
}

void Format::quantize_rows(const float* in, float* out, std::size_t rows, std::size_t cols,
                           const QuantizeOptions& options) const {
    if (impl_->fits_tensor())
        return Format(impl_->fit_tensor_float(in, rows * cols))
            .quantize_rows(in, out, rows, cols, options);
    const std::size_t block = impl_->block_size();
    if (!impl_->data_dependent() || block == 0 || rows <= 1 || cols % block == 0)
        return quantize(in, out, rows * cols, options);
    // Each row on its own, seeded so that every block keeps the stream seed + its flat start.
    for (std::size_t r = 0; r < rows; ++r) {
        QuantizeOptions row_options = options;
        row_options.seed = options.seed + r * cols;
        quantize(in + r * cols, out + r * cols, cols, row_options);
    }
}

std::vector<double> Format::quantize(const std::vector<double>& values,
                                     const QuantizeOptions& options) const {
    return quantize_tensor_ref(values, options);
}

AtomList Format::atoms_in(double lo, double hi, std::size_t limit) const {
    AtomList list;
    if (!(lo <= hi)) return list;
    double a = quantize_ref(lo, Rounding::up);
    if (std::isnan(a))
        a = next_up(lo);          // e8m0 below its range (no zero, no sign); NaN lo stays NaN
    if (a < lo) a = next_up(lo);  // saturation can pull an up-rounded value below lo
    while (std::isfinite(a) && a <= hi) {
        if (list.atoms.size() == limit) {
            list.truncated = true;
            break;
        }
        list.atoms.push_back(a == 0 ? 0.0 : a);
        const double next = next_up(a);
        if (!(next > a)) break;
        a = next;
    }
    return list;
}

double Format::step_at(double x) const {
    if (!std::isfinite(x)) return 0;
    const double q = quantize_ref(x, Rounding::down);
    const double lo = (q <= x) ? q : next_down(x);
    const double hi = next_up(lo);
    if (!std::isfinite(lo) || !std::isfinite(hi)) return 0;
    return hi - lo;
}

namespace {

// The supremum of |x - q(x)| over [lo, hi] (Cherkhev's delta, eq. 1), gap by gap: the ends of
// the range, every gap when few atoms lie inside, and the gaps around the probes where gaps are
// widest otherwise. Both ends are finite and lo <= hi.
class WorstCaseError {
  public:
    WorstCaseError(const Format& format, const FormatImpl& impl, double lo, double hi,
                   Rounding mode)
        : f_(format), impl_(impl), lo_(lo), hi_(hi), mode_(mode) {}

    double run() {
        // Beyond the last atom the error grows toward the far end of the range (and a bracket
        // beyond IEEE max need not contain x), so the ends are measured directly as well.
        err_at(lo_);
        err_at(hi_);
        // A codebook's gaps (k-means levels, any list of atoms) need not grow away from zero, so
        // the probes below could miss its widest gap: with few atoms in the range, measure every
        // gap.
        constexpr std::size_t kEveryGapLimit = 1 << 14;
        const AtomList inside = f_.atoms_in(lo_, hi_, kEveryGapLimit);
        if (!inside.truncated)
            for (std::size_t i = 0; i + 1 < inside.atoms.size(); ++i)
                consider_gap(inside.atoms[i], inside.atoms[i + 1]);
        // Gaps never shrink away from zero except next to it (a format without subnormals) and
        // overflow behaves the same in every wrap period, so these gaps hold the supremum.
        const double probes[] = {lo_,
                                 hi_,
                                 0.0,
                                 f_.max_finite(),
                                 f_.min_finite(),
                                 f_.min_positive(),
                                 -f_.min_positive(),
                                 f_.next_up(lo_),
                                 f_.next_down(hi_)};
        for (double p : probes)
            if (p >= lo_ && p <= hi_) gaps_around(p);
        return worst_;
    }

  private:
    void err(double x, double v) {
        worst_ = std::max(worst_, std::isinf(v) ? INFINITY : std::fabs(x - v));
    }
    // The error at one exact point (stochastic rounding may pick either neighbour).
    void err_at(double x) {
        if (mode_ != Rounding::stochastic) return err(x, f_.quantize_ref(x, mode_));
        const Bracket b = impl_.bracket(x);
        err(x, impl_.resolve(b.lo));
        if (b.lo != b.hi) err(x, impl_.resolve(b.hi));
    }
    // [from, to] all maps to v: |x - v| is convex in x, so its sup sits at an end.
    void part(double from, double to, double v) {
        if (from > to) return;
        if (from == to) return err_at(from);
        err(from, v);
        err(to, v);
    }
    // Within one gap [a, b] every inner x maps to resolve(a) or resolve(b), and |x - v| is
    // convex in x, so the sup over the clipped gap [c, d] sits at a sub-interval end. A
    // sub-interval that shrank to one point is measured exactly (b may be IEEE's virtual
    // 2^(emax+1)).
    void consider_gap(double a, double b) {
        const double c = std::max(a, lo_), d = std::min(b, hi_);
        if (!(c <= d)) return;
        if (c == d || a == b) return err_at(c);
        const double va = impl_.resolve(a), vb = impl_.resolve(b);
        // Below t the gap's values go to a's atom, above it to b's.
        auto split = [&](double t) {
            part(c, std::min(d, t), va);
            part(std::max(c, t), d, vb);
        };
        switch (mode_) {
            case Rounding::nearest_even:
            case Rounding::nearest_away:
                return split(impl_.nearest_split(Bracket{a, b, true}));
            case Rounding::down:
                return split(b);
            case Rounding::up:
                return split(a);
            case Rounding::toward_zero:  // a gap straddling 0 keeps the sign of x
                return split(a >= 0 ? b : b <= 0 ? a : 0);
            case Rounding::stochastic:
                err(c, va), err(c, vb), err(d, va), err(d, vb);
                return;
        }
    }
    void gaps_around(double x) {
        if (!std::isfinite(x)) return;
        const Bracket b = impl_.bracket(x);
        if (b.lo != b.hi) return consider_gap(b.lo, b.hi);
        const Bracket above = impl_.bracket(std::nextafter(x, INFINITY));
        const Bracket below = impl_.bracket(std::nextafter(x, -INFINITY));
        consider_gap(x, above.hi);
        consider_gap(below.lo, x);
    }

    const Format& f_;
    const FormatImpl& impl_;
    const double lo_, hi_;
    const Rounding mode_;
    double worst_ = 0;
};

}  // namespace

double Format::worst_case_error(double lo, double hi, Rounding mode) const {
    if (std::isnan(lo) || std::isnan(hi)) return NAN;
    if (lo > hi) std::swap(lo, hi);
    if (std::isinf(lo) || std::isinf(hi)) return INFINITY;
    return WorstCaseError(*this, *impl_, lo, hi, mode).run();
}

}  // namespace qlab
