// Errors of the migration engine: revision graph, identifier resolution, plans, script files.
//
// Each RevisionError carries a kind that matches the exception class Alembic raises for the same
// situation (the differential test compares kinds), and a message equivalent to the one the
// `alembic` command prints.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "retort/error.hpp"

namespace retort::migrate {

enum class RevisionErrorKind {
  resolution,            // unknown or ambiguous identifier, not a member of a branch
  multiple_heads,        // "head" (or similar) names several revisions
  range,                 // target is not an ancestor/descendant of the current heads
  revision,              // any other refusal (ambiguous walk, relative step too far, ...)
  cycle,                 // down_revision cycle
  dependency_cycle,      // cycle through depends_on
  self_loop,             // a revision is its own down revision
  dependency_self_loop,  // a revision depends on itself
  version_table,         // the version table does not hold the rows the plan expects
  unsupported,           // Alembic fails with an internal error here; retort refuses cleanly
};

std::string_view to_string(RevisionErrorKind kind) noexcept;

class RevisionError : public Error {
 public:
  // `argument`: the identifier at fault (Alembic's ResolutionError/MultipleHeads.argument),
  // which the command layer uses to phrase its message.
  RevisionError(RevisionErrorKind kind, const std::string& message, std::string argument = {})
      : Error(message), kind_(kind), argument_(std::move(argument)) {}
  RevisionErrorKind kind() const noexcept { return kind_; }
  const std::string& argument() const noexcept { return argument_; }

 private:
  RevisionErrorKind kind_;
  std::string argument_;
};

// A revision file (or versions directory) is malformed. what() reads "FILE:LINE: reason".
class ScriptError : public Error {
 public:
  ScriptError(std::string file, int line, const std::string& reason);
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }  // 0 when the error is about the whole file
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  int line_;
  std::string reason_;
};

}  // namespace retort::migrate
