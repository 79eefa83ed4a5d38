// qlab train: Cherkhev's quantized perceptron and Frank-Wolfe, or a network (logistic regression,
// MLP, CNN) with quantization roles; both run as core jobs, with progress on a terminal's stderr.
#include "common.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <type_traits>

namespace qlab::cli {
namespace {

// A float option as it was typed (0.003, not 0.0030000000260770321).
double typed(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.7g", v);
    return std::strtod(text, nullptr);
}

// The training options from the arguments (the optimizer parsed; prints the message on failure).
bool network_options(const TrainArgs& args, qlab::Rounding update_rounding, qlab::TrainOptions& o) {
    auto optimizer = qlab::parse_optimizer(args.optimizer);
    if (!optimizer) {
        std::cerr << "qlab train: --optimizer: " << optimizer.status().message() << "\n";
        return false;
    }
    o.optimizer = *optimizer;
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
    return true;
}

// Runs the job with the epoch, batch and loss on the progress line; false (with the message
// printed) when it failed.
bool run_training(qlab::TrainJob& job) {
    ProgressLine line;
    while (job.step(1)) {
        if (!line.due()) continue;
        const long long per_epoch = job.batches_per_epoch();
        char text[160];
        std::snprintf(text, sizeof text, "epoch %d/%d  batch %lld/%lld  loss %.4g", job.epoch(),
                      job.epochs(), job.batches_done() - per_epoch * (job.epoch() - 1), per_epoch,
                      job.epoch_loss());
        line.show(text);
    }
    line.clear();
    if (job.state() == qlab::JobState::failed) {
        std::cerr << "qlab train: " << job.status().message() << "\n";
        return false;
    }
    return true;
}

void print_network_json(const TrainArgs& args, const PreparedData& data,
                        const qlab::TrainReport& r) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : r.history)
        history.push_back({{"epoch", e.epoch},
                           {"loss", e.loss},
                           {"train_accuracy", e.train_accuracy},
                           {"test_accuracy", e.test_accuracy}});
    std::cout << nlohmann::json{{"model", args.model},
                                {"data", args.data},
                                {"normalize", data.note},
                                {"train_size", data.split.train.size()},
                                {"test_size", data.split.test.size()},
                                {"train_accuracy", r.train_accuracy},
                                {"test_accuracy", r.test_accuracy},
                                {"epochs", r.history.size()},
                                {"optimizer", args.optimizer},
                                {"lr", typed(args.lr)},
                                {"lr_decay", typed(args.lr_decay)},
                                {"batch", args.batch},
                                {"train_defaults", args.train_defaults},
                                {"updates", r.updates},
                                {"lost_updates", r.lost_updates},
                                {"history", history},
                                {"warnings", r.warnings},
                                {"weights", args.weights},
                                {"activations", args.activations},
                                {"gradients", args.gradients},
                                {"updates_format", args.updates}}
                     .dump(2)
              << "\n";
}

void print_network_text(const TrainArgs& args, const PreparedData& data,
                        const qlab::TrainReport& r) {
    std::printf("%s on %s (%zu train / %zu test, normalize %s)\n", args.model.c_str(),
                args.data.c_str(), data.split.train.size(), data.split.test.size(),
                data.note.c_str());
    std::printf("%s %s, lr %s x%s per epoch, batch %d%s\n", args.optimizer.c_str(),
                args.model.rfind("mlp:", 0) == 0 ? "MLP" : "network",
                shortest_repr(typed(args.lr)).c_str(), shortest_repr(typed(args.lr_decay)).c_str(),
                args.batch,
                args.train_defaults.empty() ? "" : (" (" + args.train_defaults + ")").c_str());
    std::printf("%-6s %10s %10s %10s\n", "epoch", "loss", "train", "test");
    for (const auto& e : r.history)
        std::printf("%-6d %10.4f %10.4f %10.4f\n", e.epoch, e.loss, e.train_accuracy,
                    e.test_accuracy);
    if (!args.updates.empty())
        std::printf(
            "lost updates: %lld of %lld (%.1f%%) below half an ulp of %s\n", r.lost_updates,
            r.updates,
            r.updates ? 100.0 * static_cast<double>(r.lost_updates) / static_cast<double>(r.updates)
                      : 0.0,
            args.updates.c_str());
    if (!args.save.empty()) std::printf("saved %s\n", args.save.c_str());
}

