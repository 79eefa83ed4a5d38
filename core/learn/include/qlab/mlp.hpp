// Multilayer perceptrons (logistic regression is the case without hidden layers) trained with
// softmax cross-entropy, SGD/momentum/Adam, dropout and weight clipping, and quantization roles:
// weights and activations fake-quantized in the forward pass with a clipped straight-through
// estimator (QAT), gradients quantized, and master weights stored in an update format with
// (stochastic) rounding as in Gupta et al., counting updates lost below half an ulp.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/job.hpp"
#include "qlab/optimizer.hpp"
#include "qlab/status.hpp"

namespace qlab {

// hardsigmoid: ReLU clipped to [0, 2] (Sakr §4.1). The others come with imported models (ONNX):
// leakyrelu (x < 0: alpha x), clip (to [alpha, beta]; ReLU6 is clip 0..6), sigmoid, and
// onnx_hardsigmoid (ONNX HardSigmoid: max(0, min(1, alpha x + beta))). Layer holds alpha, beta.
enum class Activation { relu, hardsigmoid, tanh, none, leakyrelu, clip, sigmoid, onnx_hardsigmoid };
const char* activation_name(Activation a);
Result<Activation> parse_activation(std::string_view name);
// The parameters an activation takes by default (ONNX's defaults; clip: ReLU6), as (alpha, beta).
void default_activation_parameters(Activation a, float& alpha, float& beta);

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

enum class LayerKind { dense, conv2d, maxpool2d, avgpool2d, globalavgpool };

// One layer. Activations flow as rows of channel-major (c, y, x) values. A conv2d's weight is
// out x (channels * kernel * kernel), so per-output-channel formats are per weight row for both.
// Convolutions and pools have square windows; stride, dilation and zero padding (top, left,
// bottom, right) as ONNX Conv / MaxPool / AveragePool take them. Padding is zeros for a conv, is
// skipped by a max-pool, and counts in an average pool's divisor when count_include_pad.
// globalavgpool averages each channel's height x width values (ONNX GlobalAveragePool).
struct Layer {
    LayerKind kind = LayerKind::dense;
    int in = 0, out = 0;  // weight columns and rows (dense: widths; conv: C*k*k and out channels)
    Activation activation = Activation::relu;
    float alpha = 0, beta = 0;                // parameters of leakyrelu, clip, onnx_hardsigmoid
    Matrix weight;                            // out x in (empty for the pools)
    Vector bias;                              // out
    int channels = 0, height = 0, width = 0;  // conv2d and the pools: input shape
    int kernel = 0;                           // conv kernel side, or the pool's window side
    int stride = 0;                           // 0: the default (conv 1, a pool its window)
    int dilation = 1;                         // conv only
    int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    bool count_include_pad = true;  // avgpool2d: padded zeros count in the divisor

    bool has_weights() const { return kind == LayerKind::dense || kind == LayerKind::conv2d; }
    bool is_pool() const { return !has_weights(); }
    int step() const { return stride > 0 ? stride : kind == LayerKind::conv2d ? 1 : kernel; }
    bool padded() const { return pad_top || pad_left || pad_bottom || pad_right; }
    // The default geometry of the version-1 schema: stride 1 (conv) or the window (pool), no
    // padding, no dilation.
    bool plain_geometry() const {
        return step() == (kind == LayerKind::conv2d ? 1 : kernel) && dilation == 1 && !padded();
    }
    int input_size() const { return kind == LayerKind::dense ? in : channels * height * width; }
    int output_height() const { return output_side(height, pad_top + pad_bottom); }
    int output_width() const { return output_side(width, pad_left + pad_right); }
    int output_size() const {
        if (kind == LayerKind::dense) return out;
        return (kind == LayerKind::conv2d ? out : channels) * output_height() * output_width();
    }

