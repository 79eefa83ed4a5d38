// Train panel: an MLP or logistic regression trained as a core TrainJob inside the frame budget,
// with a format per tensor role (QAT, Sakr §3), stochastic or nearest rounding of weight updates
// and the updates lost below half an ulp (Gupta et al.), curves, a confusion matrix, test digits
// or the decision boundary, post-training calibration beside QAT, and model JSON export/import.
// Sections: helpers; state; controls (roles, calibration, optimizer, model file); views (curves,
// confusion, digits with widgets::DigitAtlas, boundary, layout); metrics. Data, the job,
// predictions and calibration live in train_session.{hpp,cpp}; this file only draws.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../app.hpp"
#include "../ui/digit_atlas.hpp"
#include "../ui/download.hpp"
#include "../ui/gl_heatmap.hpp"
#include "../ui/widgets.hpp"
#include "imgui.h"
#include "model_lesson.hpp"
#include "qlab/format.hpp"

namespace quantlab {
namespace {

using widgets::error_text;
using widgets::recorded_button;
using widgets::section;

const char* const kDataSets[] = {"digits", "mnist", "circle", "xor", "gauss", "spiral", "linear"};
const char* const kDataHelp =
    "digits: sklearn's 1797 8x8 digits. mnist: 10,000 real 28x28 MNIST digits (fetched when chosen). "
    "circle/xor/gauss/spiral: the TensorFlow Playground's 2-D sets (500 points, 10% noise); linear: "
    "a separable 2-D set. 20% of the rows are held out as the test set; features are scaled to [-1, 1].";

struct RoleInfo {
    const char* key;
    const char* label;
    const char* help;
    const char* cite;
    const char* picks[4];  // quick picks; "" is float
};
const RoleInfo kRoles[] = {
    {"weights", "weights",
     "Format of the weights in the forward pass. Training keeps float master weights and passes the gradient "
     "straight through the rounding where the weight is inside the format's range (clipped STE): "
     "quantization-aware training.",
     "Sakr et al. §3; Kundu et al. eq. 7 for ternary", {"", "fixed:w=8,f=6", "ternary", "float:e=4,m=3"}},
    {"activations", "activations", "Format of every hidden layer's output, rounded in the forward pass.",
     "Sakr et al. eq. 1 (activation quantization noise)", {"", "fixed:w=8,f=4", "fixed:w=4,f=2", "float:e=4,m=3"}},
    {"gradients", "gradients", "Format the weight gradients are rounded to before the optimizer sees them.",
     "Sakr et al. §3 (gradient precision)", {"", "fixed:w=16,f=12", "float:e=5,m=2", "float:e=4,m=3"}},
    {"updates", "updates",
     "Format the weights are STORED in: every step computes w + dw and rounds it into this format. With nearest "
     "rounding an update smaller than half an ulp leaves w unchanged and is lost; stochastic rounding keeps it "
     "on average.",
     "Gupta et al. §3, eq. (stochastic rounding)", {"", "fixed:w=10,f=8", "fixed:w=16,f=14", "float:e=5,m=10"}},
    {"accumulator", "accumulator",
     "Format of each layer's sum W x + b before the activation (the final sum; a narrow accumulator saturates "
     "or drops small terms).",
     "Sakr et al. §3 (accumulator precision)", {"", "fixed:w=16,f=8", "fixed:w=12,f=6", "float:e=5,m=10"}},
};
constexpr int kRoleCount = 5;

const std::string& role_value(const qlab::LabState& s, int i) {
    const std::string* v[] = {&s.weights, &s.activations, &s.gradients, &s.updates, &s.accumulator};
    return *v[i];
}

bool contains(const std::vector<std::string>& keys, const char* k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
}

class TrainPanel : public ModelLesson {
public:
    const char* key() const override { return "train"; }
    const char* title() const override { return "Train"; }
    const char* what_to_try() const override {
        return "Press Run (space). Then set updates to fixed:w=10,f=8 with sgd and compare nearest and "
               "stochastic rounding: how many updates are lost? Calibrate to compare PTQ with QAT.";
    }

    void draw(App& app, const UiScale& ui) override;
    nlohmann::json metrics(App& app) override;
    void toggle_run(App& app) override { toggle_training(app); }
    void on_state_changed(App& app, const std::vector<std::string>& keys) override;
    std::vector<PanelJob> jobs() override { return training_jobs(); }

private:
    void draw_controls(App& app, const UiScale& ui);
    void draw_role_editor(App& app, const UiScale& ui, int role);
    void draw_calibration(App& app, const UiScale& ui);
    void draw_views(App& app, const UiScale& ui);
    void draw_loss_plot(App& app, const UiScale& ui, ImVec2 size);
    void draw_accuracy_plot(App& app, const UiScale& ui, ImVec2 size);
    void draw_lost_plot(App& app, const UiScale& ui, ImVec2 size);
    void draw_confusion(App& app, const UiScale& ui, float width);
    void draw_digits(App& app, const UiScale& ui, float width);
    void draw_boundary(App& app, const UiScale& ui, float width);
    std::string status_line() const;
    int misclassified_shown() const;

