// WorkerLink: the shared model's run and the lessons' analyses posted to the Web Worker through
// the JS shell's Module.trainWorker (quantlab-shell.js), which copies the bytes out of this
// module's memory and transfers them; the worker's answers come back through bindings.cpp.
#include "worker_link.hpp"

#include <emscripten.h>

namespace {

// clang-format off
EM_JS(void, worker_post_data, (double tag, const char* name, int features, int classes,
                               const float* train_x, int train_rows, const int* train_y,
                               const float* test_x, int test_rows, const int* test_y), {
    const f = HEAPF32, i = HEAP32;
    Module.trainWorker.postData({
        tag, name: UTF8ToString(name), features, classes,
        trainX: f.slice(train_x >> 2, (train_x >> 2) + train_rows * features),
        trainY: i.slice(train_y >> 2, (train_y >> 2) + train_rows),
        testX: f.slice(test_x >> 2, (test_x >> 2) + test_rows * features),
        testY: i.slice(test_y >> 2, (test_y >> 2) + test_rows),
    });
});
EM_JS(void, worker_post_start, (double run, const char* model_json, const char* checkpoint,
                                int checkpoint_size), {
    Module.trainWorker.postStart(run, UTF8ToString(model_json),
                                 HEAPU8.slice(checkpoint, checkpoint + checkpoint_size));
});
EM_JS(void, worker_post_control, (const char* type, double run, int value), {
    Module.trainWorker.postControl(UTF8ToString(type), run, value);
});
EM_JS(void, worker_post_analysis, (double id, const char* request, int request_size), {
    Module.trainWorker.postAnalysis(id, HEAPU8.slice(request, request + request_size));
});
// clang-format on

}  // namespace

namespace quantlab {

void WorkerLink::send_data(long long tag, const qlab::Split& split) {
    if (tag == data_tag_) return;
    data_tag_ = tag;
    const qlab::Dataset &train = split.train, &test = split.test;
    worker_post_data(static_cast<double>(tag), train.name.c_str(), train.features, train.classes,
                     train.x.data(), static_cast<int>(train.size()), train.y.data(), test.x.data(),
                     static_cast<int>(test.size()), test.y.data());
}

void WorkerLink::start(long long run, const std::string& model_json,
                       const std::string& checkpoint) {
    run_ = run;
    worker_post_start(static_cast<double>(run), model_json.c_str(), checkpoint.data(),
                      static_cast<int>(checkpoint.size()));
}

void WorkerLink::pause(long long run) {
    worker_post_control("pause", static_cast<double>(run), 0);
}
void WorkerLink::stop() {
    worker_post_control("stop", 0, 0);
}
void WorkerLink::set_update_rounding(long long run, qlab::Rounding rounding) {
    worker_post_control("rounding", static_cast<double>(run), static_cast<int>(rounding));
}
void WorkerLink::set_epochs(long long run, int epochs) {
    worker_post_control("epochs", static_cast<double>(run), epochs);
}

std::vector<RunnerMessage> WorkerLink::take() {
    std::vector<RunnerMessage> out(std::make_move_iterator(inbox_.begin()),
                                   std::make_move_iterator(inbox_.end()));
    inbox_.clear();
    return out;
}

void WorkerLink::post_start(long long id, const std::string& request) {
    ++analyses_posted_;
    worker_post_analysis(static_cast<double>(id), request.data(), static_cast<int>(request.size()));
}
void WorkerLink::post_cancel(long long id) {
    worker_post_control("cancel-analysis", static_cast<double>(id), 0);
}

void WorkerLink::on_died(const std::string& why) {
    died(why);  // the analyses it ran go on in the page's frames
    ready_ = false;
    data_tag_ = -1;  // the new worker has no data
    RunnerMessage m;
    m.run = run_;
    m.kind = RunnerMessage::Kind::died;
    m.text = why;
    inbox_.push_back(std::move(m));
}

const char* WorkerLink::status() const {
    return !enabled ? "off" : ready_ ? "ready" : "starting";
}

}  // namespace quantlab
