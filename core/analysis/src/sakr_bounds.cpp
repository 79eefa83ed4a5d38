// Sakr et al. 2017, Theorem 2 (eq. 13-14): the bound on the mismatch probability per (sample,
// class) pair, literal and with t optimised, from the series of log(sinh x / x) per pair
// (log_sinhc_coefficient) or, beyond it, the exact sum; SakrBoundsJob over all pairs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "qlab/sakr.hpp"

namespace qlab {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The per-pair series: in it, sum_h log(sinh(t D_h)/(t D_h)) = sum_k c_k t^{2k} Q_k with
// Q_k = sum_h D_h^{2k} = alpha^{2k} pa_k + beta^{2k} pw_k (alpha = Delta_A/2 max_a, beta
// likewise; pa, pw normalised by the maxima). As a polynomial in y = (t m)^2 <= R^2, m =
// max(alpha, beta): sum_k a_k y^k with a_k = c_k Q_k / m^{2k}, every |t D_h| <= t m.
struct SeriesPoly {
    double a[kSakrSeriesTerms];
    double m;
    // F(t); F'(t) = sum 2k a_k y^k / t and F''(t) = sum 2k(2k-1) a_k y^k / t^2 on request.
    double operator()(double t, double* d1 = nullptr, double* d2 = nullptr) const {
        // enough_below[K-1] = pi^2 (1e-17)^{1/K}: K terms suffice while y = x^2 is below it.
        static const std::array<double, kSakrSeriesTerms> enough_below = [] {
            std::array<double, kSakrSeriesTerms> e{};
            for (int k = 1; k <= kSakrSeriesTerms; ++k)
                e[static_cast<std::size_t>(k - 1)] = kPi * kPi * std::pow(1e-17, 1.0 / k);
            return e;
        }();
        const double y = (t * m) * (t * m);
        // Terms beyond K add less than (x/pi)^{2K} <= 1e-17 relative to x^2/6: stop there.
        int terms = 1;
        while (terms < kSakrSeriesTerms && y > enough_below[static_cast<std::size_t>(terms - 1)])
            ++terms;
        double f = 0, f1 = 0, f2 = 0, yk = 1;
        for (int k = 1; k <= terms; ++k) {
            yk *= y;
            const double term = a[k - 1] * yk;
            f += term, f1 += 2 * k * term, f2 += 2 * k * (2 * k - 1) * term;
        }
        if (d1) *d1 = f1 / t;
        if (d2) *d2 = f2 / (t * t);
        return f;
    }
};

SeriesPoly series_poly(const SakrPair& p, double half_da, double half_dw) {
    SeriesPoly q;
    const double alpha = half_da * p.max_a, beta = half_dw * p.max_w;
    q.m = std::max(alpha, beta);
    const double ra = (alpha / q.m) * (alpha / q.m), rb = (beta / q.m) * (beta / q.m);
    double pa_k = 1, pb_k = 1;
    for (int k = 0; k < kSakrSeriesTerms; ++k) {
        pa_k *= ra, pb_k *= rb;
        q.a[k] = log_sinhc_coefficient(k + 1) * (pa_k * p.pa[k] + pb_k * p.pw[k]);
    }
    return q;
}

struct PairTerm {
    double s = 0, t = 0;  // S and T
    double lit_log = 0;   // log of the literal term
    bool in_series = false, trivial = false;
};

}  // namespace

// Three stages: (1, constructor) every pair's S, T and its term where the series holds, and a
// lower bound of the literal sum; (2, the units) the exact sums beyond the series' radius, where
// they matter, a few pairs per unit; (3, the last unit) the literal sum and eq. 14 with t
// optimised per pair.
struct SakrBoundsJob::State {
    const SakrAnalysis& a;
    std::size_t exact_per_unit;
    SakrBounds b;
    double half_da = 0, half_dw = 0;
    std::vector<PairTerm> terms;
    double share = 0;       // a beyond-series term below it stays at its upper bound e^{-S/2}
    std::size_t next = 0;   // stage 2: the next pair to look at
    std::size_t exact = 0;  // exact sums done so far
    bool done = false;
    State(const SakrAnalysis& analysis, std::size_t per_unit)
        : a(analysis), exact_per_unit(per_unit) {}
    void finish();
};

