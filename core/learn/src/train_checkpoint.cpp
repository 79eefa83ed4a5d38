// TrainJob::save and restore: a training run as bytes (qlab/bytes.hpp), so the lab's Web Worker
// (another instance of the same WebAssembly) can take a run and hand it back exactly. A save is
// read only by the same build, so it carries a magic and a version, and every count is checked.
#include <cassert>
#include <cstring>

#include "qlab/bytes.hpp"
#include "train_job_state.hpp"

namespace qlab {

namespace {

constexpr char kMagic[4] = {'Q', 'L', 'T', 'J'};
constexpr std::uint32_t kVersion = 1;

using Writer = ByteWriter;
using Reader = ByteReader;

void write_options(Writer& w, const TrainOptions& o) {
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(o.optimizer));
    w.pod(o.learning_rate), w.pod(o.lr_decay), w.pod<std::int32_t>(o.epochs);
    w.pod<std::int32_t>(o.batch), w.pod(o.dropout), w.pod<std::uint8_t>(o.clip_weights);
    for (const std::string* role : {&o.roles.weights, &o.roles.activations, &o.roles.gradients,
                                    &o.roles.updates, &o.roles.accumulator})
        w.text(*role);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(o.roles.update_rounding));
    w.pod<std::uint64_t>(o.layers.size());
    for (const LayerFormats& l : o.layers) {
        w.text(l.weights);
        w.pod<std::uint64_t>(l.weight_rows.size());
        for (const std::string& r : l.weight_rows) w.text(r);
        w.text(l.activations);
    }
    w.pod(o.seed), w.pod<std::uint8_t>(o.evaluate_each_epoch);
}

TrainOptions read_options(Reader& r) {
    TrainOptions o;
    const auto optimizer = r.pod<std::uint8_t>();
    if (optimizer > static_cast<std::uint8_t>(Optimizer::adam)) r.fail();
    o.optimizer = static_cast<Optimizer>(optimizer);
    o.learning_rate = r.pod<float>(), o.lr_decay = r.pod<float>(), o.epochs = r.pod<std::int32_t>();
    o.batch = r.pod<std::int32_t>(), o.dropout = r.pod<float>(),
    o.clip_weights = r.pod<std::uint8_t>();
    for (std::string* role : {&o.roles.weights, &o.roles.activations, &o.roles.gradients,
                              &o.roles.updates, &o.roles.accumulator})
        *role = r.text();
    const auto rounding = r.pod<std::uint8_t>();
    if (rounding > static_cast<std::uint8_t>(Rounding::stochastic)) r.fail();
    o.roles.update_rounding = static_cast<Rounding>(rounding);
    o.layers.resize(r.count(3 * sizeof(std::uint64_t)));
    for (LayerFormats& l : o.layers) {
        l.weights = r.text();
        l.weight_rows.resize(r.count(sizeof(std::uint64_t)));
        for (std::string& row : l.weight_rows) row = r.text();
        l.activations = r.text();
    }
    o.seed = r.pod<std::uint64_t>(), o.evaluate_each_epoch = r.pod<std::uint8_t>();
    return o;
}

// The header and the options: the start of every save.
bool read_header(Reader& r, TrainJob::Saved& what) {
    char magic[4] = {};
    r.take(magic, sizeof magic);
    const auto version = r.pod<std::uint32_t>();
    const auto kind = r.pod<std::uint8_t>();
    if (!r.ok() || std::memcmp(magic, kMagic, 4) != 0 || version != kVersion || kind > 1)
        return false;
    what = kind == 0 ? TrainJob::Saved::checkpoint : TrainJob::Saved::progress;
    return true;
}

}  // namespace

