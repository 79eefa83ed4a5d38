// The lab's whole state as one plain struct with defaults, and the single property table that
// converts it to and from a URL query string and the JS API (no browser globals here). Every
// property belongs to one lesson or is shared; rules over several keys live beside the table.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qlab/optimizer.hpp"
#include "qlab/status.hpp"

namespace qlab {

struct LabState {
    // Shared by every lesson.
    std::string panel = "formats";
    std::string theme = "light";  // light | dark
    double seed = 1;              // every random choice (data, order, stochastic rounding)
    std::string goal;  // a challenge: "test_accuracy>=0.97,weight_bits<=5" (see challenge.hpp)

    // formats: one format on the number line and the 2-D atom grid.
    std::string format = "fixed:w=8,f=4";
    std::string rounding = "rne";
    double x = 0.3;   // the value the Formats panel follows onto the number line
    double y = -0.7;  // second coordinate of the point on the 2-D atom grid
    double lo = -2;   // visible part of the number line, also the range of delta
    double hi = 2;

    // perceptron: Cherkhev's quantized perceptron / Frank-Wolfe on a 2-D set.
    std::string set = "linear";  // linear|synth01|synth02|circle|xor|gauss|spiral
    double n = 200;              // generated points
    double noise = 0;            // playground sets: 0 .. 0.5
    double margin = 0.1;         // linear: no point closer to the separator
    std::string atoms = "lattice:range=1,points=32";  // the format of features and weights
    std::string algo = "perceptron";                  // perceptron | frank-wolfe
    std::string add;     // points added by hand: "x,y,c;x,y,c" (c = 0|1)
    std::string remove;  // generated points removed by hand: "3,17"
    // The accuracy heatmap: range x points | float e x bits, or one of Cherkhev's Tables 2-4 on
    // the lesson's set with his printed cells beside (2, 3-fixed, 3-float, 4-fixed, 4-float).
    std::string grid = "range";
    // How the heatmap's cells train and score (Cherkhev §4.2): paper (3 passes, test accuracy on
    // 20% held out) or converge (50 passes, training accuracy).
    std::string protocol = "paper";
    // The heatmap's data: points (the lesson's 2-D set), mnist4v9 (MNIST's 4 against 9, the
    // substitute for Cherkhev's gisette) or fashion5v7 (Fashion-MNIST's sandals against sneakers,
    // pixels binarized at 0.5, for his farm-ads), as `qlab sweep --data` names them.
    std::string sdata = "points";

    // train: an MLP or logistic regression with a format per quantization role.
    std::string data =
        "digits";  // digits | mnist | fashion | circle | xor | gauss | spiral | linear
    // A model file opened by link: an ONNX or quantlab-model JSON file, as a URL relative to the
    // page ("models/lenet.onnx"); empty: the lab's own network (or a file dropped on it).
    std::string model;
    // The inputs' preprocessing: "" (auto: none for an imported ONNX model, as `qlab` does, and
    // for mnist and fashion (pixel / 255), else unit: automatic_preprocessing), none, unit ([-1, 1]
    // per feature), minmax ([0, 1] per feature), standard, or meanstd:M,S ((x - M) / S on the
    // values as loaded, torchvision's Normalize; image pixels load as pixel / 255, as ToTensor
    // gives).
    std::string normalize;
    std::string hidden = "32";  // hidden widths "128-64"; empty: logistic regression
    std::string act = "relu";   // relu | hardsigmoid | tanh
    std::string weights, activations, gradients, updates, accumulator;  // empty: full precision
    std::string urounding = "rne";  // rounding of stored weight updates: rne | stochastic | ...
    // Training starts from the lab's preset (qlab/optimizer.hpp says why it differs from qlab's).
    std::string optimizer = optimizer_name(kLabTrainPreset.optimizer);
    // The lr, batch and decay keys as the link holds them: empty follows the data set (its
    // DataTrainDefaults, else the lab's preset); a value set by hand wins and stays in the link.
    std::string lr_key, batch_key, decay_key;
    // The values in force, resolved from the keys and the data set by every set_state (read
    // these, never the keys, to train): see lab_train_settings.
    double lr = kLabTrainPreset.learning_rate;
    double batch = kLabTrainPreset.batch;
    double decay = 1;  // the learning rate's factor per epoch
    double epochs = kLabTrainPreset.epochs;
    double dropout = 0;            // probability of dropping a hidden unit while training
    std::string calib = "minmax";  // post-training calibration: minmax | percentile | mse | kl
    double cbits = 4;
    double per_channel = 0;  // 0 | 1
    double asym = 0;         // 0 | 1

    // The analysis lessons (precision, layers, ternary) study the model the keys above describe
    // (trained in the lab or loaded from a file): their links carry those keys as well.

    // precision: Sakr's bounds against fixed-point simulation at (B_A, B_W).
    double ba = 6;  // B_A, activation bits (Delta_A = 2^-(B_A-1))
    double bw = 6;  // B_W, weight bits
    // The estimation set: 0 = every row (E_A and E_W are means that a few rows of tiny float
    // margin dominate: a sample of 500 or 1000 can move them by large factors).
    double psamples = 0;

