// `retort events ...` as a user runs it, on a SQLite file and on PostgreSQL.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include "support/test_db.hpp"

namespace retort {
namespace {

struct EventsCliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

EventsCliRun run_events_cli(const std::string& args, const std::filesystem::path& dir) {
  const std::string command = "cd '" + dir.string() +
                              "' && env -u RETORT_DATABASE_URL -u DATABASE_URL -u DB_USER -u DB_HOST "
                              "-u DB_NAME -u DB_PASSWORD -u RETORT_CONFIG '" RETORT_BINARY_DIR
                              "/retort' " +
                              args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return EventsCliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class EventsCliTest : public ::testing::TestWithParam<Dialect> {
 protected:
  EventsCliTest() {
    if (GetParam() == Dialect::postgresql) {
      schema_ = std::make_unique<testing::PgSchema>();
      url_ = schema_->url_text();
    } else {
      url_ = "sqlite:///" + (dir_ / "events.db").string();
    }
  }
  EventsCliRun run(const std::string& args) {
    return run_events_cli("--url '" + url_ + "' " + args, dir_.path());
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PgSchema> schema_;
  std::string url_;
};

TEST_P(EventsCliTest, IngestReportsRejectedLinesAndStoresTheRest) {
  write("in.jsonl",
        "{\"type\":\"x\",\"n\":1}\n{\"type\":\"x\",\"n\":2,}\n{\"type\":\"y\",\"q\":\"it's \\\"quoted\\\"\"}\n");
  EventsCliRun r = run("events ingest in.jsonl");
  EXPECT_EQ(r.exit_code, 6) << r.output;  // done, some lines rejected
  EXPECT_NE(r.output.find("accepted 2, rejected 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 2: rejected: malformed JSON"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("byte 18"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("lines read"), std::string::npos) << "no progress line off a terminal";

  r = run("events list --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 2u) << r.output;

  r = run("events find --contains '{\"type\":\"x\"}' --since 2020-01-01 --limit 20 --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 1u) << r.output;

  r = run("events find --path q='it'\"'\"'s \"quoted\"' --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 1u) << r.output;

  r = run("events find --contains '{\"type\":\"x\"}' --until 2020-01-01");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(0 events)"), std::string::npos) << r.output;

  r = run("events list");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("task_context"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(2 events)"), std::string::npos) << r.output;
}

TEST_P(EventsCliTest, StrictStoresNothingOnABadLineAndShowPrintsOneEvent) {
  write("in.jsonl", "{\"a\":1}\nnope\n");
  EventsCliRun r = run("events ingest --strict in.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // nothing stored: an error
  EXPECT_NE(r.output.find("nothing stored"), std::string::npos) << r.output;
  r = run("events list --json");
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 0u) << r.output;

  r = run_events_cli("--url '" + url_ + "' events ingest - < in.jsonl", dir_.path());
  EXPECT_NE(r.output.find("accepted 1, rejected 1"), std::string::npos) << r.output;
  r = run("events list --json");
  const std::size_t at = r.output.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string id = r.output.substr(at + 6, 36);
  r = run("events show " + id);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("id:           " + id), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NULL (not processed)"), std::string::npos) << r.output;
  r = run("events show 0190a4c2-0000-7000-8000-000000000000");
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

TEST(EventsCliDemo, DemoIngestsTheExamplesAndProcessesThem) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "examples");
  std::filesystem::copy_file(std::filesystem::path(RETORT_SOURCE_DIR) / "examples" / "events.jsonl",
                             dir / "examples" / "events.jsonl");
  EventsCliRun r = run_events_cli("demo", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("50 events accepted, 2 lines rejected"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 18:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 39:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("processed 50 unprocessed events"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("billing"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsCliTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort
