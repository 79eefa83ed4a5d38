// qlab: the headless command over the core (DESIGN §6). Thin argument parsing only; every
// number it prints comes from qlab_core.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qlab/calibration.hpp"
#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/mlp.hpp"
#include "qlab/perceptron.hpp"
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

// Parses a rounding mode; prints the message on failure.
bool parse_rounding_for(const char* command, const std::string& mode, qlab::Rounding& rounding) {
    auto r = qlab::parse_rounding(mode);
    if (!r) {
        std::cerr << "qlab " << command << ": " << r.status().message() << "\n";
        return false;
    }
    rounding = *r;
    return true;
}

// Parses the spec and rounding mode every subcommand takes; prints the message on failure.
bool parse_format_and_rounding(const char* command, const std::string& spec, const std::string& mode,
                               std::optional<qlab::Format>& format, qlab::Rounding& rounding) {
    auto parsed = qlab::Format::parse(spec);
    if (!parsed) {
        std::cerr << "qlab " << command << ": " << parsed.status().message() << "\n";
        return false;
    }
    if (!parse_rounding_for(command, mode, rounding)) return false;
    format = *parsed;
    return true;
}

struct QuantizeArgs {
    std::string format;
    std::string rounding = "rne";
    std::uint64_t seed = 0;
};

int run_quantize(const QuantizeArgs& args) {
    std::optional<qlab::Format> format;
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("quantize", args.format, args.rounding, format, rounding)) return kExitBadInput;
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
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("format", args.spec, args.rounding, format, rounding)) return kExitBadInput;
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
    std::printf("%-14s %s%s\n", "atoms", shortest_repr(f.atom_count()).c_str(),
                f.has_infinity() ? " finite, plus +-inf" : "");
    std::printf("%-14s %s\n", "min positive", shortest_repr(f.min_positive()).c_str());
    std::printf("%-14s %s\n", "max finite", shortest_repr(f.max_finite()).c_str());
    std::printf("%-14s %s\n", "epsilon/step", shortest_repr(f.epsilon()).c_str());
    std::printf("%-14s %s over [-%s, %s] with %s (Cherkhev eq. 1)\n", "delta",
                shortest_repr(delta).c_str(), shortest_repr(range).c_str(), shortest_repr(range).c_str(),
                qlab::rounding_name(rounding));
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
    qlab::Rounding rounding{};
    if (!parse_format_and_rounding("sqnr", args.format, args.rounding, format, rounding)) return kExitBadInput;
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
        std::cout << nlohmann::json{{"format", format->to_string()}, {"data", source}, {"n", data.size()},
                                    {"sqnr_db", json_number(db)}}.dump(2)
                  << "\n";
    } else {
        std::printf("%s on %s: SQNR %s dB\n", format->to_string().c_str(), source.c_str(),
                    shortest_repr(std::round(db * 1000) / 1000).c_str());
    }
    return 0;
}

struct TrainArgs {
    std::string data;
    std::string weights, activations, gradients, updates, accumulator;  // MLP quantization roles
    std::string optimizer = "adam";
    float lr = 1e-3f;
    float lr_decay = 1.0f;
    int batch = 64;
    float dropout = 0;
    bool clip_weights = false;
    std::string save;
    int vector_kmeans = 0;
    std::string model = "perceptron";
    std::string format = "lattice:range=1,points=256";
    std::string rounding = "rne";
    std::string normalize = "auto";
    int epochs = 50;
    int steps = 2000;
    double test_fraction = 0.2;
    std::uint64_t seed = 1;
    bool json = false;
};

struct PreparedData {
    qlab::Split split;
    std::string note;
};

