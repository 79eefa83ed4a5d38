// qlab: the headless command over the core (DESIGN §6). Thin argument parsing only; every
// number it prints comes from qlab_core.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/sqnr.hpp"

namespace {

constexpr int kExitBadInput = 2;

using qlab::shortest_repr;

// A JSON number, or a string for the values JSON cannot hold.
nlohmann::json json_number(double v) {
    if (std::isfinite(v)) return v;
    return shortest_repr(v);
}

bool parse_number(const std::string& line, double& out) {
    std::size_t b = line.find_first_not_of(" \t\r");
    std::size_t e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) return false;
    const std::string text = line.substr(b, e - b + 1);
    errno = 0;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

// Parses the spec and rounding mode every subcommand takes; prints the message on failure.
bool parse_format_and_rounding(const char* command, const std::string& spec, const std::string& mode,
                               std::optional<qlab::Format>& format, qlab::Rounding& rounding) {
    auto parsed = qlab::Format::parse(spec);
    if (!parsed) {
        std::cerr << "qlab " << command << ": " << parsed.status().message() << "\n";
        return false;
    }
    auto r = qlab::parse_rounding(mode);
    if (!r) {
        std::cerr << "qlab " << command << ": " << r.status().message() << "\n";
        return false;
    }
    format = *parsed;
    rounding = *r;
    return true;
}

struct QuantizeArgs {
    std::string format;
    std::string rounding = "rne";
    std::uint64_t seed = 0;
};

int run_quantize(const QuantizeArgs& args) {
    std::optional<qlab::Format> format;
    qlab::Rounding mode{};
    if (!parse_format_and_rounding("quantize", args.format, args.rounding, format, mode)) return kExitBadInput;
    const qlab::Rounding* rounding = &mode;
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
        out += shortest_repr(format->quantize_ref(x, *rounding, &rng));
        out += '\n';
        if (out.size() > (1 << 16)) {
            std::cout << out;
            out.clear();
        }
    }
    if (whole_tensor) {
        qlab::QuantizeOptions options;
        options.rounding = *rounding;
        options.seed = args.seed;
        for (double q : format->quantize_tensor_ref(tensor, options)) {
            out += shortest_repr(q);
            out += '\n';
        }
    }
    std::cout << out;
    return 0;
}

struct FormatArgs {
    std::string spec;
    std::string dist = "gaussian";  // SQNR is measured on this named distribution
    double range = 0;  // 0: the format's own range
    std::string rounding = "rne";
    std::size_t atoms = 16;
    bool json = false;
};

