// The exit codes of every retort command: one table, published in README.md ("Exit codes") and
// tested (tests/cli/exit_code_test.cpp). Scripts and CI branch on them, so a code never changes
// meaning; a new situation gets a new code.
#pragma once

#include "retort/error.hpp"

namespace retort::cli {

// Options that parse but do not go together (`--purge` with `--sql`): exit code 2 like a parse
// error. The library's own UsageError (a contract broken, a revision not a head) stays code 1.
class CommandLineError : public UsageError {
 public:
  using UsageError::UsageError;
};

enum ExitCode : int {
  kSuccess = 0,
  kError = 1,             // the command could not do its work (database, files, settings)
  kUsage = 2,             // the command line is wrong: one line saying what, one with a hint
  kInternal = 3,          // a bug in retort: please report it
  kNotAtHead = 4,         // check: the database is not at the head revision(s)
  kDifferencesFound = 5,  // check: models and database differ; verify: applied files changed
  kPartial = 6,           // done, but partly: lines rejected (events ingest), revisions to
                          // complete by hand (import alembic), partitions with unfinished
                          // events kept (events retain)
};

}  // namespace retort::cli
