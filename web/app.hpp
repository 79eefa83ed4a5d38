// The running lab: its state, the messages shown to the user, and what panels and the JS API
// share. The state is always valid; bad input leaves it as it was and adds a message.
#pragma once

#include <string>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/lab_state.hpp"

namespace quantlab {

// Where a panel drew an interactive view this frame, in CSS pixels (for tests and course pages).
struct ViewRect {
    float x = 0, y = 0, width = 0, height = 0;
};

struct Message {
    std::string text;
    double shown_at = 0;  // seconds since start
};

class App {
public:
    App();
    const qlab::LabState& state() const { return state_; }
    // The format drawn and measured: the parsed one, or for a data-dependent spec (ternary
    // without alpha, bfp, k-means) the one fitted to a seeded N(0,1) sample, see fit_note().
    const qlab::Format& format() const { return display_; }
    const std::string& fit_note() const { return fit_note_; }
    // SQNR (dB) of the format on a seeded N(0,1) sample, cached per format and rounding.
    double gaussian_sqnr_db();
    qlab::Rounding rounding() const { return rounding_; }

    // Validated change of one setting; a failure is kept as a visible message.
    qlab::Status set(const std::string& key, const std::string& value);
    // Applies a URL query; bad values become messages and fall back to what was there.
    void apply_query(const std::string& query);
    // Moves x to the n-th atom above (n > 0) or below (n < 0) it; returns atoms moved.
    int step_atoms(int n);

    void report(const std::string& text);
    const std::vector<Message>& messages() const { return messages_; }
    void dismiss_messages() { messages_.clear(); }

    std::vector<std::pair<std::string, ViewRect>> layout;  // cleared every frame
    void record_view(const std::string& name, float x, float y, float w, float h, float dpr) {
        layout.emplace_back(name, ViewRect{x / dpr, y / dpr, w / dpr, h / dpr});
    }

    double now = 0;       // seconds, updated each frame
    long frames = 0;

private:
    void refresh_derived();
    qlab::LabState state_;
    qlab::Format format_;
    qlab::Format display_;
    std::string fit_note_;
    std::string sqnr_key_;
    double sqnr_db_ = 0;
    qlab::Rounding rounding_ = qlab::Rounding::nearest_even;
    std::vector<Message> messages_;
};

App& app();

}  // namespace quantlab
