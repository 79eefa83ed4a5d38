// The property table behind URL state and the JS API: per-key validation, per-lesson ownership,
// and the rules that tie several keys together (tensorflow/playground's state.ts, extended).
// Sections: 1. lessons and owners (panel_names, property_owners)  2. per-key validators and the
// multi-key rules  3. the table itself (lab_properties) and input preprocessing  4. applying
// values (set_state, the train settings' defaults)  5. the URL (percent coding, to_query)
// 6. parsers of the list-valued keys (added points, removed rows, designer levels, hidden widths).
#include "qlab/lab_state.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "qlab/challenge.hpp"
#include "qlab/dataset.hpp"
#include "qlab/format.hpp"
#include "qlab/mlp.hpp"
#include "qlab/optimizer.hpp"

namespace qlab {

bool LabState::operator==(const LabState& o) const {
    for (const Property& p : lab_properties())
        if (property_text(*this, p) != property_text(o, p)) return false;
    return true;
}

const std::vector<std::string>& panel_names() {
    static const std::vector<std::string> names = {"formats",   "perceptron", "train",
                                                   "precision", "layers",     "ternary"};
    return names;
}

std::vector<std::string> property_owners(const Property& p) {
    std::vector<std::string> owners;
    if (!p.panel) return owners;
    std::string_view list = p.panel;
    while (!list.empty()) {
        const std::size_t space = list.find(' ');
        if (space != 0) owners.emplace_back(list.substr(0, space));
        list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
    }
    return owners;
}

bool lesson_uses_model(std::string_view panel) {
    for (const Property& p : lab_properties())
        if (p.model != ModelEffect::none && p.panel && property_in_panel(p, panel)) return true;
    return false;
}

bool property_in_panel(const Property& p, std::string_view panel) {
    if (!p.panel) return true;
    for (const std::string& owner : property_owners(p))
        if (owner == panel) return true;
    return false;
}

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string list;
    for (const auto& item : items) list += (list.empty() ? "" : ", ") + item;
    return list;
}

Status one_of(const std::string& value, const std::vector<std::string>& choices, const char* what) {
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return Status::success();
    return Status::error("unknown " + std::string(what) + " '" + value +
                         "' (known: " + join(choices) + ")");
}

bool parse_finite(std::string_view text, double& out) {
    const std::string s(text);
    errno = 0;
    char* end = nullptr;
    out = s.empty() ? NAN : std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size() && std::isfinite(out);
}

// The text up to the next separator (all of it when there is none); `text` moves past it.
std::string next_item(std::string_view& text, char separator) {
    const std::size_t at = text.find(separator);
    std::string item(text.substr(0, at));
    text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    return item;
}

Status validate_panel(const std::string& v) {
    return one_of(v, panel_names(), "panel");
}
Status validate_theme(const std::string& v) {
    return one_of(v, {"light", "dark"}, "theme");
}
Status validate_format(const std::string& v) {
    return Format::parse(v).status();
}
// A role's format; empty means full precision.
Status validate_role_format(const std::string& v) {
    return v.empty() ? Status::success() : Format::parse(v).status();
}
Status validate_rounding(const std::string& v) {
    return parse_rounding(v).status();
}
Status validate_set(const std::string& v) {
    return one_of(v, {"linear", "synth01", "synth02", "circle", "xor", "gauss", "spiral"},
                  "2-D data set");
}
Status validate_algo(const std::string& v) {
    return one_of(v, {"perceptron", "frank-wolfe"}, "algorithm");
}
Status validate_grid(const std::string& v) {
    return one_of(v, {"range", "float", "2", "3-fixed", "3-float", "4-fixed", "4-float"},
                  "sweep grid");
}
Status validate_protocol(const std::string& v) {
    return one_of(v, {"paper", "converge"}, "sweep protocol");
}
Status validate_sweep_data(const std::string& v) {
    return one_of(v, {"points", "mnist4v9", "fashion5v7"}, "heatmap data");
}
Status validate_added(const std::string& v) {
    return parse_added_points(v).status();
}
Status validate_removed(const std::string& v) {
    return parse_index_list(v).status();
}
Status validate_data(const std::string& v) {
    return one_of(v, {"digits", "mnist", "fashion", "circle", "xor", "gauss", "spiral", "linear"},
                  "data set");
}
Status validate_normalize(const std::string& v) {
    return parse_preprocessing(v).status();
}
Status validate_model(const std::string& v) {
    return validate_model_url(v);
}
Status validate_hidden(const std::string& v) {
    if (hidden_is_cnn(v)) return Status::success();  // its shapes need the data: rule_model_size
    return parse_hidden_widths(v).status();
}
Status validate_act(const std::string& v) {
    return one_of(v, {"relu", "hardsigmoid", "tanh"}, "activation");
}
Status validate_optimizer(const std::string& v) {
    return parse_optimizer(v).status();
}
Status validate_goal(const std::string& v) {
    return parse_goal(v).status();
}
Status validate_tview(const std::string& v) {
    return one_of(v, {"residuals", "pareto", "tables"}, "ternary view");
}
Status validate_objective(const std::string& v) {
    return one_of(v, {"size", "compute"}, "allocation objective");
}
Status validate_calib(const std::string& v) {
    return one_of(v, {"minmax", "percentile", "mse", "kl"}, "calibration");
}
Status validate_lview(const std::string& v) {
    return one_of(v, {"plots", "designer", "sensitivity"}, "layers view");
}
Status validate_dlevels(const std::string& v) {
    return parse_designer_levels(v).status();
}

