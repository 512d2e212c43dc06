// The `retort` command line as a function, for a migration tool of your own that knows your
// models (what `revision --autogenerate` and `check` compare the database with) and your
// revisions written in C++ (retort/operations.hpp) - the C++ counterpart of Alembic's env.py
// importing the models. Models may also be declared without C++, as SQL in retort.toml's
// [models] (schema = "schema.sql" or command = "python3 dump_models.py"): docs/autogenerate.md.
// The stock `retort` binary has no models of its own beyond retort's built-in events tables,
// which it compares only in projects whose revision graph holds retort's events revisions.
//
//   // my_migrate.cpp, linked with retort::command and retort::retort
//   #include <retort/cli.hpp>
//   #include <retort/repository.hpp>
//   #include "models.hpp"      // ModelTraits<Task>, ModelTraits<Note>
//   #include "revisions.hpp"   // retort::migrate::CppRevision copy_notes{...};
//
//   int main(int argc, char** argv) {
//     return retort::cli::main(argc, argv, {.models = retort::metadata<Task, Note>(),
//                                           .revisions = {copy_notes}});
//   }
//
//   $ ./my_migrate revision --autogenerate -m "add tasks"
//   $ ./my_migrate upgrade head
//   $ ./my_migrate check            # in CI: exit code 1 when the models changed
//
// Or let CMake write main() (retort_add_migrate_executable, docs/packaging.md): the files it
// builds register their models and revisions with static registration objects,
//
//   static const retort::cli::Registration models = retort::cli::register_models<Task, Note>();
//   static const retort::cli::Registration copy = retort::cli::register_revision({...});
//
// Every other command (init, upgrade, downgrade, current, history, ...) works as in `retort`.
// See docs/autogenerate.md and docs/cpp_migrations.md.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "retort/model.hpp"
#include "retort/operations.hpp"
#include "retort/schema.hpp"

namespace retort::cli {

// What a migration tool knows beyond the stock `retort`.
struct Tool {
  // What `revision --autogenerate` and `check` compare the database with, together with the
  // models retort.toml's [models] declares: the whole desired schema (a table of the database
  // that no model names is dropped).
  schema::MetaData models{};
  // Revisions written in C++, in the graph with the revision files of the environment.
  std::vector<migrate::CppRevision> revisions{};
  // Where retort's shared files are (`init` templates, the built-in migrations): an installed
  // retort's <prefix>/share/retort. Empty: next to the executable, else where retort was
  // installed or built.
  std::filesystem::path data_dir{};
  // Models that describe some tables only, built when a command compares (never at start-up),
  // and compared only when the project's revision graph holds `builtin_revision` (and then only
  // for their own tables: the database's other tables are left alone). The stock binary sets
  // these to retort's events tables and their first revision (stock_tool()).
  std::function<schema::MetaData()> builtin_models{};
  std::string builtin_revision{};
};

// Runs the command line with `tool`'s models and revisions. Returns the exit code (0 success;
// 1 an error, printed as one `retort: error: ...` line; 2 bad usage, also `check` and
// `revision --autogenerate` when neither the tool nor retort.toml's [models] declares a model;
// 4 `check` found the database not at head; 5 `check` found pending operations; the table in
// src/cli/exit_code.hpp). Never throws.
int main(int argc, char** argv, const Tool& tool);

// The same with models only.
int main(int argc, char** argv, const schema::MetaData& models);

// retort's own models: the tables the built-in events revisions make (events, the ingest
// ledger, retort_workers). Builds them on every call.
schema::MetaData builtin_models();

// The stock `retort` binary's tool: no models, no C++ revisions; builtin_models() as
// Tool::builtin_models (built lazily) for projects whose graph holds retort's events revisions.
Tool stock_tool();

// ---- Registration, for tools whose main() CMake writes (retort_add_migrate_executable). ----
// Each file of the tool declares a namespace-scope `static const Registration` initialised by
// register_models / register_revision; run_registered() collects them all. Models are
// described when the tool runs, not during static initialisation, so a model error is reported
// as an ordinary error.

// The token a registration returns; holding it in a static object is what runs the
// registration before main().
class Registration {
 public:
  Registration() noexcept = default;
  // Not trivial on purpose: compilers do not report an object with a destructor as unused.
  ~Registration() {}  // NOLINT(modernize-use-equals-default)
};

// Adds the tables and enum types `models` returns (called once, when the tool runs).
Registration register_models(std::function<schema::MetaData()> models);
template <class... Models>
Registration register_models() {
  return register_models([] { return metadata<Models...>(); });
}

// Adds a C++ revision.
Registration register_revision(migrate::CppRevision revision);

// The registered models (every registration's tables, in registration order; a table or enum
// type registered twice with different definitions is a UsageError) and revisions.
Tool registered_tool();

// main() of a tool built by retort_add_migrate_executable: main(argc, argv, registered_tool())
// with data_dir set; a registration error is printed as `retort: error: ...` (exit code 1).
int run_registered(int argc, char** argv, const std::filesystem::path& data_dir = {});

}  // namespace retort::cli
