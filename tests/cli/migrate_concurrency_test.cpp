// Several `retort upgrade head` at once, and `kill -9` in the middle of long upgrades, on both
// backends: every revision is applied exactly once, and the version table always matches the
// schema.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

// A throwaway database and the URL text to hand to --url.
struct CliDatabase {
  explicit CliDatabase(Dialect dialect) {
    if (dialect == Dialect::postgresql) {
      schema = std::make_unique<retort::testing::PgSchema>();
      url_text = schema->url_text();
    } else {
      url_text = "sqlite:///" + (dir.path() / "app.db").string();
    }
  }
  Database open() const { return Database::open(url_text); }
  std::unique_ptr<retort::testing::PgSchema> schema;
  retort::testing::TempDir dir;
  std::string url_text;
};

std::vector<std::string> rows(Database& db, const std::string& sql) {
  std::vector<std::string> out;
  for (const Row& r : db.connection()->execute(sql)) out.push_back(r[0].to_display());
  return out;
}

bool has_table(Database& db, const std::string& name) {
  if (db.dialect() == Dialect::postgresql) {
    return db.connection()
        ->execute("SELECT to_regclass($1) IS NOT NULL", {name})
        .at(0)[0]
        .as_bool();
  }
  return !db.connection()->execute("SELECT 1 FROM sqlite_master WHERE name = $1", {name}).empty();
}

// Which revision the version table names (-1: none), after checking that exactly the tables of
// revisions 0..k exist and that each was recorded once.
int check_consistent(Database& db, int total) {
  const bool version_table = has_table(db, "retort_version");
  std::vector<std::string> v = version_table ? rows(db, "SELECT version_num FROM retort_version")
                                             : std::vector<std::string>{};
  EXPECT_LE(v.size(), 1u);
  const int k = v.empty() ? -1 : std::stoi(v.front().substr(1));
  for (int i = 0; i < total; ++i) {
    const std::string t = fmt::format("t_r{:04}", i);
    EXPECT_EQ(has_table(db, t), i <= k)
        << t << " with version " << (v.empty() ? "none" : v.front());
  }
  if (version_table) {
    EXPECT_EQ(rows(db, "SELECT count(*) FROM retort_history WHERE direction = 'upgrade'"),
              std::vector<std::string>{std::to_string(k + 1)});
    EXPECT_EQ(rows(db, "SELECT count(DISTINCT revision) FROM retort_history"),
              std::vector<std::string>{std::to_string(k + 1)});
  }
  return k;
}

// Waits (up to 60 s) until the version table names a revision later than `after` (-1: any).
void wait_for_progress(const CliDatabase& cdb, int after) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Database db = cdb.open();
  while (std::chrono::steady_clock::now() < deadline) {
    if (has_table(db, "retort_version")) {
      const std::vector<std::string> v = rows(db, "SELECT version_num FROM retort_version");
      if (!v.empty() && std::stoi(v.front().substr(1)) > after) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

class MigrateConcurrency : public ::testing::TestWithParam<Dialect> {
 protected:
  retort::testing::TempDir project_;
};

TEST_P(MigrateConcurrency, EightProcessesUpgradingAtOnceApplyEachRevisionOnce) {
  constexpr int kRevisions = 25;
  constexpr int kProcesses = 8;
  CliDatabase cdb(GetParam());
  write_project(project_.path(), kRevisions);
  const std::string url = "--url " + q(cdb.url_text);
  for (int round = 1; round <= 3; ++round) {
    std::vector<pid_t> pids;
    for (int p = 0; p < kProcesses; ++p) {
      pids.push_back(spawn_retort(url + " upgrade head", project_.path(),
                                  project_.path() / fmt::format("log{}", p)));
    }
    int ran = 0;
    for (int p = 0; p < kProcesses; ++p) {
      const int status = wait_for(pids[static_cast<std::size_t>(p)]);
      const std::string log = slurp(project_.path() / fmt::format("log{}", p));
      EXPECT_EQ(status, 0) << "round " << round << " process " << p << ": " << log;
      for (std::size_t at = log.find("Running upgrade"); at != std::string::npos;
           at = log.find("Running upgrade", at + 1)) {
        ++ran;
      }
    }
    EXPECT_EQ(ran, kRevisions) << "round " << round;
    Database db = cdb.open();
    EXPECT_EQ(rows(db, "SELECT version_num FROM retort_version"),
              std::vector<std::string>{"r0024"});
    EXPECT_EQ(rows(db, "SELECT count(*) FROM retort_history WHERE direction = 'upgrade'"),
              std::vector<std::string>{std::to_string(kRevisions * round)});
    EXPECT_EQ(rows(db,
                   "SELECT max(c) FROM (SELECT count(*) AS c FROM retort_history WHERE direction = "
                   "'upgrade' "
                   "GROUP BY revision) x"),
              std::vector<std::string>{std::to_string(round)});
    const CliRun down = retort(url + " downgrade base", project_.path());
    ASSERT_EQ(down.exit_code, 0) << down.output;
  }
}

TEST_P(MigrateConcurrency, KillNineAtRandomMomentsThenRerunFinishes) {
  constexpr int kRevisions = 120;
  CliDatabase cdb(GetParam());
  // Each revision takes a few milliseconds, so kills land inside revisions as well as between.
  const std::string slow =
      GetParam() == Dialect::postgresql
          ? "SELECT pg_sleep(0.004);"
          : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
            "SELECT count(*) FROM c;";
  write_project(project_.path(), kRevisions, slow);
  const std::string url = "--url " + q(cdb.url_text);
  std::mt19937 rng(std::random_device{}());
  // Kills land a random moment after the first revision was recorded, so that they hit the
  // middle of the run however long the process takes to start (ASan, a loaded machine).
  std::uniform_int_distribution<int> delay_ms(0, 60);
  int last = -1;
  int kills = 0;
  int mid_run = 0;  // kills that left the database between base and head
  for (int attempt = 0; attempt < 6; ++attempt) {
    const pid_t pid = spawn_retort(url + " upgrade head", project_.path(), project_.path() / "log");
    wait_for_progress(cdb, last);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (::kill(pid, SIGKILL) == 0) ++kills;
    wait_for(pid);
    Database db = cdb.open();
    const int k = check_consistent(db, kRevisions);
    EXPECT_GE(k, last);
    last = k;
    if (k >= 0 && k < kRevisions - 1) ++mid_run;
    if (k == kRevisions - 1) break;
  }
  EXPECT_GT(kills, 0);
  EXPECT_GT(mid_run, 0);
  const CliRun finish = retort(url + " upgrade head", project_.path());
  ASSERT_EQ(finish.exit_code, 0) << finish.output;
  Database db = cdb.open();
  EXPECT_EQ(check_consistent(db, kRevisions), kRevisions - 1);
}

INSTANTIATE_TEST_SUITE_P(Cli, MigrateConcurrency,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::migrate_cli
