// Timed harness for WebAssembly under Node: the same MLP training and GEMM yardstick as
// train_bench.cpp, best of several runs, as JSON lines; then the lab's MNIST net (784-128-10,
// Adam, batch 32: the Train lesson's MNIST defaults); then both as the lab runs them (8,000
// training rows, every epoch evaluated on them and 2,000 test rows) for bench.mjs's browser/Node
// ratio, which compares like with like.
#include <chrono>
#include <cstdio>

#include "train_common.hpp"

// Epochs as the Train lesson runs them (TrainJob through train_model: Adam, no clipping, each
// epoch's accuracy on all training and test rows), in training samples per second of wall clock.
void lab_epochs(const char* name, const char* spec, int batch, int epochs) {
    const qlab::Dataset all = qlab::bench::random_mnist_shaped(qlab::bench::kLabRows);
    const qlab::Split split = qlab::split_dataset(all, 0.2, 1);
    qlab::Model model = *qlab::make_model(spec, 784, 10, 1);
    qlab::TrainOptions o;
    o.optimizer = qlab::Optimizer::adam;
    o.batch = batch;
    o.epochs = epochs;
    o.evaluate_each_epoch = true;
    const auto t0 = std::chrono::steady_clock::now();
    (void)qlab::train_model(model, split.train, &split.test, o);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"name\": \"%s\", \"samples_per_second\": %.6g, \"train_rows\": %zu}\n", name,
                static_cast<double>(split.train.size()) * epochs / s, split.train.size());
}

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
    lab_epochs("lab_mlp784-512x3-10", "mlp:784-512-512-512-10:act=hardsigmoid", 200, 2);
    lab_epochs("lab_mlp784-128-10_batch32", "mlp:784-128-10:act=relu", 32, 6);
}
