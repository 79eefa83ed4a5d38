// Cherkhev's format sweep as bytes (see qlab/analysis_bytes.hpp and analysis_bytes_common.hpp):
// its grid, the cells' training options and every cell's QuantizedLinearResult.
#include <vector>

#include "analysis_bytes_common.hpp"
#include "qlab/analysis_bytes.hpp"

namespace qlab {

using namespace analysis_bytes;

namespace {

void write_grid(ByteWriter& w, const SweepGrid& g) {
    write_texts(w, g.specs);
    w.pod<std::uint64_t>(g.possible.size());
    for (bool p : g.possible) w.pod<std::uint8_t>(p);
    w.pod<std::uint64_t>(g.axes.size());
    for (const auto& axis : g.axes) write_texts(w, axis);
}

void read_grid(ByteReader& r, SweepGrid& g) {
    read_texts(r, g.specs);
    g.possible.resize(r.count(1));
    for (std::size_t i = 0; i < g.possible.size(); ++i) g.possible[i] = r.pod<std::uint8_t>() != 0;
    g.axes.resize(r.count(8));
    for (auto& axis : g.axes) read_texts(r, axis);
}

void write_options(ByteWriter& w, const QuantizedLinearOptions& o) {
    w.text(o.format), w.pod<std::uint8_t>(static_cast<std::uint8_t>(o.rounding));
    w.pod<std::int32_t>(o.epochs), w.pod<std::int32_t>(o.steps), w.pod(o.seed);
    w.pod<std::uint8_t>(o.shuffle), w.pod<std::int32_t>(o.vector_kmeans);
    w.pod<std::uint8_t>(o.compute_margin);
}

void read_options(ByteReader& r, QuantizedLinearOptions& o) {
    o.format = r.text();
    const auto rounding = r.pod<std::uint8_t>();
    if (rounding > static_cast<std::uint8_t>(Rounding::stochastic)) r.fail();
    o.rounding = static_cast<Rounding>(rounding);
    o.epochs = r.pod<std::int32_t>(), o.steps = r.pod<std::int32_t>();
    o.seed = r.pod<std::uint64_t>(), o.shuffle = r.pod<std::uint8_t>() != 0;
    o.vector_kmeans = r.pod<std::int32_t>(), o.compute_margin = r.pod<std::uint8_t>() != 0;
}

// Every number of a cell's training, in declaration order.
void write_result(ByteWriter& w, const QuantizedLinearResult& q) {
    w.text(q.format), write_values(w, q.weights);
    w.pod<std::int64_t>(q.updates), w.pod<std::int32_t>(q.epochs_run);
    w.pod<std::uint8_t>(q.converged), w.pod<std::int64_t>(q.stalled_updates);
    w.pod<std::int64_t>(q.sink_atoms), w.pod<std::uint8_t>(q.ended_in_sink);
    for (double v : {q.train_accuracy, q.test_accuracy, q.margin, q.radius, q.delta}) w.pod(v);
    w.pod<std::uint8_t>(q.delta_is_lower_estimate);
    for (double v :
         {q.delta_box, q.observed_delta, q.start_norm, q.mistake_bound, q.mistake_bound_safe})
        w.pod(v);
    w.pod<std::uint64_t>(q.history.size());
    for (const EpochRecord& e : q.history)
        w.pod<std::int32_t>(e.epoch), w.pod<std::int64_t>(e.mistakes),
            w.pod<std::int64_t>(e.stalled), w.pod(e.train_accuracy);
    w.pod<std::uint64_t>(q.vector_atoms.size());
    for (const auto& atom : q.vector_atoms) write_values(w, atom);
}

void read_result(ByteReader& r, QuantizedLinearResult& q) {
    q.format = r.text(), r.array(q.weights);
    q.updates = static_cast<long>(r.pod<std::int64_t>()), q.epochs_run = r.pod<std::int32_t>();
    q.converged = r.pod<std::uint8_t>() != 0;
    q.stalled_updates = static_cast<long>(r.pod<std::int64_t>());
    q.sink_atoms = static_cast<long>(r.pod<std::int64_t>());
    q.ended_in_sink = r.pod<std::uint8_t>() != 0;
    for (double* v : {&q.train_accuracy, &q.test_accuracy, &q.margin, &q.radius, &q.delta})
        *v = r.pod<double>();
    q.delta_is_lower_estimate = r.pod<std::uint8_t>() != 0;
    for (double* v :
         {&q.delta_box, &q.observed_delta, &q.start_norm, &q.mistake_bound, &q.mistake_bound_safe})
        *v = r.pod<double>();
    q.history.resize(r.count(4 + 8 + 8 + 8));
    for (EpochRecord& e : q.history) {
        e.epoch = r.pod<std::int32_t>(), e.mistakes = static_cast<long>(r.pod<std::int64_t>());
        e.stalled = static_cast<long>(r.pod<std::int64_t>()), e.train_accuracy = r.pod<double>();
    }
    q.vector_atoms.resize(r.count(8));
    for (auto& atom : q.vector_atoms) r.array(atom);
}

}  // namespace

std::string to_bytes(const SweepRequest& q) {
    ByteWriter w = tagged(Tag::sweep_request);
    write_grid(w, q.grid);
    write_options(w, q.base);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(q.algorithm));
    w.pod<std::uint8_t>(q.use_plan);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(q.plan.protocol));
    w.pod(q.plan.test_fraction), w.pod(q.plan.seed);
    w.pod<std::uint8_t>(q.has_test), w.text(dataset_to_bytes(q.test));
    return w.take();
}

