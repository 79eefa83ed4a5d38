// The declarations' shared machinery (qlab/format_kinds.hpp, format_params.hpp): range texts and
// usage lines, the builder the format files declare their kinds with, the reader their parsers
// read keys with, and specs read into values and built back from them. format.cpp keeps the
// registry of kinds; each format file declares its own kind beside its parser.
#include "qlab/format_kinds.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "format_params.hpp"

namespace qlab {

using detail::ParamReader;
using detail::SpecArgs;

const char* param_type_name(ParamType type) {
    switch (type) {
        case ParamType::integer:
            return "int";
        case ParamType::number:
            return "number";
        case ParamType::boolean:
            return "bool";
        case ParamType::choice:
            return "choice";
        case ParamType::list:
            return "list of numbers";
        case ParamType::variant:
            return "element type";
    }
    return "?";
}

namespace {

std::string join_choices(const std::vector<ParamChoice>& choices, const char* sep) {
    std::string s;
    for (const auto& c : choices) s += (s.empty() ? "" : sep) + c.name;
    return s;
}

}  // namespace

// ---- 1. What a declaration says about itself ------------------------------------------------

std::string FormatParam::range_text() const {
    switch (type) {
        case ParamType::boolean:
            return "0|1";
        case ParamType::choice:
        case ParamType::variant:
            return join_choices(choices, "|");
        case ParamType::list:
            return shortest_repr(min) + " to " + shortest_repr(max) + " numbers";
        case ParamType::integer:
        case ParamType::number:
            break;
    }
    const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
    if (has_min && has_max && min_inclusive && max_inclusive)
        return (type == ParamType::number && min > 0 ? "positive, from " : "from ") +
               shortest_repr(min) + " to " + shortest_repr(max);
    std::string lower, upper;
    if (has_min)
        lower = !min_inclusive && min == 0 ? "positive"
                                           : (min_inclusive ? ">= " : "> ") + shortest_repr(min);
    if (has_max) upper = (max_inclusive ? "<= " : "< ") + shortest_repr(max);
    if (lower.empty() && upper.empty())
        return type == ParamType::integer ? "any integer" : "any finite number";
    return lower.empty() ? upper : upper.empty() ? lower : lower + " and " + upper;
}

std::string FormatParam::placeholder() const {
    switch (type) {
        case ParamType::integer:
        case ParamType::number:
            return std::string(1, static_cast<char>(std::toupper(key[0])));
        case ParamType::list:
            return "v1;v2;...";
        case ParamType::boolean:
        case ParamType::choice:
        case ParamType::variant:
            return range_text();
    }
    return "?";
}

bool FormatParam::in_range(double v) const {
    if (std::isnan(v)) return false;
    if ((type == ParamType::integer || type == ParamType::list) && v != std::floor(v)) return false;
    const bool above = min_inclusive ? v >= min : v > min;
    const bool below = max_inclusive ? v <= max : v < max;
    return above && below;
}

const FormatParam* FormatForm::find(std::string_view key) const {
    for (const auto& p : params)
        if (p.key == key) return &p;
    return nullptr;
}

std::string FormatForm::usage(const std::string& kind) const {
    std::string s = kind;
    bool first = true;
    for (const auto& p : params) {
        const std::string item =
            (first ? ":" : ",") +
            (p.type == ParamType::variant ? p.placeholder() : p.key + "=" + p.placeholder());
        s += p.required ? item : "[" + item + "]";
        first = false;
    }
    return s;
}

std::string FormatKindInfo::usage() const {
    std::string s;
    for (const auto& f : forms) s += (s.empty() ? "" : " or ") + f.usage(kind);
    return s;
}

bool FormatKindInfo::positional_variant() const {
    for (const auto& f : forms)
        for (const auto& p : f.params)
            if (p.type == ParamType::variant) return true;
    return false;
}

const FormatKindInfo* find_format_kind(std::string_view kind) {
    for (const auto& k : format_kinds())
        if (k.kind == kind) return &k;
    return nullptr;
}

// ---- 2. The builder the format files declare with -------------------------------------------

namespace detail {

Param Param::integer(std::string key, double min, double max) {
    Param p;
    p.p_.key = std::move(key);
    p.p_.type = ParamType::integer;
    p.p_.min = min, p.p_.max = max;
    return p;
}

Param Param::number(std::string key, double min, double max) {
    Param p = integer(std::move(key), min, max);
    p.p_.type = ParamType::number;
    return p;
}

Param Param::boolean(std::string key, bool default_value) {
    Param p = integer(std::move(key), 0, 1);
    p.p_.type = ParamType::boolean;
    p.p_.default_value = default_value ? "1" : "0";
    return p;
}

Param Param::choice(std::string key, std::vector<ParamChoice> choices, std::string default_value) {
    Param p = integer(std::move(key), NAN, NAN);
    p.p_.type = ParamType::choice;
    p.p_.choices = std::move(choices);
    p.p_.default_value = std::move(default_value);
    return p;
}

Param Param::list(std::string key, double min_count, double max_count) {
    Param p = integer(std::move(key), min_count, max_count);
    p.p_.type = ParamType::list;
    return p;
}

Param Param::variant(std::vector<ParamChoice> choices) {
    Param p = choice("variant", std::move(choices), "");
    p.p_.type = ParamType::variant;
    p.p_.required = true;
    p.p_.label = "element type";
    return p;
}

Param& Param::required() {
    p_.required = true;
    return *this;
}
Param& Param::label(std::string text) {
    p_.label = std::move(text);
    return *this;
}
Param& Param::means(std::string text) {
    p_.meaning = std::move(text);
    return *this;
}
Param& Param::by_default(std::string value) {
    p_.default_value = std::move(value);
    return *this;
}
Param& Param::min_exclusive() {
    p_.min_inclusive = false;
    return *this;
}
Param& Param::slider(double lo, double hi, bool logarithmic) {
    p_.slider_min = lo, p_.slider_max = hi, p_.log_slider = logarithmic;
    return *this;
}

// ---- 3. The reader the parsers read keys with -----------------------------------------------

ParamReader::ParamReader(SpecArgs& args, const FormatKindInfo& kind, std::size_t form)
    : args_(args), kind_(kind), form_(kind.forms.at(form)) {}

const FormatParam& ParamReader::param(const char* key, ParamType type) const {
    const FormatParam* p = form_.find(key);
    assert(p && p->type == type && "a parser reads the keys its form declares, as declared");
    (void)type;
    return *p;
}

template <class Read>
Status ParamReader::from_source(const FormatParam& p, Read&& read) {
    if (args_.peek(p.key.c_str()) || p.default_value.empty()) return read(args_);
    assert(!p.required && "a required key has no default");
    auto split = SpecArgs::split(kind_.kind + ":" + p.key + "=" + p.default_value);
    assert(split.ok() && "a declared default is a value");
    SpecArgs defaults = std::move(split).value();
    return read(defaults);
}

Status ParamReader::read(const char* key, std::int64_t& out) {
    const FormatParam& p = param(key, ParamType::integer);
    return from_source(p, [&](SpecArgs& a) {
        return a.read_int(key, static_cast<std::int64_t>(p.min), static_cast<std::int64_t>(p.max),
                          p.required, out);
    });
}

Status ParamReader::read(const char* key, int& out) {
    assert(param(key, ParamType::integer).max <= 2147483647.0 && "an int key fits an int");
    std::int64_t wide = out;
    Status s = read(key, wide);
    if (s) out = static_cast<int>(wide);
    return s;
}

Status ParamReader::read(const char* key, double& out) {
    const FormatParam& p = param(key, ParamType::number);
    double v = out;
    Status s = from_source(p, [&](SpecArgs& a) { return a.read_double(key, p.required, v); });
    if (!s) return s;
    const std::string* written = args_.peek(key);
    if (written && !p.in_range(v))
        return fail("key '" + p.key + "' must be " + p.range_text() + ", got " + *written);
    out = v;
    return s;
}

Status ParamReader::read(const char* key, bool& out) {
    const FormatParam& p = param(key, ParamType::boolean);
    return from_source(p, [&](SpecArgs& a) { return a.read_bool(key, out); });
}

Status ParamReader::read(const char* key, std::string& out) {
    const FormatParam* p = form_.find(key);
    assert(p && (p->type == ParamType::choice || p->type == ParamType::variant));
    std::vector<std::string> names;
    for (const auto& c : p->choices) names.push_back(c.name);
    if (p->type == ParamType::choice)
        return from_source(*p, [&](SpecArgs& a) { return a.read_choice(key, names, out); });
    std::string v, list;
    for (const auto& n : names) list += (list.empty() ? "" : " or ") + kind_.kind + ":" + n;
    if (Status s = args_.read_string(key, false, v); !s) return s;
    if (v.empty()) return fail("missing element type (" + list + ")");
    if (std::find(names.begin(), names.end(), v) == names.end())
        return fail("unknown element type '" + v + "' (expected " + list + ")");
    out = v;
    return Status::success();
}

Status ParamReader::read(const char* key, std::vector<double>& out) {
    const FormatParam& p = param(key, ParamType::list);
    std::string text;
    const bool written = args_.peek(key) != nullptr;
    if (Status s = args_.read_string(key, p.required, text); !s || !written) return s;
    std::vector<double> values;
    for (std::size_t start = 0; !text.empty() && start <= text.size();) {
        const std::size_t semi = std::min(text.find(';', start), text.size());
        const std::string item = text.substr(start, semi - start);
        errno = 0;
        char* end = nullptr;
        const double v = item.empty() ? NAN : std::strtod(item.c_str(), &end);
        if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(v) ||
            errno == ERANGE)
            return fail("key '" + p.key + "': '" + item + "' is not a finite number");
        values.push_back(v);
        start = semi + 1;
    }
    if (!p.in_range(static_cast<double>(values.size())))
        return fail("key '" + p.key + "' must hold " + p.range_text() + ", got " +
                    std::to_string(values.size()));
    out = std::move(values);
    return Status::success();
}

}  // namespace detail

