// Perceptron panel: Cherkhev's quantized perceptron and Frank-Wolfe (§3-4) on a 2-D set, with the
// atoms A x A drawn over the data (his Fig. 1), the decision boundary, mistakes against the bound
// R^2/(gamma - delta)^2 of his Theorem, sink atoms, and a range x points accuracy sweep (Tables
// 2-4). Sections: 1. helpers  2. the panel: state, metrics  3. layout  4. controls and facts
// 5. the data view (atoms, points, r(w), mouse) and boundary. The mistakes plot and the accuracy
// sweep are drawn by perceptron_plots.cpp; data, jobs and the sweep live in
// perceptron_lesson.{hpp,cpp}.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "perceptron_lesson.hpp"
#include "perceptron_plots.hpp"
#include "ui/gl_heatmap.hpp"
#include "ui/theme.hpp"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using perceptron::fmt;
using perceptron::Lesson;
using qlab::shortest_repr;

constexpr int kHeatCells = 96;  // the GPU pass's values grid per side
constexpr int kCpuHeatCells =
    48;  // the CPU fallback's (every cell is a rectangle in the draw list)
constexpr int kMaxAxisAtoms = 48;  // lattice dots per axis drawn, so A x A stays within a draw list
const char* const kSets[] = {"linear", "synth01", "synth02", "circle", "xor", "gauss", "spiral"};
constexpr int kSetCount = 7;
const ImU32 kAtomDot = IM_COL32(40, 40, 55, 150);
const ImU32 kSinkColor = IM_COL32(200, 20, 60, 255);
const ImU32 kWeightColor = IM_COL32(20, 20, 30, 255);

// ---- 1. helpers ----

// Atoms of one axis inside [lo, hi], at least min_gap apart and at most kMaxAxisAtoms of them;
// `thinned` says some were skipped (dense floats near 0, fine lattices on a small screen).
std::vector<double> axis_atoms_once(const qlab::Format& f, double lo, double hi, double min_gap,
                                    bool& thinned, bool& capped) {
    std::vector<double> axis;
    thinned = capped = false;
    double a = f.quantize_ref(lo, qlab::Rounding::up);
    if (a < lo) a = f.next_up(lo);
    for (double last = -INFINITY; std::isfinite(a) && a <= hi;) {
        if (a - last >= min_gap)
            axis.push_back(a), last = a;
        else
            thinned = true;
        double next = f.next_up(a);
        if (next - a < min_gap) {  // skip ahead through a dense run
            const double jump = f.quantize_ref(a + min_gap, qlab::Rounding::up);
            if (jump > next) next = jump, thinned = true;
        }
        if (!(next > a) || static_cast<int>(axis.size()) >= kMaxAxisAtoms) {
            capped = std::isfinite(next) && next <= hi;
            thinned = thinned || capped;
            break;
        }
        a = next;
    }
    return axis;
}

// Widens the gap until the whole range fits in kMaxAxisAtoms dots, so thinning is even.
std::vector<double> axis_atoms(const qlab::Format& f, double lo, double hi, double min_gap,
                               bool& thinned) {
    bool capped = false;
    std::vector<double> axis;
    for (int tries = 0; tries < 12; ++tries, min_gap *= 2) {
        axis = axis_atoms_once(f, lo, hi, min_gap, thinned, capped);
        if (!capped) break;
    }
    return axis;
}

class PerceptronPanel final : public Panel {
  public:
    const char* key() const override { return "perceptron"; }
    const char* title() const override { return "Perceptron"; }
    const char* what_to_try() const override {
        return "Learn on the atoms: Step (S) or Run (Space), then try 4 points per axis and watch "
               "updates stall in sinks.";
    }

    void on_state_changed(App& app, const std::vector<std::string>& keys) override {
        lesson_.on_state_changed(keys);
        // Build now when the lesson is open (so metrics right after setState see the new jobs);
        // otherwise when it is first drawn.
        if (app.state().panel == key()) update(app);
    }
    void update(App& app) override {
        // The heatmap on a substitute (sdata) needs its source's rows, fetched beside the model.
        const std::string source = perceptron::substitute_source(app.state().sdata);
        const qlab::Dataset* full = source.empty() ? nullptr : app.model().fetch_dataset(source);
        lesson_.analyses = app.analysis_runner();
        report(app, lesson_.ensure(app.state(), full));
    }

    std::vector<ScheduledJob> jobs() override {
        std::vector<ScheduledJob> out;
        if (lesson_.running()) out.push_back({"training", lesson_.run.get()});
        if (lesson_.sweep) out.push_back(lesson_.sweep->scheduled("accuracy sweep"));
        return out;
    }

    int step(App& app, int n) override {
        update(app);
        return lesson_.step(n);
    }

    void toggle_run(App& app) override { report(app, lesson_.toggle_run(app.state())); }

