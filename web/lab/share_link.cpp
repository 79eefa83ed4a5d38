// The query of a shared link (share_link.hpp).
#include "lab/share_link.hpp"

namespace quantlab {

namespace {

// The state a lab starts from when it opens a link (App: a default state, then the query).
qlab::LabState opened_on(const std::string& query) {
    qlab::LabState s;
    qlab::apply_query(query, s);
    return s;
}

}  // namespace

bool query_reproduces(const std::string& query, const qlab::LabState& state) {
    const qlab::LabState opened = opened_on(query);
    for (const qlab::Property& p : qlab::lab_properties())
        if (qlab::property_text(opened, p) != qlab::property_text(state, p)) return false;
    return true;
}

std::string share_query(const qlab::LabState& state) {
    std::string query = qlab::to_query(state);
    const qlab::LabState opened = opened_on(query);
    for (const qlab::Property& p : qlab::lab_properties()) {
        const std::string value = qlab::property_text(state, p);
        if (qlab::property_text(opened, p) == value) continue;
        query += '&';
        query += p.key;
        query += '=';
        query += qlab::percent_encode(value);
    }
    if (query_reproduces(query, state)) return query;
    return qlab::to_query(state, true);  // a rule refused the order above: every key
}

}  // namespace quantlab
