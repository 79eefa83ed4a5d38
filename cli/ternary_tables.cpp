// qlab ternary-tables: Kundu 2017 §4 on a saved model: per-layer tolerances (uniform, by
// sensitivity, compute-aware as Fig. 1), and Tables 3-4's "# blocks" and "comp" at about 1% and 2%
// loss with 8-bit activations, beside the paper's cells; and the abstract's figures from Table 3.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "common.hpp"
#include "model_data.hpp"
#include "qlab/kundu_tables.hpp"

namespace qlab::cli {
namespace {

struct TablesArgs {
    ModelDataArgs md;
    qlab::KunduTablesOptions o;
    std::string losses = "1,2";
    bool json = false;
};

nlohmann::json point_json(const qlab::KunduTablePoint& p) {
    return {{"epsilon", p.epsilon},
            {"layer_epsilon", p.layer_epsilon},
            {"layer_steps", p.layer_steps},
            {"accuracy", p.accuracy},
            {"loss", p.loss},
            {"blocks", p.blocks},
            {"comp", p.compute},
            {"power_performance", p.power_performance}};
}

// --losses as fractions into the options; prints the message and returns false on bad input.
bool parse_losses(TablesArgs& args) {
    args.o.losses.clear();
    std::stringstream in(args.losses);
    std::string item;
    while (std::getline(in, item, ',')) {
        double v = 0;
        if (!parse_number(item, v) || !(v >= 0 && v < 100)) {
            std::cerr << "qlab ternary-tables: --losses: expected percentages such as 1,2; "
                         "got '"
                      << item << "'\n";
            return false;
        }
        args.o.losses.push_back(v / 100);
    }
    return true;
}

// Per tolerance scheme: every point tried and the one chosen at each target loss.
nlohmann::json schemes_json(const TablesArgs& args, const qlab::KunduTablesResult& r) {
    nlohmann::json schemes = nlohmann::json::array();
    for (const qlab::KunduSchemeRun& run : r.schemes) {
        nlohmann::json points = nlohmann::json::array(), at = nlohmann::json::array();
        for (const auto& p : run.points) points.push_back(point_json(p));
        for (std::size_t t = 0; t < run.at_loss.size(); ++t)
            at.push_back(
                {{"target_loss", args.o.losses[t]},
                 {"point",
                  run.at_loss[t] < 0
                      ? nlohmann::json(nullptr)
                      : point_json(run.points[static_cast<std::size_t>(run.at_loss[t])])}});
        schemes.push_back({{"scheme", qlab::tolerance_scheme_name(run.scheme)},
                           {"points", points},
                           {"at_loss", at}});
    }
    return schemes;
}

void print_tables_json(const TablesArgs& args, std::size_t examples,
                       const qlab::KunduTablesResult& r,
                       const std::vector<qlab::KunduAbstractFigure>& abstract) {
    nlohmann::json paper = nlohmann::json::array(), abs = nlohmann::json::array();
    for (const auto& c : qlab::kundu_paper_tables())
        paper.push_back({{"table", c.table},
                         {"network", c.network},
                         {"block", c.block},
                         {"loss", c.loss},
                         {"blocks", c.blocks},
                         {"comp", c.comp}});
    for (const auto& f : abstract)
        abs.push_back({{"what", f.what},
                       {"printed", f.printed},
                       {"from_comp", f.from_comp},
                       {"from_blocks", f.from_blocks}});
    std::vector<std::size_t> layers;
    for (std::size_t l : r.layers) layers.push_back(l + 1);
    std::cout << nlohmann::json{{"model", args.md.model_path},
                                {"data", args.md.data},
                                {"examples", examples},
                                {"block", args.o.block},
                                {"gain_x", args.o.gain_x},
                                {"activation_bits", args.o.activation_bits},
                                {"float_accuracy", r.float_accuracy},
                                {"activation_accuracy", r.activation_accuracy},
                                {"fgq_accuracy", r.fgq_accuracy},
                                {"layers", layers},
                                {"sensitivity", r.sensitivity},
                                {"compute_share", r.compute_share},
                                {"activation_formats", r.activation_formats},
                                {"schemes", schemes_json(args, r)},
                                {"paper", paper},
                                {"abstract", abs}}
                     .dump(2)
              << "\n";
}

// The text output's head: the accuracies, and per layer its sensitivity and compute share.
void print_layers(const TablesArgs& args, std::size_t examples, const qlab::KunduTablesResult& r) {
    std::printf(
        "Kundu 2017 §4 on %s (%zu held-out examples), FGQ blocks of N = %zu, %s activations\n",
        args.md.model_path.c_str(), examples, args.o.block,
        args.o.activation_bits ? (std::to_string(args.o.activation_bits) + "-bit dynamic "
                                                                           "fixed-point")
                                     .c_str()
                               : "float");
    std::printf(
        "accuracy: FP32 %.4f; FP32 weights with these activations %.4f; plain FGQ ternary "
        "%.4f\n",
        r.float_accuracy, r.activation_accuracy, r.fgq_accuracy);
    std::printf("%-6s %12s %14s  %s\n", "layer", "sensitivity", "compute share",
                "activation format");
    for (std::size_t k = 0; k < r.layers.size(); ++k)
        std::printf("%-6zu %12.4g %13.1f%%  %s\n", r.layers[k] + 1, r.sensitivity[k],
                    100 * r.compute_share[k],
                    r.activation_formats[r.layers[k]].empty()
                        ? "(scores)"
                        : r.activation_formats[r.layers[k]].c_str());
}

// Tables 3-4's analogue: per scheme and target loss, the point with the least compute.
void print_schemes(const TablesArgs& args, const qlab::KunduTablesResult& r) {
    std::printf(
        "\nTables 3-4 analogue: the least compute within each loss from FP32 (# blocks and comp "
        "relative to FGQ without residuals = 1x); power-performance X/(C(X/N+1)), X = %g\n",
        args.o.gain_x);
    std::printf("%-14s %7s %9s %9s %8s %8s %10s  %s\n", "tolerances", "target", "accuracy", "loss",
                "# blocks", "comp", "power-perf", "epsilon_k^2 per layer (Fig. 1)");
    for (const qlab::KunduSchemeRun& run : r.schemes)
        for (std::size_t t = 0; t < run.at_loss.size(); ++t) {
            std::printf("%-14s %6.1f%%", qlab::tolerance_scheme_name(run.scheme),
                        100 * args.o.losses[t]);
            if (run.at_loss[t] < 0) {
                std::printf("  none of the tolerances tried is within it\n");
                continue;
            }
            const qlab::KunduTablePoint& p = run.points[static_cast<std::size_t>(run.at_loss[t])];
            std::printf(" %9.4f %8.2f%% %7.2fx %7.2fx %10.3f ", p.accuracy, 100 * p.loss, p.blocks,
                        p.compute, p.power_performance);
            for (double e : p.layer_epsilon) std::printf(" %.2e", e * e);
            std::printf("\n");
        }
}

// Kundu's printed cells, and the abstract's figures derived from Table 3.
void print_paper_cells(const TablesArgs& args,
                       const std::vector<qlab::KunduAbstractFigure>& abstract) {
    std::printf("\nKundu's cells (FGQ without residuals = 1x; loss from FP32):\n");
    std::printf("%-8s %-11s %4s %6s %9s %6s\n", "table", "network", "N", "loss", "# blocks",
                "comp");
    for (const auto& c : qlab::kundu_paper_tables())
        std::printf("%-8d %-11s %4d %5.0f%% %8.1fx %5.1fx\n", c.table, c.network, c.block,
                    100 * c.loss, c.blocks, c.comp);
    std::printf("\nThe abstract's ResNet-101 figures from Table 3, N = 64 (X = %g):\n",
                args.o.gain_x);
    std::printf("%-48s %8s %10s %12s\n", "", "printed", "from comp", "from # blocks");
    for (const auto& f : abstract)
        std::printf("%-48s %8.3g %10.3g %12.3g\n", f.what.c_str(), f.printed, f.from_comp,
                    f.from_blocks);
}

int run_tables(TablesArgs& args) {
    if (!parse_losses(args)) return kExitBadInput;
    if (args.md.test_fraction <= 0) {
        std::cerr << "qlab ternary-tables: --test-fraction must be above 0: the activation ranges "
                     "and sensitivities come from the training part, the accuracy from the "
                     "held-out part\n";
        return kExitBadInput;
    }
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* data = nullptr;
    if (!load_model_data("ternary-tables", args.md, model, prepared, data)) return kExitBadInput;
    qlab::KunduTablesJob job(model, *data, prepared.split.train, args.o);
    ProgressLine line;
    const qlab::Status status = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!status) {
        std::cerr << "qlab ternary-tables: " << status.message() << "\n";
        return kExitBadInput;
    }
    const qlab::KunduTablesResult& r = job.result();
    const std::vector<qlab::KunduAbstractFigure> abstract =
        qlab::kundu_abstract_derivation(args.o.gain_x);
    if (args.json) {
        print_tables_json(args, data->size(), r, abstract);
        return 0;
    }
    print_layers(args, data->size(), r);
    print_schemes(args, r);
    print_paper_cells(args, abstract);
    return 0;
}

}  // namespace

