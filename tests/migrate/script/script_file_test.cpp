// The revision file format and versions-directory loading.
#include <gtest/gtest.h>

#include <fstream>

#include "migrate/graph/graph_helpers.hpp"
#include "migrate/runtime/sql_splitter.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

const char* kGood =
    "-- retort revision\n"
    "-- Revision: 1a2b3c4d5e6f\n"
    "-- Down revision: a1, b2\n"
    "-- Branch labels: billing\n"
    "-- Depends on: 0f0e0d0c0b0a, core\n"
    "-- Message: add users table\n"
    "-- Create date: 2026-11-21 05:40:00.123456\n"
    "-- Transactional: false\n"
    "\n"
    "-- +upgrade\n"
    "CREATE TABLE users (id BIGINT PRIMARY KEY);\n"
    "\n"
    "-- +downgrade\n"
    "DROP TABLE users;\n"
    "\n"
    "-- +upgrade postgresql\n"
    "COMMENT ON TABLE users IS 'people';\n"
    "-- +upgrade sqlite\n"
    "SELECT 1;\n";

TEST(ParseRevision, ReadsHeaderAndSections) {
  Revision r = parse_revision(kGood, "v/1a2b3c4d5e6f_users.sql");
  EXPECT_EQ(r.id, "1a2b3c4d5e6f");
  EXPECT_EQ(r.down_revisions, (std::vector<std::string>{"a1", "b2"}));
  EXPECT_EQ(r.branch_labels, std::vector<std::string>{"billing"});
  EXPECT_EQ(r.depends_on, (std::vector<std::string>{"0f0e0d0c0b0a", "core"}));
  EXPECT_EQ(r.message, "add users table");
  EXPECT_EQ(r.create_date, "2026-11-21 05:40:00.123456");
  EXPECT_FALSE(r.transactional);
  EXPECT_EQ(r.path, "v/1a2b3c4d5e6f_users.sql");
  EXPECT_EQ(r.lines.revision, 2);
  EXPECT_EQ(r.lines.down_revision, 3);
  EXPECT_EQ(r.checksum.substr(0, 3), "v2:");
  EXPECT_EQ(r.checksum.size(), 3u + 32u + 1u + 32u);
  EXPECT_EQ(r.checksum_v1.substr(0, 3), "v1:");

  ASSERT_EQ(r.sections.size(), 4u);
  EXPECT_EQ(r.sections[0].line, 11);
  EXPECT_EQ(r.sections[0].dialect, "");
  EXPECT_EQ(r.sections[0].sql, "CREATE TABLE users (id BIGINT PRIMARY KEY);\n\n");
  EXPECT_EQ(r.sections[1].direction, Direction::downgrade);
  EXPECT_EQ(r.sections[1].line, 14);
  EXPECT_EQ(r.sections[2].dialect, "postgresql");
  EXPECT_EQ(r.sections[2].line, 17);

  auto pg = r.sections_for(Direction::upgrade, "postgresql");
  ASSERT_EQ(pg.size(), 2u);  // common first, then the dialect's own
  EXPECT_EQ(pg[0]->dialect, "");
  EXPECT_EQ(pg[1]->dialect, "postgresql");
  EXPECT_EQ(r.sections_for(Direction::downgrade, "sqlite").size(), 1u);

  // Statements carry file lines.
  auto statements = split_sql(pg[1]->sql, SqlDialect::postgresql, pg[1]->line, r.path);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0].line, 17);
}

TEST(ParseRevision, MinimalFileAndDefaults) {
  Revision r =
      parse_revision("-- retort revision\n-- revision: abc\n-- DOWN REVISION: none\n", "f.sql");
  EXPECT_EQ(r.id, "abc");
  EXPECT_TRUE(r.down_revisions.empty());
  EXPECT_TRUE(r.transactional);
  EXPECT_TRUE(r.sections.empty());
  Revision crlf = parse_revision(
      "\xEF\xBB\xBF-- retort revision\r\n-- Revision: abc\r\n-- Down revision: none\r\n\r\n-- "
      "+upgrade\r\nSELECT 1;\r\n",
      "f.sql");
  EXPECT_EQ(crlf.id, "abc");
  EXPECT_EQ(crlf.sections.at(0).sql, "SELECT 1;\n");
}

void expect_error(const std::string& content, int line, const std::string& reason_part) {
  try {
    parse_revision(content, "v/bad.sql");
    ADD_FAILURE() << "parsed: " << content;
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.file(), "v/bad.sql");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("v/bad.sql:" + std::to_string(line) + ": ", 0), 0u)
        << e.what();
  }
}