std::string TrainJob::save(Saved what, std::size_t records_from) const {
    const State& s = *s_;
    const bool full = what == Saved::checkpoint;
    assert(!(full && (s.evaluated || s.mirror)) && "a checkpoint needs a job between units");
    Writer w;
    for (char c : kMagic) w.pod(c);
    w.pod(kVersion), w.pod<std::uint8_t>(full ? 0 : 1);
    write_options(w, s.o);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(state())), w.text(status().message());
    w.pod<std::int64_t>(s.step), w.pod<std::int32_t>(s.epoch), w.pod<std::uint64_t>(s.begin);
    w.pod<std::uint8_t>(s.epoch_started), w.pod(s.loss_sum), w.pod<std::uint8_t>(s.all_done);
    w.pod<std::int32_t>(s.evaluated ? s.evaluated->epoch : 0);
    w.pod<std::uint8_t>(static_cast<std::uint8_t>(s.q.updates.rounding));
    const TrainReport& rep = s.report;
    w.pod<std::uint64_t>(rep.history.size());
    for (const TrainEpoch& e : rep.history)
        w.pod<std::int32_t>(e.epoch), w.pod(e.loss), w.pod(e.train_accuracy),
            w.pod(e.test_accuracy);
    w.pod(rep.train_accuracy), w.pod(rep.test_accuracy);
    w.pod<std::int64_t>(rep.updates), w.pod<std::int64_t>(rep.lost_updates);
    w.pod<std::uint64_t>(rep.warnings.size());
    for (const std::string& warning : rep.warnings) w.text(warning);
    const std::size_t from = full ? 0 : std::min(records_from, s.batches.size());
    w.pod<std::uint64_t>(from), w.pod<std::uint64_t>(s.batches.size() - from);
    for (std::size_t i = from; i < s.batches.size(); ++i)
        w.pod<std::int64_t>(s.batches[i].step), w.pod(s.batches[i].loss),
            w.pod<std::int64_t>(s.batches[i].lost_updates);
    w.pod<std::uint64_t>(s.model.layers.size());
    for (const DenseLayer& L : s.model.layers) w.matrix(L.weight), w.matrix(L.bias);
    if (!full) return w.take();
    for (std::uint64_t word : s.rng.state()) w.pod(word);
    w.pod<std::uint64_t>(s.order.size());
    for (std::size_t i : s.order) w.pod<std::uint64_t>(i);
    for (std::size_t l = 0; l < s.model.layers.size(); ++l) {
        const AdamState& a = s.adam[l];
        w.matrix(a.m_w), w.matrix(a.v_w), w.matrix(a.m_b), w.matrix(a.v_b);
        w.matrix(s.velocity_w[l]), w.matrix(s.velocity_b[l]);
    }
    return w.take();
}

Result<TrainOptions> TrainJob::saved_options(std::string_view bytes) {
    Reader r(bytes);
    Saved what{};
    if (!read_header(r, what)) return Status::error("not a saved training run of this version");
    TrainOptions o = read_options(r);
    if (!r.ok()) return Status::error("a saved training run cut short in its options");
    return o;
}

