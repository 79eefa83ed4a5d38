// Codebooks: any sorted set of atoms, looked up by nearest neighbour (a custom lattice), given
// as values or learned by 1-D k-means from the data (Cherkhev's Fig. 3 uses 2-D per-class centres;
// those are the perceptron's --vector-kmeans).
#include <algorithm>
#include <cmath>

#include "format_impls.hpp"

namespace qlab::detail {
namespace {

class CodebookFormat final : public FormatImpl {
  public:
    explicit CodebookFormat(std::vector<double> atoms) : atoms_(std::move(atoms)) {}

    std::string kind() const override { return "codebook"; }
    std::string canonical_spec() const override {
        std::string s = "codebook:values=";
        for (std::size_t i = 0; i < atoms_.size(); ++i)
            s += (i ? ";" : "") + shortest_repr(atoms_[i]);
        return s;
    }

    Bracket bracket(double x) const override {
        if (x <= atoms_.front()) return {x, x, true};  // saturates in resolve()
        if (x >= atoms_.back()) return {x, x, true};
        const auto it = std::upper_bound(atoms_.begin(), atoms_.end(), x);
        const std::size_t hi = static_cast<std::size_t>(it - atoms_.begin());
        const bool even = (hi - 1) % 2 == 0;
        if (atoms_[hi - 1] == x) return {x, x, even};
        return {atoms_[hi - 1], atoms_[hi], even};
    }
    double resolve(double v) const override { return std::clamp(v, atoms_.front(), atoms_.back()); }
    double next_up(double x) const override {
        if (std::isnan(x)) return x;
        const auto it = std::upper_bound(atoms_.begin(), atoms_.end(), x);
        return it == atoms_.end() ? INFINITY : *it;
    }
    double next_down(double x) const override {
        if (std::isnan(x)) return x;
        const auto it = std::lower_bound(atoms_.begin(), atoms_.end(), x);
        return it == atoms_.begin() ? -INFINITY : *(it - 1);
    }
    bool keeps_negative_zero() const override { return false; }
    bool has_infinity() const override { return false; }
    double max_finite() const override { return atoms_.back(); }
    double min_finite() const override { return atoms_.front(); }
    double min_positive() const override {
        const auto it = std::upper_bound(atoms_.begin(), atoms_.end(), 0.0);
        return it == atoms_.end() ? NAN : *it;
    }
    double epsilon() const override {  // the smallest gap
        double gap = INFINITY;
        for (std::size_t i = 1; i < atoms_.size(); ++i)
            gap = std::min(gap, atoms_[i] - atoms_[i - 1]);
        return atoms_.size() > 1 ? gap : 0;
    }
    double atom_count() const override { return static_cast<double>(atoms_.size()); }
    int bits() const override {
        int b = 0;
        while ((std::size_t{1} << b) < atoms_.size()) ++b;
        return b;
    }
    Encoding encode(double v) const override {
        Encoding e;
        e.total_bits = bits();
        const auto it = std::lower_bound(atoms_.begin(), atoms_.end(), resolve(v));
        e.code = static_cast<std::uint64_t>(it - atoms_.begin());
        e.fields.push_back({"index", e.total_bits, e.code});
        return e;
    }

  private:
    std::vector<double> atoms_;
};

class KMeansCodebook final : public DataDependentFormat {
  public:
    KMeansCodebook(int k, int iterations) : k_(k), iterations_(iterations) {}
    std::string kind() const override { return "codebook"; }
    std::string canonical_spec() const override {
        return "codebook:kmeans=" + std::to_string(k_) +
               (iterations_ != 50 ? ",iters=" + std::to_string(iterations_) : "");
    }
    std::shared_ptr<const FormatImpl> fit(const double* data, std::size_t n) const override {
        std::vector<double> centres = kmeans_1d(data, n, k_, iterations_);
        if (centres.empty()) centres.push_back(0.0);
        return make_codebook(std::move(centres));
    }
    double atom_count() const override { return k_; }
    int bits() const override {
        int b = 0;
        while ((1 << b) < k_) ++b;
        return b;
    }

