// Processor: claim, complete, fail and heartbeat, one short transaction each. The SQL of both
// dialects is in processing_sql.cpp; this file binds parameters and reads results.
#include "retort/processing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "events/event_statements.hpp"
#include "events/processing_sql.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/partitioning.hpp"

namespace retort::events {
namespace {

constexpr std::array<std::string_view, 5> kStatusNames{"pending", "running", "done", "failed",
                                                       "dead"};
constexpr std::size_t kMaxClaim = 10000;

// A unit of work that is one statement. On PostgreSQL it runs as its own transaction
// (autocommit): one round trip where BEGIN ... COMMIT takes two, which is most of an idle
// worker's latency. SQLite keeps its transaction: BEGIN IMMEDIATE is what serialises the claims
// of several processes on one file.
TransactionOptions one_statement_unit(Dialect dialect) {
  TransactionOptions o;
  o.autocommit = dialect == Dialect::postgresql;
  return o;
}

double random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// The first bytes of text, at most limit, never ending inside a UTF-8 sequence.
std::string bounded_error(std::string_view text) {
  if (text.size() <= kMaxErrorBytes) return std::string(text);
  std::size_t end = kMaxErrorBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  return std::string(text.substr(0, end)) + "…";
}

JsonText json_of(const Value& v) {
  if (v.kind() == Value::Kind::json) return v.as_json();
  return JsonText{v.as_text()};
}

// Runs work; a DatabaseError it throws is thrown again, of the same class and SQLSTATE, with
// what was being done in front of the server's message (which events, which worker), so that
// a failed claim or completion in a log says what it was about.
template <class F>
decltype(auto) saying(const std::string& what, F&& work) {
  try {
    return work();
  } catch (const DatabaseError& e) {
    ErrorInfo info = e.info();
    info.message = fmt::format("{}: {}", what, info.message);
    if (dynamic_cast<const ConnectionError*>(&e) != nullptr) throw ConnectionError(std::move(info));
    throw_database_error(std::move(info));
  }
}

// The claimed event a completion, a failure or a claimed event itself is about.
const ClaimedEvent* event_of(const ClaimedEvent& event) {
  return &event;
}
template <class Item>
const ClaimedEvent* event_of(const Item& item) {
  return item.event;
}

// "event ID (attempt N)" or "3 events: ID (attempt N), ...", the first few named.
template <class Item>
std::string events_named(std::span<const Item> items) {
  constexpr std::size_t kNamed = 5;
  std::string text = items.size() == 1 ? "event " : fmt::format("{} events: ", items.size());
  for (std::size_t i = 0; i < items.size() && i < kNamed; ++i) {
    const ClaimedEvent* event = event_of(items[i]);
    if (event == nullptr) continue;
    text +=
        fmt::format("{}{} (attempt {})", i > 0 ? ", " : "", event->id.to_string(), event->attempt);
  }
  if (items.size() > kNamed) text += ", ...";
  return text;
}

ClaimedEvent decode_claim(const Row& row) {
  ClaimedEvent e;
  e.id = row[0].as_uuid();
  e.data = detail::data_of(row[1]);  // a NULL data (the original table) reads as null
  if (!row[2].is_null()) e.task_context = json_of(row[2]);
  if (!row[3].is_null())
    e.workflow = row[3].kind() == Value::Kind::text ? row[3].as_text() : json_of(row[3]).text();
  e.attempt = static_cast<int>(row[4].as_int64());
  e.max_attempts = static_cast<int>(row[5].as_int64());
  e.created_at = row[6].as_timestamp();
  return e;
}

void check_context(const Completion& c, std::size_t index) {
  if (c.event == nullptr) throw UsageError(fmt::format("completion {} names no event", index));
  const std::string field = fmt::format("task_context (event {})", c.event->id.to_string());
  validate_json(c.task_context, field);
  if (c.how == ContextWrite::merge_patch) {
    const auto first = c.task_context.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || c.task_context[first] != '{') {
      throw InvalidInput(field, "a merge patch must be a JSON object", first);
    }
  }
}

Outcome outcome_of(const Result& r) {
  if (r.empty()) return Outcome::lease_lost;
  const std::string& status = r.at(0)[0].as_text();
  if (status == "done") return Outcome::done;
  return status == "dead" ? Outcome::dead : Outcome::retry;
}

// Runs fenced writes (completions, failures): several in one transaction and one round trip
// (all or none applied), a single one as one autocommit statement.
std::vector<Outcome> write_fenced(Database& db, const std::vector<Statement>& statements) {
  const bool single = statements.size() == 1;
  return db.transaction(
      [&](Session& s) {
        std::vector<Outcome> out;
        out.reserve(statements.size());
        if (single) {
          out.push_back(outcome_of(s.execute(statements[0].sql, statements[0].params)));
        } else {
          for (const Result& r : s.pipeline(statements)) out.push_back(outcome_of(r));
        }
        return out;
      },
      single ? one_statement_unit(db.dialect()) : TransactionOptions{});
}

std::int64_t millis(std::chrono::milliseconds d) {
  return d.count();
}

}  // namespace