// Loads, splits and normalises: real data is scaled to [-1, 1] per feature (Sakr §4.1,
// Cherkhev's [-1, 1] lattices) unless --normalize says otherwise; generated data is left as is.
bool prepare_data(const char* command, const TrainArgs& args, PreparedData& out) {
    auto data = qlab::load_data_spec(args.data);
    if (!data) {
        std::cerr << "qlab " << command << ": " << data.status().message() << "\n";
        return false;
    }
    if (!(args.test_fraction >= 0 && args.test_fraction < 1)) {
        std::cerr << "qlab " << command << ": --test-fraction must be in [0, 1)\n";
        return false;
    }
    out.split = qlab::split_dataset(*data, args.test_fraction, args.seed);
    std::string how = args.normalize;
    if (how == "auto") how = args.data.rfind("synth:", 0) == 0 ? "none" : "unit";
    qlab::Normalization n = qlab::Normalization::none;
    if (how == "unit") n = qlab::Normalization::scale_to_unit_range;
    else if (how == "standard") n = qlab::Normalization::standardize;
    else if (how != "none") {
        std::cerr << "qlab " << command << ": --normalize must be auto, none, unit or standard, got '" << how << "'\n";
        return false;
    }
    const qlab::Dataset reference = out.split.train;
    qlab::normalize(out.split.train, reference, n);
    qlab::normalize(out.split.test, reference, n);
    out.note = how;
    return true;
}

nlohmann::json linear_result_json(const qlab::QuantizedLinearResult& r) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : r.history)
        history.push_back({{"epoch", e.epoch}, {"mistakes", e.mistakes}, {"stalled", e.stalled},
                           {"train_accuracy", e.train_accuracy}});
    return {{"format", r.format}, {"train_accuracy", r.train_accuracy}, {"test_accuracy", r.test_accuracy},
            {"epochs", r.epochs_run}, {"updates", r.updates}, {"converged", r.converged},
            {"stalled_updates", r.stalled_updates}, {"sink_atoms", r.sink_atoms}, {"ended_in_sink", r.ended_in_sink},
            {"margin", r.margin}, {"radius", r.radius}, {"delta", r.delta}, {"delta_box", r.delta_box}, {"observed_delta", r.observed_delta},
            {"mistake_bound", json_number(r.mistake_bound)}, {"weights", r.weights}, {"history", history},
            {"vector_atoms", r.vector_atoms}};
}

using LinearTrainer = std::function<qlab::Result<qlab::QuantizedLinearResult>(
    const qlab::Dataset&, const qlab::Dataset*, const qlab::QuantizedLinearOptions&)>;

int run_train_network(const TrainArgs& args) {
    qlab::Rounding update_rounding{};
    if (!parse_rounding_for("train", args.rounding, update_rounding)) return kExitBadInput;
    PreparedData data;
    if (!prepare_data("train", args, data)) return kExitBadInput;
    auto model = qlab::make_model(args.model, data.split.train.features, data.split.train.classes, args.seed);
    if (!model) {
        std::cerr << "qlab train: " << model.status().message() << "\n";
        return kExitBadInput;
    }
    qlab::TrainOptions o;
    if (args.optimizer == "sgd") o.optimizer = qlab::Optimizer::sgd;
    else if (args.optimizer == "momentum") o.optimizer = qlab::Optimizer::momentum;
    else if (args.optimizer != "adam") {
        std::cerr << "qlab train: --optimizer must be sgd, momentum or adam, got '" << args.optimizer << "'\n";
        return kExitBadInput;
    }
    o.learning_rate = args.lr;
    o.lr_decay = args.lr_decay;
    o.epochs = args.epochs;
    o.batch = args.batch;
    o.dropout = args.dropout;
    o.clip_weights = args.clip_weights;
    o.seed = args.seed;
    o.roles.weights = args.weights;
    o.roles.activations = args.activations;
    o.roles.gradients = args.gradients;
    o.roles.updates = args.updates;
    o.roles.accumulator = args.accumulator;
    o.roles.update_rounding = update_rounding;
    qlab::Model m = std::move(model).value();
    const qlab::Dataset* test = data.split.test.size() ? &data.split.test : nullptr;
    auto r = qlab::train_model(m, data.split.train, test, o);
    if (!r) {
        std::cerr << "qlab train: " << r.status().message() << "\n";
        return kExitBadInput;
    }
    if (!args.save.empty()) {
        if (qlab::Status s = qlab::save_model(m, args.save); !s) {
            std::cerr << "qlab train: " << s.message() << "\n";
            return kExitBadInput;
        }
    }
    for (const auto& w : r->warnings) std::cerr << "qlab train: warning: " << w << "\n";
    if (args.json) {
        nlohmann::json history = nlohmann::json::array();
        for (const auto& e : r->history)
            history.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                               {"test_accuracy", e.test_accuracy}});
        std::cout << nlohmann::json{{"model", args.model}, {"data", args.data}, {"normalize", data.note},
                                    {"train_size", data.split.train.size()}, {"test_size", data.split.test.size()},
                                    {"train_accuracy", r->train_accuracy}, {"test_accuracy", r->test_accuracy},
                                    {"epochs", r->history.size()}, {"updates", r->updates},
                                    {"lost_updates", r->lost_updates}, {"history", history}, {"warnings", r->warnings},
                                    {"weights", args.weights}, {"activations", args.activations},
                                    {"gradients", args.gradients}, {"updates_format", args.updates}}.dump(2)
                  << "\n";
        return 0;
    }
    std::printf("%s on %s (%zu train / %zu test, normalize %s)\n", args.model.c_str(), args.data.c_str(),
                data.split.train.size(), data.split.test.size(), data.note.c_str());
    std::printf("%-6s %10s %10s %10s\n", "epoch", "loss", "train", "test");
    for (const auto& e : r->history)
        std::printf("%-6d %10.4f %10.4f %10.4f\n", e.epoch, e.loss, e.train_accuracy, e.test_accuracy);
    if (!args.updates.empty())
        std::printf("lost updates: %lld of %lld (%.1f%%) below half an ulp of %s\n", r->lost_updates, r->updates,
                    r->updates ? 100.0 * static_cast<double>(r->lost_updates) / static_cast<double>(r->updates) : 0.0,
                    args.updates.c_str());
    if (!args.save.empty()) std::printf("saved %s\n", args.save.c_str());
    return 0;
}