    bool open_ = false;
    char role_buf_[kRoleCount][128] = {};
    std::string role_shown_[kRoleCount];
    std::string role_error_[kRoleCount];
    char hidden_buf_[64] = "";
    std::string hidden_shown_ = "\x01";
    std::string hidden_error_;
    float lr_draft_ = -1;
    float dropout_draft_ = -1;
    bool mistakes_first_ = false;
    widgets::DigitAtlas atlas_;  // the test digits
    std::vector<std::size_t> shown_rows_;
    widgets::GlHeatmap heatmap_;
    const float* heatmap_for_ = nullptr;
    long long heatmap_version_ = -1;
    int heatmap_px_ = 0;
};

// ---- state ----------------------------------------------------------------------------------

void TrainPanel::on_state_changed(App& app, const std::vector<std::string>& keys) {
    // Data is fetched only once the lesson is open, so other lessons never download it.
    // The analysis lessons study this model too, so opening one of them loads the data as well.
    open_ = lesson_uses_model(app.state().panel);
    if (contains(keys, "data")) s_.forget_upload();
    if (contains(keys, "data") || contains(keys, "seed")) {
        if (open_) s_.sync_data(app);
        return;  // a new split rebuilt the model already
    }
    static const char* const restart_keys[] = {"hidden", "act", "weights", "activations", "gradients",
                                               "updates", "accumulator", "optimizer", "lr", "batch", "dropout"};
    bool restart = false;
    for (const char* k : restart_keys) restart = restart || contains(keys, k);
    if (restart && s_.has_data()) s_.restart(app);
    if (contains(keys, "urounding")) s_.set_update_rounding(app.state().urounding);  // live, mid-run
    if (contains(keys, "epochs")) s_.set_epochs(static_cast<int>(app.state().epochs));
    if (contains(keys, "calib") || contains(keys, "cbits") || contains(keys, "per_channel") || contains(keys, "asym"))
        s_.forget_ptq();
}

std::string TrainPanel::status_line() const {
    char buf[256];
    const qlab::TrainJob* job = s_.job();
    if (!job) {
        std::snprintf(buf, sizeof buf, "%s", s_.model_from_file() ? "model loaded from a file (Run fine-tunes it)"
                                                                  : "ready: press Run or Step");
        return buf;
    }
    const long long per = std::max(1LL, job->batches_per_epoch());
    const long long in_epoch = job->batches_done() - per * (job->epoch() - 1);
    const char* state = job->state() == qlab::JobState::finished    ? "finished"
                        : job->state() == qlab::JobState::cancelled ? "cancelled"
                        : job->state() == qlab::JobState::failed    ? "failed"
                        : s_.running()                              ? "running"
                                                                    : "paused";
    std::snprintf(buf, sizeof buf, "%s: epoch %d of %d, batch %lld of %lld, %.0f samples/s", state, job->epoch(),
                  job->epochs(), std::min(in_epoch, per), per, s_.samples_per_second());
    return buf;
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
        app.record_view(std::string("train_") + r.key + "_field", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
        widgets::tooltip_on_hover("Type a format spec and press Enter, or pick one from the list on the right.");
        // Quick picks in a drop-down, so the five roles take five lines.
        ImGui::SameLine(0, ui.px(2));
        const bool open = ImGui::BeginCombo("##picks", "", ImGuiComboFlags_NoPreview | ImGuiComboFlags_PopupAlignLeft);
        a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.record_view(std::string("train_") + r.key + "_picks", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
        if (open) {
            for (int p = 0; p < 4; ++p) {
                const char* spec = r.picks[p];
                if (ImGui::Selectable(*spec ? spec : "float (full precision)", value == spec)) app.set(r.key, spec);
                const ImVec2 pa = ImGui::GetItemRectMin(), pb = ImGui::GetItemRectMax();
                app.record_view(std::string("train_") + r.key + "_pick" + std::to_string(p), pa.x, pa.y,
                                pb.x - pa.x, pb.y - pa.y, ui.dpr);
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
    widgets::help_marker("How the int format's scale is chosen from the trained weights and from activations on "
                         "the training split: min-max covers every value; percentile clips outliers at 99.99%; "
                         "MSE picks the clip with the least squared error; KL the one whose histogram diverges "
                         "least (TensorRT's entropy calibration).",
                         "Sakr et al. §4 (PTQ baseline)");
    ImGui::SameLine();
    int bits = static_cast<int>(s.cbits);
    {
        widgets::Lock lock(app, "cbits");
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderInt("##bits", &bits, 2, 16, "%d bits")) app.set("cbits", std::to_string(bits));
    }
    bool per_channel = s.per_channel != 0, asym = s.asym != 0;
    {
        widgets::Lock lock(app, "per_channel");
        if (ImGui::Checkbox("per channel", &per_channel)) app.set("per_channel", per_channel ? "1" : "0");
    }
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "asym");
        if (ImGui::Checkbox("asymmetric", &asym)) app.set("asym", asym ? "1" : "0");
    }
    if (recorded_button(app, ui, "Calibrate", "train_calibrate_button")) s_.calibrate(app);
    widgets::tooltip_on_hover("Post-training quantization of the current float weights: no retraining.");
    if (const PtqResult* p = s_.ptq()) {
        ImGui::SameLine();
        ImGui::Text("PTQ int%d: %.2f%%", p->bits, 100 * p->accuracy);
        if (p->at_batch != s_.batches_done()) ImGui::TextDisabled("(calibrated %lld batches ago)", s_.batches_done() - p->at_batch);
    }
    // QAT at the same bits: the run's own test accuracy when its weights are int/fixed of that width.
    auto wf = s.weights.empty() ? qlab::Result<qlab::Format>(qlab::Status::error("float"))
                                : qlab::Format::parse(s.weights);
    const bool qat_same = wf && (wf->kind() == "fixed" || wf->kind() == "int") && wf->bits() == bits;
    if (qat_same && s_.job()) {
        ImGui::Text("QAT (weights %s): %.2f%%", s.weights.c_str(), 100 * s_.test_accuracy_now());
    } else {
        char spec[48];
        std::snprintf(spec, sizeof spec, "fixed:w=%d,f=%d", bits, std::max(0, bits - 2));
        widgets::Lock lock(app, "weights");
        if (ImGui::SmallButton("set")) app.set("weights", spec);
        ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("QAT at %d bits: weights %s, then train", bits, spec);
        ImGui::PopStyleColor();
    }
}

void TrainPanel::draw_controls(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();

    // Run / Step / Reset first: the things pressed most.
    const float bw = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
    if (recorded_button(app, ui, s_.running() ? "Pause" : "Run", "train_run_button", ImVec2(bw, 0)))
        toggle_run(app);
    widgets::tooltip_on_hover("Space. Training runs inside each frame's time budget, so the page stays live.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Step", "train_step_button", ImVec2(bw, 0))) step(app, 1);
    widgets::tooltip_on_hover("S: one mini-batch.");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Reset", "train_reset_button", ImVec2(bw, 0))) s_.reset(app);
    widgets::tooltip_on_hover("Fresh weights from the seed.");
    ImGui::TextDisabled("%s", status_line().c_str());

    section("Data");
    int d = 0;
    for (int i = 0; i < 7; ++i)
        if (s.data == kDataSets[i]) d = i;
    std::string preview = s_.uploaded() ? "uploaded: " + s_.uploaded_name() : kDataSets[d];
    {
        widgets::Lock lock(app, "data");
        ImGui::SetNextItemWidth(ui.px(150));
        if (ImGui::BeginCombo("##data", preview.c_str())) {
            for (int i = 0; i < 7; ++i)
                if (ImGui::Selectable(kDataSets[i], !s_.uploaded() && i == d)) {
                    s_.forget_upload();
                    if (s.data == kDataSets[i]) s_.sync_data(app);
                    else app.set("data", kDataSets[i]);
                }
            ImGui::EndCombo();
        }
    }
    widgets::help_marker(kDataHelp);
    ImGui::SameLine();
    ImGui::TextUnformatted("seed");
    ImGui::SameLine();
    int seed = static_cast<int>(s.seed);
    {
        widgets::Lock lock(app, "seed");
        ImGui::SetNextItemWidth(-1);
        if (ImGui::InputInt("##seed", &seed, 1, 1, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("seed", std::to_string(seed));
    }
    widgets::tooltip_on_hover("Seed: the split, initial weights, batch order and stochastic rounding.");
    if (s_.has_data())
        ImGui::TextDisabled("%zu train / %zu test rows, %d features, %d classes", s_.split().train.size(),
                            s_.split().test.size(), s_.split().train.features, s_.split().train.classes);
    else if (s_.loading())
        ImGui::TextDisabled("loading %s...", s_.loading_name().c_str());

    section("Model");
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
    widgets::help_marker("Hidden layer widths, e.g. 128 or 64-32 (Enter applies). Empty: logistic regression.");
    ImGui::SameLine();
    const char* acts[] = {"relu", "hardsigmoid", "tanh"};
    int a = s.act == "hardsigmoid" ? 1 : s.act == "tanh" ? 2 : 0;
    {
        widgets::Lock lock(app, "act");
        ImGui::SetNextItemWidth(-1);
        if (ImGui::Combo("##act", &a, acts, 3)) app.set("act", acts[a]);
    }
    widgets::tooltip_on_hover("Hidden activation. hardsigmoid is ReLU clipped to [0, 2] (Sakr §4.1): bounded "
                              "activations need fewer integer bits.");
    error_text(hidden_error_);
    if (s_.has_model()) {
        long long params = 0;
        for (const auto& l : s_.model().layers) params += static_cast<long long>(l.weight.size() + l.bias.size());
        ImGui::TextDisabled("%s, %lld parameters", s_.model_spec(s).c_str(), params);
    }

    section("Formats per role");
    for (int i = 0; i < kRoleCount; ++i) draw_role_editor(app, ui, i);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("update rounding");
    widgets::help_marker("How w + dw is rounded into the updates format. Nearest loses every update below half "
                         "an ulp; stochastic rounds up with probability (x - lo) / ulp, so small updates survive "
                         "on average. Switch it while training runs.",
                         "Gupta et al. §3, eq. 4");
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "urounding");
        const bool nearest = s.urounding == "rne", stochastic = s.urounding == "stochastic";
        if (ImGui::RadioButton("nearest", nearest)) app.set("urounding", "rne");
        ImVec2 ra = ImGui::GetItemRectMin(), rb = ImGui::GetItemRectMax();
        app.record_view("train_urounding_nearest", ra.x, ra.y, rb.x - ra.x, rb.y - ra.y, ui.dpr);
        ImGui::SameLine();
        if (ImGui::RadioButton("stochastic", stochastic)) app.set("urounding", "stochastic");
        ra = ImGui::GetItemRectMin(), rb = ImGui::GetItemRectMax();
        app.record_view("train_urounding_stochastic", ra.x, ra.y, rb.x - ra.x, rb.y - ra.y, ui.dpr);
        if (!nearest && !stochastic) ImGui::TextDisabled("(now %s)", s.urounding.c_str());
    }

    section("Optimizer");
    const char* opts[] = {"sgd", "momentum", "adam"};
    int o = s.optimizer == "sgd" ? 0 : s.optimizer == "momentum" ? 1 : 2;
    {
        widgets::Lock lock(app, "optimizer");
        ImGui::SetNextItemWidth(ui.px(110));
        if (ImGui::Combo("##optimizer", &o, opts, 3)) app.set("optimizer", opts[o]);
    }
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "lr");
        float lr = lr_draft_ > 0 ? lr_draft_ : static_cast<float>(s.lr);
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderFloat("##lr", &lr, 1e-4f, 1.0f, "lr %.4g", ImGuiSliderFlags_Logarithmic)) lr_draft_ = lr;
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
        if (ImGui::InputInt("batch", &batch, 8, 32, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("batch", std::to_string(std::max(1, batch)));
    }
    ImGui::SameLine();
    {
        widgets::Lock lock(app, "epochs");
        ImGui::SetNextItemWidth(ui.px(100));
        if (ImGui::InputInt("epochs", &epochs, 1, 5, ImGuiInputTextFlags_EnterReturnsTrue))
            app.set("epochs", std::to_string(std::max(1, epochs)));
    }

    {
        widgets::Lock lock(app, "dropout");
        float dropout = dropout_draft_ >= 0 ? dropout_draft_ : static_cast<float>(s.dropout);
        ImGui::SetNextItemWidth(ui.px(216));
        if (ImGui::SliderFloat("##dropout", &dropout, 0.0f, 0.9f, "dropout %.2f")) dropout_draft_ = dropout;
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.record_view("train_dropout", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
        widgets::tooltip_on_hover("Each hidden unit is dropped with this probability in every training batch (and "
                                  "the rest scaled up); never at evaluation. A little helps a wide net on MNIST.");
        // Apply on release, as the learning rate: a new value restarts the run.
        if (ImGui::IsItemDeactivatedAfterEdit() && dropout_draft_ >= 0) {
            app.set("dropout", qlab::shortest_repr(std::round(static_cast<double>(dropout_draft_) * 100) / 100));
            dropout_draft_ = -1;
        }
        if (!ImGui::IsItemActive() && !ImGui::IsItemDeactivatedAfterEdit()) dropout_draft_ = -1;
    }

    section("Post-training calibration");
    draw_calibration(app, ui);

    section("Model file");
    if (recorded_button(app, ui, "Export JSON", "train_export_button") && s_.has_model())
        widgets::download_text_file("quantlab-" + (s_.uploaded() ? std::string("uploaded") : s.data) + "-model.json",
                                    qlab::model_to_json(s_.model()));
    widgets::tooltip_on_hover("The trained float weights in the documented quantlab-model JSON schema "
                              "(qlab eval --model reads it too).");
    ImGui::SameLine();
    if (recorded_button(app, ui, "Load file...", "train_load_button")) widgets::pick_file();
    widgets::tooltip_on_hover("A model JSON, or CSV / libsvm data (label in the last column). Or drop a file "
                              "on the page.");
}

// ---- views ----------------------------------------------------------------------------------

// Up to `points` averages of consecutive values, so long runs draw as fast as short ones.
void bucket(const std::vector<double>& xs, const std::vector<double>& ys, std::size_t points, std::vector<double>& ox,
            std::vector<double>& oy) {
    ox.clear(), oy.clear();
    const std::size_t n = std::min(xs.size(), ys.size());
    const std::size_t per = std::max<std::size_t>(1, (n + points - 1) / std::max<std::size_t>(points, 1));
    for (std::size_t i = 0; i < n; i += per) {
        double sx = 0, sy = 0;
        std::size_t k = 0;
        for (; k < per && i + k < n; ++k) sx += xs[i + k], sy += ys[i + k];
        ox.push_back(sx / static_cast<double>(k)), oy.push_back(sy / static_cast<double>(k));
    }
}

void TrainPanel::draw_loss_plot(App& app, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = s_.job();
    std::vector<double> xs, ys;
    double top = 0.5;
    if (job) {
        const double per = static_cast<double>(std::max(1LL, job->batches_per_epoch()));
        for (const auto& b : job->batches()) {
            xs.push_back(static_cast<double>(b.step) / per);
            ys.push_back(b.loss);
        }
    }
    std::vector<double> bx, by;
    bucket(xs, ys, static_cast<std::size_t>(size.x / ui.px(3)), bx, by);
    for (double v : by)
        if (std::isfinite(v)) top = std::max(top, v);
    const double x1 = std::max(1.0, xs.empty() ? 1.0 : xs.back());
    widgets::Plot p = widgets::begin_plot("##loss", size, 0, x1, 0, top * 1.05, "epoch", "loss", ui);
    widgets::plot_line(p, bx, by, widgets::kAccent, ui.px(1.5f));
    if (job) {
        std::vector<double> ex, ey;
        for (const auto& e : job->report().history) ex.push_back(e.epoch), ey.push_back(e.loss);
        widgets::plot_line(p, ex, ey, widgets::kAccent2, ui.px(2));
    }
    widgets::plot_legend(p, 1, widgets::kAccent, "batch loss");
    widgets::plot_legend(p, 2, widgets::kAccent2, "epoch mean");
    widgets::end_plot(p);
    (void)app;
}

void TrainPanel::draw_accuracy_plot(App& app, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = s_.job();
    std::vector<double> ex, tr, te;
    double lo = 1;
    if (job)
        for (const auto& e : job->report().history) {
            ex.push_back(e.epoch), tr.push_back(e.train_accuracy), te.push_back(e.test_accuracy);
            lo = std::min({lo, e.train_accuracy, e.test_accuracy});
        }
    if (s_.test_accuracy_now() >= 0) lo = std::min(lo, s_.test_accuracy_now());
    const double y0 = std::max(0.0, std::floor((lo - 0.02) * 10) / 10);
    const double x1 = std::max<double>(1, job ? job->epochs() : app.state().epochs);
    widgets::Plot p = widgets::begin_plot("##acc", size, 0, x1, std::min(y0, 0.9), 1.0, "epoch", "accuracy", ui);
    const ImU32 train_c = IM_COL32(120, 120, 130, 255), test_c = widgets::kAccent;
    widgets::plot_line(p, ex, tr, train_c, ui.px(1.5f));
    widgets::plot_line(p, ex, te, test_c, ui.px(2));
    // Where the test accuracy is now (between epochs too), as a dot.
    if (s_.test_accuracy_now() >= 0) {
        const double per = job ? static_cast<double>(std::max(1LL, job->batches_per_epoch())) : 1;
        const double x = static_cast<double>(s_.batches_done()) / per;
        p.dl->AddCircleFilled(p.to_screen(x, s_.test_accuracy_now()), ui.px(4), test_c);
    }
    char label[64];
    std::snprintf(label, sizeof label, "test %.2f%%", 100 * std::max(0.0, s_.test_accuracy_now()));
    widgets::plot_legend(p, 1, test_c, label);
    widgets::plot_legend(p, 2, train_c, "train");
    widgets::end_plot(p);
}

void TrainPanel::draw_lost_plot(App& app, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = s_.job();
    std::vector<double> xs, ys;
    double top = 1;
    if (job) {
        const double per = static_cast<double>(std::max(1LL, job->batches_per_epoch()));
        for (const auto& b : job->batches()) {
            xs.push_back(static_cast<double>(b.step) / per);
            ys.push_back(static_cast<double>(b.lost_updates));
        }
        if (!ys.empty()) top = std::max(top, ys.back());
    }
    std::vector<double> bx, by;
    bucket(xs, ys, static_cast<std::size_t>(size.x / ui.px(3)), bx, by);
    const double x1 = std::max(1.0, xs.empty() ? 1.0 : xs.back());
    widgets::Plot p = widgets::begin_plot("##lost", size, 0, x1, 0, top * 1.05, "epoch", "lost updates", ui, true);
    widgets::plot_line(p, bx, by, IM_COL32(200, 50, 50, 255), ui.px(2));
    char label[96];
    const long long updates = job ? job->report().updates : 0, lost = job ? job->report().lost_updates : 0;
    if (app.state().updates.empty())
        std::snprintf(label, sizeof label, "updates are float: none lost");
    else
        std::snprintf(label, sizeof label, "%lld of %lld lost (%.1f%%)", lost, updates,
                      updates ? 100.0 * static_cast<double>(lost) / static_cast<double>(updates) : 0.0);
    widgets::plot_legend(p, 1, IM_COL32(200, 50, 50, 255), label);
    widgets::end_plot(p);
}

void TrainPanel::draw_confusion(App& app, const UiScale& ui, float width) {
    const int k = s_.has_data() ? s_.split().train.classes : 0;
    const auto& cm = s_.confusion();
    if (k == 0 || cm.size() != static_cast<std::size_t>(k * k)) return;
    ImGui::TextUnformatted("Confusion on the test set");
    widgets::help_marker("Rows: true class; columns: predicted. Colour: the share of the row, so the diagonal is "
                         "each class's recall.");
    std::vector<std::string> rows, cols, text;
    std::vector<double> values;
    const auto& names = s_.split().train.class_names;
    for (int c = 0; c < k; ++c) {
        std::string name = c < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(c)] : std::to_string(c);
        if (name.size() > 6) name.resize(6);
        rows.push_back(name), cols.push_back(name);
    }
    for (int r = 0; r < k; ++r) {
        long long total = 0;
        for (int c = 0; c < k; ++c) total += cm[static_cast<std::size_t>(r * k + c)];
        for (int c = 0; c < k; ++c) {
            const long long v = cm[static_cast<std::size_t>(r * k + c)];
            values.push_back(total ? static_cast<double>(v) / static_cast<double>(total) : NAN);
            text.push_back(v ? std::to_string(v) : "");
        }
    }
    const float cell = std::clamp((width - ui.px(50)) / static_cast<float>(k), ui.px(22), ui.px(k <= 2 ? 70 : 36));
    widgets::heatmap_table("##confusion", rows, cols, values, text, -1, -1, cell, ui, nullptr, nullptr);
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view("train_confusion", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
}

int TrainPanel::misclassified_shown() const {
    const auto& pred = s_.test_predictions();
    int n = 0;
    for (std::size_t r : shown_rows_)
        if (r < pred.size() && pred[r] != s_.split().test.y[r]) ++n;
    return n;
}

void TrainPanel::draw_digits(App& app, const UiScale& ui, float width) {
    const int side = s_.image_side();
    const qlab::Dataset& raw = s_.raw_test();
    const auto& pred = s_.test_predictions();
    constexpr int kCols = 8, kRows = 4;
    ImGui::TextUnformatted("Test digits");
    widgets::help_marker("The first 32 digits of the test set (or the mistakes first): a red frame and the "
                         "predicted class mark each one the model gets wrong.");
    ImGui::SameLine();
    ImGui::Checkbox("mistakes first", &mistakes_first_);
    // Which rows to show: the first 32, or the misclassified ones first.
    std::vector<std::size_t> rows;
    if (mistakes_first_ && pred.size() == raw.size())
        for (std::size_t i = 0; i < raw.size() && rows.size() < kCols * kRows; ++i)
            if (pred[i] != raw.y[i]) rows.push_back(i);
    for (std::size_t i = 0; i < raw.size() && rows.size() < kCols * kRows; ++i)
        if (std::find(rows.begin(), rows.end(), i) == rows.end()) rows.push_back(i);
    atlas_.update(raw, rows, side, kCols, s_.pixel_max());
    shown_rows_ = rows;
    const float gap = ui.px(4), label_h = ImGui::GetFontSize();
    const float cell = std::clamp((width - gap * (kCols - 1)) / kCols, ui.px(24), ui.px(64));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float total_w = kCols * cell + (kCols - 1) * gap, total_h = kRows * (cell + label_h + gap);
    ImGui::InvisibleButton("##digits", ImVec2(total_w, total_h));
    app.record_view("train_digits", p0.x, p0.y, total_w, total_h, ui.dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const int c = static_cast<int>(k) % kCols, r = static_cast<int>(k) / kCols;
        const ImVec2 a(p0.x + c * (cell + gap), p0.y + r * (cell + label_h + gap));
        const ImVec2 b(a.x + cell, a.y + cell);
        atlas_.draw(dl, k, a, b);
        const std::size_t row = rows[k];
        const int truth = raw.y[row];
        const bool known = row < pred.size();
        const bool wrong = known && pred[row] != truth;
        dl->AddRect(a, b, wrong ? IM_COL32(220, 30, 30, 255) : IM_COL32(170, 170, 180, 255), 0, 0,
                    wrong ? ui.px(3) : ui.px(1));
        char label[32];
        if (wrong) std::snprintf(label, sizeof label, "%d -> %d", truth, pred[row]);
        else std::snprintf(label, sizeof label, "%d", truth);
        dl->AddText(ImVec2(a.x, b.y), wrong ? IM_COL32(220, 30, 30, 255) : ImGui::GetColorU32(ImGuiCol_TextDisabled),
                    label);
    }
}

void TrainPanel::draw_boundary(App& app, const UiScale& ui, float width) {
    const auto& values = s_.boundary();
    if (values.empty()) return;
    ImGui::TextUnformatted("Decision boundary");
    widgets::help_marker("p(blue) - p(orange) over the input plane, drawn by a GLSL pass as on the TensorFlow "
                         "Playground. Points: training (white ring) and test (dark ring).");
    const float size = std::clamp(width, ui.px(160), ui.px(340));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const int px = static_cast<int>(size);
    if (widgets::GlHeatmap::available()) {
        // Rendered again only when the predictions or the size changed.
        if (heatmap_for_ != values.data() || heatmap_version_ != s_.batches_done() || heatmap_px_ != px) {
            heatmap_.render(values, TrainSession::kGrid, TrainSession::kGrid, px, px);
            heatmap_for_ = values.data(), heatmap_version_ = s_.batches_done(), heatmap_px_ = px;
        }
        ImGui::Image(heatmap_.texture(), ImVec2(size, size), ImVec2(0, 1), ImVec2(1, 0));
    } else {
        ImGui::InvisibleButton("##boundary", ImVec2(size, size));
        widgets::draw_heatmap_cpu(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + size, p0.y + size), values,
                                  TrainSession::kGrid, TrainSession::kGrid);
    }
    app.record_view("train_boundary", p0.x, p0.y, size, size, ui.dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(p0, ImVec2(p0.x + size, p0.y + size), true);
    auto to_screen = [&](const float* x) {
        return ImVec2(p0.x + (x[0] + 1) / 2 * size, p0.y + (1 - (x[1] + 1) / 2) * size);
    };
    const float r = ui.px(3.5f);
    for (int set = 0; set < 2; ++set) {
        const qlab::Dataset& d = set == 0 ? s_.split().train : s_.split().test;
        const ImU32 ring = set == 0 ? IM_COL32(255, 255, 255, 255) : IM_COL32(20, 20, 30, 255);
        for (std::size_t i = 0; i < d.size(); ++i) {
            const ImVec2 c = to_screen(d.row(i));
            // Few segments: 500 points stay cheap to draw every frame.
            dl->AddCircleFilled(c, r, widgets::class_color(d.y[i]), 8);
            dl->AddCircle(c, r, ring, 8, ui.px(1));
        }
    }
    dl->PopClipRect();
}

void TrainPanel::draw_views(App& app, const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    // Three curves in a row when there is room, else two, else one.
    const int per_row = avail > ui.px(780) ? 3 : avail > ui.px(400) ? 2 : 1;
    const float plot_w = (avail - gap * static_cast<float>(per_row - 1)) / static_cast<float>(per_row);
    const ImVec2 plot_size(plot_w, std::max(ui.px(170), std::min(ui.px(210), plot_w * 0.7f)));
    int placed = 0;
    auto next = [&]() {
        if (++placed % per_row != 0) ImGui::SameLine();
    };
    draw_loss_plot(app, ui, plot_size);
    next();
    draw_accuracy_plot(app, ui, plot_size);
    next();
    draw_lost_plot(app, ui, plot_size);
    if (placed % per_row != 0) ImGui::NewLine();

    if (!s_.has_data()) {
        if (s_.loading()) ImGui::TextWrapped("Loading %s...", s_.loading_name().c_str());
        return;
    }
    const bool images = s_.image_side() > 0;
    const bool side_by_side = avail > ui.px(700);
    const float left_w = side_by_side ? avail * (images ? 0.5f : 0.45f) : avail;
    ImGui::BeginGroup();
    if (images) draw_digits(app, ui, left_w - gap);
    else draw_boundary(app, ui, left_w - gap);
    ImGui::EndGroup();
    if (side_by_side) ImGui::SameLine(0, gap * 3);
    ImGui::BeginGroup();
    draw_confusion(app, ui, side_by_side ? avail - left_w - gap * 3 : avail);
    ImGui::EndGroup();
}

void TrainPanel::draw(App& app, const UiScale& ui) {
    open_ = true;
    s_.sync_data(app);
    s_.tick(app);
    const float avail = ImGui::GetContentRegionAvail().x;
    const float left = std::min(ui.px(340), avail * 0.45f);
    widgets::begin_recorded_child(app, ui, "train_controls", ImVec2(left, 0));  // it scrolls
    draw_controls(app, ui);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("train_views", ImVec2(0, 0), false);
    draw_views(app, ui);
    ImGui::EndChild();
}

// ---- metrics --------------------------------------------------------------------------------

nlohmann::json TrainPanel::metrics(App& app) {
    using nlohmann::json;
    // Jobs also run between frames: bring predictions up to date with a run that just ended.
    s_.tick(app);
    const qlab::LabState& s = app.state();
    json j;
    j["data"] = s_.uploaded() ? "uploaded:" + s_.uploaded_name() : s.data;
    j["dataset_loading"] = s_.loading();
    j["rows_train"] = s_.has_data() ? s_.split().train.size() : 0;
    j["rows_test"] = s_.has_data() ? s_.split().test.size() : 0;
    j["features"] = s_.has_data() ? s_.split().train.features : 0;
    j["classes"] = s_.has_data() ? s_.split().train.classes : 0;
    j["model"] = s_.has_data() ? s_.model_spec(s) : "";
    j["model_from_file"] = s_.model_from_file();
    j["roles"] = {{"weights", s.weights}, {"activations", s.activations}, {"gradients", s.gradients},
                  {"updates", s.updates}, {"accumulator", s.accumulator}};
    j["urounding"] = s.urounding;
    j["dropout"] = s.dropout;
    // Bits per stored weight and activation (float32 when the role is empty), for challenge goals
    // such as weight_bits<=5.
    const auto role_bits = [](const std::string& spec) -> json {
        if (spec.empty()) return 32;
        auto f = qlab::Format::parse(spec);
        return f ? json(f->bits()) : json(nullptr);
    };
    j["weight_bits"] = role_bits(s.weights);
    j["activation_bits"] = role_bits(s.activations);
    const qlab::TrainJob* job = s_.job();
    j["running"] = s_.running();
    j["state"] = !job ? "idle"
                 : job->state() == qlab::JobState::finished  ? "finished"
                 : job->state() == qlab::JobState::cancelled ? "cancelled"
                 : job->state() == qlab::JobState::failed    ? "failed"
                 : s_.running()                              ? "running"
                                                             : "paused";
    j["epoch"] = job ? job->epoch() : 0;
    j["epochs_done"] = job ? job->report().history.size() : 0;
    j["batches"] = s_.batches_done();
    j["samples"] = s_.samples_done();
    json history = json::array();
    double loss = NAN, train_acc = NAN;
    if (job) {
        for (const auto& e : job->report().history)
            history.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                               {"test_accuracy", e.test_accuracy}});
        if (!job->report().history.empty()) {
            loss = job->report().history.back().loss;
            train_acc = job->report().history.back().train_accuracy;
        }
        if (job->running() && job->batches_done() > 0 && job->report().history.size() < static_cast<std::size_t>(job->epoch()))
            loss = job->epoch_loss();
    }
    j["loss"] = std::isfinite(loss) ? json(loss) : json(nullptr);
    j["train_accuracy"] = std::isfinite(train_acc) ? json(train_acc) : json(nullptr);
    j["test_accuracy"] = s_.test_accuracy_now() >= 0 ? json(s_.test_accuracy_now()) : json(nullptr);
    j["history"] = history;
    j["updates"] = job ? job->report().updates : 0;
    j["lost_updates"] = job ? job->report().lost_updates : 0;
    j["samples_per_second"] = s_.samples_per_second();
    if (const PtqResult* p = s_.ptq())
        j["ptq"] = {{"method", p->method}, {"bits", p->bits}, {"accuracy", p->accuracy},
                    {"per_channel", p->per_channel}, {"asym", p->asym}};
    const int k = s_.has_data() ? s_.split().train.classes : 0;
    json cm = json::array();
    const auto& c = s_.confusion();
    if (c.size() == static_cast<std::size_t>(k * k))
        for (int r = 0; r < k; ++r)
            cm.push_back(std::vector<long long>(c.begin() + r * k, c.begin() + (r + 1) * k));
    j["confusion"] = cm;
    j["misclassified_shown"] = s_.image_side() > 0 ? misclassified_shown() : 0;
    j["digits_shown"] = s_.image_side() > 0 ? shown_rows_.size() : 0;
    j["boundary_cells"] = s_.boundary().size();
    return j;
}

}  // namespace

QLAB_REGISTER_PANEL(TrainPanel)

}  // namespace quantlab
