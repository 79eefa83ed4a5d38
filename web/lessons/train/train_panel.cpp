// Train panel: an MLP or logistic regression trained as a core TrainJob by the lab's scheduler,
// with a format per tensor role (QAT), stochastic or nearest rounding of weight updates and the
// updates lost below half an ulp (Gupta et al.), curves, a confusion matrix, test digits or the
// decision boundary, post-training calibration beside QAT, and model JSON export/import.
// Sections: helpers; state; controls (run, data, model, roles, optimizer, calibration, model
// file); layout (controls beside views); metrics. The views are drawn by train_views.{hpp,cpp};
// the model, its data and its run belong to the shared model (lab/shared_model.hpp), the
// confusion matrix, the boundary and calibration to train_lesson.{hpp,cpp}. This file draws.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "lessons/model_panel.hpp"
#include "qlab/format.hpp"
#include "train_import.hpp"
#include "train_lesson.hpp"
#include "train_views.hpp"
#include "ui/download.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using widgets::error_text;
using widgets::recorded_button;
using widgets::section;

const char* const kDataSets[] = {"digits", "mnist", "fashion", "circle",
                                 "xor",    "gauss", "spiral",  "linear"};
constexpr int kDataSetCount = 8;
const char* const kDataHelp =
    "digits: sklearn's 1797 8x8 digits. mnist: 10,000 real 28x28 MNIST digits; fashion: "
    "Fashion-MNIST's 10,000 test images (both fetched when chosen). circle/xor/gauss/spiral: the "
    "TensorFlow Playground's 2-D sets (500 points, 10% noise); linear: a separable 2-D set. 20% "
    "of the rows are held out as the test set; features are scaled to [-1, 1] (an imported ONNX "
    "model: not rescaled unless 'inputs' says so). An imported model is offered the sets of its "
    "input size.";

struct RoleInfo {
    const char* key;
    const char* label;
    const char* help;
    const char* cite;
    const char* picks[4];  // quick picks; "" is float
};
const RoleInfo kRoles[] = {
    {"weights",
     "weights",
     "Format of the weights in the forward pass. Training keeps float master weights and passes "
     "the gradient straight through the rounding where the weight is inside the format's range "
     "(clipped STE): quantization-aware training.",
     "Lin et al. §5.3 (fine-tuning within the formats); Kundu et al. eq. 7 for ternary",
     {"", "fixed:w=8,f=6", "ternary", "float:e=4,m=3"}},
    {"activations",
     "activations",
     "Format of every hidden layer's output, rounded in the forward pass.",
     "Sakr et al. eq. 2 (the quantization noise model)",
     {"", "fixed:w=8,f=4", "fixed:w=4,f=2", "float:e=4,m=3"}},
    {"gradients",
     "gradients",
     "Format the weight gradients are rounded to before the optimizer sees them.",
     "not from the four papers",
     {"", "fixed:w=16,f=12", "float:e=5,m=2", "float:e=4,m=3"}},
    {"updates",
     "updates",
     "Format the weights are STORED in: every step computes w + dw and rounds it into this format. "
     "With nearest rounding an update smaller than half an ulp leaves w unchanged and is lost; "
     "stochastic rounding keeps it on average.",
     "Gupta et al. 2015 (stochastic rounding; as Sakr et al. §1.1 sums it up)",
     {"", "fixed:w=10,f=8", "fixed:w=16,f=14", "float:e=5,m=10"}},
    {"accumulator",
     "accumulator",
     "Format of each layer's sum W x + b before the activation (the final sum; a narrow "
     "accumulator saturates or drops small terms).",
     "Sakr et al. eq. 3 counts an exact sum: B_A + B_W + ceil(log2 D) - 1 bits",
     {"", "fixed:w=16,f=8", "fixed:w=12,f=6", "float:e=5,m=10"}},
};
constexpr int kRoleCount = 5;

const std::string& role_value(const qlab::LabState& s, int i) {
    const std::string* v[] = {&s.weights, &s.activations, &s.gradients, &s.updates, &s.accumulator};
    return *v[i];
}

bool contains(const std::vector<std::string>& keys, const char* k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
}

