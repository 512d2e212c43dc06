// retort behind Debian's PgBouncer in transaction mode (a fixture of the test's own in front of
// the test server): migrations are refused through it, by the settings (pool_mode) or, when
// nobody said, by the session probe; with a direct migration URL everything works, the rest of
// the commands through the pooler (unnamed statements, a polling worker).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "migrate_cli_support.hpp"
#include "retort/connection.hpp"
#include "support/pgbouncer.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

using migrate_cli::CliRun;
using nlohmann::json;

std::string sh_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class PoolerCliTest : public ::testing::Test {
 protected:
  CliRun run(const std::string& args, const std::string& env) {
    return migrate_cli::retort(args, dir_.path(), env);
  }
  std::string pooled() const { return "DATABASE_URL=" + sh_quoted(bouncer_.url()); }
  std::string declared() const {
    return pooled() +
           " RETORT_POOL_MODE=transaction RETORT_MIGRATION_URL=" + sh_quoted(bouncer_.direct_url());
  }
  // Whether the version table exists, asked directly.
  bool migrated() {
    std::unique_ptr<Connection> c = connect(parse_database_url(bouncer_.direct_url()));
    return !c->execute("SELECT to_regclass('retort_version')").at(0)[0].is_null();
  }

  testing::PgBouncer bouncer_{"transaction"};
  testing::TempDir dir_;
};

// Nobody said there is a pooler: the migration lock's probe finds it, before any lock or change.
TEST_F(PoolerCliTest, AnUndeclaredTransactionPoolerIsFoundAndMigrationsRefused) {
  const CliRun r = run("upgrade head", pooled());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("hands each transaction another server session"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("RETORT_MIGRATION_URL"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(parse_database_url(bouncer_.url()).param("password").value()),
            std::string::npos);
  EXPECT_FALSE(migrated());
}

TEST_F(PoolerCliTest, ADeclaredPoolerWithoutAMigrationUrlIsRefused) {
  for (const char* command : {"upgrade head", "stamp head", "downgrade base", "verify --accept"}) {
    const CliRun r = run(command, pooled() + " RETORT_POOL_MODE=transaction");
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.output;
    EXPECT_NE(r.output.find("pool_mode = transaction, from environment variable RETORT_POOL_MODE"),
              std::string::npos)
        << r.output;
  }
  EXPECT_FALSE(migrated());
}

TEST_F(PoolerCliTest, MigrationsTakeTheDirectUrlAndTheRestThePooler) {
  CliRun r = run("settings", declared());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.out.find("pooling: transaction (environment variable RETORT_POOL_MODE): statements "
                       "unnamed, workers poll instead of LISTEN, migrations use the migrate URL"),
            std::string::npos)
      << r.out;
  r = run("upgrade head", declared());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(migrated());
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += "{\"n\": " + std::to_string(i) + "}\n";
  std::ofstream(dir_ / "in.jsonl") << lines;
  r = run("events ingest in.jsonl", declared());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Each run is a new client on the pooled sessions the last one used: a named statement of
  // the same name would already exist there.
  for (int i = 0; i < 3; ++i) {
    r = run("events list --limit 100 --json", declared());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 30) << r.output;
  }
  std::ofstream(dir_ / "handler.py") << "import json, sys\n"
                                        "for line in sys.stdin:\n"
                                        "    event = json.loads(line)\n"
                                        "    print(json.dumps({'seen': event['data']['n']}), "
                                        "flush=True)\n";
  r =
      run("events work --once --concurrency 2 --batch-size 4 --format json --exec "
          "'python3 handler.py'",
          declared());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.out.substr(r.out.rfind("{\"")))["done"], 30) << r.output;
  r = run("events stats --json", declared());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.out)["counts"][0]["status"], "done") << r.out;
}

}  // namespace
}  // namespace retort