// ---- 4. Specs read into values and built back -----------------------------------------------

namespace {

// The first form that takes every key written and has every key it requires.
std::size_t find_form(const FormatKindInfo& kind, const SpecArgs& args) {
    for (std::size_t i = 0; i < kind.forms.size(); ++i) {
        const FormatForm& form = kind.forms[i];
        bool fits = true;
        for (const auto& item : args.items()) fits = fits && form.find(item.first);
        for (const auto& p : form.params) fits = fits && (!p.required || args.peek(p.key.c_str()));
        if (fits) return i;
    }
    return kind.forms.size();
}

std::string integer_text(double v) {
    return std::fabs(v) < 9e18 ? std::to_string(std::llround(v)) : shortest_repr(v);
}

// One parameter as the parser reads it (its default when absent), in the spec's own words.
Result<FormatParamValue> read_value(ParamReader& reader, const SpecArgs& args,
                                    const FormatParam& p) {
    FormatParamValue out{p.key, args.peek(p.key.c_str()) != nullptr, NAN, ""};
    const bool has = out.present || !p.default_value.empty();
    Status s = Status::success();
    switch (p.type) {
        case ParamType::integer: {
            std::int64_t n = 0;
            s = reader.read(p.key.c_str(), n);
            if (has) out.number = static_cast<double>(n), out.text = std::to_string(n);
            break;
        }
        case ParamType::number: {
            double d = NAN;
            s = reader.read(p.key.c_str(), d);
            if (has) out.number = d, out.text = shortest_repr(d);
            break;
        }
        case ParamType::boolean: {
            bool b = false;
            s = reader.read(p.key.c_str(), b);
            if (has) out.number = b ? 1 : 0, out.text = b ? "1" : "0";
            break;
        }
        case ParamType::choice:
        case ParamType::variant:
            s = reader.read(p.key.c_str(), out.text);
            break;
        case ParamType::list: {
            std::vector<double> values;
            s = reader.read(p.key.c_str(), values);
            for (double v : values) out.text += (out.text.empty() ? "" : ";") + shortest_repr(v);
            break;
        }
    }
    if (!s) return s;
    return out;
}

// What a control shows for a key left out: its default as the parser reads it, or nothing.
FormatParamValue absent_value(const FormatKindInfo& kind, std::size_t form, const FormatParam& p) {
    SpecArgs args = SpecArgs::split(kind.kind).value();
    ParamReader reader(args, kind, form);
    auto v = p.default_value.empty() ? Result<FormatParamValue>(Status::error("no default"))
                                     : read_value(reader, args, p);
    return v.ok() ? *v : FormatParamValue{p.key, false, NAN, ""};
}

}  // namespace

