// The query of a link to share: opening it reproduces the whole state (getState()), not only the
// shared keys and the open lesson's that the address bar carries.
#pragma once

#include <string>

#include "qlab/lab_state.hpp"

namespace quantlab {

// The address bar's query (qlab::to_query), then every other key whose value a lab opened on
// that query would not have; every key of every lesson if that still would not reproduce it.
std::string share_query(const qlab::LabState& state);
// Whether a lab opened on `query` (a default state, then the query applied) has `state`.
bool query_reproduces(const std::string& query, const qlab::LabState& state);

}  // namespace quantlab
