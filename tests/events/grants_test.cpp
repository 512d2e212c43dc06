// grant_script with hostile names (issue 12): a name that could end a comment line, a quoted
// identifier or drive a terminal is refused, naming the option and the byte; any other name is
// printed only as an identifier, so every line of the script is a comment or a GRANT.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "events/grants.hpp"
#include "retort/error.hpp"

namespace retort::events {
namespace {

std::string refusal(const GrantOptions& options) {
  try {
    const std::string script = grant_script(options);
    ADD_FAILURE() << "printed:\n" << script;
  } catch (const UsageError& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Hostile {
  std::string name;
  std::string says;  // what the refusal names
};

const std::vector<Hostile>& refused_names() {
  static const std::vector<Hostile> names = {
      {"app\nDROP TABLE events; --", "U+000A at byte 3"},
      {"app\rDROP TABLE events; --", "U+000D at byte 3"},
      {std::string("app\0DROP", 8), "U+0000 at byte 3"},
      {"app\x1b]0;pwned\x07", "U+001B at byte 3"},
      {"a\x7f", "U+007F at byte 1"},
      {"a\xc2\x9b"
       "31m",
       "U+009B at byte 1"},  // C1 CSI
      {"ab\xff", "invalid UTF-8 at byte 2"},
      {"ab\xc3", "invalid UTF-8 at byte 2"},
  };
  return names;
}

TEST(GrantScript, RefusesControlCharactersAndInvalidUtf8InEveryName) {
  for (const Hostile& h : refused_names()) {
    GrantOptions role;
    role.role = h.name;
    std::string message = refusal(role);
    EXPECT_TRUE(contains(message, "the role (ROLE) has")) << message;
    EXPECT_TRUE(contains(message, h.says)) << message;
    EXPECT_FALSE(contains(message, h.name)) << "the refusal echoes the name: " << message;

    GrantOptions schema;
    schema.role = "app";
    schema.schema = h.name;
    message = refusal(schema);
    EXPECT_TRUE(contains(message, "the schema (--schema) has")) << message;
    EXPECT_TRUE(contains(message, h.says)) << message;

    GrantOptions table;
    table.role = "app";
    table.tables = {"events", h.name};
    message = refusal(table);
    EXPECT_TRUE(contains(message, "a table (--table) has")) << message;
    EXPECT_TRUE(contains(message, h.says)) << message;
  }
}

TEST(GrantScript, RefusesNamesPostgresWouldCut) {
  GrantOptions o;
  o.role = std::string(63, 'r');
  EXPECT_NO_THROW(grant_script(o));
  o.role = std::string(64, 'r');
  EXPECT_TRUE(
      contains(refusal(o), "the role (ROLE) is 64 bytes long; PostgreSQL cuts names to 63"));
  o.role = "app";
  o.schema = std::string(200, 's');
  EXPECT_TRUE(contains(refusal(o), "the schema (--schema) is 200 bytes long")) << refusal(o);
}

// Quotes, backslashes, comment markers and psql meta-commands stay inside quoted identifiers,
// in the comments too: each line is a `-- ` comment or one GRANT.
TEST(GrantScript, AcceptedHostileNamesOnlyEverAppearQuoted) {
  GrantOptions o;
  o.role = R"(r"; DROP TABLE events; -- */ \! x)";
  o.schema = R"(s*/ '\')";
  o.tables = {R"(t"")", "events"};
  o.version_read = true;
  const std::string script = grant_script(o);
  std::istringstream lines(script);
  int grants = 0;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_TRUE(line.starts_with("-- ") || line.starts_with("GRANT ")) << line;
    grants += line.starts_with("GRANT ") ? 1 : 0;
  }
  EXPECT_EQ(grants, 5) << script;
  EXPECT_TRUE(contains(script, R"(role "r""; DROP TABLE events; -- */ \! x" (retort grants))"))
      << script;
  EXPECT_TRUE(contains(script, R"(-- schema "s*/ '\'" (the migration role))")) << script;
  EXPECT_TRUE(contains(script, R"(ON TABLE "s*/ '\'"."t""""" TO "r""; DROP)")) << script;
}

}  // namespace
}  // namespace retort::events
