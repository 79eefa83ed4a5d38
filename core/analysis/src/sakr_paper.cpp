// Sakr et al. 2017 beside its printed numbers (see sakr_paper.hpp).
#include "qlab/sakr_paper.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qlab/random.hpp"

namespace qlab {
namespace {

std::vector<double> sample_terms(const SakrAnalysis& a, bool activations) {
    std::vector<double> terms(a.samples(), 0.0);
    for (const SakrPair& p : a.pairs()) {
        double& t = terms[static_cast<std::size_t>(p.sample)];
        if (p.v == 0) {
            t = std::numeric_limits<double>::infinity();
            continue;
        }
        t += (activations ? p.g_a : p.g_w) / (24 * p.v * p.v);
    }
    return terms;
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double top_share(std::vector<double> terms, int top, double* largest) {
    double total = 0;
    for (double t : terms) total += t;
    std::sort(terms.begin(), terms.end(), std::greater<double>());
    *largest = terms.empty() ? 0 : terms.front();
    double s = 0;
    for (std::size_t i = 0; i < terms.size() && static_cast<int>(i) < top; ++i) s += terms[i];
    return total > 0 && std::isfinite(total) ? s / total : (terms.empty() ? 0 : 1);
}

double delta(int bits) {
    return std::ldexp(1.0, -(bits - 1));
}

}  // namespace

std::vector<double> sakr_sample_terms_a(const SakrAnalysis& analysis) {
    return sample_terms(analysis, true);
}
std::vector<double> sakr_sample_terms_w(const SakrAnalysis& analysis) {
    return sample_terms(analysis, false);
}

SakrSpread sakr_spread(const SakrAnalysis& analysis, const SakrSpreadOptions& o) {
    SakrSpread s;
    const std::vector<double> a = sakr_sample_terms_a(analysis), w = sakr_sample_terms_w(analysis);
    s.samples = static_cast<int>(a.size());
    s.replicates = std::max(0, o.replicates);
    s.level = o.level;
    s.top = o.top;
    s.e_a = analysis.e_a();
    s.e_w = analysis.e_w();
    if (a.empty()) return s;
    s.top_share_a = top_share(a, o.top, &s.largest_a);
    s.top_share_w = top_share(w, o.top, &s.largest_w);
    Rng rng(o.seed);
    const std::size_t n = a.size();
    std::vector<double> ma, mw;
    for (int r = 0; r < s.replicates; ++r) {
        double sa = 0, sw = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t k = static_cast<std::size_t>(rng.next_u64() % n);
            sa += a[k], sw += w[k];
        }
        const double nn = static_cast<double>(n);
        s.resampled.emplace_back(sa / nn, sw / nn);
        ma.push_back(sa / nn), mw.push_back(sw / nn);
    }
    const double tail = (1 - o.level) / 2;
    s.e_a_lo = quantile(ma, tail), s.e_a_hi = quantile(ma, 1 - tail);
    s.e_w_lo = quantile(mw, tail), s.e_w_hi = quantile(mw, 1 - tail);
    return s;
}

std::pair<double, double> SakrSpread::theorem1_interval(int ba, int bw) const {
    std::vector<double> t;
    for (const auto& [ea, ew] : resampled) t.push_back(sakr_theorem1(ea, ew, ba, bw));
    const double tail = (1 - level) / 2;
    return {quantile(t, tail), quantile(t, 1 - tail)};
}

double sakr_theorem1(double e_a, double e_w, int ba, int bw) {
    const double da = delta(ba), dw = delta(bw);
    return da * da * e_a + dw * dw * e_w;
}

std::pair<int, int> sakr_smallest_precision(double e_a, double e_w, int offset, double threshold,
                                            int max_bits) {
    for (int ba = 1; ba <= max_bits; ++ba) {
        const int bw = ba + offset;
        if (bw < 1 || bw > max_bits) continue;
        if (sakr_theorem1(e_a, e_w, ba, bw) <= threshold) return {ba, bw};
    }
    return {0, 0};
}

const std::vector<SakrPrintedE>& sakr_printed_e() {
    static const std::vector<SakrPrintedE> printed = {
        {"Fig. 1 and §4.1 (MNIST, 784-512-512-512-10)", 41, 3803},
        {"Fig. 2 and §4.2 (CIFAR-10 CNN)", 21033, 31641},
    };
    return printed;
}

std::vector<SakrReading> sakr_readings(double printed_e_a, double printed_e_w) {
    std::vector<SakrReading> out;
    for (int pass = 0; pass < 2; ++pass) {
        SakrReading r;
        r.name = pass == 0 ? "as eq. 11's E (the 1/24 inside)"
                           : "sums without eq. 11's 1/24 (E = printed / 24)";
        r.e_a = pass == 0 ? printed_e_a : printed_e_a / 24;
        r.e_w = pass == 0 ? printed_e_w : printed_e_w / 24;
        r.offset = static_cast<int>(std::lround(std::log2(std::sqrt(r.e_w / r.e_a))));
        r.thm1_8_8 = sakr_theorem1(r.e_a, r.e_w, 8, 8);
        r.option_a = sakr_smallest_precision(r.e_a, r.e_w, 0);
        r.option_c = sakr_smallest_precision(r.e_a, r.e_w, r.offset);
        out.push_back(r);
    }
    return out;
}

SakrCost sakr_cost_without_bias(const std::vector<int>& widths, int ba, int bw) {
    SakrCost c;
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
        c.fa += widths[l + 1] * dot_product_full_adders(widths[l], ba, bw);
        c.activations += widths[l];
        c.weights += static_cast<long long>(widths[l]) * widths[l + 1];
    }
    c.bits = static_cast<double>(c.activations) * ba + static_cast<double>(c.weights) * bw;
    return c;
}