// The training keys: empty (the data set's default) or a number within bounds.
Status validate_number_key(const std::string& v, double lo, double hi, bool integer) {
    double x = 0;
    if (v.empty()) return Status::success();
    if (!parse_finite(v, x)) return Status::error("'" + v + "' is not a finite number");
    if (integer && x != std::floor(x)) return Status::error("'" + v + "' is not an integer");
    if (x < lo || x > hi)
        return Status::error(v + " is outside [" + shortest_repr(lo) + ", " + shortest_repr(hi) +
                             "] (empty: the data set's default)");
    return Status::success();
}
Status validate_lr(const std::string& v) {
    return validate_number_key(v, 1e-6, 10, false);
}
Status validate_batch(const std::string& v) {
    return validate_number_key(v, 1, 4096, true);
}
Status validate_decay(const std::string& v) {
    return validate_number_key(v, 0.01, 1, false);
}

// Inputs and classes of the train lesson's data sets, for the model-size rule.
std::pair<int, int> data_shape(const std::string& data) {
    if (data == "mnist" || data == "fashion") return {784, 10};
    if (data == "digits") return {64, 10};
    return {2, 2};
}

int data_image_side(const std::string& data) {
    return data == "mnist" || data == "fashion" ? 28 : data == "digits" ? 8 : 0;
}

Status rule_number_line(const LabState& s) {
    if (s.lo < s.hi) return Status::success();
    return Status::error("the number line needs lo < hi (lo=" + shortest_repr(s.lo) +
                         ", hi=" + shortest_repr(s.hi) + ")");
}

Status rule_model_size(const LabState& s) {
    const auto [inputs, classes] = data_shape(s.data);
    double params = 0;
    if (hidden_is_cnn(s.hidden)) {
        if (data_image_side(s.data) == 0)
            return Status::error("the CNN '" + s.hidden +
                                 "' needs image data (mnist, fashion or "
                                 "digits), not " +
                                 s.data);
        const std::string spec =
            lab_model_spec(s.hidden, s.act, inputs, classes, data_image_side(s.data));
        auto count = cnn_parameter_count(spec, inputs, classes);
        if (!count) return count.status();  // names the layer whose shape does not fit
        params = *count;
    } else {
        auto widths = parse_hidden_widths(s.hidden);
        if (!widths) return Status::success();  // the key's own check reports it
        params = mlp_parameter_count(inputs, *widths, classes);
    }
    if (params <= kMaxModelParameters) return Status::success();
    return Status::error("a model with hidden layers " + s.hidden + " on " + s.data + " has " +
                         shortest_repr(params) + " parameters, more than the lab's limit of " +
                         shortest_repr(kMaxModelParameters));
}

Status rule_removed_points(const LabState& s) {
    auto removed = parse_index_list(s.remove);
    if (!removed) return Status::success();
    for (int i : *removed)
        if (i >= static_cast<int>(s.n))
            return Status::error("removed point " + std::to_string(i) +
                                 " does not exist: the set has " + shortest_repr(s.n) +
                                 " generated points");
    return Status::success();
}

}  // namespace