    // ---- 2. metrics ----
    nlohmann::json metrics(const App& app) const override {
        const qlab::LabState& s = app.state();
        nlohmann::json m;
        m["set"] = s.set;
        m["points"] = lesson_.train.size();
        m["generated"] = lesson_.generated.size();
        m["added"] = lesson_.added.size();
        m["removed"] = lesson_.removed.size();
        m["atoms"] = s.atoms;
        m["atoms_canonical"] = lesson_.format ? lesson_.format->to_string() : "";
        m["algo"] = s.algo;
        m["view_half"] = lesson_.view_half;
        m["heatmap_gpu_renders"] = heatmap_.renders();
        m["heatmap_gpu"] = gpu_drawn_;
        m["training_error"] = lesson_.training_error;
        if (lesson_.trainable()) {
            const qlab::QuantizedLinearJob& job = lesson_.run->inner();
            const qlab::QuantizedLinearResult& r = lesson_.result();
            m["updates"] = lesson_.run->visited();
            m["mistakes"] = job.mistakes();
            m["stalled"] = job.stalled_updates();
            m["sinks"] = job.sinks().size();
            m["gamma"] = r.margin;
            m["delta"] = r.delta;
            m["radius"] = r.radius;
            m["bound"] = std::isfinite(r.mistake_bound) ? nlohmann::json(r.mistake_bound)
                                                        : nlohmann::json(nullptr);
            m["bound_safe"] = std::isfinite(r.mistake_bound_safe)
                                  ? nlohmann::json(r.mistake_bound_safe)
                                  : nlohmann::json(nullptr);
            m["start_norm"] = r.start_norm;
            m["train_accuracy"] = r.train_accuracy;
            m["converged"] = lesson_.converged();
            m["finished"] = !lesson_.run->running();
            m["epoch"] = job.epoch();
            m["weights"] = job.weights();
        } else {
            for (const char* k : {"updates", "mistakes", "stalled", "sinks", "epoch"}) m[k] = 0;
            m["gamma"] = m["delta"] = m["radius"] = m["bound"] = m["bound_safe"] = nullptr;
            m["start_norm"] = nullptr;
            m["train_accuracy"] = 0;
            m["converged"] = false;
            m["finished"] = true;
            m["weights"] = {0, 0};
        }
        m["running"] = lesson_.running();
        m["sweep"] = sweep_metrics();
        return m;
    }

    // The heatmap's cells and, for one of Cherkhev's tables, his cells beside ours (as
    // qlab sweep --table --json gives them: "-" where there is no such format, null for n/a).
    nlohmann::json sweep_metrics() const {
        nlohmann::json sweep;
        sweep["grid"] = lesson_.sweep_grid;
        sweep["data"] = lesson_.sweep_data;
        sweep["waiting"] = lesson_.sweep_waiting;
        sweep["error"] = lesson_.sweep_error;
        sweep["done"] = lesson_.sweep ? lesson_.sweep->cells_done() : 0;
        sweep["in_worker"] = lesson_.sweep && lesson_.sweep->in_worker();
        sweep["total"] = lesson_.sweep ? lesson_.sweep->cells().size() : 0;
        sweep["protocol"] = qlab::sweep_protocol_name(lesson_.sweep_protocol.protocol);
        sweep["epochs"] = lesson_.sweep ? lesson_.sweep->epochs() : 0;
        sweep["scored_on"] = lesson_.sweep && lesson_.sweep->scores_test() ? "test" : "train";
        sweep["train_size"] = lesson_.sweep ? lesson_.sweep->train_size() : 0;
        sweep["test_size"] =
            lesson_.sweep && lesson_.sweep->scores_test() ? lesson_.sweep->test_size() : 0;
        sweep["table"] = lesson_.sweep_table ? lesson_.sweep_table->id : "";
        if (lesson_.sweep && lesson_.sweep_table) {
            nlohmann::json rows = nlohmann::json::array();
            for (const perceptron::PaperRow& row :
                 perceptron::paper_beside(*lesson_.sweep, *lesson_.sweep_table)) {
                nlohmann::json paper = nlohmann::json::array(), ours = nlohmann::json::array();
                for (const perceptron::PaperCell& c : row.cells) {
                    paper.push_back(std::isnan(c.paper) ? nlohmann::json("-")
                                                        : nlohmann::json(c.paper));
                    ours.push_back(c.ours_na            ? nlohmann::json(nullptr)
                                   : c.ours_dash        ? nlohmann::json("-")
                                   : std::isnan(c.ours) ? nlohmann::json(nullptr)
                                                        : nlohmann::json(c.ours));
                }
                rows.push_back({{"row", row.label}, {"paper", paper}, {"ours", ours}});
            }
            sweep["paper"] = {{"table", lesson_.sweep_table->id},
                              {"dataset", lesson_.sweep_table->dataset},
                              {"columns", lesson_.sweep_table->columns},
                              {"rows", rows}};
        }
        nlohmann::json cells = nlohmann::json::array();
        if (lesson_.sweep) {
            const auto& grid = lesson_.sweep->grid();
            const std::size_t cols = grid.columns();
            for (std::size_t i = 0; i < lesson_.sweep->cells().size(); ++i) {
                const qlab::SweepCell& c = lesson_.sweep->cells()[i];
                nlohmann::json cell;
                cell["spec"] = c.spec;
                cell["row"] = i / cols;
                cell["col"] = i % cols;
                cell["done"] = c.done;
                cell["possible"] = c.possible;
                const bool ok = c.done && c.possible && c.error.empty();
                cell["train_accuracy"] =
                    ok ? nlohmann::json(c.result.train_accuracy) : nlohmann::json(nullptr);
                cell["accuracy"] =
                    ok ? nlohmann::json(lesson_.sweep->score(c)) : nlohmann::json(nullptr);
                if (i < cell_rects_.size()) cell["rect"] = cell_rects_[i];
                cells.push_back(cell);
            }
        }
        sweep["cells"] = cells;
        return sweep;
    }