std::string_view to_string(Status status) noexcept {
  return kStatusNames[static_cast<std::size_t>(status)];
}

Status parse_status(std::string_view text, std::string_view field) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<Status>(i);
  }
  throw InvalidInput(
      std::string(field),
      fmt::format("unknown status '{}' (one of pending, running, done, failed, dead)", text));
}

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::done:
      return "done";
    case Outcome::retry:
      return "retry";
    case Outcome::dead:
      return "dead";
    case Outcome::lease_lost:
      return "lease_lost";
  }
  return "?";
}

std::chrono::milliseconds backoff_delay(const Backoff& policy, int attempt, double uniform) {
  const double exponent = std::clamp(attempt - 1, 0, 40);
  const double raw = static_cast<double>(policy.base.count()) * std::exp2(exponent);
  const double capped = std::min(raw, static_cast<double>(policy.max.count()));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double scaled = capped * (1.0 - jitter + 2.0 * jitter * std::clamp(uniform, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(scaled, 0.0)));
}

Processor::Processor(Database& db, ProcessorOptions options)
    : db_(&db), options_(std::move(options)) {
  if (options_.worker_id.empty()) throw UsageError("Processor: worker_id is required");
  if (options_.lease < std::chrono::seconds(1)) {
    throw UsageError("Processor: the lease must be at least 1s");
  }
  if (options_.default_max_attempts < 1) {
    throw UsageError("Processor: default_max_attempts must be at least 1");
  }
  if (!options_.partitioned) {
    options_.partitioned = db.dialect() == Dialect::postgresql && db.transaction([](Session& s) {
      return partition_manager(s) != PartitionManager::none;
    });
  }
}

std::vector<ClaimedEvent> Processor::claim(std::size_t limit) {
  if (limit == 0 || limit > kMaxClaim) {
    throw InvalidInput("limit", fmt::format("must be between 1 and {}, not {}", kMaxClaim, limit));
  }
  const Dialect dialect = db_->dialect();
  const std::string sql = sql::claim(dialect, options_.workflow.has_value());
  std::vector<Value> params{static_cast<std::int64_t>(limit), options_.worker_id,
                            static_cast<std::int64_t>(options_.default_max_attempts)};
  if (dialect == Dialect::postgresql) {
    params.emplace_back(millis(options_.lease));
  } else {
    const Timestamp now = Timestamp::now();
    params.emplace_back(now);
    params.emplace_back(Timestamp(now.time_point() + options_.lease));
  }
  if (options_.workflow) params.emplace_back(*options_.workflow);
  const std::string what =
      fmt::format("claiming up to {} events for worker {}", limit, options_.worker_id);
  return saying(what, [&] {
    return db_->transaction(
        [&](Session& s) {
          const Result r = s.execute(sql, params);
          std::vector<ClaimedEvent> out;
          out.reserve(r.size());
          for (const Row& row : r) {
            // dead: an expired lease on the last attempt, settled by the claim and not handed out.
            if (row[7].as_text() == "running") out.push_back(decode_claim(row));
          }
          // SQLite's RETURNING has no order; PostgreSQL's follows the CTE. Oldest first for both.
          std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.created_at < b.created_at;
          });
          return out;
        },
        one_statement_unit(dialect));
  });
}

