#include "migrate/runtime/offline.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "migrate/runtime/runner.hpp"
#include "migrate/runtime/version_store.hpp"
#include "migrate/script/format.hpp"
#include "retort/error.hpp"

namespace retort::migrate {
namespace {

void emit(std::string& out, std::string_view text) {
  out.append(text);
  out.append(";\n\n");
}

void comment(std::string& out, std::string_view text) {
  out.append("-- ");
  out.append(text);
  out.append("\n\n");
}

}  // namespace

std::string render_plan(const RevisionMap& map, const Plan& plan, const Settings& settings,
                        Dialect dialect) {
  VersionStore store(settings, dialect);
  const bool per = settings.transaction_per_migration;
  std::string out;
  if (dialect == Dialect::postgresql) {
    emit(out, fmt::format("SET lock_timeout = {}", settings.lock_timeout.count()));
    emit(out, fmt::format("SET statement_timeout = {}", settings.statement_timeout.count()));
  }
  if (!per) emit(out, "BEGIN");
  std::vector<std::string> heads = plan.initial_rows;
  bool history_created = false;
  for (const Step& step : plan.steps) {
    const Revision* rev = step.kind == StepKind::stamp ? nullptr : &map.revision(step.revision);
    const bool nontx = rev != nullptr && !rev->transactional;
    // As the runner does: SQLite takes PRAGMA foreign_keys only outside a transaction.
    const bool fk_off =
        rev != nullptr && !nontx && rev->sqlite_foreign_keys_off && dialect == Dialect::sqlite;
    if ((nontx || fk_off) && !per) emit(out, "COMMIT");
    if (fk_off) emit(out, "PRAGMA foreign_keys = OFF");
    if (fk_off && !per) emit(out, "BEGIN");
    if (per && !nontx) emit(out, "BEGIN");
    if (heads.empty()) emit(out, store.create_version_table());
    if (!history_created) {
      emit(out, store.create_history_table(true));
      history_created = true;
    }
    comment(out, "Running " + step_short_log(step));
    if (rev != nullptr) {
      const Direction dir =
          step.kind == StepKind::upgrade ? Direction::upgrade : Direction::downgrade;
      for (const PlannedStatement& st : revision_statements(*rev, dir, dialect)) {
        if (st.comment) {
          comment(out, st.sql);
        } else {
          emit(out, st.sql);
        }
      }
    }
    if (nontx) emit(out, "BEGIN");
    for (const VersionOp& op : step.ops) emit(out, store.op_literal(op));
    if (rev != nullptr) {
      emit(out,
           store.history_literal(rev->id, step.kind == StepKind::upgrade ? kUpgrade : kDowngrade,
                                 rev->checksum, rev->path));
    } else {
      for (const std::string& id : step.to) {
        const RevIndex r = map.find(id);
        emit(out, store.history_literal(id, kStamp, r >= 0 ? map.revision(r).checksum : "",
                                        r >= 0 ? map.revision(r).path : ""));
      }
      if (!step.stamp_upgrade) {
        for (const std::string& id : step.from) {
          if (std::find(step.to.begin(), step.to.end(), id) != step.to.end()) continue;
          const RevIndex r = map.find(id);
          emit(out, store.history_literal(id, kUnstamp, "", r >= 0 ? map.revision(r).path : ""));
        }
      }
    }
    if (fk_off) comment(out, "PRAGMA foreign_key_check must return no rows before this COMMIT");
    if (nontx || (fk_off && !per)) {
      emit(out, "COMMIT");
    } else if (per) {
      emit(out, "COMMIT");
    }
    if (fk_off) emit(out, "PRAGMA foreign_keys = ON");
    if ((nontx || fk_off) && !per) emit(out, "BEGIN");
    apply_ops(heads, step.ops);
  }
  if (!plan.steps.empty() && heads.empty()) emit(out, store.drop_version_table());
  if (!per) emit(out, "COMMIT");
  return out;
}

OfflineRange parse_offline_range(const RevisionMap& map, std::string_view range, bool require_range,
                                 std::string_view command) {
  OfflineRange r;
  const std::size_t colon = range.find(':');
  if (colon == std::string_view::npos) {
    if (require_range)
      throw UsageError(fmt::format("{} with --sql requires <fromrev>:<torev>", command));
    r.end = std::string(range);
    return r;
  }
  const std::string_view start = range.substr(0, colon);
  r.end = std::string(range.substr(colon + 1));
  if (r.end.find(':') != std::string::npos) {
    throw UsageError(fmt::format("bad range '{}': expected <fromrev>:<torev>", range));
  }
  if (!start.empty() && start != "base") {
    std::vector<RevIndex> found = show_revisions(map, {}, start);
    if (found.size() != 1 || found.front() < 0) {
      throw UsageError(fmt::format("the start of the range '{}' must name one revision", range));
    }
    r.start_rows.push_back(map.id(found.front()));
  }
  return r;
}

}  // namespace retort::migrate
