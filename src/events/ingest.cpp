// JSON Lines ingest: bounded memory (one line and one batch), batched bulk writes, per-line
// rejections with line numbers, the ingest ledger (resume without duplicates) and retries of a
// batch a broken connection interrupted when its outcome is known.
#include <fmt/format.h>

#include <chrono>
#include <istream>
#include <thread>

#include "core/json_check.hpp"
#include "core/log.hpp"
#include "events/ingest_ledger.hpp"
#include "events/line_reader.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A batch of valid events and the lines it accounts for: (first_line - 1, last_line], bad and
// blank lines included, so that committing it moves the ledger to last_line.
struct Batch {
  std::vector<Event> events;
  std::size_t last_line = 0;
  std::size_t rejected = 0;  // lines refused within the batch's range
  bool final = false;        // the input ends with this batch
};

// Reads lines and hands batches to store(batch); bad lines go to the report. Lines up to
// options.skip_through are read but neither checked nor stored (a resumed ingest). In strict
// mode, after the first bad line, keeps reading (to report every bad line) but stores nothing.
class LineBatcher {
 public:
  LineBatcher(const IngestOptions& options, IngestReport& report)
      : options_(options), report_(report) {}

  void run(std::istream& in, std::size_t skip_through, const std::function<void(Batch&)>& store) {
    const std::size_t batch_size = options_.batch_size == 0 ? 1 : options_.batch_size;
    LineReader reader(in, options_.max_event_bytes);
    Batch batch;
    batch.events.reserve(std::min<std::size_t>(batch_size, 1024));
    LineReader::Line line;
    while (reader.next(line)) {
      ++report_.lines;
      if (report_.lines <= skip_through) {
        ++report_.skipped;
        continue;
      }
      read_line(line, batch);
      if (batch.events.size() >= batch_size) flush(batch, false, store);
    }
    if (report_.lines < skip_through) {
      throw UsageError(fmt::format(
          "the input has {} lines, fewer than the {} the ingest ledger says were stored: it is not "
          "the file the ledger knows",
          report_.lines, skip_through));
    }
    flush(batch, true, store);
  }

 private:
  void read_line(const LineReader::Line& line, Batch& batch) {
    std::optional<JsonProblem> problem;
    if (line.too_long) {
      problem = JsonProblem{fmt::format("event is {} bytes, over the maximum of {} bytes",
                                        line.full_size, options_.max_event_bytes),
                            options_.max_event_bytes};
    } else {
      std::string_view text = line.text;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (is_blank(text)) return;
      // The one check of the line: the checked document is stored as it is.
      std::variant<JsonText, json::Problem> checked =
          json::check(std::string(text), options_.max_event_bytes);
      if (JsonText* document = std::get_if<JsonText>(&checked)) {
        Event e;
        e.data = std::move(*document);
        if (options_.id_version == IdVersion::v1) e.id = Uuid::v1();
        batch.events.push_back(std::move(e));
        return;
      }
      json::Problem& refused = std::get<json::Problem>(checked);
      problem = JsonProblem{std::move(refused.reason), refused.offset};
    }
    ++report_.rejected;
    ++batch.rejected;
    if (report_.rejections.size() < options_.max_rejections_kept) {
      report_.rejections.push_back({report_.lines, problem->offset, problem->reason});
    }
    if (options_.strict) batch.events.clear();
  }

  void flush(Batch& batch, bool final, const std::function<void(Batch&)>& store) {
    batch.last_line = report_.lines;
    batch.final = final;
    if (!(options_.strict && report_.rejected > 0)) store(batch);
    batch.events.clear();
    batch.rejected = 0;
    if (options_.on_progress) {
      options_.on_progress(report_.lines, report_.accepted, report_.rejected);
    }
  }

  const IngestOptions& options_;
  IngestReport& report_;
};

// Stores batches, each in its own transaction with its ledger update, retrying a batch that a
// broken connection interrupted when its outcome is known.
class BatchWriter {
 public:
  BatchWriter(Database& db, const IngestOptions& options, IngestReport& report,
              const IngestLedger* ledger)
      : db_(&db), options_(&options), report_(&report), ledger_(ledger) {}

  void store(Batch& batch) {
    if (batch.events.empty() && ledger_ == nullptr) {
      record(batch);
      return;
    }
    for (std::size_t attempt = 0;; ++attempt) {
      bool committing = false;
      try {
        Session s = db_->session();
        write(s, batch);
        committing = true;
        s.commit();
        record(batch);
        return;
      } catch (const ConnectionError& e) {
        if (committing && outcome_of_commit(batch, e) == Outcome::committed) {
          record(batch);
          return;
        }
        if (attempt >= options_->max_retries) throw;
        retry(attempt + 1, e.what());
      }
    }
  }

