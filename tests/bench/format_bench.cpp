// Google Benchmark: quantizing 1M float32 values with each format (fast paths), plus the scalar
// reference for scale. Items/s is values/s. Run: build/native-release/tests/bench/format_bench
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "qlab/format.hpp"

namespace {

constexpr std::size_t kValues = 1 << 20;

const std::vector<float>& input() {
    static const std::vector<float> data = [] {
        std::mt19937 gen(1);
        std::normal_distribution<float> normal(0, 1);
        std::vector<float> v(kValues);
        for (float& x : v) x = normal(gen);
        return v;
    }();
    return data;
}

void quantize_fast(benchmark::State& state, const std::string& spec, qlab::Rounding rounding) {
    const qlab::Format f = *qlab::Format::parse(spec);
    std::vector<float> out(kValues);
    qlab::QuantizeOptions options;
    options.rounding = rounding;
    for (auto _ : state) {
        f.quantize(input().data(), out.data(), kValues, options);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kValues));
}

void quantize_reference(benchmark::State& state, const std::string& spec) {
    const qlab::Format f = *qlab::Format::parse(spec);
    std::vector<float> out(kValues);
    for (auto _ : state) {
        for (std::size_t i = 0; i < kValues; ++i)
            out[i] = static_cast<float>(f.quantize_ref(input()[i]));
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kValues));
}

const char* const kSpecs[] = {
    "fixed:w=8,f=4",
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
    // OCP element types (issue 10: within 2x of the float fast path) and the block-scaled formats.
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
    "int:b=8,group=128",
};

[[maybe_unused]] const bool registered = [] {
    for (const char* spec : kSpecs) {
        benchmark::RegisterBenchmark(
            ("quantize/" + std::string(spec)).c_str(),
            [spec](benchmark::State& s) { quantize_fast(s, spec, qlab::Rounding::nearest_even); })
            ->Unit(benchmark::kMillisecond);
    }
    for (const char* spec : {"fixed:w=8,f=4", "float:e=5,m=10"}) {
        benchmark::RegisterBenchmark(
            ("quantize_stochastic/" + std::string(spec)).c_str(),
            [spec](benchmark::State& s) { quantize_fast(s, spec, qlab::Rounding::stochastic); })
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("quantize_ref/" + std::string(spec)).c_str(),
                                     [spec](benchmark::State& s) { quantize_reference(s, spec); })
            ->Unit(benchmark::kMillisecond);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