const std::vector<Property>& lab_properties() {
    using T = PropertyType;
    static const char* const F = "formats";
    static const char* const P = "perceptron";
    // The model's keys: the train lesson sets them, the analysis lessons study that model.
    static const char* const R = "train precision layers ternary";
    static const char* const C = "train";  // calibration is the train lesson's own
    static const char* const S = "precision";
    static const char* const L = "layers";
    static const char* const K = "ternary";
    constexpr double kAny = 1e300;  // no bounds (text keys, whose validators say it all)
    static const std::vector<Property> table = {
        {"panel", nullptr, T::text, &LabState::panel, nullptr, "which lesson is open",
         validate_panel},
        {"theme", nullptr, T::text, &LabState::theme, nullptr, "light or dark", validate_theme},
        {"seed", nullptr, T::integer, nullptr, &LabState::seed, "seed of every random choice",
         nullptr, 0, 0x1p53, false, ModelEffect::new_data},
        {"goal", nullptr, T::text, &LabState::goal, nullptr,
         "a challenge checked live: metric>=value,...", validate_goal, 0, 0, true},
        {"format", F, T::text, &LabState::format, nullptr, "number format spec", validate_format},
        {"rounding", F, T::text, &LabState::rounding, nullptr, "rounding mode", validate_rounding},
        {"x", F, T::number, nullptr, &LabState::x, "value placed on the number line"},
        {"y", F, T::number, nullptr, &LabState::y, "second coordinate on the 2-D atom grid"},
        {"lo", F, T::number, nullptr, &LabState::lo, "left end of the number line"},
        {"hi", F, T::number, nullptr, &LabState::hi, "right end of the number line"},
        {"set", P, T::text, &LabState::set, nullptr, "2-D data set", validate_set},
        {"n", P, T::integer, nullptr, &LabState::n, "generated points", nullptr, 0,
         kMaxGeneratedPoints},
        {"noise", P, T::number, nullptr, &LabState::noise, "label noise of the playground sets",
         nullptr, 0, 0.5},
        {"margin", P, T::number, nullptr, &LabState::margin, "margin of the linear set", nullptr, 0,
         0.5},
        {"atoms", P, T::text, &LabState::atoms, nullptr, "format of features and weights",
         validate_format},
        {"algo", P, T::text, &LabState::algo, nullptr, "perceptron or frank-wolfe", validate_algo},
        {"add", P, T::text, &LabState::add, nullptr, "points added by hand: x,y,class;...",
         validate_added},
        {"remove", P, T::text, &LabState::remove, nullptr,
         "generated points removed by hand: i,j,...", validate_removed},
        {"grid", P, T::text, &LabState::grid, nullptr,
         "accuracy heatmap: range x points, float e x bits, or a Cherkhev table (2, 3-fixed, "
         "3-float, 4-fixed, 4-float)",
         validate_grid},
        {"protocol", P, T::text, &LabState::protocol, nullptr,
         "heatmap cells: paper (3 passes, test accuracy) or converge (50 passes, training "
         "accuracy)",
         validate_protocol},
        {"sdata", P, T::text, &LabState::sdata, nullptr,
         "heatmap data: points (the lesson's set), mnist4v9 (MNIST's 4 against 9, for gisette) "
         "or fashion5v7 (Fashion-MNIST's sandals against sneakers, binarized, for farm-ads)",
         validate_sweep_data},
        {"data", R, T::text, &LabState::data, nullptr, "data set", validate_data, -kAny, kAny,
         false, ModelEffect::new_data},
        {"model", R, T::text, &LabState::model, nullptr,
         "a model file to open: ONNX or model JSON, a URL relative to the page", validate_model,
         -kAny, kAny, true},
        {"normalize", R, T::text, &LabState::normalize, nullptr,
         "preprocessing of the inputs: none, unit, minmax, standard or meanstd:M,S (empty: auto)",
         validate_normalize, -kAny, kAny, true, ModelEffect::new_data},
        {"hidden", R, T::text, &LabState::hidden, nullptr,
         "hidden layers: widths such as 128-64, or on images a CNN such as c8k5-p2-c16k5-p2-64 "
         "(empty: logistic regression)",
         validate_hidden, -kAny, kAny, false, ModelEffect::new_model},
        {"act", R, T::text, &LabState::act, nullptr, "hidden activation", validate_act, -kAny, kAny,
         false, ModelEffect::new_model},
        {"weights", R, T::text, &LabState::weights, nullptr, "format of the weights (empty: float)",
         validate_role_format, -kAny, kAny, false, ModelEffect::new_model},
        {"activations", R, T::text, &LabState::activations, nullptr, "format of the activations",
         validate_role_format, -kAny, kAny, false, ModelEffect::new_model},
        {"gradients", R, T::text, &LabState::gradients, nullptr, "format of the gradients",
         validate_role_format, -kAny, kAny, false, ModelEffect::new_model},
        {"updates", R, T::text, &LabState::updates, nullptr, "format the weights are stored in",
         validate_role_format, -kAny, kAny, false, ModelEffect::new_model},
        {"accumulator", R, T::text, &LabState::accumulator, nullptr, "format of each layer's sum",
         validate_role_format, -kAny, kAny, false, ModelEffect::new_model},
        {"urounding", R, T::text, &LabState::urounding, nullptr,
         "rounding of stored weight updates", validate_rounding, -kAny, kAny, false,
         ModelEffect::live},
        {"optimizer", R, T::text, &LabState::optimizer, nullptr, "sgd, momentum or adam",
         validate_optimizer, -kAny, kAny, false, ModelEffect::new_model},
        {"lr", R, T::text, &LabState::lr_key, nullptr,
         "learning rate (empty: the data set's default)", validate_lr, -kAny, kAny, true,
         ModelEffect::new_model},
        {"batch", R, T::text, &LabState::batch_key, nullptr,
         "mini-batch size (empty: the data set's default)", validate_batch, -kAny, kAny, true,
         ModelEffect::new_model},
        {"decay", R, T::text, &LabState::decay_key, nullptr,
         "the learning rate's factor per epoch, 0.01 to 1 (empty: the data set's default)",
         validate_decay, -kAny, kAny, true, ModelEffect::new_model},
        {"epochs", R, T::integer, nullptr, &LabState::epochs, "epochs to train", nullptr, 1, 1000,
         false, ModelEffect::live},
        {"dropout", R, T::number, nullptr, &LabState::dropout,
         "probability of dropping a hidden unit while training", nullptr, 0, 0.9, false,
         ModelEffect::new_model},
        {"calib", C, T::text, &LabState::calib, nullptr, "post-training calibration method",
         validate_calib},
        {"cbits", C, T::integer, nullptr, &LabState::cbits, "bits of the calibrated int format",
         nullptr, 2, 16},
        {"per_channel", C, T::integer, nullptr, &LabState::per_channel,
         "calibrate weights per output channel", nullptr, 0, 1},
        {"asym", C, T::integer, nullptr, &LabState::asym, "asymmetric calibration (a zero point)",
         nullptr, 0, 1},
        {"ba", S, T::integer, nullptr, &LabState::ba, "B_A, bits of every activation", nullptr, 1,
         24},
        {"bw", S, T::integer, nullptr, &LabState::bw, "B_W, bits of every weight", nullptr, 1, 24},
        {"psamples", S, T::integer, nullptr, &LabState::psamples,
         "samples the bounds are estimated on (0: every row)", nullptr, 0, 10000},
        {"lbits", L, T::integer, nullptr, &LabState::lbits,
         "bits of the weight and activation quantizers", nullptr, 2, 16},
        {"objective", L, T::text, &LabState::objective, nullptr,
         "bit allocation objective: size or compute", validate_objective},
        {"kappa", L, T::number, nullptr, &LabState::kappa,
         "dB per bit of the allocation (0: measured)", nullptr, 0, 20},
        {"lview", L, T::text, &LabState::lview, nullptr,
         "the bottom row: plots, the lattice designer, or per-layer sensitivity", validate_lview},
        {"dlevels", L, T::text, &LabState::dlevels, nullptr,
         "designer levels: kmeans:K, uniform:B or v1;v2;...", validate_dlevels},
        {"dlayer", L, T::integer, nullptr, &LabState::dlayer,
         "the designer's weighted layer (1-based)", nullptr, 1, 64},
        {"dall", L, T::integer, nullptr, &LabState::dall,
         "1: every weighted layer on the designer's levels", nullptr, 0, 1},
        {"sweights", L, T::text, &LabState::sweights, nullptr,
         "sensitivity: the format each layer's weights get in turn (empty: float)",
         validate_role_format},
        {"sacts", L, T::text, &LabState::sacts, nullptr,
         "sensitivity: the format of each layer's output in turn (empty: float)",
         validate_role_format},
        {"tblock", K, T::integer, nullptr, &LabState::tblock, "N, weights per ternary block",
         nullptr, 1, 65536},
        {"ttol", K, T::number, nullptr, &LabState::ttol, "epsilon, the residual tolerance", nullptr,
         0.001, 1},
        {"keep", K, T::integer, nullptr, &LabState::keep, "residual terms kept per block", nullptr,
         0, 32},
        {"tview", K, T::text, &LabState::tview, nullptr,
         "residuals, the Pareto frontier across formats, or Kundu Tables 3-4 on this model",
         validate_tview},
        {"tx", K, T::number, nullptr, &LabState::tx,
         "X, the 8-2 over 8-8 power-performance gain (Kundu §4: 5.5 for N = 64; other N need "
         "their own estimate)",
         nullptr, 0.5, 100},
    };
    return table;
}

