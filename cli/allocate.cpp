// qlab allocate: Lin 2016's cross-layer bit allocation (eq. 14-16) for model size or compute,
// from parameter counts or a saved model (kappa measured from its weights unless given), and
// optionally model size against error for equal and optimised widths (Fig. 4, Table 6).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "common.hpp"
#include "model_data.hpp"
#include "qlab/lin.hpp"
#include "qlab/lin_paper.hpp"

namespace qlab::cli {
namespace {

struct AllocateArgs {
    ModelDataArgs md;
    std::string params;
    std::string objective = qlab::objective_name(qlab::AllocationOptions{}.objective);
    double kappa = 0;  // 0: not given
    int base_bits = qlab::AllocationOptions{}.base_bits;
    int min_bits = qlab::AllocationOptions{}.min_bits;
    bool tradeoff = false, table6 = false;
    double match = 0.1;  // percentage points of error that count as the same performance
    qlab::TradeoffOptions trade;
    bool json = false;
};

nlohmann::json savings_json(const std::vector<qlab::LinSaving>& savings,
                            const std::vector<qlab::LinPoint>& points) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : savings)
        out.push_back({{"optimised", v.optimised},
                       {"equal", v.equal},
                       {"optimised_size_mbit", points[v.optimised].size},
                       {"equal_size_mbit", points[v.equal].size},
                       {"optimised_error", points[v.optimised].error},
                       {"equal_error", points[v.equal].error},
                       {"saving", v.saving}});
    return out;
}

// Lin Table 6: model sizes from Table 3's layers (conv0-conv5), the error column, and the pairs
// behind §5.2's "> 20% reduction in model size for the same performance".
int run_table6(const AllocateArgs& args) {
    const auto& cases = qlab::lin_table6();
    const std::vector<qlab::LinPoint> points = qlab::lin_points(cases);
    const std::vector<qlab::LinSaving> savings = qlab::lin_savings(points, args.match);
    const std::vector<int> up = qlab::lin_output_maps(24, true),
                           down = qlab::lin_output_maps(24, false);
    if (args.json) {
        nlohmann::json rows = nlohmann::json::array(), layers = nlohmann::json::array();
        for (const auto& c : cases)
            rows.push_back({{"case", c.id},
                            {"bits", c.bits},
                            {"optimised", c.optimised},
                            {"size_printed_mbit", c.size_printed},
                            {"size_mbit", qlab::lin_model_size_mbit(c.bits)},
                            {"error", c.error}});
        for (const auto& l : qlab::lin_table3())
            layers.push_back({{"layer", l.name},
                              {"weights", l.weights()},
                              {"params_printed_millions", l.params_printed}});
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& v : savings) ids.push_back({cases[v.optimised].id, cases[v.equal].id});
        std::cout << nlohmann::json{{"cases", rows},
                                    {"layers", layers},
                                    {"conv_weights", qlab::lin_conv_weights()},
                                    {"output_maps_round_up", up},
                                    {"output_maps_round_down", down},
                                    {"match_error", args.match},
                                    {"savings", savings_json(savings, points)},
                                    {"saving_case_pairs", ids}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf(
        "Lin Table 6 (CIFAR-10): conv0-conv5 weight bits, model size (10^6 bits) as "
        "printed and from Table 3's %lld conv weights, error %%\n",
        qlab::lin_conv_weights());
    std::printf("%-6s %-10s %-22s %9s %9s %7s\n", "case", "scheme", "bits", "printed", "ours",
                "error");
    for (const auto& c : cases) {
        std::string b;
        for (std::size_t i = 0; i < c.bits.size(); ++i)
            b += (i ? "," : "") + std::to_string(c.bits[i]);
        std::printf("%-6d %-10s %-22s %9.2f %9.2f %7.2f\n", c.id,
                    c.optimised ? "optimised" : "equal", b.c_str(), c.size_printed,
                    qlab::lin_model_size_mbit(c.bits), c.error);
    }
    std::printf(
        "\nOptimised against the smallest equal-width case within %.2g points of its error "
        "(§5.2: \"> 20%% reduction in model size for the same performance\"):\n",
        args.match);
    for (const auto& v : savings)
        std::printf(
            "  case %2d (%.2f Mbit, %.2f%%) against case %d (%.2f Mbit, %.2f%%): %.1f%% "
            "smaller\n",
            cases[v.optimised].id, points[v.optimised].size, points[v.optimised].error,
            cases[v.equal].id, points[v.equal].size, points[v.equal].error, 100 * v.saving);
    std::printf(
        "Table 3's output maps are Table 5's strides from a 24 x 24 input rounded up (%d, "
        "%d, %d, %d, %d, %d; rounded down: %d, ..., %d), so fc0 has 128 x %d x %d x 10 = "
        "%lld weights, Table 3's 0.005 M.\n",
        up[0], up[1], up[2], up[3], up[4], up[5], down[0], down[5], up[5], up[5],
        qlab::lin_fc0_weights());
    return 0;
}

std::string join(const std::vector<int>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
}

// What the allocation runs on: rho per layer, the layers' names and kappa (and where it came from).
struct AllocationInput {
    std::vector<double> rho;
    std::vector<std::string> names;
    std::string kappa_source = "given";
    double kappa = 0;
};

// rho from a saved model's layers (parameters or multiply-accumulates), kappa measured from its
// weights unless given; prints the message and returns false on bad input.
bool rho_from_model(const AllocateArgs& args, qlab::AllocationObjective objective,
                    qlab::Model& model, PreparedData& prepared, const qlab::Dataset*& data,
                    AllocationInput& in) {
    if (args.md.data.empty()) {
        std::cerr << "qlab allocate: --model needs --data\n";
        return false;
    }
    if (!load_model_data("allocate", args.md, model, prepared, data)) return false;
    in.rho = objective == qlab::AllocationObjective::size ? qlab::layer_parameters(model)
                                                          : qlab::layer_macs(model);
    for (std::size_t l : qlab::weighted_layers(model))
        in.names.push_back("layer " + std::to_string(l + 1));
    if (in.kappa == 0) {
        auto k = qlab::measured_weight_kappa(model, 2, 12, args.trade.format);
        if (!k) {
            std::cerr << "qlab allocate: " << k.status().message() << "\n";
            return false;
        }
        in.kappa = *k;
        in.kappa_source = "measured";
    }
    return true;
}

// rho from --params p1,p2,...; kappa the default unless given.
bool rho_from_params(const AllocateArgs& args, AllocationInput& in) {
    std::stringstream text(args.params);
    std::string item;
    while (std::getline(text, item, ',')) {
        double v = 0;
        if (!parse_number(item, v)) {
            std::cerr << "qlab allocate: --params: '" << item << "' is not a number\n";
            return false;
        }
        in.rho.push_back(v);
        in.names.push_back("layer " + std::to_string(in.rho.size()));
    }
    if (in.kappa == 0) in.kappa = qlab::AllocationOptions{}.kappa, in.kappa_source = "default";
    return true;
}

// Model size against error for equal and optimised widths (Fig. 4, Table 6).
bool run_tradeoff(AllocateArgs& args, double kappa, qlab::AllocationObjective objective,
                  const qlab::Model& model, const qlab::Dataset& data,
                  std::optional<qlab::TradeoffResult>& trade) {
    args.trade.kappa = kappa;
    args.trade.objective = objective;
    qlab::TradeoffJob job(model, data, args.trade);
    ProgressLine line;
    const qlab::Status s = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!s) {
        std::cerr << "qlab allocate: " << s.message() << "\n";
        return false;
    }
    trade = job.result();
    return true;
}

