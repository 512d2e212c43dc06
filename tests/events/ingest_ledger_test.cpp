// The ingest ledger: an interrupted ingest resumes without duplicates, a complete file is not
// stored twice, and a batch a broken connection interrupted is retried when its outcome is known.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "retort/error.hpp"
#include "retort/events.hpp"
#include "support/events_schema.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

// Lines 1..n, each {"n": i}, except every 97th, which is not JSON.
std::string numbered_lines(std::size_t n) {
  std::string text;
  for (std::size_t i = 1; i <= n; ++i) {
    text += i % 97 == 0 ? "not json " + std::to_string(i) : R"({"n": )" + std::to_string(i) + "}";
    text += '\n';
  }
  return text;
}

std::size_t valid_lines(std::size_t n) {
  return n - n / 97;
}

// A Error subclass the test throws from on_progress: an interruption between two batches.
class Interrupted : public Error {
 public:
  using Error::Error;
};

class IngestLedgerTest : public ::testing::TestWithParam<Dialect> {
 protected:
  IngestLedgerTest() : test_db_(GetParam()), db_(test_db_.url()) {
    testing::upgrade_events_schema(db_);
  }

  IngestSource write_file(const std::string& text) {
    std::ofstream(dir_ / "in.jsonl", std::ios::binary) << text;
    return identify_ingest_source((dir_ / "in.jsonl").string());
  }

  IngestReport run(const IngestOptions& options) {
    std::ifstream in(dir_ / "in.jsonl", std::ios::binary);
    return ingest(db_, in, options);
  }

  // How many events hold each marker n; every marker must be there exactly once.
  std::map<std::int64_t, int> markers() {
    std::map<std::int64_t, int> seen;
    for (const Row& row : db_.connection()->execute("SELECT data FROM events")) {
      ++seen[nlohmann::json::parse(row[0].as_text())["n"].get<std::int64_t>()];
    }
    return seen;
  }

  void expect_each_valid_line_once(std::size_t lines) {
    const std::map<std::int64_t, int> seen = markers();
    EXPECT_EQ(seen.size(), valid_lines(lines));
    for (const auto& [n, count] : seen)
      EXPECT_EQ(count, 1) << "line " << n << " stored " << count << " times";
  }

  testing::TestDatabase test_db_;
  testing::TempDir dir_;
  Database db_;
};

TEST_P(IngestLedgerTest, InterruptedIngestResumesAfterTheLastCommittedLineWithoutDuplicates) {
  const std::size_t n = 1000;
  IngestOptions options;
  options.source = write_file(numbered_lines(n));
  options.batch_size = 100;
  std::size_t batches = 0;
  options.on_progress = [&](std::size_t, std::size_t, std::size_t) {
    if (++batches == 3) throw Interrupted("interrupted after the third batch");
  };
  try {
    run(options);
    FAIL() << "the interruption did not stop the ingest";
  } catch (const IngestError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted after the third batch"), std::string::npos)
        << e.what();
    // Three batches of 100 events: lines 1..303 (lines 97, 194 and 291 are not JSON).
    EXPECT_EQ(e.report().committed_line, 303u);
    EXPECT_EQ(e.report().accepted, 300u);
    EXPECT_FALSE(e.report().complete);
  }
  std::optional<IngestLedgerEntry> entry =
      db_.transaction([&](Session& s) { return find_ingest_ledger(s, *options.source); });
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->last_line, 303);
  EXPECT_EQ(entry->accepted, 300);
  EXPECT_EQ(entry->rejected, 3);
  EXPECT_FALSE(entry->complete);
  EXPECT_EQ(markers().size(), 300u);

  // Again without resume: refused, nothing stored twice.
  options.on_progress = nullptr;
  try {
    run(options);
    FAIL() << "a partially ingested file was ingested again";
  } catch (const IngestError& e) {
    EXPECT_NE(std::string(e.what()).find("use --resume to continue after line 303"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.report().committed_line, 303u);
  }
  EXPECT_EQ(markers().size(), 300u);

  options.mode = IngestMode::resume;
  IngestReport resumed = run(options);
  EXPECT_EQ(resumed.skipped, 303u);
  EXPECT_EQ(resumed.accepted, valid_lines(n) - 300);
  EXPECT_EQ(resumed.committed_line, n);
  EXPECT_TRUE(resumed.complete);
  ASSERT_FALSE(resumed.rejections.empty());
  EXPECT_EQ(resumed.rejections.front().line, 388u);  // line numbers count from the file's start
  expect_each_valid_line_once(n);

  // A complete file: a no-op, with or without resume.
  for (IngestMode mode : {IngestMode::fresh, IngestMode::resume}) {
    options.mode = mode;
    IngestReport again = run(options);
    EXPECT_TRUE(again.already_complete);
    EXPECT_EQ(again.accepted, 0u);
    EXPECT_EQ(again.committed_line, n);
  }
  expect_each_valid_line_once(n);

  // restart: stored again, on purpose.
  options.mode = IngestMode::restart;
  IngestReport restarted = run(options);
  EXPECT_EQ(restarted.accepted, valid_lines(n));
  EXPECT_EQ(markers().begin()->second, 2);
}

