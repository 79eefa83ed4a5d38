// qlab bounds: Sakr 2017's precision analysis of a saved model: E_A, E_W, eq. 12's B_W - B_A,
// Theorems 1 and 2 per (B_A, B_W) with the costs of eq. 3-4, and optionally the simulations.
#include "common.hpp"
#include "model_data.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "qlab/sakr.hpp"
#include "qlab/sakr_paper.hpp"

namespace qlab::cli {
namespace {

struct BoundsArgs {
    std::string model_path, data, normalize = "auto", grid, offset;
    int samples = qlab::SakrOptions{}.samples;
    int ba = 0, bw = 0;
    bool simulate = false, json = false, design = false;
    int bootstrap = qlab::SakrSpreadOptions{}.replicates;
    int noise_mc = qlab::SakrOptions{}.noise_trials;
    double test_fraction = 0;
    std::uint64_t seed = qlab::SakrOptions{}.seed;
};

constexpr int kMaxBits = 24;

nlohmann::json finite_or_null(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

int fail(const std::string& message) {
    std::cerr << "qlab bounds: " << message << "\n";
    return kExitBadInput;
}

// An error message for bad options (empty when they are fine); fills the analysis options. The
// precisions: one pair, or B_A over a grid with B_W = B_A + offset.
std::string parse_options(const BoundsArgs& args, qlab::SakrOptions& o, bool& single) {
    o.samples = args.samples;
    o.seed = args.seed;
    o.noise_trials = args.noise_mc;
    if (args.samples < 0) return "--samples must be >= 0 (0: every row)";
    if (args.noise_mc < 0) return "--noise-mc must be >= 0";
    if (args.bootstrap < 0) return "--bootstrap must be >= 0";
    single = args.ba != 0 || args.bw != 0;
    if (single && (args.ba == 0 || args.bw == 0)) return "give both --ba and --bw";
    if (single && !args.grid.empty()) return "give either --ba/--bw or --grid";
    if (single && !args.offset.empty()) return "--offset goes with --grid";
    if (!single && !args.grid.empty()) {
        int lo = 0, hi = 0;
        char tail = 0;
        if (std::sscanf(args.grid.c_str(), "%d..%d%c", &lo, &hi, &tail) != 2)
            return "--grid: expected BMIN..BMAX, e.g. 2..12, got '" + args.grid + "'";
        o.grid_min = lo, o.grid_max = hi;
    }
    return "";
}

// --noise-mc simulates dense layers only.
std::string check_noise_mc(const BoundsArgs& args, const qlab::Model& model) {
    if (args.noise_mc > 0)
        for (const qlab::Layer& L : model.layers)
            if (L.kind != qlab::LayerKind::dense)
                return "--noise-mc: the noise simulation takes dense layers only; this model has "
                       "conv or pool layers (the bounds and --simulate work for it)";
    return "";
}

// The (B_A, B_W) pairs to tabulate, with the grid's offset (an integer, or auto for eq. 12's).
std::string make_precisions(const BoundsArgs& args, const qlab::SakrOptions& o, bool single,
                            const qlab::SakrAnalysis& a,
                            std::vector<std::pair<int, int>>& precisions) {
    int offset = o.offset;
    if (!args.offset.empty()) {
        if (args.offset == "auto") {
            offset = a.suggested_bw_minus_ba();
        } else {
            char* end = nullptr;
            const long v = std::strtol(args.offset.c_str(), &end, 10);
            if (*end || end == args.offset.c_str() || v < -kMaxBits || v > kMaxBits)
                return "--offset: expected an integer or auto, got '" + args.offset + "'";
            offset = static_cast<int>(v);
        }
    }
    if (single)
        precisions.push_back({args.ba, args.bw});
    else
        for (int b = o.grid_min; b <= o.grid_max; ++b) precisions.push_back({b, b + offset});
    if (precisions.empty()) return "--grid: BMIN must not exceed BMAX";
    for (const auto& [ba, bw] : precisions)
        if (ba < 1 || ba > kMaxBits || bw < 1 || bw > kMaxBits)
            return "bit widths must be in 1.." + std::to_string(kMaxBits) +
                   " (got B_A = " + std::to_string(ba) + ", B_W = " + std::to_string(bw) + ")";
        else if (args.simulate && (ba < 2 || bw < 2))
            return "--simulate needs B_A, B_W >= 2: a 1-bit fixed:w=1,f=0 has a sign and no "
                   "magnitude (got B_A = " +
                   std::to_string(ba) + ", B_W = " + std::to_string(bw) + ")";
    return "";
}

// What run_bounds computed, for the JSON and the text output.
struct BoundsReport {
    explicit BoundsReport(const qlab::SakrAnalysis& analysis) : a(analysis) {}
    const qlab::SakrAnalysis& a;
    long long clipped = 0;
    std::vector<int> float_dec;  // the float model's decisions (with --simulate)
    double float_error = 0;
    nlohmann::json rows = nlohmann::json::array();
    nlohmann::json design = nlohmann::json::array();
    qlab::SakrSpread spread;
};

// The float model's decisions and error on every row, which --simulate compares with.
void simulate_float(const qlab::Model& model, const qlab::Dataset& d, BoundsReport& r) {
    r.float_dec = qlab::float_decisions(model, d);
    for (std::size_t i = 0; i < d.size(); ++i) r.float_error += r.float_dec[i] != d.y[i];
    r.float_error /= static_cast<double>(d.size());
}

// One row per precision: Theorems 1 and 2, eq. 3-4's costs and the simulations asked for.
nlohmann::json bound_rows(const BoundsArgs& args, const qlab::Model& model, const qlab::Dataset& d,
                          const BoundsReport& rep,
                          const std::vector<std::pair<int, int>>& precisions) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [ba, bw] : precisions) {
        const qlab::SakrBounds b = rep.a.bounds(ba, bw);
        const qlab::SakrCost c = qlab::sakr_cost(model, ba, bw);
        nlohmann::json r = {{"ba", ba},
                            {"bw", bw},
                            {"thm1", finite_or_null(b.thm1)},
                            {"thm2", finite_or_null(b.thm2)},
                            {"thm2_opt", finite_or_null(b.thm2_opt)},
                            {"fa", c.fa},
                            {"bits", c.bits}};
        if (args.simulate) {
            const qlab::SakrSimulation s = qlab::sakr_simulate(model, d, rep.float_dec, ba, bw);
            r["p_m_sim"] = s.p_m;
            r["error_sim"] = s.error;
        }
        if (args.noise_mc > 0) {
            const qlab::SakrNoiseResult n =
                qlab::sakr_noise_mc(model, rep.a.inputs(), ba, bw, args.noise_mc, args.seed);
            r["p_m_noise"] = n.p_m_exact;
            r["p_m_noise_linear"] = n.p_m_linear;
        }
        rows.push_back(r);
    }
    return rows;
}

// How sure E_A and E_W are: a bootstrap over the estimation set, and the largest terms' share.
void add_spread(const BoundsArgs& args, BoundsReport& rep) {
    qlab::SakrSpreadOptions so;
    so.replicates = args.bootstrap;
    so.seed = args.seed;
    rep.spread = qlab::sakr_spread(rep.a, so);
    for (auto& r : rep.rows) {
        const auto [lo, hi] = rep.spread.theorem1_interval(r["ba"].get<int>(), r["bw"].get<int>());
        r["thm1_interval"] = {finite_or_null(lo), finite_or_null(hi)};
        // Where a bound falls below the fixed-point network's mismatch (see the notes printed).
        if (args.simulate)
            r["below_simulation"] = {
                {"thm1", r["thm1"].is_number() && r["thm1"].get<double>() < r["p_m_sim"]},
                {"thm2", r["thm2"].is_number() && r["thm2"].get<double>() < r["p_m_sim"]}};
    }
}

// Table 1 / Table 2's design options (smallest precision with a bound <= 1%), with costs.
nlohmann::json design_options(const BoundsArgs& args, const qlab::Model& model,
                              const qlab::Dataset& d, const BoundsReport& rep) {
    nlohmann::json design = nlohmann::json::array();
    for (const qlab::SakrDesignOption& opt : qlab::sakr_design_options(rep.a, model)) {
        nlohmann::json j = {
            {"option", std::string(1, opt.label)},
            {"rule", std::string(opt.theorem2 ? "Theorem 2" : "Theorem 1") +
                         (opt.offset ? ", B_W = B_A + eq. 12's offset" : ", B_W = B_A")},
            {"found", opt.found}};
        if (opt.found) {
            j["ba"] = opt.ba, j["bw"] = opt.bw, j["bound"] = opt.bound;
            j["fa"] = opt.cost.fa, j["bits"] = opt.cost.bits;
            if (args.simulate && opt.ba >= 2 && opt.bw >= 2) {
                const qlab::SakrSimulation sim =
                    qlab::sakr_simulate(model, d, rep.float_dec, opt.ba, opt.bw);
                j["p_m_sim"] = sim.p_m, j["error_sim"] = sim.error;
            }
        }
        design.push_back(j);
    }
    return design;
}

nlohmann::json spread_json(const qlab::SakrSpread& spread) {
    return {{"replicates", spread.replicates},
            {"level", spread.level},
            {"E_A_interval", {finite_or_null(spread.e_a_lo), finite_or_null(spread.e_a_hi)}},
            {"E_W_interval", {finite_or_null(spread.e_w_lo), finite_or_null(spread.e_w_hi)}},
            {"top", spread.top},
            {"top_share_E_A", spread.top_share_a},
            {"top_share_E_W", spread.top_share_w},
            {"largest_sample_E_A", finite_or_null(spread.largest_a)},
            {"largest_sample_E_W", finite_or_null(spread.largest_w)}};
}

void print_json(const BoundsArgs& args, const qlab::Dataset& d, const BoundsReport& rep) {
    const qlab::SakrAnalysis& a = rep.a;
    nlohmann::json out = {{"model", args.model_path},
                          {"data", args.data},
                          {"samples", a.samples()},
                          {"E_A", finite_or_null(a.e_a())},
                          {"E_W", finite_or_null(a.e_w())},
                          {"suggested_bw_minus_ba", a.suggested_bw_minus_ba()},
                          {"ties", a.ties()},
                          {"spread", spread_json(rep.spread)},
                          {"rows", rep.rows}};
    if (args.design) out["design_options"] = rep.design;
    if (a.ties()) out["message"] = a.tie_message();
    if (args.simulate) {
        out["simulated_examples"] = d.size();
        out["float_error"] = rep.float_error;
    }
    out["inputs_clipped"] = rep.clipped;
    if (args.noise_mc > 0) out["noise_trials"] = args.noise_mc;
    std::cout << out.dump(2) << "\n";
}

// The text output's head: samples, clipping, ties, E_A and E_W with how sure they are.
void print_summary(const BoundsArgs& args, const qlab::Dataset& d, const BoundsReport& rep) {
    const qlab::SakrAnalysis& a = rep.a;
    const qlab::SakrSpread& spread = rep.spread;
    std::printf("%s on %s: %zu samples\n", args.model_path.c_str(), args.data.c_str(), a.samples());
    if (rep.clipped)
        std::printf(
            "%lld input values beyond [-1, 1] clipped to it (the fixed-point input range)\n",
            rep.clipped);
    if (a.ties()) std::printf("%s\n", a.tie_message().c_str());
    std::printf("E_A = %.6g, E_W = %.6g; eq. 12 suggests B_W - B_A = %d\n", a.e_a(), a.e_w(),
                a.suggested_bw_minus_ba());
    if (spread.samples > 0 && spread.replicates > 0)
        std::printf(
            "  how sure: %.0f%% bootstrap intervals over the %d samples E_A %.4g..%.4g, E_W "
            "%.4g..%.4g;\n  the %d largest samples carry %.0f%% of E_A's sum and %.0f%% of "
            "E_W's (%.1f%% each if all were equal)\n",
            100 * spread.level, spread.samples, spread.e_a_lo, spread.e_a_hi, spread.e_w_lo,
            spread.e_w_hi, spread.top, 100 * spread.top_share_a, 100 * spread.top_share_w,
            100.0 * spread.top / spread.samples);
    std::printf(
        "  (eq. 11's E, the 1/24 inside; Sakr's Fig. 1 prints E_A = 41, E_W = 3803, which fit his "
        "Table 1 only as sums without the 1/24: `qlab cost --table1`)\n");
    if (args.simulate)
        std::printf("float error on %zu examples: %.4f\n", d.size(), rep.float_error);
}

bool below_simulation(const BoundsArgs& args, const nlohmann::json& r) {
    return args.simulate &&
           (r["below_simulation"]["thm1"].get<bool>() || r["below_simulation"]["thm2"].get<bool>());
}

// The table of bounds, costs and simulations per (B_A, B_W), and a note when a bound falls
// below the simulation.
void print_rows(const BoundsArgs& args, const nlohmann::json& rows) {
    std::printf("%4s %4s %11s %11s %11s %10s %10s", "B_A", "B_W", "Thm 1", "Thm 2", "Thm 2 opt",
                "FA (1e6)", "bits (1e6)");
    if (args.simulate) std::printf(" %9s %9s", "p_m sim", "err sim");
    if (args.noise_mc > 0) std::printf(" %9s %9s", "p_m noise", "linear");
    std::printf("\n");
    for (const auto& r : rows) {
        auto num = [](const nlohmann::json& v) { return v.is_null() ? INFINITY : v.get<double>(); };
        std::printf("%4d %4d %11.4g %11.4g %11.4g %10.4g %10.4g", r["ba"].get<int>(),
                    r["bw"].get<int>(), num(r["thm1"]), num(r["thm2"]), num(r["thm2_opt"]),
                    r["fa"].get<double>() / 1e6, r["bits"].get<double>() / 1e6);
        if (args.simulate)
            std::printf(" %9.4f %9.4f", r["p_m_sim"].get<double>(), r["error_sim"].get<double>());
        if (args.noise_mc > 0)
            std::printf(" %9.4f %9.4f", r["p_m_noise"].get<double>(),
                        r["p_m_noise_linear"].get<double>());
        if (below_simulation(args, r)) std::printf("  <- a bound below the simulation");
        std::printf("\n");
    }
    bool below = false;
    for (const auto& r : rows) below = below || below_simulation(args, r);
    if (below)
        std::printf(
            "A bound below the fixed-point network's mismatch is no contradiction of the theorems: "
            "they bound p_m under independent uniform noise through the linearised network "
            "(eq. 7), estimated as a mean over the estimation set, while the simulation rounds "
            "(saturating at the top of each range, e.g. ReLU outputs above 2 or the hard "
            "sigmoid's 2) on every row; an estimation set without the rows of tiny float margin "
            "underestimates E_A and E_W (the intervals above).\n");
}

void print_design(const BoundsArgs& args, const BoundsReport& rep) {
    std::printf(
        "\nDesign options as Sakr's Table 1 (MLP) and Table 2 (CNN) lay them out: the "
        "smallest precision with the bound <= 1%%\n");
    std::printf("%-7s %-40s %9s %10s %10s %10s %10s\n", "option", "rule", "(B_A,B_W)", "test err",
                "p_m sim", "FA (1e6)", "bits (1e6)");
    if (args.simulate) std::printf("%-7s %-40s %9s %10.4f\n", "float", "", "", rep.float_error);
    for (const auto& j : rep.design) {
        char prec[24] = "none";
        if (j["found"].get<bool>())
            std::snprintf(prec, sizeof prec, "(%d, %d)", j["ba"].get<int>(), j["bw"].get<int>());
        std::printf("%-7s %-40s %9s", j["option"].get<std::string>().c_str(),
                    j["rule"].get<std::string>().c_str(), prec);
        if (j.contains("error_sim"))
            std::printf(" %10.4f %10.4f", j["error_sim"].get<double>(), j["p_m_sim"].get<double>());
        else
            std::printf(" %10s %10s", "", "");
        if (j["found"].get<bool>())
            std::printf(" %10.4g %10.4g", j["fa"].get<double>() / 1e6,
                        j["bits"].get<double>() / 1e6);
        std::printf("\n");
    }
}

int run_bounds(const BoundsArgs& args) {
    qlab::SakrOptions o;
    bool single = false;
    if (const std::string e = parse_options(args, o, single); !e.empty()) return fail(e);
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* analysed = nullptr;
    const ModelDataArgs md{args.model_path, args.data, args.normalize, args.test_fraction,
                           args.seed};
    if (!load_model_data("bounds", md, model, prepared, analysed)) return kExitBadInput;
    const qlab::Dataset& d = *analysed;
    if (const std::string e = check_noise_mc(args, model); !e.empty()) return fail(e);

    qlab::SakrJob job(model, d, o);
    ProgressLine line;
    while (job.step(1))
        if (line.due()) line.show(job.progress().stage);
    line.clear();
    if (job.state() == qlab::JobState::failed) return fail(job.status().message());
    BoundsReport rep(job.result());
    std::vector<std::pair<int, int>> precisions;
    if (const std::string e = make_precisions(args, o, single, rep.a, precisions); !e.empty())
        return fail(e);
    // The analysis clips its inputs to [-1, 1] itself (sakr.hpp says why); count them here.
    rep.clipped = qlab::sakr_inputs_beyond_range(d);
    if (args.simulate) simulate_float(model, d, rep);
    rep.rows = bound_rows(args, model, d, rep, precisions);
    add_spread(args, rep);
    if (args.design) rep.design = design_options(args, model, d, rep);
    if (args.json) {
        print_json(args, d, rep);
        return 0;
    }
    print_summary(args, d, rep);
    print_rows(args, rep.rows);
    if (args.design) print_design(args, rep);
    return 0;
}

}  // namespace