void print_allocation_json(const AllocateArgs& args, const AllocationInput& in,
                           const qlab::Allocation& a,
                           const std::optional<qlab::TradeoffResult>& trade) {
    nlohmann::json j{
        {"objective", args.objective}, {"kappa", in.kappa}, {"kappa_source", in.kappa_source},
        {"base_bits", args.base_bits}, {"rho", a.rho},      {"exact_offsets", a.exact_offsets},
        {"offsets", a.offsets},        {"bits", a.bits},    {"weighted_bits", a.weighted_bits},
        {"layers", in.names}};
    if (trade) {
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : trade->points)
            points.push_back({{"scheme", p.optimised ? "optimised" : "equal"},
                              {"bits", p.bits},
                              {"model_size_bits", p.model_size_bits},
                              {"error", p.error}});
        const std::vector<qlab::LinPoint> lp = qlab::lin_points(*trade);
        j["tradeoff"] = {{"float_error", trade->float_error},
                         {"activation_bits", args.trade.activation_bits},
                         {"points", points},
                         {"match_error", args.match},
                         {"savings", savings_json(qlab::lin_savings(lp, args.match), lp)}};
    }
    std::cout << j.dump(2) << "\n";
}

void print_tradeoff(const AllocateArgs& args, const qlab::TradeoffResult& trade) {
    std::printf(
        "\nModel size against error (Fig. 4 / Table 6), activations at %d bits; float "
        "error %.4f\n",
        args.trade.activation_bits, trade.float_error);
    std::printf("%-10s %-24s %14s %8s\n", "scheme", "bits", "size (bits)", "error");
    for (const auto& p : trade.points)
        std::printf("%-10s %-24s %14.0f %8.4f\n", p.optimised ? "optimised" : "equal",
                    join(p.bits).c_str(), p.model_size_bits, p.error);
    const std::vector<qlab::LinPoint> lp = qlab::lin_points(trade);
    const std::vector<qlab::LinSaving> sv = qlab::lin_savings(lp, args.match);
    std::printf(
        "optimised against the smallest equal-width point within %.2g points of its "
        "error (Lin's pair, Table 6 cases 10 and 2: 22%% smaller):\n",
        args.match);
    if (sv.empty()) std::printf("  none: no optimised point is smaller at the same error\n");
    for (const auto& v : sv)
        std::printf("  %s (%.4g Mbit, %.2f%%) against %s (%.4g Mbit, %.2f%%): %.1f%% smaller\n",
                    join(trade.points[v.optimised].bits).c_str(), lp[v.optimised].size,
                    lp[v.optimised].error, join(trade.points[v.equal].bits).c_str(),
                    lp[v.equal].size, lp[v.equal].error, 100 * v.saving);
}

