// qlab sweep: accuracy over a grid of formats (Cherkhev Tables 2-4) as a heatmap table or JSON;
// the grid and the per-cell training are core's SweepJob.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "qlab/cherkhev.hpp"
#include "qlab/sweep.hpp"

namespace qlab::cli {
namespace {

struct SweepArgs {
    std::string grid, table, protocol = qlab::sweep_protocol_name(qlab::SweepProtocol::paper);
    bool epochs_given = false;
};

std::string percent(double v) {
    char b[16];
    std::snprintf(b, sizeof b, "%.1f", 100 * v);
    return b;
}

// The grid to sweep: --grid, or --table's grid (with the paper's table to print beside ours);
// prints the message and returns false on bad input.
bool resolve_grid(const SweepArgs& sw, const qlab::CherkhevTable*& paper, std::string& grid_text) {
    grid_text = sw.grid;
    if (!sw.table.empty()) {
        paper = qlab::find_cherkhev_table(sw.table);
        if (!paper) {
            std::cerr << "qlab sweep: --table: unknown table '" << sw.table
                      << "' (known: " << qlab::cherkhev_table_ids() << ")\n";
            return false;
        }
        if (!grid_text.empty()) {
            std::cerr << "qlab sweep: give either --grid or --table\n";
            return false;
        }
        grid_text = paper->grid;
    }
    if (grid_text.empty()) {
        std::cerr << "qlab sweep: give --grid SPEC or --table ID (" << qlab::cherkhev_table_ids()
                  << ")\n";
        return false;
    }
    {  // a syntax error names --grid; a bad cell (below) names its spec
        std::vector<std::string> choices;
        std::vector<std::vector<std::string>> axes;
        if (qlab::Status s = qlab::expand_choices(grid_text, choices, axes); !s) {
            std::cerr << "qlab sweep: --grid: " << s.message() << "\n";
            return false;
        }
    }
    return true;
}

// One JSON object per cell; impossible[i] is true for a "-" cell (no such format).
nlohmann::json cells_json(const qlab::SweepJob& job, std::vector<bool>& impossible) {
    nlohmann::json cells = nlohmann::json::array();
    for (const qlab::SweepCell& c : job.cells()) {
        impossible.push_back(!c.possible);  // a "-" cell
        if (!c.possible) {
            cells.push_back({{"spec", c.spec}, {"possible", false}});
            continue;
        }
        nlohmann::json j = linear_result_json(c.result);
        for (const char* k :
             {"weights", "history", "margin", "delta", "delta_kind", "delta_box", "observed_delta",
              "mistake_bound", "mistake_bound_safe", "vector_atoms", "start_norm"})
            j.erase(k);
        j["spec"] = c.spec;
        j["accuracy"] = job.score(c);
        cells.push_back(j);
    }
    return cells;
}

// The paper's table beside ours: printed row r is our grid row paper.grid_row[r].
nlohmann::json paper_json(const qlab::CherkhevTable& paper, const qlab::SweepJob& job,
                          const std::vector<bool>& impossible) {
    const std::size_t columns = job.grid().columns();
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t r = 0; r < paper.rows.size(); ++r) {
        nlohmann::json row = {{"row", paper.rows[r]}};
        nlohmann::json pc = nlohmann::json::array(), ours = nlohmann::json::array();
        for (std::size_t c = 0; c < paper.columns.size(); ++c) {
            const double v = paper.cell(r, c);
            pc.push_back(std::isnan(v) ? nlohmann::json("-") : nlohmann::json(v));
            const int g = paper.grid_row[r];
            if (g < 0) {
                ours.push_back(nullptr);
                continue;
            }
            const std::size_t k = static_cast<std::size_t>(g) * columns + c;
            ours.push_back(impossible[k] ? nlohmann::json("-")
                                         : nlohmann::json(100 * job.score(job.cells()[k])));
        }
        row["paper"] = pc;
        row["ours"] = ours;
        rows.push_back(row);
    }
    return {{"table", paper.id},
            {"title", paper.title},
            {"dataset", paper.dataset},
            {"majority", paper.majority},
            {"max_accuracy", paper.max_accuracy},
            {"columns", paper.columns},
            {"rows", rows},
            {"note", paper.note}};
}

// A grid without two axes: one line per spec.
void print_cell_list(const qlab::SweepJob& job, const std::vector<bool>& impossible) {
    const std::vector<std::string>& specs = job.grid().specs;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::string& spec = specs[i];
        if (impossible[i]) {
            std::printf("%-44s      -\n", spec.c_str());
            continue;
        }
        const qlab::SweepCell& c = job.cells()[i];
        std::printf("%-44s %6.1f%s\n", spec.c_str(), 100 * job.score(c),
                    c.result.ended_in_sink ? "*" : "");
    }
}