  private:
    int k_, iterations_;
};

}  // namespace

std::shared_ptr<const FormatImpl> make_codebook(std::vector<double> sorted_unique_values) {
    assert(!sorted_unique_values.empty());
    return std::make_shared<CodebookFormat>(std::move(sorted_unique_values));
}

std::vector<double> kmeans_1d(const double* data, std::size_t n, int k, int iterations) {
    std::vector<double> x;
    x.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(data[i])) x.push_back(data[i]);
    if (x.empty()) return {};
    std::sort(x.begin(), x.end());
    // Start at the quantiles: deterministic, and already close for smooth distributions.
    std::vector<double> c(static_cast<std::size_t>(k));
    for (int j = 0; j < k; ++j)
        c[static_cast<std::size_t>(j)] =
            x[std::min(x.size() - 1, static_cast<std::size_t>((j + 0.5) / k * x.size()))];
    std::vector<double> prefix(x.size() + 1, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) prefix[i + 1] = prefix[i] + x[i];
    for (int it = 0; it < iterations; ++it) {
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        // On sorted data each cluster is a run between consecutive midpoints.
        std::vector<double> next(c.size());
        std::size_t begin = 0;
        bool moved = false;
        for (std::size_t j = 0; j < c.size(); ++j) {
            std::size_t end = x.size();
            if (j + 1 < c.size()) {
                const double mid = c[j] + (c[j + 1] - c[j]) / 2;
                end = static_cast<std::size_t>(
                    std::upper_bound(x.begin() + static_cast<std::ptrdiff_t>(begin), x.end(), mid) -
                    x.begin());
            }
            next[j] = end > begin ? (prefix[end] - prefix[begin]) / static_cast<double>(end - begin)
                                  : c[j];
            moved = moved || next[j] != c[j];
            begin = end;
        }
        c = next;
        if (!moved) break;
    }
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    return c;
}

const FormatKindInfo& codebook_kind() {
    static const FormatKindInfo kind{
        "codebook",
        "any sorted list of atoms, the nearest one wins (a custom lattice); or k atoms learned by "
        "1-D k-means from the data (Cherkhev's Fig. 3 clusters whole 2-D examples per class "
        "instead)",
        {FormatForm{"values",
                    "the atoms given",
                    {Param::list("values", 1, 65536)
                         .required()
                         .label("atoms")
                         .means("the atoms, separated by ';' (sorted and deduplicated)")},
                    {{"codebook:values=-1;-0.5;-0.25;0;0.25;0.5;1", ""},
                     {"codebook:values=-1;-0.3;0;0.1;0.7;2", ""}}},
         FormatForm{"k-means",
                    "atoms learned from the data by 1-D k-means (Lloyd's algorithm)",
                    {Param::integer("kmeans", 2, 65536)
                         .required()
                         .label("atoms k")
                         .means("how many atoms k-means learns")
                         .slider(2, 64),
                     Param::integer("iters", 1, 10000)
                         .by_default("50")
                         .label("Lloyd steps")
                         .means("Lloyd iterations at most (fewer when the centres stop moving)")},
                    {{"codebook:kmeans=8", ""}, {"codebook:kmeans=16,iters=10", ""}}}}};
    return kind;
}

ImplResult parse_codebook(SpecArgs& args) {
    const bool given = args.peek("values") != nullptr, learned = args.peek("kmeans") != nullptr;
    if (given == learned) return args.fail("give either values=v1;v2;... or kmeans=K");
    ParamReader r(args, codebook_kind(), given ? 0 : 1);
    if (learned) {
        int k = 0, iterations = 0;
        if (Status s = r.read("kmeans", k); !s) return s;
        if (Status s = r.read("iters", iterations); !s) return s;
        return std::shared_ptr<const FormatImpl>(std::make_shared<KMeansCodebook>(k, iterations));
    }
    std::vector<double> atoms;
    if (Status s = r.read("values", atoms); !s) return s;
    for (double& a : atoms) a = a == 0 ? 0.0 : a;  // one zero, unsigned
    std::sort(atoms.begin(), atoms.end());
    atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
    return make_codebook(std::move(atoms));
}

}  // namespace qlab::detail
