// parse_database_url and DatabaseUrl: every accepted form, every refused one, and redaction.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/redact.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort {
namespace {

using Params = DatabaseUrl::Params;

// The password the refusal cases carry; it must never come back in a message.
constexpr std::string_view kPassword = "hunt@r2";
constexpr std::string_view kPasswordEncoded = "hunt%40r2";

std::string error_of(std::string_view text) {
  try {
    DatabaseUrl url = parse_database_url(text);
    ADD_FAILURE() << "accepted: " << url.redacted();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

// Passwords parsed by one test are registered secrets (redact.hpp) that would mask letters in the
// next test's messages, so each test starts with none.
class DatabaseUrlTest : public ::testing::Test {
 protected:
  void SetUp() override { redact::clear_secrets_for_testing(); }
  void TearDown() override { redact::clear_secrets_for_testing(); }
};

struct PgCase {
  std::string url;
  Params params;
};

TEST_F(DatabaseUrlTest, AcceptsPostgresqlUrls) {
  const std::vector<PgCase> cases = {
      {"postgresql://user:pass@host:5432/db?sslmode=require&application_name=x",
       {{"user", "user"},
        {"password", "pass"},
        {"host", "host"},
        {"port", "5432"},
        {"dbname", "db"},
        {"sslmode", "require"},
        {"application_name", "x"}}},
      {"postgres://u@h/d", {{"user", "u"}, {"host", "h"}, {"dbname", "d"}}},
      {"postgresql+psycopg2://u:p@h/d",
       {{"user", "u"}, {"password", "p"}, {"host", "h"}, {"dbname", "d"}}},
      {"postgresql+asyncpg://h/d", {{"host", "h"}, {"dbname", "d"}}},
      {"postgresql+psycopg://h/d", {{"host", "h"}, {"dbname", "d"}}},
      {"postgresql+pg8000://h/d", {{"host", "h"}, {"dbname", "d"}}},
      {"postgresql+pygresql://h/d", {{"host", "h"}, {"dbname", "d"}}},
      {"postgres+psycopg2://h/d", {{"host", "h"}, {"dbname", "d"}}},
      {"PostgreSQL://h/d", {{"host", "h"}, {"dbname", "d"}}},
      // Percent-encoded credentials; '+' stays a plus sign, as in libpq.
      {"postgresql://us%40er:p%3Ass%2Fw%40rd+1@h/d",
       {{"user", "us@er"}, {"password", "p:ss/w@rd+1"}, {"host", "h"}, {"dbname", "d"}}},
      // An unencoded '@' in the password: the last '@' ends the credentials.
      {"postgresql://u:p@ss@h/d",
       {{"user", "u"}, {"password", "p@ss"}, {"host", "h"}, {"dbname", "d"}}},
      {"postgresql://u@[::1]:5432/db",
       {{"user", "u"}, {"host", "::1"}, {"port", "5432"}, {"dbname", "db"}}},
      {"postgresql://[2001:db8::1]/db", {{"host", "2001:db8::1"}, {"dbname", "db"}}},
      {"postgresql://[fe80::1%25eth0]:6000", {{"host", "fe80::1%eth0"}, {"port", "6000"}}},
      {"postgresql://u@%2Fvar%2Frun%2Fpostgresql/db",
       {{"user", "u"}, {"host", "/var/run/postgresql"}, {"dbname", "db"}}},
      {"postgresql:///db?host=/var/run/postgresql",
       {{"dbname", "db"}, {"host", "/var/run/postgresql"}}},
      {"postgresql://h1:5432,h2:5433/db",
       {{"host", "h1,h2"}, {"port", "5432,5433"}, {"dbname", "db"}}},
      {"postgresql://h1,[::1]:5433/db", {{"host", "h1,::1"}, {"port", ",5433"}, {"dbname", "db"}}},
      // Empty parts are left out, so PGHOST, PGPORT, PGUSER... still apply.
      {"postgresql:///db", {{"dbname", "db"}}},
      {"postgresql://", {}},
      {"postgresql://h", {{"host", "h"}}},
      {"postgresql://h:/d", {{"host", "h"}, {"dbname", "d"}}},
      {"postgresql://u:@h/", {{"user", "u"}, {"host", "h"}}},
      {"postgresql://h/my%20db", {{"host", "h"}, {"dbname", "my db"}}},
      {"postgresql://h/d?options=-c%20search_path%3Dx&connect_timeout=5",
       {{"host", "h"}, {"dbname", "d"}, {"options", "-c search_path=x"}, {"connect_timeout", "5"}}},
      {"postgresql://h/d?sslmode=verify-full&sslrootcert=/etc/ca.pem&sslcert=c&sslkey=k"
       "&target_session_attrs=read-write",
       {{"host", "h"},
        {"dbname", "d"},
        {"sslmode", "verify-full"},
        {"sslrootcert", "/etc/ca.pem"},
        {"sslcert", "c"},
        {"sslkey", "k"},
        {"target_session_attrs", "read-write"}}},
      {"postgresql://h/d?ssl=true", {{"host", "h"}, {"dbname", "d"}, {"sslmode", "require"}}},
      // A query parameter replaces the part the URL gave.
      {"postgresql://h:5432/d?port=6543&dbname=other",
       {{"host", "h"}, {"port", "6543"}, {"dbname", "other"}}},
      {"postgresql://h/d?&sslmode=disable&",
       {{"host", "h"}, {"dbname", "d"}, {"sslmode", "disable"}}},
      {"postgresql://h/d?application_name=", {{"host", "h"}, {"dbname", "d"}}},
      // An '@' after the host part is fine where it cannot be a cut-off password.
      {"postgresql://h/d?application_name=me@x",
       {{"host", "h"}, {"dbname", "d"}, {"application_name", "me@x"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    DatabaseUrl url = parse_database_url(c.url);
    EXPECT_EQ(url.dialect(), Dialect::postgresql);
    EXPECT_EQ(url.params(), c.params);
  }
}

TEST_F(DatabaseUrlTest, AcceptsSqliteUrls) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sqlite:///relative.db", "relative.db"},
      {"sqlite:///dir/relative.db", "dir/relative.db"},
      {"sqlite:////absolute/path.db", "/absolute/path.db"},
      // SQLAlchemy's driver spellings, as alembic.ini files write them.
      {"sqlite+pysqlite:///relative.db", "relative.db"},
      {"sqlite+aiosqlite:////absolute/path.db", "/absolute/path.db"},
      {"sqlite:///my%20file%3F.db", "my file?.db"},
      {"SQLite:///x.db", "x.db"},
      {"sqlite://:memory:", ":memory:"},
      {"sqlite:///:memory:", ":memory:"},
      {"sqlite://", ":memory:"},
      {"sqlite:///", ":memory:"},
  };
  for (const auto& [text, path] : cases) {
    SCOPED_TRACE(text);
    DatabaseUrl url = parse_database_url(text);
    EXPECT_EQ(url.dialect(), Dialect::sqlite);
    EXPECT_EQ(url.path(), path);
    EXPECT_EQ(url.is_memory(), path == ":memory:");
    EXPECT_TRUE(url.params().empty());
    // Only SQLAlchemy's bare spellings leave the in-memory database implied (the command line
    // refuses those).
    EXPECT_EQ(url.memory_implied(), text == "sqlite://" || text == "sqlite:///");
  }
}

TEST_F(DatabaseUrlTest, AcceptsLibpqKeywordStrings) {
  DatabaseUrl url =
      parse_database_url("host=localhost port=5432 dbname=app user=app password='a b\\'c'");
  EXPECT_EQ(url.dialect(), Dialect::postgresql);
  EXPECT_EQ(url.param("host"), "localhost");
  EXPECT_EQ(url.param("port"), "5432");
  EXPECT_EQ(url.param("dbname"), "app");
  EXPECT_EQ(url.param("user"), "app");
  EXPECT_EQ(url.param("password"), "a b'c");
  EXPECT_EQ(url.params().size(), 5U);

  DatabaseUrl spaced = parse_database_url("  host = /tmp   dbname=app options='-c x=y'");
  EXPECT_EQ(spaced.param("host"), "/tmp");
  EXPECT_EQ(spaced.param("options"), "-c x=y");

  // Only what the string names: no defaults, so libpq's environment still applies.
  DatabaseUrl service = parse_database_url("service=reporting");
  EXPECT_EQ(service.params(), (Params{{"service", "reporting"}}));
}

struct BadCase {
  std::string url;
  std::string message;  // a part of the expected message
};

TEST_F(DatabaseUrlTest, RefusesBadUrlsSayingWhatIsWrong) {
  const std::vector<BadCase> cases = {
      {"mysql://u:hunt%40r2@h/d",
       "unknown scheme 'mysql' in database URL (expected postgresql://, sqlite://, or a libpq "
       "keyword string)"},
      {"mysql+foo://u:hunt%40r2@h/d", "unknown scheme 'mysql+foo'"},
      {"postgresql://u:hunt%40r2@h:abc/d", "bad port 'abc' in database URL"},
      {"postgresql://u:hunt%40r2@h:0/d", "bad port '0' in database URL"},
      {"postgresql://u:hunt%40r2@h:65536/d", "bad port '65536' in database URL"},
      {"postgresql://u:hunt%40r2@h:-1/d", "bad port '-1' in database URL"},
      {"postgresql://u:hunt%40r2@h:5432,h2:x/d", "bad port 'x' in database URL"},
      {"postgresql://u:hunt%40r2@h/d?port=99999", "bad port '99999' in database URL"},
      {"postgresql://u:hunt%4@h/d", "unterminated or invalid percent escape at position 19"},
      {"postgresql://u:hunt%zzr2@h/d", "unterminated or invalid percent escape at position 19"},
      {"postgresql://u:hunt@r2@h/d%2", "unterminated or invalid percent escape at position 26"},
      {"postgresql://u:hunt%40r2@h/d%00", "percent escape %00 at position 28 is not allowed"},
      {"postgresql://u:hunt%40r2@h/d?bogus=1", "unknown connection parameter 'bogus'"},
      {"postgresql://u:hunt%40r2@h/d?sslmode", "query parameter at position 29 has no '='"},
      {"postgresql://u:hunt%40r2@[::1/d", "missing ']' after the IPv6 address at position 25"},
      {"postgresql://u:hunt%40r2@[::1]x/d", "unexpected character after the IPv6 address"},
      {"postgresql://u:hunt%40r2@::1/d", "must be in brackets"},
      // An unencoded '/' cuts the credentials short: the "port" would be part of the password.
      {"postgresql://u:hunt/r2@h/d", "percent-encode '/', '?' and '@'"},
      {"postgresql://u:1234/hunt@r2/d", "percent-encode '/', '?' and '@'"},
      {"postgresql:u:hunt%40r2@h/d", "expected '//' after 'postgresql:'"},
      {"sqlite:relative.db", "SQLite URLs need '//' after 'sqlite:'"},
      {"sqlite://host/x.db", "SQLite URLs take no host"},
      {"sqlite:///x.db?mode=ro", "SQLite URLs take no query parameters"},
      {"sqlite:///x%zz.db", "unterminated or invalid percent escape at position 11"},
      // A raw NUL byte (found by fuzzing): SQLite would open app.db, the text before it.
      {std::string("sqlite:///app.db\0x", 18), "a NUL byte at position 16 is not allowed"},
      {std::string("postgresql://u:hunt%40r2@h/d\0", 29), "a NUL byte at position 28"},
      {std::string("host=h\0 password=hunt@r2", 24), "a NUL byte at position 6"},
      // A repeated parameter is not "last wins": an appended ?sslmode=disable must not quietly
      // undo ?sslmode=require.
      {"postgresql://u:hunt%40r2@h/d?sslmode=require&sslmode=disable",
       "connection parameter 'sslmode' is given twice in the database URL (second at position 45)"},
      {"postgresql://u:hunt%40r2@h/d?ssl=true&sslmode=disable", "'sslmode' is given twice"},
      {"postgresql://u:hunt%40r2@h/d?password=hunt@r2&password=x", "'password' is given twice"},
      // A '#' is neither a fragment nor part of the name or password.
      {"postgresql://u:hunt%40r2@h/d#frag",
       "database URL has a '#' at position 28: URLs take no #fragment (write a '#' in a user name, "
       "password or database name as %23)"},
      {"postgresql://u:hunt#r2@h/d", "has a '#' at position 19"},
      {"sqlite:///x.db#frag", "has a '#' at position 14"},
      // libpq lets a repeated keyword win silently; retort refuses it, naming the keyword only.
      {"host=h password=hunt@r2 host=h2",
       "libpq keyword string: 'host' is given twice (at "
       "position 24)"},
      {"sslmode=require host=h sslmode = 'disable'", "'sslmode' is given twice (at position 23)"},
      {"host=h password='hunt@r2 x' password=hunt@r2", "'password' is given twice"},
      {"host=h password=hunt\\ r2 dbname=d dbname=e", "'dbname' is given twice"},
      {"file:x.db", "'file:' URLs are not supported"},
      {"", "empty database URL"},
      {"   ", "empty database URL"},
      {"hunt@r2", "not a database URL"},
      {"host=h password=hunt@r2 port=abc", "bad port 'abc' in database URL"},
      {"host=h password=hunt@r2 bogus=1", "invalid connection option \"***\""},
      {"bogus=1 password=x", "invalid connection option \"bogus\""},
      {"host=h password='hunt@r2", "unterminated quoted string"},
      // Unquoted, the second word of the password would be the token libpq complains about.
      {"host=h password=hunt@r2 hunt@r2", "missing \"=\" after \"***\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    std::string message = error_of(c.url);
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
    EXPECT_EQ(message.find(kPasswordEncoded), std::string::npos) << message;
    EXPECT_EQ(message.find("hunt"), std::string::npos) << message;
  }
}

TEST_F(DatabaseUrlTest, RedactedHidesThePassword) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"postgresql://user:hunt%40r2@host:5432/db?sslmode=require&application_name=my%20app",
       "postgresql://user:***@host:5432/db?sslmode=require&application_name=my%20app"},
      {"postgres://u@[::1]:5432/db", "postgresql://u@[::1]:5432/db"},
      {"postgresql://u@%2Fvar%2Frun%2Fpostgresql/db",
       "postgresql://u@%2Fvar%2Frun%2Fpostgresql/db"},
      {"postgresql:///db?host=/tmp", "postgresql://%2Ftmp/db"},
      {"postgresql://h/d?password=hunt%40r2", "postgresql://:***@h/d"},
      {"postgresql://h/d?sslpassword=hunt%40r2", "postgresql://h/d?sslpassword=***"},
      {"postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db"},
      {"postgresql://h1,h2:5433/db", "postgresql://h1,h2:5433/db"},
      {"postgresql:///db", "postgresql:///db"},
      {"postgresql://", "postgresql://"},
      {"postgresql://h/d?options=-c%20search_path%3Dx",
       "postgresql://h/d?options=-c%20search_path%3Dx"},
      {"host=x password='hunt@r2' dbname=d", "postgresql://:***@x/d"},
      {"sqlite:///relative.db", "sqlite:///relative.db"},
      {"sqlite:////abs/path.db", "sqlite:////abs/path.db"},
      {"sqlite:///my%20file.db", "sqlite:///my%20file.db"},
      {"sqlite://", "sqlite://:memory:"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    DatabaseUrl url = parse_database_url(text);
    std::string redacted = url.redacted();
    EXPECT_EQ(redacted, expected);
    EXPECT_EQ(redacted.find("hunt"), std::string::npos);
    // The printable form reads back as the same location (less the password).
    DatabaseUrl again = parse_database_url(redacted);
    EXPECT_EQ(again.path(), url.path());
    EXPECT_EQ(again.redacted(), redacted);
  }
}

TEST_F(DatabaseUrlTest, FactoriesAndParams) {
  DatabaseUrl url =
      DatabaseUrl::postgresql({{"host", "a,b"}, {"port", "5432"}, {"password", "pw"}});
  EXPECT_EQ(url.dialect(), Dialect::postgresql);
  // Two hosts sharing one port cannot be written host:port, so the port goes to the query.
  EXPECT_EQ(url.redacted(), "postgresql://:***@a,b?port=5432");
  EXPECT_EQ(parse_database_url(url.redacted()).params(),
            (Params{{"password", "***"}, {"host", "a,b"}, {"port", "5432"}}));

  EXPECT_EQ(url.param("host"), "a,b");
  EXPECT_EQ(url.param("dbname"), std::nullopt);
  url.set_param("host", "c");
  url.set_param("application_name", "worker");
  EXPECT_EQ(
      url.params(),
      (Params{
          {"host", "c"}, {"port", "5432"}, {"password", "pw"}, {"application_name", "worker"}}));

  DatabaseUrl file = DatabaseUrl::sqlite("data/app.db");
  EXPECT_EQ(file.dialect(), Dialect::sqlite);
  EXPECT_EQ(file.path(), "data/app.db");
  EXPECT_FALSE(file.is_memory());
  EXPECT_TRUE(DatabaseUrl::sqlite(":memory:").is_memory());
}

TEST_F(DatabaseUrlTest, RegistersPasswordsAsSecrets) {
  parse_database_url("postgresql://u:url%2Fsecret@h/d");
  parse_database_url("host=h password='keyword secret'");
  parse_database_url("postgresql://h/d?sslpassword=query-secret");
  DatabaseUrl url = DatabaseUrl::postgresql({});
  url.set_param("password", "set-secret");
  EXPECT_EQ(redact::scrub("a url/secret b"), "a *** b");
  EXPECT_EQ(redact::scrub("a keyword secret b"), "a *** b");
  EXPECT_EQ(redact::scrub("a query-secret b"), "a *** b");
  EXPECT_EQ(redact::scrub("a set-secret b"), "a *** b");
}

}  // namespace
}  // namespace retort
