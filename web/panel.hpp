// The one interface every lesson implements, and the registry the shell draws its tabs from.
// The shell owns the title bar, the lesson picker, messages, theme and job bars; a panel draws
// only its own content, reports its numbers as JSON, and hands its long work to the scheduler as
// core jobs. What a lesson computes lives in its *_lesson.{hpp,cpp} (native, tested); the panel
// keeps drawing and input (docs/architecture.md, "Lessons").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/scheduler.hpp"

namespace quantlab {

class App;

struct UiScale {
    float dpr = 1;  // device pixels per CSS pixel; every size in a panel is multiplied by it
    // Below kNarrowCss CSS px the lesson is one column: controls above views, the window scrolls
    // (the shell decides; panels lay out through widgets::begin_controls / begin_views).
    bool narrow = false;
    bool touch = false;  // a coarse pointer (a finger): hit targets at least 44 CSS px high
    static constexpr float kNarrowCss = 600;
    float px(float css) const { return css * dpr; }
};

class Panel {
  public:
    virtual ~Panel() = default;
    virtual const char* key() const = 0;          // the URL's panel= value
    virtual const char* title() const = 0;        // the tab's label
    virtual const char* what_to_try() const = 0;  // one line under the tabs
    // Brings the lesson's logic up to date with the state and the shared model: once per frame
    // before draw(), and before metrics() when the JS API or the challenge line asks.
    virtual void update(App& /*app*/) {}
    virtual void draw(App& app, const UiScale& ui) = 0;
    // The numbers the panel shows (metrics() in JS adds the shell's own). Changes nothing.
    virtual nlohmann::json metrics(const App& app) const = 0;
    // Advances the lesson by n units (an atom, an update, a batch); returns the units taken.
    virtual int step(App& app, int n) = 0;
    // Space: run or pause the lesson's main job.
    virtual void toggle_run(App& /*app*/) {}
    // Called after a change of the state with the changed keys this lesson owns (and the shared
    // ones), and once at start with all of them. The shared model hears its own keys itself.
    virtual void on_state_changed(App& /*app*/, const std::vector<std::string>& /*keys*/) {}
    // Jobs the scheduler steps inside each frame's time budget (the shared model lists its own).
    virtual std::vector<ScheduledJob> jobs() { return {}; }
    // A dropped or picked file. Returns false when this lesson takes no such file (the lessons
    // on the shared model pass it to the model's owner).
    virtual bool on_upload(App& /*app*/, const std::string& /*name*/,
                           const std::string& /*bytes*/) {
        return false;
    }
};

// Every registered panel, in the tab order of qlab::panel_names().
std::vector<Panel*>& panels();
Panel* find_panel(const std::string& key);

struct PanelRegistration {
    explicit PanelRegistration(Panel* panel);
};
// In a panel's .cpp: QLAB_REGISTER_PANEL(FormatsPanel);
#define QLAB_REGISTER_PANEL(Type)                                          \
    namespace {                                                            \
    Type g_panel_instance;                                                 \
    ::quantlab::PanelRegistration g_panel_registration(&g_panel_instance); \
    }

}  // namespace quantlab
