// EventRepository: the event-specific queries and updates over Repository<Event>.
#include <fmt/format.h>

#include "events/event_statements.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {

EventRepository::EventRepository(Session& session, EventOptions options)
    : session_(&session), options_(options), repo_(session) {}

Event EventRepository::prepare(std::string json) const {
  return detail::new_event(std::move(json), options_.id_version);
}

Event EventRepository::record(std::string_view json) {
  require_size(json, "events.data");
  try {
    return repo_.create(prepare(std::string(json)));
  } catch (const InvalidInput&) {
    explain_refusal(json, "events.data");
    throw;
  }
}

std::vector<Event> EventRepository::record_many(const std::vector<std::string>& documents) {
  return record_many(std::vector<std::string>(documents));
}

std::vector<Event> EventRepository::record_many(std::vector<std::string>&& documents) {
  std::vector<Event> batch;
  batch.reserve(documents.size());
  for (std::string& document : documents) {
    require_size(document, "events.data");
    batch.push_back(prepare(std::move(document)));
  }
  try {
    repo_.create_many_in_place(batch);
  } catch (const InvalidInput&) {
    // The first refused document, named by its index (the field is only formatted here: the
    // loop above is the bulk path).
    for (std::size_t i = 0; i < batch.size(); ++i) {
      explain_refusal(batch[i].data.text, fmt::format("events.data[{}]", i));
    }
    throw;
  }
  return batch;
}

void EventRepository::require_size(std::string_view json, std::string_view field) const {
  detail::require_size(json, field, options_.max_event_bytes);
}

void EventRepository::explain_refusal(std::string_view json, std::string_view field) const {
  detail::explain_refusal(json, field, options_.max_event_bytes);
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
  validate_json(json, "events.task_context", options_.max_event_bytes);
  return repo_.update_fields(Value(id), {{"task_context", Value(JsonText{std::string(json)})}});
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