struct EvalArgs {
    std::string model_path, data, weights, activations, accumulator, normalize = "auto";
    std::string calibrate;
    int bits = 8;
    bool per_channel = false, asymmetric = false;
    double percentile = 99.99;
    double test_fraction = 0;
    std::uint64_t seed = 1;
    bool json = false;
};

int run_eval(const EvalArgs& args) {
    auto model = qlab::load_model(args.model_path);
    if (!model) {
        std::cerr << "qlab eval: " << model.status().message() << "\n";
        return kExitBadInput;
    }
    TrainArgs t;
    t.data = args.data;
    t.normalize = args.normalize;
    t.test_fraction = args.test_fraction;
    t.seed = args.seed;
    PreparedData data;
    if (!prepare_data("eval", t, data)) return kExitBadInput;
    // With a test fraction the held-out part is evaluated (the same split as train); else all.
    const qlab::Dataset& d = data.split.test.size() ? data.split.test : data.split.train;
    if (d.features != model->inputs()) {
        std::cerr << "qlab eval: the data has " << d.features << " features, the model takes " << model->inputs() << "\n";
        return kExitBadInput;
    }
    qlab::EvalOptions quantized;
    quantized.roles.weights = args.weights;
    quantized.roles.activations = args.activations;
    quantized.roles.accumulator = args.accumulator;
    for (const std::string* spec : {&args.weights, &args.activations, &args.accumulator}) {
        if (spec->empty()) continue;
        auto f = qlab::Format::parse(*spec);
        if (!f) {
            std::cerr << "qlab eval: " << f.status().message() << "\n";
            return kExitBadInput;
        }
    }
    std::vector<std::string> calibrated;
    if (!args.calibrate.empty()) {
        if (!args.weights.empty() || !args.activations.empty()) {
            std::cerr << "qlab eval: give either --calibrate or explicit --weights/--activations\n";
            return kExitBadInput;
        }
        auto method = qlab::parse_calibration(args.calibrate);
        if (!method) {
            std::cerr << "qlab eval: " << method.status().message() << "\n";
            return kExitBadInput;
        }
        qlab::CalibrationOptions c;
        c.method = *method;
        c.bits = args.bits;
        c.symmetric = !args.asymmetric;
        c.per_channel = args.per_channel;
        c.percentile = args.percentile;
        // Calibrate on the training part when there is a held-out part; it is never calibrated on.
        auto q = qlab::calibrate_model(*model, data.split.train, c);
        if (!q) {
            std::cerr << "qlab eval: " << q.status().message() << "\n";
            return kExitBadInput;
        }
        quantized = *q;
        for (std::size_t l = 0; l < quantized.layers.size(); ++l) {
            const auto& f = quantized.layers[l];
            calibrated.push_back("layer " + std::to_string(l + 1) + " weights " +
                                 (f.weight_rows.empty() ? f.weights : std::to_string(f.weight_rows.size()) + " per-channel formats, first " + f.weight_rows.front()) +
                                 (f.activations.empty() ? "" : "; activations " + f.activations));
        }
    }
    const qlab::Matrix float_scores = qlab::predict_scores(*model, d);
    const qlab::Matrix q_scores = qlab::predict_scores(*model, d, quantized);
    const int classes = model->outputs();
    std::vector<std::vector<long>> confusion(static_cast<std::size_t>(classes), std::vector<long>(static_cast<std::size_t>(classes), 0));
    long right_float = 0, right_q = 0, mismatches = 0;
    for (Eigen::Index i = 0; i < q_scores.rows(); ++i) {
        Eigen::Index pf, pq;
        float_scores.row(i).maxCoeff(&pf);
        q_scores.row(i).maxCoeff(&pq);
        const int y = d.y[static_cast<std::size_t>(i)];
        right_float += pf == y;
        right_q += pq == y;
        mismatches += pf != pq;
        if (y < classes) ++confusion[static_cast<std::size_t>(y)][static_cast<std::size_t>(pq)];
    }
    const double n = static_cast<double>(d.size());
    if (args.json) {
        std::cout << nlohmann::json{{"model", args.model_path}, {"data", args.data}, {"examples", d.size()},
                                    {"float_accuracy", right_float / n}, {"accuracy", right_q / n},
                                    {"mismatch_rate", mismatches / n}, {"weights", args.weights},
                                    {"activations", args.activations}, {"calibration", args.calibrate},
                                    {"calibrated_formats", calibrated}, {"confusion", confusion}}.dump(2)
                  << "\n";
        return 0;
    }
    std::printf("%s on %s (%zu examples)\n", args.model_path.c_str(), args.data.c_str(), d.size());
    std::printf("%-28s %.4f\n%-28s %.4f\n%-28s %.4f   (Sakr's p_m: quantized and float disagree)\n",
                "float accuracy", right_float / n, "quantized accuracy", right_q / n, "mismatch rate", mismatches / n);
    for (const auto& line : calibrated) std::printf("%s\n", line.c_str());
    std::printf("confusion (rows: true class, columns: quantized prediction)\n");
    for (const auto& row : confusion) {
        for (long c : row) std::printf(" %6ld", c);
        std::printf("\n");
    }
    return 0;
}

