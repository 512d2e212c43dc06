// A project's migration tool: retort::cli::main with models and C++ revisions (explicitly, or
// registered by static objects as retort_add_migrate_executable's files do), in process.
#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "retort/cli.hpp"
#include "retort/repository.hpp"
#include "support/test_db.hpp"

namespace {

struct Note {
  std::int64_t id{};
  std::string body{};
};

}  // namespace

template <>
struct retort::ModelTraits<Note> {
  static void describe(retort::ModelBuilder<Note>& m) {
    m.table("notes");
    m.column("id", &Note::id, retort::schema::types::bigint()).primary_key();
    m.column("body", &Note::body, retort::schema::types::text());
  }
};

namespace {

retort::migrate::CppRevision create_notes() {
  return {.id = "c001",
          .down_revisions = {"r000"},
          .message = "create notes",
          .upgrade =
              [](retort::migrate::Operations& op) {
                op.create_table(retort::model<Note>().table());
                op.bulk_insert("notes", {"id", "body"}, {{1, "first"}});
              },
          .downgrade = [](retort::migrate::Operations& op) { op.drop_table("notes"); }};
}

// What the files of a tool built by retort_add_migrate_executable do.
const retort::cli::Registration registered_models = retort::cli::register_models<Note>();
const retort::cli::Registration registered_revision =
    retort::cli::register_revision(create_notes());

struct ToolRun {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// An environment with one SQL revision (r000), and the tool run against a SQLite file there.
class MigrationTool : public ::testing::Test {
 protected:
  MigrationTool() {
    std::filesystem::create_directories(dir_ / "migrations" / "versions");
    std::ofstream(dir_ / "retort.toml") << "[migrations]\nscript_location = \"migrations\"\n";
    std::ofstream(dir_ / "migrations" / "script.sql.tmpl")
        << "-- retort revision\n-- Revision: ${revision}\n-- Down revision: ${down_revision}\n"
           "-- Message: ${message}\n-- Create date: ${create_date}\n\n-- +upgrade\n${upgrades}\n"
           "\n-- +downgrade\n${downgrades}\n";
    std::ofstream(dir_ / "migrations" / "versions" / "r000_base.sql")
        << "-- retort revision\n-- Revision: r000\n-- Down revision: none\n-- Message: base\n\n"
           "-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 1;\n";
  }

  ToolRun run(const retort::cli::Tool& tool, std::initializer_list<std::string> args) {
    std::vector<std::string> words{"app_migrate", "-c", (dir_ / "retort.toml").string(), "--url",
                                   "sqlite:///" + (dir_ / "app.db").string()};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    ToolRun r;
    r.exit_code = retort::cli::main(static_cast<int>(argv.size()), argv.data(), tool);
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  retort::testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_.path();
};

TEST_F(MigrationTool, RegisteredModelsAndRevisionsMakeTheTool) {
  const retort::cli::Tool tool = retort::cli::registered_tool();
  ASSERT_EQ(tool.models.tables.size(), 1u);
  EXPECT_EQ(tool.models.tables[0].name, "notes");
  ASSERT_EQ(tool.revisions.size(), 1u);
  EXPECT_EQ(tool.revisions[0].id, "c001");
  EXPECT_EQ(tool.revisions[0].where.file_name(), std::string(__FILE__));
}

TEST_F(MigrationTool, CppRevisionsTakePartInEveryCommand) {
  const retort::cli::Tool tool = retort::cli::registered_tool();
  EXPECT_EQ(run(tool, {"heads"}).out, "c001 (head)\n");
  const ToolRun up = run(tool, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.err.find("Running upgrade r000 -> c001, create notes"), std::string::npos) << up.err;
  EXPECT_EQ(run(tool, {"current"}).out, "c001 (head)\n");
  EXPECT_EQ(run(tool, {"history"}).out,
            "r000 -> c001 (head), create notes\n<base> -> r000, base\n");
  EXPECT_EQ(run(tool, {"check"}).exit_code, 0);
  EXPECT_EQ(run(tool, {"verify"}).exit_code, 0);

  // A new SQL revision goes on top of the C++ one.
  const ToolRun made = run(tool, {"revision", "-m", "after notes", "--rev-id", "r002"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::ifstream file(dir_ / "migrations" / "versions" / "r002_after_notes.sql");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("-- Down revision: c001"), std::string::npos) << text;

  EXPECT_EQ(run(tool, {"downgrade", "base"}).exit_code, 0);
  EXPECT_EQ(run(tool, {"current"}).out, "");
}

TEST_F(MigrationTool, OfflineSqlRendersTheCppRevision) {
  const ToolRun sql = run(retort::cli::registered_tool(), {"upgrade", "head", "--sql"});
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  EXPECT_NE(sql.out.find("-- Running upgrade r000 -> c001"), std::string::npos) << sql.out;
  EXPECT_NE(sql.out.find("CREATE TABLE \"notes\""), std::string::npos) << sql.out;
  EXPECT_NE(sql.out.find("INSERT INTO \"notes\" (\"id\", \"body\") VALUES\n  (1, 'first');"),
            std::string::npos)
      << sql.out;
}

TEST_F(MigrationTool, AnIdUsedTwiceIsAnErrorNamingBothPlaces) {
  retort::cli::Tool tool;
  retort::migrate::CppRevision twin = create_notes();
  twin.id = "r000";
  twin.down_revisions = {};
  tool.revisions = {twin};
  const ToolRun r = run(tool, {"heads"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("retort: error: {}:{}: revision id 'r000' is already used by ",
                                   twin.where.file_name(), twin.where.line())),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("r000_base.sql"), std::string::npos) << r.err;
}

}  // namespace
