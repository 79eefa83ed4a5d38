// Binary {-a, +a} and ternary {-a, 0, +a} weights (Kundu 2017). With explicit alpha (and a
// threshold T) they are ordinary formats; without, alpha* and T* are fitted per tensor or per
// block of N values (fine-grained quantization, eq. 6-7).
//
// Eq. 7 as printed maximises (sum_{I_T} |W_i|^2) / |I_T|, which keeps only the largest weight.
// Minimising E = sum_{I_T} (|W_i| - a)^2 + sum_{not I_T} W_i^2 gives a* = mean_{I_T} |W_i| and
// T* = argmax (sum_{I_T} |W_i|)^2 / |I_T|; that is what is implemented (and tested by brute force).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "format_impls.hpp"

namespace qlab::detail {
namespace {

// Atoms -a, (0,) +a. Binary ties at 0 go to +a (sign(0) = +1); ternary uses T, not a/2.
class SignFormat final : public FormatImpl {
  public:
    SignFormat(bool ternary, double alpha, double threshold)
        : ternary_(ternary), alpha_(alpha), threshold_(threshold) {}

    std::string kind() const override { return ternary_ ? "ternary" : "binary"; }
    std::string canonical_spec() const override {
        std::string s = kind() + ":alpha=" + shortest_repr(alpha_);
        if (ternary_ && threshold_ != alpha_ / 2) s += ",threshold=" + shortest_repr(threshold_);
        return s;
    }

    Bracket bracket(double x) const override {
        if (alpha_ == 0) return {0.0, 0.0, true};
        if (x >= alpha_) return {alpha_, alpha_, true};
        if (x <= -alpha_) return {-alpha_, -alpha_, true};
        if (!ternary_) return {-alpha_, alpha_, false};
        if (x == 0) return {0.0, 0.0, true};
        return x > 0 ? Bracket{0.0, alpha_, true} : Bracket{-alpha_, 0.0, false};
    }
    double nearest_split(const Bracket& b) const override {
        if (ternary_ && b.lo == 0) return threshold_;
        if (ternary_ && b.hi == 0) return -threshold_;
        return b.lo + (b.hi - b.lo) / 2;
    }
    double resolve(double v) const override { return std::clamp(v, -alpha_, alpha_); }
    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        if (alpha_ == 0) return x < 0 ? 0.0 : INFINITY;
        if (x < -alpha_) return -alpha_;
        if (ternary_ && x < 0) return 0.0;
        return x < alpha_ ? alpha_ : INFINITY;
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        if (alpha_ == 0) return x > 0 ? 0.0 : -INFINITY;
        if (x > alpha_) return alpha_;
        if (ternary_ && x > 0) return 0.0;
        return x > -alpha_ ? -alpha_ : -INFINITY;
    }
    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return alpha_; }
    double min_finite() const override { return -alpha_; }
    double min_positive() const override { return alpha_; }
    double epsilon() const override { return ternary_ ? alpha_ : 2 * alpha_; }
    double atom_count() const override { return alpha_ == 0 ? 1 : ternary_ ? 3 : 2; }
    int bits() const override { return ternary_ ? 2 : 1; }
    Encoding encode(double v) const override {
        Encoding e;
        const double q = resolve(v);
        if (ternary_) {
            e.total_bits = 2;
            e.code = q > 0 ? 1u : q < 0 ? 3u : 0u;  // two's complement of +1, -1, 0
            e.fields.push_back({"ternary code", 2, e.code});
        } else {
            e.total_bits = 1;
            e.code = q < 0 ? 1u : 0u;
            e.fields.push_back({"sign", 1, e.code});
        }
        return e;
    }

    void quantize_array(const float* in, float* out, std::size_t n,
                        const QuantizeOptions& options) const override {
        if (options.rounding != Rounding::nearest_even || alpha_ == 0)
            return FormatImpl::quantize_array(in, out, n, options);
        // Same decisions as the reference: nonzero when |x| > T (ternary); sign(0) = +1 (binary).
        const double a = alpha_, t = ternary_ ? std::min(threshold_, alpha_) : 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = in[i];
            double r;
            if (ternary_)
                r = ((x > t) | (x >= a)) ? a : (((x < -t) | (x <= -a)) ? -a : 0.0);
            else
                r = x >= 0 ? a : -a;
            out[i] = static_cast<float>(x != x ? x : r);  // NaN passes through
        }
    }

  private:
    bool ternary_;
    double alpha_, threshold_;
};