class TrainPanel : public ModelPanel {
  public:
    const char* key() const override { return "train"; }
    const char* title() const override { return "Train"; }
    const char* what_to_try() const override {
        return "Press Run (space). Then set updates to fixed:w=10,f=8 with sgd and compare nearest "
               "and stochastic rounding: how many updates are lost? Calibrate to compare PTQ with "
               "QAT.";
    }

    void update(App& app) override { lesson_.update(app.state(), app.model()); }
    std::vector<ScheduledJob> jobs() override {
        if (!lesson_.calibration_job()) return {};
        return {lesson_.calibration_scheduled("calibration")};
    }
    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(const App& app) const override;
    void toggle_run(App& app) override { toggle_training(app); }
    void on_state_changed(App& app, const std::vector<std::string>& keys) override;

  private:
    void draw_controls(App& app, const UiScale& ui);
    void draw_run_buttons(App& app, const UiScale& ui);
    void draw_data(App& app, const UiScale& ui);
    void draw_model(App& app, const UiScale& ui);
    void draw_rounding(App& app, const UiScale& ui);
    void draw_optimizer(App& app, const UiScale& ui);
    void draw_optimizer_combo(App& app, const UiScale& ui);
    void draw_decay(App& app, const UiScale& ui, const train::TrainSettingsText& text);
    void draw_dropout(App& app, const UiScale& ui);
    void draw_model_file(App& app, const UiScale& ui);
    void draw_role_editor(App& app, const UiScale& ui, int role);
    void draw_calibration(App& app, const UiScale& ui);
    void draw_qat_beside(App& app);

    train::Lesson lesson_;
    char role_buf_[kRoleCount][128] = {};
    std::string role_shown_[kRoleCount];
    std::string role_error_[kRoleCount];
    char hidden_buf_[64] = "";
    std::string hidden_shown_ = "\x01";
    std::string hidden_error_;
    float lr_draft_ = -1;
    float dropout_draft_ = -1;
    float decay_draft_ = -1;
    train::DigitsView digits_;  // the test digits
    train::BoundaryView boundary_;
};

// ---- state ----------------------------------------------------------------------------------

void TrainPanel::on_state_changed(App& /*app*/, const std::vector<std::string>& keys) {
    // The model's keys go to the shared model (lab/shared_model.hpp); calibration is this
    // lesson's own: a new method or width forgets the last result.
    if (contains(keys, "calib") || contains(keys, "cbits") || contains(keys, "per_channel") ||
        contains(keys, "asym"))
        lesson_.forget_ptq();
}

// ---- controls -------------------------------------------------------------------------------

void TrainPanel::draw_role_editor(App& app, const UiScale& ui, int i) {
    const RoleInfo& r = kRoles[i];
    const std::string& value = role_value(app.state(), i);
    ImGui::PushID(r.key);
    if (role_shown_[i] != value) {
        std::snprintf(role_buf_[i], sizeof role_buf_[i], "%s", value.c_str());
        role_shown_[i] = value;
        role_error_[i].clear();
    }
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(r.label);
    widgets::help_marker(r.help, r.cite);
    ImGui::SameLine(ui.px(112));
    {
        widgets::Lock lock(app, r.key);
        const float arrow = ImGui::GetFrameHeight();
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - arrow - ui.px(2));
        if (ImGui::InputTextWithHint("##spec", "float (empty)", role_buf_[i], sizeof role_buf_[i],
                                     ImGuiInputTextFlags_EnterReturnsTrue)) {
            qlab::Status st = app.set(r.key, role_buf_[i]);
            role_error_[i] = st.ok() ? "" : st.message();
            if (!st.ok()) std::snprintf(role_buf_[i], sizeof role_buf_[i], "%s", value.c_str());
        }
        ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.record_view(std::string("train_") + r.key + "_field", a.x, a.y, b.x - a.x, b.y - a.y,
                        ui.dpr);
        widgets::tooltip_on_hover(
            "Type a format spec and press Enter, or pick one from the list on the right.");
        // Quick picks in a drop-down, so the five roles take five lines.
        ImGui::SameLine(0, ui.px(2));
        const bool open = ImGui::BeginCombo(
            "##picks", "", ImGuiComboFlags_NoPreview | ImGuiComboFlags_PopupAlignLeft);
        a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.record_view(std::string("train_") + r.key + "_picks", a.x, a.y, b.x - a.x, b.y - a.y,
                        ui.dpr);
        if (open) {
            for (int p = 0; p < 4; ++p) {
                const char* spec = r.picks[p];
                if (ImGui::Selectable(*spec ? spec : "float (full precision)", value == spec))
                    app.set(r.key, spec);
                const ImVec2 pa = ImGui::GetItemRectMin(), pb = ImGui::GetItemRectMax();
                app.record_view(std::string("train_") + r.key + "_pick" + std::to_string(p), pa.x,
                                pa.y, pb.x - pa.x, pb.y - pa.y, ui.dpr);
            }
            ImGui::EndCombo();
        }
    }
    error_text(role_error_[i]);
    ImGui::PopID();
}

