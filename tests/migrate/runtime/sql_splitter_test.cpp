#include <gtest/gtest.h>

#include "migrate/runtime/sql_splitter.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

std::vector<std::string> sqls(std::string_view text, SqlDialect d = SqlDialect::postgresql) {
  std::vector<std::string> out;
  for (const SqlStatement& s : split_sql(text, d)) {
    out.push_back(s.sql);
  }
  return out;
}

std::vector<int> lines(std::string_view text, int first_line,
                       SqlDialect d = SqlDialect::postgresql) {
  std::vector<int> out;
  for (const SqlStatement& s : split_sql(text, d, first_line)) {
    out.push_back(s.line);
  }
  return out;
}

using V = std::vector<std::string>;

TEST(SqlSplitter, StatementsAndTheirLines) {
  const char* text = "CREATE TABLE a (id INT);\n\n  INSERT INTO a VALUES (1);\nSELECT 1";
  EXPECT_EQ(sqls(text), (V{"CREATE TABLE a (id INT)", "INSERT INTO a VALUES (1)", "SELECT 1"}));
  EXPECT_EQ(lines(text, 10), (std::vector<int>{10, 12, 13}));
  EXPECT_EQ(lines("SELECT\n1;\n\nSELECT 2;", 1), (std::vector<int>{1, 4}));
}

// Each statement's offset is where its first token is in the text split; a statement whose text
// also appears earlier, inside a comment, is still found at its own place (the fuzz harness
// searched for the text and matched the comment's copy).
TEST(SqlSplitter, OffsetsPointAtEachStatement) {
  const std::string text = "-- x /\n/* a /* b; */ c */ /\n  SELECT 1;\tSELECT 2";
  const std::vector<SqlStatement> statements = split_sql(text, SqlDialect::postgresql);
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0].sql, "/\n  SELECT 1");
  EXPECT_EQ(statements[0].offset, text.find("/\n  SELECT"));
  EXPECT_EQ(statements[1].offset, text.find("SELECT 2"));
  for (const SqlStatement& s : statements) {
    EXPECT_EQ(text.substr(s.offset, s.sql.size()), s.sql);
  }
}

TEST(SqlSplitter, CommentsBetweenStatementsAreDropped) {
  EXPECT_EQ(sqls("-- just a note; really\n/* and ; this */\n"), V{});
  EXPECT_EQ(sqls(";;  ;\n"), V{});
  EXPECT_EQ(sqls("-- create it\nCREATE TABLE a (x INT); -- done;\n"), V{"CREATE TABLE a (x INT)"});
  EXPECT_EQ(lines("-- note\n\n/* a\n b */ SELECT 1;", 5), std::vector<int>{8});
  EXPECT_EQ(sqls("SELECT 1 /* ; */ + 1;"), V{"SELECT 1 /* ; */ + 1"});
  EXPECT_EQ(sqls("SELECT /* outer /* inner; */ still ; comment */ 1; SELECT 2"),
            (V{"SELECT /* outer /* inner; */ still ; comment */ 1", "SELECT 2"}));
  EXPECT_EQ(sqls("SELECT 1 -- trailing ' quote ;\n, 2;"), V{"SELECT 1 -- trailing ' quote ;\n, 2"});
}

TEST(SqlSplitter, SingleQuotes) {
  EXPECT_EQ(sqls("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 2;"),
            (V{"INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 2"}));
  EXPECT_EQ(sqls("SELECT '--not a comment;' ; SELECT '/*';"),
            (V{"SELECT '--not a comment;'", "SELECT '/*'"}));
  EXPECT_EQ(lines("SELECT 'multi\nline\n';\nSELECT 2;", 1), (std::vector<int>{1, 4}));
}

TEST(SqlSplitter, EscapeStringsOnPostgres) {
  EXPECT_EQ(sqls(R"(SELECT E'it\'s; \\'; SELECT e'\n;';)"),
            (V{R"(SELECT E'it\'s; \\')", R"(SELECT e'\n;')"}));
  // On SQLite a backslash is an ordinary character: 'a\' is a complete string.
  EXPECT_EQ(sqls(R"(SELECT 'a\'; SELECT 2;)", SqlDialect::sqlite),
            (V{R"(SELECT 'a\')", "SELECT 2"}));
  // Without the E prefix PostgreSQL (standard_conforming_strings) keeps backslashes literal too.
  EXPECT_EQ(sqls(R"(SELECT 'a\'; SELECT 2;)"), (V{R"(SELECT 'a\')", "SELECT 2"}));
}

