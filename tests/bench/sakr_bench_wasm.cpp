// Timed harness for WebAssembly under Node: the Sakr analysis of sakr_bench.cpp (1000 samples on
// 784-512-512-512-10, a new (B_A, B_W)) beside the Eigen GEMM yardstick, as JSON lines.
#include <chrono>
#include <cstdio>

#include "qlab/sakr.hpp"
#include "train_common.hpp"

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main() {
    std::printf("{\"name\": \"gemm512\", \"gflops\": %.4g}\n", qlab::bench::gemm_flops(5) / 1e9);
    const qlab::Model model =
        *qlab::make_model("mlp:784-512-512-512-10:act=hardsigmoid", 784, 10, 1);
    qlab::Dataset d;
    d.features = 784, d.classes = 10;
    qlab::Rng rng(2);
    d.x.resize(1000 * 784);
    for (float& v : d.x) v = static_cast<float>(2 * rng.uniform() - 1);
    for (int i = 0; i < 1000; ++i) d.y.push_back(static_cast<int>(rng.next_u64() % 10));
    auto t0 = std::chrono::steady_clock::now();
    const qlab::SakrAnalysis a = *qlab::analyze_sakr(model, d, {});
    volatile double sink = a.bounds(6, 9).thm2;
    std::printf("{\"name\": \"sakr_analysis_1000\", \"seconds\": %.4g}\n", seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    for (int b = 2; b <= 16; ++b) sink = sink + a.bounds(b, b + 3).thm2_opt;
    std::printf("{\"name\": \"sakr_new_precision\", \"seconds\": %.4g}\n", seconds_since(t0) / 15);
    (void)sink;
}
