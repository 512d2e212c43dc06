// The event store: raw JSON events in, processing results (task_context) out.
//
//   retort::Database db = retort::Database::open("sqlite:///app.db");
//   retort::migrate::upgrade(db, "head");  // the schema comes from retort's built-in migrations
//   db.transaction([](retort::Session& s) {
//     retort::events::EventRepository events(s);
//     retort::events::Event e = events.record(R"({"type": "ticket.created", "id": 7})");
//     events.merge_task_context(e.id, R"({"classification": "shipping"})");  // RFC 7386, in SQL
//     for (const auto& x : events.find({.contains = R"({"type": "ticket.created"})"})) {}
//   });
//   std::ifstream in("events.jsonl");
//   retort::events::IngestReport r = retort::events::ingest(db, in);   // JSON Lines, batched
//
// Table `events` (see docs/events.md): id UUID (client-side UUIDv7 by default, v1 selectable),
// data and task_context JSONB on PostgreSQL / JSON text checked by json_valid on SQLite,
// created_at and updated_at UTC timestamps. Every JSON document is validated before anything
// is sent (malformed JSON, NUL bytes, invalid UTF-8, over the size limit): the error names what
// and the byte offset, and nothing of a refused event is stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/model.hpp"
#include "retort/query.hpp"
#include "retort/repository.hpp"
#include "retort/value.hpp"

