// The running lab's state holder: validation through the core property table, messages.
#include "app.hpp"

#include <cmath>
#include <cstdio>

#include "qlab/sqnr.hpp"

namespace quantlab {

App& app() {
    static App instance;
    return instance;
}

App::App()
    : format_(*qlab::Format::parse(qlab::LabState{}.format)), display_(format_) {
    refresh_derived();
}

void App::refresh_derived() {
    auto f = qlab::Format::parse(state_.format);
    assert(f.ok() && "state holds only validated specs");
    format_ = *f;
    display_ = format_;
    fit_note_.clear();
    if (format_.data_dependent()) {
        // One block of a standard normal sample stands in for a weight tensor.
        const std::size_t n = format_.block_size() ? format_.block_size() : 4096;
        const auto sample = qlab::sample_distribution(qlab::Distribution::gaussian, n,
                                                      static_cast<std::uint64_t>(state_.seed));
        display_ = format_.fit(sample);
        fit_note_ = "fitted to " + std::to_string(n) + " samples of N(0,1) (seed " +
                    qlab::shortest_repr(state_.seed) + "): " + display_.to_string();
    }
    rounding_ = *qlab::parse_rounding(state_.rounding);
}

qlab::Status App::set(const std::string& key, const std::string& value) {
    qlab::Status s = qlab::set_property(state_, key, value);
    if (!s) {
        report(s.message());
        return s;
    }
    // Only these feed the parsed (and, for data-dependent specs, fitted) format; x, lo and hi
    // change on every drag and must not refit a k-means codebook each time.
    if (key == "format" || key == "rounding" || key == "seed") refresh_derived();
    return s;
}

void App::apply_query(const std::string& query) {
    for (const std::string& m : qlab::apply_query(query, state_)) report(m);
    refresh_derived();
}

int App::step_atoms(int n) {
    double x = state_.x;
    int moved = 0;
    for (int i = 0; i < std::abs(n); ++i) {
        const double next = n > 0 ? format_.next_up(x) : format_.next_down(x);
        if (!std::isfinite(next)) break;
        x = next;
        ++moved;
    }
    if (moved == 0) return 0;
    // Keep the value on screen: widen the view when it walks off an end.
    if (x < state_.lo || x > state_.hi) {
        const double width = state_.hi - state_.lo;
        state_.lo = x < state_.lo ? x - width * 0.1 : x - width * 0.9;
        state_.hi = state_.lo + width;
    }
    state_.x = x == 0 ? 0.0 : x;
    return moved;
}

double App::gaussian_sqnr_db() {
    const std::string key = state_.format + "|" + state_.rounding + "|" + qlab::shortest_repr(state_.seed);
    if (key != sqnr_key_) {
        const auto sample = qlab::sample_distribution(qlab::Distribution::gaussian, 4096,
                                                      static_cast<std::uint64_t>(state_.seed));
        qlab::QuantizeOptions options;
        options.rounding = rounding_;
        options.seed = static_cast<std::uint64_t>(state_.seed);
        sqnr_db_ = qlab::sqnr_db(format_, sample, options);
        sqnr_key_ = key;
    }
    return sqnr_db_;
}

void App::report(const std::string& text) {
    std::fprintf(stderr, "quantlab: %s\n", text.c_str());  // console.warn in the browser
    messages_.push_back({text, now});
    if (messages_.size() > 6) messages_.erase(messages_.begin());
}

}  // namespace quantlab
