// Running another program and collecting what it printed: the Python half of `retort import
// alembic`, the [models] command.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "retort/error.hpp"

namespace retort::cli {

struct Finished {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;
  std::string err;  // without trailing newlines and spaces
};

struct ProgramOptions {
  std::filesystem::path working_directory;  // empty: retort's own
  // Added to (or replacing in) retort's environment: NAME, value.
  std::vector<std::pair<std::string, std::string>> environment;
};

// run_program could not start the program; reason() says why ("No such file or directory").
class SpawnFailed : public ConfigError {
 public:
  SpawnFailed(const std::string& program, std::string reason)
      : ConfigError("cannot run " + program + ": " + reason), reason_(std::move(reason)) {}
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

// Runs args[0] (looked up in PATH) with args, stdin from /dev/null, and waits for it. Throws
// SpawnFailed when it cannot be started (callers say what the program is for); ConfigError when
// the output cannot be collected.
Finished run_program(const std::vector<std::string>& args, const ProgramOptions& options = {});

}  // namespace retort::cli
