// qlab ternary: Kundu 2017's ternary residual network from a saved model: Algorithm 2 per layer,
// Table 2's figures, and test accuracy with 0, 1, 2, ... residual terms kept per block.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "model_data.hpp"
#include "qlab/kundu.hpp"

namespace qlab::cli {
namespace {

struct TernaryArgs {
    ModelDataArgs md;
    qlab::KunduOptions options;
    std::size_t block = qlab::ResidualOptions{}.block;
    bool json = false;
};

void print_ternary_json(const TernaryArgs& args, std::size_t examples, const qlab::KunduResult& r) {
    nlohmann::json layers = nlohmann::json::array();
    for (const qlab::KunduLayer& l : r.layers) {
        const qlab::ResidualTensor& t = l.tensor;
        layers.push_back({{"layer", l.layer + 1},
                          {"weights", t.n},
                          {"blocks", t.blocks.size()},
                          {"norm", t.norm},
                          {"errors", t.errors},
                          {"relative_error", t.norm > 0 ? t.errors.back() / t.norm : 0.0},
                          {"residual_steps", t.order.size()},
                          {"max_residuals", t.max_residuals()},
                          {"stopped_at_guard", t.stopped_at_guard},
                          {"model_size_bits", t.model_size_bits()},
                          {"capacity", json_number(t.capacity())},
                          {"scale_factors", t.scale_factors()}});
    }
    nlohmann::json levels = nlohmann::json::array(), by_level = nlohmann::json::array();
    for (const qlab::KunduLevel& v : r.levels) {
        by_level.push_back(v.accuracy);
        levels.push_back({{"level", v.level},
                          {"accuracy", v.accuracy},
                          {"compute", v.compute},
                          {"power_performance", v.power_performance},
                          {"memory_gain", v.memory_gain},
                          {"model_size_bits", v.model_size_bits},
                          {"scale_factors", v.scale_factors}});
    }
    std::cout << nlohmann::json{{"model", args.md.model_path},
                                {"data", args.md.data},
                                {"examples", examples},
                                {"block", args.options.residual.block},
                                {"tolerance", args.options.residual.tolerance},
                                {"gain_x", args.options.gain_x},
                                {"float_accuracy", r.float_accuracy},
                                {"layers", layers},
                                {"accuracy_by_level", by_level},
                                {"levels", levels}}
                     .dump(2)
              << "\n";
}

// Per layer its residual tensor, then per residual level the accuracy and Kundu's gains.
void print_ternary_text(const TernaryArgs& args, const qlab::KunduResult& r) {
    std::printf("Ternary residuals (Kundu 2017 Algorithm 2), block N = %zu, tolerance %g\n",
                args.options.residual.block, args.options.residual.tolerance);
    std::printf("%-6s %9s %7s %9s %9s %8s %12s %12s %10s\n", "layer", "weights", "blocks",
                "residuals", "max r_i", "rel err", "size bits", "capacity", "alphas");
    for (const qlab::KunduLayer& l : r.layers) {
        const qlab::ResidualTensor& t = l.tensor;
        std::printf("%-6zu %9zu %7zu %9zu %9d %8.4f %12.0f %12.4g %10lld%s\n", l.layer + 1, t.n,
                    t.blocks.size(), t.order.size(), t.max_residuals(),
                    t.norm > 0 ? t.errors.back() / t.norm : 0.0, t.model_size_bits(), t.capacity(),
                    t.scale_factors(), t.stopped_at_guard ? "  (guard hit)" : "");
    }
    std::printf("\nfloat accuracy %.4f\n", r.float_accuracy);
    std::printf("%-6s %9s %9s %10s %10s %12s %8s\n", "level", "accuracy", "compute", "power-perf",
                "memory", "size bits", "alphas");
    for (const qlab::KunduLevel& v : r.levels)
        std::printf("%-6d %9.4f %8.3fx %10.3f %10.3f %12.0f %8lld\n", v.level, v.accuracy,
                    v.compute, v.power_performance, v.memory_gain, v.model_size_bits,
                    v.scale_factors);
    std::printf(
        "(level: residual terms kept per block; power-perf: pi_c = X/(C(X/N+1)) with X = %g;\n"
        " memory: pi_m = 4/(C(1/N+1)), the gain over 8-8 when weights stream from memory, §6.2)\n",
        args.options.gain_x);
}

int run_ternary(TernaryArgs& args) {
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* data = nullptr;
    if (!load_model_data("ternary", args.md, model, prepared, data)) return kExitBadInput;
    args.options.residual.block = args.block;
    qlab::TernaryResidualJob job(model, *data, args.options);
    ProgressLine line;
    const qlab::Status status = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!status) {
        std::cerr << "qlab ternary: " << status.message() << "\n";
        return kExitBadInput;
    }
    const qlab::KunduResult& r = job.result();
    if (args.json)
        print_ternary_json(args, data->size(), r);
    else
        print_ternary_text(args, r);
    return 0;
}

}  // namespace

Subcommand add_ternary(CLI::App& app) {
    auto args = std::make_shared<TernaryArgs>();
    CLI::App* c = app.add_subcommand(
        "ternary", "Kundu 2017 ternary residual network: Algorithm 2, Table 2, accuracy per level");
    add_model_data_options(c, args->md);
    c->get_option("--model")->required();
    c->add_option("--data", args->md.data, "data spec")->required();
    c->add_option("--block", args->block, "N, weights per block (0: one block per layer)")
        ->capture_default_str();
    c->add_option("--tolerance", args->options.residual.tolerance,
                  "epsilon: stop once ||W - W^||^2 / ||W||^2 <= epsilon^2")
        ->capture_default_str();
    c->add_option("--max-residuals", args->options.residual.max_residuals,
                  "at most this many residual terms per block")
        ->capture_default_str();
    c->add_option("--x", args->options.gain_x, "X, the 8-2 over 8-8 gain (power-performance)")
        ->capture_default_str();
    c->add_option("--activations", args->options.activations,
                  "activation format at inference (default: float)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_ternary(*args); }};
}

}  // namespace qlab::cli