const FormatKindInfo& FormatValues::info() const {
    const FormatKindInfo* k = find_format_kind(kind);
    assert(k && "values of a registered kind");
    return *k;
}

const FormatParam& FormatValues::declaration(std::string_view key) const {
    const FormatParam* p = info().forms.at(form).find(key);
    assert(p && "a key of this form");
    return *p;
}

FormatParamValue* FormatValues::find(std::string_view key) {
    for (auto& p : params)
        if (p.key == key) return &p;
    return nullptr;
}

const FormatParamValue* FormatValues::find(std::string_view key) const {
    for (const auto& p : params)
        if (p.key == key) return &p;
    return nullptr;
}

void FormatValues::set_number(std::string_view key, double v) {
    FormatParamValue* p = find(key);
    assert(p && "a key of this form");
    const ParamType type = declaration(key).type;
    p->present = true;
    p->number = v == 0 ? 0.0 : v;
    p->text = type == ParamType::integer || type == ParamType::boolean ? integer_text(v)
                                                                       : shortest_repr(p->number);
}

void FormatValues::set_text(std::string_view key, std::string text) {
    FormatParamValue* p = find(key);
    assert(p && "a key of this form");
    p->present = true;
    p->number = NAN;
    p->text = std::move(text);
}

void FormatValues::set_present(std::string_view key, bool present) {
    FormatParamValue* p = find(key);
    assert(p && "a key of this form");
    if (p->present == present) return;
    const FormatParam& decl = declaration(key);
    if (!present || !decl.default_value.empty()) {
        *p = absent_value(info(), form, decl);
        p->present = present;
        return;
    }
    for (const auto& example : info().forms.at(form).examples) {
        auto values = format_values(example.spec);
        const FormatParamValue* e = values.ok() ? values->find(key) : nullptr;
        if (e && e->present) {
            *p = *e;
            return;
        }
    }
    set_number(key, std::isfinite(decl.slider_min) ? decl.slider_min : decl.min);
}

