// The one interface every lesson implements, and the registry the shell draws its tabs from.
// The shell owns the title bar, the lesson picker, messages, theme and job bars; a panel draws
// only its own content, reports its numbers as JSON, and exposes its long work as core jobs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qlab/job.hpp"

namespace quantlab {

class App;

struct UiScale {
    float dpr = 1;  // device pixels per CSS pixel; every size in a panel is multiplied by it
    float px(float css) const { return css * dpr; }
};

// A job a panel runs, shown by the shell with a progress bar and a Cancel button.
struct PanelJob {
    const char* label;  // "training", "accuracy sweep"
    qlab::Job* job;     // null or not running: nothing to show
};

class Panel {
  public:
    virtual ~Panel() = default;
    virtual const char* key() const = 0;          // the URL's panel= value
    virtual const char* title() const = 0;        // the tab's label
    virtual const char* what_to_try() const = 0;  // one line under the tabs
    virtual void draw(App& app, const UiScale& ui) = 0;
    // The numbers the panel shows (metrics() in JS adds the shell's own).
    virtual nlohmann::json metrics(App& app) = 0;
    // Advances the lesson by n units (an atom, an update, a batch); returns the units taken.
    virtual int step(App& app, int n) = 0;
    // Space: run or pause the lesson's main job.
    virtual void toggle_run(App& /*app*/) {}
    // Called after any state change with the keys that changed (also once at start with all).
    virtual void on_state_changed(App& /*app*/, const std::vector<std::string>& /*keys*/) {}
    // Jobs the shell steps inside each frame's time budget.
    virtual std::vector<PanelJob> jobs() { return {}; }
    // A dropped or picked file. Returns false when this lesson takes no such file.
    virtual bool on_upload(App& /*app*/, const std::string& /*name*/,
                           const std::string& /*bytes*/) {
        return false;
    }
    // A dataset the JS shell fetched on request (see App::request_dataset).
    virtual void on_dataset(App& /*app*/, const std::string& /*name*/,
                            const std::string& /*bytes*/) {}
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