namespace retort::events {

// One row of the events table: the raw event (data) and what processing made of it
// (task_context).
struct Event {
  Uuid id{};
  JsonText data{};
  std::optional<JsonText> task_context{};  // nullopt: not processed yet
  Timestamp created_at{};
  Timestamp updated_at{};
};

// The default maximum size of one event's JSON (1 MiB).
inline constexpr std::size_t kDefaultMaxEventBytes = std::size_t{1} << 20;

// Why a JSON document was refused: a reason and the 0-based byte offset it refers to.
struct JsonProblem {
  std::string reason;
  std::size_t offset = 0;
};

// Checks text as an event document, cheapest checks first: size (offset = the limit), NUL bytes,
// invalid UTF-8, nesting deeper than 2000 levels (a byte scan before any parser runs, so memory
// stays proportional to the text), then JSON syntax (simdjson; the offset from a second,
// locating parse) and \u0000 escapes (PostgreSQL's jsonb cannot store them). nullopt when text
// is acceptable.
std::optional<JsonProblem> check_json(std::string_view text,
                                      std::size_t max_bytes = kDefaultMaxEventBytes);

// check_json, throwing InvalidInput(field, reason, offset) on a problem.
void validate_json(std::string_view text, std::string_view field = "events.data",
                   std::size_t max_bytes = kDefaultMaxEventBytes);

// Which UUID version new events get.
enum class IdVersion { v7, v1 };

struct EventOptions {
  IdVersion id_version = IdVersion::v7;
  std::size_t max_event_bytes = kDefaultMaxEventBytes;
};

// What find() selects; every set field narrows the result (AND).
struct EventFilter {
  // JSON containment (PostgreSQL @> semantics on both backends).
  std::optional<std::string> contains{};
  // The value at a JSON path inside data equals a value (see JsonPathRef::operator==).
  std::vector<PathStep> path{};
  std::optional<Value> path_equals{};  // with path: equality; nullopt with a path: existence
  // The same two filters over task_context (what processing wrote); events without one never
  // match them.
  std::optional<std::string> context_contains{};
  std::vector<PathStep> context_path{};
  std::optional<Value> context_path_equals{};
  // created_at in [since, until).
  std::optional<Timestamp> since{};
  std::optional<Timestamp> until{};
  // true: task_context is set; false: it is NULL.
  std::optional<bool> processed{};
  std::optional<std::int64_t> limit{};
  // Newest first (by created_at, then id) when true; oldest first otherwise.
  bool newest_first = false;
};

// The schema comes from retort's built-in migrations only (`retort upgrade head`, or
// retort::migrate::upgrade(db, "head")); nothing in this header creates or changes tables.
// require_schema throws UsageError("no events table: run `retort upgrade head`") when the
// events table is missing (with ingest_ledger: also when events_ingest_ledger is, i.e. the
// database is behind revision a1e7d4c90b3f). One catalog query.
void require_schema(Session& session, bool ingest_ledger = false);

// One row of events_ingest_ledger: how far a JSON Lines file was ingested. A file is known by
// its size and the SHA-256 of its first kIngestHeadBytes bytes; `source` is its path, for people.
struct IngestLedgerEntry {
  std::int64_t file_size = 0;
  std::string head_sha256{};  // lowercase hex
  std::string source{};
  std::int64_t last_line = 0;  // the last line whose batch committed (0: none)
  std::int64_t accepted = 0;   // events stored from lines 1..last_line
  std::int64_t rejected = 0;   // lines refused among them
  bool complete = false;       // the whole file was read and stored
  Timestamp started_at{};
  Timestamp updated_at{};
};

// How many leading bytes of a file its ledger identity hashes.
inline constexpr std::size_t kIngestHeadBytes = 64 * 1024;

// The identity of an input file for the ingest ledger.
struct IngestSource {
  std::string path{};  // shown in messages and stored in the ledger's `source`
  std::int64_t size = 0;
  std::string head_sha256{};
};

// Reads file's size and the SHA-256 of its first kIngestHeadBytes bytes. ConfigError when the
// file cannot be read or is not a regular file (a pipe has no identity to resume by).
IngestSource identify_ingest_source(const std::string& file);

// The ledger row of source, if any (an `IngestLedgerEntry` exists once an ingest of it started).
std::optional<IngestLedgerEntry> find_ingest_ledger(Session& session, const IngestSource& source);

// Per-line outcome of a JSON Lines ingest.
struct RejectedLine {
  std::size_t line = 0;    // 1-based line number in the input
  std::size_t offset = 0;  // byte offset within the line
  std::string reason{};
};

// What ingest does with a file the ledger already knows.
enum class IngestMode {
  // A new file is ingested; a complete one is a no-op (IngestReport::already_complete); a
  // partially ingested one is refused (IngestError), never stored twice.
  fresh,
  // Continue after the ledger's last committed line (from line 1 when the ledger has none).
  resume,
  // Ingest from line 1 again, whatever the ledger says (stores the lines again).
  restart,
};

struct IngestOptions {
  std::size_t batch_size = 5000;
  // All or nothing: one transaction, and any bad line stores nothing at all.
  bool strict = false;
  std::size_t max_event_bytes = kDefaultMaxEventBytes;
  IdVersion id_version = IdVersion::v7;
  // At most this many rejected lines are kept in the report (all are counted).
  std::size_t max_rejections_kept = 1000;
  // Called after each stored batch and at the end with (lines read, accepted, rejected).
  std::function<void(std::size_t, std::size_t, std::size_t)> on_progress{};
  // The input's identity: when set, the ingest ledger is kept (each batch advances it in the
  // batch's own transaction) and `mode` applies. Without it (standard input), nothing is
  // recorded and a rerun stores the lines again.
  std::optional<IngestSource> source{};
  IngestMode mode = IngestMode::fresh;
  // A batch that failed on a broken connection (ConnectionError) is retried on a fresh
  // connection this many times when its outcome is known: it failed before COMMIT (rolled
  // back), or during COMMIT and the ledger says whether it committed. Not in strict mode.
  std::size_t max_retries = 3;
  // Called before each retry with (attempt 1.., the error); default: a warning in the log.
  std::function<void(std::size_t, const std::string&)> on_retry{};
};

struct IngestReport {
  std::size_t lines = 0;     // the number of the last line read (blank and skipped lines included)
  std::size_t skipped = 0;   // lines 1..skipped were stored by an earlier run (resume)
  std::size_t accepted = 0;  // events this run stored (committed)
  std::size_t rejected = 0;  // lines this run refused
  std::vector<RejectedLine> rejections{};
  // strict mode only: true when a bad line made the whole ingest store nothing.
  bool aborted = false;
  // Every line up to this one is stored, by this run or an earlier one (0: none). On an error,
  // where a rerun with IngestMode::resume continues from.
  std::size_t committed_line = 0;
  bool complete = false;          // the whole input is stored
  bool already_complete = false;  // the ledger said so before this run: nothing was done
  std::size_t retries = 0;        // batches retried after a broken connection
};

// An ingest stopped: a database error, a broken connection that retries did not mend, a
// partially ingested file without IngestMode::resume or restart. report() says what was stored
// before it stopped (committed_line, accepted); cause() is the original exception, if any.
class IngestError : public Error {
 public:
  IngestError(const std::string& message, IngestReport report, std::exception_ptr cause = {})
      : Error(message), report_(std::move(report)), cause_(std::move(cause)) {}
  const IngestReport& report() const noexcept { return report_; }
  const std::exception_ptr& cause() const noexcept { return cause_; }