 private:
  enum class Outcome { committed, rolled_back };

  void write(Session& s, Batch& batch) {
    if (!batch.events.empty()) {
      Repository<Event>(s).create_many_in_place(std::span<Event>(batch.events));
    }
    if (ledger_ != nullptr) {
      ledger_->advance(s, static_cast<std::int64_t>(report_->committed_line),
                       static_cast<std::int64_t>(batch.last_line),
                       static_cast<std::int64_t>(batch.events.size()),
                       static_cast<std::int64_t>(batch.rejected), batch.final);
    }
  }

  void record(const Batch& batch) {
    report_->accepted += batch.events.size();
    report_->committed_line = batch.last_line;
    report_->complete = batch.final;
  }

  // The connection broke while COMMIT was on its way: only the ledger, read on a fresh
  // connection, knows whether the batch is stored. Without a ledger nobody knows.
  Outcome outcome_of_commit(const Batch& batch, const ConnectionError& e) {
    if (ledger_ == nullptr) {
      throw IngestError(
          fmt::format("the connection broke during the COMMIT of lines {}..{}, so whether they "
                      "were stored is unknown (standard input keeps no ingest ledger): {}",
                      report_->committed_line + 1, batch.last_line, e.what()),
          *report_, std::current_exception());
    }
    for (std::size_t attempt = 0;; ++attempt) {
      try {
        Session s = db_->session();
        std::optional<IngestLedgerEntry> entry = ledger_->read(s);
        s.commit();
        // The final batch may add no line (its update only marks the file complete): then only
        // the complete flag tells whether it committed.
        const bool stored = entry &&
                            entry->last_line >= static_cast<std::int64_t>(batch.last_line) &&
                            (!batch.final || entry->complete);
        log::info("ingest: COMMIT of lines {}..{} interrupted; the ledger says it {}",
                  report_->committed_line + 1, batch.last_line,
                  stored ? "committed" : "did not commit");
        return stored ? Outcome::committed : Outcome::rolled_back;
      } catch (const ConnectionError& again) {
        if (attempt >= options_->max_retries) throw;
        retry(attempt + 1, again.what());
      }
    }
  }

  void retry(std::size_t attempt, const std::string& error) {
    ++report_->retries;
    if (options_->on_retry) {
      options_->on_retry(attempt, error);
    } else {
      log::warn("ingest: the connection broke ({}); retry {} of {} on a new connection", error,
                attempt, options_->max_retries);
    }
    // 0.2 s, 0.4 s, 0.8 s, ... at most 5 s: time for a restarting server to accept connections.
    const auto delay =
        std::chrono::milliseconds(200) * (1 << std::min<std::size_t>(attempt - 1, 4));
    std::this_thread::sleep_for(std::min(delay, std::chrono::milliseconds(5000)));
  }

  Database* db_;
  const IngestOptions* options_;
  IngestReport* report_;
  const IngestLedger* ledger_;
};

// Where this run starts, from the ledger and the mode; nullopt when there is nothing to do.
std::optional<std::size_t> starting_line(Database& db, const IngestLedger& ledger,
                                         const IngestOptions& options, IngestReport& report) {
  return db.transaction([&](Session& s) -> std::optional<std::size_t> {
    require_schema(s, true);
    const IngestLedgerEntry entry = ledger.open(s);
    const auto last = static_cast<std::size_t>(entry.last_line);
    if (options.mode == IngestMode::restart) {
      ledger.reset(s);
      return 0;
    }
    if (entry.complete) {
      report.already_complete = true;
      report.complete = true;
      report.committed_line = last;
      return std::nullopt;
    }
    if (last > 0 && options.mode == IngestMode::fresh) {
      report.committed_line = last;
      throw IngestError(
          fmt::format("{} was partially ingested before (lines 1..{} stored, {} events, last at "
                      "{}): use --resume to continue after line {}, or --restart to ingest it "
                      "again from line 1 (storing those lines a second time)",
                      ledger.source().path, last, entry.accepted, entry.updated_at.to_string(),
                      last),
          report);
    }
    report.committed_line = last;
    return last;
  });
}

