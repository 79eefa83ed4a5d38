// A TrainRunner for tests: the Web Worker's side (TrainWorker) in the same process, stepped when
// the test says, its messages delivered in order, and a way to make it die.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "fake_host.hpp"
#include "lab/train_worker.hpp"

namespace quantlab::test {

class FakeRunner final : public TrainRunner {
  public:
    explicit FakeRunner(FakeHost& host) : host_(host), worker_([&host] { return host.now; }) {}

    bool ready() const override { return up; }
    void send_data(long long tag, const qlab::Split& split) override {
        if (tag == data_tag_) return;
        data_tag_ = tag;
        ++data_sent;
        worker_.set_data(split);  // a copy, as postMessage makes one
    }
    void start(long long run, const std::string& model_json,
               const std::string& checkpoint) override {
        ++starts;
        const std::string why =
            refuse.empty() ? worker_.start(run, model_json, checkpoint) : std::exchange(refuse, "");
        if (!why.empty()) inbox_.push_back({run, RunnerMessage::Kind::failed, "", false, why});
        run_ = run;
    }
    void pause(long long run) override { worker_.pause(run); }
    void stop() override { worker_.stop(); }
    void set_update_rounding(long long run, qlab::Rounding r) override {
        worker_.set_update_rounding(run, r);
    }
    void set_epochs(long long run, int epochs) override { worker_.set_epochs(run, epochs); }
    std::vector<RunnerMessage> take() override {
        std::vector<RunnerMessage> out(inbox_.begin(), inbox_.end());
        inbox_.clear();
        return out;
    }

    // The worker's loop: `units` slices of one unit each (a budget of 0 ms steps one), the host's
    // clock moving `ms` per slice (it stands still inside one).
    void pump(int units = 1, double ms = 10) {
        for (int i = 0; i < units; ++i) {
            host_.now += ms;
            for (RunnerMessage& m : worker_.step(0)) inbox_.push_back(std::move(m));
        }
    }
    // The worker dies: its run is lost; the page hears why, and the runner restarts it empty.
    void kill(const std::string& why) {
        worker_.stop();
        worker_.set_data({});
        data_tag_ = -1;
        inbox_.push_back({run_, RunnerMessage::Kind::died, "", false, why});
    }
    bool busy() const { return worker_.busy(); }

    bool up = true;
    std::string refuse;  // the next start fails with this message
    int starts = 0, data_sent = 0;

  private:
    FakeHost& host_;
    TrainWorker worker_;
    std::deque<RunnerMessage> inbox_;
    long long data_tag_ = -1, run_ = 0;
};

}  // namespace quantlab::test
