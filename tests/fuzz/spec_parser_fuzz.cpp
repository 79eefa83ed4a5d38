// libFuzzer target: format specs and URL queries are untrusted text. Beyond "no crash", it
// checks that a parsed spec's canonical form parses to itself, that it reads back into its
// kind's declared values and builds the same format again, and that quantization keeps its
// basic properties on values taken from the input.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "qlab/format.hpp"
#include "qlab/format_kinds.hpp"
#include "qlab/lab_state.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant failed: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    qlab::LabState state;
    (void)qlab::apply_query(text, state);
    qlab::LabState again;
    check(qlab::apply_query(qlab::to_query(state, true), again).empty(),
          "a state's query applies cleanly");
    check(again == state, "to_query/apply_query round trip");

    auto parsed = qlab::Format::parse(text);
    if (!parsed) {
        check(!parsed.status().message().empty(), "an error has a message");
        return 0;
    }
    const qlab::Format& f = *parsed;
    auto reparsed = qlab::Format::parse(f.to_string());
    check(reparsed.ok() && reparsed->to_string() == f.to_string(),
          "canonical spec is a fixed point");
    // Read back through its kind's declaration and built again: the same format.
    auto declared = qlab::format_values(f);
    check(declared.ok(), "a parsed format reads back into its kind's values");
    auto rebuilt = qlab::Format::parse(qlab::format_spec(*declared));
    check(rebuilt.ok() && rebuilt->to_string() == f.to_string(), "values -> spec: the same format");
    if (f.data_dependent()) return 0;
    // Values from the input bytes themselves, plus a few fixed ones.
    double values[6] = {0.0, -0.0, 1.0, -3.3, 1e30, NAN};
    for (std::size_t i = 0; i + 8 <= size && i / 8 < 6; i += 8)
        std::memcpy(&values[i / 8], data + i, 8);
    for (double x : values) {
        for (qlab::Rounding r : qlab::all_roundings()) {
            qlab::Rng rng(1);
            const double q = f.quantize_ref(x, r, &rng);
            if (std::isnan(x)) {
                check(std::isnan(q), "NaN stays NaN");
                continue;
            }
            check(std::isnan(f.quantize_ref(q, r, &rng)) == std::isnan(q), "no NaN from a number");
            if (std::isfinite(q)) check(f.quantize_ref(q, r, &rng) == q, "idempotent");
        }
    }
    return 0;
}
