// ONNX import and export of a 10 MB model (Google Benchmark): an MLP 784-2048-512-10 (2.6 M
// float32 weights, 10.5 MB) as float32 initializers, and the same with int8 per-channel weights
// and int8 activations as QuantizeLinear/DequantizeLinear (2.6 MB). The yardstick, measured in
// the same run: memcpy of the same bytes (reading a file can be no faster).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "qlab/calibration.hpp"
#include "qlab/onnx.hpp"

namespace {

const qlab::Model& model() {
    static const qlab::Model m = *qlab::make_model("mlp:784-2048-512-10", 784, 10, 1);
    return m;
}

qlab::ExportOptions int8_options() {
    qlab::Dataset d;
    d.features = 784, d.classes = 10;
    qlab::Rng rng(2);
    d.x.resize(256 * 784);
    for (float& v : d.x) v = static_cast<float>(rng.uniform());
    d.y.assign(256, 0);
    qlab::CalibrationOptions c;
    c.per_channel = true;
    qlab::ExportOptions o;
    o.formats = *qlab::calibrate_model(model(), d, c);
    return o;
}

const std::string& float_bytes() {
    static const std::string b = *qlab::export_onnx(model());
    return b;
}
const std::string& int8_bytes() {
    static const std::string b = *qlab::export_onnx(model(), int8_options());
    return b;
}

void BM_MemcpyOfTheFloatFile(benchmark::State& state) {
    const std::string& src = float_bytes();
    std::vector<char> dst(src.size());
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), src.size());
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * src.size()));
}
BENCHMARK(BM_MemcpyOfTheFloatFile)->Unit(benchmark::kMillisecond);

void BM_OnnxImportFloat10MB(benchmark::State& state) {
    const std::string& bytes = float_bytes();
    for (auto _ : state) {
        auto m = qlab::import_onnx(bytes);
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_OnnxImportFloat10MB)->Unit(benchmark::kMillisecond);

void BM_OnnxExportFloat10MB(benchmark::State& state) {
    for (auto _ : state) {
        auto b = qlab::export_onnx(model());
        benchmark::DoNotOptimize(b);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * float_bytes().size()));
}
BENCHMARK(BM_OnnxExportFloat10MB)->Unit(benchmark::kMillisecond);

// Import of the QDQ file checks that every per-channel format reproduces its weights.
void BM_OnnxImportInt8(benchmark::State& state) {
    const std::string& bytes = int8_bytes();
    for (auto _ : state) {
        auto m = qlab::import_onnx(bytes);
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_OnnxImportInt8)->Unit(benchmark::kMillisecond);

// Export quantizes the weights (as the forward pass does) and writes their codes.
void BM_OnnxExportInt8(benchmark::State& state) {
    const qlab::ExportOptions o = int8_options();
    for (auto _ : state) {
        auto b = qlab::export_onnx(model(), o);
        benchmark::DoNotOptimize(b);
    }
}
BENCHMARK(BM_OnnxExportInt8)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
