// async::EventRepository: the blocking event store's statements (orm/statements.hpp,
// events/event_statements.hpp), run on an async::Connection.
#include <cstddef>
#include <utility>

#include <fmt/format.h>

#include "events/event_statements.hpp"
#include "orm/statements.hpp"
#include "orm/writes.hpp"
#include "retort/async_events.hpp"
#include "retort/error.hpp"

namespace retort::async {
namespace {

using events::Event;
namespace shared = events::detail;

const ModelBase& event_model() {
  return model<Event>();
}

// Runs a write on c, giving a unique violation the model's constraint name (as the blocking
// repository does).
asio::awaitable<Result> execute_write(Connection& c, std::string sql, std::vector<Value> params) {
  const StatementOptions options;
  try {
    co_return co_await c.execute(std::move(sql), std::move(params), options);
  } catch (const UniqueViolation& e) {
    retort::detail::rethrow_unique_violation(event_model().data(), e);
  }
}

}  // namespace

EventRepository::EventRepository(Database& db, events::EventOptions options)
    : db_(&db), options_(options) {}

EventRepository::EventRepository(Transaction& tx, events::EventOptions options)
    : connection_(&tx.connection()), options_(options) {}

asio::awaitable<EventRepository::Borrowed> EventRepository::borrow() {
  Borrowed b;
  if (connection_ != nullptr) {
    b.connection = connection_;
  } else {
    b.pooled = co_await db_->pool().acquire();
    b.connection = &*b.pooled;
  }
  co_return b;
}

asio::awaitable<Event> EventRepository::record(std::string json) {
  const ModelBase& m = event_model();
  Event e = shared::new_event(std::move(json), "events.data", options_.max_event_bytes,
                              options_.id_version);
  retort::detail::ColumnValues values = retort::detail::insert_values(m, &e, Timestamp::now());
  std::string sql = retort::detail::insert_statement(m.data(), values.columns);
  Borrowed b = co_await borrow();
  Result stored = co_await execute_write(*b.connection, std::move(sql), std::move(values.values));
  retort::detail::decode_row(m, stored.at(0), &e);
  co_return e;
}

asio::awaitable<std::vector<Event>> EventRepository::record_many(
    std::vector<std::string> documents) {
  const ModelBase& m = event_model();
  std::vector<Event> batch;
  batch.reserve(documents.size());
  for (std::size_t i = 0; i < documents.size(); ++i) {
    batch.push_back(shared::new_event(std::move(documents[i]), fmt::format("events.data[{}]", i),
                                      options_.max_event_bytes, options_.id_version));
  }
  if (batch.empty()) co_return batch;
  // Every event is checked (its defaults filled in) before anything is sent, as on the
  // blocking path: a refused one stores nothing.
  const Timestamp now = Timestamp::now();
  std::vector<std::size_t> columns;
  std::vector<std::vector<Value>> rows;
  rows.reserve(batch.size());
  for (Event& e : batch) {
    retort::detail::ColumnValues row = retort::detail::insert_values(m, &e, now);
    if (rows.empty()) columns = std::move(row.columns);
    rows.push_back(std::move(row.values));
  }
  std::vector<std::string> names;
  for (std::size_t index : columns) names.push_back(m.table().columns[index].name);
  QualifiedName table = retort::detail::copy_target(m.table());
  Borrowed b = co_await borrow();
  try {
    co_await b.connection->copy_in(std::move(table), std::move(names), std::move(rows));
  } catch (const UniqueViolation& e) {
    retort::detail::rethrow_unique_violation(m.data(), e);
  }
  co_return batch;
}

asio::awaitable<std::optional<Event>> EventRepository::get(Uuid id) {
  const ModelBase& m = event_model();
  Borrowed b = co_await borrow();
  const std::vector<Value> key{Value(id)};
  retort::detail::SqlBuilder q =
      retort::detail::key_select_statement(m.data(), b.connection->dialect(), key);
  const StatementOptions options;
  Result r = co_await b.connection->execute(std::move(q.sql), std::move(q.params), options);
  std::optional<Event> out;
  if (!r.empty()) retort::detail::decode_row(m, r[0], &out.emplace());
  co_return out;
}

asio::awaitable<std::vector<Event>> EventRepository::find(events::EventFilter filter) {
  const ModelBase& m = event_model();
  const QuerySpec spec = shared::find_query(filter, options_.max_event_bytes);
  Borrowed b = co_await borrow();
  retort::detail::SqlBuilder q =
      retort::detail::select_statement(m.data(), b.connection->dialect(), spec);
  const StatementOptions options;
  Result r = co_await b.connection->execute(std::move(q.sql), std::move(q.params), options);
  std::vector<Event> out;
  out.reserve(r.size());
  for (const Row& row : r) retort::detail::decode_row(m, row, &out.emplace_back());
  co_return out;
}

asio::awaitable<Event> EventRepository::merge_task_context(Uuid id, std::string patch) {
  Borrowed b = co_await borrow();
  Statement merge =
      shared::merge_statement(b.connection->dialect(), id, patch, options_.max_event_bytes);
  const StatementOptions options;
  Result r = co_await b.connection->execute(std::move(merge.sql), std::move(merge.params), options);
  if (r.empty()) throw NotFound(fmt::format("no event with id {}", id.to_string()));
  co_return shared::decode_event(r.at(0));
}

}  // namespace retort::async
