// JSON Lines ingest: bounded memory (one line and one batch), batched bulk writes, per-line
// rejections with line numbers.
#include <fmt/format.h>

#include <istream>

#include "events/line_reader.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Reads lines and hands batches of valid events to store(batch); bad lines go to the report.
// stop_on_error: after the first bad line, keeps reading (to report every bad line) but stores
// no more batches.
void run_ingest(std::istream& in, const IngestOptions& options, IngestReport& report,
                const std::function<void(std::vector<Event>&)>& store) {
  const std::size_t batch_size = options.batch_size == 0 ? 1 : options.batch_size;
  LineReader reader(in, options.max_event_bytes);
  std::vector<Event> batch;
  batch.reserve(std::min<std::size_t>(batch_size, 1024));
  auto flush = [&] {
    if (batch.empty()) return;
    if (!(options.strict && report.rejected > 0)) {
      const std::size_t stored = batch.size();
      store(batch);
      report.accepted += stored;
    }
    batch.clear();
    if (options.on_progress) options.on_progress(report.lines, report.accepted, report.rejected);
  };
  LineReader::Line line;
  while (reader.next(line)) {
    ++report.lines;
    std::optional<JsonProblem> problem;
    if (line.too_long) {
      problem = JsonProblem{fmt::format("event is {} bytes, over the maximum of {} bytes",
                                        line.full_size, options.max_event_bytes),
                            options.max_event_bytes};
    } else {
      std::string_view text = line.text;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (is_blank(text)) continue;
      problem = check_json(text, options.max_event_bytes);
      if (!problem) {
        Event e;
        e.data = JsonText{std::string(text)};
        if (options.id_version == IdVersion::v1) e.id = Uuid::v1();
        batch.push_back(std::move(e));
      }
    }
    if (problem) {
      ++report.rejected;
      if (report.rejections.size() < options.max_rejections_kept) {
        report.rejections.push_back({report.lines, problem->offset, problem->reason});
      }
      if (options.strict) batch.clear();
    }
    if (batch.size() >= batch_size) flush();
  }
  flush();
  if (options.strict && report.rejected > 0) {
    report.aborted = true;
    report.accepted = 0;
  }
}

}  // namespace

IngestReport EventRepository::record_lines(std::istream& in, const IngestOptions& options) {
  IngestReport report;
  run_ingest(in, options, report, [&](std::vector<Event>& batch) {
    repo_.create_many(std::move(batch));
    batch = {};
  });
  return report;
}

IngestReport ingest(Database& db, std::istream& in, const IngestOptions& options) {
  IngestReport report;
  if (options.strict) {
    Session s = db.session();
    EventRepository events(s);
    run_ingest(in, options, report, [&](std::vector<Event>& batch) {
      events.generic().create_many(std::move(batch));
      batch = {};
    });
    if (report.aborted) {
      s.rollback();
    } else {
      s.commit();
    }
    return report;
  }
  run_ingest(in, options, report, [&](std::vector<Event>& batch) {
    db.transaction([&](Session& s) { Repository<Event>(s).create_many(std::move(batch)); });
    batch = {};
  });
  return report;
}

}  // namespace retort::events
