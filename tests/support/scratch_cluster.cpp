#include "support/scratch_cluster.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/process.hpp"

namespace retort::testing {
namespace {

namespace fs = std::filesystem;

std::string pg_bindir() {
  const char* dir = std::getenv("RETORT_TEST_PG_BINDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/lib/postgresql/15/bin";
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  for (std::size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

bool is_root() {
  return ::geteuid() == 0;
}

}  // namespace

std::string ScratchCluster::as_server_user(const std::string& command) const {
  // From /: the server user may not be allowed into the test's working directory.
  return "cd / && " + std::string(is_root() ? "runuser -u postgres -- " : "") + command;
}

ScratchCluster::ScratchCluster(const ScratchClusterOptions& options) {
  std::string pattern = "/tmp/retort-pg.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  try {
    std::ofstream(dir_ / "owner.pid") << ::getpid() << "\n";
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    if (is_root()) run_shell_checked("chown postgres: " + shell_quote(dir_.string()));
    const std::string bindir = pg_bindir();
    const fs::path data = dir_ / "data";
    const CommandResult init = run_shell(
        as_server_user(shell_quote(bindir + "/initdb") + " -D " + shell_quote(data.string()) +
                       " -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust "
                       "--auth-host=reject"));
    if (init.exit_code != 0) throw std::runtime_error("initdb failed:\n" + tail(init.output, 30));
    for (const fs::path& file : options.files) {
      const fs::path target = data / file.filename();
      fs::copy_file(file, target, fs::copy_options::overwrite_existing);
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
      if (is_root()) run_shell_checked("chown postgres: " + shell_quote(target.string()));
    }
    {
      std::ofstream conf(data / "postgresql.conf", std::ios::app);
      conf << "\n# retort test cluster\nlisten_addresses = '127.0.0.1'\n"
           << "unix_socket_directories = '" << dir_.string() << "'\n"
           << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
      for (const std::string& line : options.settings) conf << line << "\n";
    }
    std::ofstream(data / "pg_hba.conf", std::ios::trunc) << options.hba;
    start(bindir);
  } catch (...) {
    fs::remove_all(dir_);
    throw;
  }
}

void ScratchCluster::start(const std::string& bindir) {
  const fs::path data = dir_ / "data";
  const fs::path log = dir_ / "postgres.log";
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_tcp_port();
    const CommandResult r = run_shell(
        as_server_user(shell_quote(bindir + "/pg_ctl") + " -D " + shell_quote(data.string()) +
                       " -l " + shell_quote(log.string()) + " -w -t 60 -o " +
                       shell_quote("-c port=" + std::to_string(port_)) + " start"));
    if (r.exit_code == 0) {
      running_ = true;
      return;
    }
    const std::string server_log = read_text_file(log);
    // Another process took the port between the probe and the bind: try another one.
    if (server_log.find("could not bind") == std::string::npos &&
        server_log.find("could not create any TCP/IP sockets") == std::string::npos) {
      throw std::runtime_error("the test cluster did not start:\n" + r.output +
                               tail(server_log, 30));
    }
  }
  throw std::runtime_error("the test cluster found no free port");
}

void ScratchCluster::restart() {
  const fs::path data = dir_ / "data";
  const fs::path log = dir_ / "postgres.log";
  // The options of the first start (the port) are kept in postmaster.opts and reused.
  const CommandResult r = run_shell(
      as_server_user(shell_quote(pg_bindir() + "/pg_ctl") + " -D " + shell_quote(data.string()) +
                     " -l " + shell_quote(log.string()) + " -m fast -w -t 60 restart"));
  if (r.exit_code != 0) {
    running_ = false;
    throw std::runtime_error("the test cluster did not restart:\n" + r.output +
                             tail(read_text_file(log), 30));
  }
}

ScratchCluster::~ScratchCluster() {
  if (running_) {
    run_shell(as_server_user(shell_quote(pg_bindir() + "/pg_ctl") + " -D " +
                             shell_quote((dir_ / "data").string()) + " -m immediate -w stop"));
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void ScratchCluster::admin(const std::string& sql) const {
  const std::string conninfo =
      "host=" + dir_.string() + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test cluster: cannot connect: " + message);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
  const std::string message = ok ? "" : PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("test cluster: " + sql + ": " + message);
}

}  // namespace retort::testing