    // layers: Lin's per-layer SQNR and cross-layer bit allocation.
    double lbits = 6;                // bits of the weights and activations quantizers drawn
    std::string objective = "size";  // allocation objective: size | compute
    double kappa = 0;                // dB per bit for the allocation; 0: measured from the weights
    std::string lview = "plots";     // the bottom row: plots (SQNR, size) | designer | sensitivity
    // The per-layer sensitivity view: the format each layer's weights (and output) get in turn.
    std::string sweights = "int:b=4,group=32";
    std::string sacts;
    std::string dlevels = "kmeans:16";  // the designer's codebook: see parse_designer_levels
    double dlayer = 1;                  // the designer's weighted layer (1-based)
    double dall = 0;                    // 1: every weighted layer on the designer's levels

    // ternary: Kundu's fine-grained ternary blocks and their residuals.
    double tblock = 64;  // N, weights per block
    double ttol = 0.05;  // epsilon, Algorithm 2's tolerance on ||W - W^|| / ||W||
    double keep = 32;    // residual terms kept per block ("battery-saving": the last go first)
    // X, the power-performance gain of 8-2 over 8-8 operations in pi = X / (C (X/N + 1)): Kundu
    // §4 estimates 5.5 for N = 64 (§6.2 assumes c ~ 5 for the same N); other N need their own.
    double tx = 5.5;
    // residuals | pareto (accuracy against bits across formats) | tables (Kundu Tables 3-4)
    std::string tview = "residuals";

    bool operator==(const LabState& other) const;
    bool operator!=(const LabState& other) const { return !(*this == other); }
};

enum class PropertyType { text, number, integer };

// What changing a key does to the lab's one shared model (its owner reads this from the table;
// nothing else lists the model's keys): a new data split (and so fresh weights), fresh weights and
// a restarted run, or a change the running job takes as it goes.
enum class ModelEffect { none, new_data, new_model, live };

struct Property {
    const char* key;
    // The lesson that owns it, or several separated by spaces ("train precision"); nullptr:
    // shared by all. A link carries the open lesson's keys.
    const char* panel;
    PropertyType type;
    std::string LabState::*text;
    double LabState::*number;
    const char* help;
    // Text values: the whole check. Numbers: extra checks after "finite" (and "integer").
    Status (*validate_text)(const std::string& value) = nullptr;
    double min = -1e300, max = 1e300;  // numbers only, inclusive
    bool omit_when_empty = false;      // links leave it out while it is empty (goal: no challenge)
    ModelEffect model = ModelEffect::none;
};

// A rule over several keys (lo < hi and the like): checked whenever one of its keys changes.
struct StateRule {
    std::vector<const char*> keys;
    Status (*check)(const LabState& state);
};

// Settings whose default differs in one lesson: a lab opened on that lesson (its link without the
// key) takes this value; a value in the link still wins. The Precision lesson opens on the hard
// sigmoid, the activation Sakr's theorems are stated for (every hidden output in [0, 2] fits
// ufixed:w=B_A,f=B_A-1); ReLU stays one click away as the counter-example the lesson explains
// (outputs above 2 saturate in fixed point, and the simulated mismatch exceeds the bounds).
struct LessonDefault {
    const char* panel;
    const char* key;
    const char* value;
    const char* why;
};
const std::vector<LessonDefault>& lesson_defaults();
// LabState{} open on that lesson, with its own defaults.
LabState lesson_default_state(std::string_view panel);
// The state a link opens: its lesson's defaults (the lesson named by its `panel`, or the default
// one), then the link's values as apply_query takes them; `problems` gets apply_query's messages.
LabState initial_lab_state(std::string_view query, std::vector<std::string>* problems = nullptr);

// The training settings in force for a state, and where each comes from: the value set by hand,
// else the data set's default (qlab/optimizer.hpp's data_train_defaults: MNIST and Fashion-MNIST),
// else the lab's preset. `source` names the defaults as the lesson shows them ("MNIST default",
// "lab default"); the *_default flags say which values are defaults.
struct LabTrainSettings {
    double lr = 0;
    int batch = 0;
    double decay = 1;
    bool lr_default = true, batch_default = true, decay_default = true;
    std::string source;
};
LabTrainSettings lab_train_settings(const LabState& state);
// Writes the values in force (lab_train_settings) into state.lr, batch and decay; set_state does
// this after every change, so only code that edits the fields directly needs it.
void resolve_train_settings(LabState& state);

// Every setting, in URL order, and the rules that tie several together.
const std::vector<Property>& lab_properties();
const std::vector<StateRule>& lab_rules();
const Property* find_property(std::string_view key);
// The lessons the lab knows, in tab order (the web registry must list exactly these).
const std::vector<std::string>& panel_names();
// Whether a property belongs to this lesson (or to every lesson).
bool property_in_panel(const Property& property, std::string_view panel);
// The lessons listed as a property's owners (empty when it is shared).
std::vector<std::string> property_owners(const Property& property);
// The lessons that study the shared model: the owners of the keys that change it.
bool lesson_uses_model(std::string_view panel);

// The value as it appears in the URL and in getState(); numbers in shortest round-trip form.
std::string property_text(const LabState& state, const Property& property);

// What a change did: the keys whose value changed, and one message per refused value.
struct StateChange {
    std::vector<std::string> changed;
    std::vector<std::string> errors;
    bool ok() const { return errors.empty(); }
};

// Validates and applies several values together. Each bad value is refused alone (the message
// names the key and the value); then every rule touching a changed key is checked on the result,
// and a broken rule puts its keys back as they were. Keys that are not settings are errors.
StateChange set_state(LabState& state,
                      const std::vector<std::pair<std::string, std::string>>& values);
// One value; on error the state is unchanged.
Status set_property(LabState& state, std::string_view key, std::string_view value);

// The shared keys and the open panel's keys, "panel=formats&theme=light&...&format=..."; keeps
// ':' ',' '=' ';' '/' readable, and leaves out an empty goal (and model, normalize). `all_panels`
// writes every key of every panel.
std::string to_query(const LabState& state, bool all_panels = false);

// Applies every recognised key of a query (with or without '?'). A bad value keeps the value
// the state had and yields one message; the returned list is empty when all was well. Keys the
// JS shell reads (hide, embed) are passed over silently.
std::vector<std::string> apply_query(std::string_view query, LabState& state);

std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);

