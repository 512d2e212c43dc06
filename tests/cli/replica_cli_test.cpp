// Reads that may be slightly stale go to the streaming replica `./dev test` starts beside the
// test server (RETORT_TEST_PG_REPLICA_URL); writes and migrations go to the primary; `events
// stats` reports the replica's lag; libpq's multi-host form finds both roles by itself.
//
// Where a read went is shown, not assumed: with WAL replay paused on the replica, events stored
// on the primary stay invisible to `events list`, and `events stats` reports the WAL not replayed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "migrate_cli_support.hpp"
#include "retort/connection.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

using migrate_cli::CliRun;
using nlohmann::json;

std::string replica_server_url() {
  const char* url = std::getenv("RETORT_TEST_PG_REPLICA_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "RETORT_TEST_PG_REPLICA_URL is not set: the replica tests need the streaming replica "
        "that `./dev test` starts (they fail rather than skip)");
  }
  return url;
}

std::string sh_quoted(const std::string& text) {
  return "'" + text + "'";  // our URLs hold no single quote
}

std::string with_search_path(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
         schema;
}

class ReplicaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_url_ = schema_.url_text();
    replica_url_ = with_search_path(replica_server_url(), schema_.name());
    env_ = "RETORT_DATABASE_URL=" + sh_quoted(primary_url_) +
           " RETORT_REPLICA_URL=" + sh_quoted(replica_url_);
  }
  void TearDown() override { resume_replay(); }

  CliRun run(const std::string& args, const std::string& env) {
    return migrate_cli::retort(args, dir_.path(), env);
  }
  CliRun run(const std::string& args) { return run(args, env_); }

  std::unique_ptr<Connection> replica() {
    return connect(parse_database_url(replica_server_url()));
  }

  // Waits (bounded, not a timing assertion) until the replica has replayed the primary's WAL.
  void wait_for_replay() {
    std::unique_ptr<Connection> primary = connect(parse_database_url(testing::pg_server_url()));
    const std::string lsn =
        primary->execute("SELECT pg_current_wal_lsn()::text").at(0)[0].as_text();
    std::unique_ptr<Connection> standby = replica();
    for (int i = 0; i < 600; ++i) {
      if (standby->execute("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", {lsn})
              .at(0)[0]
              .as_bool()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the replica did not replay up to " << lsn;
  }
  void pause_replay() { replica()->execute("SELECT pg_wal_replay_pause()"); }
  void resume_replay() { replica()->execute("SELECT pg_wal_replay_resume()"); }

  void ingest(int first, int count) {
    std::string lines;
    for (int i = first; i < first + count; ++i) lines += fmt::format("{{\"n\": {}}}\n", i);
    std::ofstream(dir_ / "in.jsonl") << lines;
    const CliRun r = run("events ingest --restart in.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::size_t listed() {
    const CliRun r = run("events list --limit 100 --json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
  }

  testing::PgSchema schema_;
  testing::TempDir dir_;
  std::string primary_url_, replica_url_, env_;
};

TEST_F(ReplicaCliTest, ReadsComeFromTheReplicaWritesGoToThePrimary) {
  // Migrations and ingest would fail on a standby (read-only transactions): they reach the primary.
  CliRun r = run("upgrade head");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ingest(1, 3);
  wait_for_replay();
  EXPECT_EQ(listed(), 3u);

  pause_replay();
  ingest(4, 2);
  EXPECT_EQ(listed(), 3u) << "events list did not read from the paused replica";
  r = run("events find --path n=4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.out, "") << r.output;
  r = run("events stats --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json stats = json::parse(r.out);
  EXPECT_EQ(stats["replica"]["in_recovery"], true) << r.out;
  EXPECT_GT(stats["replica"]["lag_bytes"].get<std::int64_t>(), 0) << r.out;
  std::int64_t counted = 0;
  for (const json& c : stats["counts"]) counted += c["count"].get<std::int64_t>();
  EXPECT_EQ(counted, 3) << r.out;  // the replica's view
  r = run("events stats");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.out.find("read from a replica: lag "), std::string::npos) << r.out;

  resume_replay();
  wait_for_replay();
  EXPECT_EQ(listed(), 5u);
}

TEST_F(ReplicaCliTest, StatsWithoutAReplicaReportNone) {
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  const CliRun r = run("events stats --json", "RETORT_DATABASE_URL=" + sh_quoted(primary_url_));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(json::parse(r.out)["replica"].is_null()) << r.out;
}

TEST_F(ReplicaCliTest, SettingsShowWhereEachKindOfWorkGoes) {
  CliRun r = run("settings");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string port = std::getenv("RETORT_TEST_PG_REPLICA_PORT");
  EXPECT_NE(r.out.find("reads:   postgresql://postgres:***@127.0.0.1:" + port + "/postgres"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(environment variable RETORT_REPLICA_URL)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("migrate: the database URL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pooling: session (default)"), std::string::npos) << r.out;
  r = run("settings --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json s = json::parse(r.out);
  EXPECT_EQ(s["replica"]["origin"], "environment variable RETORT_REPLICA_URL");
  EXPECT_TRUE(s["migration"].is_null());
  EXPECT_EQ(s["pool_mode"], "session");
  const std::string password = parse_database_url(replica_server_url()).param("password").value();
  EXPECT_EQ(r.output.find(password), std::string::npos);
}

// One URL naming both servers, the replica first: target_session_attrs=read-write takes writes
// to the primary, and the derived read URL (prefer-standby) takes reads to the replica.
TEST_F(ReplicaCliTest, MultiHostUrlFindsThePrimaryAndTheStandby) {
  const DatabaseUrl primary = parse_database_url(testing::pg_server_url());
  const std::string encoded =
      primary_url_.substr(0, primary_url_.find('@'));  // postgresql://user:pw
  const std::string url = with_search_path(
      fmt::format("{}@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write", encoded,
                  std::getenv("RETORT_TEST_PG_REPLICA_PORT"), primary.param("port").value()),
      schema_.name());
  const std::string env = "DATABASE_URL=" + sh_quoted(url);
  CliRun r = run("settings", env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.out.find("target_session_attrs=prefer-standby ("), std::string::npos) << r.out;
  r = run("upgrade head", env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  wait_for_replay();  // the reads below are the replica's: its tables must exist there first
  r = run("events stats --json", env);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.out)["replica"]["in_recovery"], true) << r.out;
}

}  // namespace
}  // namespace retort
