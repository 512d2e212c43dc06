// Checksum v2: comments and whitespace in a section's SQL are not a change; strings, quoted
// identifiers, dollar-quoted bodies, headers and markers are; v1 still verifies.
#include "migrate/script/checksum.hpp"

#include <gtest/gtest.h>

#include <string>

#include "migrate/script/script_file.hpp"

namespace retort::migrate {
namespace {

std::string file(const std::string& upgrade, const std::string& header_extra = "") {
  return "-- retort revision\n-- Revision: abc\n-- Down revision: none\n" + header_extra +
         "\n-- +upgrade\n" + upgrade + "\n-- +downgrade\nDROP TABLE t;\n";
}

const std::string kBase = file("CREATE TABLE t (id int, name text DEFAULT 'a -- b');");

TEST(ChecksumV2, CommentsAndWhitespaceInTheSqlDoNotCount) {
  const std::string same[] = {
      file("CREATE TABLE t (id int, name text DEFAULT 'a -- b'); -- the users"),
      file("-- a comment line\nCREATE TABLE t (\n  id   int,\n  name text DEFAULT 'a -- b'\n);"),
      file("CREATE /* inline */ TABLE t(id int,name text DEFAULT 'a -- b');"),
      file("CREATE TABLE t (id int, /* nested /* twice */ still */ name text DEFAULT 'a -- b');"),
      file("\tCREATE TABLE t (id int, name text DEFAULT 'a -- b');   \r\n\r\n"),
  };
  for (const std::string& content : same) {
    EXPECT_EQ(revision_checksum(content), revision_checksum(kBase)) << content;
  }
}

TEST(ChecksumV2, EverythingThatRunsCounts) {
  const std::string different[] = {
      file("CREATE TABLE t (id int, name text DEFAULT 'a -- c');"),   // inside a string
      file("CREATE TABLE t (id int, name text DEFAULT 'a --  b');"),  // whitespace in a string
      file("CREATE TABLE t (id bigint, name text DEFAULT 'a -- b');"),
      file("CREATE TABLE t (idint, name text DEFAULT 'a -- b');"),  // joined two words
      file("CREATE TABLE \"t \" (id int, name text DEFAULT 'a -- b');"),
  };
  for (const std::string& content : different) {
    EXPECT_NE(revision_checksum(content), revision_checksum(kBase)) << content;
  }
}

TEST(ChecksumV2, QuotedBodiesKeepTheirComments) {
  const std::string body = "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; -- one\n $fn$;";
  EXPECT_NE(revision_checksum(file(body)),
            revision_checksum(file("CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; -- two\n "
                                   "$fn$;")));
  EXPECT_EQ(revision_checksum(file(body)), revision_checksum(file(body + " -- outside")));
  // E'...' strings escape quotes with a backslash: the "--" after \' is still in the string.
  EXPECT_NE(revision_checksum(file("SELECT E'it\\'s -- x';")),
            revision_checksum(file("SELECT E'it\\'s -- y';")));
  // $1 is a parameter, not a dollar quote: the comment after it is a comment.
  EXPECT_EQ(revision_checksum(file("SELECT $1; -- x")), revision_checksum(file("SELECT $1;")));
}

// Found by fuzzing: a last section left inside an open quote, dollar quote or block comment took
// whitespace appended to the file into that token, and so into the checksum.
TEST(ChecksumV2, WhitespaceAppendedToTheFileNeverCountsEvenInsideAnOpenToken) {
  for (const std::string open_token :
       {"SELECT 'unclosed", "SELECT $q$ unclosed", "SELECT 1; /* open", "SELECT \"unclosed"}) {
    const std::string content =
        "-- retort revision\n-- Revision: abc\n-- Down revision: none\n"
        "\n-- +upgrade\n" +
        open_token;
    EXPECT_EQ(revision_checksum(content + " \t\r\n\n  \n"), revision_checksum(content))
        << open_token;
    // Text appended inside an open quote still counts (inside a comment it does not).
    if (open_token.find("/*") == std::string::npos) {
      EXPECT_NE(revision_checksum(content + " x"), revision_checksum(content)) << open_token;
    }
  }
}

TEST(ChecksumV2, SaysWhichPartChanged) {
  const Revision applied = parse_revision(kBase, "a.sql");
  const std::string recorded = applied.checksum;

  const Revision sql = parse_revision(file("CREATE TABLE t (id bigint);"), "a.sql");
  EXPECT_EQ(describe_checksum_change(recorded, sql),
            "its SQL changed (beyond comments and whitespace)");
  const Revision header = parse_revision(
      file("CREATE TABLE t (id int, name text DEFAULT 'a -- b');", "-- Branch labels: x\n"),
      "a.sql");
  EXPECT_EQ(describe_checksum_change(recorded, header),
            "its header lines or section markers changed (the SQL did not)");
  const Revision commented =
      parse_revision(file("CREATE TABLE t (id int, name text DEFAULT 'a -- b'); -- why"), "a.sql");
  EXPECT_TRUE(checksum_matches(recorded, commented));
  EXPECT_EQ(describe_checksum_change(recorded, commented), "");
}

TEST(ChecksumV2, AChecksumRecordedAsVersionOneStillVerifies) {
  const Revision rev = parse_revision(kBase, "a.sql");
  EXPECT_TRUE(checksum_matches(revision_checksum_v1(kBase), rev));
  const Revision edited = parse_revision(kBase + "-- a comment\n", "a.sql");
  // v1 counts comments: the edit is reported, and the message says why it cannot tell more.
  EXPECT_FALSE(checksum_matches(revision_checksum_v1(kBase), edited));
  EXPECT_NE(describe_checksum_change(revision_checksum_v1(kBase), edited).find("v1"),
            std::string::npos);
}

}  // namespace
}  // namespace retort::migrate