Result<InputPreprocessing> parse_preprocessing(std::string_view text) {
    InputPreprocessing p;
    using K = InputPreprocessing::Kind;
    if (text.empty()) return p;
    for (const auto& [name, kind] : {std::pair<std::string_view, K>{"none", K::none},
                                     {"unit", K::unit},
                                     {"minmax", K::minmax},
                                     {"standard", K::standard}})
        if (text == name) {
            p.kind = kind;
            return p;
        }
    const std::string_view head = "meanstd:";
    if (text.substr(0, head.size()) == head) {
        std::string_view rest = text.substr(head.size());
        const std::string m = next_item(rest, ','), sd = next_item(rest, ',');
        double mean = 0, stdev = 0;
        if (rest.empty() && parse_finite(m, mean) && parse_finite(sd, stdev) && stdev > 0) {
            p.kind = K::meanstd;
            p.mean = mean;
            p.std = stdev;
            return p;
        }
    }
    return Status::error(
        "unknown preprocessing '" + std::string(text) +
        "' (known: none, unit, minmax, standard, meanstd:MEAN,STD with STD > 0, or "
        "empty for auto)");
}

InputPreprocessing::Kind automatic_preprocessing(std::string_view data, bool imported_model) {
    if (imported_model || automatic_normalization(data) == Normalization::none)
        return InputPreprocessing::Kind::none;
    return InputPreprocessing::Kind::unit;
}

