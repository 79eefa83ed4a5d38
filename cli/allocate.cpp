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

namespace qlab::cli {
namespace {

struct AllocateArgs {
    ModelDataArgs md;
    std::string params;
    std::string objective = qlab::objective_name(qlab::AllocationOptions{}.objective);
    double kappa = 0;  // 0: not given
    int base_bits = qlab::AllocationOptions{}.base_bits;
    int min_bits = qlab::AllocationOptions{}.min_bits;
    bool tradeoff = false;
    qlab::TradeoffOptions trade;
    bool json = false;
};

std::string join(const std::vector<int>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
}

int run_allocate(AllocateArgs& args) {
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
    std::vector<double> rho;
    std::vector<std::string> names;
    std::string kappa_source = "given";
    double kappa = args.kappa;
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* data = nullptr;
    if (from_model) {
        if (args.md.data.empty()) {
            std::cerr << "qlab allocate: --model needs --data\n";
            return kExitBadInput;
        }
        if (!load_model_data("allocate", args.md, model, prepared, data)) return kExitBadInput;
        rho = *objective == qlab::AllocationObjective::size ? qlab::layer_parameters(model)
                                                            : qlab::layer_macs(model);
        for (std::size_t l : qlab::weighted_layers(model))
            names.push_back("layer " + std::to_string(l + 1));
        if (kappa == 0) {
            auto k = qlab::measured_weight_kappa(model, 2, 12, args.trade.format);
            if (!k) {
                std::cerr << "qlab allocate: " << k.status().message() << "\n";
                return kExitBadInput;
            }
            kappa = *k;
            kappa_source = "measured";
        }
    } else {
        std::stringstream in(args.params);
        std::string item;
        while (std::getline(in, item, ',')) {
            double v = 0;
            if (!parse_number(item, v)) {
                std::cerr << "qlab allocate: --params: '" << item << "' is not a number\n";
                return kExitBadInput;
            }
            rho.push_back(v);
            names.push_back("layer " + std::to_string(rho.size()));
        }
        if (kappa == 0) kappa = qlab::AllocationOptions{}.kappa, kappa_source = "default";
    }
    auto a = qlab::allocate_bits(rho, kappa, args.base_bits, args.min_bits);
    if (!a) {
        std::cerr << "qlab allocate: " << a.status().message() << "\n";
        return kExitBadInput;
    }
    nlohmann::json trade_json;
    std::optional<qlab::TradeoffResult> trade;
    if (args.tradeoff) {
        if (!from_model) {
            std::cerr << "qlab allocate: --tradeoff needs --model and --data\n";
            return kExitBadInput;
        }
        args.trade.kappa = kappa;
        args.trade.objective = *objective;
        qlab::TradeoffJob job(model, *data, args.trade);
        ProgressLine line;
        const qlab::Status s = qlab::run_job(job, [&](const qlab::JobProgress& p) {
            if (line.due()) line.show(p.stage);
        });
        line.clear();
        if (!s) {
            std::cerr << "qlab allocate: " << s.message() << "\n";
            return kExitBadInput;
        }
        trade = job.result();
    }
    if (args.json) {
        nlohmann::json j{{"objective", args.objective},
                         {"kappa", kappa},
                         {"kappa_source", kappa_source},
                         {"base_bits", args.base_bits},
                         {"rho", a->rho},
                         {"exact_offsets", a->exact_offsets},
                         {"offsets", a->offsets},
                         {"bits", a->bits},
                         {"weighted_bits", a->weighted_bits},
                         {"layers", names}};
        if (trade) {
            nlohmann::json points = nlohmann::json::array();
            for (const auto& p : trade->points)
                points.push_back({{"scheme", p.optimised ? "optimised" : "equal"},
                                  {"bits", p.bits},
                                  {"model_size_bits", p.model_size_bits},
                                  {"error", p.error}});
            j["tradeoff"] = {{"float_error", trade->float_error},
                             {"activation_bits", args.trade.activation_bits},
                             {"points", points}};
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("Bit allocation (Lin 2016 eq. 16), objective %s, kappa %.3f dB/bit (%s)\n",
                args.objective.c_str(), kappa, kappa_source.c_str());
    std::printf("%-10s %14s %12s %8s %6s\n", "layer", "rho", "eq.16 exact", "offset", "bits");
    for (std::size_t i = 0; i < rho.size(); ++i)
        std::printf("%-10s %14.6g %12.3f %8d %6d\n", names[i].c_str(), rho[i], a->exact_offsets[i],
                    a->offsets[i], a->bits[i]);
    std::printf("sum rho x bits: %.6g\n", a->weighted_bits);
    if (trade) {
        std::printf(
            "\nModel size against error (Fig. 4 / Table 6), activations at %d bits; float "
            "error %.4f\n",
            args.trade.activation_bits, trade->float_error);
        std::printf("%-10s %-24s %14s %8s\n", "scheme", "bits", "size (bits)", "error");
        for (const auto& p : trade->points)
            std::printf("%-10s %-24s %14.0f %8.4f\n", p.optimised ? "optimised" : "equal",
                        join(p.bits).c_str(), p.model_size_bits, p.error);
    }
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
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_allocate(*args); }};
}

}  // namespace qlab::cli
