// The running lab's state holder: validation through the core property table, messages,
// panel notifications and frame timings.
#include "app.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>

#include "panel.hpp"

namespace quantlab {

App& app() {
    static App instance;
    return instance;
}

qlab::StateChange App::set_values(const std::vector<std::pair<std::string, std::string>>& values) {
    qlab::StateChange change = qlab::set_state(state_, values);
    for (const std::string& e : change.errors) report(e, MessageLevel::error);
    if (!change.changed.empty())
        for (Panel* p : panels()) p->on_state_changed(*this, change.changed);
    return change;
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
    for (Panel* p : panels()) p->on_state_changed(*this, keys);
}

bool App::locked(const char* key) const {
    return std::find(locked_keys.begin(), locked_keys.end(), key) != locked_keys.end();
}

void App::request_dataset(const std::string& name) {
    if (std::find(requested_datasets.begin(), requested_datasets.end(), name) ==
        requested_datasets.end())
        requested_datasets.push_back(name);
}

void App::report(const std::string& text, MessageLevel level) {
    std::fprintf(stderr, "quantlab: %s\n", text.c_str());  // console.warn in the browser
    // The same message twice in a row (a control held down) is shown once.
    if (!messages_.empty() && messages_.back().text == text) {
        messages_.back().shown_at = now;
        return;
    }
    messages_.push_back({text, level, now});
    if (messages_.size() > 6) messages_.pop_front();
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

void App::begin_frame(double now_ms) {
    if (last_frame_start_ms_ >= 0) {
        frame_interval_ms_.push_back(now_ms - last_frame_start_ms_);
        if (frame_interval_ms_.size() > 120) frame_interval_ms_.pop_front();
    }
    last_frame_start_ms_ = now_ms;
    job_ms_last_interval = job_ms_this_interval;
    job_ms_this_interval = 0;
}

double App::frame_interval_ms_median() const {
    if (frame_interval_ms_.empty()) return 16.7;
    std::vector<double> sorted(frame_interval_ms_.begin(), frame_interval_ms_.end());
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2),
                     sorted.end());
    return sorted[sorted.size() / 2];
}

double App::job_budget_ms() const {
    return std::clamp(0.75 * frame_interval_ms_median(), 6.0, 250.0);
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