void TrainPanel::draw_calibration(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const char* methods[] = {"minmax", "percentile", "mse", "kl"};
    int m = 0;
    for (int i = 0; i < 4; ++i)
        if (s.calib == methods[i]) m = i;
    {
        widgets::Lock lock(app, "calib");
        ImGui::SetNextItemWidth(ui.px(120));
        if (ImGui::Combo("method", &m, methods, 4)) app.set("calib", methods[m]);
    }
    widgets::help_marker(
        "How the int format's scale is chosen from the trained weights and from activations on the "
        "training split: min-max covers every value; percentile clips outliers at 99.99%; MSE "
        "picks the clip with the least squared error; KL the one whose histogram diverges least "
        "(TensorRT's entropy calibration).",
        "not from the four papers: KL is TensorRT's entropy calibration");
    ImGui::SameLine();
    int bits = static_cast<int>(s.cbits);
    {
        widgets::Lock lock(app, "cbits");
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderInt("##bits", &bits, 2, 16, "%d bits"))
            app.set("cbits", std::to_string(bits));
    }
    bool per_channel = s.per_channel != 0, asym = s.asym != 0;
    {
        widgets::Lock lock(app, "per_channel");
        if (ImGui::Checkbox("per channel", &per_channel))
            app.set("per_channel", per_channel ? "1" : "0");
    }
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "asym");
        if (ImGui::Checkbox("asymmetric", &asym)) app.set("asym", asym ? "1" : "0");
    }
    if (recorded_button(app, ui, "Calibrate", "train_calibrate_button"))
        lesson_.calibrate(app.state(), app.model(), app);
    widgets::tooltip_on_hover(
        "Post-training quantization of the current float weights: no retraining.");
    const long long batches = app.model().batches_done();
    if (const train::PtqResult* p = lesson_.ptq()) {
        ImGui::SameLine();
        ImGui::Text("PTQ int%d: %.2f%%", p->bits, 100 * p->accuracy);
        if (p->at_batch != batches)
            ImGui::TextDisabled("(calibrated %lld batches ago)", batches - p->at_batch);
    }
    draw_qat_beside(app);
}

// QAT at the calibration's width: the run's own test accuracy when its weights are int/fixed of
// that width, or a button that sets such weights.
void TrainPanel::draw_qat_beside(App& app) {
    const qlab::LabState& s = app.state();
    const int bits = static_cast<int>(s.cbits);
    auto wf = s.weights.empty() ? qlab::Result<qlab::Format>(qlab::Status::error("float"))
                                : qlab::Format::parse(s.weights);
    const bool qat_same =
        wf && (wf->kind() == "fixed" || wf->kind() == "int") && wf->bits() == bits;
    if (qat_same && app.model().job()) {
        ImGui::Text("QAT (weights %s): %.2f%%", s.weights.c_str(),
                    100 * app.model().test_accuracy());
        return;
    }
    char spec[48];
    std::snprintf(spec, sizeof spec, "fixed:w=%d,f=%d", bits, std::max(0, bits - 2));
    widgets::Lock lock(app, "weights");
    if (widgets::small_button("set")) app.set("weights", spec);
    ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("QAT at %d bits: weights %s, then train", bits, spec);
    ImGui::PopStyleColor();
}

