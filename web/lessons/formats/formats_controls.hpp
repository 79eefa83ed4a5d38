// The Formats lesson's format controls, built from the kinds' declarations
// (qlab/format_kinds.hpp): a kind picker, the kind's forms, its quick picks, one control per
// parameter (a slider or field per number within its declared range, a checkbox per switch, a
// combo per choice, a text field per list) with its meaning as the tooltip, and the spec as
// text. Every edit becomes spec text and goes through Format::parse: a refused value shows the
// parser's message under its control and the lab keeps its last good format.
#pragma once

#include <string>

#include "app.hpp"
#include "panel.hpp"
#include "qlab/format_kinds.hpp"

namespace quantlab::formats {

class FormatControls {
  public:
    void draw(App& app, const UiScale& ui);

  private:
    void load(const std::string& spec);
    // Each returns the key it changed ("" for none); the values already hold the change.
    std::string draw_kind(App& app, const UiScale& ui);
    std::string draw_forms(App& app, const UiScale& ui);
    std::string draw_param(App& app, const UiScale& ui, const qlab::FormatParam& p);
    bool draw_value(const qlab::FormatParam& p, qlab::FormatParamValue& v, const char* label);
    bool draw_choice(const qlab::FormatParam& p, qlab::FormatParamValue& v, const char* label);
    void draw_quick_picks(App& app, const UiScale& ui);
    void draw_spec_field(App& app, const UiScale& ui);
    // Builds the spec from the values; applies it or keeps the parser's message for `key`.
    void apply(App& app, const std::string& key);

    qlab::FormatValues values_;
    std::string loaded_spec_;        // the state's spec the values were read from
    std::string error_key_, error_;  // the control whose value was refused, and why
    std::string list_text_;          // a list parameter being typed
    char spec_buf_[512] = "";        // the spec field
    std::string spec_shown_, spec_error_;
};

}  // namespace quantlab::formats
