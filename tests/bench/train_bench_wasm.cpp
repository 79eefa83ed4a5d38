// Timed harness for WebAssembly under Node: the same MLP training and GEMM yardstick as
// train_bench.cpp, best of several runs, as JSON lines; then the lab's MNIST net (784-128-10,
// Adam, batch 32: the Train lesson's MNIST defaults) for scripts/bench.mjs's browser/Node ratio.
#include <chrono>
#include <cstdio>

#include "train_common.hpp"

int main() {
    std::printf("{\"name\": \"gemm512\", \"gflops\": %.4g}\n", qlab::bench::gemm_flops(5) / 1e9);
    const qlab::Dataset data = qlab::bench::random_mnist_shaped();
    qlab::Model model = *qlab::make_model("mlp:784-512-512-512-10:act=hardsigmoid", 784, 10, 1);
    const qlab::TrainOptions o = qlab::bench::sakr_options();
    double best = 1e30;
    for (int run = 0; run < 3; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        (void)qlab::train_model(model, data, nullptr, o);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("{\"name\": \"train_mlp_float\", \"samples_per_second\": %.6g}\n",
                qlab::bench::kSamples / best);
    qlab::Model small = *qlab::make_model("mlp:784-128-10:act=relu", 784, 10, 1);
    qlab::TrainOptions s = o;
    s.batch = 32;
    s.clip_weights = false;
    best = 1e30;
    for (int run = 0; run < 3; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        (void)qlab::train_model(small, data, nullptr, s);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("{\"name\": \"train_mlp128_batch32\", \"samples_per_second\": %.6g}\n",
                qlab::bench::kSamples / best);
}
