// The data set the shared model learns from and is tested on: the one the state names (real sets
// fetched lazily through the host, generated 2-D sets from the seed) or a file the user gave,
// split and normalised by the core's prepare_split, as `qlab train` does.
#pragma once

#include <map>
#include <string>

#include "lab/host.hpp"
#include "qlab/dataset.hpp"
#include "qlab/lab_state.hpp"

namespace quantlab {

// The test fraction of every data set in the lab: the CLI's default split.
constexpr double kLabTestFraction = qlab::SplitOptions{}.test_fraction;
// The TensorFlow Playground's points lie in [-6, 6]^2; dividing by 6 puts them (and the
// decision-boundary grid) in [-1, 1]^2, the range of the real data sets after scaling (Sakr §4.1).
constexpr float kPlaygroundScale = 1.0f / 6.0f;
constexpr int kPlaygroundPoints = 500;
constexpr double kPlaygroundNoise = 0.1;

class LabData {
  public:
    explicit LabData(Host& host) : host_(host) {}

    // Makes the split the one the state asks for (an upload replaces the state's data set until
    // the data key changes). Requests a real data set that is not here yet. True when the split
    // changed, so the model built on it must be rebuilt.
    bool sync(const qlab::LabState& s);
    // A fetched data set arrived (mnist comes in two files). True when the split changed.
    // for_model false: a lesson beside the model asked (fetch); it is only cached.
    bool on_dataset(const qlab::LabState& s, const std::string& name, const std::string& bytes,
                    bool for_model = true);
    // CSV or libsvm rows the user gave: the split changes to them (true), or a message says why
    // not and the lab keeps its data (false).
    bool use_upload(const qlab::LabState& s, const std::string& name, qlab::Dataset data);
    void forget_upload() { uploaded_ = false; }
    // A real data set for a lesson that does not study the shared model (the Perceptron's
    // heatmap on MNIST's 4 against 9): every row as parsed, or nullptr while it loads (its files
    // are requested once; a failed fetch is not retried).
    const qlab::Dataset* fetch(const std::string& data);
    // A fetch that failed (the page could not load the file): the lab stops waiting for it and
    // says so; choosing the data set again retries (forget_failures).
    void on_dataset_failed(const std::string& name, const std::string& message);
    void forget_failures() { failed_.clear(); }
    // Why the state's data set is not here, or "" (while it loads, or once it is).
    std::string failure(const qlab::LabState& s) const;

    bool ready() const { return ready_; }
    bool loading() const { return !loading_.empty(); }
    const std::string& loading_name() const { return loading_; }
    // "digits", "mnist", ... or "uploaded:NAME".
    std::string label() const { return uploaded_ ? "uploaded:" + uploaded_name_ : name_; }
    bool uploaded() const { return uploaded_; }
    const std::string& uploaded_name() const { return uploaded_name_; }
    const qlab::Split& split() const { return split_; }
    // Raw pixels of the test rows (for the digit grid), side x side; side 0: not images.
    const qlab::Dataset& raw_test() const { return raw_test_; }
    int image_side() const { return image_side_; }
    float pixel_max() const { return pixel_max_; }
    bool is_2d() const { return ready_ && split_.train.features == 2; }
    // An imported (ONNX) model is studied: the automatic preprocessing is none, as `qlab` reads
    // data for an ONNX model, instead of the lab's [-1, 1]. The next sync re-splits if it changes.
    void set_model_imported(bool imported) { model_imported_ = imported; }
    // The preprocessing the split was made with, in the normalize key's words ("none", "unit",
    // "standard", "meanstd:0.1307,0.3081"; generated sets: "playground" or "none").
    const std::string& preprocessing() const { return preprocessing_; }

  private:
    enum class Scaling { unit_range, playground, none };
    // The state's preprocessing for real and uploaded data (auto: unit, or none for ONNX).
    qlab::InputPreprocessing preprocessing_for(const qlab::LabState& s) const;
    void use(const qlab::LabState& s, const qlab::Dataset& data, const std::string& name,
             int image_side, Scaling scaling);
    bool use_real(const qlab::LabState& s, const std::string& key);
    qlab::Dataset generated(const qlab::LabState& s) const;

    Host& host_;
    std::map<std::string, qlab::Dataset> cache_;        // real data sets, parsed once per page
    std::map<std::string, std::string> pending_bytes_;  // mnist: images wait for labels
    std::string loading_;
    std::map<std::string, std::string> failed_;  // data key -> why it could not be loaded
    std::map<std::string, bool> fetched_;        // data sets fetch() asked for
    qlab::Dataset uploaded_data_;
    bool uploaded_ = false;
    std::string uploaded_name_;

    bool ready_ = false;
    std::string name_;
    std::string built_for_;  // data key + seed the split was made for
    qlab::Split split_;
    qlab::Dataset raw_test_;
    int image_side_ = 0;
    float pixel_max_ = 1;
    bool model_imported_ = false;
    std::string preprocessing_;
};

}  // namespace quantlab