// Parameters fitted from the data, per tensor or per block.
class FittedSignFormat final : public DataDependentFormat {
  public:
    FittedSignFormat(bool ternary, std::size_t block) : ternary_(ternary), block_(block) {}
    std::string kind() const override { return ternary_ ? "ternary" : "binary"; }
    std::string canonical_spec() const override {
        return kind() + (block_ ? ":block=" + std::to_string(block_) : "");
    }
    std::size_t block_size() const override { return block_; }
    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        if (ternary_) {
            const TernaryFit f = fit_ternary(data, n);
            return std::make_shared<SignFormat>(true, f.alpha, f.threshold);
        }
        double sum = 0;
        std::size_t finite = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(data[i])) sum += std::fabs(data[i]), ++finite;
        return std::make_shared<SignFormat>(false, finite ? sum / static_cast<double>(finite) : 0.0,
                                            0.0);
    }
    double atom_count() const override { return ternary_ ? 3 : 2; }
    int bits() const override { return ternary_ ? 2 : 1; }

  private:
    bool ternary_;
    std::size_t block_;
};

ImplResult parse_sign(SpecArgs& args, bool ternary) {
    const bool given = args.peek("alpha") != nullptr;
    ParamReader r(args, sign_kind(ternary), given ? 0 : 1);
    if (!given) {
        if (ternary && args.peek("threshold")) return args.fail("'threshold' needs 'alpha' too");
        std::int64_t block = 0;  // absent: one fit for the whole tensor
        if (Status s = r.read("block", block); !s) return s;
        return std::shared_ptr<const FormatImpl>(
            std::make_shared<FittedSignFormat>(ternary, static_cast<std::size_t>(block)));
    }
    if (args.peek("block"))
        return args.fail("'block' is for fitted alpha; give either alpha or block");
    double alpha = NAN, threshold = NAN;
    if (Status s = r.read("alpha", alpha); !s) return s;
    if (ternary)
        if (Status s = r.read("threshold", threshold); !s) return s;
    if (std::isnan(threshold)) threshold = alpha / 2;
    return std::shared_ptr<const FormatImpl>(
        std::make_shared<SignFormat>(ternary, alpha, threshold));
}

}  // namespace

TernaryFit fit_ternary(const double* data, std::size_t n) {
    std::vector<double> mags;
    mags.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(data[i]) && data[i] != 0) mags.push_back(std::fabs(data[i]));
    TernaryFit fit;
    if (mags.empty()) return fit;
    std::sort(mags.begin(), mags.end(), std::greater<double>());
    // Only cuts between distinct magnitudes can be made by a threshold.
    double best = -1, prefix = 0;
    std::size_t best_k = 0;
    for (std::size_t k = 1; k <= mags.size(); ++k) {
        prefix += mags[k - 1];
        if (k < mags.size() && mags[k] == mags[k - 1]) continue;
        const double objective = prefix * prefix / static_cast<double>(k);
        if (objective > best)
            best = objective, best_k = k, fit.alpha = prefix / static_cast<double>(k);
    }
    fit.nonzero = best_k;
    fit.threshold = best_k < mags.size() ? (mags[best_k - 1] + mags[best_k]) / 2 : mags.back() / 2;
    return fit;
}

const FormatKindInfo& sign_kind(bool ternary) {
    auto declare = [](bool t) {
        const std::string kind = t ? "ternary" : "binary";
        std::vector<FormatParam> given = {Param::number("alpha", 1e-300, 1e300)
                                              .required()
                                              .label("magnitude")
                                              .means(t ? "the magnitude of the two non-zero atoms"
                                                       : "the magnitude of both atoms")
                                              .slider(0.01, 10, true)};
        if (t)
            given.push_back(
                Param::number("threshold", 0, INFINITY)
                    .label("T")
                    .means("|x| above T rounds to +-alpha, below to 0 (absent: alpha/2)")
                    .slider(0, 5));
        const FormatForm alpha{
            "alpha",
            t ? "alpha (and T) given" : "alpha given",
            given,
            {{kind + (t ? ":alpha=1,threshold=0.3" : ":alpha=0.5"), ""}, {kind + ":alpha=2", ""}}};
        const FormatForm fitted{
            "fitted",
            t ? "(alpha*, T*) of Kundu's eq. 7 fitted to the tensor or to each block"
              : "alpha* = mean |w| (the least-squares optimum) fitted to the tensor or each block",
            {Param::integer("block", 1, 1 << 30)
                 .label("block size")
                 .means("values per block; each block gets its own fit (fine-grained "
                        "quantization; absent: one fit for the whole tensor)")
                 .slider(1, 256, true)},
            {{kind, ""}, {kind + ":block=64", ""}}};
        return FormatKindInfo{
            kind,
            t ? "ternary weights {-alpha, 0, +alpha} with threshold T (Kundu 2017): alpha and T "
                "given, or alpha* and T* of his eq. 7 fitted to the data"
              : "binary weights sign(x) * alpha: alpha given, or alpha* = mean |w| fitted per "
                "tensor or block",
            {alpha, fitted}};
    };
    static const FormatKindInfo binary = declare(false), ternary_kind = declare(true);
    return ternary ? ternary_kind : binary;
}

ImplResult parse_binary(SpecArgs& args) {
    return parse_sign(args, false);
}
ImplResult parse_ternary(SpecArgs& args) {
    return parse_sign(args, true);
}

}  // namespace qlab::detail