void TrainPanel::draw_controls(App& app, const UiScale& ui) {
    draw_run_buttons(app, ui);
    section("Data");
    draw_data(app, ui);
    section("Model");
    draw_model(app, ui);
    section("Formats per role");
    for (int i = 0; i < kRoleCount; ++i) draw_role_editor(app, ui, i);
    draw_rounding(app, ui);
    draw_optimizer(app, ui);
    draw_dropout(app, ui);
    section("Post-training calibration");
    draw_calibration(app, ui);
    section("Model file");
    draw_model_file(app, ui);
}

// Run / Step / Reset first: the things pressed most.
void TrainPanel::draw_run_buttons(App& app, const UiScale& ui) {
    SharedModel& m = app.model();
    const float bw = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
    const bool active = m.running() || m.waiting_for_data();
    if (recorded_button(app, ui, active ? "Pause" : "Run", "train_run_button", ImVec2(bw, 0)))
        toggle_run(app);
    widgets::tooltip_on_hover(
        "Space. Training runs inside each frame's time budget, so the page stays live.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Step", "train_step_button", ImVec2(bw, 0))) step(app, 1);
    widgets::tooltip_on_hover("S: one mini-batch.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Reset", "train_reset_button", ImVec2(bw, 0)))
        m.reset(app.state());
    widgets::tooltip_on_hover(m.import() ? "The imported file's weights again."
                                         : "Fresh weights from the seed.");
    // Wrapped: "running in a worker: epoch 4 of 30, batch 124 of 250, 5937 samples/s" is wider
    // than the controls column.
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", m.status_text().c_str());
    ImGui::PopStyleColor();
}

void TrainPanel::draw_data(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    SharedModel& m = app.model();
    const LabData& data = m.data();
    int d = 0;
    for (int i = 0; i < kDataSetCount; ++i)
        if (s.data == kDataSets[i]) d = i;
    std::string preview = data.uploaded() ? "uploaded: " + data.uploaded_name() : kDataSets[d];
    // An imported model is offered the sets of its input size (uploads always).
    const std::vector<std::string> fits =
        m.import() ? data_sets_for_inputs(m.import()->model.inputs()) : std::vector<std::string>{};
    {
        widgets::Lock lock(app, "data");
        ImGui::SetNextItemWidth(ui.px(150));
        if (ImGui::BeginCombo("##data", preview.c_str())) {
            for (int i = 0; i < kDataSetCount; ++i)
                if (m.import() && std::find(fits.begin(), fits.end(), kDataSets[i]) == fits.end()) {
                    continue;
                } else if (ImGui::Selectable(kDataSets[i], !data.uploaded() && i == d)) {
                    m.forget_upload();  // and a failed download, so choosing it again retries
                    if (s.data == kDataSets[i])
                        m.sync(s);
                    else
                        app.set("data", kDataSets[i]);
                }
            ImGui::EndCombo();
        }
    }
    widgets::help_marker(kDataHelp);
    // "seed", a field for five digits and its - + buttons: beside the data set where they fit,
    // else on a line of their own (a phone's column).
    const ImGuiStyle& style = ImGui::GetStyle();
    const float seed_field = ImGui::CalcTextSize("00000").x + style.FramePadding.x * 2 +
                             (ImGui::GetFrameHeight() + style.ItemInnerSpacing.x) * 2;
    widgets::same_line_if_fits(ImGui::CalcTextSize("seed").x + style.ItemSpacing.x + seed_field);
    ImGui::TextUnformatted("seed");
    ImGui::SameLine();
    int seed = static_cast<int>(s.seed);
    {
        widgets::Lock lock(app, "seed");
        ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x, 2 * seed_field));
        if (ImGui::InputInt("##seed", &seed, 1, 1, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("seed", std::to_string(seed));
    }
    widgets::tooltip_on_hover(
        "Seed: the split, initial weights, batch order and stochastic rounding.");
    train::draw_preprocessing(app, ui);
    const qlab::Split& sp = data.split();
    if (data.ready())
        ImGui::TextDisabled("%zu train / %zu test rows, %d features, %d classes", sp.train.size(),
                            sp.test.size(), sp.train.features, sp.train.classes);
    else if (data.loading())
        ImGui::TextDisabled("loading %s...", data.loading_name().c_str());
    else
        error_text(data.failure(s));
}

