// qlab sqnr: the SQNR of a format on a distribution or data file, Lin's optimal steps, or with
// --model the SQNR of every quantization step of a saved model and at its output (Lin eq. 9).
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "model_data.hpp"
#include "qlab/lin.hpp"
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
    // --model mode (--data is then a data spec)
    std::string model_path, weights, activations, normalize = "auto", sweep;
    double test_fraction = 0;
    std::size_t rows = qlab::SqnrOptions{}.max_rows;
    int lin_bits = 0;  // > 0: Lin's formats at this width (the Layers lesson's snapshot)
};

std::string db_text(double db) {
    if (!std::isfinite(db)) return db > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", db);
    return buf;
}

// What eq. 9 is here, said wherever it is printed (the Layers lesson's hints say the same).
constexpr const char* kEq9Note =
    "eq. 9 as applied here: 1/gamma_out = sum of 1/gamma over the steps the lab quantizes (W1, a1, "
    "..., W_L); the network input a(0) and the scores a(L) are not quantized, so Lin's terms "
    "1/gamma_a(0) and 1/gamma_a(L) are left out, biases stay float (Lin leaves them out too), and "
    "it assumes independent noise; Lin's formats take sigma as the values' RMS (sigma_hat = 3 "
    "sigma)";

// The steps of a model's SQNR (names, roles, formats, measured dB) and its output, as JSON.
nlohmann::json model_sqnr_json(const SqnrArgs& args, const qlab::ModelSqnr& r) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& st : r.steps)
        steps.push_back({{"name", st.name()},
                         {"layer", st.layer + 1},
                         {"role", st.role == qlab::StepRole::weights ? "weights" : "activations"},
                         {"format", st.format},
                         {"count", st.count},
                         {"sqnr_db", json_number(st.sqnr_db)}});
    return {{"model", args.model_path},
            {"data", args.data},
            {"rows", r.rows},
            {"steps", steps},
            {"predicted_output_db", json_number(r.predicted_output_db)},
            {"eq9_note", kEq9Note},
            {"measured_output_db", json_number(r.measured_output_db)},
            {"float_accuracy", r.float_accuracy},
            {"quantized_accuracy", r.quantized_accuracy}};
}

void print_model_sqnr(const qlab::ModelSqnr& r) {
    std::printf("SQNR of every quantization step (Lin 2016), %zu examples\n", r.rows);
    std::printf("%-5s %-14s %-22s %10s %10s\n", "step", "role", "format", "values", "SQNR dB");
    for (const auto& st : r.steps)
        std::printf("%-5s %-14s %-22s %10zu %10s\n", st.name().c_str(),
                    st.role == qlab::StepRole::weights ? "weights" : "activations",
                    st.format.empty() ? "(float)" : st.format.c_str(), st.count,
                    db_text(st.sqnr_db).c_str());
    std::printf("output SQNR: predicted (eq. 9) %s dB, measured %s dB\n",
                db_text(r.predicted_output_db).c_str(), db_text(r.measured_output_db).c_str());
    std::printf("(%s)\n", kEq9Note);
    std::printf("accuracy: float %.4f, quantized %.4f\n", r.float_accuracy, r.quantized_accuracy);
}

