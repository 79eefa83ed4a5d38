// The JS API behind window.quantlab (the only file with Embind): state as JSON through the
// core property table, validated setters for several keys at once, stepping the open lesson,
// its numbers, the messages the user sees, uploads and lazily fetched datasets.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "app.hpp"
#include "imgui.h"
#include "lab/share_link.hpp"
#include "lab/train_worker.hpp"
#include "panel.hpp"
#include "qlab/format.hpp"
#include "qlab/mlp.hpp"
#include "qlab/onnx.hpp"
#include "shell.hpp"
#include "ui/gl_heatmap.hpp"
#include "ui/item_log.hpp"
#include "ui/touch_input.hpp"
#include "ui/touch_value.hpp"

namespace {

using nlohmann::json;
using quantlab::App;

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Every key of every lesson; numbers as numbers.
std::string state_json() {
    const qlab::LabState& s = quantlab::app().state();
    json j = json::object();
    for (const qlab::Property& p : qlab::lab_properties()) {
        if (p.text)
            j[p.key] = s.*p.text;
        else
            j[p.key] = s.*p.number;
    }
    return dump(j);
}

// Bytes from JS (a Uint8Array, or a string) copied with one TypedArray.set: Embind's own
// std::string conversion copies a Uint8Array byte by byte in JS (19% of the page's time when
// the worker's 5 MB progress saves of a 784-512x3-10 net arrived ten times a second).
std::string bytes_from_js(const emscripten::val& v) {
    if (v.isString()) return v.as<std::string>();
    std::string out(v["length"].as<std::size_t>(), '\0');
    const auto* data = reinterpret_cast<const unsigned char*>(out.data());
    emscripten::val(emscripten::typed_memory_view(out.size(), data)).call<void>("set", v);
    return out;
}

// A call that changes what the page shows counts as input: the frames draw at full rate again
// (main.cpp draws a quiet page less often while the worker trains).
void acted() {
    quantlab::app().last_input_ms = emscripten_get_now();
}

// {"key": value, ...} -> {"ok": bool, "errors": [...], "changed": [...]}. Values may be strings,
// numbers or booleans (true/false become 1/0).
std::string set_state_json(const std::string& request) {
    acted();
    json in = json::parse(request, nullptr, false);
    json out;
    if (!in.is_object()) {
        out["ok"] = false;
        out["errors"] = {"setState expects an object such as {format: 'fixed:w=8,f=4'}"};
        out["changed"] = json::array();
        quantlab::app().report(out["errors"][0].get<std::string>(), quantlab::MessageLevel::error);
        return dump(out);
    }
    std::vector<std::pair<std::string, std::string>> values;
    for (auto it = in.begin(); it != in.end(); ++it) {
        const json& v = it.value();
        std::string text;
        if (v.is_string())
            text = v.get<std::string>();
        else if (v.is_boolean())
            text = v.get<bool>() ? "1" : "0";
        else if (v.is_number())
            text = qlab::shortest_repr(v.get<double>());
        else
            text = v.dump();
        values.emplace_back(it.key(), text);
    }
    qlab::StateChange c = quantlab::app().set_values(values);
    out["ok"] = c.ok();
    out["errors"] = c.errors;
    out["changed"] = c.changed;
    return dump(out);
}

std::string query() {
    return qlab::to_query(quantlab::app().state());
}

int step(int n) {
    acted();
    App& app = quantlab::app();
    app.refresh(false);
    quantlab::Panel* p = app.open_panel();
    return p ? p->step(app, n) : 0;
}

void toggle_run() {
    acted();
    App& app = quantlab::app();
    app.refresh(false);
    if (quantlab::Panel* p = app.open_panel()) p->toggle_run(app);
}

// [{text, level}], with count when the same message was reported more than once.
json messages() {
    json list = json::array();
    for (const auto& m : quantlab::app().messages()) {
        json item = {{"text", m.text},
                     {"level", m.level == quantlab::MessageLevel::error     ? "error"
                               : m.level == quantlab::MessageLevel::warning ? "warning"
                                                                            : "info"}};
        if (m.count > 1) item["count"] = m.count;
        list.push_back(std::move(item));
    }
    return list;
}

std::string messages_json() {
    return dump(messages());
}
void dismiss_messages() {
    quantlab::app().dismiss_messages();
}

// The shell's numbers, then the open lesson's (its keys at the top level).
std::string metrics_json() {
    App& app = quantlab::app();
    app.refresh(false);  // jobs also run between frames: metrics see their latest results
    json j = json::object();
    if (const quantlab::Panel* p = app.open_panel()) {
        j = p->metrics(app);
        json jobs = json::array();
        for (const quantlab::ScheduledJob& sj : app.open_jobs()) {
            if (!sj.job) continue;
            const qlab::JobProgress pr = sj.job->progress();
            const quantlab::JobTiming t = app.scheduler().timing(sj.job);
            jobs.push_back({{"label", sj.label},
                            {"stage", pr.stage},
                            {"done", pr.done},
                            {"total", pr.total},
                            {"state", qlab::job_state_name(sj.job->state())},
                            {"elapsed_s", t.elapsed_s},
                            {"left_s", t.left_s >= 0 ? json(t.left_s) : json(nullptr)},
                            {"timing", quantlab::timing_text(t)}});
        }
        j["jobs"] = jobs;
    }
    const quantlab::Scheduler& scheduler = app.scheduler();
    j["panel"] = app.state().panel;
    j["challenge"] = quantlab::challenge_json(quantlab::check_challenge(app.state().goal, j));
    j["frames"] = app.frames;
    // Where the shared model's run goes on: "worker" or "page"; and the worker's state.
    j["training_in"] = app.model().in_worker() ? "worker" : "page";
    j["worker"] = app.worker_link.status();
    j["worker_runs"] = app.model().worker_runs();
    j["worker_queue_peak"] = app.worker_link.queue_peak();
    j["worker_analyses"] = app.worker_link.analyses_posted();  // analyses sent to the worker
    j["frame_ms_median"] = app.frame_ms_percentile(0.5);
    j["frame_ms_p95"] = app.frame_ms_percentile(0.95);
    // The last frames' CPU ms, for the browser bench.
    j["frame_ms_recent"] = app.frame_ms_recent(32);
    // Jobs between the previous frame and this one.
    j["job_ms_last_frame"] = scheduler.ms_last_interval();
    j["job_budget_ms"] = scheduler.budget_ms();
    j["frame_interval_ms_median"] = scheduler.frame_interval_ms_median();
    j["render_ms_last_frame"] = app.render_ms_last;
    j["heatmap_shader"] = quantlab::widgets::GlHeatmap::available();
    j["embedded"] = app.embedded;
    j["locked"] = app.locked_keys;
    std::vector<std::string> text;
    for (const auto& m : app.messages()) text.push_back(m.text);
    j["messages"] = text;
    json layout = json::object();
    for (const auto& [name, r] : app.layout)
        layout[name] = {{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
    j["layout"] = layout;
    // How the shell laid the lab out (narrow: one column; touch: 44 px targets), and the tooltip
    // on screen (a long press on a touch screen shows what hovering shows), null when none.
    j["ui"] = {
        {"narrow", app.frame_narrow}, {"touch", app.frame_touch}, {"font_px", app.frame_font_px}};
    j["tooltip"] = app.tooltip ? json{{"x", app.tooltip->x},
                                      {"y", app.tooltip->y},
                                      {"width", app.tooltip->width},
                                      {"height", app.tooltip->height}}
                               : json(nullptr);
    // The bubble above a finger dragging a slider: what it says, where, and the touch point.
    const quantlab::widgets::TouchBubble& b = quantlab::widgets::touch_bubble();
    const float dpr = app.frame_dpr > 0 ? app.frame_dpr : 1;
    j["touch_value"] = b.shown
                           ? json{{"text", b.text},
                                  {"x", b.x / dpr},
                                  {"y", b.y / dpr},
                                  {"width", b.width / dpr},
                                  {"height", b.height / dpr},
                                  {"finger", {{"x", b.finger_x / dpr}, {"y", b.finger_y / dpr}}}}
                           : json(nullptr);
    return dump(j);
}

std::string panels_json() {
    json list = json::array();
    for (quantlab::Panel* p : quantlab::panels())
        list.push_back({{"key", p->key()}, {"title", p->title()}, {"try", p->what_to_try()}});
    return dump(list);
}

// A dropped or picked file for the open lesson. Returns "" or the message shown.
std::string upload(const std::string& name, const emscripten::val& bytes) {
    acted();
    return quantlab::app().upload(name, bytes_from_js(bytes));
}

void dataset_progress(const std::string& name, double fraction) {
    App& app = quantlab::app();
    app.dataset_loading = name;
    app.dataset_progress = fraction;
}

void dataset_loaded(const std::string& name, const emscripten::val& bytes) {
    quantlab::app().dataset_loaded(name, bytes_from_js(bytes));
}

void dataset_failed(const std::string& name, const std::string& message) {
    quantlab::app().dataset_failed(name, message);
}

double run_jobs(double slice_ms) {
    App& app = quantlab::app();
    return app.scheduler().run_between_frames(app.jobs(), slice_ms);
}

void report(const std::string& text) {
    quantlab::app().report(text, quantlab::MessageLevel::error);
}
void note(const std::string& text) {
    quantlab::app().report(text, quantlab::MessageLevel::info);
}

// The query of a link that reproduces the whole state (lab/share_link.hpp).
std::string share_query() {
    return quantlab::share_query(quantlab::app().state());
}

// A finger on the canvas (kind 0 move, 1 press, 2 release; x, y in CSS pixels of the canvas; the
// event's timeStamp in ms), or kind 3 when a real mouse moves (GLFW has the pointer again).
void pointer_event(int kind, double x, double y, double time_ms) {
    acted();
    const float dpr = quantlab::app().frame_dpr > 0 ? quantlab::app().frame_dpr : 1;
    if (kind < 0 || kind > 3) return;
    quantlab::widgets::touch_event(static_cast<quantlab::widgets::TouchEvent>(kind),
                                   static_cast<float>(x) * dpr, static_cast<float>(y) * dpr,
                                   time_ms / 1000.0);
}

// Text typed on an on-screen keyboard (the JS shell's hidden input), for the field being edited.
void add_text(const std::string& text) {
    acted();
    ImGui::GetIO().AddInputCharactersUTF8(text.c_str());
}

// The interactive items of the last frame, in CSS pixels of the canvas (the part inside its
// window): a recorded view with the same rectangle gives its name as the id (tab_formats, ...);
// the others are named by ImGui ID.
std::string widgets_json() {
    const App& app = quantlab::app();
    const float dpr = app.frame_dpr > 0 ? app.frame_dpr : 1;
    json list = json::array();
    for (const quantlab::widgets::LoggedItem& it : quantlab::widgets::item_log_items()) {
        const quantlab::ViewRect r{it.x / dpr, it.y / dpr, it.width / dpr, it.height / dpr};
        const quantlab::ViewRect full{it.full_x / dpr, it.full_y / dpr, it.full_width / dpr,
                                      it.full_height / dpr};
        char id[16];
        std::snprintf(id, sizeof id, "0x%08x", it.id);
        json item = {{"id", id}, {"label", it.label}, {"kind", it.kind}, {"value", nullptr}};
        for (const auto& [name, v] : app.layout) {
            const bool same = std::abs(v.x - full.x) < 1 && std::abs(v.y - full.y) < 1 &&
                              std::abs(v.width - full.width) < 1 &&
                              std::abs(v.height - full.height) < 1;
            if (!same) continue;
            item["id"] = name;
            if (name.rfind("tab_", 0) == 0) {
                item["kind"] = "tab";
                item["value"] = name.substr(4) == app.state().panel;
            }
            break;
        }
        if (it.value >= 0) item["value"] = it.value == 1;
        item["rect"] = {{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
        item["full"] = {
            {"x", full.x}, {"y", full.y}, {"width", full.width}, {"height", full.height}};
        list.push_back(std::move(item));
    }
    return dump(list);
}

// The shared model's test rows as the model sees them (after preprocessing), one CSV line per
// row with the class last, values printed with %.9g: `qlab --data csv:FILE --normalize none`
// reads exactly these rows ("" without data).
std::string export_data() {
    const quantlab::LabData& d = quantlab::app().model().data();
    if (!d.ready()) return "";
    const qlab::Dataset& t = d.split().test;
    std::string out;
    out.reserve(t.size() * static_cast<std::size_t>(t.features) * 8);
    char buf[32];
    for (std::size_t i = 0; i < t.size(); ++i) {
        const float* r = t.row(i);
        for (int j = 0; j < t.features; ++j) {
            std::snprintf(buf, sizeof buf, "%.9g,", static_cast<double>(r[j]));
            out += buf;
        }
        out += std::to_string(t.y[i]) + "\n";
    }
    return out;
}

std::string load_model_url(const std::string& url) {
    acted();
    return quantlab::app().load_model_url(url);
}
std::string load_model_bytes(const std::string& name, const emscripten::val& bytes) {
    acted();
    return quantlab::app().load_model_bytes(name, bytes_from_js(bytes));
}
std::string model_fetched(const std::string& url, const emscripten::val& bytes) {
    return quantlab::app().model_fetched(url, bytes_from_js(bytes));
}
std::string model_fetch_failed(const std::string& url, const std::string& message) {
    return quantlab::app().model_fetch_failed(url, message);
}

// The shared model as a file: kind "json" (the quantlab-model JSON that `qlab --model` reads;
// "" without a model) or "onnx" (export_onnx at the state's formats: a Uint8Array, or a string,
// the message shown, when it cannot be written).
emscripten::val export_model(const std::string& kind) {
    App& app = quantlab::app();
    app.refresh(false);
    const quantlab::SharedModel& m = app.model();
    if (kind == "json" || kind.empty())
        return emscripten::val(m.has_model() ? qlab::model_to_json(m.model()) : "");
    std::string message;
    if (kind != "onnx")
        message = "exportModel: unknown kind '" + kind + "' (known: json, onnx)";
    else if (!m.has_model())
        message = "exportModel: there is no model to export yet";
    std::string bytes;
    if (message.empty()) {
        auto r = quantlab::export_onnx_file(app.state(), m);
        if (r)
            bytes = std::move(r).value();
        else
            message = "export: " + r.status().message();
    }
    if (!message.empty()) {
        app.report(message, quantlab::MessageLevel::error);
        return emscripten::val(message);
    }
    const emscripten::val view(emscripten::typed_memory_view(bytes.size(), bytes.data()));
    return emscripten::val::global("Uint8Array").new_(view);  // a copy the page owns
}

// ---- the training Web Worker
// --------------------------------------------------------------------- The page's side: the shell
// says whether it made a worker and hands over what the worker sends.
void worker_enabled(bool on) {
    quantlab::app().worker_link.enabled = on;
}
void worker_ready() {
    quantlab::app().worker_link.on_ready();
}
void worker_message(double run, int kind, const emscripten::val& bytes, bool last,
                    const std::string& text) {
    quantlab::RunnerMessage m;
    m.run = static_cast<long long>(run);
    m.kind = static_cast<quantlab::RunnerMessage::Kind>(kind);
    m.bytes = bytes_from_js(bytes);
    m.last = last;
    m.text = text;
    App& app = quantlab::app();
    app.worker_link.on_message(std::move(m));
    if (app.worker_link.queued() >= quantlab::WorkerLink::kMaxQueued) app.refresh(false);
}
void worker_analysis(const emscripten::val& bytes) {
    quantlab::app().worker_link.deliver(bytes_from_js(bytes));
}
void worker_died(const std::string& why) {
    quantlab::app().worker_link.on_died(why);
}

// The worker's side (quantlab-worker.js holds one): quantlab::TrainWorker and AnalysisWorker on
// this instance's clock, sharing each slice; their messages read one by one (their bytes as a
// view the worker copies and transfers; an analysis's message is its bytes alone).
class WorkerSide {
  public:
    void set_data(const std::string& name, int features, int classes,
                  const emscripten::val& train_x, const emscripten::val& train_y,
                  const emscripten::val& test_x, const emscripten::val& test_y) {
        qlab::Split split;
        for (qlab::Dataset* d : {&split.train, &split.test}) {
            d->name = name, d->features = features, d->classes = classes;
            const bool train = d == &split.train;
            d->x = emscripten::convertJSArrayToNumberVector<float>(train ? train_x : test_x);
            d->y = emscripten::convertJSArrayToNumberVector<int>(train ? train_y : test_y);
        }
        worker_.set_data(std::move(split));
    }
    std::string start(double run, const std::string& model_json,
                      const emscripten::val& checkpoint) {
        return worker_.start(static_cast<long long>(run), model_json, bytes_from_js(checkpoint));
    }
    void pause(double run) { worker_.pause(static_cast<long long>(run)); }
    void stop() { worker_.stop(); }
    void set_rounding(double run, int rounding) {
        worker_.set_update_rounding(static_cast<long long>(run),
                                    static_cast<qlab::Rounding>(rounding));
    }
    void set_epochs(double run, int epochs) {
        worker_.set_epochs(static_cast<long long>(run), epochs);
    }
    void start_analysis(double id, const emscripten::val& request) {
        analyses_.start(static_cast<long long>(id), bytes_from_js(request));
    }
    void cancel_analysis(double id) { analyses_.cancel(static_cast<long long>(id)); }
    bool busy() const { return worker_.busy() || analyses_.busy(); }
    // Steps for about budget_ms (split between training and the analyses when both have work);
    // the number of messages to read.
    int step(double budget_ms) {
        const bool both = worker_.busy() && analyses_.busy();
        out_ = worker_.busy() ? worker_.step(both ? budget_ms / 2 : budget_ms)
                              : std::vector<quantlab::RunnerMessage>{};
        if (analyses_.busy())
            for (const quantlab::AnalysisMessage& m :
                 analyses_.step(both ? budget_ms / 2 : budget_ms)) {
                quantlab::RunnerMessage r;
                r.run = m.id;
                r.bytes = quantlab::message_to_bytes(m);
                r.text = kAnalysisText;
                out_.push_back(std::move(r));
            }
        return static_cast<int>(out_.size());
    }
    bool is_analysis(int i) const { return out_.at(i).text == kAnalysisText; }
    double run_of(int i) const { return static_cast<double>(out_.at(i).run); }
    int kind_of(int i) const { return static_cast<int>(out_.at(i).kind); }
    bool last_of(int i) const { return out_.at(i).last; }
    emscripten::val bytes_of(int i) const {
        const std::string& b = out_.at(i).bytes;
        return emscripten::val(emscripten::typed_memory_view(b.size(), b.data()));
    }

  private:
    static constexpr const char* kAnalysisText = "analysis";  // marks an analysis's message
    quantlab::TrainWorker worker_{[] { return emscripten_get_now(); }};
    quantlab::AnalysisWorker analyses_{[] { return emscripten_get_now(); }};
    std::vector<quantlab::RunnerMessage> out_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(quantlab) {
    emscripten::function("stateJson", &state_json);
    emscripten::function("setStateJson", &set_state_json);
    emscripten::function("query", &query);
    emscripten::function("step", &step);
    emscripten::function("toggleRun", &toggle_run);
    emscripten::function("metricsJson", &metrics_json);
    emscripten::function("messagesJson", &messages_json);
    emscripten::function("dismissMessages", &dismiss_messages);
    emscripten::function("panelsJson", &panels_json);
    emscripten::function("upload", &upload);
    emscripten::function("datasetProgress", &dataset_progress);
    emscripten::function("datasetLoaded", &dataset_loaded);
    emscripten::function("datasetFailed", &dataset_failed);
    emscripten::function("report", &report);
    emscripten::function("note", &note);
    emscripten::function("shareQuery", &share_query);
    emscripten::function("widgetsJson", &widgets_json);
    emscripten::function("addText", &add_text);
    emscripten::function("pointerEvent", &pointer_event);
    emscripten::function("runJobs", &run_jobs);
    emscripten::function("exportModel", &export_model);
    emscripten::function("loadModelUrl", &load_model_url);
    emscripten::function("exportData", &export_data);
    emscripten::function("loadModelBytes", &load_model_bytes);
    emscripten::function("modelFetched", &model_fetched);
    emscripten::function("modelFetchFailed", &model_fetch_failed);
    emscripten::function("workerEnabled", &worker_enabled);
    emscripten::function("workerReady", &worker_ready);
    emscripten::function("workerMessage", &worker_message);
    emscripten::function("workerAnalysis", &worker_analysis);
    emscripten::function("workerDied", &worker_died);
    emscripten::class_<WorkerSide>("TrainWorker")
        .constructor<>()
        .function("setData", &WorkerSide::set_data)
        .function("start", &WorkerSide::start)
        .function("pause", &WorkerSide::pause)
        .function("stop", &WorkerSide::stop)
        .function("setRounding", &WorkerSide::set_rounding)
        .function("setEpochs", &WorkerSide::set_epochs)
        .function("startAnalysis", &WorkerSide::start_analysis)
        .function("cancelAnalysis", &WorkerSide::cancel_analysis)
        .function("busy", &WorkerSide::busy)
        .function("step", &WorkerSide::step)
        .function("runOf", &WorkerSide::run_of)
        .function("kindOf", &WorkerSide::kind_of)
        .function("lastOf", &WorkerSide::last_of)
        .function("isAnalysis", &WorkerSide::is_analysis)
        .function("bytesOf", &WorkerSide::bytes_of);
}
