// Running tools/alembic_export.py: the only part of `retort import alembic` that needs Python.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/import_alembic.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"

extern char** environ;

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

// A private directory for the helper's output, removed on every path out.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "retort-import-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw ConfigError(
          fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct Finished {
  int exit_code = 0;
  std::string out;
  std::string err;
};

Finished run(const std::vector<std::string>& args) {
  ScratchDir scratch;
  const fs::path out = scratch.path() / "stdout";
  const fs::path err = scratch.path() / "stderr";
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw ConfigError(fmt::format(
        "cannot run the Python interpreter {}: {} (retort import alembic needs a Python with "
        "Alembic and SQLAlchemy: Debian's /usr/bin/python3 with python3-alembic, or pass "
        "--python PATH)",
        args[0], std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw ConfigError(fmt::format("lost track of {}", args[0]));
  }
  Finished done;
  done.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  done.out = read_file(out);
  done.err = trim_end(read_file(err));
  return done;
}

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// retort's shared directory as the built-in migrations are found (the migration tool's data_dir,
// the binary's ../share/retort), then the source tree of this build, then the install prefix.
std::vector<fs::path> shared_dir_candidates() {
  std::vector<fs::path> out;
  try {
    out.push_back(migrate::builtin_settings().script_location.parent_path());
  } catch (const ConfigError&) {
    // No built-in migrations found: the places below are still worth a look.
  }
  if (const fs::path exe = executable_dir(); !exe.empty()) {
    out.push_back(exe.parent_path() / "share" / "retort");
  }
#ifdef RETORT_SOURCE_DIR
  out.emplace_back(RETORT_SOURCE_DIR);
#endif
#ifdef RETORT_INSTALL_DATADIR
  out.emplace_back(RETORT_INSTALL_DATADIR);
#endif
  return out;
}

}  // namespace

fs::path alembic_export_script() {
  std::string tried;
  for (const fs::path& shared : shared_dir_candidates()) {
    const fs::path script = shared / "tools" / "alembic_export.py";
    std::error_code ec;
    if (fs::exists(script, ec)) return script;
    tried += (tried.empty() ? "" : ", ") + script.string();
  }
  throw ConfigError(fmt::format(
      "retort's Alembic importer alembic_export.py was not found (looked in: {}); it is "
      "installed with retort in share/retort/tools/",
      tried));
}

std::string run_alembic_export(const AlembicImportOptions& options) {
  std::error_code ec;
  if (!fs::exists(options.alembic_ini, ec)) {
    throw ConfigError(fmt::format("{}: no such Alembic configuration file (pass -c PATH)",
                                  options.alembic_ini.string()));
  }
  std::string dialects;
  for (const std::string& d : options.dialects) dialects += (dialects.empty() ? "" : ",") + d;
  if (dialects.empty()) dialects = "auto";
  const Finished done = run(
      {options.python, alembic_export_script().string(), options.alembic_ini.string(), dialects});
  if (done.exit_code == 2) {
    throw ConfigError(fmt::format(
        "{}\nretort import alembic runs Alembic to render the revisions: install python3-alembic "
        "(Debian), or pass --python with an interpreter that has Alembic, SQLAlchemy and the "
        "project's own dependencies",
        done.err));
  }
  if (done.exit_code != 0) {
    throw ConfigError(fmt::format("Alembic could not render the project of {} (with {}):\n{}",
                                  options.alembic_ini.string(), options.python, done.err));
  }
  return done.out;
}

}  // namespace retort::cli
