// What the blocking EventRepository and the asynchronous one (retort/async_events.hpp) share:
// how a new event is made and its document checked, the query a filter selects, the merge
// statement and the decoding of its row. Each face only runs the statements.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "retort/connection.hpp"
#include "retort/events.hpp"
#include "retort/query.hpp"

namespace retort::events::detail {

// json checked once (json::check: size, NUL, UTF-8, depth, syntax, \u0000, with the byte offset),
// as a checked JsonText that nothing below checks again; InvalidInput(field, reason, offset) when
// it is refused.
JsonText checked_document(std::string json, std::string_view field, std::size_t max_bytes);

// A new event holding json, checked here (see checked_document), with a v1 id when asked (v7 is
// the model's client default, filled in on insert).
Event new_event(std::string json, std::string_view field, std::size_t max_bytes,
                IdVersion id_version);

// The query find() runs for filter: conditions, order (created_at then id, in the filter's
// direction) and limit. Throws InvalidInput for a containment document that is not JSON.
QuerySpec find_query(const EventFilter& filter, std::size_t max_bytes);

// The UPDATE of merge_task_context (RFC 7386 in the database, one statement) returning the row.
// Throws InvalidInput(field, reason, offset) for a patch that is not JSON.
Statement merge_statement(Dialect dialect, const Uuid& id, std::string_view patch,
                          std::size_t max_bytes);

// An event from a row of merge_statement.
Event decode_event(const Row& row);

// What a NULL `data` reads as where an event is decoded outside the model (claims): the JSON
// document null, as the model reads it (a plain JsonText member: retort::ModelBase::set). The
// original service's SQLAlchemy model leaves the column nullable and serialised Python's None as
// null; reading NULL as null keeps Event::data a plain document, at the cost of the SQL NULL /
// JSON null distinction (docs/events.md, "Rows whose data is NULL").
JsonText null_data();

// The data of a row: value itself, or null_data() when it is NULL.
JsonText data_of(const Value& value);

}  // namespace retort::events::detail