TEST(SqlSplitter, DoubleQuotedIdentifiers) {
  EXPECT_EQ(sqls(R"(CREATE TABLE "a;b" ("x""y;" INT); SELECT 1;)"),
            (V{R"(CREATE TABLE "a;b" ("x""y;" INT))", "SELECT 1"}));
  EXPECT_EQ(sqls("SELECT [a;b], `c;d` FROM t; SELECT 2", SqlDialect::sqlite),
            (V{"SELECT [a;b], `c;d` FROM t", "SELECT 2"}));
}

TEST(SqlSplitter, DollarQuotedBodies) {
  const char* fn =
      "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 'a;b';\n  RETURN "
      "NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
      "SELECT 1;";
  auto out = split_sql(fn, SqlDialect::postgresql, 20);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].line, 20);
  EXPECT_EQ(out[1].line, 26);
  EXPECT_EQ(out[1].sql, "SELECT 1");
  EXPECT_EQ(sqls("DO $body$ BEGIN PERFORM $x$;$x$; END $body$; SELECT 2"),
            (V{"DO $body$ BEGIN PERFORM $x$;$x$; END $body$", "SELECT 2"}));
  EXPECT_EQ(sqls("DO $a$ inner $b$ ; $a$; SELECT 2"), (V{"DO $a$ inner $b$ ; $a$", "SELECT 2"}));
  // Parameters and identifiers with '$' are not quotes.
  EXPECT_EQ(sqls("SELECT $1; SELECT a$b$ FROM t;"), (V{"SELECT $1", "SELECT a$b$ FROM t"}));
}

TEST(SqlSplitter, SqliteTriggerBodies) {
  const char* trigger =
      "CREATE TRIGGER t_audit AFTER UPDATE ON t\nBEGIN\n  INSERT INTO log VALUES (NEW.id);\n"
      "  UPDATE t SET n = CASE WHEN n > 1 THEN 0 ELSE n END;\nEND;\nSELECT 1;";
  auto out = split_sql(trigger, SqlDialect::sqlite, 3);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].sql.substr(out[0].sql.size() - 3), "END");
  EXPECT_EQ(out[0].line, 3);
  EXPECT_EQ(out[1].line, 8);
  EXPECT_EQ(
      sqls("CREATE TEMP TRIGGER x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END; SELECT 3",
           SqlDialect::sqlite),
      (V{"CREATE TEMP TRIGGER x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END", "SELECT 3"}));
  // On PostgreSQL a trigger is one ordinary statement.
  EXPECT_EQ(
      sqls("CREATE TRIGGER x AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(); SELECT 1").size(),
      2u);
}

TEST(SqlSplitter, PostgresBeginAtomic) {
  EXPECT_EQ(sqls("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; "
                 "END; SELECT 3;"),
            (V{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
               "SELECT 3"}));
  EXPECT_EQ(sqls("BEGIN; SELECT 1; COMMIT;"), (V{"BEGIN", "SELECT 1", "COMMIT"}));
}

TEST(SqlSplitter, UnterminatedConstructsNameTheirFirstLine) {
  auto fails_at = [](std::string_view text, SqlDialect d, int line, const char* what) {
    try {
      split_sql(text, d, 10, "v/x.sql");
      ADD_FAILURE() << text;
    } catch (const ScriptError& e) {
      EXPECT_EQ(e.file(), "v/x.sql");
      EXPECT_EQ(e.line(), line) << text;
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  fails_at("SELECT 1;\nSELECT 'abc\n\n", SqlDialect::postgresql, 11, "unterminated string literal");
  fails_at("SELECT \"abc;", SqlDialect::postgresql, 10, "unterminated quoted identifier");
  fails_at("\n\nDO $$ BEGIN", SqlDialect::postgresql, 12, "unterminated dollar-quoted string $$");
  fails_at("SELECT 1; /* a /* b */\n", SqlDialect::postgresql, 10, "unterminated /* comment");
  fails_at("SELECT E'\\'", SqlDialect::postgresql, 10, "unterminated string literal");
  fails_at("SELECT [abc", SqlDialect::sqlite, 10, "unterminated bracketed identifier");
}

}  // namespace
}  // namespace retort::migrate
