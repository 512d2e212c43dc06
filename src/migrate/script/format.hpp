// How revisions and steps are printed: Alembic's Script.cmd_format / log_entry and
// MigrationStep.__str__ / short_log, so output reads (and parses) like Alembic's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/plan.hpp"
#include "migrate/graph/revision_map.hpp"

namespace retort::migrate {

struct FormatFlags {
  bool include_branches = false;
  bool include_doc = false;
  bool include_parents = false;
  bool tree_indicators = true;
  bool head_indicators = true;
  bool current = false;  // append " (current)"
};

// Script._head_only: "a1 -> b2 (label) (head) (branchpoint), message".
std::string head_only(const RevisionMap& map, RevIndex r, const FormatFlags& flags);

// Script.log_entry: the verbose form ("Rev: ...", "Parent: ...", "Path: ...", the doc).
std::string log_entry(const RevisionMap& map, RevIndex r, bool current);

// cmd_format: log_entry when verbose, else head_only.
std::string cmd_format(const RevisionMap& map, RevIndex r, bool verbose, const FormatFlags& flags);

// "a1, b2" (util.format_as_comma).
std::string comma(const std::vector<std::string>& items);

// MigrationStep.short_log ("upgrade a1 -> b2", "stamp_revision  -> b2") and __str__ (with
// ", message" when the revision has one).
std::string step_short_log(const Step& step);
std::string step_text(const RevisionMap& map, const Step& step);

// Alembic's _filter_into_branch_heads(rows + their ancestors, dependencies included): what
// `current` prints. Throws RevisionError for an unknown row.
std::vector<RevIndex> all_current(const RevisionMap& map, const std::vector<std::string>& rows);

// The revision's docstring as Alembic's generic template writes it (message, Revision ID,
// Revises, Create Date), for log_entry.
std::string long_doc(const RevisionMap& map, RevIndex r);

}  // namespace retort::migrate