Status from_bytes(std::string_view bytes, SweepRequest& out) {
    Status data_status = Status::success();
    Status st = read_tagged(
        bytes, Tag::sweep_request, "a sweep request", out,
        [&data_status](ByteReader& r, SweepRequest& q) {
            read_grid(r, q.grid);
            read_options(r, q.base);
            const auto algorithm = r.pod<std::uint8_t>();
            if (algorithm > static_cast<std::uint8_t>(QuantizedLinearAlgorithm::frank_wolfe))
                r.fail();
            q.algorithm = static_cast<QuantizedLinearAlgorithm>(algorithm);
            q.use_plan = r.pod<std::uint8_t>() != 0;
            const auto protocol = r.pod<std::uint8_t>();
            if (protocol > static_cast<std::uint8_t>(SweepProtocol::converge)) r.fail();
            q.plan.protocol = static_cast<SweepProtocol>(protocol);
            q.plan.test_fraction = r.pod<double>(), q.plan.seed = r.pod<std::uint64_t>();
            q.has_test = r.pod<std::uint8_t>() != 0;
            const std::string test = r.text();
            if (!r.ok()) return;
            auto d = dataset_from_bytes(test);
            if (!d) return data_status = d.status(), r.fail();
            q.test = std::move(d).value();
        });
    return data_status ? st : data_status;
}

std::string to_bytes(const SweepResult& s) {
    ByteWriter w = tagged(Tag::sweep_result);
    write_grid(w, s.grid);
    w.pod<std::uint64_t>(s.cells.size());
    for (const SweepCell& c : s.cells) {
        w.text(c.spec), w.pod<std::uint8_t>(c.possible), w.pod<std::uint8_t>(c.done);
        w.text(c.error), write_result(w, c.result);
    }
    w.pod<std::uint64_t>(s.cells_done), w.pod<std::uint8_t>(s.scores_test);
    w.pod<std::int32_t>(s.epochs);
    w.pod<std::uint64_t>(s.train_rows), w.pod<std::uint64_t>(s.test_rows);
    return w.take();
}

Status from_bytes(std::string_view bytes, SweepResult& out) {
    return read_tagged(bytes, Tag::sweep_result, "a sweep", out, [](ByteReader& r, SweepResult& s) {
        read_grid(r, s.grid);
        s.cells.resize(r.count(8 + 1 + 1 + 8));
        for (SweepCell& c : s.cells) {
            c.spec = r.text(), c.possible = r.pod<std::uint8_t>() != 0;
            c.done = r.pod<std::uint8_t>() != 0;
            c.error = r.text(), read_result(r, c.result);
        }
        s.cells_done = static_cast<std::size_t>(r.pod<std::uint64_t>());
        if (s.cells_done > s.cells.size()) r.fail();
        s.scores_test = r.pod<std::uint8_t>() != 0, s.epochs = r.pod<std::int32_t>();
        s.train_rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
        s.test_rows = static_cast<std::size_t>(r.pod<std::uint64_t>());
    });
}

}  // namespace qlab
