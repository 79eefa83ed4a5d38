// A Host for the lab's logic in tests: a clock the test moves, the messages shown, the data sets
// asked for, and the lab's real data sets read from disk (the bootstrap unpacks them).
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lab/host.hpp"
#include "lab/shared_model.hpp"
#include "qlab/lab_state.hpp"

namespace quantlab::test {

class FakeHost final : public Host {
  public:
    double now_ms() const override { return now; }
    void report(const std::string& text, MessageLevel level) override {
        messages.push_back({text, level});
    }
    void request_dataset(const std::string& name) override { requested.push_back(name); }
    TrainRunner* train_runner() override { return runner; }
    AnalysisRunner* analysis_runner() override { return analyses; }

    bool said(const std::string& part) const {
        for (const auto& m : messages)
            if (m.first.find(part) != std::string::npos) return true;
        return false;
    }

    double now = 0;
    std::vector<std::pair<std::string, MessageLevel>> messages;
    std::vector<std::string> requested;
    TrainRunner* runner = nullptr;       // a test's stand-in for the Web Worker (fake_runner.hpp)
    AnalysisRunner* analyses = nullptr;  // and for its analyses (fake_analysis_runner.hpp)
};

// The bytes the page would fetch for a data set file ("digits.csv"), or "" when absent.
inline std::string dataset_bytes(const std::string& name) {
    const std::string dir = std::string(QLAB_DATA_DIR);
    const std::string path = name == "digits.csv"           ? dir + "/sklearn/digits.csv"
                             : name == "mnist-images.idx"   ? dir + "/mnist/images.idx"
                             : name == "fashion-images.idx" ? dir + "/fashion-mnist/test-images.idx"
                             : name == "fashion-labels.idx" ? dir + "/fashion-mnist/test-labels.idx"
                                                            : dir + "/mnist/labels.idx";
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A state with the given settings applied (the property table validates them).
inline qlab::LabState state_with(const std::vector<std::pair<std::string, std::string>>& values) {
    qlab::LabState s;
    const qlab::StateChange c = qlab::set_state(s, values);
    (void)c;
    return s;
}

// Trains the shared model `batches` batches (the lab's Step).
inline void train_batches(SharedModel& m, const qlab::LabState& s, int batches) {
    for (int i = 0; i < batches; ++i) m.step(s, 1);
}

}  // namespace quantlab::test
