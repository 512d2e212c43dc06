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

// A new event holding json (not yet checked), with a v1 id when asked (v7 is the model's client
// default, filled in on insert).
Event new_event(std::string json, IdVersion id_version);

// InvalidInput(field) when json is over max_bytes. The size limit is the event store's own;
// everything else about a document (UTF-8, NUL, syntax, \u0000 escapes) the repository checks
// on its way in, so a valid document is parsed once.
void require_size(std::string_view json, std::string_view field, std::size_t max_bytes);

// After the repository refused json (its InvalidInput says what but not where): throws
// InvalidInput(field, reason, byte offset) when check_json finds the problem; else returns.
void explain_refusal(std::string_view json, std::string_view field, std::size_t max_bytes);

// The query find() runs for filter: conditions, order (created_at then id, in the filter's
// direction) and limit. Throws InvalidInput for a containment document that is not JSON.
QuerySpec find_query(const EventFilter& filter, std::size_t max_bytes);

// The UPDATE of merge_task_context (RFC 7386 in the database, one statement) returning the row.
// Throws InvalidInput for a patch that is not JSON.
Statement merge_statement(Dialect dialect, const Uuid& id, std::string_view patch,
                          std::size_t max_bytes);

// An event from a row of merge_statement.
Event decode_event(const Row& row);

}  // namespace retort::events::detail