void TrainPanel::draw_model(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    train::draw_import_status(app, ui);
    if (hidden_shown_ != s.hidden) {
        std::snprintf(hidden_buf_, sizeof hidden_buf_, "%s", s.hidden.c_str());
        hidden_shown_ = s.hidden;
        hidden_error_.clear();
    }
    {
        widgets::Lock lock(app, "hidden");
        ImGui::SetNextItemWidth(ui.px(120));
        if (ImGui::InputTextWithHint("hidden", "none", hidden_buf_, sizeof hidden_buf_,
                                     ImGuiInputTextFlags_EnterReturnsTrue)) {
            qlab::Status st = app.set("hidden", hidden_buf_);
            hidden_error_ = st.ok() ? "" : st.message();
        }
    }
    widgets::help_marker(
        "Hidden layer widths, e.g. 128 or 64-32 (Enter applies). Empty: logistic regression.");
    ImGui::SameLine();
    const char* acts[] = {"relu", "hardsigmoid", "tanh"};
    int a = s.act == "hardsigmoid" ? 1 : s.act == "tanh" ? 2 : 0;
    {
        widgets::Lock lock(app, "act");
        ImGui::SetNextItemWidth(-1);
        if (ImGui::Combo("##act", &a, acts, 3)) app.set("act", acts[a]);
    }
    widgets::tooltip_on_hover(
        "Hidden activation. hardsigmoid is ReLU clipped to [0, 2] (Sakr §4.1): bounded activations "
        "need fewer integer bits.");
    error_text(hidden_error_);
    const SharedModel& m = app.model();
    if (m.has_model() && !m.imported()) {
        long long params = 0;
        for (const auto& l : m.model().layers)
            params += static_cast<long long>(l.weight.size() + l.bias.size());
        ImGui::TextDisabled("%s, %lld parameters", m.spec(s).c_str(), params);
    }
}

void TrainPanel::draw_rounding(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("update rounding");
    widgets::help_marker(
        "How w + dw is rounded into the updates format. Nearest loses every update below half an "
        "ulp; stochastic rounds up with probability (x - lo) / ulp, so small updates survive on "
        "average. Switch it while training runs.",
        "Gupta et al. 2015 (as Sakr et al. §1.1 sums it up)");
    ImGui::SameLine();
    widgets::Lock lock(app, "urounding");
    const bool nearest = s.urounding == "rne", stochastic = s.urounding == "stochastic";
    if (ImGui::RadioButton("nearest", nearest)) app.set("urounding", "rne");
    widgets::record_item(app, ui, "train_urounding_nearest");
    widgets::same_line_if_fits(widgets::radio_width("stochastic"));
    if (ImGui::RadioButton("stochastic", stochastic)) app.set("urounding", "stochastic");
    widgets::record_item(app, ui, "train_urounding_stochastic");
    if (!nearest && !stochastic) ImGui::TextDisabled("(now %s)", s.urounding.c_str());
}

