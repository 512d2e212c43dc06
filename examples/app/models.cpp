// What the migration tool compares the database with (`revision --autogenerate`, `check`): the
// C++ counterpart of env.py's `target_metadata = Base.metadata`.
#include <retort/cli.hpp>
#include <retort/processing.hpp>

#include "models.hpp"

// The events table as retort's built-in revisions make it: the Event model plus the processing
// columns and retort_workers (retort::events::builtin_schema).
static const retort::cli::Registration models =
    retort::cli::register_models([] { return retort::events::builtin_schema(); });
