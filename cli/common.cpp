// Helpers shared by the qlab subcommands (see common.hpp).
#include "common.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace qlab::cli {

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

bool parse_rounding_for(const char* command, const std::string& mode, qlab::Rounding& rounding) {
    auto r = qlab::parse_rounding(mode);
    if (!r) {
        std::cerr << "qlab " << command << ": " << r.status().message() << "\n";
        return false;
    }
    rounding = *r;
    return true;
}

bool parse_format_and_rounding(const char* command, const std::string& spec,
                               const std::string& mode, std::optional<qlab::Format>& format,
                               qlab::Rounding& rounding) {
    auto parsed = qlab::Format::parse(spec);
    if (!parsed) {
        std::cerr << "qlab " << command << ": " << parsed.status().message() << "\n";
        return false;
    }
    if (!parse_rounding_for(command, mode, rounding)) return false;
    format = *parsed;
    return true;
}

void add_training_options(CLI::App* c, TrainArgs& args) {
    c->add_option("--data", args.data,
                  "data spec, e.g. synth:linear:d=2,n=400,margin=0.1 or sklearn:breast_cancer")
        ->required();
    c->add_option("--model", args.model,
                  "perceptron (default), frank-wolfe, logreg, mlp:IN-H-...-OUT[:act=...] or "
                  "cnn:HxWxC-cNkK-pN-...-OUT");
    c->add_option("--rounding", args.rounding, "rounding mode (MLP: of the --updates format)");
    c->add_option("--normalize", args.normalize,
                  std::string("auto (default), ") + qlab::kNormalizationChoices);
    c->add_option("--epochs", args.epochs, "perceptron passes (default 50)");
    c->add_option("--steps", args.steps, "Frank-Wolfe iterations (default 2000)");
    c->add_option("--test-fraction", args.test_fraction, "held-out fraction (default 0.2)");
    c->add_option("--seed", args.seed, "split, example order and stochastic rounding seed");
    c->add_flag("--json", args.json, "print JSON");
}

// Loads, splits and normalises: real data is scaled to [-1, 1] per feature (Sakr §4.1,
// Cherkhev's [-1, 1] lattices) unless --normalize says otherwise; generated data and the image
// sets are left as they are (qlab::automatic_normalization).
bool prepare_data(const char* command, const TrainArgs& args, PreparedData& out) {
    auto data = qlab::load_data_spec(args.data);
    if (!data) {
        std::cerr << "qlab " << command << ": " << data.status().message() << "\n";
        return false;
    }
    std::string how = args.normalize;
    if (how == "auto") how = qlab::normalization_name(qlab::automatic_normalization(args.data));
    auto normalization = qlab::parse_normalization(how);
    if (!normalization) {
        std::cerr << "qlab " << command << ": --normalize must be auto, "
                  << qlab::kNormalizationChoices << ", got '" << how << "'\n";
        return false;
    }
    qlab::SplitOptions o;
    o.test_fraction = args.test_fraction;
    o.seed = args.seed;
    o.normalization = *normalization;
    auto split = qlab::prepare_split(*data, o);
    if (!split) {
        std::cerr << "qlab " << command << ": --test-fraction: " << split.status().message()
                  << "\n";
        return false;
    }
    out.split = std::move(split).value();
    out.note = how;
    return true;
}

nlohmann::json linear_result_json(const qlab::QuantizedLinearResult& r) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : r.history)
        history.push_back({{"epoch", e.epoch},
                           {"mistakes", e.mistakes},
                           {"stalled", e.stalled},
                           {"train_accuracy", e.train_accuracy}});
    return {{"format", r.format},
            {"train_accuracy", r.train_accuracy},
            {"test_accuracy", r.test_accuracy},
            {"epochs", r.epochs_run},
            {"updates", r.updates},
            {"converged", r.converged},
            {"stalled_updates", r.stalled_updates},
            {"sink_atoms", r.sink_atoms},
            {"ended_in_sink", r.ended_in_sink},
            {"margin", r.margin},
            {"radius", r.radius},
            {"delta", r.delta},
            {"delta_kind", r.delta_is_lower_estimate
                               ? "largest error seen (a lower estimate of the worst case)"
                               : "worst case over the box for the rounding in use"},
            {"delta_box", r.delta_box},
            {"observed_delta", r.observed_delta},
            {"start_norm", r.start_norm},
            {"mistake_bound", json_number(r.mistake_bound)},
            {"mistake_bound_safe", json_number(r.mistake_bound_safe)},
            {"weights", r.weights},
            {"history", history},
            {"vector_atoms", r.vector_atoms}};
}

bool pick_algorithm(const char* command, const std::string& model,
                    qlab::QuantizedLinearAlgorithm& algorithm) {
    if (model == "perceptron")
        algorithm = qlab::QuantizedLinearAlgorithm::perceptron;
    else if (model == "frank-wolfe")
        algorithm = qlab::QuantizedLinearAlgorithm::frank_wolfe;
    else {
        std::cerr << "qlab " << command << ": model '" << model
                  << "' is not available here (sweep takes perceptron or frank-wolfe; train also "
                     "takes logreg, "
                     "mlp:... and cnn:...)\n";
        return false;
    }
    return true;
}

ProgressLine::ProgressLine() : enabled_(isatty(2) == 1) {}

bool ProgressLine::due() {
    if (!enabled_) return false;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return false;
    last_ = now;
    return true;
}

void ProgressLine::show(const std::string& text) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    shown_ = true;
}

void ProgressLine::clear() {
    if (!shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
}

}  // namespace qlab::cli