bool pick_trainer(const char* command, const std::string& model, LinearTrainer& trainer) {
    if (model == "perceptron") trainer = qlab::train_quantized_perceptron;
    else if (model == "frank-wolfe") trainer = qlab::train_quantized_frank_wolfe;
    else {
        std::cerr << "qlab " << command << ": model '" << model
                  << "' is not available here (sweep takes perceptron or frank-wolfe; train also takes logreg, "
                     "mlp:... and cnn:...)\n";
        return false;
    }
    return true;
}

int run_train(const TrainArgs& args) {
    if (args.model == "logreg" || args.model.rfind("mlp:", 0) == 0 || args.model.rfind("cnn:", 0) == 0)
        return run_train_network(args);
    LinearTrainer trainer;
    if (!pick_trainer("train", args.model, trainer)) return kExitBadInput;
    qlab::Rounding rounding{};
    if (!parse_rounding_for("train", args.rounding, rounding)) return kExitBadInput;
    PreparedData data;
    if (!prepare_data("train", args, data)) return kExitBadInput;
    qlab::QuantizedLinearOptions o;
    o.format = args.format;
    o.rounding = rounding;
    o.epochs = args.epochs;
    o.steps = args.steps;
    o.seed = args.seed;
    o.vector_kmeans = args.vector_kmeans;
    auto r = trainer(data.split.train, data.split.test.size() ? &data.split.test : nullptr, o);
    if (!r) {
        std::cerr << "qlab train: " << r.status().message() << "\n";
        return kExitBadInput;
    }
    if (args.json) {
        nlohmann::json j = linear_result_json(*r);
        j["model"] = args.model;
        j["data"] = args.data;
        j["normalize"] = data.note;
        j["train_size"] = data.split.train.size();
        j["test_size"] = data.split.test.size();
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s on %s (%zu train / %zu test, normalize %s), format %s\n", args.model.c_str(), args.data.c_str(),
                data.split.train.size(), data.split.test.size(), data.note.c_str(), r->format.c_str());
    std::printf("%-18s %.4f\n%-18s %.4f\n", "train accuracy", r->train_accuracy, "test accuracy", r->test_accuracy);
    std::printf("%-18s %ld in %d pass(es)%s\n", "updates", r->updates, r->epochs_run, r->converged ? ", converged" : "");
    std::printf("%-18s %.6g   (largest margin through the origin of the quantized training data)\n", "gamma", r->margin);
    std::printf("%-18s %.6g   (Cherkhev eq. 1, sqrt(d) x per coordinate, over the box [-%.4g, %.4g]^d the run used)\n",
                "delta", r->delta, r->delta_box, r->delta_box);
    std::printf("%-18s %.6g\n", "largest update err", r->observed_delta);
    std::printf("%-18s %s   (R^2 / (gamma - delta)^2, R = %.4g)\n", "mistake bound", shortest_repr(r->mistake_bound).c_str(), r->radius);
    std::printf("%-18s %ld stalled updates at %ld sink atom(s)%s\n", "sinks", r->stalled_updates, r->sink_atoms,
                r->ended_in_sink ? "; learning ended stuck in a sink" : "");
    return 0;
}