void TrainPanel::draw_optimizer(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    // The section's title says whether lr, batch and decay are still the data set's defaults
    // (core: qlab::lab_train_settings, the MNIST and Fashion-MNIST defaults or the lab's preset);
    // each value says so beside it, and its tooltip gives the preset and why it differs.
    const train::TrainSettingsText text = train::train_settings_text(s);
    const qlab::TrainPreset& p = qlab::kLabTrainPreset;
    ImGui::Spacing();
    ImGui::TextDisabled("%s", text.title.c_str());
    widgets::record_item(app, ui, "train_preset");
    widgets::tooltip_on_hover(
        widgets::format("Empty lr, batch and decay keys follow the data set: MNIST and "
                        "Fashion-MNIST train with lr 0.003 decayed x0.7 per epoch, batch 32; the "
                        "others with the %s preset: %s, lr %g, batch %d, %d epochs; %s.",
                        p.name, qlab::optimizer_name(p.optimizer), p.learning_rate, p.batch,
                        p.epochs, p.why)
            .c_str());
    ImGui::Separator();
    draw_optimizer_combo(app, ui);
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "lr");
        float lr = lr_draft_ > 0 ? lr_draft_ : static_cast<float>(s.lr);
        ImGui::SetNextItemWidth(-1);
        const std::string shown = lr_draft_ > 0 ? "lr %.4g" : text.lr;  // no '%' in the words
        if (ImGui::SliderFloat("##lr", &lr, 1e-4f, 1.0f, shown.c_str(),
                               ImGuiSliderFlags_Logarithmic))
            lr_draft_ = lr;
        widgets::record_item(app, ui, "train_lr");
        // Apply on release: every new learning rate restarts the run.
        if (ImGui::IsItemDeactivatedAfterEdit() && lr_draft_ > 0) {
            app.set("lr", qlab::shortest_repr(static_cast<double>(static_cast<float>(lr_draft_))));
            lr_draft_ = -1;
        }
        if (!ImGui::IsItemActive() && !ImGui::IsItemDeactivatedAfterEdit()) lr_draft_ = -1;
    }
    int batch = static_cast<int>(s.batch), epochs = static_cast<int>(s.epochs);
    {
        widgets::Lock lock(app, "batch");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::InputInt("##batch", &batch, 8, 32, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("batch", std::to_string(std::max(1, batch)));
        ImGui::SameLine();
        ImGui::TextUnformatted(text.batch_label.c_str());
    }
    draw_decay(app, ui, text);
    {
        widgets::Lock lock(app, "epochs");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::InputInt("epochs", &epochs, 1, 5, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("epochs", std::to_string(std::max(1, epochs)));
    }
    if (!text.all_default) {  // back to the data set's lr, batch and decay (empty keys)
        ImGui::SameLine();
        if (ImGui::SmallButton("use the defaults"))
            app.set_values({{"lr", ""}, {"batch", ""}, {"decay", ""}});
        widgets::record_item(app, ui, "train_defaults");
    }
}

void TrainPanel::draw_optimizer_combo(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const auto& optimizers = qlab::all_optimizers();
    int o = 0;
    for (std::size_t i = 0; i < optimizers.size(); ++i)
        if (s.optimizer == qlab::optimizer_name(optimizers[i])) o = static_cast<int>(i);
    widgets::Lock lock(app, "optimizer");
    ImGui::SetNextItemWidth(ui.px(110));
    if (ImGui::BeginCombo("##optimizer", s.optimizer.c_str())) {
        for (std::size_t i = 0; i < optimizers.size(); ++i)
            if (ImGui::Selectable(qlab::optimizer_name(optimizers[i]), static_cast<int>(i) == o))
                app.set("optimizer", qlab::optimizer_name(optimizers[i]));
        ImGui::EndCombo();
    }
}

// The learning rate's factor per epoch (the decay key), applied on release as the rate itself.
void TrainPanel::draw_decay(App& app, const UiScale& ui, const train::TrainSettingsText& text) {
    widgets::Lock lock(app, "decay");
    float decay = decay_draft_ > 0 ? decay_draft_ : static_cast<float>(app.state().decay);
    ImGui::SetNextItemWidth(-1);
    const std::string shown = decay_draft_ > 0 ? "lr x%.2f per epoch" : text.decay;
    if (ImGui::SliderFloat("##decay", &decay, 0.5f, 1.0f, shown.c_str())) decay_draft_ = decay;
    widgets::record_item(app, ui, "train_decay");
    widgets::tooltip_on_hover(
        "After every epoch the learning rate is multiplied by this (1: constant). A decaying step "
        "settles where a constant one keeps jumping around the minimum.");
    if (ImGui::IsItemDeactivatedAfterEdit() && decay_draft_ > 0) {
        app.set("decay",
                qlab::shortest_repr(std::round(static_cast<double>(decay_draft_) * 100) / 100));
        decay_draft_ = -1;
    }
    if (!ImGui::IsItemActive() && !ImGui::IsItemDeactivatedAfterEdit()) decay_draft_ = -1;
}

void TrainPanel::draw_dropout(App& app, const UiScale& ui) {
    widgets::Lock lock(app, "dropout");
    float dropout = dropout_draft_ >= 0 ? dropout_draft_ : static_cast<float>(app.state().dropout);
    ImGui::SetNextItemWidth(ui.px(216));
    if (ImGui::SliderFloat("##dropout", &dropout, 0.0f, 0.9f, "dropout %.2f"))
        dropout_draft_ = dropout;
    widgets::record_item(app, ui, "train_dropout");
    widgets::tooltip_on_hover(
        "Each hidden unit is dropped with this probability in every training batch (and the "
        "rest scaled up); never at evaluation. A little helps a wide net on MNIST.");
    // Apply on release, as the learning rate: a new value restarts the run.
    if (ImGui::IsItemDeactivatedAfterEdit() && dropout_draft_ >= 0) {
        app.set("dropout",
                qlab::shortest_repr(std::round(static_cast<double>(dropout_draft_) * 100) / 100));
        dropout_draft_ = -1;
    }
    if (!ImGui::IsItemActive() && !ImGui::IsItemDeactivatedAfterEdit()) dropout_draft_ = -1;
}

void TrainPanel::draw_model_file(App& app, const UiScale& ui) {
    const SharedModel& m = app.model();
    if (recorded_button(app, ui, "Export JSON", "train_export_button") && m.has_model())
        widgets::download_text_file(
            "quantlab-" + (m.data().uploaded() ? std::string("uploaded") : app.state().data) +
                "-model.json",
            qlab::model_to_json(m.model()));
    widgets::tooltip_on_hover(
        "The trained float weights in the documented quantlab-model JSON schema (qlab eval --model "
        "reads it too).");
    ImGui::SameLine();
    train::draw_onnx_export(app, ui);
    ImGui::SameLine();
    if (recorded_button(app, ui, "Load file...", "train_load_button")) widgets::pick_file();
    widgets::tooltip_on_hover(
        "An ONNX model (any framework's export), a model JSON, or CSV / libsvm data (label in the "
        "last column). Or drop a file on the page.");
}

// ---- layout ---------------------------------------------------------------------------------

void TrainPanel::draw(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(340), avail * 0.45f);
    widgets::begin_controls(app, ui, "train_controls", left);  // it scrolls
    draw_controls(app, ui);
    widgets::end_controls(app, ui, "train_controls");
    widgets::begin_views(app, ui, "train_views");
    train::draw_views(app, {app.model(), lesson_}, digits_, boundary_, ui);
    widgets::end_views(app, ui, "train_views");
}

