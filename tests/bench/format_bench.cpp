// Google Benchmark: quantizing 1M float32 values with each format (fast paths), plus the scalar
// reference for scale, then the block formats' time per value against float:e=5,m=10 in the
// same run, both rounding modes (issue 19). Items/s is values/s.
// Run: build/native-release/tests/bench/format_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
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

void register_fast(const std::string& prefix, const std::string& spec, qlab::Rounding r) {
    benchmark::RegisterBenchmark((prefix + spec).c_str(), [spec, r](benchmark::State& s) {
        quantize_fast(s, spec, r);
    })->Unit(benchmark::kMillisecond);
}

[[maybe_unused]] const bool registered = [] {
    for (const char* spec : qlab::bench::kFormatSpecs)
        register_fast("quantize/", spec, qlab::Rounding::nearest_even);
    register_fast("quantize_stochastic/", "fixed:w=8,f=4", qlab::Rounding::stochastic);
    register_fast("quantize_stochastic/", qlab::bench::kRatioBaseline, qlab::Rounding::stochastic);
    for (const char* spec : qlab::bench::kRatioSpecs)
        register_fast("quantize_stochastic/", spec, qlab::Rounding::stochastic);
    for (const char* spec : {"fixed:w=8,f=4", "float:e=5,m=10"})
        benchmark::RegisterBenchmark(("quantize_ref/" + std::string(spec)).c_str(),
                                     [spec](benchmark::State& s) { quantize_reference(s, spec); })
            ->Unit(benchmark::kMillisecond);
    return true;
}();

// The console report as usual, and each run's CPU time per value kept for the ratio table.
class KeepingReporter : public benchmark::ConsoleReporter {
  public:
    std::map<std::string, double> ns_per_value;
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs)
            if (run.iterations > 0)
                ns_per_value[run.benchmark_name()] =
                    run.GetAdjustedCPUTime() * 1e6 / static_cast<double>(kValues);  // ms -> ns
        ConsoleReporter::ReportRuns(runs);
    }
};

void print_ratios(const std::map<std::string, double>& ns) {
    const char* modes[][2] = {{"quantize/", "rne"}, {"quantize_stochastic/", "stochastic"}};
    std::printf("\nBlock formats against %s, time per value, same run (issue 19 target)\n",
                qlab::bench::kRatioBaseline);
    for (const auto& mode : modes) {
        const auto base = ns.find(std::string(mode[0]) + qlab::bench::kRatioBaseline);
        if (base == ns.end()) continue;
        std::printf("%s: %s %.3f ns/value\n", mode[1], qlab::bench::kRatioBaseline, base->second);
        for (const char* spec : qlab::bench::kRatioSpecs) {
            const auto it = ns.find(std::string(mode[0]) + spec);
            if (it == ns.end()) continue;
            const double ratio = it->second / base->second;
            const double target = qlab::bench::ratio_target(spec);
            std::printf("  %-26s %8.3f ns/value  %5.2fx  (target <= %.1fx: %s)\n", spec, it->second,
                        ratio, target, ratio <= target ? "met" : "NOT met");
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    KeepingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_ratios(reporter.ns_per_value);
    benchmark::Shutdown();
    return 0;
}
