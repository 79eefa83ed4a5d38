// qlab sweep: accuracy over a grid of formats (Cherkhev Tables 2-4) as a heatmap table or JSON;
// the grid and the per-cell training are core's SweepJob.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "qlab/sweep.hpp"

namespace qlab::cli {
namespace {

int run_sweep(const TrainArgs& args, const std::string& grid_text) {
    qlab::QuantizedLinearAlgorithm algorithm{};
    if (!pick_algorithm("sweep", args.model, algorithm)) return kExitBadInput;
    {  // a syntax error names --grid; a bad cell (below) names its spec
        std::vector<std::string> choices;
        std::vector<std::vector<std::string>> axes;
        if (qlab::Status s = qlab::expand_choices(grid_text, choices, axes); !s) {
            std::cerr << "qlab sweep: --grid: " << s.message() << "\n";
            return kExitBadInput;
        }
    }
    // Cherkhev Tables 3-4 count floats by their bit budget: float:e=E,bits=B means 1 sign bit,
    // E exponent bits and B - 1 - E mantissa bits; budgets too small for E become "-" cells.
    auto grid = qlab::expand_grid(grid_text);
    if (!grid) {
        std::cerr << "qlab sweep: " << grid.status().message() << "\n";
        return kExitBadInput;
    }
    qlab::Rounding rounding{};
    if (!parse_rounding_for("sweep", args.rounding, rounding)) return kExitBadInput;
    PreparedData data;
    if (!prepare_data("sweep", args, data)) return kExitBadInput;
    const qlab::Dataset* test = data.split.test.size() ? &data.split.test : nullptr;
    qlab::QuantizedLinearOptions o;
    o.rounding = rounding;
    o.epochs = args.epochs;
    o.steps = args.steps;
    o.seed = args.seed;
    qlab::SweepJob job(data.split.train, test, std::move(grid).value(), o, algorithm);
    const std::vector<std::string>& specs = job.grid().specs;
    const std::vector<std::vector<std::string>>& axes = job.grid().axes;
    ProgressLine line;
    while (job.step(1))
        if (line.due()) line.show(job.progress().stage);
    line.clear();
    if (job.state() == qlab::JobState::failed) {
        std::cerr << "qlab sweep: " << job.status().message() << "\n";
        return kExitBadInput;
    }
    nlohmann::json cells = nlohmann::json::array();
    std::vector<bool> impossible;
    for (const qlab::SweepCell& c : job.cells()) {
        impossible.push_back(!c.possible);  // a "-" cell
        if (!c.possible) {
            cells.push_back({{"spec", c.spec}, {"possible", false}});
            continue;
        }
        nlohmann::json j = linear_result_json(c.result);
        j.erase("weights");
        j.erase("history");
        j["spec"] = c.spec;
        cells.push_back(j);
    }
    if (args.json) {
        std::cout << nlohmann::json{{"data", args.data},
                                    {"model", args.model},
                                    {"grid", grid_text},
                                    {"cells", cells}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    // A heatmap table: rows are the first {...}, columns the second (test accuracy, %).
    std::printf("%s on %s: %s accuracy %%; * = learning ended stuck in a sink\n",
                args.model.c_str(), args.data.c_str(), test ? "test" : "train");
    if (axes.size() != 2) {
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const std::string& spec = specs[i];
            if (impossible[i]) {
                std::printf("%-44s      -\n", spec.c_str());
                continue;
            }
            const auto& r = job.cells()[i].result;
            std::printf("%-44s %6.1f%s\n", spec.c_str(),
                        100 * (test ? r.test_accuracy : r.train_accuracy),
                        r.ended_in_sink ? "*" : "");
        }
        return 0;
    }
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
            const auto& r = job.cells()[k].result;
            std::printf(" %6.1f%s", 100 * (test ? r.test_accuracy : r.train_accuracy),
                        r.ended_in_sink ? "*" : " ");
        }
        std::printf("\n");
    }
    return 0;
}

}  // namespace

Subcommand add_sweep(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    auto grid = std::make_shared<std::string>();
    CLI::App* c =
        app.add_subcommand("sweep", "Accuracy over a grid of formats (Cherkhev Tables 2-4)");
    add_training_options(c, *args);
    c->add_option("--grid", *grid,
                  "format spec with {a,b,...} choices, e.g. lattice:range={0.5,1},points={8,16}")
        ->required();
    return {c, [args, grid] { return run_sweep(*args, *grid); }};
}

}  // namespace qlab::cli
