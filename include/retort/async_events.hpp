// The event store asynchronously: record, record_many, get, find and merge_task_context as
// coroutines, on the same table, with the same checks, SQL and results as the blocking
// retort::events::EventRepository (retort/events.hpp).
//
//   retort::async::Database db(io.get_executor(), url);
//   retort::async::EventRepository events(db);                // each call on a pooled connection
//   retort::events::Event e = co_await events.record(R"({"type": "ticket.created"})");
//   co_await events.merge_task_context(e.id, R"({"classification": "shipping"})");
//   retort::events::EventFilter unprocessed;
//   unprocessed.processed = false;
//   std::vector<retort::events::Event> todo = co_await events.find(unprocessed);
//
//   co_await db.transaction([&](retort::async::Transaction& tx) -> asio::awaitable<void> {
//     retort::async::EventRepository in_tx(tx);               // each call joins tx
//     co_await in_tx.record_many(documents);
//   });
//
// Part of the asynchronous API: like retort/async.hpp (which it includes), it speaks Asio's
// vocabulary; no header of the blocking API includes it. See docs/async.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "retort/async.hpp"
#include "retort/events.hpp"

namespace retort::async {

// The event-specific repository over an async::Database (every call takes a pooled connection
// for itself and runs outside any transaction) or inside an async::Transaction (every call
// joins it). The Database or Transaction must outlive the repository; use it from coroutines
// on the Database's executor. Every JSON document is checked before anything is sent.
class EventRepository {
 public:
  explicit EventRepository(Database& db, events::EventOptions options = {});
  explicit EventRepository(Transaction& tx, events::EventOptions options = {});

  // Checks json and stores it as a new event; returns it as stored (id, created_at and
  // updated_at filled in). InvalidInput("events.data", reason, byte offset) for a refused
  // document, the server's error class otherwise (UniqueViolation naming the constraint).
  asio::awaitable<events::Event> record(std::string json);
  // Checks every document, then stores them all with one COPY (PostgreSQL) or one prepared
  // INSERT (SQLite): all or nothing (InvalidInput's field names the index: "events.data[3]").
  // Outside a transaction the batch is atomic by itself. Returns the events as stored.
  asio::awaitable<std::vector<events::Event>> record_many(std::vector<std::string> documents);
  // The event with this id, if any.
  asio::awaitable<std::optional<events::Event>> get(Uuid id);
  // The events filter selects, in its order (see events::EventFilter), all in memory.
  // InvalidInput for a containment filter that is not JSON.
  asio::awaitable<std::vector<events::Event>> find(events::EventFilter filter);
  // Applies patch to task_context as a JSON merge patch (RFC 7386) in one UPDATE, as the
  // blocking merge_task_context does; returns the updated event. NotFound if no such id.
  asio::awaitable<events::Event> merge_task_context(Uuid id, std::string patch);

 private:
  // The connection a call runs on: a pooled one held for the call, or the transaction's.
  struct Borrowed {
    PooledConnection pooled;
    Connection* connection = nullptr;
  };
  asio::awaitable<Borrowed> borrow();

  Database* db_ = nullptr;
  Connection* connection_ = nullptr;
  events::EventOptions options_;
};

}  // namespace retort::async
