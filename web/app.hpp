// The running lab: its state, the messages shown to the user, frame timings, embed locks, and
// what panels and the JS API share. The state is always valid; bad input leaves it as it was
// and adds a message.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "qlab/lab_state.hpp"

namespace quantlab {

// Where a panel drew an interactive view this frame, in CSS pixels (for tests and course pages).
struct ViewRect {
    float x = 0, y = 0, width = 0, height = 0;
};

enum class MessageLevel { info, warning, error };

struct Message {
    std::string text;
    MessageLevel level = MessageLevel::warning;
    double shown_at = 0;  // seconds since start
};

class App {
  public:
    const qlab::LabState& state() const { return state_; }

    // Validated change of one or several settings; each refused value becomes a visible message
    // and the panels hear which keys changed.
    qlab::StateChange set_values(const std::vector<std::pair<std::string, std::string>>& values);
    qlab::Status set(const std::string& key, const std::string& value);
    // Applies a URL query; bad values become messages and fall back to what was there.
    void apply_query(const std::string& query);
    // Tells every panel that all keys changed (start-up).
    void announce_all();

    void report(const std::string& text, MessageLevel level = MessageLevel::warning);
    const std::deque<Message>& messages() const { return messages_; }
    void dismiss_messages() { messages_.clear(); }

    // Embed mode: one panel, no tabs; locked keys cannot be changed from the controls.
    bool embedded = false;
    std::vector<std::string> locked_keys;
    bool locked(const char* key) const;

    // A dataset the JS shell fetches lazily (with a progress bar) and hands to the open panel.
    void request_dataset(const std::string& name);
    std::vector<std::string> requested_datasets;  // drained by the main loop
    double dataset_progress = -1;                 // 0..1 while a download runs, -1 otherwise
    std::string dataset_loading;

    std::vector<std::pair<std::string, ViewRect>> layout;  // cleared every frame
    void record_view(const std::string& name, float x, float y, float w, float h, float dpr) {
        layout.emplace_back(name, ViewRect{x / dpr, y / dpr, w / dpr, h / dpr});
    }

    // CPU time of recent frames (ms), all work of the frame included: jobs, drawing, rendering.
    void record_frame_ms(double ms);
    double frame_ms_percentile(double p) const;
    std::vector<double> frame_ms_recent(std::size_t count) const;  // oldest first
    // Jobs run between frames in slices (the JS shell's pump calls run_jobs_between_frames), so
    // a frame's own CPU time stays small and training uses the time the browser would idle.
    // Per frame interval they get job_budget_ms(): 75% of the recent frame interval, at least 6 ms.
    void begin_frame(double now_ms);
    double job_budget_ms() const;
    double job_ms_this_interval = 0;  // spent since the current frame began
    double job_ms_last_interval = 0;  // spent between the previous frame and this one
    double last_pump_ms = -1e9;       // when the pump last ran (in-frame jobs are the fallback)
    double render_ms_last = 0;        // time spent handing the frame to WebGL
    double frame_interval_ms_median() const;
    std::vector<int> pending_keys;  // GLFW key codes pressed since the last frame
    double now = 0;                 // seconds, updated each frame
    bool in_frame = false;          // panels are drawing (false: the JS API or the job pump calls)
    long frames = 0;

  private:
    qlab::LabState state_;
    std::deque<Message> messages_;
    std::deque<double> frame_ms_;
    std::deque<double> frame_interval_ms_;
    double last_frame_start_ms_ = -1;
};

App& app();

}  // namespace quantlab