Status TrainJob::restore(std::string_view bytes) {
    State& s = *s_;
    Reader r(bytes);
    Saved what{};
    if (!read_header(r, what)) return Status::error("not a saved training run of this version");
    const bool full = what == Saved::checkpoint;
    const TrainOptions o = read_options(r);
    const auto job_state = r.pod<std::uint8_t>();
    const std::string message = r.text();
    if (job_state > static_cast<std::uint8_t>(JobState::failed)) r.fail();
    // Everything is read into a copy first: a save that does not fit changes nothing.
    State n(s.model, s.train, s.test, o);
    n.step = r.pod<std::int64_t>(), n.epoch = r.pod<std::int32_t>();
    n.begin = r.pod<std::uint64_t>(), n.epoch_started = r.pod<std::uint8_t>();
    n.loss_sum = r.pod<double>(), n.all_done = r.pod<std::uint8_t>();
    const auto evaluating_epoch = r.pod<std::int32_t>();
    const auto rounding = r.pod<std::uint8_t>();
    if (rounding > static_cast<std::uint8_t>(Rounding::stochastic)) r.fail();
    n.report.history.resize(r.count(4 + 3 * sizeof(double)));
    for (TrainEpoch& e : n.report.history)
        e.epoch = r.pod<std::int32_t>(), e.loss = r.pod<double>(),
        e.train_accuracy = r.pod<double>(), e.test_accuracy = r.pod<double>();
    n.report.train_accuracy = r.pod<double>(), n.report.test_accuracy = r.pod<double>();
    n.report.updates = r.pod<std::int64_t>(), n.report.lost_updates = r.pod<std::int64_t>();
    n.report.warnings.resize(r.count(sizeof(std::uint64_t)));
    for (std::string& warning : n.report.warnings) warning = r.text();
    const auto records_from = r.pod<std::uint64_t>();
    if (records_from > s.batches.size()) r.fail();
    std::vector<TrainBatchRecord> records(r.count(3 * 8));
    for (TrainBatchRecord& b : records)
        b.step = r.pod<std::int64_t>(), b.loss = r.pod<double>(),
        b.lost_updates = r.pod<std::int64_t>();
    const std::size_t layers = r.count(0);
    if (layers != s.model.layers.size()) r.fail();
    std::vector<Matrix> weights(r.ok() ? layers : 0);
    std::vector<Vector> biases(weights.size());
    for (std::size_t l = 0; l < weights.size(); ++l) {
        const DenseLayer& L = s.model.layers[l];
        r.matrix(weights[l], L.weight.rows(), L.weight.cols());
        r.matrix(biases[l], L.bias.rows(), L.bias.cols());
    }
    if (full && r.ok()) {
        Rng::State rng{};
        for (std::uint64_t& word : rng) word = r.pod<std::uint64_t>();
        n.rng.set_state(rng);
        n.order.resize(r.count(sizeof(std::uint64_t)));
        for (std::size_t& i : n.order) i = static_cast<std::size_t>(r.pod<std::uint64_t>());
        if (n.order.size() != s.order.size()) r.fail();
        for (std::size_t i : n.order)
            if (i >= s.train.size()) r.fail();
        n.adam.resize(layers), n.velocity_w.resize(layers), n.velocity_b.resize(layers);
        for (std::size_t l = 0; l < layers && r.ok(); ++l) {
            const auto rows = weights[l].rows(), cols = weights[l].cols();
            AdamState& a = n.adam[l];
            r.matrix(a.m_w, rows, cols), r.matrix(a.v_w, rows, cols);
            r.matrix(a.m_b, rows, 1), r.matrix(a.v_b, rows, 1);
            r.matrix(n.velocity_w[l], rows, cols), r.matrix(n.velocity_b[l], rows, 1);
        }
    }
    if (!r.ok() || !r.at_end())
        return Status::error("a saved training run that does not fit this model: " +
                             std::string(r.ok() ? "bytes left over" : "cut short or other shapes"));
    // The save fits: take it.
    for (std::size_t l = 0; l < layers; ++l)
        s.model.layers[l].weight = std::move(weights[l]),
        s.model.layers[l].bias = std::move(biases[l]);
    s.o.epochs = o.epochs;
    s.q.updates.rounding = static_cast<Rounding>(rounding);
    s.step = n.step, s.epoch = n.epoch, s.begin = n.begin, s.epoch_started = n.epoch_started;
    s.loss_sum = n.loss_sum, s.all_done = n.all_done;
    s.report = std::move(n.report);
    s.batches.resize(records_from);
    s.batches.insert(s.batches.end(), records.begin(), records.end());
    s.train_count.reset(), s.test_count.reset();
    s.evaluated.reset();
    if (evaluating_epoch > 0) s.evaluated = TrainEpoch{evaluating_epoch, 0, 0, 0};
    if (full) {
        s.rng = n.rng;
        s.order = std::move(n.order);
        s.adam = std::move(n.adam), s.velocity_w = std::move(n.velocity_w);
        s.velocity_b = std::move(n.velocity_b);
    }
    s.mirror = !full;
    restore_state(static_cast<JobState>(job_state),
                  message.empty() ? Status::success() : Status::error(message));
    return Status::success();
}

bool TrainJob::exact() const {
    return !s_->mirror;
}

}  // namespace qlab
