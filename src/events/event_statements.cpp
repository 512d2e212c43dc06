// The statements and checks both event repositories share (see event_statements.hpp).
#include "events/event_statements.hpp"

#include <fmt/format.h>

#include "core/json_check.hpp"
#include "retort/error.hpp"
#include "retort/model.hpp"

namespace retort::events::detail {
namespace {

constexpr const char* kReturning = " RETURNING id, data, task_context, created_at, updated_at";

std::string quoted_table() {
  const schema::Table& t = model<Event>().table();
  const std::string name = Connection::quote_identifier(t.name);
  return t.schema.empty() ? name : Connection::quote_identifier(t.schema) + "." + name;
}

}  // namespace

JsonText checked_document(std::string json, std::string_view field, std::size_t max_bytes) {
  std::variant<JsonText, json::Problem> checked = json::check(std::move(json), max_bytes);
  if (json::Problem* problem = std::get_if<json::Problem>(&checked)) {
    throw InvalidInput(std::string(field), problem->reason, problem->offset);
  }
  return std::get<JsonText>(std::move(checked));
}

Event new_event(std::string json, std::string_view field, std::size_t max_bytes,
                IdVersion id_version) {
  Event e;
  e.data = checked_document(std::move(json), field, max_bytes);
  if (id_version == IdVersion::v1) e.id = Uuid::v1();
  return e;
}

QuerySpec find_query(const EventFilter& filter, std::size_t max_bytes) {
  QuerySpec spec;
  Condition& where = spec.where;
  const auto json_filters = [&](const char* column, const std::optional<std::string>& contains,
                                const std::vector<PathStep>& path,
                                const std::optional<Value>& path_equals, const char* field) {
    if (contains) {
      validate_json(*contains, field, max_bytes);
      where = where && col(column).contains(*contains);
    }
    if (!path.empty()) {
      JsonPathRef ref = col(column).path(path);
      where = where && (path_equals ? ref == *path_equals : ref.exists());
    }
  };
  json_filters("data", filter.contains, filter.path, filter.path_equals, "contains");
  json_filters("task_context", filter.context_contains, filter.context_path,
               filter.context_path_equals, "context_contains");
  if (filter.since || filter.until) {
    where = where && col("created_at")
                         .in_range(filter.since ? Value(*filter.since) : Value(),
                                   filter.until ? Value(*filter.until) : Value());
  }
  if (filter.processed) {
    where = where &&
            (*filter.processed ? col("task_context").is_not_null() : col("task_context").is_null());
  }
  const Direction direction = filter.newest_first ? Direction::desc : Direction::asc;
  // One batch shares one created_at: the id breaks the tie in the same direction, so "newest
  // first" shows the last stored first (UUIDv7 ids increase strictly in the order a process
  // makes them; v1 ids carry no such order).
  spec.order = {{"created_at", direction}, {"id", direction}};
  spec.limit = filter.limit;
  return spec;
}

Statement merge_statement(Dialect dialect, const Uuid& id, std::string_view patch,
                          std::size_t max_bytes) {
  JsonText document = checked_document(std::string(patch), "events.task_context", max_bytes);
  // One statement: the database reads and writes the row under its own lock, so concurrent
  // merges into the same event both land. SQLite's json_patch implements RFC 7386 exactly.
  const char* merged =
      dialect == Dialect::postgresql
          ? " SET task_context = retort_json_merge_patch(task_context, $1::jsonb), "
          : " SET task_context = json_patch(COALESCE(task_context, '{}'), json($1)), ";
  return Statement{
      "UPDATE " + quoted_table() + merged + "updated_at = $2 WHERE id = $3" + kReturning,
      {Value(std::move(document)), Value(Timestamp::now()), Value(id)}};
}

Event decode_event(const Row& row) {
  const ModelBase& m = model<Event>();
  Event e;
  // The model's decoding: a NULL data reads as null_data() (see the Event model).
  for (std::size_t i = 0; i < m.table().columns.size(); ++i) {
    m.set(&e, i, row[m.table().columns[i].name]);
  }
  return e;
}

JsonText null_data() {
  return JsonText::checked("null", "events.data");
}

JsonText data_of(const Value& value) {
  if (value.is_null()) return null_data();
  if (value.kind() == Value::Kind::json) return value.as_json();
  return JsonText{value.as_text()};
}

}  // namespace retort::events::detail
