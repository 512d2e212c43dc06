#include "support/pgbouncer.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/process.hpp"

namespace retort::testing {
namespace {

namespace fs = std::filesystem;

void admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(pg_server_url().c_str());
  const bool connected = PQstatus(conn) == CONNECTION_OK;
  PGresult* res = connected ? PQexec(conn, sql.c_str()) : nullptr;
  const bool ok = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK;
  const std::string message = ok ? "" : PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("pgbouncer fixture: " + sql + ": " + message);
}

// PgBouncer's auth_file quoting: the value in double quotes, a quote doubled.
std::string auth_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string with_dbname(const DatabaseUrl& server, const std::string& host, const std::string& port,
                        const std::string& dbname) {
  DatabaseUrl url = server;
  url.set_param("host", host);
  url.set_param("port", port);
  url.set_param("dbname", dbname);
  // The fixture's own libpq keyword string (not a URL: nothing to percent-encode).
  std::string text;
  for (const auto& [keyword, value] : url.params()) {
    std::string escaped;
    for (char c : value) {
      if (c == '\\' || c == '\'') escaped += '\\';
      escaped += c;
    }
    text += fmt::format("{}{}='{}'", text.empty() ? "" : " ", keyword, escaped);
  }
  return text;
}

bool accepts(const std::string& conninfo) {
  return PQping(conninfo.c_str()) == PQPING_OK;
}

}  // namespace

PgBouncer::PgBouncer(const std::string& pool_mode) {
  std::random_device rd;
  database_ = fmt::format("retort_pool_{}_{:x}", ::getpid(), rd() & 0xffffff);
  admin("CREATE DATABASE " + database_);
  try {
    start(pool_mode);
  } catch (...) {
    stop_process(pid_);
    admin("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    throw;
  }
}

void PgBouncer::start(const std::string& pool_mode) {
  const DatabaseUrl server = parse_database_url(pg_server_url());
  const std::string user = server.param("user").value_or("postgres");
  const std::string password = server.param("password").value_or("");
  const int port = free_tcp_port();
  const fs::path dir = dir_.path();
  {
    std::ofstream ini(dir / "pgbouncer.ini");
    ini << "[databases]\n"
        << database_ << " = host=" << server.param("host").value_or("127.0.0.1")
        << " port=" << server.param("port").value_or("5432") << " dbname=" << database_ << "\n"
        << "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " << port << "\n"
        << "unix_socket_dir =\nauth_type = scram-sha-256\nauth_file = "
        << (dir / "userlist.txt").string() << "\npool_mode = " << pool_mode
        << "\ndefault_pool_size = 5\nmax_client_conn = 200\n"
        << "ignore_startup_parameters = extra_float_digits\n"
        << "logfile = " << (dir / "pgbouncer.log").string() << "\n";
  }
  {
    std::ofstream users(dir / "userlist.txt");
    users << auth_quoted(user) << " " << auth_quoted(password) << "\n";
  }
  fs::permissions(dir / "userlist.txt", fs::perms::owner_read | fs::perms::owner_write);
  const bool root = ::geteuid() == 0;
  if (root) run_shell_checked("chown -R postgres: " + shell_quote(dir.string()));
  // spawn_shell execs its command: the cd (the server user may not enter our working
  // directory) needs a shell of its own.
  const std::string run = "cd / && exec " + std::string(root ? "runuser -u postgres -- " : "") +
                          "pgbouncer " + shell_quote((dir / "pgbouncer.ini").string());
  pid_ = spawn_shell("/bin/sh -c " + shell_quote(run), dir / "stdout.log");
  url_ = with_dbname(server, "127.0.0.1", std::to_string(port), database_);
  direct_url_ = with_dbname(server, server.param("host").value_or("127.0.0.1"),
                            server.param("port").value_or("5432"), database_);
  // Bounded wait for the listener; not a timing assertion (a slow start only waits longer).
  for (int i = 0; i < 200; ++i) {
    if (accepts(url_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("pgbouncer did not start:\n" + read_text_file(dir / "pgbouncer.log") +
                           read_text_file(dir / "stdout.log"));
}

PgBouncer::~PgBouncer() {
  stop_process(pid_);
  try {
    admin("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  } catch (...) {
    // A test that broke the server must not also crash in teardown.
  }
}

}  // namespace retort::testing