TEST(ParseRevision, EveryBadForm) {
  const std::string head = "-- retort revision\n-- Revision: abc\n-- Down revision: none\n";
  expect_error("", 1, "missing header");
  expect_error("-- Revision: abc\n", 1, "missing header");
  expect_error("-- retort revision\n-- Message: no id\n\n-- +upgrade\nSELECT 1;\n", 1,
               "missing 'Revision:' header");
  expect_error("-- retort revision\n-- Revision: abc\n\n-- +upgrade\nSELECT 1;\n", 1,
               "missing 'Down revision:' header");
  expect_error(head + "-- Colour: blue\n", 4, "unknown header key 'Colour'");
  expect_error(head + "-- Revision: def\n", 4, "header 'revision' appears twice (first on line 2)");
  expect_error(head + "-- just a remark\n", 4, "malformed header line");
  expect_error(head + "-- Transactional: maybe\n", 4, "Transactional must be true or false");
  expect_error(head + "-- SQLite foreign keys: false\n", 4,
               "SQLite foreign keys must be on or off");
  expect_error("-- retort revision\n-- Revision: abc\n-- Down revision: a1,, b2\n", 3,
               "empty item");
  expect_error("-- retort revision\n-- Revision:\n", 2, "empty Revision header");
  expect_error(head + "CREATE TABLE t (x INT);\n", 4, "text outside a section");
  expect_error(head + "\n-- +upgrade\nSELECT 1;\n-- +upgrade\nSELECT 2;\n", 7,
               "duplicate section '-- +upgrade' (first on line 5)");
  expect_error(head + "-- +upgrade sqlite\n-- +upgrade SQLite\n", 5, "duplicate section");
  expect_error(head + "-- +migrate\n", 4, "unknown section marker '-- +migrate'");
  expect_error(head + "-- +upgrade mysql\n", 4, "unknown dialect 'mysql'");
}

TEST(ParseRevision, SqliteForeignKeysOff) {
  const std::string head = "-- retort revision\n-- Revision: abc\n-- Down revision: none\n";
  EXPECT_FALSE(parse_revision(head, "x.sql").sqlite_foreign_keys_off);
  EXPECT_TRUE(
      parse_revision(head + "-- SQLite Foreign Keys: OFF\n", "x.sql").sqlite_foreign_keys_off);
  EXPECT_FALSE(
      parse_revision(head + "-- SQLite foreign keys: on\n", "x.sql").sqlite_foreign_keys_off);
}

void write(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string file(const std::string& id, const std::string& down, const std::string& extra = "") {
  return "-- retort revision\n-- Revision: " + id + "\n-- Down revision: " + down + "\n" + extra +
         "\n-- +upgrade\nSELECT 1;\n-- +downgrade\nSELECT 2;\n";
}

TEST(LoadRevisions, SortedByFileNameSqlFilesOnly) {
  testing::ScratchDir dir;
  write(dir / "bbbb_second.sql", file("bbbb", "aaaa"));
  write(dir / "aaaa_first.sql", file("aaaa", "none"));
  write(dir / "README.md", "not a revision");
  write(dir / "cccc_third.sql.bak", "ignored");
  std::filesystem::create_directory(dir / "sub.sql");
  auto revs = load_revisions(dir.path());
  ASSERT_EQ(revs.size(), 2u);
  EXPECT_EQ(revs[0].id, "aaaa");
  EXPECT_EQ(revs[1].id, "bbbb");
  EXPECT_EQ(revs[1].path, (dir / "bbbb_second.sql").string());
  RevisionMap map = load_revision_map(dir.path());
  EXPECT_EQ(map.id(map.heads().at(0)), "bbbb");
}

TEST(LoadRevisions, ErrorsNameFilesAndLines) {
  testing::ScratchDir dir;
  EXPECT_THROW(load_revisions(dir / "missing"), ScriptError);

  write(dir / "aaaa_a.sql", file("aaaa", "none"));
  write(dir / "bbbb_b.sql", file("bbbb", "zzzz"));
  try {
    load_revision_map(dir.path());
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.file(), (dir / "bbbb_b.sql").string());
    EXPECT_EQ(e.line(), 3);
  }
  write(dir / "bbbb_b.sql", file("aaaa", "none"));  // a copied file that kept its id
  try {
    load_revision_map(dir.path());
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.file(), (dir / "bbbb_b.sql").string());
    EXPECT_NE(std::string(e.what()).find("aaaa_a.sql"), std::string::npos) << e.what();
  }
  write(dir / "bbbb_b.sql", file("bbbb", "aaaa", "-- Depends on: nothere\n"));
  try {
    load_revision_map(dir.path());
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.line(), 4);
  }
  write(dir / "aaaa_a.sql", file("aaaa", "bbbb"));
  write(dir / "bbbb_b.sql", file("bbbb", "aaaa"));
  try {
    load_revision_map(dir.path());
    FAIL();
  } catch (const RevisionError& e) {
    EXPECT_EQ(e.kind(), RevisionErrorKind::cycle);
    EXPECT_NE(std::string(e.what()).find("bbbb_b.sql"), std::string::npos) << e.what();
  }
  write(dir / "bbbb_b.sql", file("bbbb", "bbbb"));
  try {
    load_revision_map(dir.path());
    FAIL();
  } catch (const RevisionError& e) {
    EXPECT_EQ(e.kind(), RevisionErrorKind::self_loop);
  }
}

}  // namespace
}  // namespace retort::migrate