Status validate_model_url(std::string_view url) {
    if (url.size() > 2048)
        return Status::error("a model URL of " + std::to_string(url.size()) +
                             " characters is too long (at most 2048)");
    for (char c : url)
        if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' ||
            c == '\\' || c == 0x7f)
            return Status::error("the model URL '" + std::string(url) +
                                 "' has a space, a quote or a control character");
    const std::size_t colon = url.find(':'), slash = url.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
        const std::string_view scheme = url.substr(0, colon);
        if (scheme != "http" && scheme != "https")
            return Status::error("the model URL '" + std::string(url) +
                                 "' must be relative to the page, or http(s)");
    }
    return Status::success();
}

const std::vector<StateRule>& lab_rules() {
    static const std::vector<StateRule> rules = {
        {{"lo", "hi"}, rule_number_line},
        {{"data", "hidden"}, rule_model_size},
        {{"n", "remove"}, rule_removed_points},
    };
    return rules;
}

const Property* find_property(std::string_view key) {
    for (const Property& p : lab_properties())
        if (key == p.key) return &p;
    return nullptr;
}

std::string property_text(const LabState& state, const Property& p) {
    if (p.text) return state.*p.text;
    return shortest_repr(state.*p.number);
}

namespace {

// Checks one value alone and writes it into `state`.
Status apply_one(LabState& state, const Property& p, const std::string& text) {
    const std::string key = p.key;
    if (p.text) {
        if (Status s = p.validate_text(text); !s)
            return Status::error("bad value for '" + key + "': " + s.message());
        state.*p.text = text;
        return Status::success();
    }
    double v = 0;
    if (!parse_finite(text, v))
        return Status::error("bad value for '" + key + "': '" + text + "' is not a finite number");
    if (p.type == PropertyType::integer && (v != std::floor(v) || std::fabs(v) > 0x1p53))
        return Status::error("bad value for '" + key + "': '" + text + "' is not an integer");
    if (v < p.min || v > p.max)
        return Status::error("bad value for '" + key + "': " + text + " is outside [" +
                             shortest_repr(p.min) + ", " + shortest_repr(p.max) + "]");
    state.*p.number = v == 0 ? 0.0 : v;  // no -0 in links
    return Status::success();
}

}  // namespace

