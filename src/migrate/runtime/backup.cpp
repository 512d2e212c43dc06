#include "migrate/runtime/backup.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "driver/backends.hpp"
#include "retort/migrate.hpp"

extern char** environ;

namespace retort::migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kService = "retort_backup";

[[noreturn]] void fail(const std::string& reason) {
  throw BackupError(redact::scrub("backup failed: " + reason + "; nothing was migrated"));
}

std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::string safe_for_file_name(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  return out;
}

// The directory, private to the owner when retort creates it.
void prepare_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (fs::exists(dir, ec)) fail(fmt::format("{} exists and is not a directory", dir.string()));
  if (!fs::create_directories(dir, ec)) {
    fail(fmt::format("cannot create the backup directory {}: {}", dir.string(), ec.message()));
  }
  fs::permissions(dir, fs::perms::owner_all, ec);
}

// An empty file only the owner may read, made before anything is written to it.
void create_private_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  ::close(fd);
}

// Removes a file when it goes out of scope unless kept.
struct FileGuard {
  fs::path path;
  bool keep = false;
  ~FileGuard() {
    std::error_code ec;
    if (!keep && !path.empty()) fs::remove(path, ec);
  }
};

// libpq's service file holds any connection parameter, so the password travels in a file only
// the owner can read instead of on pg_dump's command line. A value libpq would misread there
// (trailing blanks, a line break) is refused rather than silently changed.
std::string service_file_text(const DatabaseUrl& url) {
  std::string text = "[" + std::string(kService) + "]\n";
  for (const auto& [keyword, value] : url.params()) {
    if (keyword == "service") {
      fail(
          "URLs that name a libpq service (service=...) cannot be backed up yet: give the "
          "parameters themselves");
    }
    const bool unsafe = value.find_first_of("\r\n") != std::string::npos ||
                        (!value.empty() && (value.back() == ' ' || value.back() == '\t'));
    if (unsafe) {
      fail(
          fmt::format("the connection parameter {} ends in a blank or holds a line break, "
                      "which pg_dump's connection file cannot carry",
                      keyword));
    }
    text += keyword + "=" + value + "\n";
  }
  return text;
}

std::string pg_dump_program() {
  const char* chosen = std::getenv("RETORT_PG_DUMP");
  return chosen != nullptr && *chosen != '\0' ? chosen : "pg_dump";
}

// The environment of pg_dump: ours, with PGSERVICEFILE pointing at the file.
std::vector<std::string> child_environment(const fs::path& service_file) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("PGSERVICEFILE=")) continue;
    env.emplace_back(*e);
  }
  env.push_back("PGSERVICEFILE=" + service_file.string());
  return env;
}

// The last lines of pg_dump's output, for the error message.
std::string last_lines(const fs::path& log, std::size_t count) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : " | ") + lines[i];
  }
  return out;
}

int run_and_wait(const std::vector<std::string>& args, const std::vector<std::string>& env,
                 const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    fail(
        fmt::format("cannot run {}: {} (install postgresql-client, or set RETORT_PG_DUMP to "
                    "pg_dump's path)",
                    args[0], std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("lost track of pg_dump");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void dump_postgresql(const DatabaseUrl& url, const fs::path& file, const fs::path& dir) {
  const std::string tag = fmt::format(".retort-backup-{}", ::getpid());
  FileGuard service{dir / (tag + ".service")};
  FileGuard log{dir / (tag + ".log")};
  create_private_file(service.path);
  std::ofstream(service.path) << service_file_text(url);
  const std::vector<std::string> args = {pg_dump_program(), "--format=custom", "--no-password",
                                         "--file=" + file.string(),
                                         "--dbname=service=" + std::string(kService)};
  const int status = run_and_wait(args, child_environment(service.path), log.path);
  if (status != 0) {
    const std::string said = last_lines(log.path, 4);
    fail(fmt::format("{} exited with status {}{}", args[0], status,
                     said.empty() ? "" : ": " + said));
  }
}

}  // namespace

std::string backup_file_name(std::string_view database, const std::vector<std::string>& rows,
                             std::string_view extension) {
  std::string from;
  for (const std::string& row : rows) from += (from.empty() ? "" : "+") + row;
  if (from.empty()) from = "base";
  return safe_for_file_name(fmt::format("{}-{}-from-{}", database.empty() ? "database" : database,
                                        utc_stamp(), from)) +
         std::string(extension);
}

fs::path take_backup(const DatabaseUrl& url, const fs::path& dir,
                     const std::vector<std::string>& current_rows,
                     const std::function<void(std::string_view)>& log) {
  if (url.is_memory()) {
    fail("the database is in memory (sqlite://:memory:): there is no file to back up");
  }
  prepare_directory(dir);
  const bool pg = url.dialect() == Dialect::postgresql;
  const std::string name = pg ? url.param("dbname").value_or(url.param("user").value_or(""))
                              : fs::path(url.path()).stem().string();
  FileGuard file{fs::absolute(dir / backup_file_name(name, current_rows, pg ? ".dump" : ".db"))};
  create_private_file(file.path);
  if (log) log(fmt::format("Backing up the database to {}", file.path.string()));
  if (pg) {
    dump_postgresql(url, file.path, dir);
  } else {
    try {
      driver::backup_sqlite(url.path(), file.path);
    } catch (const Error& e) {
      fail(e.what());
    }
  }
  file.keep = true;
  return file.path;
}

}  // namespace retort::migrate
