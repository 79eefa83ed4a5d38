// SQNR measurement and Lin's optimal uniform step sizes by Gauss-Legendre integration and a
// golden-section search.
#include "qlab/sqnr.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace qlab {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Two-sided gamma of shape 1/2 with unit variance: |X| ~ Gamma(1/2, theta), E X^2 = 3/4 theta^2.
const double kGammaTheta = 2 / std::sqrt(3.0);
// Laplacian with unit variance: scale b with 2 b^2 = 1.
const double kLaplaceScale = 1 / std::sqrt(2.0);

// 20-point Gauss-Legendre nodes and weights on [-1, 1] (positive half; symmetric).
constexpr std::array<double, 10> kNodes = {
    0.0765265211334973, 0.2277858511416451, 0.3737060887154195, 0.5108670019508271,
    0.6360536807265150, 0.7463319064601508, 0.8391169718222188, 0.9122344282513259,
    0.9639719272779138, 0.9931285991850949};
constexpr std::array<double, 10> kWeights = {
    0.1527533871307258, 0.1491729864726037, 0.1420961093183820, 0.1316886384491766,
    0.1181945319615184, 0.1019301198172404, 0.0832767415767048, 0.0626720483341091,
    0.0406014298003869, 0.0176140071391521};

template <class F>
double gauss_legendre(F f, double a, double b, int panels) {
    double total = 0;
    const double width = (b - a) / panels;
    for (int p = 0; p < panels; ++p) {
        const double lo = a + p * width, half = width / 2, mid = lo + half;
        for (std::size_t i = 0; i < kNodes.size(); ++i)
            total += kWeights[i] * (f(mid - half * kNodes[i]) + f(mid + half * kNodes[i])) * half;
    }
    return total;
}

// Integral of (x - level)^2 p(x) over [a, b] for x >= 0 (b may be +inf).
double cell_error(Distribution d, double a, double b, double level) {
    auto integrand = [&](double x) { return (x - level) * (x - level) * distribution_pdf(d, x); };
    if (d == Distribution::uniform) {
        b = std::min(b, 1.0);
        if (a >= b) return 0;
        return gauss_legendre(integrand, a, b, 4);
    }
    if (std::isinf(b)) b = a + 80;  // the tails are below 1e-30 by then
    if (d == Distribution::gamma) {
        // p(x) ~ x^-1/2 near 0: substitute x = u^2 so the integrand is smooth.
        const double ua = std::sqrt(a), ub = std::sqrt(b);
        return gauss_legendre([&](double u) { return integrand(u * u) * 2 * u; }, ua, ub,
                              std::max(8, static_cast<int>((ub - ua) * 8)));
    }
    return gauss_legendre(integrand, a, b, std::max(4, static_cast<int>((b - a) * 4)));
}

}  // namespace

const char* distribution_name(Distribution d) {
    switch (d) {
        case Distribution::uniform:
            return "uniform";
        case Distribution::gaussian:
            return "gaussian";
        case Distribution::laplacian:
            return "laplacian";
        case Distribution::gamma:
            return "gamma";
    }
    return "?";
}

Result<Distribution> parse_distribution(std::string_view name) {
    for (Distribution d : all_distributions())
        if (name == distribution_name(d)) return d;
    return Status::error("unknown distribution '" + std::string(name) +
                         "' (expected uniform, gaussian, laplacian or gamma)");
}

const std::vector<Distribution>& all_distributions() {
    static const std::vector<Distribution> all = {Distribution::uniform, Distribution::gaussian,
                                                  Distribution::laplacian, Distribution::gamma};
    return all;
}

double distribution_pdf(Distribution d, double x) {
    const double a = std::fabs(x);
    switch (d) {
        case Distribution::uniform:
            return a <= 1 ? 0.5 : 0;
        case Distribution::gaussian:
            return std::exp(-0.5 * x * x) / std::sqrt(2 * kPi);
        case Distribution::laplacian:
            return std::exp(-a / kLaplaceScale) / (2 * kLaplaceScale);
        case Distribution::gamma:
            // Half of Gamma(1/2, theta) on each side: a^-1/2 e^(-a/theta) / (2 sqrt(pi theta)).
            return a == 0 ? INFINITY
                          : std::exp(-a / kGammaTheta) / (2 * std::sqrt(kPi * kGammaTheta * a));
    }
    return 0;
}

