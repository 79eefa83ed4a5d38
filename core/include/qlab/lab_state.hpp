// The lab's whole state as one plain struct with defaults, and the single property table that
// converts it to and from a URL query string and the JS API (no browser globals here).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qlab/status.hpp"

namespace qlab {

struct LabState {
    std::string panel = "formats";
    std::string format = "fixed:w=8,f=4";
    std::string rounding = "rne";
    double x = 0.3;        // the value the Formats panel follows onto the number line
    double y = -0.7;       // second coordinate of the point on the 2-D atom grid
    double lo = -2;        // visible part of the number line, also the range of delta
    double hi = 2;
    double seed = 1;       // stochastic rounding seed (an integer kept as a double for JS)

    bool operator==(const LabState& other) const;
    bool operator!=(const LabState& other) const { return !(*this == other); }
};

enum class PropertyType { text, number, integer };

struct Property {
    const char* key;
    PropertyType type;
    std::string LabState::*text;
    double LabState::*number;
    const char* help;
    Status (*validate)(const std::string& value) = nullptr;  // text values; numbers must be finite
};

// Every setting, in URL order.
const std::vector<Property>& lab_properties();
const Property* find_property(std::string_view key);
const std::vector<std::string>& panel_names();

// The value as it appears in the URL and in getState(); numbers in shortest round-trip form.
std::string property_text(const LabState& state, const Property& property);

// Validates and applies one value. On error the state is unchanged and the message names the
// key and the bad value.
Status set_property(LabState& state, std::string_view key, std::string_view value);

// "panel=formats&format=fixed:w=8,f=4&..."; keeps ':' ',' '=' ';' readable.
std::string to_query(const LabState& state);

// Applies every recognised key of a query (with or without '?'). A bad value keeps the value
// the state had and yields one message; the returned list is empty when all was well.
std::vector<std::string> apply_query(std::string_view query, LabState& state);

std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);

}  // namespace qlab
