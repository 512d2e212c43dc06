// `--sql` mode: the SQL a run would execute, printed instead of executed (Alembic's offline
// mode), without connecting: the statements of each revision, the version-table changes, the
// history records, BEGIN/COMMIT per revision (or around the whole run), the CREATE TABLE of the
// version table when starting from base and its DROP when a downgrade ends at base.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/plan.hpp"
#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

std::string render_plan(const RevisionMap& map, const Plan& plan, const Settings& settings,
                        Dialect dialect);

// "START:END" -> (start rows, end). Without ':' the start is base (empty rows); `require_range`
// refuses that (offline downgrades need to know where they start). Throws UsageError.
struct OfflineRange {
  std::vector<std::string> start_rows;
  std::string end;
};
OfflineRange parse_offline_range(const RevisionMap& map, std::string_view range, bool require_range,
                                 std::string_view command);

}  // namespace retort::migrate
