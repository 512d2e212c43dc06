// `retort events ingest|list|show|find`: the event store from the command line.
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/output.hpp"
#include "cli/printable.hpp"
#include "cli/progress.hpp"
#include "cli/structured_output.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "events/path_query.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::cli {
namespace {

using events::Event;
using events::EventFilter;

// The schema is the built-in migrations' (`retort upgrade head`): these commands never create or
// change it, and say so once, before any work, when it is missing.
void require_schema(Database& db, bool ingest_ledger = false) {
  db.transaction([&](Session& s) { events::require_schema(s, ingest_ledger); });
}

Result as_result(const std::vector<Event>& found) {
  std::vector<std::string> columns = {"id", "created_at", "updated_at", "data", "task_context"};
  std::vector<Value> cells;
  cells.reserve(found.size() * columns.size());
  for (const Event& e : found) {
    cells.emplace_back(e.id);
    cells.emplace_back(e.created_at);
    cells.emplace_back(e.updated_at);
    cells.emplace_back(e.data);
    cells.emplace_back(e.task_context);
  }
  return Result(std::move(columns), std::move(cells), static_cast<std::int64_t>(found.size()));
}

// `--json` (JSON Lines, as it always was) and `--format`: one of them, or both saying the same.
OutputFormat chosen_format(bool json_flag, OutputFormat format) {
  if (json_flag && format != OutputFormat::text && format != OutputFormat::jsonl) {
    throw CommandLineError("--json means --format jsonl: give one of them");
  }
  return json_flag ? OutputFormat::jsonl : format;
}

void print_events(const std::vector<Event>& found, OutputFormat format) {
  Result r = as_result(found);
  if (format == OutputFormat::json) {
    print_items(std::cout, format, "events", rows_json(r));
  } else if (format == OutputFormat::jsonl) {
    print_json_lines(std::cout, r);
  } else {
    print_table(std::cout, r, 60);
    std::cout << "(" << found.size() << (found.size() == 1 ? " event)\n" : " events)\n");
  }
}

std::string pretty(const std::optional<JsonText>& doc) {
  if (!doc) return "NULL (not processed)";
  try {
    return nlohmann::json::parse(doc->text()).dump(2);
  } catch (const std::exception&) {
    return doc->text();
  }
}

struct FindOptions {
  std::optional<std::string> contains;
  std::optional<std::string> path;
  std::optional<std::string> context_contains;
  std::optional<std::string> context_path;
  std::optional<std::string> since;
  std::optional<std::string> until;
  bool processed = false;
  bool unprocessed = false;
  std::int64_t limit = 20;
  bool oldest_first = false;
  bool json = false;
  OutputFormat format = OutputFormat::text;
};

// "PATH" or "PATH=VALUE" into the steps and the value.
// PATH[=VALUE] of --path and --context-path (events::parse_path_query).
void parse_path_filter(const std::string& text, std::vector<PathStep>& path,
                       std::optional<Value>& equals) {
  events::PathQuery query = events::parse_path_query(text);
  path = std::move(query.path);
  equals = std::move(query.equals);
}

EventFilter to_filter(const FindOptions& o) {
  EventFilter f;
  f.contains = o.contains;
  if (o.path) parse_path_filter(*o.path, f.path, f.path_equals);
  f.context_contains = o.context_contains;
  if (o.context_path) parse_path_filter(*o.context_path, f.context_path, f.context_path_equals);
  if (o.since) f.since = Timestamp::parse(*o.since);
  if (o.until) f.until = Timestamp::parse(*o.until);
  if (o.processed && o.unprocessed)
    throw ConfigError("--processed and --unprocessed exclude each other");
  if (o.processed) f.processed = true;
  if (o.unprocessed) f.processed = false;
  if (o.limit > 0) f.limit = o.limit;
  f.newest_first = !o.oldest_first;
  return f;
}

void add_filter_options(CLI::App* cmd, FindOptions& o, bool with_json_filters) {
  if (with_json_filters) {
    cmd->add_option("--contains", o.contains,
                    "Events whose data contains this JSON (PostgreSQL @> semantics), e.g. "
                    "'{\"type\":\"ticket.created\"}'");
    cmd->add_option("--path", o.path,
                    "Events whose data has PATH (dot-separated; digits index arrays), or whose "
                    "value at PATH equals VALUE: 'ticket.customer.tier=pro'")
        ->check(printable());
    cmd->add_option("--context-contains", o.context_contains,
                    "Events whose task_context contains this JSON, e.g. '{\"queue\":\"vip\"}'");
    cmd->add_option("--context-path", o.context_path,
                    "As --path, over task_context: 'result.score=3'")
        ->check(printable());
    cmd->add_option("--since", o.since, "Created at or after this time (ISO 8601 or a date, UTC)");
    cmd->add_option("--until", o.until, "Created before this time");
  }
  cmd->add_flag("--processed", o.processed, "Only events with a task_context");
  cmd->add_flag("--unprocessed", o.unprocessed, "Only events without a task_context");
  cmd->add_option("--limit", o.limit, "At most this many events (0: no limit; default 20)");
  cmd->add_flag("--oldest-first", o.oldest_first, "Oldest first (default: newest first)");
  cmd->add_flag("--json", o.json, "Print JSON Lines instead of a table (--format jsonl)");
  add_format_option(*cmd, o.format);
}

struct IngestCliOptions {
  std::string file = "-";
  bool strict = false;
  std::size_t batch_size = 5000;
  std::size_t max_bytes = events::kDefaultMaxEventBytes;
  bool uuid1 = false;
  bool json = false;
  OutputFormat format = OutputFormat::text;
  bool resume = false;
  bool restart = false;
  std::size_t retries = 3;
};

nlohmann::json report_json(const events::IngestReport& report, const std::string& source,
                           const std::optional<std::string>& error) {
  nlohmann::json out = {{"source", source},
                        {"lines", report.lines},
                        {"skipped", report.skipped},
                        {"accepted", report.accepted},
                        {"rejected", report.rejected},
                        {"aborted", report.aborted},
                        {"committed_line", report.committed_line},
                        {"complete", report.complete},
                        {"already_complete", report.already_complete},
                        {"retries", report.retries}};
  out["error"] = error ? nlohmann::json(*error) : nlohmann::json(nullptr);
  nlohmann::json rejections = nlohmann::json::array();
  for (const events::RejectedLine& r : report.rejections) {
    rejections.push_back({{"line", r.line}, {"offset", r.offset}, {"reason", r.reason}});
  }
  out["rejections"] = std::move(rejections);
  return out;
}

// The text report: rejected lines, counts, and where the stored prefix ends (every exit).
void print_report(const events::IngestReport& report, const std::string& source, bool failed,
                  bool ledger) {
  if (report.already_complete) {
    std::cout << fmt::format(
        "{} is already ingested (lines 1..{}): nothing to do (--restart ingests it again)\n",
        source, report.committed_line);
    return;
  }
  for (const events::RejectedLine& r : report.rejections) {
    std::cout << fmt::format("line {}: rejected: {} (at byte {})\n", r.line, r.reason, r.offset);
  }
  if (report.rejected > report.rejections.size()) {
    std::cout << fmt::format("... and {} more rejected lines\n",
                             report.rejected - report.rejections.size());
  }
  std::cout << fmt::format("accepted {}, rejected {}", report.accepted, report.rejected);
  if (report.aborted) std::cout << " (--strict: nothing stored)";
  if (report.skipped > 0)
    std::cout << fmt::format(", lines 1..{} skipped (stored before)", report.skipped);
  if (report.retries > 0) std::cout << fmt::format(", {} batch retries", report.retries);
  std::cout << '\n';
  if (report.complete) {
    std::cout << fmt::format("stored: lines 1..{} of {} (complete)\n", report.committed_line,
                             source);
  } else if (failed && report.committed_line == 0) {
    std::cout << fmt::format("stored: nothing of {}\n", source);
  } else if (failed) {
    std::cout << fmt::format(
        "stored: lines 1..{} of {} (each batch committed); the rest was not "
        "stored\n",
        report.committed_line, source);
    if (ledger) {
      std::cout << fmt::format("to continue after line {}: retort events ingest --resume {}\n",
                               report.committed_line, source);
    }
  }
}

// Whether the ingest ledger's table exists. The original service's events table, used as it
// stands (docs/adopting.md), has none until `retort upgrade head` adds it.
bool has_ingest_ledger(Database& db) {
  const char* query = db.dialect() == Dialect::postgresql
                          ? "SELECT 1 WHERE to_regclass('events_ingest_ledger') IS NOT NULL"
                          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'events_ingest_ledger'";
  return !db.connection()->execute(query).empty();
}

int run_ingest(Context& context, const IngestCliOptions& o) {
  if (o.resume && o.restart) throw ConfigError("--resume and --restart exclude each other");
  std::ifstream file;
  std::istream* in = &std::cin;
  events::IngestOptions options;
  if (o.file != "-") {
    options.source = events::identify_ingest_source(o.file);
    file.open(o.file, std::ios::binary);
    if (!file) throw ConfigError("cannot open " + o.file);
    in = &file;
  } else if (o.resume || o.restart) {
    throw ConfigError("--resume and --restart need a FILE: standard input keeps no ingest ledger");
  }
  options.mode = o.resume    ? events::IngestMode::resume
                 : o.restart ? events::IngestMode::restart
                             : events::IngestMode::fresh;
  options.strict = o.strict;
  options.batch_size = o.batch_size;
  options.max_event_bytes = o.max_bytes;
  options.max_retries = o.retries;
  options.id_version = o.uuid1 ? events::IdVersion::v1 : events::IdVersion::v7;
  const bool tty = isatty(STDERR_FILENO) == 1 && !context.options.quiet;
  if (tty) {
    // The time left comes from how much of the file was read; standard input has no size.
    std::error_code ec;
    const double size =
        file.is_open() ? static_cast<double>(std::filesystem::file_size(o.file, ec)) : 0;
    const auto start = std::chrono::steady_clock::now();
    options.on_progress = [&file, size, start](std::size_t lines, std::size_t accepted,
                                               std::size_t rejected) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::optional<double> done;
      if (const std::streamoff at = file.is_open() ? std::streamoff(file.tellg()) : -1;
          at >= 0 && size > 0) {
        done = static_cast<double>(at) / size;
      }
      // "\x1b[K" clears what a longer previous status left at the end of the line.
      std::cerr << '\r' << ingest_progress_text(lines, accepted, rejected, seconds, done)
                << "\x1b[K" << std::flush;
    };
  }
  const std::string source = o.file == "-" ? std::string("standard input") : o.file;
  Database db = context.open_database();
  if (options.source && options.mode == events::IngestMode::fresh && !has_ingest_ledger(db)) {
    log::warn(
        "no events_ingest_ledger table (`retort upgrade head` adds it): this ingest of {} "
        "cannot be resumed if it is interrupted",
        text::printable(o.file));
    options.source.reset();
  }
  events::IngestReport report;
  std::optional<std::string> error;
  bool started = true;  // false: the error came before the first line (no schema, say)
  try {
    report = events::ingest(db, *in, options);
  } catch (const Error& e) {
    if (const auto* stopped = dynamic_cast<const events::IngestError*>(&e)) {
      report = stopped->report();
    } else {
      started = false;
    }
    error = redact::scrub(e.what());
  }
  if (tty) std::cerr << '\n';
  // The report is one object: json and jsonl print it alike.
  if (o.json || o.format != OutputFormat::text) {
    std::cout << report_json(report, source, error).dump() << '\n';
  } else if (started) {
    print_report(report, source, error.has_value(), options.source.has_value());
  }
  if (error) {
    std::cerr << "retort: error: " << *error << '\n';
    return 1;
  }
  if (report.rejected == 0) return kSuccess;
  return report.aborted ? kError : kPartial;  // --strict stored nothing: the input was refused
}

}  // namespace

