// The state of a TrainJob, shared by train_job.cpp (training) and train_checkpoint.cpp (saving
// and restoring it, so a run can move to the lab's Web Worker and back). Private to core/learn/src.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "mlp_internal.hpp"
#include "qlab/mlp.hpp"

namespace qlab {

struct AdamState {
    Matrix m_w, v_w;
    Vector m_b, v_b;
};

struct TrainJob::State {
    Model& model;
    const Dataset& train;
    const Dataset* test;
    TrainOptions o;
    detail::Quantizers q;
    Rng rng;
    std::vector<AdamState> adam;
    std::vector<Matrix> velocity_w;
    std::vector<Vector> velocity_b;
    TrainReport report;
    EvalOptions eval;
    std::vector<detail::LayerQuantizers>
        per_layer;  // options.layers parsed (empty: the roles everywhere)
    std::vector<std::size_t> order;
    std::vector<TrainBatchRecord> batches;
    Matrix x;
    std::vector<int> y;
    long long step = 0;     // batches done in all
    int epoch = 1;          // the epoch in progress
    std::size_t begin = 0;  // the next batch's first position in `order`
    bool epoch_started = false;
    double loss_sum = 0;  // over the current epoch's examples so far
    bool all_done = false;
    // The epoch whose batches are done while its accuracy is counted, a chunk per unit.
    std::optional<TrainEpoch> evaluated;
    std::unique_ptr<AccuracyCount> train_count, test_count;
    // Restored from a progress save: shows a run going on elsewhere, never steps.
    bool mirror = false;

    State(Model& m, const Dataset& t, const Dataset* te, const TrainOptions& options)
        : model(m), train(t), test(te), o(options), rng(options.seed) {}

    long long batches_per_epoch() const {
        const auto b = static_cast<std::size_t>(std::max(o.batch, 1));
        return std::max<long long>(1, static_cast<long long>((order.size() + b - 1) / b));
    }
    void finish() {
        if (o.evaluate_each_epoch) {
            report.train_accuracy = accuracy(model, train, eval);
            report.test_accuracy = test ? accuracy(model, *test, eval) : 0;
        }
        all_done = true;
    }
    Status batch();
    void learn(std::size_t l, Matrix dw, Vector db);
    void optimizer_step(std::size_t l, const Matrix& dw, const Vector& db, Matrix& delta_w,
                        Vector& delta_b);
    void apply_step(DenseLayer& L, const Matrix& delta_w, const Vector& delta_b);
    void end_epoch();
    void evaluate_chunk();
    void close_epoch(const TrainEpoch& e);
};

}  // namespace qlab
