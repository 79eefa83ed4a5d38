// qlab bound-search: Cherkhev's Theorem 1 against the lab's quantized perceptron on random hard
// sets, formats and orders: how close do runs come to R^2 / (gamma - delta)^2, and to the safe
// R^2 / (gamma - 2 delta)^2? Core's Theorem1SearchJob does the search.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "qlab/cherkhev.hpp"

namespace qlab::cli {
namespace {

nlohmann::json run_json(const qlab::Theorem1Run& r) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < r.data.size(); ++i)
        rows.push_back(std::vector<float>(r.data.row(i), r.data.row(i) + r.data.features));
    return {{"format", r.format},
            {"generator", r.generator},
            {"dimension", r.data.features},
            {"points", r.data.size()},
            {"order_seed", r.order_seed},
            {"mistakes", r.mistakes},
            {"converged", r.converged},
            {"margin", r.margin},
            {"delta", r.delta},
            {"radius", r.radius},
            {"start_norm", r.start_norm},
            {"paper_bound", json_number(r.paper_bound)},
            {"safe_bound", json_number(r.safe_bound)},
            {"paper_ratio", r.paper_ratio()},
            {"safe_ratio", r.safe_ratio()},
            {"x", rows},
            {"y", r.data.y}};
}

void print_run(const char* what, const qlab::Theorem1Run& r) {
    std::printf(
        "%s: %ld mistakes against R^2/(g-d)^2 = %.4g (%.3f of it) and the safe %s (%.3f of it)\n"
        "   %s, d = %d, %zu points (%s), order seed %llu; gamma %.4g, delta %.4g, R %.4g, "
        "||r(w_0)|| %.4g%s\n",
        what, r.mistakes, r.paper_bound, r.paper_ratio(), shortest_repr(r.safe_bound).c_str(),
        r.safe_ratio(), r.format.c_str(), r.data.features, r.data.size(), r.generator.c_str(),
        static_cast<unsigned long long>(r.order_seed), r.margin, r.delta, r.radius, r.start_norm,
        r.converged ? "" : ", did not converge");
}

int run_search(const qlab::Theorem1SearchOptions& o, bool json) {
    qlab::Theorem1SearchJob job(o);
    ProgressLine line;
    const qlab::Status s = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!s) {
        std::cerr << "qlab bound-search: " << s.message() << "\n";
        return kExitBadInput;
    }
    const qlab::Theorem1SearchResult& r = job.result();
    if (json) {
        nlohmann::json out{{"trials", o.trials},
                           {"seed", o.seed},
                           {"runs", r.runs},
                           {"in_scope", r.in_scope},
                           {"in_scope_even", r.in_scope_even},
                           {"safe_in_scope", r.safe_in_scope},
                           {"above_paper", r.above_paper},
                           {"above_paper_even", r.above_paper_even},
                           {"above_safe", r.above_safe},
                           {"refinements_kept", r.refinements_kept}};
        if (r.found_worst) out["worst"] = run_json(r.worst);
        if (r.found_worst_even) out["worst_even"] = run_json(r.worst_even);
        if (r.found_worst_safe) out["worst_safe"] = run_json(r.worst_safe);
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf(
        "Cherkhev Theorem 1 against %ld quantized perceptron runs (%d data sets, seed %llu)\n",
        r.runs, o.trials, static_cast<unsigned long long>(o.seed));
    std::printf(
        "in scope (delta < gamma, 0 an atom): %ld runs, %ld above R^2/(gamma - delta)^2\n"
        "started at q(0) != 0 (even lattices): %ld runs, %ld above it (the theorem does not "
        "cover them)\n"
        "delta < gamma/2: %ld runs, %ld above the safe R^2/(gamma - 2 delta)^2\n",
        r.in_scope, r.above_paper, r.in_scope_even, r.above_paper_even, r.safe_in_scope,
        r.above_safe);
    if (r.found_worst) print_run("closest to Theorem 1", r.worst);
    if (r.found_worst_even) print_run("closest from q(0) != 0", r.worst_even);
    if (r.found_worst_safe) print_run("closest to the safe bound", r.worst_safe);
    return 0;
}

}  // namespace

Subcommand add_bound_search(CLI::App& app) {
    auto o = std::make_shared<qlab::Theorem1SearchOptions>();
    auto json = std::make_shared<bool>(false);
    CLI::App* c = app.add_subcommand(
        "bound-search",
        "Cherkhev Theorem 1: search for quantized perceptron runs beyond its mistake bound");
    c->add_option("--trials", o->trials, "random data sets")->capture_default_str();
    c->add_option("--formats", o->formats, "random formats per data set")->capture_default_str();
    c->add_option("--orders", o->orders, "example orders per format")->capture_default_str();
    c->add_option("--max-dimension", o->max_dimension, "d = 2..this")->capture_default_str();
    c->add_option("--max-points", o->max_points, "points per data set")->capture_default_str();
    c->add_option("--max-passes", o->max_passes, "perceptron passes per run")
        ->capture_default_str();
    c->add_option("--refine", o->refine,
                  "greedy steps on the closest run (move a point, or try another order)")
        ->capture_default_str();
    c->add_option("--min-bound", o->min_bound,
                  "the closest runs are taken among bounds of at least this many mistakes")
        ->capture_default_str();
    c->add_option("--seed", o->seed, "search seed")->capture_default_str();
    c->add_flag("--json", *json, "print JSON (the closest runs with their data)");
    return {c, [o, json] { return run_search(*o, *json); }};
}

}  // namespace qlab::cli
