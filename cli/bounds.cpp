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

namespace qlab::cli {
namespace {

struct BoundsArgs {
    std::string model_path, data, normalize = "auto", grid, offset;
    int samples = qlab::SakrOptions{}.samples;
    int ba = 0, bw = 0;
    bool simulate = false, json = false;
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
    // Sakr's inputs lie in [-1, 1], the range of the fixed-point input format. Scaling fitted on
    // the training rows can put a held-out pixel beyond it; fixed point would saturate it, an error
    // no theorem models (it persists at any precision). So the analysis, the float decisions and
    // the simulation all see the inputs clipped to [-1, 1].
    qlab::Dataset d = *analysed;
    long long clipped = 0;
    for (float& v : d.x)
        if (v > 1 || v < -1) v = v > 1 ? 1.0f : -1.0f, ++clipped;
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

    if (args.json) {
        nlohmann::json out = {{"model", args.model_path},
                              {"data", args.data},
                              {"samples", a.samples()},
                              {"E_A", finite_or_null(a.e_a())},
                              {"E_W", finite_or_null(a.e_w())},
                              {"suggested_bw_minus_ba", a.suggested_bw_minus_ba()},
                              {"ties", a.ties()},
                              {"rows", rows}};
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
        std::printf("\n");
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
                  "estimation set: this many random rows (0: all; default " +
                      std::to_string(defaults.samples) + ")");
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
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_bounds(*args); }};
}

}  // namespace qlab::cli