int run_format(const FormatArgs& args) {
    std::optional<qlab::Format> format;
    qlab::Rounding mode{};
    if (!parse_format_and_rounding("format", args.spec, args.rounding, format, mode)) return kExitBadInput;
    const qlab::Rounding* rounding = &mode;
    if (!(args.range >= 0) || !std::isfinite(args.range)) {
        std::cerr << "qlab format: --range must be a finite number >= 0\n";
        return kExitBadInput;
    }
    auto dist = qlab::parse_distribution(args.dist);
    if (!dist) {
        std::cerr << "qlab format: " << dist.status().message() << "\n";
        return kExitBadInput;
    }
    // SQNR on 100k seeded samples; a data-dependent format is fitted to them (per block).
    const std::vector<double> sample = qlab::sample_distribution(*dist, 100000, 1);
    qlab::QuantizeOptions sqnr_options;
    sqnr_options.rounding = *rounding;
    const double sqnr = qlab::sqnr_db(*format, sample, sqnr_options);
    std::string fitted_note;
    const qlab::Format f = format->data_dependent() ? format->fit(sample) : *format;
    if (format->data_dependent()) fitted_note = f.to_string();
    const double range = args.range > 0 ? args.range : f.max_finite();
    const double delta = f.worst_case_error(-range, range, *rounding);
    const qlab::AtomList atoms = f.atoms_in(-range, range, args.atoms);
    if (args.json) {
        nlohmann::json j;
        j["spec"] = f.to_string();
        j["kind"] = f.kind();
        j["bits"] = f.bits();
        j["atoms"] = f.atom_count();
        j["has_infinity"] = f.has_infinity();
        j["min_positive"] = json_number(f.min_positive());
        j["max_finite"] = json_number(f.max_finite());
        j["min_finite"] = json_number(f.min_finite());
        j["epsilon"] = json_number(f.epsilon());
        j["range"] = json_number(range);
        j["rounding"] = qlab::rounding_name(*rounding);
        j["delta"] = json_number(delta);
        j["sqnr_db"] = json_number(sqnr);
        j["sqnr_distribution"] = qlab::distribution_name(*dist);
        if (!fitted_note.empty()) j["fitted_to_distribution"] = fitted_note;
        nlohmann::json list = nlohmann::json::array();
        for (double a : atoms.atoms) list.push_back(json_number(a));
        j["atoms_in_range"] = list;
        j["atoms_truncated"] = atoms.truncated;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%-14s %s\n", "format", format->to_string().c_str());
    if (!fitted_note.empty())
        std::printf("%-14s %s (fitted to the whole %s sample%s)\n", "fitted", fitted_note.c_str(),
                    qlab::distribution_name(*dist),
                    format->block_size() ? "; the SQNR fits every block separately" : "");
    std::printf("%-14s %d\n", "bits", f.bits());
    std::printf("%-14s %s%s\n", "atoms", shortest_repr(f.atom_count()).c_str(),
                f.has_infinity() ? " finite, plus +-inf" : "");
    std::printf("%-14s %s\n", "min positive", shortest_repr(f.min_positive()).c_str());
    std::printf("%-14s %s\n", "max finite", shortest_repr(f.max_finite()).c_str());
    std::printf("%-14s %s\n", "epsilon/step", shortest_repr(f.epsilon()).c_str());
    std::printf("%-14s %s over [-%s, %s] with %s (Cherkhev eq. 1)\n", "delta",
                shortest_repr(delta).c_str(), shortest_repr(range).c_str(), shortest_repr(range).c_str(),
                qlab::rounding_name(*rounding));
    std::printf("%-14s %.2f dB on 100000 samples of %s (Lin 2016)\n", "SQNR", sqnr,
                qlab::distribution_name(*dist));
    std::string list;
    for (double a : atoms.atoms) list += (list.empty() ? "" : " ") + shortest_repr(a);
    std::printf("%-14s %s%s\n", "atoms shown", list.c_str(), atoms.truncated ? " ..." : "");
    return 0;
}

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
        std::printf("Optimal symmetric uniform quantizer (Lin 2016 Table 1; uniform on [-1,1], others unit variance)\n");
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
                j.push_back({{"distribution", qlab::distribution_name(d)}, {"bits", b}, {"step", r.step},
                             {"mse", r.mse}, {"sqnr_db", r.sqnr_db}});
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
        std::printf("\n(kappa: least-squares slope of SQNR over 1..%d bits, Lin eq. 2)\n", args.max_bits);
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
        std::cerr << "qlab sqnr: give --format SPEC with --dist NAME or --data FILE, or --optimal-steps\n";
        return kExitBadInput;
    }
    std::optional<qlab::Format> format;
    qlab::Rounding mode{};
    if (!parse_format_and_rounding("sqnr", args.format, args.rounding, format, mode)) return kExitBadInput;
    const qlab::Rounding* rounding = &mode;
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
    options.rounding = *rounding;
    options.seed = args.seed;
    const double db = qlab::sqnr_db(*format, data, options);
    if (args.json) {
        std::cout << nlohmann::json{{"format", format->to_string()}, {"data", source}, {"n", data.size()},
                                    {"sqnr_db", json_number(db)}}.dump(2)
                  << "\n";
    } else {
        std::printf("%s on %s: SQNR %s dB\n", format->to_string().c_str(), source.c_str(),
                    shortest_repr(std::round(db * 1000) / 1000).c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"qlab: QuantLab's headless command for number formats and quantized models"};
    app.require_subcommand(1);

    QuantizeArgs quantize_args;
    auto* quantize = app.add_subcommand(
        "quantize", "Quantize numbers read from stdin (one per line) and print one per line");
    quantize->add_option("--format", quantize_args.format, "format spec, e.g. fixed:w=8,f=4")
        ->required();
    quantize->add_option("--rounding", quantize_args.rounding,
                         "rne (default), rna, rtz, up, down or stochastic");
    quantize->add_option("--seed", quantize_args.seed, "seed for stochastic rounding");

    FormatArgs format_args;
    auto* format = app.add_subcommand("format", "Show the facts of a number format");
    format->add_option("spec", format_args.spec, "format spec, e.g. float:e=5,m=10")->required();
    format->add_option("--range", format_args.range,
                       "delta and atoms over [-R, R] (default: the format's range)");
    format->add_option("--rounding", format_args.rounding, "rounding mode for delta and SQNR");
    format->add_option("--dist", format_args.dist,
                       "distribution for the SQNR: uniform, gaussian (default), laplacian, gamma");
    format->add_option("--atoms", format_args.atoms, "how many atoms to list (default 16)");
    format->add_flag("--json", format_args.json, "print JSON");

    SqnrArgs sqnr_args;
    auto* sqnr = app.add_subcommand("sqnr", "SQNR of a format on data (Lin 2016), or Lin's optimal uniform steps");
    sqnr->add_option("--format", sqnr_args.format, "format spec");
    sqnr->add_option("--dist", sqnr_args.dist, "uniform, gaussian (default), laplacian or gamma");
    sqnr->add_option("--data", sqnr_args.data, "file with one number per line instead of --dist");
    sqnr->add_option("--n", sqnr_args.n, "samples drawn from --dist (default 100000)");
    sqnr->add_option("--seed", sqnr_args.seed, "sampling and stochastic rounding seed");
    sqnr->add_option("--rounding", sqnr_args.rounding, "rounding mode");
    sqnr->add_flag("--optimal-steps", sqnr_args.optimal_steps,
                   "print the optimal uniform step per distribution and bit width (Table 1) and kappa");
    sqnr->add_option("--bits", sqnr_args.max_bits, "largest bit width for --optimal-steps (default 8)");
    sqnr->add_flag("--json", sqnr_args.json, "print JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitBadInput;
    }
    if (*quantize) return run_quantize(quantize_args);
    if (*format) return run_format(format_args);
    if (*sqnr) return run_sqnr(sqnr_args);
    return kExitBadInput;
}
