// qlab cost: Sakr 2017's implementation costs of a dense network at (B_A, B_W): full adders
// (eq. 3 over every dot product, D = fan-in + 1) and representational bits (eq. 4).
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "qlab/sakr.hpp"
#include "qlab/sakr_paper.hpp"

namespace qlab::cli {
namespace {

struct CostArgs {
    std::string arch;
    int ba = 8, bw = 8;
    bool json = false, table1 = false, no_bias = false;
};

nlohmann::json cost_json(const qlab::SakrCost& c) {
    return {{"fa", c.fa}, {"bits", c.bits}, {"activations", c.activations}, {"weights", c.weights}};
}

double off(double ours_m, double paper_m) {
    return 100 * (ours_m / paper_m - 1);
}

// Sakr Table 1 complete: every row from its architecture by eq. 3 (both readings of D) and eq. 4,
// beside the printed cells, and the two readings of Fig. 1's E values with the options they pick.
int run_table1(bool json) {
    const std::vector<qlab::SakrTable1Row> rows = qlab::sakr_table1();
    const qlab::SakrPrintedE& fig1 = qlab::sakr_printed_e().front();
    const std::vector<qlab::SakrReading> readings = qlab::sakr_readings(fig1.e_a, fig1.e_w);
    if (json) {
        nlohmann::json r = nlohmann::json::array(), e = nlohmann::json::array();
        for (const auto& row : rows)
            r.push_back({{"row", row.name},
                         {"architecture", row.architecture},
                         {"ba", row.ba},
                         {"bw", row.bw},
                         {"paper",
                          {{"error", row.paper_error},
                           {"fa_millions", row.paper_fa},
                           {"bits_millions", row.paper_bits}}},
                         {"d_fan_in_plus_1", cost_json(row.with_bias)},
                         {"d_fan_in", cost_json(row.without_bias)}});
        for (const auto& x : readings)
            e.push_back({{"reading", x.name},
                         {"E_A", x.e_a},
                         {"E_W", x.e_w},
                         {"eq12_offset", x.offset},
                         {"theorem1_at_8_8", x.thm1_8_8},
                         {"option_a", {x.option_a.first, x.option_a.second}},
                         {"option_c", {x.option_c.first, x.option_c.second}}});
        std::cout << nlohmann::json{{"rows", r},
                                    {"printed_E",
                                     {{"where", fig1.where}, {"E_A", fig1.e_a}, {"E_W", fig1.e_w}}},
                                    {"readings", e},
                                    {"table1_options", {{"A", {8, 8}}, {"C", {6, 9}}}}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf(
        "Sakr Table 1 from the architectures: eq. 3 full adders (D = fan-in + 1, the bias as one "
        "more product term; and D = fan-in) and eq. 4 bits, beside the printed cells (10^6)\n");
    std::printf("%-12s %-22s %9s %16s %16s %9s %15s\n", "row", "architecture", "Table 1",
                "D = fan-in + 1", "D = fan-in", "Table 1", "eq. 4 bits");
    for (const auto& row : rows) {
        char a[32], b[32], c[32];
        std::snprintf(a, sizeof a, "%.2f (%+.1f%%)", row.with_bias.fa / 1e6,
                      off(row.with_bias.fa / 1e6, row.paper_fa));
        std::snprintf(b, sizeof b, "%.2f (%+.1f%%)", row.without_bias.fa / 1e6,
                      off(row.without_bias.fa / 1e6, row.paper_fa));
        std::snprintf(c, sizeof c, "%.3f (%+.1f%%)", row.with_bias.bits / 1e6,
                      off(row.with_bias.bits / 1e6, row.paper_bits));
        std::printf("%-12s %-22s %9.4g %16s %16s %9.4g %15s\n", row.name.c_str(),
                    row.architecture.c_str(), row.paper_fa, a, b, row.paper_bits, c);
    }
    std::printf(
        "\nSakr's Fig. 1 prints E_A = %g, E_W = %g. Theorem 1 (eq. 11) and Table 1's 1%% rule "
        "under its two readings:\n",
        fig1.e_a, fig1.e_w);
    for (const auto& x : readings)
        std::printf(
            "  %-46s E_A %8.4g E_W %8.4g: Theorem 1 at (8, 8) = %.2f%%; option A (%d, %d), option "
            "C (%d, %d) with offset %d\n",
            x.name.c_str(), x.e_a, x.e_w, 100 * x.thm1_8_8, x.option_a.first, x.option_a.second,
            x.option_c.first, x.option_c.second, x.offset);
    std::printf("  Table 1 prints option A (8, 8) and option C (6, 9).\n");
    return 0;
}

int run_cost(const CostArgs& args) {
    if (args.table1) {
        if (!args.arch.empty()) {
            std::cerr << "qlab cost: give either --arch or --table1\n";
            return kExitBadInput;
        }
        return run_table1(args.json);
    }
    if (args.arch.empty()) {
        std::cerr << "qlab cost: give --arch WIDTHS (e.g. 784-512-512-512-10) or --table1\n";
        return kExitBadInput;
    }
    auto widths = qlab::parse_architecture(args.arch);
    if (!widths) {
        std::cerr << "qlab cost: " << widths.status().message() << "\n";
        return kExitBadInput;
    }
    if (args.ba < 1 || args.ba > 64 || args.bw < 1 || args.bw > 64) {
        std::cerr << "qlab cost: --ba and --bw must be in 1..64\n";
        return kExitBadInput;
    }
    const qlab::SakrCost c = args.no_bias ? qlab::sakr_cost_without_bias(*widths, args.ba, args.bw)
                                          : qlab::sakr_cost(*widths, args.ba, args.bw);
    if (args.json) {
        nlohmann::json j = cost_json(c);
        j["arch"] = args.arch, j["ba"] = args.ba, j["bw"] = args.bw;
        j["d"] = args.no_bias ? "fan-in" : "fan-in + 1";
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s at B_A = %d, B_W = %d\n", args.arch.c_str(), args.ba, args.bw);
    std::printf("full adders (eq. 3, D = %s)  %.0f  (%.4g million)\n",
                args.no_bias ? "fan-in" : "fan-in + 1", c.fa, c.fa / 1e6);
    std::printf("bits (eq. 4: |A| = %lld, |W| = %lld)  %.0f  (%.4g million)\n", c.activations,
                c.weights, c.bits, c.bits / 1e6);
    return 0;
}

}  // namespace

Subcommand add_cost(CLI::App& app) {
    auto args = std::make_shared<CostArgs>();
    CLI::App* c = app.add_subcommand(
        "cost", "Sakr 2017: full adders (eq. 3) and bits (eq. 4) of a dense network");
    c->add_option("--arch", args->arch, "layer widths, e.g. 784-512-512-512-10");
    c->add_option("--ba", args->ba, "activation bits B_A (default 8)");
    c->add_option("--bw", args->bw, "weight bits B_W (default 8)");
    c->add_flag("--no-bias", args->no_bias,
                "eq. 3 with D = fan-in (default: D = fan-in + 1, the bias as one more term)");
    c->add_flag("--table1", args->table1,
                "Sakr Table 1 complete: every row (SQ and BN too) from its architecture, both "
                "readings of eq. 3, and both readings of Fig. 1's E values");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_cost(*args); }};
}

}  // namespace qlab::cli