// ---- metrics --------------------------------------------------------------------------------

// Bits per stored weight or activation (float32 when the role is empty), for challenge goals
// such as weight_bits<=5.
nlohmann::json role_bits(const std::string& spec) {
    if (spec.empty()) return 32;
    auto f = qlab::Format::parse(spec);
    return f ? nlohmann::json(f->bits()) : nlohmann::json(nullptr);
}

// The run: its state, counts, per-epoch history and the loss and accuracy it reached.
void add_run_metrics(nlohmann::json& j, const SharedModel& m) {
    using nlohmann::json;
    const qlab::TrainJob* job = m.job();
    j["running"] = m.running();
    j["waiting_for_data"] = m.waiting_for_data();
    j["state"] = !job             ? "idle"
                 : job->running() ? (m.running() ? "running" : "paused")
                                  : qlab::job_state_name(job->state());
    j["epoch"] = job ? job->epoch() : 0;
    j["epochs_done"] = job ? job->report().history.size() : 0;
    j["batches"] = m.batches_done();
    j["samples"] = m.samples_done();
    json history = json::array();
    double loss = NAN, train_acc = NAN;
    if (job) {
        for (const auto& e : job->report().history)
            history.push_back({{"epoch", e.epoch},
                               {"loss", e.loss},
                               {"train_accuracy", e.train_accuracy},
                               {"test_accuracy", e.test_accuracy}});
        if (!job->report().history.empty()) {
            loss = job->report().history.back().loss;
            train_acc = job->report().history.back().train_accuracy;
        }
        if (job->running() && job->batches_done() > 0 &&
            job->report().history.size() < static_cast<std::size_t>(job->epoch()))
            loss = job->epoch_loss();
    }
    j["loss"] = finite_or_null(loss);
    j["train_accuracy"] = finite_or_null(train_acc);
    j["test_accuracy"] = m.test_accuracy() >= 0 ? json(m.test_accuracy()) : json(nullptr);
    j["history"] = history;
    j["updates"] = job ? job->report().updates : 0;
    j["lost_updates"] = job ? job->report().lost_updates : 0;
    // The rounding the run applies now (a run in the worker: as the worker last said).
    j["run_update_rounding"] =
        job ? json(qlab::rounding_name(job->update_rounding())) : json(nullptr);
    j["samples_per_second"] = m.samples_per_second();
}

