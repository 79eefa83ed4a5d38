// The running lab: its state, the messages shown to the user, frame timings, embed locks, the one
// owner of the shared model and the scheduler of every job. The state is always valid; bad input
// leaves it as it was and adds a message. The App is the lessons' Host (lab/host.hpp).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/host.hpp"
#include "lab/scheduler.hpp"
#include "lab/shared_model.hpp"
#include "qlab/lab_state.hpp"
#include "worker_link.hpp"

namespace quantlab {

class Panel;

// Where a panel drew an interactive view this frame, in CSS pixels (for tests and course pages).
struct ViewRect {
    float x = 0, y = 0, width = 0, height = 0;
};

struct Message {
    std::string text;
    MessageLevel level = MessageLevel::warning;
    double shown_at = 0;  // seconds since start, of the latest time it was reported
    int count = 1;        // how many times it was reported while shown (drawn as "(x3)")
};

// What the page is asked to do for the shell's sharing controls (main.cpp hands it over).
enum class ShareRequest { none, copy_link, open_full_lab };

class App final : public Host {
  public:
    App() : model_(*this), scheduler_(*this) {}

    const qlab::LabState& state() const { return state_; }

    // Validated change of one or several settings; each refused value becomes a visible message.
    // The shared model hears every changed key; each lesson hears its own and the shared ones.
    qlab::StateChange set_values(const std::vector<std::pair<std::string, std::string>>& values);
    qlab::Status set(const std::string& key, const std::string& value);
    // Applies a URL query; bad values become messages and fall back to what was there.
    void apply_query(const std::string& query);
    // Tells the model and every panel that all keys changed (start-up).
    void announce_all();

    // ---- Host ----
    double now_ms() const override;
    void report(const std::string& text, MessageLevel level = MessageLevel::warning) override;
    void request_dataset(const std::string& name) override;
    TrainRunner* train_runner() override { return &worker_link; }
    AnalysisRunner* analysis_runner() override { return &worker_link; }
    // The Web Worker: training and the lessons' analyses (ready() false: the frames run them).
    WorkerLink worker_link;

    const std::deque<Message>& messages() const { return messages_; }
    void dismiss_messages() { messages_.clear(); }

    // ---- the shared model, the open lesson and the jobs ----
    SharedModel& model() { return model_; }
    const SharedModel& model() const { return model_; }
    Panel* open_panel() const;
    // Whether the open lesson studies the shared model (from the property table's owners).
    bool open_uses_model() const { return qlab::lesson_uses_model(state_.panel); }
    // Brings the shared model and the open lesson up to date: once per frame (in_frame: costly
    // predictions go in slices) and before the JS API reads metrics (at once).
    void refresh(bool in_frame);
    // The jobs the scheduler runs: the model's training and every lesson's.
    std::vector<ScheduledJob> jobs();
    // The open lesson's jobs, with the model's training first when the lesson studies it.
    std::vector<ScheduledJob> open_jobs();
    Scheduler& scheduler() { return scheduler_; }
    const Scheduler& scheduler() const { return scheduler_; }
    // A dropped or picked file for the open lesson; "" or the message shown.
    std::string upload(const std::string& name, const std::string& bytes);
    // ---- a model by link (the model key; loadModel(url)) ----
    // Asks the page to fetch the URL (the key is set to it); "" or the message shown.
    std::string load_model_url(const std::string& url);
    // The page fetched it, or could not: the model's owner imports it, or the lab keeps its
    // model and the key goes back to the model it has. "" or the message shown.
    std::string model_fetched(const std::string& url, const std::string& bytes);
    std::string model_fetch_failed(const std::string& url, const std::string& message);
    // loadModel(bytes): the file as a drop gives it (opening the Train lesson when the open one
    // does not study the model); "" or the error shown.
    std::string load_model_bytes(const std::string& name, const std::string& bytes);
    std::vector<std::string> requested_models;  // URLs the page fetches; drained by the main loop
    void dataset_loaded(const std::string& name, const std::string& bytes);
    void dataset_failed(const std::string& name, const std::string& message);

    // Embed mode: one panel, no tabs; locked keys cannot be changed from the controls.
    bool embedded = false;
    std::vector<std::string> locked_keys;
    bool locked(const char* key) const;

    // Data sets the JS shell fetches lazily (with a progress bar).
    std::vector<std::string> requested_datasets;  // drained by the main loop
    double dataset_progress = -1;                 // 0..1 while a download runs, -1 otherwise
    std::string dataset_loading;

    ShareRequest share_request = ShareRequest::none;  // drained by the main loop
    float frame_dpr = 1;                              // device pixels per CSS pixel, this frame
    bool frame_narrow = false, frame_touch = false;   // this frame's layout (UiScale)
    float frame_font_px = 0;                          // text height in CSS pixels
    std::optional<ViewRect> tooltip;                  // a tooltip shown in the last frame

    std::vector<std::pair<std::string, ViewRect>> layout;  // cleared every frame
    void record_view(const std::string& name, float x, float y, float w, float h, float dpr) {
        layout.emplace_back(name, ViewRect{x / dpr, y / dpr, w / dpr, h / dpr});
    }

    // CPU time of recent frames (ms), all work of the frame included: jobs, drawing, rendering.
    void record_frame_ms(double ms);
    double frame_ms_percentile(double p) const;
    std::vector<double> frame_ms_recent(std::size_t count) const;  // oldest first
    double render_ms_last = 0;      // time spent handing the frame to WebGL
    std::vector<int> pending_keys;  // GLFW key codes pressed since the last frame
    double now = 0;                 // seconds, updated each frame
    double last_input_ms = -1e9;    // the page's last input (mouse, key, finger, text, JS API)
    bool in_frame = false;          // panels are drawing (false: the JS API or the job pump calls)
    long frames = 0;

  private:
    void follow_model_key(bool force);
    void follow_wanted_data();
    qlab::LabState state_;
    std::deque<Message> messages_;
    std::deque<double> frame_ms_;
    SharedModel model_;
    Scheduler scheduler_;
};

App& app();

}  // namespace quantlab