std::vector<SakrTable1Row> sakr_table1() {
    struct Printed {
        const char* name;
        const char* arch;
        int ba, bw;
        double error, fa, bits;
    };
    // Sakr Table 1 as printed (test error %, 10^6 FAs, 10^6 bits).
    static const Printed printed[] = {
        {"(8, 8)", "784-512-512-512-10", 8, 8, 1.41, 82.9, 7.5},
        {"(6, 6)", "784-512-512-512-10", 6, 6, 1.54, 53.1, 5.63},
        {"(6, 9)", "784-512-512-512-10", 6, 9, 1.35, 72.7, 8.43},
        {"(4, 7)", "784-512-512-512-10", 4, 7, 1.43, 44.7, 6.54},
        {"SQ (16, 16)", "784-1000-1000-10", 16, 16, 1.4, 533, 28},
        {"BN (1, 1)", "784-2048-2048-2048-10", 1, 1, 1.4, 117, 10},
    };
    std::vector<SakrTable1Row> rows;
    for (const Printed& p : printed) {
        SakrTable1Row r;
        r.name = p.name;
        r.architecture = p.arch;
        r.ba = p.ba, r.bw = p.bw;
        r.paper_error = p.error, r.paper_fa = p.fa, r.paper_bits = p.bits;
        const std::vector<int> widths = *parse_architecture(p.arch);
        r.with_bias = sakr_cost(widths, p.ba, p.bw);
        r.without_bias = sakr_cost_without_bias(widths, p.ba, p.bw);
        rows.push_back(r);
    }
    return rows;
}

std::vector<SakrDesignOption> sakr_design_options(const SakrAnalysis& analysis, const Model& model,
                                                  double threshold, int max_bits) {
    std::vector<SakrDesignOption> out;
    const int eq12 = analysis.suggested_bw_minus_ba();
    const struct {
        char label;
        bool theorem2;
        int offset;
    } rules[] = {{'A', false, 0}, {'B', true, 0}, {'C', false, eq12}, {'D', true, eq12}};
    const auto thm1 = [&](int ba, int bw) {
        const double da = delta(ba), dw = delta(bw);
        return da * da * analysis.e_a() + dw * dw * analysis.e_w();
    };
    for (const auto& rule : rules) {
        SakrDesignOption o;
        o.label = rule.label, o.theorem2 = rule.theorem2, o.offset = rule.offset;
        const int lo = std::max(1, 1 - rule.offset),
                  hi = std::min(max_bits, max_bits - rule.offset);
        const auto bound = [&](int ba) {
            return rule.theorem2 ? analysis.bounds(ba, ba + rule.offset).thm2
                                 : thm1(ba, ba + rule.offset);
        };
        int found = 0;
        if (!rule.theorem2) {
            for (int ba = lo; ba <= hi && !found; ++ba)
                if (bound(ba) <= threshold) found = ba;
        } else {
            // Theorem 2 falls with precision; at low precision it needs many exact sums (a
            // backward pass each), so start where Theorem 1 meets the threshold and walk down
            // while Theorem 2 still does (or up until it does).
            int ba = lo;
            while (ba < hi && thm1(ba, ba + rule.offset) > threshold) ++ba;
            if (bound(ba) <= threshold) {
                while (ba > lo && bound(ba - 1) <= threshold) --ba;
                found = ba;
            } else {
                for (++ba; ba <= hi && !found; ++ba)
                    if (bound(ba) <= threshold) found = ba;
            }
        }
        if (found) {
            o.found = true, o.ba = found, o.bw = found + rule.offset, o.bound = bound(found);
            o.cost = sakr_cost(model, o.ba, o.bw);
        }
        out.push_back(o);
    }
    return out;
}

}  // namespace qlab