int run_train_network(const TrainArgs& args) {
    qlab::Rounding update_rounding{};
    if (!parse_rounding_for("train", args.rounding, update_rounding)) return kExitBadInput;
    PreparedData data;
    if (!prepare_data("train", args, data)) return kExitBadInput;
    auto model = qlab::make_model(args.model, data.split.train.features, data.split.train.classes,
                                  args.seed);
    if (!model) {
        std::cerr << "qlab train: " << model.status().message() << "\n";
        return kExitBadInput;
    }
    qlab::TrainOptions o;
    if (!network_options(args, update_rounding, o)) return kExitBadInput;
    qlab::Model m = std::move(model).value();
    const qlab::Dataset* test = data.split.test.size() ? &data.split.test : nullptr;
    qlab::TrainJob job(m, data.split.train, test, o);
    if (!run_training(job)) return kExitBadInput;
    const qlab::TrainReport& r = job.report();
    if (!args.save.empty()) {
        if (qlab::Status s = qlab::save_model(m, args.save); !s) {
            std::cerr << "qlab train: " << s.message() << "\n";
            return kExitBadInput;
        }
    }
    for (const auto& w : r.warnings) std::cerr << "qlab train: warning: " << w << "\n";
    if (args.json)
        print_network_json(args, data, r);
    else
        print_network_text(args, data, r);
    return 0;
}

// Runs the job with its stage, mistakes and stalled updates on the progress line; false (with the
// message printed) when it failed.
bool run_linear_job(qlab::QuantizedLinearJob& job) {
    ProgressLine line;
    while (job.step(256)) {
        if (!line.due()) continue;
        const qlab::JobProgress p = job.progress();
        char text[160];
        std::snprintf(text, sizeof text, "%s  %lld/%lld  mistakes %ld  stalled %ld",
                      p.stage.c_str(), p.done, p.total, job.mistakes(), job.stalled_updates());
        line.show(text);
    }
    line.clear();
    if (job.state() == qlab::JobState::failed) {
        std::cerr << "qlab train: " << job.status().message() << "\n";
        return false;
    }
    return true;
}

// The text report of a quantized perceptron or Frank-Wolfe run: accuracies, Cherkhev's delta and
// the Theorem 1 bounds, sinks.
void print_linear_text(const TrainArgs& args, const PreparedData& data,
                       const qlab::QuantizedLinearResult& r,
                       qlab::QuantizedLinearAlgorithm algorithm) {
    std::printf("%s on %s (%zu train / %zu test, normalize %s), format %s\n", args.model.c_str(),
                args.data.c_str(), data.split.train.size(), data.split.test.size(),
                data.note.c_str(), r.format.c_str());
    std::printf("%-18s %.4f\n%-18s %.4f\n", "train accuracy", r.train_accuracy, "test accuracy",
                r.test_accuracy);
    std::printf("%-18s %ld in %d pass(es)%s\n", "updates", r.updates, r.epochs_run,
                r.converged ? ", converged" : "");
    std::printf("%-18s %.6g   (largest margin through the origin of the quantized training data)\n",
                "gamma", r.margin);
    if (r.delta_is_lower_estimate)
        std::printf(
            "%-18s %.6g   (Cherkhev eq. 1 for vector atoms: the largest error seen, a lower "
            "estimate of the worst case)\n",
            "delta", r.delta);
    else
        std::printf(
            "%-18s %.6g   (Cherkhev eq. 1 for %s rounding: sqrt(d) x the worst error per "
            "coordinate over the box [-%.4g, %.4g]^d the run used)\n",
            "delta", r.delta, args.rounding.c_str(), r.delta_box, r.delta_box);
    std::printf("%-18s %.6g\n", "largest update err", r.observed_delta);
    std::printf(
        "%-18s %s   (Cherkhev Theorem 1 as printed: R^2 / (gamma - delta)^2, R = %.4g; the paper "
        "assumes ||r(x)|| <= 1, R^2 is the rescaling)\n",
        "mistake bound", shortest_repr(r.mistake_bound).c_str(), r.radius);
    std::printf(
        "%-18s %s   (the proof's gap closed: rounding can lengthen w by delta per step, so "
        "R^2 / (gamma - 2 delta)^2 for delta < gamma/2%s)\n",
        "safe bound", shortest_repr(r.mistake_bound_safe).c_str(),
        r.start_norm > 0 ? ", with the start's term" : "");
    if (r.start_norm > 0 && algorithm == qlab::QuantizedLinearAlgorithm::perceptron)
        std::printf(
            "%-18s ||r(w_0)|| = %.4g: 0 is no atom (an even number of lattice points), so the "
            "perceptron starts at q(0) != 0; Theorem 1's proof starts from 0\n",
            "start", r.start_norm);
    if (r.delta_is_lower_estimate)
        std::printf("%-18s with a lower estimate of delta neither bound is guaranteed\n", "");
    std::printf("%-18s %ld stalled updates at %ld sink atom(s)%s\n", "sinks", r.stalled_updates,
                r.sink_atoms, r.ended_in_sink ? "; learning ended stuck in a sink" : "");
}

