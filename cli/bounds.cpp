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

int run_bounds(const BoundsArgs& args) {
    qlab::SakrOptions o;
    o.samples = args.samples;
    o.seed = args.seed;
    o.noise_trials = args.noise_mc;
    if (args.samples < 0) return fail("--samples must be >= 0 (0: every row)");
    if (args.noise_mc < 0) return fail("--noise-mc must be >= 0");
    if (args.bootstrap < 0) return fail("--bootstrap must be >= 0");
    // The precisions: one pair, or B_A over a grid with B_W = B_A + offset.
    const bool single = args.ba != 0 || args.bw != 0;
    if (single && (args.ba == 0 || args.bw == 0)) return fail("give both --ba and --bw");
    if (single && !args.grid.empty()) return fail("give either --ba/--bw or --grid");
    if (single && !args.offset.empty()) return fail("--offset goes with --grid");
    if (!single && !args.grid.empty()) {
        int lo = 0, hi = 0;
        char tail = 0;
        if (std::sscanf(args.grid.c_str(), "%d..%d%c", &lo, &hi, &tail) != 2)
            return fail("--grid: expected BMIN..BMAX, e.g. 2..12, got '" + args.grid + "'");
        o.grid_min = lo, o.grid_max = hi;
    }
    qlab::Model loaded;
    PreparedData prepared;
    const qlab::Dataset* analysed = nullptr;
    const ModelDataArgs md{args.model_path, args.data, args.normalize, args.test_fraction,
                           args.seed};
    if (!load_model_data("bounds", md, loaded, prepared, analysed)) return kExitBadInput;
    const qlab::Model* model = &loaded;
    // The analysis clips its inputs to [-1, 1] itself (sakr.hpp says why); count them here.
    const qlab::Dataset& d = *analysed;
    const long long clipped = qlab::sakr_inputs_beyond_range(d);
    if (args.noise_mc > 0)
        for (const qlab::Layer& L : model->layers)
            if (L.kind != qlab::LayerKind::dense)
                return fail(
                    "--noise-mc: the noise simulation takes dense layers only; this model has conv "
                    "or "
                    "pool layers (the bounds and --simulate work for it)");

    qlab::SakrJob job(*model, d, o);
    ProgressLine line;
    while (job.step(1))
        if (line.due()) line.show(job.progress().stage);
    line.clear();
    if (job.state() == qlab::JobState::failed) return fail(job.status().message());
    const qlab::SakrAnalysis& a = job.result();

    int offset = o.offset;
    if (!args.offset.empty()) {
        if (args.offset == "auto") {
            offset = a.suggested_bw_minus_ba();
        } else {
            char* end = nullptr;
            const long v = std::strtol(args.offset.c_str(), &end, 10);
            if (*end || end == args.offset.c_str() || v < -kMaxBits || v > kMaxBits)
                return fail("--offset: expected an integer or auto, got '" + args.offset + "'");
            offset = static_cast<int>(v);
        }
    }
    std::vector<std::pair<int, int>> precisions;
    if (single)
        precisions.push_back({args.ba, args.bw});
    else
        for (int b = o.grid_min; b <= o.grid_max; ++b) precisions.push_back({b, b + offset});
    if (precisions.empty()) return fail("--grid: BMIN must not exceed BMAX");
    for (const auto& [ba, bw] : precisions)
        if (ba < 1 || ba > kMaxBits || bw < 1 || bw > kMaxBits)
            return fail("bit widths must be in 1.." + std::to_string(kMaxBits) + " (got B_A = " +
                        std::to_string(ba) + ", B_W = " + std::to_string(bw) + ")");
        else if (args.simulate && (ba < 2 || bw < 2))
            return fail(
                "--simulate needs B_A, B_W >= 2: a 1-bit fixed:w=1,f=0 has a sign and no magnitude "
                "(got B_A = " +
                std::to_string(ba) + ", B_W = " + std::to_string(bw) + ")");

    std::vector<int> float_dec;
    double float_error = 0;
    if (args.simulate) {
        float_dec = qlab::float_decisions(*model, d);
        for (std::size_t i = 0; i < d.size(); ++i) float_error += float_dec[i] != d.y[i];
        float_error /= static_cast<double>(d.size());
    }
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [ba, bw] : precisions) {
        const qlab::SakrBounds b = a.bounds(ba, bw);
        const qlab::SakrCost c = qlab::sakr_cost(*model, ba, bw);
        nlohmann::json r = {{"ba", ba},
                            {"bw", bw},
                            {"thm1", finite_or_null(b.thm1)},
                            {"thm2", finite_or_null(b.thm2)},
                            {"thm2_opt", finite_or_null(b.thm2_opt)},
                            {"fa", c.fa},
                            {"bits", c.bits}};
        if (args.simulate) {
            const qlab::SakrSimulation s = qlab::sakr_simulate(*model, d, float_dec, ba, bw);
            r["p_m_sim"] = s.p_m;
            r["error_sim"] = s.error;
        }
        if (args.noise_mc > 0) {
            const qlab::SakrNoiseResult n =
                qlab::sakr_noise_mc(*model, a.inputs(), ba, bw, args.noise_mc, args.seed);
            r["p_m_noise"] = n.p_m_exact;
            r["p_m_noise_linear"] = n.p_m_linear;
        }
        rows.push_back(r);
    }

    // How sure E_A and E_W are: a bootstrap over the estimation set, and the largest terms' share.
    qlab::SakrSpreadOptions so;
    so.replicates = args.bootstrap;
    so.seed = args.seed;
    const qlab::SakrSpread spread = qlab::sakr_spread(a, so);
    for (auto& r : rows) {
        const auto [lo, hi] = spread.theorem1_interval(r["ba"].get<int>(), r["bw"].get<int>());
        r["thm1_interval"] = {finite_or_null(lo), finite_or_null(hi)};
        // Where a bound falls below the fixed-point network's mismatch (see the notes printed).
        if (args.simulate)
            r["below_simulation"] = {
                {"thm1", r["thm1"].is_number() && r["thm1"].get<double>() < r["p_m_sim"]},
                {"thm2", r["thm2"].is_number() && r["thm2"].get<double>() < r["p_m_sim"]}};
    }
    // Table 1 / Table 2's design options (smallest precision with a bound <= 1%), with costs.
    std::vector<qlab::SakrDesignOption> options;
    nlohmann::json design = nlohmann::json::array();
    if (args.design) {
        options = qlab::sakr_design_options(a, *model);
        for (const qlab::SakrDesignOption& opt : options) {
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
                        qlab::sakr_simulate(*model, d, float_dec, opt.ba, opt.bw);
                    j["p_m_sim"] = sim.p_m, j["error_sim"] = sim.error;
                }
            }
            design.push_back(j);
        }
    }
    nlohmann::json spread_json = {
        {"replicates", spread.replicates},
        {"level", spread.level},
        {"E_A_interval", {finite_or_null(spread.e_a_lo), finite_or_null(spread.e_a_hi)}},
        {"E_W_interval", {finite_or_null(spread.e_w_lo), finite_or_null(spread.e_w_hi)}},
        {"top", spread.top},
        {"top_share_E_A", spread.top_share_a},
        {"top_share_E_W", spread.top_share_w},
        {"largest_sample_E_A", finite_or_null(spread.largest_a)},
        {"largest_sample_E_W", finite_or_null(spread.largest_w)}};
    if (args.json) {
        nlohmann::json out = {{"model", args.model_path},
                              {"data", args.data},
                              {"samples", a.samples()},
                              {"E_A", finite_or_null(a.e_a())},
                              {"E_W", finite_or_null(a.e_w())},
                              {"suggested_bw_minus_ba", a.suggested_bw_minus_ba()},
                              {"ties", a.ties()},
                              {"spread", spread_json},
                              {"rows", rows}};
        if (args.design) out["design_options"] = design;
        if (a.ties()) out["message"] = a.tie_message();
        if (args.simulate) {
            out["simulated_examples"] = d.size();
            out["float_error"] = float_error;
        }
        out["inputs_clipped"] = clipped;
        if (args.noise_mc > 0) out["noise_trials"] = args.noise_mc;
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf("%s on %s: %zu samples\n", args.model_path.c_str(), args.data.c_str(), a.samples());
    if (clipped)
        std::printf(
            "%lld input values beyond [-1, 1] clipped to it (the fixed-point input range)\n",
            clipped);
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
    if (args.simulate) std::printf("float error on %zu examples: %.4f\n", d.size(), float_error);
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
        if (args.simulate && (r["below_simulation"]["thm1"].get<bool>() ||
                              r["below_simulation"]["thm2"].get<bool>()))
            std::printf("  <- a bound below the simulation");
        std::printf("\n");
    }
    bool below = false;
    for (const auto& r : rows)
        below = below || (args.simulate && (r["below_simulation"]["thm1"].get<bool>() ||
                                            r["below_simulation"]["thm2"].get<bool>()));
    if (below)
        std::printf(
            "A bound below the fixed-point network's mismatch is no contradiction of the theorems: "
            "they bound p_m under independent uniform noise through the linearised network "
            "(eq. 7), estimated as a mean over the estimation set, while the simulation rounds "
            "(saturating at the top of each range, e.g. ReLU outputs above 2 or the hard "
            "sigmoid's 2) on every row; an estimation set without the rows of tiny float margin "
            "underestimates E_A and E_W (the intervals above).\n");
    if (args.design) {
        std::printf(
            "\nDesign options as Sakr's Table 1 (MLP) and Table 2 (CNN) lay them out: the "
            "smallest precision with the bound <= 1%%\n");
        std::printf("%-7s %-40s %9s %10s %10s %10s %10s\n", "option", "rule", "(B_A,B_W)",
                    "test err", "p_m sim", "FA (1e6)", "bits (1e6)");
        if (args.simulate) std::printf("%-7s %-40s %9s %10.4f\n", "float", "", "", float_error);
        for (const auto& j : design) {
            char prec[24] = "none";
            if (j["found"].get<bool>())
                std::snprintf(prec, sizeof prec, "(%d, %d)", j["ba"].get<int>(),
                              j["bw"].get<int>());
            std::printf("%-7s %-40s %9s", j["option"].get<std::string>().c_str(),
                        j["rule"].get<std::string>().c_str(), prec);
            if (j.contains("error_sim"))
                std::printf(" %10.4f %10.4f", j["error_sim"].get<double>(),
                            j["p_m_sim"].get<double>());
            else
                std::printf(" %10s %10s", "", "");
            if (j["found"].get<bool>())
                std::printf(" %10.4g %10.4g", j["fa"].get<double>() / 1e6,
                            j["bits"].get<double>() / 1e6);
            std::printf("\n");
        }
    }
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
    c->add_option("--normalize", args->normalize, "auto (default), none, unit or standard");
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
