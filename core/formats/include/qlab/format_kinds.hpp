// What each format kind takes, declared once: its parameters (key, type, range, default,
// meaning) in one or more alternative forms. The parsers read their keys through these
// declarations, and the lab's controls, the CLI's help and docs/formats.md are built from them,
// so adding a kind (format.cpp's registry) adds its controls and its documentation.
// FormatValues reads a spec back into (kind, form, values) and builds a spec from them.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/status.hpp"

namespace qlab {

enum class ParamType {
    integer,  // a whole number within [min, max]
    number,   // a finite double within min and max (each bound inclusive or not)
    boolean,  // 0 or 1 (true/false and yes/no also parse)
    choice,   // one of `choices`
    list,     // numbers separated by ';'; min and max bound how many
    variant,  // one of `choices`, written without a key right after the kind: fp8:e4m3
};
const char* param_type_name(ParamType type);  // "int", "number", "bool", "choice", ...

struct ParamChoice {
    std::string name;
    std::string meaning;
};

struct FormatParam {
    std::string key;  // as written in a spec ("variant" for a positional one)
    ParamType type = ParamType::integer;
    std::string label;    // a few words for a control: "fraction bits"
    std::string meaning;  // one line
    // integer, number: the values that parse; list: how many numbers it holds.
    double min = -INFINITY, max = INFINITY;
    bool min_inclusive = true, max_inclusive = true;
    bool required = false;
    // What the parser uses when the key is absent, as spec text; empty: no default (absent then
    // means what `meaning` says, e.g. fitted from the data).
    std::string default_value;
    std::vector<ParamChoice> choices;  // choice and variant
    // The span a slider covers (inside [min, max]; NaN: the whole range), and whether it is
    // logarithmic. Typed values may go anywhere the range allows.
    double slider_min = NAN, slider_max = NAN;
    bool log_slider = false;

    // "from 2 to 53", "positive and <= 1e+300", ">= 0", "1 to 65536 numbers", "e4m3|e5m2"
    std::string range_text() const;
    // How the usage line writes the value: "W", "0|1", "sat|wrap", "v1;v2;..."
    std::string placeholder() const;
    bool in_range(double v) const;
};

struct FormatExample {
    std::string spec;
    std::string name;  // a short name for a quick pick ("binary16"); empty: none
};

// One way of writing a kind (int has an affine and a group-wise form).
struct FormatForm {
    std::string name;  // empty when the kind has a single form
    std::string meaning;
    std::vector<FormatParam> params;
    std::vector<FormatExample> examples;  // valid specs; the first is where a control starts

    const FormatParam* find(std::string_view key) const;
    std::string usage(const std::string& kind) const;  // "fixed:w=W,f=F[,overflow=sat|wrap]"
};

struct FormatKindInfo {
    std::string kind;
    std::string meaning;  // one line, with the paper it comes from where there is one
    std::vector<FormatForm> forms;

    std::string usage() const;  // the forms' usages joined by " or "
    bool positional_variant() const;
};

// Every kind the parser knows, in the registry's order.
const std::vector<FormatKindInfo>& format_kinds();
const FormatKindInfo* find_format_kind(std::string_view kind);

// One parameter of a spec as a control shows it.
struct FormatParamValue {
    std::string key;
    bool present = false;  // false: absent, the parser uses the default (or fits the value)
    double number = NAN;   // integer, number and boolean (0 or 1): the value, or the default
    std::string text;      // the value as the spec writes it ("" when absent without default)
};

// A spec seen through its kind's declaration: which kind and form, and each parameter's value.
struct FormatValues {
    std::string kind;
    std::size_t form = 0;
    std::vector<FormatParamValue> params;  // the form's parameters, in declaration order

    const FormatKindInfo& info() const;
    const FormatParam& declaration(std::string_view key) const;
    FormatParamValue* find(std::string_view key);
    const FormatParamValue* find(std::string_view key) const;
    // Set a value (present from then on): numbers are written as the spec writes them.
    void set_number(std::string_view key, double v);
    void set_text(std::string_view key, std::string text);
    // Leave an optional key out (the default applies), or put it back with a value to start
    // from: its default, else its value in the form's first example that has it, else the
    // slider's low end.
    void set_present(std::string_view key, bool present);
};

// Reads any spec the parser accepts (a Format's to_string() included) into its values; absent
// keys carry their defaults. Fitted formats' descriptions (Format::fit) are not specs.
Result<FormatValues> format_values(std::string_view spec);
Result<FormatValues> format_values(const Format& format);
// The spec text of these values: the kind, a positional variant, then every present key that
// differs from its default, in declaration order. Format::parse judges it.
std::string format_spec(const FormatValues& values);
// The values of a form's first example (where a control starts when that kind is picked).
FormatValues form_defaults(const std::string& kind, std::size_t form = 0);
// Another form of the same kind, keeping the values of the keys both forms share.
FormatValues switch_form(const FormatValues& values, std::size_t form);

}  // namespace qlab