// Hand-added perceptron points, "x,y,c;...": parsed, or a message naming the bad item.
struct AddedPoint {
    double x = 0, y = 0;
    int label = 0;
};
Result<std::vector<AddedPoint>> parse_added_points(std::string_view text);
std::string format_added_points(const std::vector<AddedPoint>& points);
Result<std::vector<int>> parse_index_list(std::string_view text);
// The normalize key: "" (auto), none, unit, minmax, standard or meanstd:M,S (S > 0).
struct InputPreprocessing {
    enum class Kind { automatic, none, unit, minmax, standard, meanstd };
    Kind kind = Kind::automatic;
    double mean = 0, std = 1;
};
Result<InputPreprocessing> parse_preprocessing(std::string_view text);
// What the empty (auto) key means for the lab's data set: none for an imported model (as qlab
// does for ONNX files), else qlab::automatic_normalization's choice: none (pixel / 255) for mnist
// and fashion, unit ([-1, 1] per feature) for the others.
InputPreprocessing::Kind automatic_preprocessing(std::string_view data, bool imported_model);
// A model link's URL: relative or http(s), at most 2048 characters, no spaces or quotes.
Status validate_model_url(std::string_view url);

// "128-64" -> {128, 64}; "" -> {} (logistic regression).
Result<std::vector<int>> parse_hidden_widths(std::string_view text);
// The hidden key names a CNN's body when a token is a convolution, pool or global pool
// ("c8k5-p2-c16k5-p2-64", the tokens of make_model's cnn: spec between input and classes).
bool hidden_is_cnn(std::string_view hidden);
// The model spec the lab builds from the hidden and act keys for data of `features` inputs,
// `classes` classes and, for images, `image_side` x `image_side` pixels (0: not images):
// "logreg", "mlp:784-128-10:act=relu" or "cnn:28x28x1-c8k5-p2-10:act=relu".
std::string lab_model_spec(const std::string& hidden, const std::string& act, int features,
                           int classes, int image_side);

// The lattice designer's codebook as a link holds it: "kmeans:K" (K = 2..256 levels from 1-D
// k-means on the layer's weights), "uniform:B" (Lin's fixed point for the layer at B = 1..8 bits),
// or the levels themselves, "v1;v2;..." (1..256 finite values; sorted and merged here).
struct DesignerLevels {
    enum class Kind { kmeans, uniform, list };
    Kind kind = Kind::kmeans;
    int count = 16;              // K, or B
    std::vector<double> values;  // list: ascending, distinct
};
Result<DesignerLevels> parse_designer_levels(std::string_view text);
// Levels as a link holds them: each to kDesignerLevelDigits significant digits (a dragged level
// is placed to a pixel, far coarser), so the designer evaluates exactly what the link says.
constexpr int kDesignerLevelDigits = 4;
std::string designer_levels_text(const std::vector<double>& levels);

// Limits the validators enforce (the lab must stay within a browser tab's memory).
constexpr int kMaxAddedPoints = 500;
constexpr int kMaxDesignerLevels = 256;
constexpr int kMaxGeneratedPoints = 5000;
constexpr int kMaxHiddenLayers = 4;
constexpr int kMaxHiddenWidth = 1024;
constexpr double kMaxModelParameters = 2e6;
// An imported model is studied more than trained, so it may be larger: 4e6 parameters (16 MB of
// float32) holds a 10 MB export with room; QAT fine-tuning of it needs about 4x that in memory.
constexpr double kMaxImportedModelParameters = 4e6;

}  // namespace qlab