TEST_P(IngestLedgerTest, StrictIngestRecordsTheWholeFileOrNothing) {
  IngestOptions options;
  options.source = write_file("{\"n\": 1}\n{\"n\": 2}\n");
  options.strict = true;
  options.batch_size = 1;
  IngestReport report = run(options);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.committed_line, 2u);
  EXPECT_TRUE(run(options).already_complete);
  EXPECT_EQ(markers().size(), 2u);

  options.source = write_file("{\"n\": 3}\nnope\n");
  IngestReport aborted = run(options);
  EXPECT_TRUE(aborted.aborted);
  EXPECT_EQ(aborted.committed_line, 0u);
  std::optional<IngestLedgerEntry> entry =
      db_.transaction([&](Session& s) { return find_ingest_ledger(s, *options.source); });
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->last_line, 0);
  EXPECT_EQ(markers().size(), 2u);
}

TEST_P(IngestLedgerTest, ALongerFileIsAnotherFileAndAShorterOneCannotResume) {
  IngestOptions options;
  options.source = write_file(numbered_lines(10));
  run(options);
  // Appending changes the size: a new identity, ingested as a new file.
  IngestSource longer = write_file(numbered_lines(12));
  EXPECT_NE(longer.size, options.source->size);
  EXPECT_NE(longer.head_sha256, std::string());
  // The ledger of a file whose content no longer has the committed lines.
  options.source = longer;
  options.mode = IngestMode::resume;
  db_.transaction([&](Session& s) {
    s.execute(
        "INSERT INTO events_ingest_ledger (file_size, head_sha256, source, last_line, "
        "accepted, rejected, complete, started_at, updated_at) VALUES ($1, $2, 'x', 50, 50, "
        "0, $3, $4, $4)",
        {Value(longer.size), Value(longer.head_sha256), Value(false), Value(Timestamp::now())});
  });
  try {
    run(options);
    FAIL() << "resumed past the end of the input";
  } catch (const IngestError& e) {
    EXPECT_NE(std::string(e.what()).find("has 12 lines, fewer than the 50"), std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, IngestLedgerTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

// PostgreSQL: backends terminated from another connection, between batches and during COMMIT.
class IngestReconnectTest : public ::testing::Test {
 protected:
  // The schema is made through admin_, so the ingest's pool holds one connection at a time.
  IngestReconnectTest() : db_(ingest_url(), ingest_options()), admin_(schema_.url()) {
    testing::upgrade_events_schema(admin_);
  }

  DatabaseUrl ingest_url() const {
    DatabaseUrl url = schema_.url();
    url.set_param("application_name", application_name());
    return url;
  }
  std::string application_name() const { return "ingest_" + schema_.name(); }
  static DatabaseOptions ingest_options() {
    DatabaseOptions o;
    // A terminated idle connection is handed out unchecked, so the batch's own COPY meets it.
    o.pool.alive_bypass = std::chrono::hours(1);
    return o;
  }

  std::int64_t terminate_ingest_backends() {
    return admin_.connection()
        ->execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            {Value(application_name())})
        .at(0)[0]
        .as_int64();
  }

  std::int64_t rows() {
    return admin_.connection()
        ->execute("SELECT count(DISTINCT data) FROM events")
        .at(0)[0]
        .as_int64();
  }
  std::int64_t all_rows() {
    return admin_.connection()->execute("SELECT count(*) FROM events").at(0)[0].as_int64();
  }

  IngestReport run(IngestOptions options) {
    std::ifstream in(dir_ / "in.jsonl", std::ios::binary);
    return ingest(db_, in, options);
  }

  IngestSource write_file(std::size_t lines) {
    std::ofstream(dir_ / "in.jsonl", std::ios::binary) << numbered_lines(lines);
    return identify_ingest_source((dir_ / "in.jsonl").string());
  }

  testing::PgSchema schema_;
  testing::TempDir dir_;
  Database db_;
  Database admin_;
};

TEST_F(IngestReconnectTest, TerminatedBackendFailsTheIngestWithItsReportThenResumeCompletesIt) {
  IngestOptions options;
  options.source = write_file(2000);
  options.batch_size = 200;
  options.max_retries = 0;
  std::size_t batches = 0;
  options.on_progress = [&](std::size_t, std::size_t, std::size_t) {
    if (++batches == 2) {
      EXPECT_GE(terminate_ingest_backends(), 1);
    }
  };
  try {
    run(options);
    FAIL() << "the terminated backend did not stop the ingest";
  } catch (const IngestError& e) {
    EXPECT_EQ(e.report().accepted, 400u);
    EXPECT_EQ(e.report().committed_line, 404u);  // two batches of 200 events, 4 bad lines
    EXPECT_NE(std::string(e.what()).find("terminat"), std::string::npos) << e.what();
    EXPECT_TRUE(e.cause() != nullptr);
  }
  EXPECT_EQ(all_rows(), 400);
  options.on_progress = nullptr;
  options.mode = IngestMode::resume;
  IngestReport resumed = run(options);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(all_rows(), static_cast<std::int64_t>(valid_lines(2000)));
  EXPECT_EQ(rows(), all_rows()) << "a line was stored twice";
}

TEST_F(IngestReconnectTest, BatchInterruptedBeforeCommitIsRetriedOnANewConnection) {
  IngestOptions options;
  options.source = write_file(2000);
  options.batch_size = 200;
  std::size_t batches = 0;
  std::vector<std::string> retries;
  options.on_retry = [&](std::size_t, const std::string& error) { retries.push_back(error); };
  options.on_progress = [&](std::size_t, std::size_t, std::size_t) {
    if (++batches == 2) {
      EXPECT_GE(terminate_ingest_backends(), 1);
    }
  };
  IngestReport report = run(options);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.retries, 1u);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(all_rows(), static_cast<std::int64_t>(valid_lines(2000)));
  EXPECT_EQ(rows(), all_rows()) << "a line was stored twice";
}

TEST_F(IngestReconnectTest, BatchInterruptedDuringCommitIsSettledByTheLedger) {
  // At the COMMIT of the third batch (a deferred trigger runs then), the backend terminates
  // itself: the client sees the connection break during COMMIT, reads the ledger on a new
  // connection, learns the batch did not commit, and retries it.
  admin_.connection()->execute_script(R"(
    CREATE SEQUENCE ingest_fault;
    CREATE FUNCTION ingest_fault() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      IF nextval('ingest_fault') = 3 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
      END IF;
      RETURN NULL;
    END $f$;
    CREATE CONSTRAINT TRIGGER ingest_fault AFTER UPDATE ON events_ingest_ledger
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ingest_fault();
  )");
  IngestOptions options;
  options.source = write_file(1000);
  options.batch_size = 100;
  std::vector<std::string> retries;
  options.on_retry = [&](std::size_t, const std::string& error) { retries.push_back(error); };
  IngestReport report = run(options);
  EXPECT_TRUE(report.complete);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(all_rows(), static_cast<std::int64_t>(valid_lines(1000)));
  EXPECT_EQ(rows(), all_rows()) << "a line was stored twice";
}

}  // namespace
}  // namespace retort::events
