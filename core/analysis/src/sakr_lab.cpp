// The precision lesson's view of Sakr et al. 2017: the fixed-point network's decision per row, and
// the simulations (fixed point, and the theorems' noise) over many (B_A, B_W) as a resumable job
// in slices of rows, so the lab's frames stay short on any model.
#include <algorithm>
#include <string>

#include "qlab/sakr.hpp"

namespace qlab {
namespace {

// Rows [begin, end) of a data set as a data set of their own.
Dataset slice(const Dataset& d, std::size_t begin, std::size_t end) {
    Dataset s;
    s.features = d.features, s.classes = d.classes;
    s.x.assign(d.row(begin), d.row(begin) + (end - begin) * static_cast<std::size_t>(d.features));
    s.y.assign(d.y.begin() + static_cast<long>(begin), d.y.begin() + static_cast<long>(end));
    return s;
}

// splitmix64 of the three numbers: the seed of one chunk of one precision's noise.
std::uint64_t chunk_seed(std::uint64_t seed, int ba, int bw, std::size_t chunk) {
    std::uint64_t z = seed ^ (static_cast<std::uint64_t>(ba) << 40) ^
                      (static_cast<std::uint64_t>(bw) << 32) ^ static_cast<std::uint64_t>(chunk);
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

Model sakr_quantize_weights(const Model& model, int bw) {
    Model q = model;
    if (bw < 2) return q;
    const Format w =
        *Format::parse("fixed:w=" + std::to_string(bw) + ",f=" + std::to_string(bw - 1));
    // As the weights role does in predict_scores: every weight entry, nearest-even; not biases.
    for (Layer& L : q.layers)
        if (L.weight.size())
            w.quantize(L.weight.data(), L.weight.data(), static_cast<std::size_t>(L.weight.size()));
    return q;
}

std::vector<int> sakr_fixed_decisions_quantized(const Model& quantized, const Dataset& data,
                                                int ba) {
    std::vector<int> out(data.size());
    if (data.size() == 0 || quantized.layers.empty()) return out;
    if (ba < 2) return {};
    // The conventions of sakr_simulate (README): inputs in [-1, 1] as fixed:w=B_A,f=B_A-1,
    // hidden activations in [0, 2] as ufixed (fixed after tanh / none); the weights come
    // quantized, so the weights role stays empty (quantizing again would change nothing).
    const std::string bits_a = std::to_string(ba), frac_a = std::to_string(ba - 1);
    Dataset q = data;
    const Format input = *Format::parse("fixed:w=" + bits_a + ",f=" + frac_a);
    input.quantize(q.x.data(), q.x.data(), q.x.size());
    bool unsigned_acts = true;
    for (std::size_t l = 0; l + 1 < quantized.layers.size(); ++l)
        unsigned_acts &= quantized.layers[l].kind == LayerKind::maxpool2d ||  // passes its input on
                         activation_nonnegative(quantized.layers[l]);
    EvalOptions o;
    o.roles.activations = (unsigned_acts ? "ufixed:w=" : "fixed:w=") + bits_a + ",f=" + frac_a;
    const Matrix z = predict_scores(quantized, q, o);
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
        const Eigen::Matrix<float, 1, Eigen::Dynamic> row = z.row(i);
        out[static_cast<std::size_t>(i)] = first_max(row.data(), static_cast<int>(z.cols()));
    }
    return out;
}

std::vector<int> sakr_fixed_decisions(const Model& model, const Dataset& data, int ba, int bw) {
    // fixed:w=1 does not exist (a sign and no magnitude): no network below 2 bits.
    if (ba < 2 || bw < 2) return {};
    return sakr_fixed_decisions_quantized(sakr_quantize_weights(model, bw), data, ba);
}

struct SakrSimJob::State {
    Model model;
    Dataset data;
    bool have_data = false;
    Matrix noise_rows;
    bool have_noise = false;
    SakrSimOptions o;
    std::vector<std::pair<int, int>> precisions;
    SakrSimResult r;             // float_decisions filled as they are computed
    std::size_t float_next = 0;  // rows of float decisions done
    // The precision being simulated: its phase (0 fixed, 1 noise) and the next row of it.
    std::size_t current = 0;
    int phase = 0;
    std::size_t next = 0;
    SakrSimPoint work;
    Model quantized;  // the model with the current precision's weights quantized, once
    long long wrong = 0, mismatch = 0;
    double noise_linear = 0, noise_exact = 0;  // sums weighted by trials
};

SakrSimJob::SakrSimJob(const Model& model, const Dataset* data, const Matrix* noise_rows,
                       std::vector<int> float_decisions,
                       std::vector<std::pair<int, int>> precisions, const SakrSimOptions& options)
    : s_(std::make_unique<State>()) {
    State& s = *s_;
    s.model = model;
    s.o = options;
    s.o.rows_per_unit = std::max(1, options.rows_per_unit);
    s.precisions = std::move(precisions);
    if (model.layers.empty()) {
        fail_now(Status::error("the model has no layers"));
        return;
    }
    for (const auto& [ba, bw] : s.precisions)
        if (ba < 1 || ba > 24 || bw < 1 || bw > 24) {
            fail_now(Status::error("bit widths must be in 1..24 (got B_A = " + std::to_string(ba) +
                                   ", B_W = " + std::to_string(bw) + ")"));
            return;
        }
    if (data && data->size() > 0) {
        for (const auto& [ba, bw] : s.precisions)
            if (ba < 2 || bw < 2) {
                fail_now(
                    Status::error("the fixed-point network needs B_A, B_W >= 2 (fixed:w=1 does "
                                  "not exist), got B_A = " +
                                  std::to_string(ba) + ", B_W = " + std::to_string(bw)));
                return;
            }
        if (data->features != model.inputs()) {
            fail_now(Status::error("the data has " + std::to_string(data->features) +
                                   " features, the model takes " + std::to_string(model.inputs())));
            return;
        }
        s.data = *data;
        sakr_clip_inputs(s.data);  // as the analysis sees them (sakr.hpp)
        s.have_data = true;
        if (float_decisions.size() == data->size()) {
            s.r.float_decisions = std::move(float_decisions);
            s.r.float_ready = true;
        } else {
            s.r.float_decisions.assign(data->size(), 0);
        }
    }
    if (noise_rows && noise_rows->rows() > 0 && options.noise_trials > 0) {
        s.noise_rows = *noise_rows;
        s.have_noise = true;
    }
    s.phase = s.have_data ? 0 : 1;
    if (is_done()) finish_now();
}

SakrSimJob::~SakrSimJob() = default;

bool SakrSimJob::is_done() const {
    const State& s = *s_;
    if (s.have_data && !s.r.float_ready) return false;
    if (!s.have_data && !s.have_noise) return true;
    return s.current >= s.precisions.size();
}

JobProgress SakrSimJob::progress() const {
    const State& s = *s_;
    JobProgress p;
    const auto per = static_cast<long long>(s.o.rows_per_unit);
    // A noise unit takes fewer rows (see do_unit).
    const auto noise_per = std::max(1LL, per / (1 + s.o.noise_trials));
    const auto units = [](std::size_t rows, long long step) {
        return (static_cast<long long>(rows) + step - 1) / step;
    };
    const long long data_units = s.have_data ? units(s.data.size(), per) : 0;
    const long long noise_units =
        s.have_noise ? units(static_cast<std::size_t>(s.noise_rows.rows()), noise_per) : 0;
    const long long per_precision = data_units + noise_units;
    p.total = (s.have_data ? data_units : 0) +
              per_precision * static_cast<long long>(s.precisions.size());
    if (s.have_data && !s.r.float_ready) {
        p.done = units(s.float_next, per);
        p.stage = "float decisions: " + std::to_string(s.float_next) + " of " +
                  std::to_string(s.data.size()) + " rows";
        return p;
    }
    p.done = (s.have_data ? data_units : 0) + per_precision * static_cast<long long>(s.current) +
             (s.phase == 1 ? data_units : 0) + units(s.next, s.phase == 1 ? noise_per : per);
    p.done = std::min(p.done, p.total);
    if (s.current < s.precisions.size())
        p.stage = std::string(s.phase == 0 ? "fixed point" : "noise") +
                  " at B_A = " + std::to_string(s.precisions[s.current].first) +
                  ", B_W = " + std::to_string(s.precisions[s.current].second);
    return p;
}

const std::vector<int>& SakrSimJob::float_decisions() const {
    static const std::vector<int> none;
    return s_->r.float_ready ? s_->r.float_decisions : none;
}
bool SakrSimJob::float_ready() const {
    return s_->r.float_ready;
}
const std::vector<SakrSimPoint>& SakrSimJob::points() const {
    return s_->r.points;
}
const SakrSimResult& SakrSimJob::result() const {
    return s_->r;
}

Status SakrSimJob::do_unit() {
    State& s = *s_;
    const auto per = static_cast<std::size_t>(s.o.rows_per_unit);
    if (s.have_data && !s.r.float_ready) {
        const std::size_t end = std::min(s.data.size(), s.float_next + per);
        const std::vector<int> d = qlab::float_decisions(s.model, slice(s.data, s.float_next, end));
        std::copy(d.begin(), d.end(),
                  s.r.float_decisions.begin() + static_cast<long>(s.float_next));
        s.float_next = end;
        s.r.float_ready = end >= s.data.size();
        return Status::success();
    }
    if (s.current >= s.precisions.size()) return Status::success();
    const auto [ba, bw] = s.precisions[s.current];
    if (s.next == 0 && s.phase == (s.have_data ? 0 : 1)) {
        s.work = SakrSimPoint{};
        s.work.ba = ba, s.work.bw = bw;
        s.wrong = s.mismatch = 0;
        s.noise_linear = s.noise_exact = 0;
        if (s.have_data) s.quantized = sakr_quantize_weights(s.model, bw);
    }
    if (s.phase == 0) {
        const std::size_t end = std::min(s.data.size(), s.next + per);
        const std::vector<int> d =
            sakr_fixed_decisions_quantized(s.quantized, slice(s.data, s.next, end), ba);
        for (std::size_t i = s.next; i < end; ++i) {
            const int v = d[i - s.next];
            s.work.decisions.push_back(v);
            s.mismatch += v != s.r.float_decisions[i];
            s.wrong += v != s.data.y[i];
        }
        s.next = end;
        if (end >= s.data.size()) {
            const auto n = static_cast<double>(s.data.size());
            s.work.fixed = true;
            s.work.p_m = static_cast<double>(s.mismatch) / n;
            s.work.error = static_cast<double>(s.wrong) / n;
            s.next = 0;
            s.phase = 1;
        }
    } else if (s.have_noise) {
        const auto rows = static_cast<std::size_t>(s.noise_rows.rows());
        // Noise costs a backward pass plus `trials` forward passes per row: fewer rows a unit.
        const std::size_t step =
            std::max<std::size_t>(1, per / static_cast<std::size_t>(1 + s.o.noise_trials));
        const std::size_t end = std::min(rows, s.next + step);
        const SakrNoiseResult r =
            sakr_noise_mc(s.model,
                          s.noise_rows.middleRows(static_cast<Eigen::Index>(s.next),
                                                  static_cast<Eigen::Index>(end - s.next)),
                          ba, bw, s.o.noise_trials, chunk_seed(s.o.seed, ba, bw, s.next));
        s.noise_linear += r.p_m_linear * static_cast<double>(r.trials);
        s.noise_exact += r.p_m_exact * static_cast<double>(r.trials);
        s.work.noise_trials += r.trials;
        s.next = end;
        if (end >= rows) {
            s.work.noise = s.work.noise_trials > 0;  // sakr_noise_mc takes dense layers only
            const auto t = static_cast<double>(std::max(1LL, s.work.noise_trials));
            s.work.p_m_noise_linear = s.noise_linear / t;
            s.work.p_m_noise_exact = s.noise_exact / t;
            s.next = 0;
            s.phase = 2;
        }
    } else {
        s.phase = 2;
    }
    if (s.phase == 2) {
        s.r.points.push_back(std::move(s.work));
        s.work = SakrSimPoint{};
        ++s.current;
        s.phase = s.have_data ? 0 : 1;
        s.next = 0;
    }
    return Status::success();
}

}  // namespace qlab
