// qlab cost: Sakr 2017's implementation costs of a dense network at (B_A, B_W): full adders
// (eq. 3 over every dot product, D = fan-in + 1) and representational bits (eq. 4).
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "qlab/sakr.hpp"

namespace qlab::cli {
namespace {

struct CostArgs {
    std::string arch;
    int ba = 8, bw = 8;
    bool json = false;
};

int run_cost(const CostArgs& args) {
    auto widths = qlab::parse_architecture(args.arch);
    if (!widths) {
        std::cerr << "qlab cost: " << widths.status().message() << "\n";
        return kExitBadInput;
    }
    if (args.ba < 1 || args.ba > 64 || args.bw < 1 || args.bw > 64) {
        std::cerr << "qlab cost: --ba and --bw must be in 1..64\n";
        return kExitBadInput;
    }
    const qlab::SakrCost c = qlab::sakr_cost(*widths, args.ba, args.bw);
    if (args.json) {
        std::cout << nlohmann::json{{"arch", args.arch},   {"ba", args.ba},
                                    {"bw", args.bw},       {"fa", c.fa},
                                    {"bits", c.bits},      {"activations", c.activations},
                                    {"weights", c.weights}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf("%s at B_A = %d, B_W = %d\n", args.arch.c_str(), args.ba, args.bw);
    std::printf("full adders (eq. 3, D = fan-in + 1)  %.0f  (%.4g million)\n", c.fa, c.fa / 1e6);
    std::printf("bits (eq. 4: |A| = %lld, |W| = %lld)  %.0f  (%.4g million)\n", c.activations,
                c.weights, c.bits, c.bits / 1e6);
    return 0;
}

}  // namespace

Subcommand add_cost(CLI::App& app) {
    auto args = std::make_shared<CostArgs>();
    CLI::App* c = app.add_subcommand(
        "cost", "Sakr 2017: full adders (eq. 3) and bits (eq. 4) of a dense network");
    c->add_option("--arch", args->arch, "layer widths, e.g. 784-512-512-512-10")->required();
    c->add_option("--ba", args->ba, "activation bits B_A (default 8)");
    c->add_option("--bw", args->bw, "weight bits B_W (default 8)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_cost(*args); }};
}

}  // namespace qlab::cli
