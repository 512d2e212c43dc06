// Plans: what `upgrade`, `downgrade` and `stamp` do from the current version-table rows, step by
// step, with the version-table changes each step makes (Alembic's ScriptDirectory._upgrade_revs,
// _downgrade_revs, _stamp_revs and runtime.migration.HeadMaintainer).
//
// The runner executes a plan in order: for a revision step, its SQL section, then the step's
// version ops, in one transaction unless the revision is non-transactional. A plan is computed
// completely before anything runs: where Alembic would fail half-way through its bookkeeping,
// the planner refuses up front (RevisionError, kind unsupported or version_table).
//
// Errors are phrased as the `alembic` command phrases them (its _catch_revision_errors).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/revision_map.hpp"

namespace retort::migrate {

// One change to the version table (one row per current head).
struct VersionOp {
  enum class Kind { insert, remove, update };
  Kind kind = Kind::insert;
  std::string from;  // remove, update: the row's current value
  std::string to;    // insert, update: the new value

  friend bool operator==(const VersionOp&, const VersionOp&) = default;
};

enum class StepKind { upgrade, downgrade, stamp };

struct Step {
  StepKind kind = StepKind::upgrade;
  RevIndex revision = kNone;  // upgrade/downgrade: the revision whose SQL runs; kNone for stamps
  std::vector<std::string> from;  // what the step leaves, as Alembic logs it ("a, b -> c")
  std::vector<std::string> to;
  bool stamp_upgrade = false;  // stamp: moves up (else down)
  bool branch_move = false;    // stamp: creates or removes a branch row
  std::vector<VersionOp> ops;  // commit these with the step
};

struct Plan {
  std::vector<Step> steps;
  std::vector<std::string> initial_rows;  // the version table before
  std::vector<std::string> final_rows;    // and after (row order: updates keep their place)
};

// `current_rows`: the version table's rows in table order (Alembic reads them unordered; the
// order matters only for "-1" from several heads, which takes the first row).
Plan plan_upgrade(const RevisionMap& map, const std::vector<std::string>& current_rows,
                  std::string_view target);
Plan plan_downgrade(const RevisionMap& map, const std::vector<std::string>& current_rows,
                    std::string_view target);
// Several targets stamp several branch heads at once; an empty list means "base".
Plan plan_stamp(const RevisionMap& map, const std::vector<std::string>& current_rows,
                const std::vector<std::string>& targets);

// `show IDENT`: the revisions an identifier names; "current" names the current rows. May
// contain kNone/kBaseMarker where Alembic yields None or "base" (relative walks off the graph).
std::vector<RevIndex> show_revisions(const RevisionMap& map,
                                     const std::vector<std::string>& current_rows,
                                     std::string_view identifier);

// `history BASE:HEAD` (empty base = "base", empty head = "heads"; "current" = the rows),
// newest first.
std::vector<RevIndex> history(const RevisionMap& map, const std::vector<std::string>& current_rows,
                              std::string_view base, std::string_view head);

}  // namespace retort::migrate