  private:
    int output_side(int side, int pads) const {
        if (kind == LayerKind::globalavgpool) return 1;
        if (kind == LayerKind::dense) return 0;
        // In 64 bits: a dilation and a kernel of up to 2^20 each span up to 2^40.
        const long long span = kind == LayerKind::conv2d
                                   ? static_cast<long long>(dilation) * (kernel - 1) + 1
                                   : kernel;
        const long long s = step(), padded = static_cast<long long>(side) + pads;
        return s > 0 && padded >= span ? static_cast<int>((padded - span) / s + 1) : 0;
    }
};
// A layer's geometry and sizes are consistent (a window that fits its padded input, padding
// smaller than the window, sizes within 2^20 and products within 1e8); names what is not.
Status check_layer(const Layer& layer);
// The layer's activation on pre-activations, in place, and its derivative from z and the output
// (derivatives at kinks are 0, except LeakyReLU's alpha at 0).
void apply_activation(const Layer& layer, Matrix& m);
// True when the activation's output is never negative (relu, hardsigmoid, clip from alpha >= 0,
// sigmoid, onnx_hardsigmoid): Sakr's unsigned hidden activations.
bool activation_nonnegative(const Layer& layer);
using DenseLayer = Layer;

// A conv2d layer's input patches for one sample: H'W' rows (position y * W' + x) of C k k values
// in the weight's column order (c, i, j), zero where a tap falls in the padding. The layer's
// pre-activation is patches * weight^T + bias.
Matrix im2col(const float* input, const Layer& layer);

struct Model {
    std::vector<Layer> layers;  // the last layer's activation is applied before the softmax
    int inputs() const { return layers.empty() ? 0 : layers.front().input_size(); }
    int outputs() const { return layers.empty() ? 0 : layers.back().output_size(); }
};

// "logreg", "mlp:784-512-512-10[:act=hardsigmoid]" or "cnn:28x28x1-c8k5-p2-c16k5-p2-10[:act=...]"
// (cNkK: N channels of KxK, stride 1, no padding, with optional sS stride, pP padding on every
// side and dD dilation, e.g. c8k3s2p1; pN: N x N max-pool, aN: average pool, both with an
// optional sS stride (default N); g: global average pool; a number: a dense layer), for a
// dataset's input and class count.
Result<Model> make_model(std::string_view spec, int inputs, int classes, std::uint64_t seed);
// Weights and biases of an MLP with these hidden widths (none: logistic regression), for limits
// checked before a model is built.
double mlp_parameter_count(int inputs, const std::vector<int>& hidden, int classes);
// The same for a "cnn:..." spec, from its layers' shapes alone (no weights are made); the spec's
// error when it does not parse or its shapes do not chain.
Result<double> cnn_parameter_count(std::string_view spec, int inputs, int classes);

// Formats per tensor role; an empty string means full precision for that role.
struct QuantRoles {
    std::string weights, activations, gradients, updates;
    // The accumulator: each layer's pre-activation sum W x + b is rounded into this format (the
    // final sum only; rounding every partial sum would cost a scalar loop per multiply-add).
    std::string accumulator;
    Rounding update_rounding = Rounding::nearest_even;  // stochastic: Gupta et al.
};

// Formats of one layer chosen by calibration; they replace the roles' formats for that layer.
struct LayerFormats {
    std::string weights;                   // the whole weight matrix...
    std::vector<std::string> weight_rows;  // ...or one format per output channel (row)
    std::string activations;               // the layer's output (hidden layers only)
};

struct TrainOptions {
    Optimizer optimizer = Optimizer::adam;
    float learning_rate = 1e-3f;
    float lr_decay =
        1.0f;  // the learning rate is multiplied by this after every epoch (Sakr: 0.978)
    int epochs = 5;
    int batch = 64;
    float dropout = 0;          // probability of dropping a hidden activation while training
    bool clip_weights = false;  // to [-1, 1] after every step (Sakr §4.1)
    QuantRoles roles;
    // Per layer (index into Model::layers): formats that replace the roles' weights and
    // activations there, as in evaluation (Lin §5.3's fine-tuning within per-layer formats).
    std::vector<LayerFormats> layers;
    std::uint64_t seed = 1;
    bool evaluate_each_epoch = true;  // accuracy per epoch in the history (benchmarks turn it off)
};

struct TrainEpoch {
    int epoch = 0;
    double loss = 0;
    double train_accuracy = 0;
    double test_accuracy = 0;
};

struct TrainReport {
    std::vector<TrainEpoch> history;
    double train_accuracy = 0, test_accuracy = 0;
    long long updates = 0;              // weight entries updated
    long long lost_updates = 0;         // nonzero updates that left the stored weight unchanged
    std::vector<std::string> warnings;  // e.g. a weight format that rounds every weight to zero
};

// One mini-batch of a training run, for plotting: the loss is the batch's mean.
struct TrainBatchRecord {
    long long step = 0;  // batches done in all, 1-based
    double loss = 0;
    long long lost_updates = 0;  // cumulative, as in TrainReport
};

// Training as a resumable job: one unit is one mini-batch. After an epoch's last batch it
// evaluates accuracy when options.evaluate_each_epoch, a chunk of rows per unit (evaluating() is
// true meanwhile, so a lab spreads it over frames), then appends the epoch to report().history. The
// job trains `model` in place and keeps references to model, train and test (and copies the
// options): all three must outlive the job, and the model's shapes must not change while it runs. A
// bad option or shape fails the job in its constructor (state() failed, status() says why); a NaN
// or infinite loss fails it at that batch. A seed gives the same weights however the job is
// stepped.
class TrainJob : public Job {
  public:
    TrainJob(Model& model, const Dataset& train, const Dataset* test, const TrainOptions& options);
    ~TrainJob() override;
    TrainJob(const TrainJob&) = delete;
    TrainJob& operator=(const TrainJob&) = delete;

