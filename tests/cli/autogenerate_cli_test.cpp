// `retort revision --autogenerate` and `retort check` as a user runs them, on both backends: with
// models declared in SQL ([models] schema), and with the stock binary's built-in models (retort's
// Event model) where the project is retort's built-in events revisions.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "migrate_cli_support.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

class AutogenerateCli : public ::testing::TestWithParam<Dialect> {
 protected:
  AutogenerateCli() {
    if (GetParam() == Dialect::postgresql) {
      schema_ = std::make_unique<retort::testing::PgSchema>();
      url_ = schema_->url_text();
    } else {
      url_ = "sqlite:///" + (dir() / "app.db").string();
    }
  }
  fs::path dir() const { return tmp_.path(); }
  CliRun run(const std::string& args) const {
    return retort("--url " + q(url_) + " " + args, dir());
  }
  // The revision files (not the hidden .gitignore and .retort-cache beside them).
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir() / "migrations" / "versions")) {
      if (!e.path().filename().string().starts_with(".")) out.push_back(e.path());
    }
    return out;
  }

  retort::testing::TempDir tmp_;
  std::unique_ptr<retort::testing::PgSchema> schema_;
  std::string url_;
};

TEST_P(AutogenerateCli, RevisionAutogenerateWritesTheFileAndCheckAgrees) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  std::ofstream(dir() / "schema.sql")
      << "CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT NOT NULL);\n";
  {
    std::ofstream toml(dir() / "retort.toml", std::ios::app);
    toml << "\n[models]\nschema = \"schema.sql\"\n";
    if (GetParam() == Dialect::postgresql) {
      toml << "dev_url = " << q(retort::testing::pg_server_url()) << "\n";
    }
  }
  // An empty environment at base: the declared table is pending.
  const CliRun pending = run("check");
  EXPECT_EQ(pending.exit_code, 5) << pending.output;  // differences found
  EXPECT_EQ(pending.out, "New upgrade operations detected:\n  create table events\n");

  const CliRun preview = run("revision --autogenerate --sql -m 'create events'");
  ASSERT_EQ(preview.exit_code, 0) << preview.output;
  EXPECT_TRUE(contains(preview.out, "(not written)")) << preview.out;
  EXPECT_TRUE(contains(preview.out, "-- +upgrade postgresql\nCREATE TABLE \"events\""))
      << preview.out;
  EXPECT_TRUE(contains(preview.out, "-- +upgrade sqlite\nCREATE TABLE \"events\"")) << preview.out;
  EXPECT_TRUE(files().empty());

  const CliRun generated = run("revision --autogenerate -m 'create events'");
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  ASSERT_EQ(files().size(), 1u);
  EXPECT_TRUE(contains(generated.out, "Generating " + files()[0].string() + " ...  done"))
      << generated.out;
  EXPECT_TRUE(
      contains(generated.output, "INFO  [retort.autogenerate] Detected create table events"))
      << generated.output;
  EXPECT_TRUE(contains(generated.output, "catalog queries")) << generated.output;

  ASSERT_EQ(run("upgrade head").exit_code, 0);
  const CliRun clean = run("check");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(clean.out, "No new upgrade operations detected.\n");
  const CliRun nothing = run("revision --autogenerate -m again");
  EXPECT_EQ(nothing.exit_code, 0);
  EXPECT_TRUE(contains(nothing.out, "No changes in schema detected")) << nothing.out;
  EXPECT_EQ(files().size(), 1u);
}

TEST_P(AutogenerateCli, CheckSaysWhenTheDatabaseIsNotAtHead) {
  // The built-in migrations (no retort.toml): the events table in three revisions.
  ASSERT_EQ(run("upgrade 4f3c2a1b9d07").exit_code, 0);
  const CliRun behind = run("check");
  EXPECT_EQ(behind.exit_code, 4) << behind.output;
  EXPECT_TRUE(contains(behind.output,
                       "the database is not at head (database: 4f3c2a1b9d07; head: "
                       "e93712f478ad)"))
      << behind.output;
  EXPECT_TRUE(contains(behind.output, "retort upgrade head")) << behind.output;
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  const CliRun clean = run("check");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
}

TEST_P(AutogenerateCli, RevisionAutogenerateNeedsAnEnvironment) {
  const CliRun r = run("revision --autogenerate -m x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "retort init migrations")) << r.output;
  EXPECT_EQ(run("revision --sql -m x").exit_code, 2);  // a usage error
}

INSTANTIATE_TEST_SUITE_P(Dialects, AutogenerateCli,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::migrate_cli