StateChange set_state(LabState& state,
                      const std::vector<std::pair<std::string, std::string>>& values) {
    StateChange change;
    LabState candidate = state;
    std::vector<const Property*> touched;
    for (const auto& [key, value] : values) {
        const Property* p = find_property(key);
        if (!p) {
            change.errors.push_back("unknown setting '" + key + "'");
            continue;
        }
        if (Status s = apply_one(candidate, *p, value); !s) {
            change.errors.push_back(s.message() + "; kept " + key + "=" + property_text(state, *p));
            continue;
        }
        if (std::find(touched.begin(), touched.end(), p) == touched.end()) touched.push_back(p);
    }
    auto touches = [&](const StateRule& rule) {
        for (const char* k : rule.keys)
            for (const Property* p : touched)
                if (std::string_view(k) == p->key) return true;
        return false;
    };
    for (const StateRule& rule : lab_rules()) {
        if (!touches(rule)) continue;
        if (Status s = rule.check(candidate); !s) {
            std::string kept;
            for (const char* k : rule.keys) {
                const Property* p = find_property(k);
                kept +=
                    (kept.empty() ? "" : ", ") + std::string(k) + "=" + property_text(state, *p);
                if (p->text)
                    candidate.*p->text = state.*p->text;
                else
                    candidate.*p->number = state.*p->number;
            }
            change.errors.push_back("bad values: " + s.message() + "; kept " + kept);
        }
    }
    resolve_train_settings(candidate);
    for (const Property& p : lab_properties())
        if (property_text(candidate, p) != property_text(state, p)) change.changed.push_back(p.key);
    state = std::move(candidate);
    return change;
}

LabTrainSettings lab_train_settings(const LabState& state) {
    LabTrainSettings t;
    const DataTrainDefaults* d = data_train_defaults(state.data);
    t.source =
        d ? std::string(d->label) + " default" : std::string(kLabTrainPreset.name) + " default";
    t.lr = d ? d->learning_rate : kLabTrainPreset.learning_rate;
    t.batch = d ? d->batch : kLabTrainPreset.batch;
    t.decay = d ? d->lr_decay : 1.0;
    double v = 0;
    if ((t.lr_default = !parse_finite(state.lr_key, v)) == false) t.lr = v;
    if ((t.batch_default = !parse_finite(state.batch_key, v)) == false)
        t.batch = static_cast<int>(v);
    if ((t.decay_default = !parse_finite(state.decay_key, v)) == false) t.decay = v;
    return t;
}

void resolve_train_settings(LabState& state) {
    const LabTrainSettings t = lab_train_settings(state);
    state.lr = t.lr;
    state.batch = t.batch;
    state.decay = t.decay;
    // A value set by hand in its shortest form, as number keys are: lr=0.0030 links as 0.003.
    if (!t.lr_default) state.lr_key = shortest_repr(t.lr);
    if (!t.batch_default) state.batch_key = shortest_repr(t.batch);
    if (!t.decay_default) state.decay_key = shortest_repr(t.decay);
}

Status set_property(LabState& state, std::string_view key, std::string_view value) {
    StateChange c = set_state(state, {{std::string(key), std::string(value)}});
    if (c.ok()) return Status::success();
    return Status::error(c.errors.front());
}

std::string percent_encode(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' ||
                           c == ':' || c == ',' || c == '=' || c == ';' || c == '/';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string percent_decode(std::string_view text) {
    auto hex_value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;  // a stray '%' stays literal rather than failing the whole URL
        }
    }
    return out;
}

