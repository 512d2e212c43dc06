// Running tools/alembic_export.py: the only part of `retort import alembic` that needs Python.

#include <fmt/format.h>

#include "cli/import_alembic.hpp"
#include "cli/subprocess.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

Finished run(const std::vector<std::string>& args) {
  try {
    return run_program(args);
  } catch (const SpawnFailed& e) {
    throw ConfigError(fmt::format(
        "cannot run the Python interpreter {}: {} (retort import alembic needs a Python with "
        "Alembic and SQLAlchemy: Debian's /usr/bin/python3 with python3-alembic, or pass "
        "--python PATH)",
        args[0], e.reason()));
  }
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
