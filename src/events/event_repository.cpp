// EventRepository: the event-specific queries and updates over Repository<Event>.
#include <fmt/format.h>

#include "core/json_check.hpp"
#include "events/event_statements.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {

EventRepository::EventRepository(Session& session, EventOptions options)
    : session_(&session), options_(options), repo_(session) {}

Event EventRepository::prepare(std::string json, std::string_view field) const {
  return detail::new_event(std::move(json), field, options_.max_event_bytes, options_.id_version);
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
  const QuerySpec spec = detail::find_query(filter, options_.max_event_bytes);
  Finder<Event> f = repo_.find(spec.where);
  for (const OrderTerm& term : spec.order) f.order_by(term.column, term.direction);
  if (spec.limit) f.limit(*spec.limit);
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
      detail::checked_document(std::string(json), "events.task_context", options_.max_event_bytes);
  return repo_.update_fields(Value(id), {{"task_context", Value(std::move(document))}});
}

Event EventRepository::clear_task_context(const Uuid& id) {
  return repo_.update_fields(Value(id), {{"task_context", Value()}});
}

Event EventRepository::merge_task_context(const Uuid& id, std::string_view patch) {
  const Statement merge =
      detail::merge_statement(session_->dialect(), id, patch, options_.max_event_bytes);
  Result r = session_->execute(merge.sql, merge.params);
  if (r.empty()) throw NotFound(fmt::format("no event with id {}", id.to_string()));
  return detail::decode_event(r.at(0));
}

std::int64_t EventRepository::delete_older_than(Timestamp cutoff) {
  return repo_.remove_where(col("created_at") < Value(cutoff));
}

}  // namespace retort::events
