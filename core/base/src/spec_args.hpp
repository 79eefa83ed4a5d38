// Splits "kind:key=value,..." and reads typed values with messages that name the bad key.
// Shared by every format's parser so that each one only states its keys and their ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qlab/status.hpp"

namespace qlab::detail {

class SpecArgs {
  public:
    // Syntax errors (missing '=', empty or repeated key) come back as a status.
    // Messages start with `noun` and quote `shown` (the spec itself when empty): "format
    // 'fixed:w=99': ..." or "data 'synth:linear:d=0': ...".
    static Result<SpecArgs> split(std::string_view spec, const char* noun = "format",
                                  std::string_view shown = {});

    const std::string& kind() const { return kind_; }
    const std::string& text() const { return text_; }
    // The value written for `key` (nullptr when absent), without counting the key as read.
    const std::string* peek(const char* key) const;
    // Every key=value item, in the order written.
    const std::vector<std::pair<std::string, std::string>>& items() const { return pairs_; }

    // Each reader leaves `out` unchanged when the key is absent and not required.
    Status read_int(const char* key, std::int64_t min, std::int64_t max, bool required,
                    std::int64_t& out);
    Status read_int(const char* key, int min, int max, bool required, int& out);
    Status read_double(const char* key, bool required, double& out);
    Status read_bool(const char* key, bool& out);
    Status read_choice(const char* key, const std::vector<std::string>& choices, std::string& out);
    Status read_string(const char* key, bool required, std::string& out);

    // Fails on any key no reader asked for; `usage` lists the keys this kind takes.
    Status finish(const char* usage) const;
    // A message prefixed with the spec, for range checks that involve several keys.
    Status fail(const std::string& what) const;

  private:
    const std::string* find(const char* key);
    std::string text_;
    std::string prefix_;  // "format 'fixed:w=99': "
    std::string kind_;
    std::vector<std::pair<std::string, std::string>> pairs_;
    std::vector<bool> used_;
};

}  // namespace qlab::detail