std::string to_query(const LabState& state, bool all_panels) {
    std::string q;
    for (const Property& p : lab_properties()) {
        if (!all_panels && !property_in_panel(p, state.panel)) continue;
        if (!all_panels && p.omit_when_empty && p.text && (state.*p.text).empty()) continue;
        if (!q.empty()) q += '&';
        q += p.key;
        q += '=';
        q += percent_encode(property_text(state, p));
    }
    return q;
}

const std::vector<LessonDefault>& lesson_defaults() {
    static const std::vector<LessonDefault> defaults = {
        {"precision", "act", "hardsigmoid",
         "Sakr's bounds assume every hidden output fits [0, 2] (§2.2, §4.1); ReLU is the "
         "counter-example"},
    };
    return defaults;
}

LabState lesson_default_state(std::string_view panel) {
    LabState s;
    set_property(s, "panel", panel);  // an unknown lesson keeps the default one
    for (const LessonDefault& d : lesson_defaults())
        if (panel == d.panel) set_property(s, d.key, d.value);
    return s;
}

LabState initial_lab_state(std::string_view query, std::vector<std::string>* problems) {
    // The lesson first: apply the link onto a scratch state to read its panel (a bad panel keeps
    // the default one), then start from that lesson's defaults.
    LabState probe;
    apply_query(query, probe);
    LabState s = lesson_default_state(probe.panel);
    std::vector<std::string> messages = apply_query(query, s);
    if (problems) *problems = std::move(messages);
    return s;
}

std::vector<std::string> apply_query(std::string_view query, LabState& state) {
    std::vector<std::string> messages;
    std::vector<std::pair<std::string, std::string>> values;
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view item = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        const std::string key = percent_decode(item.substr(0, eq));
        const std::string value =
            eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1));
        if (!find_property(key)) {
            if (key != "hide" && key != "embed")  // read by the JS shell, not by the state
                messages.push_back("ignored unknown URL key '" + key + "'");
            continue;
        }
        values.emplace_back(key, value);
    }
    StateChange c = set_state(state, values);
    // Keep the order the keys came in: unknown keys were noted first, so put them last.
    c.errors.insert(c.errors.end(), messages.begin(), messages.end());
    return c.errors;
}

Result<std::vector<AddedPoint>> parse_added_points(std::string_view text) {
    std::vector<AddedPoint> points;
    std::size_t index = 0;
    while (!text.empty()) {
        const std::string item = next_item(text, ';');
        ++index;
        if (points.size() >= static_cast<std::size_t>(kMaxAddedPoints))
            return Status::error("more than " + std::to_string(kMaxAddedPoints) + " added points");
        AddedPoint p;
        const std::size_t c1 = item.find(','),
                          c2 = c1 == std::string::npos ? c1 : item.find(',', c1 + 1);
        double label = -1;
        if (c2 == std::string::npos || !parse_finite(item.substr(0, c1), p.x) ||
            !parse_finite(item.substr(c1 + 1, c2 - c1 - 1), p.y) ||
            !parse_finite(item.substr(c2 + 1), label) || (label != 0 && label != 1))
            return Status::error("added point " + std::to_string(index) + " '" + item +
                                 "' is not x,y,class with class 0 or 1");
        if (std::fabs(p.x) > 2 || std::fabs(p.y) > 2)
            return Status::error("added point " + std::to_string(index) + " '" + item +
                                 "' lies outside [-2, 2]^2");
        p.label = static_cast<int>(label);
        points.push_back(p);
    }
    return points;
}

std::string format_added_points(const std::vector<AddedPoint>& points) {
    std::string out;
    for (const AddedPoint& p : points)
        out += (out.empty() ? "" : ";") + shortest_repr(p.x) + "," + shortest_repr(p.y) + "," +
               std::to_string(p.label);
    return out;
}

Result<std::vector<int>> parse_index_list(std::string_view text) {
    std::vector<int> out;
    while (!text.empty()) {
        const std::string item = next_item(text, ',');
        double v = -1;
        if (!parse_finite(item, v) || v < 0 || v != std::floor(v) || v >= kMaxGeneratedPoints)
            return Status::error("'" + item + "' is not a point index from 0 to " +
                                 std::to_string(kMaxGeneratedPoints - 1));
        if (out.size() >= static_cast<std::size_t>(kMaxGeneratedPoints))
            return Status::error("too many removed points");
        out.push_back(static_cast<int>(v));
    }
    return out;
}

