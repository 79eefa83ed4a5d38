// What the lab's logic (the shared model, the scheduler, each lesson's logic) needs from the page
// around it, and nothing of the browser: a clock, messages for the user, and data sets to fetch.
// The App implements it in the browser; tests implement it with a fake clock and a message list.
#pragma once

#include <string>

namespace quantlab {

enum class MessageLevel { info, warning, error };
class TrainRunner;     // lab/train_worker.hpp
class AnalysisRunner;  // lab/analysis_worker.hpp

class Host {
  public:
    virtual ~Host() = default;
    // Milliseconds on a monotonic clock (performance.now() in the browser).
    virtual double now_ms() const = 0;
    // A message the user sees; the same text again while it shows is counted, not repeated.
    virtual void report(const std::string& text, MessageLevel level) = 0;
    // A data set the page fetches (lazily, with a progress bar); it arrives through the owner
    // that asked for it (SharedModel::on_dataset).
    virtual void request_dataset(const std::string& name) = 0;
    // Where training runs off the UI thread (the browser's Web Worker); null: in the frames.
    virtual TrainRunner* train_runner() { return nullptr; }
    // Where the lessons' analyses run off the UI thread (the same worker); null: in the frames.
    virtual AnalysisRunner* analysis_runner() { return nullptr; }
};

}  // namespace quantlab