    JobProgress progress() const override;  // done/total count batches
    const TrainReport& report() const;      // history so far, updates, lost updates, warnings
    int epoch() const;  // the epoch in progress (1-based; the last one once finished)
    int epochs() const;
    long long batches_done() const;  // in all epochs
    long long batches_per_epoch() const;
    double epoch_loss() const;  // running mean loss per example of the current epoch so far
    const std::vector<TrainBatchRecord>& batches() const;  // one record per batch done
    // Takes effect from the next batch (the lab switches nearest/stochastic while training runs).
    void set_update_rounding(Rounding rounding);
    Rounding update_rounding() const;
    // Changes the number of epochs; never below the epoch in progress (or the ones finished).
    void set_epochs(int epochs);
    // Between an epoch's last batch and its entry in the history: the units evaluate accuracy.
    bool evaluating() const;
    // `batches` more batches and the evaluation the last of them ends an epoch with (units count
    // chunks of evaluation too); returns true while work remains.
    bool step_batches(long long batches);

    // ---- moving a run between copies of the same code (the lab's Web Worker and its page) ----
    // checkpoint: everything, so a job built over the same model shape, data and options and
    // restored from it goes on exactly as this one would (not while evaluating()). progress:
    // what a mirror shows (weights, position, history, the batch records from `records_from`
    // on), without the optimizer's moments, the shuffle or the random state.
    enum class Saved { checkpoint, progress };
    std::string save(Saved what, std::size_t records_from = 0) const;
    // Takes a save of a job over the same model shape: a malformed or mismatched one is refused
    // with a message and changes nothing. After a progress save the job is a mirror
    // (exact() false) until a checkpoint is restored: stepping a mirror fails it.
    Status restore(std::string_view bytes);
    bool exact() const;
    // The options a save was made with (a checkpoint's; the worker builds its job from them).
    static Result<TrainOptions> saved_options(std::string_view bytes);

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// Trains in place: runs a TrainJob to its end. Divergence (a NaN or infinite loss) stops training
// with a message.
Result<TrainReport> train_model(Model& model, const Dataset& train, const Dataset* test,
                                const TrainOptions& options);

struct EvalOptions {
    QuantRoles roles;                  // weights and activations apply
    std::vector<LayerFormats> layers;  // per layer, from calibration; empty: use roles
};
Matrix hidden_outputs(const Model& model, const Dataset& data, std::size_t layer,
                      std::size_t max_rows);
// Class scores (after the last activation, before the softmax) for every row.
Matrix predict_scores(const Model& model, const Dataset& data, const EvalOptions& options = {});
double accuracy(const Model& model, const Dataset& data, const EvalOptions& options = {});
// The network's decision for one row of scores: the first index of the largest one (a tie goes
// to the lower class, as accuracy() decides). Every comparison of decisions uses this rule.
int first_max(const float* scores, int count);

// accuracy() a chunk of kEvalChunkRows rows at a time, so a job can spread an evaluation over
// frames: the same value however it is stepped. Keeps references to model and data.
constexpr std::size_t kEvalChunkRows = 1024;
class AccuracyCount {
  public:
    AccuracyCount(const Model& model, const Dataset& data, const EvalOptions& options = {});
    ~AccuracyCount();
    AccuracyCount(const AccuracyCount&) = delete;
    AccuracyCount& operator=(const AccuracyCount&) = delete;
    bool step();  // counts the next chunk; false once every row is counted
    bool done() const;
    double accuracy() const;  // over every row once done (0 for no rows)

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// Per-row gradients of chosen output combinations through the float network (no quantization,
// no dropout): a batched Jacobian-vector product by the same forward and backward code training
// uses. `directions` gets the outputs (x.rows() x outputs) and returns x.rows() * k rows; row
// s * k + c is the output gradient c for sample s (e.g. e_i - e_j for d(z_i - z_j)). Kinks have
// derivative 0 (ReLU at 0, the hard sigmoid at 0 and 2). Sakr's analysis (analysis/sakr) uses it.
struct OutputGradients {
    Matrix outputs;                  // x.rows() x outputs
    int per_sample = 0;              // k
    std::vector<Matrix> inputs;      // per layer: the input it saw, x.rows() rows
    std::vector<Matrix> grad_pre;    // per layer: d/d(pre-activation z), x.rows() * k rows
    std::vector<Matrix> grad_input;  // per layer: d/d(its input), x.rows() * k rows
};
OutputGradients output_gradients(const Model& model, const Matrix& x,
                                 const std::function<Matrix(const Matrix& outputs)>& directions);

// The versioned JSON schema {"format":"quantlab-model","version":1,"layers":[...]}.
// ModelWeights::omitted writes (and reads) the layers without their numbers: the shape alone,
// read back with zero weights, for a reader that fills them itself (the training worker takes a
// run's weights from its TrainJob checkpoint; 1M weights as JSON text took seconds to parse).
enum class ModelWeights { included, omitted };
std::string model_to_json(const Model& model, ModelWeights weights = ModelWeights::included);
Result<Model> model_from_json(std::string_view text, ModelWeights weights = ModelWeights::included);
// The model as bytes for another instance of the same build (the lab's Web Worker runs analyses
// on the page's model): its shape as JSON and every weight exactly, read a thousand times faster
// than JSON numbers. A cut or mismatched input is refused with a message.
std::string model_to_bytes(const Model& model);
Result<Model> model_from_bytes(std::string_view bytes);
Status save_model(const Model& model, const std::string& path);
// A model file: quantlab-model JSON, or ONNX when the name ends in .onnx (qlab/onnx.hpp; the
// formats of its QuantizeLinear/DequantizeLinear pairs are dropped here, import_onnx keeps them).
Result<Model> load_model(const std::string& path);

}  // namespace qlab