    // ---- 3. layout ----
    void draw(App& app, const UiScale& ui) override {
        const float avail_w = ImGui::GetContentRegionAvail().x;
        const float controls_w =
            widgets::begin_controls(app, ui, "controls", std::min(340 * ui.dpr, avail_w * 0.42f));
        ImGui::PushItemWidth(controls_w * 0.52f);
        draw_controls(app, ui);
        ImGui::PopItemWidth();
        ImGui::Separator();
        draw_facts(app);
        widgets::end_controls(app, ui, "controls");
        widgets::begin_views(app, ui, "lesson");
        draw_lesson(app, ui);
        widgets::end_views(app, ui, "lesson");
    }

  private:
    Lesson lesson_;
    int click_class_ = 1;
    widgets::GlHeatmap heatmap_;
    std::string heatmap_key_;
    std::vector<float> heat_values_;
    bool gpu_drawn_ = false;
    char atoms_buf_[256] = "";
    std::string atoms_shown_;
    std::string atoms_error_;
    std::vector<std::vector<float>> cell_rects_;  // sweep cells on screen, CSS px [x, y, w, h]

    static void report(App& app, const std::vector<std::string>& problems) {
        for (const std::string& p : problems) app.report("Perceptron: " + p, MessageLevel::warning);
    }

    // ---- 4. controls and facts ----
    void draw_controls(App& app, const UiScale& ui) {
        draw_data_controls(app);
        ImGui::Spacing();
        draw_atoms_controls(app);
        ImGui::Spacing();
        draw_algorithm_controls(app, ui);
    }

    // The set, its size, margin or noise, the seed, and what a click on the data does.
    void draw_data_controls(App& app) {
        const qlab::LabState& s = app.state();
        ImGui::TextUnformatted("Data");
        int set_index = 0;
        for (int i = 0; i < kSetCount; ++i)
            if (s.set == kSets[i]) set_index = i;
        {
            widgets::Lock lock(app, "set");
            if (ImGui::Combo("set", &set_index, kSets, kSetCount)) app.set("set", kSets[set_index]);
        }
        widgets::help_marker(
            "linear: separable through the origin with a margin. synth01/synth02: Cherkhev's Table "
            "1 sets (magnitudes 0.9-6.9 and 0.01-2.7). circle/xor/gauss/spiral: the TF "
            "Playground's, "
            "shown at 1/5 scale. The perceptron has no bias, so its boundary passes through 0.",
            "Cherkhev §4, Table 1");
        const bool fixed_size = s.set == "synth01" || s.set == "synth02";
        if (!fixed_size) {
            int n = static_cast<int>(s.n);
            widgets::Lock lock(app, "n");
            if (ImGui::SliderInt("points n", &n, 0, 1000)) app.set("n", std::to_string(n));
        }
        if (s.set == "linear") {
            float margin = static_cast<float>(s.margin);
            widgets::Lock lock(app, "margin");
            if (ImGui::SliderFloat("margin", &margin, 0.0f, 0.5f, "%.2f"))
                app.set("margin", shortest_repr(std::round(margin * 100) / 100));
            widgets::help_marker(
                "No generated point lies closer than this to the separating line; "
                "the margin gamma of the stored (quantized) points can be smaller.");
        } else if (!fixed_size) {
            float noise = static_cast<float>(s.noise);
            widgets::Lock lock(app, "noise");
            if (ImGui::SliderFloat("noise", &noise, 0.0f, 0.5f, "%.2f"))
                app.set("noise", shortest_repr(std::round(noise * 100) / 100));
        }
        {
            int seed = static_cast<int>(s.seed);
            widgets::Lock lock(app, "seed");
            if (ImGui::InputInt("seed", &seed) && seed >= 0) app.set("seed", std::to_string(seed));
        }
        ImGui::TextUnformatted("Click adds");
        ImGui::SameLine();
        ImGui::RadioButton("class 0", &click_class_, 0);
        ImGui::SameLine();
        ImGui::RadioButton("class 1", &click_class_, 1);
        widgets::help_marker(
            "Left click on the data adds a point of this class; right click (or shift-click) on a "
            "point removes it. The link keeps both (add=, remove=).");
        if (!lesson_.added.empty() || !lesson_.removed.empty()) {
            if (!lesson_.added.empty() && widgets::small_button("Clear added")) app.set("add", "");
            if (!lesson_.added.empty() && !lesson_.removed.empty()) ImGui::SameLine();
            if (!lesson_.removed.empty() && widgets::small_button("Restore removed"))
                app.set("remove", "");
        }
    }