void add_events_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* group = app.add_subcommand("events", "The event store: ingest, list, show, find");
  group->require_subcommand(1);

  {
    auto o = std::make_shared<IngestCliOptions>();
    CLI::App* cmd = group->add_subcommand(
        "ingest",
        "Store events from JSON Lines (FILE or - for stdin). Prints accepted/rejected counts, "
        "each rejected line and up to which line the input is stored; a FILE is recorded in the "
        "ingest ledger, so a rerun neither duplicates nor loses lines (--resume). Exit status 6 "
        "when any line was rejected, 1 on an error");
    cmd->add_option("file", o->file, "JSON Lines file, or - for standard input (default)");
    cmd->add_flag("--strict", o->strict, "All or nothing: any bad line stores nothing");
    cmd->add_option("--batch-size", o->batch_size, "Events per bulk write (default 5000)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
    cmd->add_option("--max-bytes", o->max_bytes, "Largest accepted event in bytes (default 1 MiB)");
    cmd->add_flag("--uuid1", o->uuid1, "Give new events UUIDv1 ids (default: time-ordered UUIDv7)");
    cmd->add_flag("--json", o->json,
                  "Print the report as one JSON object (also when the ingest fails)");
    add_format_option(*cmd, o->format);
    cmd->add_flag("--resume", o->resume,
                  "Continue a partially ingested FILE after its last committed line (the ingest "
                  "ledger's)");
    cmd->add_flag(
        "--restart", o->restart,
        "Ingest FILE from line 1 even though the ledger knows it (stores its lines again)");
    cmd->add_option("--retries", o->retries,
                    "Retries of a batch a broken connection interrupted (default 3)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{100}));
    cmd->callback([&context, &run, o] { run = [&context, o] { return run_ingest(context, *o); }; });
  }
  {
    auto o = std::make_shared<FindOptions>();
    CLI::App* cmd = group->add_subcommand("list", "The newest events (default 20)");
    add_filter_options(cmd, *o, false);
    cmd->callback([&context, &run, o] {
      run = [&context, o] {
        Database db = context.open_read_database();  // a replica may answer
        require_schema(db);
        std::vector<Event> found = db.transaction(
            [&](Session& s) { return events::EventRepository(s).find(to_filter(*o)); });
        print_events(found, chosen_format(o->json, o->format));
        return 0;
      };
    });
  }
  {
    auto o = std::make_shared<FindOptions>();
    CLI::App* cmd = group->add_subcommand(
        "find", "Events matching JSON containment, a JSON path, a time range, processed or not");
    add_filter_options(cmd, *o, true);
    cmd->callback([&context, &run, o] {
      run = [&context, o] {
        Database db = context.open_read_database();  // a replica may answer
        require_schema(db);
        std::vector<Event> found = db.transaction(
            [&](Session& s) { return events::EventRepository(s).find(to_filter(*o)); });
        print_events(found, chosen_format(o->json, o->format));
        return 0;
      };
    });
  }
  {
    struct ShowOptions {
      std::string id;
      bool json = false;
      OutputFormat format = OutputFormat::text;
    };
    auto o = std::make_shared<ShowOptions>();
    CLI::App* cmd = group->add_subcommand("show", "One event in full");
    cmd->add_option("id", o->id, "The event's id")->required();
    cmd->add_flag("--json", o->json, "Print it as one JSON line (--format json or jsonl)");
    add_format_option(*cmd, o->format);
    cmd->callback([&context, &run, o] {
      run = [&context, o] {
        const Uuid id = Uuid::parse(o->id);
        Database db = context.open_database();
        require_schema(db);
        Event e =
            db.transaction([&](Session& s) { return events::EventRepository(s).get_required(id); });
        if (chosen_format(o->json, o->format) != OutputFormat::text) {
          print_events({e}, OutputFormat::jsonl);  // one event: one object, in both formats
        } else {
          std::cout << "id:           " << e.id.to_string() << '\n'
                    << "created_at:   " << e.created_at.to_string() << '\n'
                    << "updated_at:   " << e.updated_at.to_string() << '\n'
                    << "data:\n"
                    << pretty(e.data) << '\n'
                    << "task_context:\n"
                    << pretty(e.task_context) << '\n';
        }
        return 0;
      };
    });
  }
  add_processing_commands(*group, context, run);
  add_partition_commands(*group, context, run);
}

}  // namespace retort::cli