// One transaction for the whole input; a broken connection is not retried (the input is read).
IngestReport ingest_strict(Database& db, std::istream& in, const IngestOptions& options,
                           const IngestLedger* ledger, std::size_t skip_through) {
  IngestReport report;
  report.committed_line = skip_through;
  std::size_t pending = 0;
  bool committing = false;
  try {
    Session s = db.session();
    Repository<Event> repo(s);
    LineBatcher(options, report).run(in, skip_through, [&](Batch& batch) {
      if (!batch.events.empty()) repo.create_many_in_place(std::span<Event>(batch.events));
      pending += batch.events.size();
      if (batch.final && ledger != nullptr) {
        ledger->advance(s, static_cast<std::int64_t>(skip_through),
                        static_cast<std::int64_t>(batch.last_line),
                        static_cast<std::int64_t>(pending), 0, true);
      }
    });
    if (report.rejected > 0) {
      report.aborted = true;
      s.rollback();
      return report;
    }
    committing = true;
    s.commit();
  } catch (const Error& e) {
    bool stored = false;
    if (committing && ledger != nullptr && dynamic_cast<const ConnectionError*>(&e) != nullptr) {
      // The ledger, on a new connection, says whether the COMMIT that broke went through.
      stored = db.transaction([&](Session& s) {
        std::optional<IngestLedgerEntry> entry = ledger->read(s);
        return entry && entry->complete;
      });
    }
    if (!stored) {
      throw IngestError(
          fmt::format("strict ingest stopped after line {}: {}; {}", report.lines, e.what(),
                      committing && ledger == nullptr
                          ? "the connection broke during COMMIT: whether it was stored is unknown"
                          : "nothing of this run was stored (one transaction)"),
          report, std::current_exception());
    }
  }
  report.accepted = pending;
  report.committed_line = report.lines;
  report.complete = true;
  return report;
}

// Which lines the failure left unstored and which are stored, so that the caller knows what a
// rerun with --resume will do. A batch is flushed when its last line is read: the failed one is
// committed_line + 1 .. lines.
std::string stopped_message(const IngestReport& report, const IngestOptions& options,
                            const Error& e) {
  const std::string input = options.source ? options.source->path : "the input";
  const std::size_t stored = report.committed_line;
  const std::string kept =
      stored == 0 ? "no line is stored" : fmt::format("lines 1..{} are stored", stored);
  const std::string rerun =
      options.source ? fmt::format(": rerun with --resume to continue after line {}", stored)
                     : std::string();
  if (stored >= report.lines) {
    return fmt::format(
        "ingest of {} stopped while marking it complete in the ingest ledger: {}; {}{}", input,
        e.what(), kept, rerun);
  }
  return fmt::format("ingest of {} stopped: lines {}..{} were not stored: {}; {}{}", input,
                     stored + 1, report.lines, e.what(), kept, rerun);
}

}  // namespace

IngestReport EventRepository::record_lines(std::istream& in, const IngestOptions& options) {
  IngestReport report;
  std::size_t pending = 0;
  LineBatcher(options, report).run(in, 0, [&](Batch& batch) {
    if (batch.events.empty()) return;
    repo_.create_many_in_place(std::span<Event>(batch.events));
    pending += batch.events.size();
    report.accepted = pending;
  });
  if (options.strict && report.rejected > 0) {
    report.aborted = true;
    report.accepted = 0;
  }
  return report;
}

IngestReport ingest(Database& db, std::istream& in, const IngestOptions& options) {
  std::optional<IngestLedger> ledger;
  std::size_t skip_through = 0;
  IngestReport report;
  if (options.source) {
    ledger.emplace(*options.source);
    std::optional<std::size_t> start;
    try {
      start = starting_line(db, *ledger, options, report);
    } catch (const IngestError&) {
      throw;
    } catch (const DatabaseError& e) {
      throw IngestError(fmt::format("ingest of {} did not start: reading its ingest ledger "
                                    "failed: {}; nothing of this run was stored",
                                    options.source->path, e.what()),
                        report, std::current_exception());
    }
    if (!start) return report;
    skip_through = *start;
  } else {
    if (options.mode == IngestMode::resume) {
      throw UsageError(
          "resuming needs the input's identity (IngestOptions::source): standard "
          "input keeps no ingest ledger");
    }
    db.transaction([](Session& s) { require_schema(s); });
  }
  const IngestLedger* ledger_ptr = ledger ? &*ledger : nullptr;
  if (options.strict) return ingest_strict(db, in, options, ledger_ptr, skip_through);
  report.committed_line = skip_through;
  BatchWriter writer(db, options, report, ledger_ptr);
  try {
    LineBatcher(options, report).run(in, skip_through, [&](Batch& batch) { writer.store(batch); });
  } catch (const IngestError&) {
    throw;
  } catch (const Error& e) {
    throw IngestError(stopped_message(report, options, e), report, std::current_exception());
  }
  return report;
}

}  // namespace retort::events