 private:
  IngestReport report_;
  std::exception_ptr cause_;
};

// Reads JSON Lines from in with bounded memory (one line, at most max_event_bytes, plus one
// batch of events at a time). Blank lines are skipped; "\r\n" endings accepted. Each batch is
// stored with one bulk write (COPY on PostgreSQL, one prepared INSERT on SQLite) in its own
// transaction, with its ledger update when options.source is set; with strict, everything is
// one transaction and a bad line stores nothing. Throws IngestError (with the report of what
// was stored) when it cannot go on; UsageError when the schema is missing (require_schema).
IngestReport ingest(Database& db, std::istream& in, const IngestOptions& options = {});

// The event-specific repository, over Repository<Event>, in a session that must outlive it.
class EventRepository {
 public:
  explicit EventRepository(Session& session, EventOptions options = {});

  // Validates json and stores it as a new event (id, created_at, updated_at filled in).
  Event record(std::string_view json);
  // Validates and stores every document in one bulk write; nothing is stored if one is refused
  // (InvalidInput whose field names its index: "events.data[3]").
  std::vector<Event> record_many(const std::vector<std::string>& documents);
  // The same, taking the documents over instead of copying them into the events.
  std::vector<Event> record_many(std::vector<std::string>&& documents);
  // Reads JSON Lines into this session's transaction (batched; bad lines reported, not stored;
  // options.strict: stops storing at the first bad line and marks the report aborted — the
  // caller should then roll the session back).
  IngestReport record_lines(std::istream& in, const IngestOptions& options = {});

  std::optional<Event> get(const Uuid& id);
  Event get_required(const Uuid& id);  // NotFound

  std::vector<Event> find(const EventFilter& filter);
  std::int64_t count(const EventFilter& filter);
  // Shorthands for find.
  std::vector<Event> find_containing(std::string_view json, std::optional<std::int64_t> limit = {});
  std::vector<Event> find_by_path(std::vector<PathStep> path, const Value& equals);
  std::vector<Event> find_in_range(std::optional<Timestamp> since, std::optional<Timestamp> until);
  std::vector<Event> find_unprocessed(std::optional<std::int64_t> limit = {});
  std::vector<Event> find_processed(std::optional<std::int64_t> limit = {});
  // Streams matching events, oldest first, one in memory at a time (on_event must not use the
  // session).
  void stream(const EventFilter& filter, const std::function<void(const Event&)>& on_event);

  // Replaces task_context (validated like data); updated_at refreshed. NotFound if no such id.
  Event set_task_context(const Uuid& id, std::string_view json);
  // Clears task_context (back to unprocessed).
  Event clear_task_context(const Uuid& id);
  // Applies patch to task_context as a JSON merge patch (RFC 7386: null removes a key, objects
  // merge recursively, anything else replaces) in one UPDATE statement in the database, so
  // concurrent merges never lose each other's keys. A NULL task_context is patched as {}.
  Event merge_task_context(const Uuid& id, std::string_view patch);

  // Retention: deletes events created before cutoff; returns how many.
  std::int64_t delete_older_than(Timestamp cutoff);

  Repository<Event>& generic() noexcept { return repo_; }
  Session& session() noexcept { return *session_; }

 private:
  Finder<Event> finder(const EventFilter& filter);
  // json as a new event, its data checked here once (nothing below checks it again);
  // InvalidInput(field, reason, byte offset) when check_json refuses it.
  Event prepare(std::string json, std::string_view field) const;

  Session* session_;
  EventOptions options_;
  Repository<Event> repo_;
};

}  // namespace retort::events

template <>
struct retort::ModelTraits<retort::events::Event> {
  static void describe(ModelBuilder<events::Event>& m);
};

template <>
struct retort::ModelTraits<retort::events::IngestLedgerEntry> {
  static void describe(ModelBuilder<events::IngestLedgerEntry>& m);
};
