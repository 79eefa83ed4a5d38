// qlab format: the facts of a number format (atoms, delta, SQNR), as a table or JSON.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "qlab/sqnr.hpp"

namespace qlab::cli {
namespace {

struct FormatArgs {
    std::string spec;
    std::string dist = "gaussian";  // SQNR is measured on this named distribution
    double range = 0;               // 0: the format's own range
    std::string rounding = "rne";
    std::size_t atoms = 16;
    bool json = false;
};

// A block-scaled format (MX, NVFP4, group-wise int): its element type's facts (the atoms of
// one block before scaling), the scale types, the block size and the bits per value.
int print_block_format(const FormatArgs& args, const qlab::Format& format, qlab::Rounding rounding,
                       qlab::Distribution dist, double sqnr, std::size_t samples) {
    const qlab::Format element = *qlab::Format::parse(format.element_spec());
    const double range = args.range > 0 ? args.range : element.max_finite();
    const qlab::AtomList atoms = element.atoms_in(-range, range, args.atoms);
    const double delta = element.worst_case_error(-range, range, rounding);
    if (args.json) {
        nlohmann::json j;
        j["spec"] = format.to_string();
        j["kind"] = format.kind();
        j["block_size"] = format.block_size();
        j["bits"] = format.bits();
        j["bits_per_value"] = json_number(format.bits_per_value());
        j["scale"] = format.scale_spec();
        j["tensor_scale"] = format.tensor_scale_spec().empty()
                                ? nlohmann::json(nullptr)
                                : nlohmann::json(format.tensor_scale_spec());
        nlohmann::json e;
        e["spec"] = element.to_string();
        e["atoms"] = element.atom_count();
        e["min_positive"] = json_number(element.min_positive());
        e["max_finite"] = json_number(element.max_finite());
        e["range"] = json_number(range);
        e["delta"] = json_number(delta);
        nlohmann::json list = nlohmann::json::array();
        for (double a : atoms.atoms) list.push_back(json_number(a));
        e["atoms_in_range"] = list;
        e["atoms_truncated"] = atoms.truncated;
        j["element"] = e;
        j["rounding"] = qlab::rounding_name(rounding);
        j["sqnr_db"] = json_number(sqnr);
        j["sqnr_distribution"] = qlab::distribution_name(dist);
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%-14s %s\n", "format", format.to_string().c_str());
    std::printf("%-14s %s: %s atoms, min positive %s, max finite %s\n", "element",
                element.to_string().c_str(), shortest_repr(element.atom_count()).c_str(),
                shortest_repr(element.min_positive()).c_str(),
                shortest_repr(element.max_finite()).c_str());
    std::printf("%-14s %s per block of %zu%s%s\n", "scale", format.scale_spec().c_str(),
                format.block_size(), format.tensor_scale_spec().empty() ? "" : ", and per tensor ",
                format.tensor_scale_spec().c_str());
    std::printf("%-14s %d per element\n", "bits", format.bits());
    std::printf("%-14s %s with the scales' share%s\n", "bits/value",
                shortest_repr(format.bits_per_value()).c_str(),
                format.tensor_scale_spec().empty() ? "" : " (plus 32 / tensor size)");
    std::printf(
        "%-14s %s of the element over [-%s, %s] with %s (Cherkhev eq. 1; times each block's "
        "scale)\n",
        "delta", shortest_repr(delta).c_str(), shortest_repr(range).c_str(),
        shortest_repr(range).c_str(), qlab::rounding_name(rounding));
    std::printf("%-14s %.2f dB on %zu samples of %s, block by block (Lin 2016)\n", "SQNR", sqnr,
                samples, qlab::distribution_name(dist));
    std::string list;
    for (double a : atoms.atoms) list += (list.empty() ? "" : " ") + shortest_repr(a);
    std::printf("%-14s %s%s\n", "element atoms", list.c_str(), atoms.truncated ? " ..." : "");
    return 0;
}

int run_format(const FormatArgs& args) {
    std::optional<qlab::Format> format;
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("format", args.spec, args.rounding, format, rounding))
        return kExitBadInput;
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
    sqnr_options.rounding = rounding;
    const double sqnr = qlab::sqnr_db(*format, sample, sqnr_options);
    if (format->block_scaled())
        return print_block_format(args, *format, rounding, *dist, sqnr, sample.size());
    std::string fitted_note;
    const qlab::Format f = format->data_dependent() ? format->fit(sample) : *format;
    if (format->data_dependent()) fitted_note = f.to_string();
    const double range = args.range > 0 ? args.range : f.max_finite();
    const double delta = f.worst_case_error(-range, range, rounding);
    const qlab::AtomList atoms = f.atoms_in(-range, range, args.atoms);
    if (args.json) {
        nlohmann::json j;
        j["spec"] = f.to_string();
        j["kind"] = f.kind();
        j["bits"] = f.bits();
        j["bits_per_value"] = json_number(format->bits_per_value());
        j["atoms"] = f.atom_count();
        j["has_infinity"] = f.has_infinity();
        j["min_positive"] = json_number(f.min_positive());
        j["max_finite"] = json_number(f.max_finite());
        j["min_finite"] = json_number(f.min_finite());
        j["epsilon"] = json_number(f.epsilon());
        j["range"] = json_number(range);
        j["rounding"] = qlab::rounding_name(rounding);
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
    if (format->bits_per_value() != f.bits())
        std::printf("%-14s %s with the shared exponent's share\n", "bits/value",
                    shortest_repr(format->bits_per_value()).c_str());
    std::printf("%-14s %s%s\n", "atoms", shortest_repr(f.atom_count()).c_str(),
                f.has_infinity() ? " finite, plus +-inf" : "");
    std::printf("%-14s %s\n", "min positive", shortest_repr(f.min_positive()).c_str());
    std::printf("%-14s %s\n", "max finite", shortest_repr(f.max_finite()).c_str());
    std::printf("%-14s %s\n", "epsilon/step", shortest_repr(f.epsilon()).c_str());
    std::printf("%-14s %s over [-%s, %s] with %s (Cherkhev eq. 1)\n", "delta",
                shortest_repr(delta).c_str(), shortest_repr(range).c_str(),
                shortest_repr(range).c_str(), qlab::rounding_name(rounding));
    std::printf("%-14s %.2f dB on 100000 samples of %s (Lin 2016)\n", "SQNR", sqnr,
                qlab::distribution_name(*dist));
    std::string list;
    for (double a : atoms.atoms) list += (list.empty() ? "" : " ") + shortest_repr(a);
    std::printf("%-14s %s%s\n", "atoms shown", list.c_str(), atoms.truncated ? " ..." : "");
    return 0;
}

}  // namespace

Subcommand add_format(CLI::App& app) {
    auto args = std::make_shared<FormatArgs>();
    CLI::App* c = app.add_subcommand("format", "Show the facts of a number format");
    c->add_option("spec", args->spec, "format spec, e.g. float:e=5,m=10")->required();
    c->add_option("--range", args->range,
                  "delta and atoms over [-R, R] (default: the format's range)");
    c->add_option("--rounding", args->rounding, "rounding mode for delta and SQNR");
    c->add_option("--dist", args->dist,
                  "distribution for the SQNR: uniform, gaussian (default), laplacian, gamma");
    c->add_option("--atoms", args->atoms, "how many atoms to list (default 16)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_format(*args); }};
}

}  // namespace qlab::cli
