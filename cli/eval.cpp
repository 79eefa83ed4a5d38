// qlab eval: a saved model's accuracy quantized against float, with optional calibration.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "model_data.hpp"
#include "qlab/calibration.hpp"

namespace qlab::cli {
namespace {

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

// --calibrate: formats for every layer from the training part (never from the held-out part),
// and a line per layer naming them; prints the message and returns false on failure.
bool calibrate(const EvalArgs& args, const qlab::Model& model, const qlab::Dataset& train,
               qlab::EvalOptions& quantized, std::vector<std::string>& calibrated) {
    if (!args.weights.empty() || !args.activations.empty()) {
        std::cerr << "qlab eval: give either --calibrate or explicit --weights/--activations\n";
        return false;
    }
    auto method = qlab::parse_calibration(args.calibrate);
    if (!method) {
        std::cerr << "qlab eval: " << method.status().message() << "\n";
        return false;
    }
    qlab::CalibrationOptions c;
    c.method = *method;
    c.bits = args.bits;
    c.symmetric = !args.asymmetric;
    c.per_channel = args.per_channel;
    c.percentile = args.percentile;
    // Calibrate on the training part when there is a held-out part; it is never calibrated on.
    auto q = qlab::calibrate_model(model, train, c);
    if (!q) {
        std::cerr << "qlab eval: " << q.status().message() << "\n";
        return false;
    }
    quantized = *q;
    for (std::size_t l = 0; l < quantized.layers.size(); ++l) {
        const auto& f = quantized.layers[l];
        calibrated.push_back("layer " + std::to_string(l + 1) + " weights " +
                             (f.weight_rows.empty()
                                  ? f.weights
                                  : std::to_string(f.weight_rows.size()) +
                                        " per-channel formats, first " + f.weight_rows.front()) +
                             (f.activations.empty() ? "" : "; activations " + f.activations));
    }
    return true;
}

// Float against quantized on every row: the counts right, where they disagree, and the
// quantized predictions' confusion matrix.
struct EvalCounts {
    long right_float = 0, right_q = 0, mismatches = 0;
    std::vector<std::vector<long>> confusion;
};

EvalCounts compare(const qlab::Model& model, const qlab::Dataset& d,
                   const qlab::EvalOptions& quantized) {
    const qlab::Matrix float_scores = qlab::predict_scores(model, d);
    const qlab::Matrix q_scores = qlab::predict_scores(model, d, quantized);
    const int classes = model.outputs();
    EvalCounts e;
    e.confusion.assign(static_cast<std::size_t>(classes),
                       std::vector<long>(static_cast<std::size_t>(classes), 0));
    for (Eigen::Index i = 0; i < q_scores.rows(); ++i) {
        Eigen::Index pf, pq;
        float_scores.row(i).maxCoeff(&pf);
        q_scores.row(i).maxCoeff(&pq);
        const int y = d.y[static_cast<std::size_t>(i)];
        e.right_float += pf == y;
        e.right_q += pq == y;
        e.mismatches += pf != pq;
        if (y < classes) ++e.confusion[static_cast<std::size_t>(y)][static_cast<std::size_t>(pq)];
    }
    return e;
}

void print_eval(const EvalArgs& args, const qlab::Dataset& d, const EvalCounts& e,
                const std::vector<std::string>& calibrated) {
    const double n = static_cast<double>(d.size());
    if (args.json) {
        std::cout << nlohmann::json{{"model", args.model_path},
                                    {"data", args.data},
                                    {"examples", d.size()},
                                    {"float_accuracy", e.right_float / n},
                                    {"accuracy", e.right_q / n},
                                    {"mismatch_rate", e.mismatches / n},
                                    {"weights", args.weights},
                                    {"activations", args.activations},
                                    {"calibration", args.calibrate},
                                    {"calibrated_formats", calibrated},
                                    {"confusion", e.confusion}}
                         .dump(2)
                  << "\n";
        return;
    }
    std::printf("%s on %s (%zu examples)\n", args.model_path.c_str(), args.data.c_str(), d.size());
    std::printf("%-28s %.4f\n%-28s %.4f\n%-28s %.4f   (Sakr's p_m: quantized and float disagree)\n",
                "float accuracy", e.right_float / n, "quantized accuracy", e.right_q / n,
                "mismatch rate", e.mismatches / n);
    for (const auto& line : calibrated) std::printf("%s\n", line.c_str());
    std::printf("confusion (rows: true class, columns: quantized prediction)\n");
    for (const auto& row : e.confusion) {
        for (long c : row) std::printf(" %6ld", c);
        std::printf("\n");
    }
}

int run_eval(const EvalArgs& args) {
    qlab::Model model;
    PreparedData data;
    const qlab::Dataset* analysed = nullptr;
    // With a test fraction the held-out part is evaluated (the same split as train); else all.
    const ModelDataArgs md{args.model_path, args.data, args.normalize, args.test_fraction,
                           args.seed};
    if (!load_model_data("eval", md, model, data, analysed)) return kExitBadInput;
    const qlab::Dataset& d = *analysed;
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
    if (!args.calibrate.empty() && !calibrate(args, model, data.split.train, quantized, calibrated))
        return kExitBadInput;
    print_eval(args, d, compare(model, d, quantized), calibrated);
    return 0;
}

}  // namespace

Subcommand add_eval(CLI::App& app) {
    auto args = std::make_shared<EvalArgs>();
    CLI::App* c =
        app.add_subcommand("eval", "Accuracy of a saved model, quantized, against the float model");
    c->add_option("--model", args->model_path, "model file: quantlab-model JSON or .onnx")
        ->required();
    c->add_option("--data", args->data, "data spec")->required();
    c->add_option("--weights", args->weights, "format of the weights");
    c->add_option("--activations", args->activations, "format of the hidden activations");
    c->add_option("--accumulator", args->accumulator, "format of each layer's pre-activation sum");
    c->add_option("--normalize", args->normalize,
                  std::string("auto (default), ") + qlab::kNormalizationChoices);
    c->add_option(
        "--test-fraction", args->test_fraction,
        "evaluate the held-out part of this split (use the training run's value and --seed)");
    c->add_option("--seed", args->seed, "split seed");
    c->add_option("--calibrate", args->calibrate,
                  "post-training calibration instead of --weights/--activations: minmax, "
                  "percentile, mse or kl");
    c->add_option("--bits", args->bits, "calibrated int width (default 8)");
    c->add_flag("--per-channel", args->per_channel, "one weight format per output channel");
    c->add_flag("--asymmetric", args->asymmetric,
                "unsigned codes with a zero point (default symmetric)");
    c->add_option("--percentile", args->percentile, "for --calibrate percentile (default 99.99)");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_eval(*args); }};
}

}  // namespace qlab::cli
