// What the migration tool compares the database with (`revision --autogenerate`, `check`): the
// C++ counterpart of env.py's `target_metadata = Base.metadata`.
#include <retort/cli.hpp>

#include "models.hpp"

static const retort::cli::Registration models =
    retort::cli::register_models<app::Event, app::IngestLedgerEntry>();
