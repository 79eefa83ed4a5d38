// Key=value reading for format specs, with messages that quote the spec and name the key.
#include "spec_args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace qlab::detail {
namespace {

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    return std::string(s.substr(b, e - b));
}

bool parse_int64(const std::string& s, std::int64_t& out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || end != s.c_str() + s.size()) return false;
    out = v;
    return true;
}

}  // namespace

Result<SpecArgs> SpecArgs::split(std::string_view spec, const char* noun, std::string_view shown) {
    SpecArgs args;
    args.text_ = trim(spec);
    args.prefix_ =
        std::string(noun) + " '" + (shown.empty() ? args.text_ : std::string(shown)) + "': ";
    if (args.text_.empty()) return Status::error("empty " + std::string(noun) + " spec");
    const std::size_t colon = args.text_.find(':');
    args.kind_ = trim(std::string_view(args.text_).substr(0, colon));
    if (args.kind_.empty()) return Status::error(args.prefix_ + "missing kind before ':'");
    if (colon == std::string::npos) return args;
    std::string_view rest = std::string_view(args.text_).substr(colon + 1);
    if (trim(rest).empty()) return args;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string item = trim(rest.substr(0, comma));
        const std::size_t eq = item.find('=');
        if (item.empty()) return Status::error(args.prefix_ + "empty item between commas");
        if (eq == std::string::npos)
            return Status::error(args.prefix_ + "'" + item + "' is not key=value");
        std::string key = trim(std::string_view(item).substr(0, eq));
        std::string value = trim(std::string_view(item).substr(eq + 1));
        if (key.empty()) return Status::error(args.prefix_ + "empty key in '" + item + "'");
        for (const auto& p : args.pairs_)
            if (p.first == key)
                return Status::error(args.prefix_ + "key '" + key + "' given twice");
        args.pairs_.emplace_back(std::move(key), std::move(value));
        if (comma == std::string::npos) break;
        rest = rest.substr(comma + 1);
    }
    args.used_.assign(args.pairs_.size(), false);
    return args;
}

const std::string* SpecArgs::find(const char* key) {
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        if (pairs_[i].first == key) {
            used_[i] = true;
            return &pairs_[i].second;
        }
    }
    return nullptr;
}

const std::string* SpecArgs::peek(const char* key) const {
    for (const auto& p : pairs_)
        if (p.first == key) return &p.second;
    return nullptr;
}

Status SpecArgs::fail(const std::string& what) const {
    return Status::error(prefix_ + what);
}

Status SpecArgs::read_int(const char* key, std::int64_t min, std::int64_t max, bool required,
                          std::int64_t& out) {
    const std::string* v = find(key);
    const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v) return required ? fail("missing key '" + std::string(key) + "'") : Status::success();
    std::int64_t parsed = 0;
    if (!parse_int64(*v, parsed))
        return fail("key '" + std::string(key) + "' must be an integer" + range + ", got '" + *v +
                    "'");
    if (parsed < min || parsed > max)
        return fail("key '" + std::string(key) + "' must be" + range + ", got " + *v);
    out = parsed;
    return Status::success();
}

Status SpecArgs::read_int(const char* key, int min, int max, bool required, int& out) {
    std::int64_t wide = out;
    Status s = read_int(key, std::int64_t{min}, std::int64_t{max}, required, wide);
    if (s) out = static_cast<int>(wide);
    return s;
}

Status SpecArgs::read_double(const char* key, bool required, double& out) {
    const std::string* v = find(key);
    if (!v) return required ? fail("missing key '" + std::string(key) + "'") : Status::success();
    errno = 0;
    char* end = nullptr;
    const double parsed = v->empty() ? NAN : std::strtod(v->c_str(), &end);
    if (v->empty() || end != v->c_str() + v->size() || !std::isfinite(parsed) || errno == ERANGE)
        return fail("key '" + std::string(key) + "' must be a finite number, got '" + *v + "'");
    out = parsed;
    return Status::success();
}

Status SpecArgs::read_bool(const char* key, bool& out) {
    const std::string* v = find(key);
    if (!v) return Status::success();
    if (*v == "1" || *v == "true" || *v == "yes") {
        out = true;
    } else if (*v == "0" || *v == "false" || *v == "no") {
        out = false;
    } else {
        return fail("key '" + std::string(key) + "' must be 0 or 1, got '" + *v + "'");
    }
    return Status::success();
}

Status SpecArgs::read_choice(const char* key, const std::vector<std::string>& choices,
                             std::string& out) {
    const std::string* v = find(key);
    if (!v) return Status::success();
    for (const auto& c : choices) {
        if (*v == c) {
            out = c;
            return Status::success();
        }
    }
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
    return fail("key '" + std::string(key) + "' must be " + list + ", got '" + *v + "'");
}

Status SpecArgs::read_string(const char* key, bool required, std::string& out) {
    const std::string* v = find(key);
    if (!v) return required ? fail("missing key '" + std::string(key) + "'") : Status::success();
    out = *v;
    return Status::success();
}

Status SpecArgs::finish(const char* usage) const {
    for (std::size_t i = 0; i < pairs_.size(); ++i)
        if (!used_[i])
            return fail("unknown key '" + pairs_[i].first + "' (expected " + usage + ")");
    return Status::success();
}

}  // namespace qlab::detail
