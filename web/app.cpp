// The running lab's state holder: validation through the core property table, messages, the
// lessons and the shared model told what changed, the jobs gathered for the scheduler.
#include "app.hpp"

#include <emscripten.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>

#include "panel.hpp"

namespace quantlab {

namespace {

// The changed keys a lesson hears: its own and the shared ones. The model's own keys go to the
// model's owner only; a lesson on the shared model follows the model's version instead.
std::vector<std::string> keys_for(const Panel& panel, const std::vector<std::string>& keys) {
    std::vector<std::string> mine;
    for (const std::string& k : keys) {
        const qlab::Property* p = qlab::find_property(k);
        const bool models_own = p && p->panel && p->model != qlab::ModelEffect::none;
        if (p && !models_own && qlab::property_in_panel(*p, panel.key())) mine.push_back(k);
    }
    return mine;
}

}  // namespace

App& app() {
    static App instance;
    return instance;
}

qlab::StateChange App::set_values(const std::vector<std::pair<std::string, std::string>>& values) {
    qlab::StateChange change = qlab::set_state(state_, values);
    for (const std::string& e : change.errors) report(e, MessageLevel::error);
    if (change.changed.empty()) return change;
    model_.on_state_changed(state_, change.changed);
    for (Panel* p : panels()) {
        const std::vector<std::string> keys = keys_for(*p, change.changed);
        if (!keys.empty()) p->on_state_changed(*this, keys);
    }
    if (std::find(change.changed.begin(), change.changed.end(), "model") != change.changed.end())
        follow_model_key(false);
    follow_wanted_data();
    return change;
}

// The link names a model file: the page fetches it (main.cpp drains requested_models).
void App::follow_model_key(bool force) {
    const std::string& url = state_.model;
    if (url.empty() || (!force && url == model_.model_url())) return;
    if (std::find(requested_models.begin(), requested_models.end(), url) == requested_models.end())
        requested_models.push_back(url);
}

// An import asked for the data set its input fits: the data key follows.
void App::follow_wanted_data() {
    const std::string want = model_.take_wanted_data();
    if (!want.empty() && want != state_.data) set_values({{"data", want}});
}

std::string App::load_model_url(const std::string& url) {
    if (qlab::Status v = qlab::validate_model_url(url); !v || url.empty()) {
        const std::string m = "loadModel: " + (url.empty() ? "the URL is empty" : v.message());
        report(m, MessageLevel::error);
        return m;
    }
    if (!open_uses_model()) set_values({{"panel", "train"}});
    const qlab::StateChange c = set_values({{"model", url}});
    if (!c.ok()) return c.errors.front();
    if (c.changed.empty()) follow_model_key(true);  // the same URL again: fetched again
    return "";
}

std::string App::model_fetched(const std::string& url, const std::string& bytes) {
    const std::size_t slash = url.find_last_of('/');
    std::string name = slash == std::string::npos ? url : url.substr(slash + 1);
    name = name.substr(0, name.find_first_of("?#"));
    if (name.empty()) name = "model.onnx";
    const ModelVersion v = model_.version();
    const qlab::ImportedModel* before = model_.import();  // a new import is a new object
    model_.on_upload(state_, name, bytes, url);
    follow_wanted_data();
    const bool took = model_.model_url() == url &&
                      (model_.version() != v || (model_.import() && model_.import() != before));
    if (took) return "";
    if (state_.model == url) set_values({{"model", model_.model_url()}});  // the last good one
    return messages_.empty() ? "not loaded" : messages_.back().text;
}

std::string App::load_model_bytes(const std::string& name, const std::string& bytes) {
    if (!open_uses_model()) set_values({{"panel", "train"}});
    const ModelVersion v = model_.version();
    const std::string shown = upload(name, bytes);
    if (!shown.empty()) return shown;
    // A refused file leaves the model as it was and says so last, naming the file.
    const bool refused = model_.version() == v && !messages_.empty() &&
                         messages_.back().level == MessageLevel::error &&
                         messages_.back().text.rfind(name + ":", 0) == 0;
    return refused ? messages_.back().text : "";
}

std::string App::model_fetch_failed(const std::string& url, const std::string& message) {
    const std::string m =
        "could not open the model at " + url + ": " + message + " (the lab keeps its model)";
    report(m, MessageLevel::error);
    if (state_.model == url) set_values({{"model", model_.model_url()}});
    return m;
}

qlab::Status App::set(const std::string& key, const std::string& value) {
    qlab::StateChange c = set_values({{key, value}});
    return c.ok() ? qlab::Status::success() : qlab::Status::error(c.errors.front());
}

void App::apply_query(const std::string& query) {
    for (const std::string& m : qlab::apply_query(query, state_)) report(m, MessageLevel::error);
}

void App::announce_all() {
    std::vector<std::string> keys;
    for (const qlab::Property& p : qlab::lab_properties()) keys.push_back(p.key);
    model_.on_state_changed(state_, keys);
    for (Panel* p : panels()) p->on_state_changed(*this, keys_for(*p, keys));
    follow_model_key(false);
}

bool App::locked(const char* key) const {
    return std::find(locked_keys.begin(), locked_keys.end(), key) != locked_keys.end();
}

double App::now_ms() const {
    return emscripten_get_now();
}

void App::request_dataset(const std::string& name) {
    if (std::find(requested_datasets.begin(), requested_datasets.end(), name) ==
        requested_datasets.end())
        requested_datasets.push_back(name);
}

void App::report(const std::string& text, MessageLevel level) {
    std::fprintf(stderr, "quantlab: %s\n", text.c_str());  // console.warn in the browser
    // A message already shown is not shown twice: it moves to the end and counts the repeat.
    // Repeats of the last one within half a second (a control held down) only keep it fresh.
    constexpr double kHeldSeconds = 0.5;
    const auto same = std::find_if(messages_.begin(), messages_.end(),
                                   [&](const Message& m) { return m.text == text; });
    if (same != messages_.end()) {
        Message m = *same;
        const bool held = same + 1 == messages_.end() && now - m.shown_at < kHeldSeconds;
        if (!held) ++m.count;
        m.shown_at = now;
        m.level = std::max(m.level, level);
        messages_.erase(same);
        messages_.push_back(std::move(m));
        return;
    }
    messages_.push_back({text, level, now, 1});
    if (messages_.size() > 6) messages_.pop_front();
}

Panel* App::open_panel() const {
    return find_panel(state_.panel);
}

void App::refresh(bool frame) {
    if (open_uses_model()) model_.sync(state_);
    model_.tick(state_, frame);
    if (Panel* p = open_panel()) p->update(*this);
}

std::vector<ScheduledJob> App::jobs() {
    std::vector<ScheduledJob> all = model_.jobs();
    for (Panel* p : panels())
        for (ScheduledJob& j : p->jobs()) all.push_back(std::move(j));
    return all;
}

std::vector<ScheduledJob> App::open_jobs() {
    std::vector<ScheduledJob> list;
    if (open_uses_model()) list = model_.jobs();
    if (Panel* p = open_panel())
        for (ScheduledJob& j : p->jobs()) list.push_back(std::move(j));
    return list;
}

std::string App::upload(const std::string& name, const std::string& bytes) {
    Panel* p = open_panel();
    if (p && p->on_upload(*this, name, bytes)) return "";
    if (open_uses_model()) {
        const ModelVersion v = model_.version();
        if (model_.on_upload(state_, name, bytes)) {
            // A dropped model cannot ride in the link: the key no longer names one.
            if (!state_.model.empty() && model_.model_url().empty() &&
                (model_.version() != v || model_.import()))
                set_values({{"model", ""}});
            follow_wanted_data();
            return "";
        }
    }
    const std::string m = "the " + state_.panel + " lesson takes no file like '" + name +
                          "' (open the Train lesson: it takes ONNX, model JSON, CSV and libsvm)";
    report(m, MessageLevel::error);
    return m;
}

void App::dataset_loaded(const std::string& name, const std::string& bytes) {
    dataset_progress = -1;
    model_.on_dataset(state_, name, bytes);
}

void App::dataset_failed(const std::string& name, const std::string& message) {
    dataset_progress = -1;
    model_.on_dataset_failed(name, message);
    report("could not load " + name + ": " + message, MessageLevel::error);
}

void App::record_frame_ms(double ms) {
    frame_ms_.push_back(ms);
    if (frame_ms_.size() > 240) frame_ms_.pop_front();
}

double App::frame_ms_percentile(double p) const {
    if (frame_ms_.empty()) return 0;
    std::vector<double> sorted(frame_ms_.begin(), frame_ms_.end());
    std::sort(sorted.begin(), sorted.end());
    const std::size_t i = std::min(
        sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())));
    return sorted[i];
}

std::vector<double> App::frame_ms_recent(std::size_t count) const {
    const std::size_t n = std::min(count, frame_ms_.size());
    return std::vector<double>(frame_ms_.end() - static_cast<std::ptrdiff_t>(n), frame_ms_.end());
}

std::vector<Panel*>& panels() {
    static std::vector<Panel*> list;
    return list;
}

Panel* find_panel(const std::string& key) {
    for (Panel* p : panels())
        if (key == p->key()) return p;
    return nullptr;
}

PanelRegistration::PanelRegistration(Panel* panel) {
    auto& list = panels();
    list.push_back(panel);
    // Tab order is the order of the core's panel names; unknown keys go last (and are reported).
    auto rank = [](const Panel* p) {
        const auto& names = qlab::panel_names();
        return std::find(names.begin(), names.end(), p->key()) - names.begin();
    };
    std::stable_sort(list.begin(), list.end(),
                     [&](const Panel* a, const Panel* b) { return rank(a) < rank(b); });
}

}  // namespace quantlab
