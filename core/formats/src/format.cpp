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

struct KindEntry {
    const char* kind;
    const char* usage;
    Parser parse;
};

const std::vector<KindEntry>& registry() {
    static const std::vector<KindEntry> entries = {
        {"fixed", "fixed:w=W,f=F[,overflow=sat|wrap]",
         [](detail::SpecArgs& a) { return detail::parse_fixed(a, true); }},
        {"ufixed", "ufixed:w=W,f=F[,overflow=sat|wrap]",
         [](detail::SpecArgs& a) { return detail::parse_fixed(a, false); }},
        {"float", "float:e=E,m=M[,sub=0|1][,sat=0|1]", detail::parse_float},
        {"lattice", "lattice:range=R,points=P", detail::parse_lattice},
        {"int", "int:b=B,scale=S[,zero=Z][,signed=0|1][,narrow=0|1] or int:b=B,group=G[,asym=1]",
         detail::parse_int},
        {"binary", "binary[:alpha=A] or binary[:block=N]", detail::parse_binary},
        {"ternary", "ternary[:alpha=A[,threshold=T]] or ternary[:block=N]", detail::parse_ternary},
        {"codebook", "codebook:values=v1;v2;... or codebook:kmeans=K", detail::parse_codebook},
        {"bfp", "bfp:w=W,block=N", detail::parse_bfp},
        {"fp8", "fp8:e4m3|e5m2|e4m3fnuz|e5m2fnuz[,sat=0|1]",
         [](detail::SpecArgs& a) { return detail::parse_ocp(a, "fp8"); }},
        {"fp6", "fp6:e2m3|e3m2", [](detail::SpecArgs& a) { return detail::parse_ocp(a, "fp6"); }},
        {"fp4", "fp4:e2m1", [](detail::SpecArgs& a) { return detail::parse_ocp(a, "fp4"); }},
        {"e8m0", "e8m0", [](detail::SpecArgs& a) { return detail::parse_ocp(a, "e8m0"); }},
        {"mxfp8", "mxfp8:e4m3|e5m2[,block=N]",
         [](detail::SpecArgs& a) { return detail::parse_mx(a, "mxfp8"); }},
        {"mxfp6", "mxfp6:e2m3|e3m2[,block=N]",
         [](detail::SpecArgs& a) { return detail::parse_mx(a, "mxfp6"); }},
        {"mxfp4", "mxfp4[,block=N]",
         [](detail::SpecArgs& a) { return detail::parse_mx(a, "mxfp4"); }},
        {"mxint8", "mxint8[,block=N]",
         [](detail::SpecArgs& a) { return detail::parse_mx(a, "mxint8"); }},
        {"nvfp4", "nvfp4[,global=G]", detail::parse_nvfp4},
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

const std::vector<std::pair<std::string, std::string>>& Format::known_kinds() {
    static const std::vector<std::pair<std::string, std::string>> kinds = [] {
        std::vector<std::pair<std::string, std::string>> k;
        for (const auto& e : registry()) k.emplace_back(e.kind, e.usage);
        return k;
    }();
    return kinds;
}

namespace {

// OCP element types name their variant positionally ("fp8:e4m3,sat=1"); it reaches the parser
// as the key "variant", while messages still quote the spec as written.
std::string positional_variant(std::string_view spec) {
    const std::size_t colon = spec.find(':');
    if (colon == std::string_view::npos) return std::string(spec);
    std::string kind(spec.substr(0, colon));
    kind.erase(0, kind.find_first_not_of(" \t"));
    kind.erase(kind.find_last_not_of(" \t") + 1);
    const std::string_view rest = spec.substr(colon + 1);
    const std::string_view first = rest.substr(0, rest.find(','));
    if ((kind != "fp8" && kind != "fp6" && kind != "fp4" && kind != "mxfp8" && kind != "mxfp6") ||
        first.find('=') != std::string_view::npos ||
        first.find_first_not_of(" \t") == std::string_view::npos)
        return std::string(spec);
    return std::string(spec.substr(0, colon + 1)) + "variant=" + std::string(rest);
}

}  // namespace

Result<Format> Format::parse(std::string_view spec) {
    const std::string rewritten = positional_variant(spec);
    auto args = rewritten == spec ? detail::SpecArgs::split(spec)
                                  : detail::SpecArgs::split(rewritten, "format", spec);
    if (!args) return args.status();
    detail::SpecArgs a = std::move(args).value();
    for (const auto& entry : registry()) {
        if (a.kind() != entry.kind) continue;
        auto impl = entry.parse(a);
        if (!impl) return impl.status();
        if (Status s = a.finish(entry.usage); !s) return s;
        return Format(std::move(impl).value());
    }
    std::string known;
    for (const auto& entry : registry())
        known += (known.empty() ? "" : ", ") + std::string(entry.kind);
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
        const std::vector<double> all(in, in + n);
        return Format(impl_->fit_tensor(all.data(), n)).quantize(in, out, n, options);
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
    if (impl_->fits_tensor()) {
        const std::vector<double> all(in, in + rows * cols);
        return Format(impl_->fit_tensor(all.data(), all.size()))
            .quantize_rows(in, out, rows, cols, options);
    }
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

double Format::worst_case_error(double lo, double hi, Rounding mode) const {
    if (std::isnan(lo) || std::isnan(hi)) return NAN;
    if (lo > hi) std::swap(lo, hi);
    if (std::isinf(lo) || std::isinf(hi)) return INFINITY;
    double worst = 0;
    auto err = [&](double x, double v) {
        worst = std::max(worst, std::isinf(v) ? INFINITY : std::fabs(x - v));
    };
    // The error at one exact point (stochastic rounding may pick either neighbour).
    auto err_at = [&](double x) {
        if (mode != Rounding::stochastic) return err(x, quantize_ref(x, mode));
        const Bracket b = impl_->bracket(x);
        err(x, impl_->resolve(b.lo));
        if (b.lo != b.hi) err(x, impl_->resolve(b.hi));
    };
    // Within one gap [a, b] every inner x maps to resolve(a) or resolve(b), and |x - v| is
    // convex in x, so the sup over the clipped gap sits at a sub-interval end. A sub-interval
    // that shrank to one point is measured exactly (b may be IEEE's virtual 2^(emax+1)).
    auto consider_gap = [&](double a, double b) {
        const double c = std::max(a, lo), d = std::min(b, hi);
        if (!(c <= d)) return;
        if (c == d || a == b) return err_at(c);
        const double va = impl_->resolve(a), vb = impl_->resolve(b);
        auto part = [&](double from, double to, double v) {
            if (from > to) return;
            if (from == to) return err_at(from);
            err(from, v);
            err(to, v);
        };
        auto split = [&](double t, double left, double right) {
            part(c, std::min(d, t), left);
            part(std::max(c, t), d, right);
        };
        switch (mode) {
            case Rounding::nearest_even:
            case Rounding::nearest_away:
                split(impl_->nearest_split(Bracket{a, b, true}), va, vb);
                break;
            case Rounding::down:
                split(b, va, vb);
                break;
            case Rounding::up:
                split(a, va, vb);
                break;
            case Rounding::toward_zero:
                if (a >= 0)
                    split(b, va, vb);
                else if (b <= 0)
                    split(a, va, vb);
                else
                    split(0, va, vb);  // a gap straddling 0 keeps the sign of x
                break;
            case Rounding::stochastic:
                err(c, va), err(c, vb), err(d, va), err(d, vb);
                break;
        }
    };
    auto gaps_around = [&](double x) {
        if (!std::isfinite(x)) return;
        const Bracket b = impl_->bracket(x);
        if (b.lo != b.hi) return consider_gap(b.lo, b.hi);
        const Bracket above = impl_->bracket(std::nextafter(x, INFINITY));
        const Bracket below = impl_->bracket(std::nextafter(x, -INFINITY));
        consider_gap(x, above.hi);
        consider_gap(below.lo, x);
    };
    // Beyond the last atom the error grows toward the far end of the range (and a bracket
    // beyond IEEE max need not contain x), so the ends are measured directly as well.
    err_at(lo);
    err_at(hi);
    // Gaps never shrink away from zero except next to it (a format without subnormals) and
    // overflow behaves the same in every wrap period, so these gaps hold the supremum.
    const double probes[] = {
        lo,          hi,           0.0, max_finite(), min_finite(), min_positive(), -min_positive(),
        next_up(lo), next_down(hi)};
    for (double p : probes)
        if (p >= lo && p <= hi) gaps_around(p);
    return worst;
}

}  // namespace qlab