// A heatmap table: rows are the first {...}, columns the second (accuracy, %).
void print_heatmap(const qlab::SweepJob& job, const std::vector<bool>& impossible) {
    const std::vector<std::vector<std::string>>& axes = job.grid().axes;
    std::printf("%12s", "");
    for (const auto& c : axes[1]) std::printf(" %7s", c.c_str());
    std::printf("\n");
    for (std::size_t i = 0; i < axes[0].size(); ++i) {
        std::printf("%12s", axes[0][i].c_str());
        for (std::size_t j = 0; j < axes[1].size(); ++j) {
            const std::size_t k = i * axes[1].size() + j;
            if (impossible[k]) {
                std::printf(" %6s ", "-");
                continue;
            }
            const qlab::SweepCell& c = job.cells()[k];
            std::printf(" %6s%s", percent(job.score(c)).c_str(),
                        c.result.ended_in_sink ? "*" : " ");
        }
        std::printf("\n");
    }
}

// The paper's cells beside ours, "paper | ours" per cell.
void print_paper_table(const qlab::CherkhevTable& paper, const qlab::SweepJob& job,
                       const std::vector<bool>& impossible) {
    const std::size_t columns = job.grid().columns();
    std::printf("\nCherkhev %s; %s majority %.0f%%, max %.0f%%. Paper | ours:\n",
                paper.title.c_str(), paper.dataset.c_str(), paper.majority, paper.max_accuracy);
    std::printf("%-14s", "");
    for (const auto& c : paper.columns) std::printf(" %13s", c.c_str());
    std::printf("\n");
    for (std::size_t r = 0; r < paper.rows.size(); ++r) {
        std::printf("%-14s", paper.rows[r].c_str());
        for (std::size_t c = 0; c < paper.columns.size(); ++c) {
            const double v = paper.cell(r, c);
            std::string ours = "n/a";
            if (const int g = paper.grid_row[r]; g >= 0) {
                const std::size_t k = static_cast<std::size_t>(g) * columns + c;
                ours = impossible[k] ? "-" : percent(job.score(job.cells()[k]));
            }
            char cell[32];
            std::snprintf(cell, sizeof cell, "%s | %s",
                          std::isnan(v) ? "-" : std::to_string(static_cast<int>(v)).c_str(),
                          ours.c_str());
            std::printf(" %13s", cell);
        }
        std::printf("\n");
    }
    std::printf("(%s; n/a: no such format in the lab)\n", paper.note.c_str());
}

// --protocol: the passes (unless --epochs was given) and whether cells are scored on held-out
// data; prints the message and returns false on bad input.
bool apply_protocol(TrainArgs& args, const SweepArgs& sw, bool& scores_test) {
    auto protocol = qlab::parse_sweep_protocol(sw.protocol);
    if (!protocol) {
        std::cerr << "qlab sweep: --protocol: " << protocol.status().message() << "\n";
        return false;
    }
    // Cherkhev §4.2: 3 passes, test accuracy (paper); or 50 passes, training accuracy.
    if (!sw.epochs_given) args.epochs = qlab::sweep_protocol_epochs(*protocol);
    scores_test = qlab::sweep_protocol_scores_test(*protocol);
    if (scores_test && !(args.test_fraction > 0)) {
        std::cerr << "qlab sweep: the paper's protocol scores held-out data: --test-fraction must "
                     "be above 0 (or use --protocol converge)\n";
        return false;
    }
    return true;
}

