// The Perceptron lesson's data and jobs (see perceptron_lesson.hpp): building the 2-D set from the
// state, the traced training job, and the format sweep.
#include "perceptron_lesson.hpp"

#include <algorithm>
#include <cmath>

namespace quantlab::perceptron {

using qlab::shortest_repr;

TrainingRun::TrainingRun(const qlab::Dataset& train, const qlab::QuantizedLinearOptions& options,
                         qlab::QuantizedLinearAlgorithm algorithm)
    : inner_(train, nullptr, options, algorithm) {
    trace_.emplace_back(0, 0);
    if (inner_.state() == qlab::JobState::failed)
        fail_now(inner_.status());
    else if (!inner_.running())
        finish_now();
}

qlab::Status TrainingRun::do_unit() {
    inner_.step(1);
    ++visited_;
    if (inner_.mistakes() != trace_.back().second) trace_.emplace_back(visited_, inner_.mistakes());
    if (inner_.state() == qlab::JobState::failed) return inner_.status();
    return qlab::Status::success();
}

std::string grid_text(const std::string& key) {
    // Cherkhev Table 2 (lattice range x points per axis) and Tables 3-4 (exponent bits x bit
    // budget, no subnormals, saturating), at sizes a browser sweeps in a second or two.
    if (key == "float") return "float:e={2,3,4},bits={5,6,7,8},sub=0,sat=1";
    if (const qlab::CherkhevTable* t = paper_table(key)) return t->grid;
    return "lattice:range={0.5,1,2,4},points={4,8,16,32,64}";
}

const qlab::CherkhevTable* paper_table(const std::string& key) {
    if (key == "range" || key == "float") return nullptr;
    return qlab::find_cherkhev_table(key);
}

qlab::SweepPlan sweep_plan(const qlab::LabState& s) {
    qlab::SweepPlan plan;
    auto p = qlab::parse_sweep_protocol(s.protocol);
    plan.protocol = p ? *p : qlab::SweepProtocol::paper;
    plan.test_fraction = 0.2;  // qlab sweep's default --test-fraction
    plan.seed = static_cast<std::uint64_t>(s.seed);
    return plan;
}

std::string substitute_source(const std::string& sdata) {
    return sdata == "mnist4v9" ? "mnist" : sdata == "fashion5v7" ? "fashion" : "";
}

std::string sweep_data_label(const std::string& sdata, const qlab::Dataset& own) {
    return sdata == "mnist4v9"     ? "MNIST 4 vs 9"
           : sdata == "fashion5v7" ? "Fashion 5 vs 7, binarized"
                                   : own.name;
}

qlab::Result<qlab::Split> substitute_split(const std::string& sdata, const qlab::Dataset& full,
                                           const qlab::SweepPlan& plan) {
    const bool fashion = sdata == "fashion5v7";
    if (!fashion && sdata != "mnist4v9")
        return qlab::Status::error("'" + sdata + "' is not a substitute data set");
    auto pair = qlab::class_pair(full, fashion ? 5 : 4, fashion ? 7 : 9);
    if (!pair) return pair.status();
    qlab::SplitOptions o;
    o.test_fraction = qlab::sweep_protocol_scores_test(plan.protocol) ? plan.test_fraction : 0;
    o.seed = plan.seed;
    o.normalization =
        fashion ? qlab::Normalization::none : qlab::Normalization::scale_to_unit_range;
    return qlab::prepare_split(fashion ? qlab::binarized(*pair, 0.5) : *pair, o);
}

void SweepRun::start(AnalysisRunner* runner, const qlab::Dataset& data,
                     const qlab::SweepRequest& request, const MakeLocal& make_local) {
    // The page's own job is cheap to build (it references or copies small data and splits it):
    // its result is what shows until the worker's first message, and it stays when it failed.
    std::unique_ptr<qlab::SweepJob> probe = make_local();
    initial_ = probe->result();
    const qlab::JobProgress expected = probe->progress();
    if (probe->state() == qlab::JobState::failed) runner = nullptr;
    if (runner && runner->ready()) probe.reset();
    auto shared = std::make_shared<std::unique_ptr<qlab::SweepJob>>(std::move(probe));
    a_.start(
        runner, {"sweep", nullptr, &data, qlab::to_bytes(request)},
        [shared, make_local] { return *shared ? std::move(*shared) : make_local(); }, expected);
}

std::vector<PaperRow> paper_beside(const SweepRun& sweep, const qlab::CherkhevTable& table) {
    // Printed row r is our grid row table.grid_row[r] (as qlab sweep --table pairs them).
    std::vector<PaperRow> rows;
    const std::size_t columns = sweep.grid().columns();
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        PaperRow row{table.rows[r], {}};
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            PaperCell cell;
            cell.paper = table.cell(r, c);
            const int g = table.grid_row[r];
            const std::size_t k = static_cast<std::size_t>(g) * columns + c;
            if (g < 0 || c >= columns || k >= sweep.cells().size()) {
                cell.ours_na = true;
            } else {
                const qlab::SweepCell& sc = sweep.cells()[k];
                cell.ours_done = sc.done;
                cell.ours_dash = !sc.possible;
                if (sc.done && sc.possible && sc.error.empty()) cell.ours = 100 * sweep.score(sc);
            }
            row.cells.push_back(cell);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

qlab::QuantizedLinearOptions training_options(const qlab::LabState& s) {
    qlab::QuantizedLinearOptions o;
    o.format = s.atoms;
    o.epochs = 50;
    o.steps = 2000;
    o.seed = static_cast<std::uint64_t>(s.seed);
    return o;
}

qlab::QuantizedLinearAlgorithm algorithm_of(const qlab::LabState& s) {
    return s.algo == "frank-wolfe" ? qlab::QuantizedLinearAlgorithm::frank_wolfe
                                   : qlab::QuantizedLinearAlgorithm::perceptron;
}

std::vector<std::string> Lesson::rebuild_data(const qlab::LabState& s) {
    std::vector<std::string> problems;
    drop_jobs();
    const auto seed = static_cast<std::uint64_t>(s.seed);
    const int n = static_cast<int>(s.n);
    if (s.set == "linear") {
        qlab::LinearOptions o;
        o.count = n, o.margin = s.margin, o.seed = seed;
        generated = qlab::make_linear(o);
    } else if (s.set == "synth01" || s.set == "synth02") {
        auto d = qlab::load_data_spec("synth:" + s.set + ":seed=" + shortest_repr(s.seed));
        if (d)
            generated = std::move(d).value();
        else
            problems.push_back(d.status().message()), generated = qlab::Dataset{};
    } else {
        qlab::PlaygroundOptions o;
        o.shape = s.set == "xor"      ? qlab::PlaygroundShape::xor_quadrants
                  : s.set == "gauss"  ? qlab::PlaygroundShape::gauss
                  : s.set == "spiral" ? qlab::PlaygroundShape::spiral
                                      : qlab::PlaygroundShape::circle;
        o.count = n, o.noise = s.noise, o.seed = seed;
        generated = qlab::make_playground(o);
        for (float& v : generated.x) v = static_cast<float>(v * kPlaygroundScale);
    }
    generated.features = 2, generated.classes = 2;

    auto add = qlab::parse_added_points(s.add);
    added = add ? std::move(add).value() : std::vector<qlab::AddedPoint>{};
    auto rem = qlab::parse_index_list(s.remove);
    removed = rem ? std::move(rem).value() : std::vector<int>{};
    std::vector<char> gone(generated.size(), 0);
    for (int i : removed) {
        if (i >= 0 && static_cast<std::size_t>(i) < generated.size())
            gone[static_cast<std::size_t>(i)] = 1;
        else
            problems.push_back("removed point " + std::to_string(i) + " is not in " + s.set +
                               " (it has " + std::to_string(generated.size()) +
                               " points); ignored");
    }

    train = qlab::Dataset{};
    train.name = "perceptron:" + s.set;
    train.features = 2, train.classes = 2;
    train.class_names = {"class 0", "class 1"};
    sources.clear();
    for (std::size_t i = 0; i < generated.size(); ++i) {
        if (gone[i]) continue;
        train.x.push_back(generated.row(i)[0]);
        train.x.push_back(generated.row(i)[1]);
        train.y.push_back(generated.y[i]);
        sources.push_back({static_cast<int>(i), -1});
    }
    for (std::size_t k = 0; k < added.size(); ++k) {
        train.x.push_back(static_cast<float>(added[k].x));
        train.x.push_back(static_cast<float>(added[k].y));
        train.y.push_back(added[k].label);
        sources.push_back({-1, static_cast<int>(k)});
    }
    // The view: [-1.5, 1.5]^2, or wider when the data reaches further (synth01 goes to 6.9).
    double reach = 0;
    for (float v : train.x) reach = std::max(reach, static_cast<double>(std::fabs(v)));
    view_half = std::max(1.5, std::ceil(reach * 1.1 * 2) / 2);
    return problems;
}

std::vector<std::string> Lesson::rebuild_training(const qlab::LabState& s) {
    std::vector<std::string> problems;
    run.reset();
    result_of_ = nullptr;
    format.reset();
    format_error.clear();
    training_error.clear();
    auto f = qlab::Format::parse(s.atoms);
    if (!f) {
        format_error = f.status().message();
        problems.push_back(format_error);
        return problems;
    }
    format = *f;
    if (format->data_dependent())
        format = format->fit(std::vector<double>(train.x.begin(), train.x.end()));
    run = std::make_unique<TrainingRun>(train, training_options(s), algorithm_of(s));
    if (run->state() == qlab::JobState::failed) training_error = run->status().message();
    return problems;
}

std::vector<std::string> Lesson::rebuild_sweep(const qlab::LabState& s,
                                               const qlab::Dataset* substitute_full) {
    std::vector<std::string> problems;
    sweep.reset();
    sweep_error.clear();
    sweep_waiting.clear();
    sweep_data = s.sdata;
    sweep_grid = grid_text(s.grid);
    sweep_table = paper_table(s.grid);
    sweep_protocol = sweep_plan(s);
    auto grid = qlab::expand_grid(sweep_grid);
    if (!grid) {
        sweep_error = grid.status().message();
        problems.push_back(sweep_error);
        return problems;
    }
    qlab::QuantizedLinearOptions o = training_options(s);
    o.compute_margin = false;   // as qlab sweep: gamma costs many passes and the cells need none
    if (s.sdata != "points") {  // as qlab sweep --data mnist@classes=4/9 --table ...
        if (!substitute_full) {
            sweep_waiting = "loading " + substitute_source(s.sdata) + " for the heatmap";
            return problems;
        }
        auto split = substitute_split(s.sdata, *substitute_full, sweep_protocol);
        if (!split) {
            sweep_error = split.status().message();
            problems.push_back(sweep_error);
            return problems;
        }
        substitute = std::move(split).value();
        o.epochs = qlab::sweep_protocol_epochs(sweep_protocol.protocol);
        const bool scores_test = qlab::sweep_protocol_scores_test(sweep_protocol.protocol);
        qlab::SweepRequest q{std::move(grid).value(),
                             o,
                             algorithm_of(s),
                             false,
                             {},
                             scores_test,
                             scores_test ? substitute.test : qlab::Dataset{}};
        sweep = std::make_unique<SweepRun>();
        sweep->start(analyses, substitute.train, q, [this, q] {
            return std::make_unique<qlab::SweepJob>(substitute.train,
                                                    q.has_test ? &substitute.test : nullptr, q.grid,
                                                    q.base, q.algorithm);
        });
    } else {
        qlab::SweepRequest q{std::move(grid).value(), o,     algorithm_of(s), true,
                             sweep_protocol,          false, qlab::Dataset{}};
        sweep = std::make_unique<SweepRun>();
        sweep->start(analyses, train, q, [this, q] {
            return std::make_unique<qlab::SweepJob>(train, q.grid, q.base, q.plan, q.algorithm);
        });
    }
    if (sweep->state() == qlab::JobState::failed) {
        sweep_error = sweep->status().message();
        problems.push_back(sweep_error);
    }
    return problems;
}

const qlab::QuantizedLinearResult& Lesson::result() const {
    if (!trainable()) {
        result_ = qlab::QuantizedLinearResult{};
        result_of_ = nullptr;
        return result_;
    }
    if (result_of_ != run.get() || result_at_ != run->visited()) {
        result_ = run->inner().result();
        result_of_ = run.get();
        result_at_ = run->visited();
    }
    return result_;
}

// ---- the state machine ----------------------------------------------------------------------

void Lesson::on_state_changed(const std::vector<std::string>& keys) {
    for (const std::string& k : keys) {
        if (k == "set" || k == "n" || k == "noise" || k == "margin" || k == "seed" || k == "add" ||
            k == "remove")
            dirty_data_ = dirty_training_ = dirty_sweep_ = true;
        if (k == "atoms") dirty_training_ = true;
        if (k == "algo") dirty_training_ = dirty_sweep_ = true;
        if (k == "grid" || k == "protocol" || k == "sdata") dirty_sweep_ = true;
    }
}

std::vector<std::string> Lesson::ensure(const qlab::LabState& s,
                                        const qlab::Dataset* substitute_full) {
    std::vector<std::string> problems;
    const auto add = [&](std::vector<std::string> more) {
        problems.insert(problems.end(), more.begin(), more.end());
    };
    if (dirty_data_) {
        add(rebuild_data(s));  // drops both jobs: they point at the old data
        dirty_training_ = dirty_sweep_ = true;
    }
    const bool new_run = dirty_training_;
    if (dirty_training_) add(rebuild_training(s));
    // A substitute that was loading is here now: the heatmap starts on it.
    if (!sweep_waiting.empty() && substitute_full) dirty_sweep_ = true;
    if (dirty_sweep_) add(rebuild_sweep(s, substitute_full));
    if (new_run && !training_error.empty()) problems.push_back(training_error);
    dirty_data_ = dirty_training_ = dirty_sweep_ = false;
    // A run the learner started keeps running on the new data or atoms.
    if (running_ && !(trainable() && run->running())) running_ = false;
    return problems;
}

std::vector<std::string> Lesson::restart(const qlab::LabState& s) {
    running_ = false;
    std::vector<std::string> problems = rebuild_training(s);
    if (!training_error.empty()) problems.push_back(training_error);
    return problems;
}

std::vector<std::string> Lesson::toggle_run(const qlab::LabState& s) {
    std::vector<std::string> problems = ensure(s);
    if (running()) {
        running_ = false;
        return problems;
    }
    // A finished or cancelled run starts over; a paused one continues.
    if (run && !run->running()) {
        const std::vector<std::string> more = restart(s);
        problems.insert(problems.end(), more.begin(), more.end());
    }
    running_ = trainable() && run->running();
    return problems;
}

int Lesson::step(int n) {
    if (!trainable()) return 0;
    int done = 0;
    for (; done < n && run->running(); ++done) run->step(1);
    return done;
}

bool Lesson::converged() const {
    if (!trainable()) return false;
    const qlab::QuantizedLinearResult& r = result();
    if (run->inner().algorithm() == qlab::QuantizedLinearAlgorithm::perceptron) return r.converged;
    return !run->running() && r.train_accuracy == 1.0;
}

}  // namespace quantlab::perceptron