SakrBoundsJob::SakrBoundsJob(const SakrAnalysis& analysis, int ba, int bw,
                             std::size_t exact_per_unit)
    : s_(std::make_unique<State>(analysis, std::max<std::size_t>(exact_per_unit, 1))) {
    State& s = *s_;
    SakrBounds& b = s.b;
    b.ba = ba, b.bw = bw;
    const double da = std::ldexp(1.0, -(ba - 1)), dw = std::ldexp(1.0, -(bw - 1));
    // Theorem 1, eq. 11. Per pair it is sum D_h^2 / (6 v^2) = 1 / (2 S).
    b.thm1 = analysis.ties_ ? std::numeric_limits<double>::infinity()
                            : da * da * analysis.e_a_ + dw * dw * analysis.e_w_;
    if (analysis.decisions_.empty()) {
        s.done = true;
        finish_now();
        return;
    }
    s.half_da = da / 2, s.half_dw = dw / 2;
    const std::vector<SakrPair>& pairs = analysis.pairs_;
    s.terms.resize(pairs.size());
    double lower = 0;  // a lower bound of the literal sum
    std::size_t beyond = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const SakrPair& p = pairs[i];
        PairTerm& e = s.terms[i];
        // D_h = (Delta/2) d(z_i - z_y^)/dh, so sum D_h^2 = (Delta_A/2)^2 g_A + (Delta_W/2)^2 g_W.
        const double sum_d2 = s.half_da * s.half_da * p.g_a + s.half_dw * s.half_dw * p.g_w;
        if (p.v == 0 || sum_d2 == 0) {
            // A tie: T = 0 and every factor is 1. No derivative at all: no noise reaches the pair.
            e.trivial = true;
            e.lit_log = p.v == 0 ? 0 : -std::numeric_limits<double>::infinity();
            lower += std::exp(e.lit_log);
            continue;
        }
        e.s = 3 * p.v * p.v / sum_d2;  // S in eq. 13
        e.t = 3 * p.v / sum_d2;        // T = S / v (eq. 26)
        if (e.s > 1500) {
            // The term is at most e^{-S/2} (see below), which underflows: it is 0.
            e.trivial = true;
            e.lit_log = -std::numeric_limits<double>::infinity();
            continue;
        }
        const SeriesPoly q = series_poly(p, s.half_da, s.half_dw);
        e.in_series = e.t * q.m <= kSakrSeriesRadius;
        // Theorem 2 literally: log of e^{-S} P1 P2 = -S + sum_h log(sinh(T D_h) / (T D_h)).
        if (e.in_series) {
            e.lit_log = -e.s + q(e.t);
            lower += std::exp(e.lit_log);
        } else {
            ++beyond;
            lower += std::exp(-e.s);
        }
    }
    // Beyond the series' radius: as 0 <= log(sinh x / x) <= x^2 / 6, the literal term lies in
    // [e^{-S}, e^{-S/2}] (T^2 sum D_h^2 / 6 = S / 2). Where e^{-S/2} is below 1e-12 of the total's
    // lower bound shared among these pairs, it stands for the term (the result moves by less than
    // 1e-12 relative and stays an upper bound); otherwise the exact sum over every derivative.
    s.share = 1e-12 * lower / static_cast<double>(std::max<std::size_t>(beyond, 1));
}

SakrBoundsJob::~SakrBoundsJob() = default;

Status SakrBoundsJob::do_unit() {
    State& s = *s_;
    std::size_t exact_now = 0;
    for (; s.next < s.terms.size() && exact_now < s.exact_per_unit; ++s.next) {
        PairTerm& e = s.terms[s.next];
        if (e.trivial || e.in_series) continue;
        e.lit_log = -e.s / 2;
        if (std::exp(e.lit_log) > s.share) {
            e.lit_log = -e.s + s.a.exact_log_mgf(s.a.pairs_[s.next], e.t, s.half_da, s.half_dw);
            ++exact_now, ++s.exact;
        }
    }
    if (s.next >= s.terms.size()) s.finish();
    return Status::success();
}

void SakrBoundsJob::State::finish() {
    double lit = 0;
    for (const PairTerm& e : terms) lit += std::exp(e.lit_log);
    // eq. 14 with t optimised per pair over (0, R/m], where the series holds: f(t) = -t v + F(t)
    // is convex (a log moment generating function) with f'(0) = -v < 0; safeguarded Newton from T.
    // The optimised term is never above the literal one (the minimum of both is kept); a pair
    // whose literal term is below 1e-12 of the total shared among all pairs keeps it (the
    // optimised total then moves by less than 1e-12 of the literal total).
    const double negligible =
        1e-12 * lit / static_cast<double>(std::max<std::size_t>(terms.size(), 1));
    double opt = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        const PairTerm& e = terms[i];
        const double lit_term = std::exp(e.lit_log);
        if (e.trivial || lit_term <= negligible) {
            opt += lit_term;
            continue;
        }
        const SakrPair& p = a.pairs_[i];
        const SeriesPoly q = series_poly(p, half_da, half_dw);
        double lo = 0, hi = kSakrSeriesRadius / q.m, d1 = 0, d2 = 0;
        q(hi, &d1);
        double t = hi;
        if (d1 - p.v > 0) {
            t = std::min(e.t, hi * 0.999);
            for (int it = 0; it < 60; ++it) {
                q(t, &d1, &d2);
                const double g1 = d1 - p.v;
                if (g1 > 0)
                    hi = t;
                else
                    lo = t;
                double next_t = t - g1 / d2;
                if (!(next_t > lo && next_t < hi)) next_t = (lo + hi) / 2;
                if (std::fabs(next_t - t) <= 1e-6 * t) break;  // f is flat there: ~1e-12 in f
                t = next_t;
            }
        }
        opt += std::exp(std::min(e.lit_log, -t * p.v + q(t)));
    }
    // Theorem 2 sums the pairs per sample and averages over the samples (eq. 13's expectation).
    const double n = static_cast<double>(a.decisions_.size());
    b.thm2 = lit / n;
    b.thm2_opt = opt / n;
    done = true;
}

bool SakrBoundsJob::is_done() const {
    return s_->done;
}

JobProgress SakrBoundsJob::progress() const {
    JobProgress p;
    p.total = static_cast<long long>(s_->terms.size());
    p.done = static_cast<long long>(s_->next);
    p.stage = "Theorem 2 at (" + std::to_string(s_->b.ba) + ", " + std::to_string(s_->b.bw) + ")";
    return p;
}

const SakrBounds& SakrBoundsJob::result() const {
    return s_->b;
}
std::size_t SakrBoundsJob::exact_sums() const {
    return s_->exact;
}

SakrBounds SakrAnalysis::bounds(int ba, int bw) const {
    SakrBoundsJob job(*this, ba, bw);
    while (job.step(1 << 20)) {
    }
    return job.result();
}

}  // namespace qlab