// "lattice:range={0.5,1},points={8,16}" -> every combination, in row-major order.
bool expand_grid(const std::string& grid, std::vector<std::string>& specs, std::vector<std::vector<std::string>>& axes,
                 std::string& error) {
    specs = {""};
    std::size_t pos = 0;
    while (pos < grid.size()) {
        const std::size_t open = grid.find('{', pos);
        if (open == std::string::npos) {
            for (auto& s : specs) s += grid.substr(pos);
            break;
        }
        const std::size_t close = grid.find('}', open);
        if (close == std::string::npos) {
            error = "unclosed '{' at character " + std::to_string(open + 1);
            return false;
        }
        std::vector<std::string> options;
        std::string inner = grid.substr(open + 1, close - open - 1);
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = inner.find(',', start);
            options.push_back(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        for (const auto& o : options)
            if (o.empty()) {
                error = "empty choice in '{" + inner + "}'";
                return false;
            }
        axes.push_back(options);
        std::vector<std::string> next;
        for (const auto& s : specs)
            for (const auto& o : options) next.push_back(s + grid.substr(pos, open - pos) + o);
        specs = std::move(next);
        pos = close + 1;
    }
    if (specs.size() > 400) {
        error = std::to_string(specs.size()) + " combinations; at most 400";
        return false;
    }
    return true;
}

int run_sweep(const TrainArgs& args, const std::string& grid) {
    LinearTrainer trainer;
    if (!pick_trainer("sweep", args.model, trainer)) return kExitBadInput;
    std::vector<std::string> specs;
    std::vector<std::vector<std::string>> axes;
    std::string error;
    if (!expand_grid(grid, specs, axes, error)) {
        std::cerr << "qlab sweep: --grid: " << error << "\n";
        return kExitBadInput;
    }
    // Cherkhev Tables 3-4 count floats by their bit budget: float:e=E,bits=B means 1 sign bit,
    // E exponent bits and B - 1 - E mantissa bits; budgets too small for E become "-" cells.
    std::vector<bool> impossible(specs.size(), false);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        std::string& spec = specs[i];
        const std::size_t at = spec.find("bits=");
        if (spec.rfind("float:", 0) == 0 && at != std::string::npos && (at == 6 || spec[at - 1] == ',')) {
            const std::size_t e_at = spec.find("e=");
            const int e = e_at == std::string::npos ? -1 : std::atoi(spec.c_str() + e_at + 2);
            const int bits = std::atoi(spec.c_str() + at + 5);
            const std::size_t end = spec.find(',', at);
            const int m = bits - 1 - e;
            if (e < 0) {
                std::cerr << "qlab sweep: " << spec << ": bits= needs e= too\n";
                return kExitBadInput;
            }
            impossible[i] = m < 0;
            spec.replace(at, end == std::string::npos ? std::string::npos : end - at, "m=" + std::to_string(std::max(m, 0)));
        }
        auto f = qlab::Format::parse(spec);
        if (!f) {
            std::cerr << "qlab sweep: " << f.status().message() << "\n";
            return kExitBadInput;
        }
    }
    qlab::Rounding rounding{};
    if (!parse_rounding_for("sweep", args.rounding, rounding)) return kExitBadInput;
    PreparedData data;
    if (!prepare_data("sweep", args, data)) return kExitBadInput;
    const qlab::Dataset* test = data.split.test.size() ? &data.split.test : nullptr;
    nlohmann::json cells = nlohmann::json::array();
    std::map<std::string, double> accuracy;
    std::map<std::string, qlab::QuantizedLinearResult> results;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::string& spec = specs[i];
        if (impossible[i]) {
            cells.push_back({{"spec", spec}, {"possible", false}});
            continue;
        }
        qlab::QuantizedLinearOptions o;
        o.format = spec;
        o.rounding = rounding;
        o.epochs = args.epochs;
        o.steps = args.steps;
        o.seed = args.seed;
        auto r = trainer(data.split.train, test, o);
        if (!r) {
            std::cerr << "qlab sweep: " << spec << ": " << r.status().message() << "\n";
            return kExitBadInput;
        }
        nlohmann::json j = linear_result_json(*r);
        j.erase("weights");
        j.erase("history");
        j["spec"] = spec;
        cells.push_back(j);
        results.emplace(spec, std::move(r).value());
    }
    if (args.json) {
        std::cout << nlohmann::json{{"data", args.data}, {"model", args.model}, {"grid", grid}, {"cells", cells}}.dump(2) << "\n";
        return 0;
    }
    // A heatmap table: rows are the first {...}, columns the second (test accuracy, %).
    std::printf("%s on %s: %s accuracy %%; * = learning ended stuck in a sink\n", args.model.c_str(),
                args.data.c_str(), test ? "test" : "train");
    if (axes.size() != 2) {
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const std::string& spec = specs[i];
            if (impossible[i]) {
                std::printf("%-44s      -\n", spec.c_str());
                continue;
            }
            const auto& r = results.at(spec);
            std::printf("%-44s %6.1f%s\n", spec.c_str(), 100 * (test ? r.test_accuracy : r.train_accuracy), r.ended_in_sink ? "*" : "");
        }
        return 0;
    }
    std::printf("%12s", "");
    for (const auto& c : axes[1]) std::printf(" %7s", c.c_str());
    std::printf("\n");
    for (std::size_t i = 0; i < axes[0].size(); ++i) {
        std::printf("%12s", axes[0][i].c_str());
        for (std::size_t j = 0; j < axes[1].size(); ++j) {
            const std::size_t k = i * axes[1].size() + j;
            if (impossible[k]) {
                std::printf(" %6s ", "-");
                continue;
            }
            const auto& r = results.at(specs[k]);
            std::printf(" %6.1f%s", 100 * (test ? r.test_accuracy : r.train_accuracy), r.ended_in_sink ? "*" : " ");
        }
        std::printf("\n");
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

    TrainArgs train_args;
    std::string grid;
    auto add_training_options = [&](CLI::App* c) {
        c->add_option("--data", train_args.data, "data spec, e.g. synth:linear:d=2,n=400,margin=0.1 or sklearn:breast_cancer")
            ->required();
        c->add_option("--model", train_args.model, "perceptron (default), frank-wolfe, logreg, mlp:IN-H-...-OUT[:act=...] or cnn:HxWxC-cNkK-pN-...-OUT");
        c->add_option("--rounding", train_args.rounding, "rounding mode (MLP: of the --updates format)");
        c->add_option("--normalize", train_args.normalize, "auto (default), none, unit ([-1, 1]) or standard");
        c->add_option("--epochs", train_args.epochs, "perceptron passes (default 50)");
        c->add_option("--steps", train_args.steps, "Frank-Wolfe iterations (default 2000)");
        c->add_option("--test-fraction", train_args.test_fraction, "held-out fraction (default 0.2)");
        c->add_option("--seed", train_args.seed, "split, example order and stochastic rounding seed");
        c->add_flag("--json", train_args.json, "print JSON");
    };
    auto* train = app.add_subcommand("train", "Train a model over a quantization (Cherkhev's perceptron / Frank-Wolfe)");
    add_training_options(train);
    train->add_option("--format", train_args.format, "the one format of features and weights");
    train->add_option("--vector-kmeans", train_args.vector_kmeans,
                      "perceptron: atoms are K k-means centres per class, as vectors (Cherkhev Fig. 3)");
    train->add_option("--weights", train_args.weights, "MLP: format of the weights in the forward pass (QAT)");
    train->add_option("--activations", train_args.activations, "MLP: format of the hidden activations (QAT)");
    train->add_option("--gradients", train_args.gradients, "MLP: format of the weight gradients");
    train->add_option("--updates", train_args.updates,
                      "MLP: format the master weights are stored in; --rounding stochastic gives Gupta et al.");
    train->add_option("--accumulator", train_args.accumulator,
                      "MLP: format of each layer's pre-activation sum (the final sum, not every partial one)");
    train->add_option("--optimizer", train_args.optimizer, "MLP: sgd, momentum or adam (default)");
    train->add_option("--lr", train_args.lr, "MLP: learning rate (default 0.001)");
    train->add_option("--lr-decay", train_args.lr_decay, "MLP: learning-rate factor per epoch (Sakr: 0.978)");
    train->add_option("--batch", train_args.batch, "MLP: batch size (default 64)");
    train->add_option("--dropout", train_args.dropout, "MLP: dropout probability of hidden units");
    train->add_flag("--clip-weights", train_args.clip_weights, "MLP: clip weights to [-1, 1] (Sakr 4.1)");
    train->add_option("--save", train_args.save, "MLP: write the trained model as JSON");
    EvalArgs eval_args;
    auto* eval = app.add_subcommand("eval", "Accuracy of a saved model, quantized, against the float model");
    eval->add_option("--model", eval_args.model_path, "model JSON (quantlab-model version 1)")->required();
    eval->add_option("--data", eval_args.data, "data spec")->required();
    eval->add_option("--weights", eval_args.weights, "format of the weights");
    eval->add_option("--activations", eval_args.activations, "format of the hidden activations");
    eval->add_option("--accumulator", eval_args.accumulator, "format of each layer's pre-activation sum");
    eval->add_option("--normalize", eval_args.normalize, "auto (default), none, unit or standard");
    eval->add_option("--test-fraction", eval_args.test_fraction,
                     "evaluate the held-out part of this split (use the training run's value and --seed)");
    eval->add_option("--seed", eval_args.seed, "split seed");
    eval->add_option("--calibrate", eval_args.calibrate,
                     "post-training calibration instead of --weights/--activations: minmax, percentile, mse or kl");
    eval->add_option("--bits", eval_args.bits, "calibrated int width (default 8)");
    eval->add_flag("--per-channel", eval_args.per_channel, "one weight format per output channel");
    eval->add_flag("--asymmetric", eval_args.asymmetric, "unsigned codes with a zero point (default symmetric)");
    eval->add_option("--percentile", eval_args.percentile, "for --calibrate percentile (default 99.99)");
    eval->add_flag("--json", eval_args.json, "print JSON");
    auto* sweep = app.add_subcommand("sweep", "Accuracy over a grid of formats (Cherkhev Tables 2-4)");
    add_training_options(sweep);
    sweep->add_option("--grid", grid, "format spec with {a,b,...} choices, e.g. lattice:range={0.5,1},points={8,16}")
        ->required();

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
    if (*train) return run_train(train_args);
    if (*sweep) return run_sweep(train_args, grid);
    if (*eval) return run_eval(eval_args);
    return kExitBadInput;
}
