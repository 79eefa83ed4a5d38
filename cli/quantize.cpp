// qlab quantize: numbers on stdin, one quantized value per line on stdout.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <vector>

namespace qlab::cli {
namespace {

struct QuantizeArgs {
    std::string format;
    std::string rounding = "rne";
    std::uint64_t seed = 0;
};

int run_quantize(const QuantizeArgs& args) {
    std::optional<qlab::Format> format;
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("quantize", args.format, args.rounding, format, rounding))
        return kExitBadInput;
    qlab::Rng rng(args.seed);
    std::string line;
    std::string out;
    long line_number = 0;
    // A data-dependent format (ternary without alpha, bfp, k-means) fits to the whole input,
    // so it is read first; every other format streams line by line.
    const bool whole_tensor = format->data_dependent();
    std::vector<double> tensor;
    while (std::getline(std::cin, line)) {
        ++line_number;
        double x = 0;
        if (!parse_number(line, x)) {
            std::cout << out << std::flush;
            std::cerr << "qlab quantize: line " << line_number << ": expected a number, got '"
                      << line.substr(0, 80) << "'\n";
            return kExitBadInput;
        }
        if (whole_tensor) {
            tensor.push_back(x);
            continue;
        }
        out += shortest_repr(format->quantize_ref(x, rounding, &rng));
        out += '\n';
        if (out.size() > (1 << 16)) {
            std::cout << out;
            out.clear();
        }
    }
    if (whole_tensor) {
        qlab::QuantizeOptions options;
        options.rounding = rounding;
        options.seed = args.seed;
        for (double q : format->quantize_tensor_ref(tensor, options)) {
            out += shortest_repr(q);
            out += '\n';
        }
    }
    std::cout << out;
    return 0;
}

}  // namespace

Subcommand add_quantize(CLI::App& app) {
    auto args = std::make_shared<QuantizeArgs>();
    CLI::App* c = app.add_subcommand(
        "quantize", "Quantize numbers read from stdin (one per line) and print one per line");
    c->add_option("--format", args->format, "format spec, e.g. fixed:w=8,f=4")->required();
    c->add_option("--rounding", args->rounding, "rne (default), rna, rtz, up, down or stochastic");
    c->add_option("--seed", args->seed, "seed for stochastic rounding");
    return {c, [args] { return run_quantize(*args); }};
}

}  // namespace qlab::cli
