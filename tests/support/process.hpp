// Running helper programs from tests (openssl, initdb, pg_ctl, the stand-in Vault server).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace retort::testing {

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs a /bin/sh command line, output captured.
CommandResult run_shell(const std::string& command);

// Like run_shell, but throws std::runtime_error with the command's output when it fails.
std::string run_shell_checked(const std::string& command);

// 'text' quoted for /bin/sh.
std::string shell_quote(const std::string& text);

// Starts a /bin/sh command line in the background (own process group), output to log.
pid_t spawn_shell(const std::string& command, const std::filesystem::path& log);

// SIGTERM to the process group of pid, SIGKILL after 5 s; reaps it. Safe on pid <= 0.
void stop_process(pid_t pid) noexcept;

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice).
int free_tcp_port();

// Reads a whole file ("" when it does not exist).
std::string read_text_file(const std::filesystem::path& path);

}  // namespace retort::testing
