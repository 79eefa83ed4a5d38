// Google Benchmark: MLP training (784-512-512-512-10, hard sigmoid, batch 200, Adam, one thread)
// in samples/s, beside its yardstick, this machine's one-core Eigen 512^3 float GEMM.
#include <benchmark/benchmark.h>

#include "train_common.hpp"

namespace {

void BM_EigenGemm512(benchmark::State& state) {
    double flops = 0;
    for (auto _ : state) flops = qlab::bench::gemm_flops(3);
    state.counters["GFLOP/s"] = flops / 1e9;
}
BENCHMARK(BM_EigenGemm512)->Unit(benchmark::kMillisecond);

void train(benchmark::State& state, const qlab::QuantRoles& roles) {
    const qlab::Dataset data = qlab::bench::random_mnist_shaped();
    qlab::Model model = *qlab::make_model("mlp:784-512-512-512-10:act=hardsigmoid", 784, 10, 1);
    qlab::TrainOptions o = qlab::bench::sakr_options();
    o.roles = roles;
    for (auto _ : state) benchmark::DoNotOptimize(qlab::train_model(model, data, nullptr, o).ok());
    const double samples = static_cast<double>(state.iterations()) * qlab::bench::kSamples;
    state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(samples * qlab::bench::kFlopsPerSample / 1e9,
                                                   benchmark::Counter::kIsRate);
}

void BM_TrainMlpFloat(benchmark::State& state) {
    train(state, {});
}
BENCHMARK(BM_TrainMlpFloat)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TrainMlpQat8(benchmark::State& state) {
    qlab::QuantRoles r;
    r.weights = "fixed:w=8,f=6";
    r.activations = "fixed:w=8,f=6";
    train(state, r);
}
BENCHMARK(BM_TrainMlpQat8)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
