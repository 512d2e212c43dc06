// A PostgreSQL 15 cluster of a test's own (initdb + pg_ctl), for what the shared test server
// cannot show: TLS with certificates the test made, client-certificate authentication.
//
// It lives in a fresh /tmp/retort-pg.XXXXXX directory with owner.pid naming this process, the
// layout scripts/pg_cluster.sh uses, so a test killed before its destructor ran leaves nothing
// that `./dev test` would not reap. As root, the server runs as the `postgres` user. Start it
// once per test suite (SetUpTestSuite): initdb takes seconds.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace retort::testing {

struct ScratchClusterOptions {
  // postgresql.conf lines added after the test defaults (listen on 127.0.0.1, a free port, the
  // unix socket in the cluster's directory, fsync off), e.g. "ssl = on".
  std::vector<std::string> settings;
  // The whole pg_hba.conf. The default trusts local (unix socket) connections only.
  std::string hba = "local all all trust\n";
  // Files copied into the data directory, readable only by the server (certificates, keys):
  // refer to them by file name in `settings` ("ssl_cert_file = 'server.crt'").
  std::vector<std::filesystem::path> files;
};

class ScratchCluster {
 public:
  // initdb and start; throws std::runtime_error with the log's tail when either fails.
  explicit ScratchCluster(const ScratchClusterOptions& options);
  // Stops the server (immediate) and removes the directory.
  ~ScratchCluster();
  ScratchCluster(const ScratchCluster&) = delete;
  ScratchCluster& operator=(const ScratchCluster&) = delete;

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Restarts the server (pg_ctl restart -m fast, the same port): every session is ended.
  // Throws std::runtime_error with the log's tail when it fails.
  void restart();

  // Runs SQL as the superuser over the unix socket; throws std::runtime_error on failure.
  void admin(const std::string& sql) const;

 private:
  std::string as_server_user(const std::string& command) const;
  void start(const std::string& bindir);

  std::filesystem::path dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace retort::testing
