// The tokenizer and the CREATE TABLE / CREATE INDEX parsers behind SQLite reflection.
#include "schema/sql_tokens.hpp"

#include <gtest/gtest.h>

namespace retort::schema::sql {
namespace {

TEST(SqlTokens, QuotesCommentsAndOffsets) {
  std::string text = "\"a\"\"b\" [c d] `e` 'it''s' -- gone\n /* gone */ x1 1.5 (";
  std::vector<Token> tokens = tokenize(text);
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].text, "a\"b");
  EXPECT_EQ(tokens[0].kind, Token::Kind::quoted_identifier);
  EXPECT_EQ(tokens[1].text, "c d");
  EXPECT_EQ(tokens[2].text, "e");
  EXPECT_EQ(tokens[3].text, "it's");
  EXPECT_EQ(tokens[3].kind, Token::Kind::string);
  EXPECT_EQ(text.substr(tokens[3].begin, tokens[3].end - tokens[3].begin), "'it''s'");
  EXPECT_TRUE(tokens[4].is_keyword("X1"));
  EXPECT_EQ(tokens[5].kind, Token::Kind::number);
  EXPECT_TRUE(tokens[6].is('('));
}

TEST(SqlTokens, UnterminatedQuoteEndsAtTheEnd) {
  std::vector<Token> tokens = tokenize("'open");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].text, "open");
}

TEST(SqlTokens, NormalizedTokensIgnoreQuotingAndCase) {
  EXPECT_EQ(normalized_tokens("\"x\" IS NULL or json_valid(x)"),
            normalized_tokens("X is null OR JSON_VALID(\"x\")"));
  EXPECT_NE(normalized_tokens("x = 'a'"), normalized_tokens("x = 'A'"));
  EXPECT_NE(normalized_tokens("x = 'a'"), normalized_tokens("x = \"a\""));
}

TEST(SqlTokens, CreateTableColumnsConstraintsAndNames) {
  ParsedTable t = parse_create_table(R"(CREATE TABLE IF NOT EXISTS "main"."t" (
    "id" INTEGER CONSTRAINT "t_pkey" PRIMARY KEY AUTOINCREMENT NOT NULL,
    v VARCHAR(20) DEFAULT ('a,b') CONSTRAINT "e" CHECK (v IN ('a', 'b')) UNIQUE,
    g NUMERIC(10, 2) GENERATED ALWAYS AS (length(v) * 2) STORED,
    r INTEGER CONSTRAINT r_fk REFERENCES other (id) ON DELETE CASCADE DEFAULT -1,
    -- a comment, with a comma
    CONSTRAINT "uq" UNIQUE ("v", g),
    FOREIGN KEY (r, g) REFERENCES other (a, b),
    CONSTRAINT ck CHECK (r > 0 AND (g < 5)),
    CHECK (v <> ''))");
  ASSERT_EQ(t.columns.size(), 4u);
  const ParsedColumn& id = t.columns[0];
  EXPECT_EQ(id.name, "id");
  EXPECT_EQ(id.primary_key_name, "t_pkey");
  EXPECT_TRUE(id.autoincrement);
  const ParsedColumn& v = t.columns[1];
  ASSERT_EQ(v.checks.size(), 1u);
  EXPECT_EQ(v.checks[0].name, "e");
  EXPECT_EQ(v.checks[0].expression, "v IN ('a', 'b')");
  EXPECT_EQ(v.unique_name, "");
  EXPECT_EQ(v.default_expression, "('a,b')");
  EXPECT_FALSE(id.default_expression.has_value());
  EXPECT_FALSE(v.primary_key_name.has_value());
  EXPECT_EQ(t.columns[2].generated, "length(v) * 2");
  EXPECT_EQ(t.columns[3].foreign_key_name, "r_fk");
  EXPECT_EQ(t.columns[3].default_expression, "-1");
  ASSERT_EQ(t.unique_constraints.size(), 1u);
  EXPECT_EQ(t.unique_constraints[0].name, "uq");
  EXPECT_EQ(t.unique_constraints[0].columns, (std::vector<std::string>{"v", "g"}));
  ASSERT_EQ(t.foreign_keys.size(), 1u);
  EXPECT_EQ(t.foreign_keys[0].name, "");
  EXPECT_EQ(t.foreign_keys[0].columns, (std::vector<std::string>{"r", "g"}));
  ASSERT_EQ(t.checks.size(), 2u);
  EXPECT_EQ(t.checks[0].name, "ck");
  EXPECT_EQ(t.checks[0].expression, "r > 0 AND (g < 5)");
  EXPECT_EQ(t.checks[1].name, "");
  EXPECT_EQ(t.checks[1].expression, "v <> ''");
  EXPECT_FALSE(t.primary_key.has_value());
}

TEST(SqlTokens, CreateIndexElementsAndPredicate) {
  ParsedIndex index = parse_create_index(
      "CREATE UNIQUE INDEX IF NOT EXISTS \"ix\" ON \"t\" ((lower(a)) DESC, b COLLATE NOCASE, "
      "a || b, \"c\" ASC) WHERE b IS NOT NULL AND (a <> 'x')");
  ASSERT_EQ(index.elements.size(), 4u);
  EXPECT_EQ(index.elements[0].expression, "lower(a)");
  EXPECT_EQ(index.elements[1].expression, "");
  EXPECT_EQ(index.elements[2].expression, "a || b");
  EXPECT_EQ(index.elements[3].expression, "");
  EXPECT_EQ(index.where, "b IS NOT NULL AND (a <> 'x')");
  EXPECT_EQ(parse_create_index("CREATE INDEX i ON t (a)").where, "");
}

TEST(SqlTokens, MalformedTextIsNotFatal) {
  EXPECT_TRUE(parse_create_table("CREATE TABLE t AS SELECT 1").columns.empty());
  EXPECT_TRUE(parse_create_table("CREATE TABLE t (").columns.empty());
  EXPECT_TRUE(parse_create_index("CREATE INDEX").elements.empty());
  EXPECT_EQ(parse_create_table("CREATE TABLE t (a CHECK (").columns.size(), 1u);
}

}  // namespace
}  // namespace retort::schema::sql
