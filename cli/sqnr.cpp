// qlab sqnr: the SQNR of a format on a distribution or data file, or Lin's optimal steps.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "qlab/sqnr.hpp"

namespace qlab::cli {
namespace {

struct SqnrArgs {
    std::string format;
    std::string dist;
    std::string data;
    std::size_t n = 100000;
    std::uint64_t seed = 1;
    std::string rounding = "rne";
    bool optimal_steps = false;
    int max_bits = 8;
    bool json = false;
};

int run_optimal_steps(const SqnrArgs& args) {
    nlohmann::json j = nlohmann::json::array();
    if (!args.json) {
        std::printf(
            "Optimal symmetric uniform quantizer (Lin 2016 Table 1; uniform on [-1,1], others unit "
            "variance)\n");
        std::printf("%-5s", "bits");
        for (auto d : qlab::all_distributions()) std::printf(" %22s", qlab::distribution_name(d));
        std::printf("\n");
    }
    std::vector<std::vector<qlab::OptimalStep>> rows;
    for (int b = 1; b <= args.max_bits; ++b) {
        if (!args.json) std::printf("%-5d", b);
        for (auto d : qlab::all_distributions()) {
            const qlab::OptimalStep r = qlab::optimal_uniform_step(d, b);
            if (args.json) {
                j.push_back({{"distribution", qlab::distribution_name(d)},
                             {"bits", b},
                             {"step", r.step},
                             {"mse", r.mse},
                             {"sqnr_db", r.sqnr_db}});
            } else {
                std::printf("   step %6.4f %6.2f dB", r.step, r.sqnr_db);
            }
        }
        if (!args.json) std::printf("\n");
    }
    nlohmann::json kappa = nlohmann::json::object();
    if (!args.json) std::printf("%-5s", "kappa");
    for (auto d : qlab::all_distributions()) {
        const double k = qlab::quantization_efficiency(d, 1, args.max_bits);
        kappa[qlab::distribution_name(d)] = k;
        if (!args.json) std::printf(" %13.2f dB/bit   ", k);
    }
    if (args.json) {
        std::cout << nlohmann::json{{"steps", j}, {"kappa_db_per_bit", kappa}}.dump(2) << "\n";
    } else {
        std::printf("\n(kappa: least-squares slope of SQNR over 1..%d bits, Lin eq. 2)\n",
                    args.max_bits);
    }
    return 0;
}

int run_sqnr(const SqnrArgs& args) {
    if (args.optimal_steps) {
        if (args.max_bits < 1 || args.max_bits > 16) {
            std::cerr << "qlab sqnr: --bits must be from 1 to 16\n";
            return kExitBadInput;
        }
        return run_optimal_steps(args);
    }
    if (args.format.empty()) {
        std::cerr << "qlab sqnr: give --format SPEC with --dist NAME or --data FILE, or "
                     "--optimal-steps\n";
        return kExitBadInput;
    }
    std::optional<qlab::Format> format;
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("sqnr", args.format, args.rounding, format, rounding))
        return kExitBadInput;
    std::vector<double> data;
    std::string source;
    if (!args.data.empty()) {
        std::ifstream in(args.data);
        if (!in) {
            std::cerr << "qlab sqnr: cannot open data file '" << args.data << "'\n";
            return kExitBadInput;
        }
        std::string line;
        long line_number = 0;
        while (std::getline(in, line)) {
            ++line_number;
            double x = 0;
            if (!parse_number(line, x) || !std::isfinite(x)) {
                std::cerr << "qlab sqnr: " << args.data << " line " << line_number
                          << ": expected a finite number, got '" << line.substr(0, 80) << "'\n";
                return kExitBadInput;
            }
            data.push_back(x);
        }
        source = args.data;
    } else {
        auto dist = qlab::parse_distribution(args.dist.empty() ? "gaussian" : args.dist);
        if (!dist) {
            std::cerr << "qlab sqnr: " << dist.status().message() << "\n";
            return kExitBadInput;
        }
        data = qlab::sample_distribution(*dist, args.n, args.seed);
        source = std::string(qlab::distribution_name(*dist)) + " x" + std::to_string(args.n);
    }
    if (data.empty()) {
        std::cerr << "qlab sqnr: no data\n";
        return kExitBadInput;
    }
    qlab::QuantizeOptions options;
    options.rounding = rounding;
    options.seed = args.seed;
    const double db = qlab::sqnr_db(*format, data, options);
    if (args.json) {
        std::cout << nlohmann::json{{"format", format->to_string()},
                                    {"data", source},
                                    {"n", data.size()},
                                    {"sqnr_db", json_number(db)}}
                         .dump(2)
                  << "\n";
    } else {
        std::printf("%s on %s: SQNR %s dB\n", format->to_string().c_str(), source.c_str(),
                    shortest_repr(std::round(db * 1000) / 1000).c_str());
    }
    return 0;
}

}  // namespace

Subcommand add_sqnr(CLI::App& app) {
    auto args = std::make_shared<SqnrArgs>();
    CLI::App* c = app.add_subcommand(
        "sqnr", "SQNR of a format on data (Lin 2016), or Lin's optimal uniform steps");
    c->add_option("--format", args->format, "format spec");
    c->add_option("--dist", args->dist, "uniform, gaussian (default), laplacian or gamma");
    c->add_option("--data", args->data, "file with one number per line instead of --dist");
    c->add_option("--n", args->n, "samples drawn from --dist (default 100000)");
    c->add_option("--seed", args->seed, "sampling and stochastic rounding seed");
    c->add_option("--rounding", args->rounding, "rounding mode");
    c->add_flag(
        "--optimal-steps", args->optimal_steps,
        "print the optimal uniform step per distribution and bit width (Table 1) and kappa");
    c->add_option("--bits", args->max_bits, "largest bit width for --optimal-steps (default 8)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_sqnr(*args); }};
}

}  // namespace qlab::cli
