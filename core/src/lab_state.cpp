// The property table behind URL state and the JS API, with per-key validation.
#include "qlab/lab_state.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "format_impls.hpp"
#include "qlab/format.hpp"

namespace qlab {

bool LabState::operator==(const LabState& o) const {
    for (const Property& p : lab_properties())
        if (property_text(*this, p) != property_text(o, p)) return false;
    return true;
}

const std::vector<std::string>& panel_names() {
    static const std::vector<std::string> names = {"formats"};
    return names;
}

namespace {

Status validate_panel(const std::string& value) {
    for (const auto& name : panel_names())
        if (value == name) return Status::success();
    std::string list;
    for (const auto& name : panel_names()) list += (list.empty() ? "" : ", ") + name;
    return Status::error("unknown panel '" + value + "' (known: " + list + ")");
}
Status validate_format(const std::string& value) { return Format::parse(value).status(); }
Status validate_rounding(const std::string& value) { return parse_rounding(value).status(); }

}  // namespace

const std::vector<Property>& lab_properties() {
    static const std::vector<Property> table = {
        {"panel", PropertyType::text, &LabState::panel, nullptr, "which lesson is open", validate_panel},
        {"format", PropertyType::text, &LabState::format, nullptr, "number format spec", validate_format},
        {"rounding", PropertyType::text, &LabState::rounding, nullptr, "rounding mode", validate_rounding},
        {"x", PropertyType::number, nullptr, &LabState::x, "value placed on the number line"},
        {"y", PropertyType::number, nullptr, &LabState::y, "second coordinate on the 2-D atom grid"},
        {"lo", PropertyType::number, nullptr, &LabState::lo, "left end of the number line"},
        {"hi", PropertyType::number, nullptr, &LabState::hi, "right end of the number line"},
        {"seed", PropertyType::integer, nullptr, &LabState::seed, "stochastic rounding seed"},
    };
    return table;
}

const Property* find_property(std::string_view key) {
    for (const Property& p : lab_properties())
        if (key == p.key) return &p;
    return nullptr;
}

std::string property_text(const LabState& state, const Property& p) {
    if (p.text) return state.*p.text;
    return detail::shortest_repr(state.*p.number);
}

Status set_property(LabState& state, std::string_view key, std::string_view value) {
    const Property* p = find_property(key);
    if (!p) return Status::error("unknown setting '" + std::string(key) + "'");
    const std::string text(value);
    if (p->text) {
        if (Status s = p->validate ? p->validate(text) : Status::success(); !s)
            return Status::error("bad value for '" + std::string(key) + "': " + s.message());
        state.*p->text = text;
        return Status::success();
    }
    errno = 0;
    char* end = nullptr;
    const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
        return Status::error("bad value for '" + std::string(key) + "': '" + text +
                             "' is not a finite number");
    if (p->type == PropertyType::integer && (v != std::floor(v) || std::fabs(v) > 0x1p53))
        return Status::error("bad value for '" + std::string(key) + "': '" + text +
                             "' is not an integer");
    LabState candidate = state;
    candidate.*p->number = v;
    if (!(candidate.lo < candidate.hi))
        return Status::error("bad value for '" + std::string(key) + "': the number line needs lo < hi (lo=" +
                             detail::shortest_repr(candidate.lo) + ", hi=" +
                             detail::shortest_repr(candidate.hi) + ")");
    state = candidate;
    return Status::success();
}

std::string percent_encode(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == ',' ||
                           c == '=' || c == ';';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string percent_decode(std::string_view text) {
    auto hex_value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;  // a stray '%' stays literal rather than failing the whole URL
        }
    }
    return out;
}

std::string to_query(const LabState& state) {
    std::string q;
    for (const Property& p : lab_properties()) {
        if (!q.empty()) q += '&';
        q += p.key;
        q += '=';
        q += percent_encode(property_text(state, p));
    }
    return q;
}

std::vector<std::string> apply_query(std::string_view query, LabState& state) {
    std::vector<std::string> messages;
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);
    // lo and hi are checked as a pair, so apply them last and together.
    std::string pending_lo, pending_hi;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view item = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        const std::string key = percent_decode(item.substr(0, eq));
        const std::string value = eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1));
        if (!find_property(key)) {
            if (key != "hide" && key != "embed")  // read by the JS shell, not by the state
                messages.push_back("ignored unknown URL key '" + key + "'");
            continue;
        }
        if (key == "lo") { pending_lo = value; continue; }
        if (key == "hi") { pending_hi = value; continue; }
        const std::string before = property_text(state, *find_property(key));
        if (Status s = set_property(state, key, value); !s)
            messages.push_back(s.message() + "; kept " + key + "=" + before);
    }
    if (!pending_lo.empty() || !pending_hi.empty()) {
        LabState trial = state;
        Status s = Status::success();
        // Set in the order that keeps lo < hi along the way.
        auto apply = [&](const char* key, const std::string& v) {
            if (s && !v.empty()) s = set_property(trial, key, v);
        };
        if (!pending_hi.empty() && std::strtod(pending_hi.c_str(), nullptr) > trial.hi) {
            apply("hi", pending_hi), apply("lo", pending_lo);
        } else {
            apply("lo", pending_lo), apply("hi", pending_hi);
        }
        if (s) state = trial;
        else messages.push_back(s.message() + "; kept lo=" + detail::shortest_repr(state.lo) +
                                ", hi=" + detail::shortest_repr(state.hi));
    }
    return messages;
}

}  // namespace qlab
