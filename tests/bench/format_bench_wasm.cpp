// Timed harness for the WebAssembly build (Google Benchmark does not build with Emscripten
// 3.1.6): quantize 1M float32 values per format, best of several runs, values/s as JSON lines.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "format_specs.hpp"
#include "qlab/format.hpp"

int main() {
    constexpr std::size_t kValues = 1 << 20;
    std::mt19937 gen(1);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> in(kValues), out(kValues);
    for (float& x : in) x = normal(gen);
    for (const char* spec : qlab::bench::kFormatSpecs) {
        const qlab::Format f = *qlab::Format::parse(spec);
        double best = 1e30;
        for (int run = 0; run < 7; ++run) {
            const auto t0 = std::chrono::steady_clock::now();
            f.quantize(in.data(), out.data(), kValues);
            const auto t1 = std::chrono::steady_clock::now();
            best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        }
        volatile float sink = out[kValues / 2];
        (void)sink;
        std::printf("{\"name\": \"quantize/%s\", \"values_per_second\": %.6g}\n", spec,
                    kValues / best);
    }
}
