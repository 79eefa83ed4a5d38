// The Web Worker's side of a training run (train_worker.hpp): a run arrives as model JSON and a
// TrainJob checkpoint, is stepped in slices, and goes back as progress saves and checkpoints.
#include "lab/train_worker.hpp"

#include <algorithm>

namespace quantlab {

TrainWorker::~TrainWorker() = default;

void TrainWorker::set_data(qlab::Split split) {
    stop();  // a job keeps references to the split it trains on
    split_ = std::move(split);
}

std::string TrainWorker::start(long long run, const std::string& model_json,
                               const std::string& checkpoint) {
    stop();
    // The shape alone: the checkpoint brings the weights (TrainJob::restore below).
    auto model = qlab::model_from_json(model_json, qlab::ModelWeights::omitted);
    if (!model) return "the worker could not read the model: " + model.status().message();
    auto options = qlab::TrainJob::saved_options(checkpoint);
    if (!options) return "the worker could not read the run: " + options.status().message();
    model_ = std::move(model).value();
    job_ = std::make_unique<qlab::TrainJob>(model_, split_.train, &split_.test, *options);
    if (job_->state() == qlab::JobState::failed) {
        const std::string why = job_->status().message();
        job_.reset();
        return "the worker could not start the run: " + why;
    }
    if (qlab::Status st = job_->restore(checkpoint); !st) {
        job_.reset();
        return "the worker could not take the run: " + st.message();
    }
    run_ = run;
    records_sent_ = job_->batches().size();
    last_checkpoint_ms_ = last_progress_ms_ = now_ms_();
    progress_gap_ms_ = kProgressMs;
    return "";
}

void TrainWorker::pause(long long run) {
    if (job_ && run == run_) pausing_ = true;
}

void TrainWorker::stop() {
    job_.reset();
    run_ = 0;
    pausing_ = false;
}

void TrainWorker::set_update_rounding(long long run, qlab::Rounding rounding) {
    if (job_ && run == run_) job_->set_update_rounding(rounding);
}

void TrainWorker::set_epochs(long long run, int epochs) {
    if (job_ && run == run_) job_->set_epochs(epochs);
}

bool TrainWorker::busy() const {
    return job_ && (job_->running() || pausing_);
}

RunnerMessage TrainWorker::checkpoint(bool last) const {
    RunnerMessage m;
    m.run = run_;
    m.kind = RunnerMessage::Kind::checkpoint;
    m.bytes = job_->save(qlab::TrainJob::Saved::checkpoint);
    m.last = last;
    return m;
}

std::vector<RunnerMessage> TrainWorker::step(double budget_ms) {
    std::vector<RunnerMessage> out;
    if (!busy()) return out;
    const double start = now_ms_();
    if (!pausing_)
        while (job_->step(1) && now_ms_() - start < budget_ms) {
        }
    // A checkpoint is exact only between an epoch's evaluation chunks: finish the one under way.
    const bool over = !job_->running();
    if (pausing_ || over) {
        while (job_->evaluating() && job_->step(1)) {
        }
        out.push_back(checkpoint(true));
        stop();
        return out;
    }
    const double now = now_ms_();
    if (now - last_checkpoint_ms_ >= kCheckpointMs && !job_->evaluating()) {
        out.push_back(checkpoint(false));
        last_checkpoint_ms_ = last_progress_ms_ = now;
        records_sent_ = job_->batches().size();
    } else if (now - last_progress_ms_ >= progress_gap_ms_) {
        RunnerMessage m;
        m.run = run_;
        m.bytes = job_->save(qlab::TrainJob::Saved::progress, records_sent_);
        progress_gap_ms_ =
            std::max(kProgressMs, static_cast<double>(m.bytes.size()) / kProgressBytesPerMs);
        records_sent_ = job_->batches().size();
        last_progress_ms_ = now;
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace quantlab
