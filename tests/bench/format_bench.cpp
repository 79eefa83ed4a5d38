// Google Benchmark: quantizing 1M float32 values with each format (fast paths), plus the scalar
// reference for scale. Items/s is values/s. Run: build/native-release/tests/bench/format_bench
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "format_specs.hpp"
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

[[maybe_unused]] const bool registered = [] {
    for (const char* spec : qlab::bench::kFormatSpecs) {
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
