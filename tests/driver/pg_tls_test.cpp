// TLS to PostgreSQL, end to end: a cluster of the suite's own with ssl = on and a server
// certificate from a CA the test made (openssl), client-certificate authentication for one
// role; and the shared test server, which has TLS off.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "core/redact.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"
#include "support/scratch_cluster.hpp"
#include "support/test_db.hpp"
#include "support/test_pki.hpp"

namespace retort {
namespace {

using testing::ScratchCluster;
using testing::TempDir;
using testing::TestPki;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PgTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new TempDir();
    TestPki pki(pki_dir_->path());
    pki.make_ca("ca", "retort test CA");
    pki.make_ca("rogue", "a CA nobody trusts");
    pki.issue("ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1");
    pki.issue("ca", "client", "certuser", "");
    testing::ScratchClusterOptions options;
    options.files = {pki.crt("server"), pki.key("server"), pki.crt("ca")};
    options.settings = {"ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'",
                        "ssl_ca_file = 'ca.crt'"};
    // TLS only over TCP; certuser must show a certificate signed by the CA, with CN = certuser.
    options.hba =
        "local all all trust\n"
        "hostssl all certuser 127.0.0.1/32 cert\n"
        "hostssl all all 127.0.0.1/32 trust\n";
    cluster_ = new ScratchCluster(options);
    cluster_->admin("CREATE ROLE certuser LOGIN");
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete pki_dir_;
    pki_dir_ = nullptr;
  }
  void SetUp() override { redact::clear_secrets_for_testing(); }

  static std::string file(const std::string& name) { return (pki_dir_->path() / name).string(); }

  // postgresql://USER@HOST:PORT/postgres?QUERY to the suite's TLS cluster.
  static DatabaseUrl url(const std::string& host, const std::string& query,
                         const std::string& user = "postgres") {
    return parse_database_url("postgresql://" + user + "@" + host + ":" +
                              std::to_string(cluster_->port()) + "/postgres?" + query);
  }

  // The ConnectionError message connecting to u gives (fails the test if it connects).
  static std::string connect_error(const DatabaseUrl& u) {
    try {
      connect(u);
      ADD_FAILURE() << "connected to " << u.redacted();
    } catch (const ConnectionError& e) {
      return e.what();
    }
    return {};
  }

  // (ssl, TLS version, client certificate DN) of the connection's own session.
  static std::tuple<bool, std::string, std::string> session_tls(Connection& c) {
    const Result r = c.execute(
        "SELECT ssl, coalesce(version, ''), coalesce(client_dn, '') FROM pg_stat_ssl "
        "WHERE pid = pg_backend_pid()");
    return {r.at(0)[0].as_bool(), r.at(0)[1].as_text(), r.at(0)[2].as_text()};
  }

  static TempDir* pki_dir_;
  static ScratchCluster* cluster_;
};

TempDir* PgTlsTest::pki_dir_ = nullptr;
ScratchCluster* PgTlsTest::cluster_ = nullptr;

TEST_F(PgTlsTest, VerifyFullSucceedsAndTheSessionIsEncrypted) {
  for (const std::string host : {"localhost", "127.0.0.1"}) {  // DNS and IP subjectAltNames
    std::unique_ptr<Connection> c =
        connect(url(host, "sslmode=verify-full&sslrootcert=" + file("ca.crt")));
    auto [ssl, version, client_dn] = session_tls(*c);
    EXPECT_TRUE(ssl) << host;
    EXPECT_TRUE(version.starts_with("TLSv1.")) << version;
    EXPECT_EQ(client_dn, "");
  }
}

TEST_F(PgTlsTest, WrongHostNameFailsWithAClearError) {
  // Connect to the right address under a name the certificate does not list.
  const std::string message =
      connect_error(url("wrong-name.example",
                        "hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=" + file("ca.crt")));
  EXPECT_TRUE(contains(message, "does not match host name \"wrong-name.example\"")) << message;
  EXPECT_TRUE(contains(message,
                       "HINT: sslmode=verify-full checks that the server certificate "
                       "names the host connected to"))
      << message;
  // verify-ca checks the CA only, so the same connection succeeds.
  EXPECT_NO_THROW(connect(url(
      "wrong-name.example", "hostaddr=127.0.0.1&sslmode=verify-ca&sslrootcert=" + file("ca.crt"))));
}

