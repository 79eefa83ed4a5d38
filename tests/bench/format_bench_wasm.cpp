// Timed harness for the WebAssembly build (Google Benchmark does not build with Emscripten
// 3.1.6): quantize 1M float32 values per format, best of several runs, values/s as JSON lines;
// then the block formats against float:e=5,m=10 in both rounding modes (issue 19).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format_specs.hpp"
#include "qlab/format.hpp"

namespace {

constexpr std::size_t kValues = 1 << 20;

// Best of 7 runs, in seconds.
double time_quantize(const char* spec, qlab::Rounding rounding, const std::vector<float>& in,
                     std::vector<float>& out) {
    const qlab::Format f = *qlab::Format::parse(spec);
    qlab::QuantizeOptions options;
    options.rounding = rounding;
    double best = 1e30;
    for (int run = 0; run < 7; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        f.quantize(in.data(), out.data(), kValues, options);
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    volatile float sink = out[kValues / 2];
    (void)sink;
    return best;
}

}  // namespace

int main() {
    std::mt19937 gen(1);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> in(kValues), out(kValues);
    for (float& x : in) x = normal(gen);
    for (const char* spec : qlab::bench::kFormatSpecs) {
        const double t = time_quantize(spec, qlab::Rounding::nearest_even, in, out);
        std::printf("{\"name\": \"quantize/%s\", \"values_per_second\": %.6g}\n", spec,
                    kValues / t);
    }
    const qlab::Rounding modes[] = {qlab::Rounding::nearest_even, qlab::Rounding::stochastic};
    for (qlab::Rounding mode : modes) {
        const double base = time_quantize(qlab::bench::kRatioBaseline, mode, in, out);
        for (const char* spec : qlab::bench::kRatioSpecs) {
            const double ratio = time_quantize(spec, mode, in, out) / base;
            std::printf(
                "{\"name\": \"ratio/%s/%s\", \"baseline\": \"%s\", \"ratio\": %.4g, "
                "\"baseline_ns_per_value\": %.4g, \"target\": %.1f}\n",
                qlab::rounding_name(mode), spec, qlab::bench::kRatioBaseline, ratio,
                base * 1e9 / kValues, qlab::bench::ratio_target(spec));
        }
    }
}
