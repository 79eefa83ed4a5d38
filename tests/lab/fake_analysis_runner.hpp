// An AnalysisRunner for tests: the Web Worker's side (AnalysisWorker) in the same process, its
// messages going through bytes as they do between the page and the worker, delivered when the
// test pumps it; and a way to make the worker die.
#pragma once

#include <string>
#include <vector>

#include "lab/analysis_worker.hpp"

namespace quantlab::test {

class FakeAnalysisRunner final : public AnalysisRunner {
  public:
    explicit FakeAnalysisRunner(double* now) : now_(now), worker_([this] { return *now_; }) {}

    bool ready() const override { return up; }
    // The worker's loop: `slices` slices of one unit each, the clock moving `ms` per slice.
    void pump(int slices = 1, double ms = 10) {
        for (int i = 0; i < slices; ++i) {
            *now_ += ms;
            for (const AnalysisMessage& m : worker_.step(0)) deliver(message_to_bytes(m));
        }
    }
    // Until the worker has nothing left (at most `slices`).
    void pump_all(int slices = 100000) {
        int i = 0;
        do pump();
        while (worker_.busy() && ++i < slices);
    }
    void kill(const std::string& why) {
        for (long long id : started) worker_.cancel(id);
        died(why);
    }
    bool busy() const { return worker_.busy(); }

    bool up = true;
    std::vector<long long> started, cancelled;
    std::string last_request;

  protected:
    void post_start(long long id, const std::string& request) override {
        started.push_back(id);
        last_request = request;
        worker_.start(id, request);
    }
    void post_cancel(long long id) override {
        cancelled.push_back(id);
        worker_.cancel(id);
    }

  private:
    double* now_;
    AnalysisWorker worker_;
};

}  // namespace quantlab::test