Subcommand add_ternary_tables(CLI::App& app) {
    auto args = std::make_shared<TablesArgs>();
    args->md.test_fraction = 0.2;
    CLI::App* c = app.add_subcommand(
        "ternary-tables",
        "Kundu 2017 Tables 3-4 and Fig. 1: per-layer tolerances, # blocks and comp at ~1% and ~2% "
        "loss with 8-bit activations");
    add_model_data_options(c, args->md);
    c->get_option("--model")->required();
    c->get_option("--test-fraction")
        ->description("held-out fraction scored (the rest calibrates; default 0.2)");
    c->add_option("--data", args->md.data, "data spec")->required();
    c->add_option("--block", args->o.block, "N, weights per block")->capture_default_str();
    c->add_option("--x", args->o.gain_x,
                  "X, the 8-2 over 8-8 gain (Kundu §4: 5.5 for N = 64; other N need their own)")
        ->capture_default_str();
    c->add_option("--activation-bits", args->o.activation_bits,
                  "hidden outputs in dynamic fixed point (0: float)")
        ->capture_default_str();
    c->add_option("--losses", args->losses, "target losses from FP32 in %")->capture_default_str();
    c->add_option("--scales", args->o.scales, "global tolerances tried per scheme")
        ->capture_default_str();
    c->add_option("--eps-max", args->o.epsilon_max, "loosest global tolerance")
        ->capture_default_str();
    c->add_option("--eps-min", args->o.epsilon_min, "tightest global tolerance")
        ->capture_default_str();
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_tables(*args); }};
}

}  // namespace qlab::cli