int run_sweep(TrainArgs& args, const SweepArgs& sw) {
    qlab::QuantizedLinearAlgorithm algorithm{};
    if (!pick_algorithm("sweep", args.model, algorithm)) return kExitBadInput;
    bool scores_test = false;
    if (!apply_protocol(args, sw, scores_test)) return kExitBadInput;
    const qlab::CherkhevTable* paper = nullptr;
    std::string grid_text;
    if (!resolve_grid(sw, paper, grid_text)) return kExitBadInput;
    // Cherkhev Tables 3-4 count floats by their bit budget: float:e=E,bits=B means 1 sign bit,
    // E exponent bits and B - 1 - E mantissa bits; budgets that leave no mantissa bit are "-".
    auto grid = qlab::expand_grid(grid_text);
    if (!grid) {
        std::cerr << "qlab sweep: " << grid.status().message() << "\n";
        return kExitBadInput;
    }
    qlab::Rounding rounding{};
    if (!parse_rounding_for("sweep", args.rounding, rounding)) return kExitBadInput;
    PreparedData data;
    if (!scores_test) args.test_fraction = 0;  // converge: every row trains and is scored
    if (!prepare_data("sweep", args, data)) return kExitBadInput;
    const qlab::Dataset* test = scores_test ? &data.split.test : nullptr;
    qlab::QuantizedLinearOptions o;
    o.rounding = rounding;
    o.epochs = args.epochs;
    o.steps = args.steps;
    o.seed = args.seed;
    o.compute_margin = false;  // the tables need accuracies; gamma costs 20000 passes per cell
    qlab::SweepJob job(data.split.train, test, std::move(grid).value(), o, algorithm);
    ProgressLine line;
    while (job.step(1))
        if (line.due()) line.show(job.progress().stage);
    line.clear();
    if (job.state() == qlab::JobState::failed) {
        std::cerr << "qlab sweep: " << job.status().message() << "\n";
        return kExitBadInput;
    }
    std::vector<bool> impossible;
    const nlohmann::json cells = cells_json(job, impossible);
    if (args.json) {
        nlohmann::json out{{"data", args.data},
                           {"model", args.model},
                           {"grid", grid_text},
                           {"protocol", sw.protocol},
                           {"epochs", args.epochs},
                           {"scored_on", scores_test ? "test" : "train"},
                           {"train_size", data.split.train.size()},
                           {"test_size", scores_test ? data.split.test.size() : 0},
                           {"cells", cells}};
        if (paper) out["paper"] = paper_json(*paper, job, impossible);
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf(
        "%s on %s: %s accuracy %% after %d pass(es) (protocol %s); * = learning ended "
        "stuck in a sink; - = no such format\n",
        args.model.c_str(), args.data.c_str(), scores_test ? "test" : "training", args.epochs,
        sw.protocol.c_str());
    if (job.grid().axes.size() != 2) {
        print_cell_list(job, impossible);
        return 0;
    }
    print_heatmap(job, impossible);
    if (paper) print_paper_table(*paper, job, impossible);
    return 0;
}

}  // namespace

Subcommand add_sweep(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    auto sw = std::make_shared<SweepArgs>();
    CLI::App* c = app.add_subcommand(
        "sweep", "Accuracy over a grid of formats (Cherkhev Tables 2-4), the paper's cells beside");
    add_training_options(c, *args);
    c->get_option("--epochs")
        ->description("perceptron passes (default: 3 with --protocol paper, 50 with converge)");
    c->add_option("--grid", sw->grid,
                  "format spec with {a,b,...} choices, e.g. lattice:range={0.5,1},points={8,16}");
    c->add_option("--table", sw->table,
                  "a Cherkhev table's grid, with its printed cells beside ours: 2, 3-fixed, "
                  "3-float, 4-fixed or 4-float");
    c->add_option("--protocol", sw->protocol,
                  "paper (default: 3 passes, test accuracy, as Cherkhev §4.2) or converge (50 "
                  "passes, training accuracy)");
    return {c, [args, sw, c] {
                sw->epochs_given = c->count("--epochs") > 0;
                return run_sweep(*args, *sw);
            }};
}

}  // namespace qlab::cli
