// EventRepository: the event-specific queries and updates over Repository<Event>.
#include <fmt/format.h>

#include "core/json_check.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

constexpr const char* kReturning = " RETURNING id, data, task_context, created_at, updated_at";

Event decode_event(const Row& row) {
  const ModelBase& m = model<Event>();
  Event e;
  for (std::size_t i = 0; i < m.table().columns.size(); ++i) {
    const Value& v = row[m.table().columns[i].name];
    if (v.is_null()) {
      if (m.table().columns[i].name == "task_context") e.task_context.reset();
      continue;
    }
    m.set(&e, i, v);
  }
  return e;
}

std::string quoted_table() {
  const schema::Table& t = model<Event>().table();
  const std::string name = Connection::quote_identifier(t.name);
  return t.schema.empty() ? name : Connection::quote_identifier(t.schema) + "." + name;
}

// json checked once, as a checked JsonText; InvalidInput(field, reason, byte offset) if refused.
JsonText checked_document(std::string json, std::string_view field, std::size_t max_bytes) {
  std::variant<JsonText, json::Problem> checked = json::check(std::move(json), max_bytes);
  if (json::Problem* problem = std::get_if<json::Problem>(&checked)) {
    throw InvalidInput(std::string(field), problem->reason, problem->offset);
  }
  return std::get<JsonText>(std::move(checked));
}

}  // namespace

EventRepository::EventRepository(Session& session, EventOptions options)
    : session_(&session), options_(options), repo_(session) {}

Event EventRepository::prepare(std::string json, std::string_view field) const {
  Event e;
  e.data = checked_document(std::move(json), field, options_.max_event_bytes);
  if (options_.id_version == IdVersion::v1) e.id = Uuid::v1();
  return e;
}

Event EventRepository::record(std::string_view json) {
  return repo_.create(prepare(std::string(json), "events.data"));
}

std::vector<Event> EventRepository::record_many(const std::vector<std::string>& documents) {
  return record_many(std::vector<std::string>(documents));
}

std::vector<Event> EventRepository::record_many(std::vector<std::string>&& documents) {
  std::vector<Event> batch;
  batch.reserve(documents.size());
  for (std::size_t i = 0; i < documents.size(); ++i) {
    std::variant<JsonText, json::Problem> checked =
        json::check(std::move(documents[i]), options_.max_event_bytes);
    if (json::Problem* problem = std::get_if<json::Problem>(&checked)) {
      // The field is only formatted here: the loop is the bulk path.
      throw InvalidInput(fmt::format("events.data[{}]", i), problem->reason, problem->offset);
    }
    Event& e = batch.emplace_back();
    e.data = std::get<JsonText>(std::move(checked));
    if (options_.id_version == IdVersion::v1) e.id = Uuid::v1();
  }
  repo_.create_many_in_place(batch);
  return batch;
}

std::optional<Event> EventRepository::get(const Uuid& id) {
  return repo_.get(Value(id));
}

Event EventRepository::get_required(const Uuid& id) {
  return repo_.get_required(Value(id));
}

Finder<Event> EventRepository::finder(const EventFilter& filter) {
  Condition where;
  const auto json_filters = [&](const char* column, const std::optional<std::string>& contains,
                                const std::vector<PathStep>& path,
                                const std::optional<Value>& path_equals, const char* field) {
    if (contains) {
      validate_json(*contains, field, options_.max_event_bytes);
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
  Finder<Event> f = repo_.find(where);
  const Direction direction = filter.newest_first ? Direction::desc : Direction::asc;
  // One batch shares one created_at: the id breaks the tie in the same direction, so "newest
  // first" shows the last stored first (UUIDv7 ids increase strictly in the order a process
  // makes them; v1 ids carry no such order).
  f.order_by("created_at", direction);
  f.order_by("id", direction);
  if (filter.limit) f.limit(*filter.limit);
  return f;
}

std::vector<Event> EventRepository::find(const EventFilter& filter) {
  return finder(filter).all();
}

std::int64_t EventRepository::count(const EventFilter& filter) {
  return finder(filter).count();
}

std::vector<Event> EventRepository::find_containing(std::string_view json,
                                                    std::optional<std::int64_t> limit) {
  EventFilter f;
  f.contains = std::string(json);
  f.limit = limit;
  return find(f);
}

std::vector<Event> EventRepository::find_by_path(std::vector<PathStep> path, const Value& equals) {
  EventFilter f;
  f.path = std::move(path);
  f.path_equals = equals;
  return find(f);
}

std::vector<Event> EventRepository::find_in_range(std::optional<Timestamp> since,
                                                  std::optional<Timestamp> until) {
  EventFilter f;
  f.since = since;
  f.until = until;
  return find(f);
}

std::vector<Event> EventRepository::find_unprocessed(std::optional<std::int64_t> limit) {
  EventFilter f;
  f.processed = false;
  f.limit = limit;
  return find(f);
}

std::vector<Event> EventRepository::find_processed(std::optional<std::int64_t> limit) {
  EventFilter f;
  f.processed = true;
  f.limit = limit;
  return find(f);
}

void EventRepository::stream(const EventFilter& filter,
                             const std::function<void(const Event&)>& on_event) {
  finder(filter).stream(on_event);
}

Event EventRepository::set_task_context(const Uuid& id, std::string_view json) {
  JsonText document =
      checked_document(std::string(json), "events.task_context", options_.max_event_bytes);
  return repo_.update_fields(Value(id), {{"task_context", Value(std::move(document))}});
}

Event EventRepository::clear_task_context(const Uuid& id) {
  return repo_.update_fields(Value(id), {{"task_context", Value()}});
}

Event EventRepository::merge_task_context(const Uuid& id, std::string_view patch) {
  JsonText document =
      checked_document(std::string(patch), "events.task_context", options_.max_event_bytes);
  // One statement: the database reads and writes the row under its own lock, so concurrent
  // merges into the same event both land. SQLite's json_patch implements RFC 7386 exactly.
  const std::string sql =
      session_->dialect() == Dialect::postgresql
          ? "UPDATE " + quoted_table() +
                " SET task_context = retort_json_merge_patch(task_context, $1::jsonb), "
                "updated_at = $2 WHERE id = $3" +
                kReturning
          : "UPDATE " + quoted_table() +
                " SET task_context = json_patch(COALESCE(task_context, '{}'), json($1)), "
                "updated_at = $2 WHERE id = $3" +
                kReturning;
  Result r = session_->execute(sql, {std::move(document), Timestamp::now(), id});
  if (r.empty()) throw NotFound(fmt::format("no event with id {}", id.to_string()));
  return decode_event(r.at(0));
}

std::int64_t EventRepository::delete_older_than(Timestamp cutoff) {
  return repo_.remove_where(col("created_at") < Value(cutoff));
}

}  // namespace retort::events