Result<DesignerLevels> parse_designer_levels(std::string_view text) {
    DesignerLevels out;
    const std::string all(text);
    for (const auto& [prefix, kind, lo, hi] :
         {std::tuple{"kmeans:", DesignerLevels::Kind::kmeans, 2, kMaxDesignerLevels},
          std::tuple{"uniform:", DesignerLevels::Kind::uniform, 1, 8}}) {
        if (all.rfind(prefix, 0) != 0) continue;
        double v = 0;
        const std::string n = all.substr(std::string_view(prefix).size());
        if (!parse_finite(n, v) || v != std::floor(v) || v < lo || v > hi)
            return Status::error("designer levels '" + all + "': " + prefix +
                                 " takes a whole number from " + std::to_string(lo) + " to " +
                                 std::to_string(hi));
        out.kind = kind;
        out.count = static_cast<int>(v);
        return out;
    }
    out.kind = DesignerLevels::Kind::list;
    std::size_t index = 0;
    while (!text.empty()) {
        const std::string item = next_item(text, ';');
        ++index;
        double v = 0;
        if (!parse_finite(item, v))
            return Status::error("designer levels: item " + std::to_string(index) + " '" + item +
                                 "' is not a finite number (use kmeans:K, uniform:B or v1;v2;...)");
        if (out.values.size() >= static_cast<std::size_t>(kMaxDesignerLevels))
            return Status::error("designer levels: more than " +
                                 std::to_string(kMaxDesignerLevels) + " levels");
        out.values.push_back(v == 0 ? 0.0 : v);
    }
    if (out.values.empty())
        return Status::error("designer levels: none given (use kmeans:K, uniform:B or v1;v2;...)");
    std::sort(out.values.begin(), out.values.end());
    out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
    return out;
}

std::string designer_levels_text(const std::vector<double>& levels) {
    std::string out;
    for (double v : levels) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.*g", kDesignerLevelDigits, v == 0 ? 0.0 : v);
        out += (out.empty() ? "" : ";") + shortest_repr(std::strtod(buf, nullptr));
    }
    return out;
}

bool hidden_is_cnn(std::string_view hidden) {
    for (std::size_t start = 0; start < hidden.size();) {
        const std::size_t dash = std::min(hidden.find('-', start), hidden.size());
        const char first = hidden[start];
        if (first == 'c' || first == 'p' || first == 'a' || first == 'g') return true;
        start = dash + 1;
    }
    return false;
}

std::string lab_model_spec(const std::string& hidden, const std::string& act, int features,
                           int classes, int image_side) {
    if (hidden.empty()) return "logreg";
    if (hidden_is_cnn(hidden)) {
        const std::string side = std::to_string(image_side);
        return "cnn:" + side + "x" + side + "x1-" + hidden + "-" + std::to_string(classes) +
               ":act=" + act;
    }
    return "mlp:" + std::to_string(features) + "-" + hidden + "-" + std::to_string(classes) +
           ":act=" + act;
}

Result<std::vector<int>> parse_hidden_widths(std::string_view text) {
    std::vector<int> widths;
    if (text.empty()) return widths;
    std::string_view rest = text;
    while (true) {
        const std::size_t dash = rest.find('-');
        const std::string item(rest.substr(0, dash));
        double v = 0;
        if (!parse_finite(item, v) || v != std::floor(v) || v < 1 || v > kMaxHiddenWidth)
            return Status::error("'" + std::string(text) + "': hidden width '" + item +
                                 "' must be a whole number from 1 to " +
                                 std::to_string(kMaxHiddenWidth));
        widths.push_back(static_cast<int>(v));
        if (widths.size() > static_cast<std::size_t>(kMaxHiddenLayers))
            return Status::error("'" + std::string(text) + "': at most " +
                                 std::to_string(kMaxHiddenLayers) + " hidden layers");
        if (dash == std::string_view::npos) break;
        rest = rest.substr(dash + 1);
    }
    return widths;
}

}  // namespace qlab