TEST_F(PgTlsTest, CertificateFromAnotherCaIsRefused) {
  const std::string message =
      connect_error(url("localhost", "sslmode=verify-ca&sslrootcert=" + file("rogue.crt")));
  EXPECT_TRUE(contains(message, "certificate verify failed")) << message;
  EXPECT_TRUE(contains(message, "not signed by a CA in sslrootcert " + file("rogue.crt")))
      << message;
}

TEST_F(PgTlsTest, RequireEncryptsWithoutCheckingTheCertificate) {
  std::unique_ptr<Connection> c = connect(url("127.0.0.1", "sslmode=require"));
  EXPECT_TRUE(std::get<0>(session_tls(*c)));
}

TEST_F(PgTlsTest, RequireRefusesAServerWithoutTls) {
  // The shared test server runs with ssl = off.
  DatabaseUrl shared = parse_database_url(testing::pg_server_url());
  ASSERT_EQ(connect(shared)->execute("SHOW ssl").at(0)[0].as_text(), "off")
      << "this test needs the shared server without TLS";
  shared.set_param("sslmode", "require");
  const std::string message = connect_error(shared);
  EXPECT_TRUE(contains(message, "server does not support SSL, but SSL was required")) << message;
  EXPECT_TRUE(contains(message, "HINT: the server has TLS turned off")) << message;
  // Once: the hint used to be both in the message and appended as HINT.
  EXPECT_EQ(message.find("TLS turned off"), message.rfind("TLS turned off")) << message;
  EXPECT_TRUE(contains(message, "sslmode=require")) << message;
}

TEST_F(PgTlsTest, ServerRefusesUnencryptedConnections) {
  const std::string message = connect_error(url("127.0.0.1", "sslmode=disable"));
  EXPECT_TRUE(contains(message, "no encryption")) << message;
  EXPECT_TRUE(contains(message, "HINT: the server accepts only TLS connections here")) << message;
}

TEST_F(PgTlsTest, ClientCertificateIsAcceptedWhereTheServerAsksForOne) {
  std::unique_ptr<Connection> c =
      connect(url("localhost",
                  "sslmode=verify-full&sslrootcert=" + file("ca.crt") +
                      "&sslcert=" + file("client.crt") + "&sslkey=" + file("client.key"),
                  "certuser"));
  EXPECT_EQ(c->execute("SELECT current_user").at(0)[0].as_text(), "certuser");
  EXPECT_EQ(std::get<2>(session_tls(*c)), "/CN=certuser");
}

TEST_F(PgTlsTest, WithoutAClientCertificateTheServerRefuses) {
  const std::string message = connect_error(
      url("localhost", "sslmode=verify-full&sslrootcert=" + file("ca.crt"), "certuser"));
  EXPECT_TRUE(contains(message, "connection requires a valid client certificate")) << message;
  EXPECT_TRUE(contains(message,
                       "HINT: the server asks for a client certificate: set sslcert and "
                       "sslkey"))
      << message;
}

TEST_F(PgTlsTest, TlsSettingsFromTheEnvironmentReachLibpq) {
  std::map<std::string, std::string> env = {{"DB_HOST", "localhost"},
                                            {"DB_PORT", std::to_string(cluster_->port())},
                                            {"DB_USER", "certuser"},
                                            {"DB_NAME", "postgres"},
                                            {"DB_SSLMODE", "verify-full"},
                                            {"DB_SSLROOTCERT", file("ca.crt")},
                                            {"DB_SSLCERT", file("client.crt")},
                                            {"DB_SSLKEY", file("client.key")}};
  SettingsInputs inputs;
  inputs.getenv = [&env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::unique_ptr<Connection> c = connect(resolve_database_url(inputs).url);
  EXPECT_EQ(c->execute("SELECT current_user").at(0)[0].as_text(), "certuser");
  EXPECT_TRUE(std::get<0>(session_tls(*c)));
}

}  // namespace
}  // namespace retort
