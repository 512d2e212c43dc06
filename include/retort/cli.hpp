// The `retort` command line as a function, for a migration tool of your own that knows your
// models: `retort revision --autogenerate` and `retort check` compare the database with the
// models passed here (the stock `retort` binary passes retort's built-in Event model).
//
//   // my_migrate.cpp, linked with retort::retort and retort::command
//   #include <retort/cli.hpp>
//   #include <retort/repository.hpp>
//   #include "models.hpp"   // ModelTraits<Task>, ModelTraits<Note>
//
//   int main(int argc, char** argv) {
//     return retort::cli::main(argc, argv, retort::metadata<Task, Note>());
//   }
//
//   $ ./my_migrate revision --autogenerate -m "add tasks"
//   $ ./my_migrate upgrade head
//   $ ./my_migrate check            # in CI: exit code 1 when the models changed
//
// Every other command (init, upgrade, downgrade, current, history, ...) works as in `retort`.
// See docs/autogenerate.md.
#pragma once

#include "retort/schema.hpp"

namespace retort::cli {

// Runs the command line with `models` as the metadata that autogenerate and check compare
// with. Returns the exit code (0 success; 1 an error, printed as one `retort: error: ...` line,
// or `check` found pending operations; 2 bad usage; 4 `check` found the database not at head).
// Never throws.
int main(int argc, char** argv, const schema::MetaData& models);

// The models the stock `retort` binary compares with: retort's own (the events table).
schema::MetaData builtin_models();

}  // namespace retort::cli