Outcome Processor::complete(const ClaimedEvent& event, std::string_view task_context,
                            ContextWrite how) {
  const Completion c{&event, std::string(task_context), how};
  return complete_many(std::span<const Completion>(&c, 1)).front();
}

std::vector<Outcome> Processor::complete_many(std::span<const Completion> completions) {
  for (std::size_t i = 0; i < completions.size(); ++i) check_context(completions[i], i);
  const Dialect dialect = db_->dialect();
  const Timestamp now = Timestamp::now();
  std::vector<Statement> statements;
  statements.reserve(completions.size());
  for (const Completion& c : completions) {
    Statement st{sql::complete(dialect, c.how == ContextWrite::merge_patch, partitioned()),
                 {c.event->id, options_.worker_id, static_cast<std::int64_t>(c.event->attempt),
                  JsonText{c.task_context}, now}};
    if (partitioned()) st.params.emplace_back(c.event->created_at);
    statements.push_back(std::move(st));
  }
  return saying(
      fmt::format("completing {} for worker {}", events_named(completions), options_.worker_id),
      [&] { return write_fenced(*db_, statements); });
}

Outcome Processor::fail(const ClaimedEvent& event, std::string_view error) {
  const Failure f{&event, std::string(error)};
  return fail_many(std::span<const Failure>(&f, 1)).front();
}

std::vector<Outcome> Processor::fail_many(std::span<const Failure> failures) {
  const Dialect dialect = db_->dialect();
  const Timestamp now = Timestamp::now();
  std::vector<Statement> statements;
  statements.reserve(failures.size());
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const Failure& f = failures[i];
    if (f.event == nullptr) throw UsageError(fmt::format("failure {} names no event", i));
    const auto delay = backoff_delay(options_.backoff, f.event->attempt, random_unit());
    Statement st{
        sql::fail(dialect, partitioned()),
        {f.event->id, options_.worker_id, static_cast<std::int64_t>(f.event->attempt),
         bounded_error(f.error), now, static_cast<std::int64_t>(options_.default_max_attempts)}};
    if (dialect == Dialect::postgresql) {
      st.params.emplace_back(millis(delay));
    } else {
      st.params.emplace_back(Timestamp(now.time_point() + delay));
    }
    if (partitioned()) st.params.emplace_back(f.event->created_at);
    statements.push_back(std::move(st));
  }
  return saying(fmt::format("recording the failure of {} for worker {}", events_named(failures),
                            options_.worker_id),
                [&] { return write_fenced(*db_, statements); });
}

std::size_t Processor::fenced_each(std::string_view doing, std::span<const ClaimedEvent> events,
                                   const std::string& sql, const std::vector<Value>& extra) {
  if (events.empty()) return 0;
  std::vector<Statement> statements;
  statements.reserve(events.size());
  for (const ClaimedEvent& e : events) {
    Statement st{sql, {e.id, options_.worker_id, static_cast<std::int64_t>(e.attempt)}};
    st.params.insert(st.params.end(), extra.begin(), extra.end());
    if (partitioned()) st.params.emplace_back(e.created_at);
    statements.push_back(std::move(st));
  }
  return saying(fmt::format("{} {} for worker {}", doing, events_named(events), options_.worker_id),
                [&] {
                  return db_->transaction([&](Session& s) {
                    std::size_t held = 0;
                    for (const Result& r : s.pipeline(statements)) {
                      held += r.affected_rows() > 0 ? 1 : 0;
                    }
                    return held;
                  });
                });
}

std::size_t Processor::heartbeat(std::span<const ClaimedEvent> events) {
  const Dialect dialect = db_->dialect();
  const Value until = dialect == Dialect::postgresql
                          ? Value(millis(options_.lease))
                          : Value(Timestamp(Timestamp::now().time_point() + options_.lease));
  return fenced_each("extending the leases of", events, sql::heartbeat(dialect, partitioned()),
                     {until});
}

std::size_t Processor::release(std::span<const ClaimedEvent> events) {
  const Dialect dialect = db_->dialect();
  const Value now =
      dialect == Dialect::postgresql ? Value(std::int64_t{0}) : Value(Timestamp::now());
  return fenced_each("giving back", events, sql::release(dialect, partitioned()), {now});
}

}  // namespace retort::events
