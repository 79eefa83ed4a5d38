// qlab finetune: Lin 2016 §5.3 / Table 2: a saved model in Lin's formats at (weight bits,
// activation bits), its error before and after fine-tuning within those formats.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "model_data.hpp"
#include "qlab/finetune.hpp"

namespace qlab::cli {
namespace {

struct FineTuneArgs {
    ModelDataArgs md;
    qlab::FineTuneOptions options;
    std::string save;
    bool json = false;
};

int fail(const std::string& message) {
    std::cerr << "qlab finetune: " << message << "\n";
    return kExitBadInput;
}

int run_finetune(FineTuneArgs& args) {
    if (!(args.md.test_fraction > 0 && args.md.test_fraction < 1))
        return fail(
            "--test-fraction must be in (0, 1): fine-tuning trains on the rest and reports the "
            "held-out error");
    qlab::Model model;
    PreparedData prepared;
    const qlab::Dataset* test = nullptr;
    if (!load_model_data("finetune", args.md, model, prepared, test)) return kExitBadInput;
    args.options.train.seed = args.md.seed;
    qlab::FineTuneJob job(model, prepared.split.train, *test, args.options);
    ProgressLine line;
    const qlab::Status status = qlab::run_job(job, [&](const qlab::JobProgress& p) {
        if (line.due()) line.show(p.stage);
    });
    line.clear();
    if (!status) return fail(status.message());
    const qlab::FineTuneResult& r = job.result();
    if (!args.save.empty())
        if (qlab::Status s = qlab::save_model(r.model, args.save); !s) return fail(s.message());
    if (args.json) {
        nlohmann::json formats = nlohmann::json::array();
        for (const qlab::LayerFormats& f : r.formats)
            formats.push_back({{"weights", f.weights}, {"activations", f.activations}});
        nlohmann::json out = {{"weight_bits", args.options.weight_bits},
                              {"activation_bits", args.options.activation_bits},
                              {"epochs", args.options.train.epochs},
                              {"formats", formats},
                              {"float_error", r.float_error},
                              {"quantized_error", r.quantized_error},
                              {"epoch_errors", r.epoch_errors},
                              {"finetuned_error", r.finetuned_error}};
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf("%s in Lin's formats, weights %d bits, activations %d bits (0: float)\n",
                args.md.model_path.c_str(), args.options.weight_bits, args.options.activation_bits);
    for (std::size_t l = 0; l < r.formats.size(); ++l)
        if (!r.formats[l].weights.empty() || !r.formats[l].activations.empty())
            std::printf(
                "  layer %zu: weights %s, activations %s\n", l + 1,
                r.formats[l].weights.empty() ? "float" : r.formats[l].weights.c_str(),
                r.formats[l].activations.empty() ? "float" : r.formats[l].activations.c_str());
    std::printf(
        "error on %zu held-out rows: float %.2f%%, quantized %.2f%%, fine-tuned %.2f%% (%zu "
        "epochs)\n",
        test->size(), 100 * r.float_error, 100 * r.quantized_error, 100 * r.finetuned_error,
        r.epoch_errors.size());
    return 0;
}

}  // namespace

Subcommand add_finetune(CLI::App& app) {
    auto args = std::make_shared<FineTuneArgs>();
    args->md.test_fraction = 0.2;
    CLI::App* c = app.add_subcommand("finetune",
                                     "Lin 2016 Table 2: error in Lin's fixed-point formats before "
                                     "and after fine-tuning within them");
    add_model_data_options(c, args->md);
    c->get_option("--model")->required();
    c->get_option("--test-fraction")->default_str("0.2");
    c->add_option("--data", args->md.data, "data spec the model was trained on")->required();
    c->add_option("--weight-bits", args->options.weight_bits, "weight width (0: float)")
        ->capture_default_str();
    c->add_option("--activation-bits", args->options.activation_bits,
                  "hidden activation width (0: float)")
        ->capture_default_str();
    c->add_option("--epochs", args->options.train.epochs, "fine-tuning epochs")
        ->capture_default_str();
    c->add_option("--lr", args->options.train.learning_rate, "learning rate (Adam)")
        ->capture_default_str();
    c->add_option("--batch", args->options.train.batch, "batch size")->capture_default_str();
    c->add_option("--save", args->save, "write the fine-tuned model as JSON");
    c->add_flag("--json", args->json, "print JSON");
    return {c, [args] { return run_finetune(*args); }};
}

}  // namespace qlab::cli