// An imported model: its file, input, notes, the float accuracy shown first, the preprocessing.
void add_import_metrics(nlohmann::json& j, const SharedModel& m) {
    const qlab::ImportedModel* im = m.import();
    j["model_imported"] = m.imported();
    j["preprocessing"] = m.data().ready() ? m.data().preprocessing() : "";
    j["float_accuracy"] =
        m.float_accuracy() >= 0 ? nlohmann::json(m.float_accuracy()) : nlohmann::json(nullptr);
    if (!im) return;
    j["import"] = {{"name", m.import_name()},
                   {"url", m.model_url()},
                   {"input_shape", im->input_shape},
                   {"layers", im->model.layers.size()},
                   {"output", qlab::output_meaning_name(im->output)},
                   {"quantized", im->quantized()},
                   {"notes", im->notes},
                   {"problem", m.import_problem()},
                   {"import_ms", m.import_ms()},
                   {"data_offered", data_sets_for_inputs(im->model.inputs())}};
}

nlohmann::json TrainPanel::metrics(const App& app) const {
    using nlohmann::json;
    const qlab::LabState& s = app.state();
    const SharedModel& m = app.model();
    const LabData& data = m.data();
    const qlab::Split& sp = data.split();
    json j;
    j["data"] = data.uploaded() ? data.label() : s.data;
    j["dataset_loading"] = data.loading();
    j["rows_train"] = data.ready() ? sp.train.size() : 0;
    j["rows_test"] = data.ready() ? sp.test.size() : 0;
    j["features"] = data.ready() ? sp.train.features : 0;
    j["classes"] = data.ready() ? sp.train.classes : 0;
    j["model"] = data.ready() ? m.spec(s) : "";
    j["model_from_file"] = m.origin() == ModelOrigin::file;
    j["status"] = m.status_text();
    add_import_metrics(j, m);
    j["roles"] = {{"weights", s.weights},
                  {"activations", s.activations},
                  {"gradients", s.gradients},
                  {"updates", s.updates},
                  {"accumulator", s.accumulator}};
    j["urounding"] = s.urounding;
    j["dropout"] = s.dropout;
    j["weight_bits"] = role_bits(s.weights);
    j["activation_bits"] = role_bits(s.activations);
    add_run_metrics(j, m);
    if (const train::PtqResult* p = lesson_.ptq())
        j["ptq"] = {{"method", p->method},     {"bits", p->bits},
                    {"accuracy", p->accuracy}, {"per_channel", p->per_channel},
                    {"asym", p->asym},         {"in_worker", p->in_worker}};
    const int k = data.ready() ? sp.train.classes : 0;
    json cm = json::array();
    const auto& c = lesson_.confusion();
    if (c.size() == static_cast<std::size_t>(k * k))
        for (int r = 0; r < k; ++r)
            cm.push_back(std::vector<long long>(c.begin() + r * k, c.begin() + (r + 1) * k));
    j["confusion"] = cm;
    const train::View view{m, lesson_};
    j["misclassified_shown"] =
        data.image_side() > 0 ? train::misclassified_shown(view, digits_) : 0;
    j["digits_shown"] = data.image_side() > 0 ? digits_.shown_rows.size() : 0;
    j["boundary_cells"] = lesson_.boundary().size();
    return j;
}

}  // namespace

QLAB_REGISTER_PANEL(TrainPanel)

}  // namespace quantlab
