// How a format file declares its kind (qlab/format_kinds.hpp) and how its parser reads the
// declared keys: the range, whether the key is required and its default all come from the
// declaration, so the parser never writes a second copy of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qlab/format_kinds.hpp"
#include "spec_args.hpp"

namespace qlab::detail {

// A parameter declaration, written as a chain:
//   Param::integer("w", 2, 53).required().label("bits").means("width in bits, sign included")
class Param {
  public:
    static Param integer(std::string key, double min, double max);
    static Param number(std::string key, double min, double max);
    static Param boolean(std::string key, bool default_value);
    static Param choice(std::string key, std::vector<ParamChoice> choices,
                        std::string default_value);
    static Param list(std::string key, double min_count, double max_count);
    static Param variant(std::vector<ParamChoice> choices);  // positional, always required

    Param& required();
    Param& label(std::string text);
    Param& means(std::string text);
    Param& by_default(std::string value);
    Param& min_exclusive();  // the min itself does not parse (alpha > 0)
    Param& slider(double lo, double hi, bool logarithmic = false);
    operator FormatParam() const { return p_; }  // NOLINT: the chain ends in a declaration

  private:
    FormatParam p_;
};

// Splits a spec as Format::parse does: a positional variant ("fp8:e4m3,sat=1") reaches the
// readers as the key "variant" while messages still quote the spec as written.
Result<SpecArgs> split_format_spec(std::string_view spec);

// Reads the keys of one form of a kind through its declaration. A key absent from the spec
// takes the declared default (read as if written); absent without a default leaves `out` as it
// was; absent and required is an error naming it. Every reader checks the declared range.
class ParamReader {
  public:
    ParamReader(SpecArgs& args, const FormatKindInfo& kind, std::size_t form = 0);
    Status read(const char* key, int& out);
    Status read(const char* key, std::int64_t& out);
    Status read(const char* key, double& out);
    Status read(const char* key, bool& out);
    Status read(const char* key, std::string& out);          // choice or variant
    Status read(const char* key, std::vector<double>& out);  // list
    Status fail(const std::string& what) const { return args_.fail(what); }

  private:
    const FormatParam& param(const char* key, ParamType type) const;
    // Runs read(args) on the spec's args, or on a one-key spec of the default when the key is
    // absent and has one.
    template <class Read>
    Status from_source(const FormatParam& p, Read&& read);
    SpecArgs& args_;
    const FormatKindInfo& kind_;
    const FormatForm& form_;
};

}  // namespace qlab::detail
