// What the qlab subcommands share: exit codes, number and option parsing, data preparation, JSON
// helpers, the training options train and sweep both take, and a progress line for jobs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/mlp.hpp"
#include "qlab/perceptron.hpp"

namespace CLI {
class App;
}

namespace qlab::cli {

constexpr int kExitBadInput = 2;

// One subcommand: its CLI11 node (set once parsed) and what runs when it was chosen.
struct Subcommand {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

// Each registers its options on `app`; main adds them in the order --help lists them.
Subcommand add_quantize(CLI::App& app);
Subcommand add_format(CLI::App& app);
Subcommand add_sqnr(CLI::App& app);
Subcommand add_train(CLI::App& app);
Subcommand add_eval(CLI::App& app);
Subcommand add_sweep(CLI::App& app);
Subcommand add_bounds(CLI::App& app);          // bounds.cpp (Sakr 2017)
Subcommand add_cost(CLI::App& app);            // cost.cpp (Sakr 2017)
Subcommand add_allocate(CLI::App& app);        // allocate.cpp (Lin 2016)
Subcommand add_ternary(CLI::App& app);         // ternary.cpp (Kundu 2017)
Subcommand add_finetune(CLI::App& app);        // finetune.cpp (Lin 2016 §5.3)
Subcommand add_bound_search(CLI::App& app);    // bound_search.cpp (Cherkhev Theorem 1)
Subcommand add_ternary_tables(CLI::App& app);  // ternary_tables.cpp (Kundu Tables 3-4)
Subcommand add_predict(CLI::App& app);         // predict.cpp (outputs per example; ONNX too)
Subcommand add_export(CLI::App& app);          // export.cpp (standard ONNX, QDQ)
Subcommand add_sensitivity(CLI::App& app);     // sensitivity.cpp (one layer quantized at a time)

// A JSON number, or a string for the values JSON cannot hold.
nlohmann::json json_number(double v);
bool parse_number(const std::string& line, double& out);
// Parses a rounding mode; prints the message on failure.
bool parse_rounding_for(const char* command, const std::string& mode, qlab::Rounding& rounding);
// Parses the spec and rounding mode every subcommand takes; prints the message on failure.
bool parse_format_and_rounding(const char* command, const std::string& spec,
                               const std::string& mode, std::optional<qlab::Format>& format,
                               qlab::Rounding& rounding);

// train and sweep (and eval's data options); defaults come from the core's option structs.
struct TrainArgs {
    std::string data;
    std::string weights, activations, gradients, updates, accumulator;  // MLP quantization roles
    std::string optimizer = qlab::optimizer_name(qlab::TrainOptions{}.optimizer);
    float lr = qlab::TrainOptions{}.learning_rate;
    float lr_decay = qlab::TrainOptions{}.lr_decay;
    int batch = qlab::TrainOptions{}.batch;
    // The settings taken from the data set's defaults ("lr, batch, lr-decay: MNIST default"),
    // set by qlab train when --data has its own (qlab::data_train_defaults) and a flag is left out.
    std::string train_defaults;
    float dropout = qlab::TrainOptions{}.dropout;
    bool clip_weights = qlab::TrainOptions{}.clip_weights;
    std::string save;
    int vector_kmeans = qlab::QuantizedLinearOptions{}.vector_kmeans;
    std::string model = "perceptron";
    std::string format = qlab::QuantizedLinearOptions{}.format;
    std::string rounding = qlab::rounding_name(qlab::QuantizedLinearOptions{}.rounding);
    std::string normalize = "auto";
    int epochs =
        qlab::QuantizedLinearOptions{}.epochs;  // perceptron passes, and the networks' epochs
    int steps = qlab::QuantizedLinearOptions{}.steps;
    double test_fraction = 0.2;
    std::uint64_t seed = qlab::QuantizedLinearOptions{}.seed;
    bool json = false;
};
// The options train and sweep share (--data, --model, --rounding, --epochs, ...).
void add_training_options(CLI::App* c, TrainArgs& args);

struct PreparedData {
    qlab::Split split;
    std::string note;
};
// Loads, splits and normalises; prints the message on failure.
bool prepare_data(const char* command, const TrainArgs& args, PreparedData& out);

nlohmann::json linear_result_json(const qlab::QuantizedLinearResult& r);
// perceptron or frank-wolfe; prints the message for anything else.
bool pick_algorithm(const char* command, const std::string& model,
                    qlab::QuantizedLinearAlgorithm& algorithm);

// A job's progress as one line on stderr, redrawn at most ten times a second, and only when
// stderr is a terminal (never into a pipe or a file). Cleared when done.
class ProgressLine {
  public:
    ProgressLine();
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    // True when a redraw is due (cheap: callers build the text only then).
    bool due();
    void show(const std::string& text);
    void clear();

  private:
    bool enabled_ = false;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace qlab::cli