// --sweep MIN..MAX: Lin's fixed-point formats per bit width, SQNR per step and kappa (eq. 2).
int print_sweep(const SqnrArgs& args, const qlab::Model& model, const qlab::Dataset& data) {
    qlab::LinSweepOptions o;
    o.max_rows = args.rows;
    if (std::sscanf(args.sweep.c_str(), "%d..%d", &o.min_bits, &o.max_bits) != 2) {
        std::cerr << "qlab sqnr: --sweep takes MIN..MAX, e.g. 2..12\n";
        return kExitBadInput;
    }
    qlab::LinSweepJob job(model, data, o);
    ProgressLine line;
    const qlab::Status s = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!s) {
        std::cerr << "qlab sqnr: " << s.message() << "\n";
        return kExitBadInput;
    }
    const qlab::LinSweepResult& r = job.result();
    if (args.json) {
        nlohmann::json steps = nlohmann::json::array(), rows = nlohmann::json::array();
        for (std::size_t i = 0; i < r.steps.size(); ++i)
            steps.push_back({{"name", r.steps[i].name()}, {"kappa", json_number(r.kappa[i])}});
        for (const auto& row : r.rows) {
            nlohmann::json db = nlohmann::json::array();
            for (double v : row.step_db) db.push_back(json_number(v));
            rows.push_back({{"bits", row.bits},
                            {"formats", row.formats},
                            {"step_db", db},
                            {"predicted_output_db", json_number(row.predicted_output_db)},
                            {"measured_output_db", json_number(row.measured_output_db)},
                            {"accuracy", row.accuracy}});
        }
        std::cout << nlohmann::json{{"model", args.model_path},
                                    {"eq9_note", kEq9Note},
                                    {"data", args.data},
                                    {"float_accuracy", r.float_accuracy},
                                    {"steps", steps},
                                    {"output_kappa", json_number(r.output_kappa)},
                                    {"rows", rows}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf("SQNR (dB) per step with Lin's fixed-point formats (sigma_hat = 3 sigma)\n");
    std::printf("%-5s", "bits");
    for (const auto& st : r.steps) std::printf(" %7s", st.name().c_str());
    std::printf(" %10s %10s %9s\n", "predicted", "measured", "accuracy");
    for (const auto& row : r.rows) {
        std::printf("%-5d", row.bits);
        for (double v : row.step_db) std::printf(" %7s", db_text(v).c_str());
        std::printf(" %10s %10s %9.4f\n", db_text(row.predicted_output_db).c_str(),
                    db_text(row.measured_output_db).c_str(), row.accuracy);
    }
    std::printf("%-5s", "kappa");
    for (double k : r.kappa) std::printf(" %7.2f", k);
    std::printf(" %10s %10.2f\n(predicted: eq. 9; kappa: dB/bit, eq. 2; float accuracy %.4f)\n", "",
                r.output_kappa, r.float_accuracy);
    std::printf("(%s)\n", kEq9Note);
    return 0;
}

// --lin-bits B: Lin's formats at B bits for every step and the meter at each layer's output,
// exactly the Layers lesson's snapshot (qlab::lin_snapshot).
int print_lin_snapshot(const SqnrArgs& args, const qlab::Model& model, const qlab::Dataset& data) {
    auto r = qlab::lin_snapshot(model, data, args.lin_bits, args.rows);
    if (!r) {
        std::cerr << "qlab sqnr: " << r.status().message() << "\n";
        return kExitBadInput;
    }
    if (args.json) {
        nlohmann::json j = model_sqnr_json(args, r->sqnr);
        nlohmann::json meters = nlohmann::json::array();
        for (const qlab::LayerSqnrMeter& m : r->meters)
            meters.push_back({{"layer", m.layer + 1},
                              {"measured_db", json_number(m.measured_db)},
                              {"predicted_db", json_number(m.predicted_db)}});
        j["bits"] = args.lin_bits;
        j["meters"] = meters;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    print_model_sqnr(r->sqnr);
    for (const qlab::LayerSqnrMeter& m : r->meters)
        std::printf("layer %zu output: measured %s dB, eq. 9 %s dB\n", m.layer + 1,
                    db_text(m.measured_db).c_str(), db_text(m.predicted_db).c_str());
    return 0;
}

// Lin 2016 on a saved model: measured SQNR per step and at the output, eq. 9's prediction; with
// --sweep MIN..MAX the same per bit width with Lin's fixed-point formats, and kappa per step;
// with --lin-bits B Lin's formats at B bits.
int run_model_sqnr(const SqnrArgs& args) {
    ModelDataArgs md;
    md.model_path = args.model_path, md.data = args.data, md.normalize = args.normalize;
    md.test_fraction = args.test_fraction, md.seed = args.seed;
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* data = nullptr;
    if (md.data.empty()) {
        std::cerr << "qlab sqnr: --model needs --data DATA\n";
        return kExitBadInput;
    }
    if (!load_model_data("sqnr", md, model, prepared, data)) return kExitBadInput;
    if (!args.sweep.empty()) return print_sweep(args, model, *data);
    if (args.lin_bits > 0) return print_lin_snapshot(args, model, *data);
    qlab::EvalOptions formats;
    formats.roles.weights = args.weights;
    formats.roles.activations = args.activations;
    qlab::SqnrOptions o;
    o.max_rows = args.rows;
    auto r = qlab::model_sqnr(model, *data, formats, o);
    if (!r) {
        std::cerr << "qlab sqnr: " << r.status().message() << "\n";
        return kExitBadInput;
    }
    if (args.json) {
        std::cout << model_sqnr_json(args, *r).dump(2) << "\n";
        return 0;
    }
    print_model_sqnr(*r);
    return 0;
}

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
    if (!args.model_path.empty()) return run_model_sqnr(args);
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
        // Bits per value with the scales' share, so formats compare at equal storage.
        std::cout << nlohmann::json{{"format", format->to_string()},
                                    {"data", source},
                                    {"n", data.size()},
                                    {"bits_per_value",
                                     json_number(format->bits_per_value(data.size()))},
                                    {"sqnr_db", json_number(db)}}
                         .dump(2)
                  << "\n";
    } else {
        std::printf(
            "%s on %s: SQNR %s dB at %s bits per value\n", format->to_string().c_str(),
            source.c_str(), shortest_repr(std::round(db * 1000) / 1000).c_str(),
            shortest_repr(std::round(format->bits_per_value(data.size()) * 1e4) / 1e4).c_str());
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
    c->add_option("--data", args->data,
                  "file with one number per line instead of --dist; with --model a data spec");
    c->add_option("--n", args->n, "samples drawn from --dist (default 100000)");
    c->add_option("--seed", args->seed, "sampling and stochastic rounding seed");
    c->add_option("--rounding", args->rounding, "rounding mode");
    c->add_flag(
        "--optimal-steps", args->optimal_steps,
        "print the optimal uniform step per distribution and bit width (Table 1) and kappa");
    c->add_option("--bits", args->max_bits, "largest bit width for --optimal-steps (default 8)");
    c->add_option("--model", args->model_path,
                  "a saved model: SQNR of each layer's weights and activations and of the output, "
                  "measured and predicted (Lin eq. 9)");
    c->add_option("--weights", args->weights, "with --model: format of the weights");
    c->add_option("--activations", args->activations,
                  "with --model: format of the hidden activations");
    c->add_option("--sweep", args->sweep,
                  "with --model: MIN..MAX bit widths with Lin's formats, and kappa per step");
    c->add_option("--lin-bits", args->lin_bits,
                  "with --model: Lin's formats at this width for every step, and the SQNR at each "
                  "layer's output beside eq. 9 (the Layers lesson's figures)");
    c->add_option("--rows", args->rows, "with --model: examples measured (0: all)")
        ->capture_default_str();
    c->add_option("--normalize", args->normalize,
                  std::string("with --model: auto, ") + qlab::kNormalizationChoices);
    c->add_option("--test-fraction", args->test_fraction,
                  "with --model: hold out this fraction and measure on it");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_sqnr(*args); }};
}

}  // namespace qlab::cli
