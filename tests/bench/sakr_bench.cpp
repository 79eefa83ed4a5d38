// Sakr 2017 analysis speed on 784-512-512-512-10 with 1000 samples (Google Benchmark): E_A, E_W
// and both bounds, a new (B_A, B_W), the per-weight reference loop, and the fixed-point network on
// 10k images, beside this machine's one-core Eigen 512^3 GEMM as the yardstick.
#include <benchmark/benchmark.h>

#include "qlab/sakr.hpp"
#include "train_common.hpp"

namespace {

// A random-weight (Glorot) hard-sigmoid network and rows uniform in [-1, 1], as MNIST is scaled.
const qlab::Model& model() {
    static const qlab::Model m =
        *qlab::make_model("mlp:784-512-512-512-10:act=hardsigmoid", 784, 10, 1);
    return m;
}
qlab::Dataset rows(int n) {
    qlab::Dataset d;
    d.features = 784, d.classes = 10;
    qlab::Rng rng(2);
    d.x.resize(static_cast<std::size_t>(n) * 784);
    for (float& v : d.x) v = static_cast<float>(2 * rng.uniform() - 1);
    for (int i = 0; i < n; ++i) d.y.push_back(static_cast<int>(rng.next_u64() % 10));
    return d;
}
const qlab::SakrAnalysis& analysis() {
    static const qlab::SakrAnalysis a = *qlab::analyze_sakr(model(), rows(1000), {});
    return a;
}

void BM_EigenGemm512(benchmark::State& state) {
    double flops = 0;
    for (auto _ : state) flops = qlab::bench::gemm_flops(3);
    state.counters["GFLOPs"] = flops / 1e9;
}
BENCHMARK(BM_EigenGemm512)->Unit(benchmark::kMillisecond);

// E_A, E_W and both bounds at one precision: the whole analysis of 1000 samples.
void BM_SakrAnalysis1000(benchmark::State& state) {
    const qlab::Dataset d = rows(1000);
    for (auto _ : state) {
        auto a = qlab::analyze_sakr(model(), d, {});
        benchmark::DoNotOptimize(a->bounds(6, 9));
    }
}
BENCHMARK(BM_SakrAnalysis1000)->Unit(benchmark::kMillisecond)->Iterations(2);

// A new (B_A, B_W): Theorems 1 and 2 (literal and optimised) over the 9000 stored pairs, at
// B_A = arg, B_W = B_A + 3 (Sakr's Fig. 1(b) offset).
void BM_SakrNewPrecision(benchmark::State& state) {
    const qlab::SakrAnalysis& a = analysis();
    const int b = static_cast<int>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(a.bounds(b, b + 3));
}
BENCHMARK(BM_SakrNewPrecision)->Unit(benchmark::kMicrosecond)->DenseRange(2, 14, 4);

// The reference: every derivative one weight at a time, then the sums, per sample (x 1000 for
// the comparison with BM_SakrAnalysis1000).
void BM_SakrNaivePerSample(benchmark::State& state) {
    const qlab::SakrAnalysis& a = analysis();
    int s = 0;
    for (auto _ : state) {
        double e = 0;
        for (int cls = 0; cls < 10; ++cls) {
            if (cls == a.decisions()[static_cast<std::size_t>(s)]) continue;
            const qlab::SakrDerivatives d =
                qlab::sakr_derivatives(model(), a.inputs().row(s).data(), cls);
            double g = 0;
            for (double x : d.w) g += x * x;
            for (double x : d.a) g += x * x;
            e += g / (24 * d.v * d.v);
        }
        benchmark::DoNotOptimize(e);
        s = (s + 1) % 1000;
    }
}
BENCHMARK(BM_SakrNaivePerSample)->Unit(benchmark::kMillisecond)->Iterations(10);

// E_W's sum alone for one batch of 25 samples (225 pairs), gradients given: one weight at a time
// (Sum_jh (delta_j a_h)^2), against the factorised |delta|^2 |a|^2 the analysis uses.
struct BatchGradients {
    qlab::OutputGradients g;
    BatchGradients() {
        const qlab::Matrix x = analysis().inputs().topRows(25);
        g = qlab::output_gradients(model(), x, [](const qlab::Matrix& z) {
            qlab::Matrix d = qlab::Matrix::Zero(z.rows() * 9, 10);
            for (Eigen::Index s = 0; s < z.rows(); ++s)
                for (int c = 0; c < 9; ++c) d(s * 9 + c, c) = 1, d(s * 9 + c, 9) = -1;
            return d;
        });
    }
};
void BM_SakrEwPerWeightLoop(benchmark::State& state) {
    static const BatchGradients b;
    for (auto _ : state) {
        double e = 0;
        for (std::size_t l = 0; l < b.g.grad_pre.size(); ++l)
            for (Eigen::Index r = 0; r < b.g.grad_pre[l].rows(); ++r) {
                const float* delta = b.g.grad_pre[l].row(r).data();
                const float* a = b.g.inputs[l].row(r / 9).data();
                for (Eigen::Index j = 0; j < b.g.grad_pre[l].cols(); ++j)
                    for (Eigen::Index h = 0; h < b.g.inputs[l].cols(); ++h) {
                        const double d = static_cast<double>(delta[j]) * a[h];
                        e += d * d;
                    }
            }
        benchmark::DoNotOptimize(e);
    }
}
BENCHMARK(BM_SakrEwPerWeightLoop)->Unit(benchmark::kMillisecond)->Iterations(3);
void BM_SakrEwFactorised(benchmark::State& state) {
    static const BatchGradients b;
    for (auto _ : state) {
        double e = 0;
        for (std::size_t l = 0; l < b.g.grad_pre.size(); ++l) {
            const Eigen::VectorXd dn = b.g.grad_pre[l].cast<double>().rowwise().squaredNorm();
            const Eigen::VectorXd an = b.g.inputs[l].cast<double>().rowwise().squaredNorm();
            for (Eigen::Index r = 0; r < dn.size(); ++r) e += dn(r) * an(r / 9);
        }
        benchmark::DoNotOptimize(e);
    }
}
BENCHMARK(BM_SakrEwFactorised)->Unit(benchmark::kMillisecond);

// The fixed-point network (weights, inputs and hidden activations quantized) on 10k images.
void BM_SakrFixedPoint10k(benchmark::State& state) {
    const qlab::Dataset d = rows(10000);
    const std::vector<int> fl = qlab::float_decisions(model(), d);
    for (auto _ : state) benchmark::DoNotOptimize(qlab::sakr_simulate(model(), d, fl, 6, 9));
}
BENCHMARK(BM_SakrFixedPoint10k)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