    // The atoms' spec (a lattice's R and P as sliders) and quick picks.
    void draw_atoms_controls(App& app) {
        const qlab::LabState& s = app.state();
        ImGui::TextUnformatted("Atoms (format of features and weights)");
        if (atoms_shown_ != s.atoms || !ImGui::IsAnyItemActive()) {
            if (atoms_shown_ != s.atoms) atoms_error_.clear();
            std::snprintf(atoms_buf_, sizeof atoms_buf_, "%s", s.atoms.c_str());
            atoms_shown_ = s.atoms;
        }
        {
            widgets::Lock lock(app, "atoms");
            if (ImGui::InputText("spec", atoms_buf_, sizeof atoms_buf_,
                                 ImGuiInputTextFlags_EnterReturnsTrue)) {
                qlab::Status st = app.set("atoms", atoms_buf_);
                atoms_error_ = st.ok() ? "" : st.message();
            }
            widgets::help_marker(
                "Any format spec, e.g. lattice:range=1,points=8 or float:e=3,m=2,sub=0. Every "
                "coordinate of x and of w is stored as one of its atoms: w <- q(r(w) + y r(x)).",
                "Cherkhev §3.3");
            if (s.atoms.rfind("lattice:", 0) == 0 && lesson_.format) {
                // The lattice's two numbers as sliders (Cherkhev §4.1: P atoms evenly from -R to
                // R).
                double range = 1, points = 32;
                std::sscanf(s.atoms.c_str(), "lattice:range=%lf,points=%lf", &range, &points);
                float r = static_cast<float>(range);
                int p = static_cast<int>(points);
                const bool rc = ImGui::SliderFloat("range R", &r, 0.25f, 8.0f, "%.3g",
                                                   ImGuiSliderFlags_Logarithmic);
                const bool pc =
                    ImGui::SliderInt("points P", &p, 2, 256, "%d", ImGuiSliderFlags_Logarithmic);
                if (rc || pc) {
                    const double rr = std::round(static_cast<double>(r) * 100) / 100;
                    app.set("atoms",
                            "lattice:range=" + shortest_repr(rr) + ",points=" + std::to_string(p));
                }
            }
            for (int p : {4, 8, 32, 64}) {
                const std::string label = std::to_string(p) + " pts";
                if (widgets::small_button(label.c_str()))
                    app.set("atoms", "lattice:range=1,points=" + std::to_string(p));
                ImGui::SameLine();
            }
            if (widgets::small_button("e3m2")) app.set("atoms", "float:e=3,m=2,sub=0,sat=1");
        }
        if (!atoms_error_.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().error);
            ImGui::TextWrapped("%s", atoms_error_.c_str());
            ImGui::PopStyleColor();
        }
    }

    // Perceptron or Frank-Wolfe, and the run's buttons.
    void draw_algorithm_controls(App& app, const UiScale& ui) {
        const qlab::LabState& s = app.state();
        ImGui::TextUnformatted("Algorithm");
        {
            widgets::Lock lock(app, "algo");
            if (ImGui::RadioButton("perceptron", s.algo == "perceptron"))
                app.set("algo", "perceptron");
            ImGui::SameLine();
            if (ImGui::RadioButton("Frank-Wolfe", s.algo == "frank-wolfe"))
                app.set("algo", "frank-wolfe");
        }
        widgets::help_marker(
            "Perceptron: on a mistake, w <- q(r(w) + y r(x)); one unit is one example visited, up "
            "to 50 passes. Frank-Wolfe: w <- q(q(a z) + q((1 - a) w)) toward the worst example z, "
            "the "
            "max-margin direction; one unit is one iteration.",
            "Cherkhev §3.3-3.4");
        const bool can_run = lesson_.trainable();
        if (!can_run) ImGui::BeginDisabled();
        if (ImGui::Button(lesson_.running() ? "Pause" : "Run", ImVec2(ui.px(64), 0)))
            toggle_run(app);
        ImGui::SameLine();
        if (ImGui::Button("Step")) step(app, 1);
        widgets::tooltip_on_hover(
            "One example (perceptron) or one iteration (Frank-Wolfe). Key: S");
        ImGui::SameLine();
        if (ImGui::Button("Pass"))
            step(app, std::max<int>(1, static_cast<int>(lesson_.train.size())));
        widgets::tooltip_on_hover("Visit every example once.");
        ImGui::SameLine();
        if (!can_run) ImGui::EndDisabled();
        if (ImGui::Button("Reset")) report(app, lesson_.restart(app.state()));
        if (!lesson_.training_error.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, widgets::theme_colors().error);
            ImGui::TextWrapped("%s", lesson_.training_error.c_str());
            ImGui::PopStyleColor();
        } else if (lesson_.run && lesson_.run->state() == qlab::JobState::cancelled) {
            ImGui::TextDisabled("cancelled; Run starts over");
        }
    }

    void fact(const char* name, const std::string& value, const char* why,
              const char* cite = nullptr) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(name);
        widgets::tooltip_on_hover(why, cite);
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(value.c_str());
        widgets::tooltip_on_hover(why, cite);
    }

    void draw_facts(App& app) {
        (void)app;
        if (!lesson_.trainable()) {
            ImGui::TextDisabled("no training: %s", lesson_.training_error.empty()
                                                       ? lesson_.format_error.c_str()
                                                       : lesson_.training_error.c_str());
            return;
        }
        const qlab::QuantizedLinearJob& job = lesson_.run->inner();
        const qlab::QuantizedLinearResult& r = lesson_.result();
        const bool fw = job.algorithm() == qlab::QuantizedLinearAlgorithm::frank_wolfe;
        if (!ImGui::BeginTable("facts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV))
            return;
        ImGui::TableSetupColumn("fact", ImGuiTableColumnFlags_WidthStretch, 1.0f);
        ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch, 1.25f);
        const qlab::JobProgress p = lesson_.run->progress();
        fact(fw ? "iterations" : "examples visited",
             std::to_string(lesson_.run->visited()) +
                 (fw ? "" : "  (pass " + std::to_string(job.epoch()) + ")"),
             "Units of the job done so far. Perceptron: examples looked at (a pass ends early once "
             "it makes no "
             "mistake). Frank-Wolfe: iterations.");
        (void)p;
        const std::string bound =
            std::isfinite(r.mistake_bound) ? fmt(r.mistake_bound, 4) : "no bound: delta >= gamma";
        fact(fw ? "steps" : "mistakes", std::to_string(job.mistakes()),
             "Perceptron: examples it got wrong, each followed by an update. A score of exactly 0 "
             "counts as wrong, so a perceptron at w = 0 learns; the paper's rule (a score < 0) "
             "would never update w = 0, and Theorem 1's argument holds for both.",
             "Cherkhev Theorem 1 (§3.3)");
        fact("bound R^2/(g-d)^2", bound,
             "Cherkhev's Theorem 1: with margin gamma > delta, at most 1/(gamma - delta)^2 "
             "mistakes for data with ||r(x)|| <= 1; R^2 is that bound rescaled to data of radius "
             "R. It starts from w = 0: with an even number of lattice points 0 is no atom and w "
             "starts at q(0) != 0, which the proof does not cover. delta is taken over the box "
             "the run's weights reached, so a run can converge and still show no bound.",
             "Cherkhev Theorem 1 (§3.3)");
        const std::string safe = std::isfinite(r.mistake_bound_safe) ? fmt(r.mistake_bound_safe, 4)
                                                                     : "none: delta >= gamma/2";
        fact("safe R^2/(g-2d)^2", safe,
             "Theorem 1's proof bounds ||r(w_t)|| by sqrt(t) but drops the rounding, which can "
             "lengthen w by up to delta on every step; with that term the same argument gives at "
             "most R^2/(gamma - 2 delta)^2 mistakes, for delta < gamma/2 (from a start q(0) != 0 "
             "a little more: the start's length ||r(w_0)|| enters too). qlab train prints both.",
             "Cherkhev Theorem 1 (§3.3)");
        fact("gamma (margin)", fmt(r.margin, 4),
             "The largest margin through the origin of the stored training points r(q(x)), min "
             "y<w,x> over "
             "unit w (<= 0: not separable after quantization).");
        fact("delta (eq. 1)", fmt(r.delta, 4),
             "Worst rounding error of a 2-D vector over the box the run used, for the rounding in "
             "use: sqrt(2) times the largest |x - r(q(x))| per coordinate.",
             "Cherkhev eq. (1)");
        fact("R", fmt(r.radius, 4), "max ||r(q(x))|| over the training points.");
        fact("stalled updates", std::to_string(job.stalled_updates()),
             "Updates where q(r(w) + y r(x)) rounded back to w: the mistake changes nothing.");
        fact("sinks", std::to_string(job.sinks().size()),
             "Distinct weight atoms at which an update stalled (ringed in red on the lattice): "
             "once there, "
             "that example can never be learned.",
             "Cherkhev §4.3");
        fact("training accuracy", fmt(r.train_accuracy * 100, 4) + " %",
             "Training points on the right side of r(w).");
        const auto& w = job.weights();
        fact("r(w)",
             "(" + fmt(w.size() > 0 ? w[0] : 0, 4) + ", " + fmt(w.size() > 1 ? w[1] : 0, 4) + ")",
             "The weight vector, an atom of A x A (the arrow).");
        const char* status = lesson_.converged()                                 ? "converged"
                             : lesson_.running()                                 ? "running"
                             : lesson_.run->state() == qlab::JobState::cancelled ? "cancelled"
                             : !lesson_.run->running()
                                 ? (r.ended_in_sink ? "stuck in a sink" : "finished")
                                 : "paused";
        fact("state", status, "Run/Pause with Space, one step with S.");
        ImGui::EndTable();
    }

    // ---- 5. the data view and the boundary ----
    void draw_lesson(App& app, const UiScale& ui) {
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float side_col = 390 * ui.dpr;
        const bool beside = avail.x >= 300 * ui.dpr + side_col;
        const float title_h = ImGui::GetTextLineHeightWithSpacing();
        float side = beside ? std::min(avail.x - side_col, avail.y - title_h - ui.px(6))
                            : std::min(avail.x, 560 * ui.dpr);
        side = std::max(side, 200 * ui.dpr);
        ImGui::BeginGroup();
        draw_data_view(app, ui, side);
        ImGui::EndGroup();
        if (beside) ImGui::SameLine();
        ImGui::BeginGroup();
        const float plot_w = beside ? avail.x - side - ImGui::GetStyle().ItemSpacing.x : avail.x;
        draw_mistakes_plot(lesson_, ui, plot_w);
        ImGui::Spacing();
        draw_sweep(app, lesson_, ui, plot_w, cell_rects_);
        ImGui::EndGroup();
    }

    // The data view's square: [-h, h]^2 drawn from p0 with sides of `side` pixels.
    struct DataFrame {
        ImVec2 p0, p1;
        float side;
        double h;
        float sx(double x) const { return p0.x + static_cast<float>((x + h) / (2 * h)) * side; }
        float sy(double y) const { return p1.y - static_cast<float>((y + h) / (2 * h)) * side; }
        double vx(float px) const { return (px - p0.x) / side * 2 * h - h; }
        double vy(float py) const { return (p1.y - py) / side * 2 * h - h; }
    };

    void draw_data_view(App& app, const UiScale& ui, float side) {
        const qlab::LabState& s = app.state();
        const double h = lesson_.view_half;
        ImGui::Text("%s, %zu points", s.set.c_str(), lesson_.train.size());
        ImGui::SameLine();
        ImGui::TextDisabled("on [-%s, %s]^2, atoms %s", fmt(h).c_str(), fmt(h).c_str(),
                            lesson_.format ? lesson_.format->to_string().c_str() : "?");
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        const DataFrame f{p0, ImVec2(p0.x + side, p0.y + side), side, h};
        ImGui::InvisibleButton(
            "data", ImVec2(side, side),
            ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
        app.record_view("perceptron_data", p0.x, p0.y, side, side, ui.dpr);
        const bool hovered = ImGui::IsItemHovered();

        draw_boundary(dl, f.p0, f.p1, side, ui);
        dl->PushClipRect(f.p0, f.p1, true);
        const ImU32 axis = IM_COL32(120, 120, 130, 90);
        dl->AddLine(ImVec2(f.sx(0), f.p0.y), ImVec2(f.sx(0), f.p1.y), axis);
        dl->AddLine(ImVec2(f.p0.x, f.sy(0)), ImVec2(f.p1.x, f.sy(0)), axis);
        const bool thinned = draw_atom_dots(dl, f, ui);
        const float pr = draw_points(dl, f, ui);
        draw_run_marks(dl, f, pr, ui);
        dl->PopClipRect();
        dl->AddRect(f.p0, f.p1, ImGui::GetColorU32(ImGuiCol_Border));
        if (thinned) {
            const char* note = "atoms thinned for drawing";
            const ImVec2 ts = ImGui::CalcTextSize(note);
            dl->AddText(ImVec2(f.p1.x - ts.x - ui.px(4), f.p1.y - ts.y - ui.px(3)),
                        IM_COL32(70, 70, 80, 255), note);
        }
        if (hovered) data_view_mouse(app, f, ui);
    }

    // Cherkhev Fig. 1: the atoms A x A, thinned where they would be closer than 5 px; whether
    // they were.
    bool draw_atom_dots(ImDrawList* dl, const DataFrame& f, const UiScale& ui) const {
        bool thinned = false;
        std::vector<double> atoms;
        if (lesson_.format)
            atoms = axis_atoms(*lesson_.format, -f.h, f.h, 5 * ui.dpr * 2 * f.h / f.side, thinned);
        const float dot = std::max(
            1.0f, std::min(2.0f * ui.dpr, f.side / (6.0f * static_cast<float>(atoms.size() + 1))));
        for (double ax : atoms)
            for (double ay : atoms)
                dl->AddRectFilled(ImVec2(f.sx(ax) - dot, f.sy(ay) - dot),
                                  ImVec2(f.sx(ax) + dot, f.sy(ay) + dot), kAtomDot);
        return thinned;
    }

    // The points: generated as dots, hand-added with a dark ring; their radius.
    float draw_points(ImDrawList* dl, const DataFrame& f, const UiScale& ui) const {
        const std::size_t count = lesson_.train.size();
        const bool many = count > 800;
        const float pr = (many ? 2.5f : 4.0f) * ui.dpr;
        for (std::size_t i = 0; i < count; ++i) {
            const float* row = lesson_.train.row(i);
            const ImVec2 c(f.sx(row[0]), f.sy(row[1]));
            const ImU32 col = widgets::class_color(lesson_.train.y[i]);
            if (many) {
                dl->AddRectFilled(ImVec2(c.x - pr, c.y - pr), ImVec2(c.x + pr, c.y + pr), col);
            } else {
                dl->AddCircleFilled(c, pr, col, 10);
                dl->AddCircle(c, pr,
                              lesson_.sources[i].added >= 0 ? IM_COL32(0, 0, 0, 255)
                                                            : IM_COL32(255, 255, 255, 200),
                              10, lesson_.sources[i].added >= 0 ? 2.0f * ui.dpr : 1.0f);
            }
        }
        return pr;
    }

    // The run on the data: the last example visited ringed, sink atoms, and the weight vector.
    void draw_run_marks(ImDrawList* dl, const DataFrame& f, float pr, const UiScale& ui) {
        if (!lesson_.trainable()) return;
        const qlab::QuantizedLinearJob& job = lesson_.run->inner();
        const long long last = job.last_example();
        if (last >= 0 && static_cast<std::size_t>(last) < lesson_.train.size() &&
            lesson_.run->visited() > 0) {
            const float* row = lesson_.train.row(static_cast<std::size_t>(last));
            dl->AddCircle(ImVec2(f.sx(row[0]), f.sy(row[1])), pr + 4 * ui.dpr,
                          IM_COL32(20, 20, 20, 230), 16, 2 * ui.dpr);
        }
        // Sink atoms: weight vectors where an update rounded back to itself.
        for (const auto& sink : job.sinks())
            if (sink.size() == 2)
                dl->AddCircle(ImVec2(f.sx(sink[0]), f.sy(sink[1])), 10 * ui.dpr, kSinkColor, 20,
                              2.5f * ui.dpr);
        draw_weight_arrow(
            dl, job.weights(), f.h, [&](double x) { return f.sx(x); },
            [&](double y) { return f.sy(y); }, ui);
    }

    // Left click adds a point of the chosen class; right click or shift-click removes one.
    void data_view_mouse(App& app, const DataFrame& f, const UiScale& ui) {
        const ImGuiIO& io = ImGui::GetIO();
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Right) ||
            (ImGui::IsMouseClicked(ImGuiMouseButton_Left) && io.KeyShift)) {
            remove_near(
                app, io.MousePos, [&](double x) { return f.sx(x); },
                [&](double y) { return f.sy(y); }, 10 * ui.dpr);
        } else if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
            add_point(app, f.vx(io.MousePos.x), f.vy(io.MousePos.y));
        }
        ImGui::BeginTooltip();
        ImGui::Text("(%s, %s)", fmt(f.vx(io.MousePos.x)).c_str(), fmt(f.vy(io.MousePos.y)).c_str());
        ImGui::TextDisabled("click: add class %d, right click: remove", click_class_);
        ImGui::EndTooltip();
    }

    template <class SX, class SY>
    void draw_weight_arrow(ImDrawList* dl, const std::vector<double>& w, double h, SX sx, SY sy,
                           const UiScale& ui) {
        if (w.size() != 2) return;
        const double len = std::hypot(w[0], w[1]);
        if (len == 0) return;
        // Longer than the view: drawn to its edge, in the same direction.
        const double reach = std::max(std::fabs(w[0]), std::fabs(w[1]));
        const double scale = reach > h * 0.95 ? h * 0.95 / reach : 1.0;
        const ImVec2 o(sx(0), sy(0)), tip(sx(w[0] * scale), sy(w[1] * scale));
        dl->AddLine(o, tip, kWeightColor, 2.5f * ui.dpr);
        const float dx = tip.x - o.x, dy = tip.y - o.y,
                    n = std::max(1.0f, std::sqrt(dx * dx + dy * dy));
        const float ux = dx / n, uy = dy / n, a = 10 * ui.dpr;
        dl->AddTriangleFilled(
            tip, ImVec2(tip.x - ux * a - uy * a * 0.5f, tip.y - uy * a + ux * a * 0.5f),
            ImVec2(tip.x - ux * a + uy * a * 0.5f, tip.y - uy * a - ux * a * 0.5f), kWeightColor);
        if (scale == 1.0) {  // the atom r(w) itself
            dl->AddCircleFilled(tip, 4 * ui.dpr, IM_COL32(255, 220, 40, 255), 12);
            dl->AddCircle(tip, 6 * ui.dpr, kWeightColor, 16, 2 * ui.dpr);
        }
        // The label sits beyond the tip, away from the origin, so it covers neither the arrow nor
        // the atom.
        const ImVec2 ts = ImGui::CalcTextSize("r(w)");
        const ImVec2 at(tip.x + ux * 14 * ui.dpr - ts.x / 2, tip.y + uy * 14 * ui.dpr - ts.y / 2);
        dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(at.x + ts.x + 2, at.y + ts.y),
                          IM_COL32(255, 255, 255, 190), 3);
        dl->AddText(at, kWeightColor, "r(w)");
    }

    // The decision values tanh(k <r(w), r(q(p))>) over the view: the class the quantized model
    // gives a point p once p is stored in the format, as in training.
    void draw_boundary(ImDrawList* dl, ImVec2 p0, ImVec2 p1, float side, const UiScale& ui) {
        dl->AddRectFilled(p0, p1, IM_COL32(250, 250, 248, 255));
        if (!lesson_.trainable() || !lesson_.format) return;
        const std::vector<double>& w = lesson_.run->inner().weights();
        const double h = lesson_.view_half;
        const bool gpu = widgets::GlHeatmap::available();
        const int cells = gpu ? kHeatCells : kCpuHeatCells;
        const int px = static_cast<int>(side);
        const std::string key = fmt(w[0], 17) + "," + fmt(w[1], 17) + "|" +
                                lesson_.format->to_string() + "|" + fmt(h) + "|" +
                                std::to_string(px) + "|" + std::to_string(cells);
        if (key != heatmap_key_) {
            const double norm = std::hypot(w[0], w[1]);
            const double k = norm > 0 ? 6.0 / (norm * h) : 0.0;
            std::vector<double> q(static_cast<std::size_t>(cells));
            for (std::size_t i = 0; i < q.size(); ++i)
                q[i] = lesson_.format->quantize_ref(-h +
                                                    (static_cast<double>(i) + 0.5) * 2 * h / cells);
            heat_values_.assign(static_cast<std::size_t>(cells * cells), 0.0f);
            for (std::size_t r = 0; r < q.size(); ++r)
                for (std::size_t c = 0; c < q.size(); ++c)
                    heat_values_[r * q.size() + c] =
                        static_cast<float>(std::tanh(k * (w[0] * q[c] + w[1] * q[r])));
            // The boundary is drawn below as the cell edges where the sign flips: with stored
            // features it is a staircase, and the shader's line needs a field without flat cells.
            gpu_drawn_ = gpu && heatmap_.render(heat_values_, cells, cells, px, px, 0.0f);
            heatmap_key_ = key;
        }
        if (gpu_drawn_)
            dl->AddImage(heatmap_.texture(), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
        else
            widgets::draw_heatmap_cpu(dl, p0, p1, heat_values_, cells, cells);
        // The decision boundary <r(w), r(q(p))> = 0: edges between cells of opposite sign.
        const float cs = side / static_cast<float>(cells);
        const ImU32 line = IM_COL32(30, 30, 40, 230);
        auto value = [&](int r, int c) {
            return heat_values_[static_cast<std::size_t>(r * cells + c)];
        };
        for (int r = 0; r < cells; ++r)
            for (int c = 0; c < cells; ++c) {
                const float x = p0.x + cs * static_cast<float>(c),
                            y = p1.y - cs * static_cast<float>(r);
                if (c + 1 < cells && (value(r, c) > 0) != (value(r, c + 1) > 0))
                    dl->AddLine(ImVec2(x + cs, y), ImVec2(x + cs, y - cs), line, 1.5f * ui.dpr);
                if (r + 1 < cells && (value(r, c) > 0) != (value(r + 1, c) > 0))
                    dl->AddLine(ImVec2(x, y - cs), ImVec2(x + cs, y - cs), line, 1.5f * ui.dpr);
            }
    }

    void add_point(App& app, double x, double y) {
        x = std::round(x * 1000) / 1000, y = std::round(y * 1000) / 1000;
        if (std::fabs(x) > 2 || std::fabs(y) > 2) {
            app.report("Perceptron: a point can be added only inside [-2, 2]^2; (" + fmt(x) + ", " +
                       fmt(y) + ") is outside");
            return;
        }
        std::vector<qlab::AddedPoint> points = lesson_.added;
        points.push_back({x, y, click_class_});
        app.set("add", qlab::format_added_points(points));
    }

    template <class SX, class SY>
    void remove_near(App& app, ImVec2 mouse, SX sx, SY sy, float radius) {
        long best = -1;
        float best_d = radius * radius;
        for (std::size_t i = 0; i < lesson_.train.size(); ++i) {
            const float* row = lesson_.train.row(i);
            const float dx = sx(row[0]) - mouse.x, dy = sy(row[1]) - mouse.y;
            if (dx * dx + dy * dy <= best_d)
                best_d = dx * dx + dy * dy, best = static_cast<long>(i);
        }
        if (best < 0) return;
        const perceptron::RowSource src = lesson_.sources[static_cast<std::size_t>(best)];
        if (src.added >= 0) {
            std::vector<qlab::AddedPoint> points = lesson_.added;
            points.erase(points.begin() + src.added);
            app.set("add", qlab::format_added_points(points));
        } else {
            std::string list = app.state().remove;
            list += (list.empty() ? "" : ",") + std::to_string(src.generated);
            app.set("remove", list);
        }
    }
};

}  // namespace

QLAB_REGISTER_PANEL(PerceptronPanel)

}  // namespace quantlab
