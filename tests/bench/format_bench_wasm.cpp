// Timed harness for the WebAssembly build (Google Benchmark does not build with Emscripten
// 3.1.6): quantize 1M float32 values per format, best of several runs, values/s as JSON lines.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "qlab/format.hpp"

int main() {
    constexpr std::size_t kValues = 1 << 20;
    std::mt19937 gen(1);
    std::normal_distribution<float> normal(0, 1);
    std::vector<float> in(kValues), out(kValues);
    for (float& x : in) x = normal(gen);
    const char* specs[] = {"fixed:w=8,f=4",
                           "fixed:w=16,f=8",
                           "ufixed:w=8,f=4",
                           "float:e=5,m=10",
                           "float:e=8,m=7",
                           "float:e=4,m=3",
                           "float:e=5,m=10,sat=1",
                           "int:b=8,scale=0.05",
                           "lattice:range=4,points=256",
                           "ternary:alpha=1",
                           "ternary:block=64",
                           "binary:block=64",
                           "bfp:w=8,block=16",
                           "codebook:values=-2;-1;-0.5;0;0.5;1;2",
                           "fp8:e4m3",
                           "fp8:e4m3,sat=1",
                           "fp8:e5m2",
                           "fp6:e2m3",
                           "fp6:e3m2",
                           "fp4:e2m1",
                           "e8m0",
                           "mxfp8:e4m3",
                           "mxfp8:e5m2",
                           "mxfp6:e2m3",
                           "mxfp6:e3m2",
                           "mxfp4",
                           "mxint8",
                           "nvfp4",
                           "int:b=4,group=128",
                           "int:b=4,group=32,asym=1",
                           "int:b=8,group=128"};
    for (const char* spec : specs) {
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