double distribution_variance(Distribution d) {
    return d == Distribution::uniform ? 1.0 / 3 : 1.0;
}

std::vector<double> sample_distribution(Distribution d, std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> out(n);
    for (double& v : out) {
        switch (d) {
            case Distribution::uniform:
                v = 2 * rng.uniform() - 1;
                break;
            case Distribution::gaussian:
                v = rng.normal();
                break;
            case Distribution::laplacian: {
                const double u = rng.uniform() - 0.5;
                v = -kLaplaceScale * std::copysign(std::log(1 - 2 * std::fabs(u)), u);
                break;
            }
            case Distribution::gamma: {
                const double z = rng.normal();  // Z^2 / 2 ~ Gamma(1/2, 1)
                v = kGammaTheta * z * z / 2 * (rng.uniform() < 0.5 ? -1 : 1);
                break;
            }
        }
    }
    return out;
}

double sqnr_db(const std::vector<double>& signal, const std::vector<double>& quantized) {
    assert(signal.size() == quantized.size());
    double power = 0, noise = 0;
    for (std::size_t i = 0; i < signal.size(); ++i) {
        power += signal[i] * signal[i];
        const double e = signal[i] - quantized[i];
        noise += e * e;
    }
    if (noise == 0) return INFINITY;
    return 10 * std::log10(power / noise);
}

double sqnr_db(const Format& format, const std::vector<double>& signal,
               const QuantizeOptions& options) {
    return sqnr_db(signal, format.quantize_tensor_ref(signal, options));
}

double uniform_quantizer_mse(Distribution d, int bits, double step) {
    assert(bits >= 1 && bits <= 24 && step > 0);
    const long half_levels = 1L << (bits - 1);
    double mse = 0;
    for (long j = 0; j < half_levels; ++j) {
        const double a = static_cast<double>(j) * step;
        const double b = j + 1 == half_levels ? INFINITY : a + step;
        if (d == Distribution::uniform && a >= 1) break;
        mse += cell_error(d, a, b, (static_cast<double>(j) + 0.5) * step);
    }
    return 2 * mse;
}

OptimalStep optimal_uniform_step(Distribution d, int bits) {
    assert(bits >= 1 && bits <= 16);
    auto mse = [&](double s) { return uniform_quantizer_mse(d, bits, s); };
    // Coarse scan on a log grid around the loading-factor guess, then golden-section search.
    const double guess = 8.0 / std::ldexp(1.0, bits);
    double best_s = guess, best = INFINITY;
    for (int i = -40; i <= 40; ++i) {
        const double s = guess * std::pow(2.0, i / 10.0);
        const double e = mse(s);
        if (e < best) best = e, best_s = s;
    }
    double lo = best_s * std::pow(2.0, -0.1), hi = best_s * std::pow(2.0, 0.1);
    const double ratio = (std::sqrt(5.0) - 1) / 2;
    double c = hi - ratio * (hi - lo), e_c = mse(c);
    double dd = lo + ratio * (hi - lo), e_d = mse(dd);
    for (int it = 0; it < 60; ++it) {
        if (e_c < e_d) {
            hi = dd, dd = c, e_d = e_c;
            c = hi - ratio * (hi - lo), e_c = mse(c);
        } else {
            lo = c, c = dd, e_c = e_d;
            dd = lo + ratio * (hi - lo), e_d = mse(dd);
        }
    }
    OptimalStep r;
    r.bits = bits;
    r.step = (lo + hi) / 2;
    r.mse = mse(r.step);
    r.sqnr_db = 10 * std::log10(distribution_variance(d) / r.mse);
    return r;
}

double quantization_efficiency(Distribution d, int from_bits, int to_bits) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const int n = to_bits - from_bits + 1;
    for (int b = from_bits; b <= to_bits; ++b) {
        const double y = optimal_uniform_step(d, b).sqnr_db;
        sx += b, sy += y, sxx += static_cast<double>(b) * b, sxy += b * y;
    }
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace qlab
