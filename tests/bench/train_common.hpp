// Shared by the native and WebAssembly training benchmarks: the Sakr §4.1 network on random data.
#pragma once

#include <Eigen/Dense>
#include <chrono>

#include "qlab/mlp.hpp"
#include "qlab/random.hpp"

namespace qlab::bench {

constexpr int kBatch = 200;
constexpr int kSamples = 2000;  // 10 steps per epoch

constexpr int kLabRows = 10000;  // the lab's MNIST: 8,000 training and 2,000 test rows

inline Dataset random_mnist_shaped(int samples = kSamples) {
    Dataset d;
    d.name = "random";
    d.features = 784;
    d.classes = 10;
    Rng rng(1);
    d.x.resize(static_cast<std::size_t>(samples) * 784);
    for (float& v : d.x) v = static_cast<float>(rng.uniform());
    for (int i = 0; i < samples; ++i) d.y.push_back(static_cast<int>(rng.next_u64() % 10));
    return d;
}

inline TrainOptions sakr_options() {
    TrainOptions o;
    o.optimizer = Optimizer::adam;
    o.batch = kBatch;
    o.epochs = 1;
    o.clip_weights = true;
    o.evaluate_each_epoch = false;
    return o;
}

// The yardstick: one 512^3 float GEMM with Eigen, in FLOP/s.
inline double gemm_flops(int reps) {
    using M = Eigen::MatrixXf;
    const M a = M::Random(512, 512), b = M::Random(512, 512);
    M c(512, 512);
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        c.noalias() = a * b;
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    volatile float sink = c(1, 1);
    (void)sink;
    return 2.0 * 512 * 512 * 512 / best;
}

// Forward and backward of one sample through 784-512-512-512-10: about 3x the forward FLOPs.
constexpr double kFlopsPerSample = 3 * 2.0 * (784 * 512 + 512 * 512 + 512 * 512 + 512 * 10);

}  // namespace qlab::bench
