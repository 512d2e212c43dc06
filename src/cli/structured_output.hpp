// `--format text|json|jsonl`: the machine-readable output of the commands that print results.
//
// json is one document per run, jsonl one object per line (for streams and for `while read`).
// Keys are stable and documented in docs/cli-output.md; a key is never renamed or retyped, new
// keys may appear. Text output stays as it was (Alembic's wording for the migration commands).
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "migrate/graph/revision_map.hpp"

namespace CLI {
class App;
}

namespace retort::cli {

enum class OutputFormat { text, json, jsonl };

// Adds `--format text|json|jsonl` (default text) to cmd.
void add_format_option(CLI::App& cmd, OutputFormat& format);

// json: {"<key>": items} (plus `extra`'s keys) as one line; jsonl: each item on a line of its own
// (`extra` is not printed: jsonl carries the items only).
void print_items(std::ostream& out, OutputFormat format, std::string_view key,
                 const nlohmann::json& items,
                 const nlohmann::json& extra = nlohmann::json::object());

// One revision as the JSON outputs describe it: revision, down_revisions, branch_labels,
// depends_on, message, create_date, path, is_head, is_base, is_branch_point, is_merge, and
// "current" when `current_rows` is given.
nlohmann::json revision_json(const migrate::RevisionMap& map, migrate::RevIndex r,
                             const std::vector<std::string>* current_rows = nullptr);

}  // namespace retort::cli
