// The text of a job's state, shared by every place that prints one.
#include "qlab/job.hpp"

namespace qlab {

const char* job_state_name(JobState state) {
    switch (state) {
        case JobState::running:
            return "running";
        case JobState::finished:
            return "finished";
        case JobState::cancelled:
            return "cancelled";
        case JobState::failed:
            return "failed";
    }
    return "failed";
}

}  // namespace qlab
