// libFuzzer target for the dataset loaders: the input is tried as CSV, as libsvm, as a data spec,
// and split in two as an IDX image/label pair. Any result must be a consistent dataset.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "qlab/dataset.hpp"

namespace {

void check_consistent(const qlab::Result<qlab::Dataset>& r) {
    if (!r.ok()) {
        if (r.status().message().empty()) std::abort();
        return;
    }
    const qlab::Dataset& d = *r;
    if (d.x.size() != d.size() * static_cast<std::size_t>(d.features) || d.classes < 1)
        std::abort();
    for (int y : d.y)
        if (y < 0 || y >= d.classes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_consistent(qlab::parse_csv(text, "fuzz.csv"));
    check_consistent(qlab::parse_csv(text, "fuzz.csv", 0));
    check_consistent(qlab::parse_libsvm(text, "fuzz.svm"));
    // Data specs without size keys stay small (a fuzzed n or d of 1e7 would only time the
    // generator).
    if (text.rfind("synth:", 0) == 0 && size < 200 && text.find("n=") == std::string::npos &&
        text.find("d=") == std::string::npos)
        check_consistent(qlab::load_data_spec(text));
    const std::size_t half = size / 2;
    check_consistent(qlab::parse_idx(std::vector<std::uint8_t>(data, data + half),
                                     std::vector<std::uint8_t>(data + half, data + size),
                                     "fuzz.idx"));
    return 0;
}