int run_train(const TrainArgs& args) {
    if (args.model == "logreg" || args.model.rfind("mlp:", 0) == 0 ||
        args.model.rfind("cnn:", 0) == 0)
        return run_train_network(args);
    qlab::QuantizedLinearAlgorithm algorithm{};
    if (!pick_algorithm("train", args.model, algorithm)) return kExitBadInput;
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
    qlab::QuantizedLinearJob job(data.split.train,
                                 data.split.test.size() ? &data.split.test : nullptr, o, algorithm);
    if (!run_linear_job(job)) return kExitBadInput;
    const qlab::QuantizedLinearResult r = job.result();
    if (args.json) {
        nlohmann::json j = linear_result_json(r);
        j["model"] = args.model;
        j["data"] = args.data;
        j["normalize"] = data.note;
        j["train_size"] = data.split.train.size();
        j["test_size"] = data.split.test.size();
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    print_linear_text(args, data, r, algorithm);
    return 0;
}

// --lr, --batch and --lr-decay left out on a data set with its own defaults (MNIST, Fashion-MNIST:
// qlab::data_train_defaults, the same the lab's Train lesson starts from) take those.
void apply_data_defaults(TrainArgs& args, const CLI::App& c) {
    const qlab::DataTrainDefaults* d = qlab::data_train_defaults(args.data);
    if (!d) return;
    std::string taken;
    auto take = [&](const char* flag, auto& field, double value) {
        if (c.count(flag) > 0) return;
        field = static_cast<std::remove_reference_t<decltype(field)>>(value);
        taken += (taken.empty() ? "" : ", ") + std::string(flag + 2);
    };
    take("--lr", args.lr, d->learning_rate);
    take("--batch", args.batch, d->batch);
    take("--lr-decay", args.lr_decay, d->lr_decay);
    if (!taken.empty()) args.train_defaults = taken + ": " + d->label + " default";
}

// "; --data mnist: 0.003, fashion-mnist: 0.003" for the help of --lr (and the others).
std::string data_defaults_help(double qlab::DataTrainDefaults::*number,
                               int qlab::DataTrainDefaults::*integer) {
    std::string out;
    for (const qlab::DataTrainDefaults& d : qlab::kImageTrainDefaults) {
        const std::string name = std::string(d.data) == "fashion" ? "fashion-mnist" : d.data;
        out += (out.empty() ? "; --data " : ", ") + name + ": " +
               shortest_repr(number ? d.*number : d.*integer);
    }
    return out;
}

}  // namespace

Subcommand add_train(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    CLI::App* c = app.add_subcommand(
        "train", "Train a model over a quantization (Cherkhev's perceptron / Frank-Wolfe)");
    add_training_options(c, *args);
    c->add_option("--format", args->format, "the one format of features and weights");
    c->add_option(
        "--vector-kmeans", args->vector_kmeans,
        "perceptron: atoms are K k-means centres per class, as vectors (Cherkhev Fig. 3)");
    c->add_option("--weights", args->weights,
                  "MLP: format of the weights in the forward pass (QAT)");
    c->add_option("--activations", args->activations,
                  "MLP: format of the hidden activations (QAT)");
    c->add_option("--gradients", args->gradients, "MLP: format of the weight gradients");
    c->add_option(
        "--updates", args->updates,
        "MLP: format the master weights are stored in; --rounding stochastic gives Gupta et al.");
    c->add_option(
        "--accumulator", args->accumulator,
        "MLP: format of each layer's pre-activation sum (the final sum, not every partial one)");
    c->add_option("--optimizer", args->optimizer, "MLP: sgd, momentum or adam (default)");
    using D = qlab::DataTrainDefaults;
    c->add_option("--lr", args->lr,
                  "MLP: learning rate (default " + shortest_repr(typed(args->lr)) +
                      data_defaults_help(&D::learning_rate, nullptr) + ")");
    c->add_option("--lr-decay", args->lr_decay,
                  "MLP: learning-rate factor per epoch (default " +
                      shortest_repr(typed(args->lr_decay)) +
                      data_defaults_help(&D::lr_decay, nullptr) + "; Sakr: 0.978)");
    c->add_option("--batch", args->batch,
                  "MLP: batch size (default " + std::to_string(args->batch) +
                      data_defaults_help(nullptr, &D::batch) + ")");
    c->add_option("--dropout", args->dropout, "MLP: dropout probability of hidden units");
    c->add_flag("--clip-weights", args->clip_weights, "MLP: clip weights to [-1, 1] (Sakr 4.1)");
    c->add_option("--save", args->save, "MLP: write the trained model as JSON");
    return {c, [args, c] {
                apply_data_defaults(*args, *c);
                return run_train(*args);
            }};
}

}  // namespace qlab::cli