Result<FormatValues> format_values(std::string_view spec) {
    auto parsed = Format::parse(spec);
    if (!parsed) return parsed.status();
    return format_values(*parsed);
}

Result<FormatValues> format_values(const Format& format) {
    // The canonical spec: the values as the format holds them (a codebook's sorted atoms).
    const std::string spec = format.to_string();
    auto split = detail::split_format_spec(spec);
    if (!split) return split.status();
    SpecArgs args = std::move(split).value();
    const FormatKindInfo* kind = find_format_kind(args.kind());
    const std::size_t form = kind ? find_form(*kind, args) : 0;
    if (!kind || form == kind->forms.size())
        return args.fail("no form of '" + args.kind() + "' takes these keys");
    FormatValues values{kind->kind, form, {}};
    ParamReader reader(args, *kind, form);
    for (const auto& p : kind->forms[form].params) {
        auto v = read_value(reader, args, p);
        if (!v) return v.status();
        values.params.push_back(*v);
    }
    return values;
}

std::string format_spec(const FormatValues& values) {
    std::string s = values.kind;
    const char* sep = ":";
    for (const auto& p : values.info().forms.at(values.form).params) {
        const FormatParamValue* v = values.find(p.key);
        if (!v || !v->present) continue;
        if (p.type != ParamType::variant && !p.required && v->text == p.default_value) continue;
        s += sep + (p.type == ParamType::variant ? v->text : p.key + "=" + v->text);
        sep = ",";
    }
    return s;
}

FormatValues form_defaults(const std::string& kind, std::size_t form) {
    const FormatKindInfo* k = find_format_kind(kind);
    assert(k && form < k->forms.size() && !k->forms[form].examples.empty());
    auto values = format_values(k->forms[form].examples.front().spec);
    assert(values.ok() && values->form == form && "a form's first example is of that form");
    return *values;
}

FormatValues switch_form(const FormatValues& values, std::size_t form) {
    FormatValues out = form_defaults(values.kind, form);
    for (auto& p : out.params) {
        const FormatParamValue* old = values.find(p.key);
        if (old && old->present && values.declaration(p.key).type == out.declaration(p.key).type)
            p = *old;
    }
    return out;
}

}  // namespace qlab
