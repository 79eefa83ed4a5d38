// What every reader and writer of qlab/analysis_bytes.hpp shares: each value starts with a tag of
// its type, so a result is never read as another's; readers fill a copy and move it into `out`
// only when every byte fitted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qlab/bytes.hpp"
#include "qlab/status.hpp"

namespace qlab::analysis_bytes {

enum class Tag : std::uint8_t {
    sensitivity_options = 1,
    sensitivity_result,
    sakr_options,
    sakr,
    sakr_sim_request,
    sakr_sim_result,
    lin_sweep_options,
    lin_sweep_result,
    tradeoff_options,
    tradeoff_result,
    bitflip_options,
    bitflip_result,
    kundu_options,
    kundu_result,
    pareto_options,
    pareto_result,
    kundu_tables_options,
    kundu_tables_result,
    kundu_tables_request,
    sweep_request,
    sweep_result,
    calibration_request,
    calibration_result,
};

inline ByteWriter tagged(Tag tag) {
    ByteWriter w;
    w.pod(tag);
    return w;
}

// Reads `bytes` with `read` into a copy of T; `out` takes it when it all fitted.
template <class T, class Read>
Status read_tagged(std::string_view bytes, Tag tag, const char* what, T& out, Read read) {
    ByteReader r(bytes);
    T value{};
    if (r.pod<Tag>() != tag) return Status::error(std::string("not the bytes of ") + what);
    read(r, value);
    if (!r.ok() || !r.at_end())
        return Status::error(std::string("the bytes of ") + what + " are cut short or too long");
    out = std::move(value);
    return Status::success();
}

template <class T>
void write_values(ByteWriter& w, const std::vector<T>& v) {
    w.array(v.data(), v.size());
}

inline void write_texts(ByteWriter& w, const std::vector<std::string>& texts) {
    w.pod<std::uint64_t>(texts.size());
    for (const std::string& t : texts) w.text(t);
}

inline void read_texts(ByteReader& r, std::vector<std::string>& texts) {
    texts.resize(r.count(sizeof(std::uint64_t)));
    for (std::string& t : texts) t = r.text();
}

}  // namespace qlab::analysis_bytes
