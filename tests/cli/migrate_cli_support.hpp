// Running build/retort for the migration command tests: synchronously (output captured) or as
// background processes (for concurrent runs and kill -9).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "support/test_db.hpp"

extern char** environ;

namespace retort::migrate_cli {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
  std::string out;     // stdout only
};

// The environment every run starts from: no database or config settings from the caller.
inline std::string clean_env(const std::string& env) {
  return "env -u RETORT_DATABASE_URL -u DATABASE_URL -u DB_USER -u DB_HOST -u DB_NAME -u "
         "DB_PASSWORD -u "
         "RETORT_CONFIG " +
         env;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `retort ARGS` in dir (ARGS is shell text: the caller quotes); `output` is stdout then
// stderr.
inline CliRun retort(const std::string& args, const std::filesystem::path& dir,
                     const std::string& env = "") {
  const std::string out_file = (dir / ".stdout").string();
  const std::string err_file = (dir / ".stderr").string();
  const std::string command = "cd '" + dir.string() + "' && " + clean_env(env) +
                              " '" RETORT_BINARY_DIR "/retort' " + args + " >'" + out_file +
                              "' 2>'" + err_file + "'";
  const int status = std::system(command.c_str());
  CliRun run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, {}, slurp(out_file)};
  run.output = run.out + slurp(err_file);
  std::filesystem::remove(out_file);
  std::filesystem::remove(err_file);
  return run;
}

// A background `retort ARGS` (through /bin/sh), output to `log`.
inline pid_t spawn_retort(const std::string& args, const std::filesystem::path& dir,
                          const std::filesystem::path& log, const std::string& env = "") {
  const std::string command = "cd '" + dir.string() + "' && exec " + clean_env(env) +
                              " '" RETORT_BINARY_DIR "/retort' " + args + " >'" + log.string() +
                              "' 2>&1";
  pid_t pid = 0;
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    throw std::runtime_error("posix_spawn failed");
  }
  return pid;
}

// Exit status of a spawned process (-signal when killed).
inline int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1000;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Single-quotes for the shell.
inline std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// A revision file creating table t_<id> (with an optional extra statement).
inline void write_revision(const std::filesystem::path& versions, const std::string& id,
                           const std::string& down, const std::string& extra = "") {
  std::ofstream(versions / (id + "_create_t_" + id + ".sql")) << fmt::format(
      "-- retort revision\n-- Revision: {0}\n-- Down revision: {1}\n-- Message: create t_{0}\n\n-- "
      "+upgrade\n"
      "CREATE TABLE t_{0} (id INTEGER PRIMARY KEY, name VARCHAR(50));\n{2}\n-- +downgrade\nDROP "
      "TABLE "
      "t_{0};\n",
      id, down.empty() ? "none" : down, extra);
}

// A chain of n revisions r0000 <- r0001 <- ... in dir/migrations/versions, and a retort.toml.
inline void write_project(const std::filesystem::path& dir, int n, const std::string& extra = "",
                          const std::string& migrations_extra = "") {
  std::filesystem::create_directories(dir / "migrations" / "versions");
  std::ofstream(dir / "retort.toml") << "[migrations]\nscript_location = \"migrations\"\n"
                                     << migrations_extra;
  std::string prev;
  for (int i = 0; i < n; ++i) {
    const std::string id = fmt::format("r{:04}", i);
    write_revision(dir / "migrations" / "versions", id, prev, extra);
    prev = id;
  }
}

}  // namespace retort::migrate_cli