void print_allocation(const AllocateArgs& args, const AllocationInput& in,
                      const qlab::Allocation& a) {
    std::printf("Bit allocation (Lin 2016 eq. 16), objective %s, kappa %.3f dB/bit (%s)\n",
                args.objective.c_str(), in.kappa, in.kappa_source.c_str());
    std::printf("%-10s %14s %12s %8s %6s\n", "layer", "rho", "eq.16 exact", "offset", "bits");
    for (std::size_t i = 0; i < in.rho.size(); ++i)
        std::printf("%-10s %14.6g %12.3f %8d %6d\n", in.names[i].c_str(), in.rho[i],
                    a.exact_offsets[i], a.offsets[i], a.bits[i]);
    std::printf("sum rho x bits: %.6g\n", a.weighted_bits);
}

int run_allocate(AllocateArgs& args) {
    if (!(args.match >= 0)) {
        std::cerr << "qlab allocate: --match-error must be >= 0 (percentage points)\n";
        return kExitBadInput;
    }
    if (args.table6) {
        if (!args.md.model_path.empty() || !args.params.empty()) {
            std::cerr << "qlab allocate: --table6 takes no --model or --params\n";
            return kExitBadInput;
        }
        return run_table6(args);
    }
    auto objective = qlab::parse_objective(args.objective);
    if (!objective) {
        std::cerr << "qlab allocate: " << objective.status().message() << "\n";
        return kExitBadInput;
    }
    const bool from_model = !args.md.model_path.empty();
    if (from_model == !args.params.empty()) {
        std::cerr << "qlab allocate: give either --model PATH --data DATA or --params p1,p2,...\n";
        return kExitBadInput;
    }
    if (args.kappa < 0) {
        std::cerr << "qlab allocate: --kappa must be positive\n";
        return kExitBadInput;
    }
    AllocationInput in;
    in.kappa = args.kappa;
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* data = nullptr;
    if (from_model ? !rho_from_model(args, *objective, model, prepared, data, in)
                   : !rho_from_params(args, in))
        return kExitBadInput;
    auto a = qlab::allocate_bits(in.rho, in.kappa, args.base_bits, args.min_bits);
    if (!a) {
        std::cerr << "qlab allocate: " << a.status().message() << "\n";
        return kExitBadInput;
    }
    std::optional<qlab::TradeoffResult> trade;
    if (args.tradeoff) {
        if (!from_model) {
            std::cerr << "qlab allocate: --tradeoff needs --model and --data\n";
            return kExitBadInput;
        }
        if (!run_tradeoff(args, in.kappa, *objective, model, *data, trade)) return kExitBadInput;
    }
    if (args.json) {
        print_allocation_json(args, in, *a, trade);
        return 0;
    }
    print_allocation(args, in, *a);
    if (trade) print_tradeoff(args, *trade);
    return 0;
}

}  // namespace

Subcommand add_allocate(CLI::App& app) {
    auto args = std::make_shared<AllocateArgs>();
    CLI::App* c = app.add_subcommand(
        "allocate", "Lin 2016 cross-layer bit allocation (eq. 14-16) for model size or compute");
    add_model_data_options(c, args->md);
    c->add_option("--data", args->md.data, "data spec (with --model)");
    c->add_option("--params", args->params, "rho per layer instead of a model: p1,p2,...");
    c->add_option("--objective", args->objective,
                  "size (rho = parameters) or compute (rho = multiply-accumulates)")
        ->capture_default_str();
    c->add_option("--kappa", args->kappa,
                  "dB/bit (default: measured from the model's weights; 3 with --params)");
    c->add_option("--base-bits", args->base_bits, "bits of the first layer (beta_0)")
        ->capture_default_str();
    c->add_option("--min-bits", args->min_bits, "no layer gets fewer")->capture_default_str();
    c->add_flag("--tradeoff", args->tradeoff,
                "also model size against error, equal and optimised widths (needs --model)");
    c->add_option("--tradeoff-min", args->trade.min_bits, "narrowest width in --tradeoff")
        ->capture_default_str();
    c->add_option("--tradeoff-max", args->trade.max_bits, "widest width in --tradeoff")
        ->capture_default_str();
    c->add_option("--activation-bits", args->trade.activation_bits,
                  "activation width in --tradeoff (Lin: 16)")
        ->capture_default_str();
    c->add_flag("--table6", args->table6,
                "Lin Table 6: sizes from Table 3's layers, the error column and the pairs behind "
                "the > 20% claim");
    c->add_option("--match-error", args->match,
                  "error difference (percentage points) that counts as the same performance in "
                  "the size comparison")
        ->capture_default_str();
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_allocate(*args); }};
}

}  // namespace qlab::cli