Subcommand add_bounds(CLI::App& app) {
    auto args = std::make_shared<BoundsArgs>();
    const qlab::SakrOptions defaults;
    CLI::App* c = app.add_subcommand(
        "bounds",
        "Sakr 2017: E_A, E_W, Theorems 1 and 2 and costs per (B_A, B_W) of a saved model");
    c->add_option("--model", args->model_path, "model file: quantlab-model JSON or .onnx")
        ->required();
    c->add_option("--data", args->data, "data spec")->required();
    c->add_option("--samples", args->samples,
                  "estimation set: this many random rows (default 0: all of them; Sakr used "
                  "1000, and a sample that size can move E_A and E_W by large factors)");
    c->add_option("--ba", args->ba, "activation bits B_A (with --bw)");
    c->add_option("--bw", args->bw, "weight bits B_W (with --ba)");
    c->add_option("--grid", args->grid,
                  "B_A from BMIN to BMAX, B_W = B_A + offset (default " +
                      std::to_string(defaults.grid_min) + ".." + std::to_string(defaults.grid_max) +
                      ")");
    c->add_option("--offset", args->offset,
                  "B_W - B_A in the grid: an integer, or auto for eq. 12's suggestion (default " +
                      std::to_string(defaults.offset) + ")");
    c->add_flag("--simulate", args->simulate,
                "fixed-point simulation of every row on all the data: p_m_sim and error_sim");
    c->add_option("--noise-mc", args->noise_mc,
                  "Monte Carlo trials per sample with the theorems' uniform noise (p_m_noise, "
                  "p_m_noise_linear)");
    c->add_option("--normalize", args->normalize,
                  std::string("auto (default), ") + qlab::kNormalizationChoices);
    c->add_option(
        "--test-fraction", args->test_fraction,
        "analyse the held-out part of this split (use the training run's value and --seed)");
    c->add_option("--seed", args->seed, "split, sample and noise seed");
    c->add_flag("--design", args->design,
                "design options A-D (Table 1 / Table 2): the smallest precision with each bound "
                "<= 1%, B_W = B_A or + eq. 12's offset, with costs (and with --simulate, error)");
    c->add_option("--bootstrap", args->bootstrap,
                  "bootstrap resamples for E_A, E_W and Theorem 1's intervals (default " +
                      std::to_string(qlab::SakrSpreadOptions{}.replicates) + ")");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_bounds(*args); }};
}

}  // namespace qlab::cli
