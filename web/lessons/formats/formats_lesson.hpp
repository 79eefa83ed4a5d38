// The Formats lesson's logic without drawing: the parsed (or, for data-dependent specs, fitted)
// format, its SQNR on a Gaussian sample, stepping x across atoms, one block of a block-scaled
// format, and its metrics. Builds natively (qlab_lab); tests/lab/formats_lesson_test.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/lab_state.hpp"

namespace quantlab::formats {

// The keys and values a step across atoms sets (x, and lo/hi when the view follows it).
using StateValues = std::vector<std::pair<std::string, std::string>>;

class Lesson {
  public:
    Lesson();
    // The format drawn and measured: the parsed one, or for a data-dependent spec (ternary
    // without alpha, bfp, k-means) the one fitted to a seeded N(0,1) sample, see fit_note().
    const qlab::Format& format() const { return display_; }
    const std::string& fit_note() const { return fit_note_; }
    // The parsed spec itself (for a data-dependent one, before fitting).
    const qlab::Format& spec_format() const { return format_; }
    // A block-scaled format (MX, NVFP4, group-wise int): one block of the seeded N(0,1) sample,
    // its stored values and element codes under the current rounding; empty otherwise.
    const std::vector<double>& block_values() const { return block_values_; }
    const std::vector<double>& block_quantized() const { return block_quantized_; }
    const std::vector<std::uint64_t>& block_codes() const { return block_codes_; }
    qlab::Rounding rounding() const { return rounding_; }
    // SQNR (dB) of the format on a seeded N(0,1) sample, cached per format, rounding and seed.
    double gaussian_sqnr_db(const qlab::LabState& state) const;
    // The values that move x to the n-th atom above (n > 0) or below (n < 0) it, widening the
    // view when x walks off an end; `moved` receives the atoms moved (empty values when none).
    StateValues step_atoms(const qlab::LabState& state, int n, int& moved) const;
    // Only format, rounding and seed refit the format (x, lo and hi change on every drag).
    void on_state_changed(const qlab::LabState& state, const std::vector<std::string>& keys);
    nlohmann::json metrics(const qlab::LabState& state) const;

  private:
    void refresh(const qlab::LabState& state);
    qlab::Format format_;
    qlab::Format display_;
    std::string fit_note_;
    std::vector<double> block_values_, block_quantized_;
    std::vector<std::uint64_t> block_codes_;
    mutable std::string sqnr_key_;  // a cache of gaussian_sqnr_db
    mutable double sqnr_db_ = 0;
    qlab::Rounding rounding_ = qlab::Rounding::nearest_even;
};

// A JSON number, or "inf"/"-inf"/"nan" for what JSON cannot hold.
nlohmann::json json_number(double v);

}  // namespace quantlab::formats
