#include "migrate/graph/plan.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "retort/migrate.hpp"

namespace retort::migrate {

namespace {

// --- the command layer: Alembic's ScriptDirectory._catch_revision_errors ---------------------

struct CommandMessages {
  std::string ancestor;        // %(start)s / %(end)s
  std::string multiple_heads;  // %(head_arg)s
  std::optional<std::string> start, end;
};

std::string substitute(std::string text, std::string_view key, std::string_view value) {
  for (std::size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

template <class F>
auto with_command_errors(const CommandMessages& m, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const RevisionError& e) {
    switch (e.kind()) {
      case RevisionErrorKind::range: {
        std::string text = m.ancestor.empty()
                               ? "Requested range %(start)s:%(end)s does not refer to "
                                 "ancestor/descendant revisions along the same branch"
                               : m.ancestor;
        text = substitute(text, "%(start)s", m.start.value_or("None"));
        throw RevisionError(e.kind(), substitute(text, "%(end)s", m.end.value_or("None")),
                            e.argument());
      }
      case RevisionErrorKind::multiple_heads: {
        std::string text =
            m.multiple_heads.empty()
                ? "Multiple head revisions are present for given argument '%(head_arg)s'; please "
                  "specify a specific target revision, '<branchname>@%(head_arg)s' to narrow to a "
                  "specific head, or 'heads' for all heads"
                : m.multiple_heads;
        const std::string head_arg = m.end && !m.end->empty() ? *m.end : e.argument();
        throw RevisionError(e.kind(), substitute(text, "%(head_arg)s", head_arg), e.argument());
      }
      case RevisionErrorKind::resolution:
        throw RevisionError(e.kind(),
                            fmt::format("Can't locate revision identified by '{}'", e.argument()),
                            e.argument());
      default:
        throw;
    }
  }
}

// --- the version table: Alembic's HeadMaintainer ---------------------------------------------

[[noreturn]] void refuse(const std::string& why) {
  throw RevisionError(RevisionErrorKind::unsupported,
                      "cannot plan the version-table changes: " + why);
}

class VersionTable {
 public:
  VersionTable(const RevisionMap& map, std::vector<std::string> rows)
      : map_(map), rows_(std::move(rows)), heads_(rows_.begin(), rows_.end()) {}

  const std::vector<std::string>& rows() const { return rows_; }
  std::vector<VersionOp> take_ops() { return std::exchange(ops_, {}); }

  void apply_revision(RevIndex x, bool up);
  void apply_stamp(const Step& step);

 private:
  bool has(const std::string& v) const { return heads_.count(v) != 0; }
  void insert(const std::string& v);
  void remove(const std::string& v);
  void update(const std::string& from, const std::string& to);
  bool implied_by_other_heads(const std::string& rev, const std::set<std::string>& others) const;
  std::vector<std::string> unmerge_targets(RevIndex x, const std::vector<std::string>& downs) const;
  RevIndex resolve(const std::string& row) const;

  const RevisionMap& map_;
  std::vector<std::string> rows_;  // the simulated table, row order
  std::set<std::string> heads_;    // HeadMaintainer.heads
  std::vector<VersionOp> ops_;
};

void VersionTable::insert(const std::string& v) {
  if (has(v)) {
    refuse(fmt::format("'{}' would be inserted while already present", v));
  }
  heads_.insert(v);
  ops_.push_back({VersionOp::Kind::insert, {}, v});
  rows_.push_back(v);
}

void VersionTable::remove(const std::string& v) {
  if (!has(v)) {
    refuse(fmt::format("'{}' would be deleted while not present", v));
  }
  heads_.erase(v);
  ops_.push_back({VersionOp::Kind::remove, v, {}});
  const auto found = std::count(rows_.begin(), rows_.end(), v);
  if (found != 1) {
    throw RevisionError(
        RevisionErrorKind::version_table,
        fmt::format("Online migration expected to match one row when deleting '{}' in the version "
                    "table; {} found",
                    v, found));
  }
  rows_.erase(std::find(rows_.begin(), rows_.end(), v));
}

void VersionTable::update(const std::string& from, const std::string& to) {
  if (has(to)) {
    refuse(fmt::format("'{}' would be updated to '{}', which is already present", from, to));
  }
  if (!has(from)) {
    refuse(fmt::format("'{}' would be updated to '{}' while not present", from, to));
  }
  heads_.erase(from);
  heads_.insert(to);
  ops_.push_back({VersionOp::Kind::update, from, to});
  const auto found = std::count(rows_.begin(), rows_.end(), from);
  if (found != 1) {
    throw RevisionError(
        RevisionErrorKind::version_table,
        fmt::format("Online migration expected to match one row when updating '{}' to '{}' in the "
                    "version table; {} found",
                    from, to, found));
  }
  *std::find(rows_.begin(), rows_.end(), from) = to;
}

RevIndex VersionTable::resolve(const std::string& row) const {
  RevIndex r = map_.find(row);
  if (r != kNone) {
    return r;
  }
  std::vector<RevIndex> found = map_.get_revisions(std::string_view(row));
  if (found.size() != 1 || found.front() < 0) {
    refuse(fmt::format("row '{}' does not name one revision", row));
  }
  return found.front();
}

// Is `rev` one of the other heads or below one of them (their ancestors, depends_on included)?
bool VersionTable::implied_by_other_heads(const std::string& rev,
                                          const std::set<std::string>& others) const {
  const RevIndex r = resolve(rev);
  return std::any_of(others.begin(), others.end(),
                     [&](const std::string& o) { return map_.is_ancestor(r, resolve(o), true); });
}

// RevisionStep._unmerge_to_revisions, with the fix of Alembic issue #1373 (1.13): when no other
// head remains, a target that is an ancestor of another target is not re-inserted (1.8.1 would
// leave both rows, a state from which the next upgrade fails with "overlaps").
std::vector<std::string> VersionTable::unmerge_targets(
    RevIndex x, const std::vector<std::string>& downs) const {
  std::set<std::string> others = heads_;
  others.erase(map_.id(x));
  std::vector<std::string> out;
  for (const std::string& d : downs) {
    bool implied;
    if (!others.empty()) {
      implied = implied_by_other_heads(d, others);
    } else {
      implied = std::any_of(downs.begin(), downs.end(), [&](const std::string& t) {
        return t != d && map_.is_ancestor(resolve(d), resolve(t), true);
      });
    }
    if (!implied) {
      out.push_back(d);
    }
  }
  return out;
}

// HeadMaintainer.update_to_step for a RevisionStep (the branches in Alembic's order).
void VersionTable::apply_revision(RevIndex x, bool up) {
  const std::string& xid = map_.id(x);
  const std::vector<std::string> downs = map_.ids(map_.normalized_down_revisions(x));
  auto present = [&](const std::string& d) { return has(d); };
  if (!up && has(xid) && (downs.empty() || unmerge_targets(x, downs).empty())) {
    remove(xid);  // down to base, or to a revision another head already implies
  } else if (up && (downs.empty() || std::none_of(downs.begin(), downs.end(), present))) {
    insert(xid);  // a new branch
  } else if (up && downs.size() > 1 && std::count_if(downs.begin(), downs.end(), present) > 1) {
    // A merge: all but the last parent row go, the last becomes the merge revision.
    std::set<std::string> others = heads_;
    for (const std::string& d : downs) {
      others.erase(d);
    }
    std::vector<std::string> from;
    for (const std::string& d : downs) {
      if (others.empty() || !implied_by_other_heads(d, others)) {
        from.push_back(d);
      }
    }
    if (from.empty()) {
      refuse(fmt::format("merge revision {} has no parent row to update", xid));
    }
    for (std::size_t i = 0; i + 1 < from.size(); ++i) {
      remove(from[i]);
    }
    update(from.back(), xid);
  } else if (!up && has(xid) && downs.size() > 1) {
    // An unmerge: the merge row becomes the last parent, the other parents are inserted.
    const std::vector<std::string> to = unmerge_targets(x, downs);
    for (std::size_t i = 0; i + 1 < to.size(); ++i) {
      insert(to[i]);
    }
    update(xid, to.back());
  } else {
    std::string down;
    if (downs.size() == 1) {
      down = downs.front();
    } else {
      std::vector<std::string> present_downs;
      std::copy_if(downs.begin(), downs.end(), std::back_inserter(present_downs), present);
      if (present_downs.size() != 1) {
        refuse(fmt::format("the row to update for {} is ambiguous", xid));
      }
      down = present_downs.front();
    }
    up ? update(down, xid) : update(xid, down);
  }
}

// HeadMaintainer.update_to_step for a StampStep.
void VersionTable::apply_stamp(const Step& s) {
  auto absent = [&](const std::string& v) { return !has(v); };
  if (!s.stamp_upgrade && s.branch_move) {
    if (s.from.size() != 1) {
      refuse("a branch removal needs exactly one row");
    }
    remove(s.from.front());
  } else if (s.stamp_upgrade &&
             (s.branch_move || std::any_of(s.from.begin(), s.from.end(), absent)) &&
             std::any_of(s.to.begin(), s.to.end(), absent)) {
    if (s.to.size() != 1) {
      refuse("a new branch needs exactly one row");
    }
    insert(s.to.front());
  } else if (s.from.size() > 1) {
    if (s.to.empty()) {
      refuse("a stamp merging rows needs a destination");
    }
    for (std::size_t i = 0; i + 1 < s.from.size(); ++i) {
      remove(s.from[i]);
    }
    update(s.from.back(), s.to.front());
  } else if (s.to.size() > 1) {
    if (s.from.empty()) {
      refuse("a stamp splitting rows needs a source row");
    }
    for (std::size_t i = 0; i + 1 < s.to.size(); ++i) {
      insert(s.to[i]);
    }
    update(s.from.front(), s.to.back());
  } else {
    if (s.from.size() != 1 || s.to.size() != 1) {
      refuse("a stamp update needs one source and one destination row");
    }
    update(s.from.front(), s.to.front());
  }
}

Plan run(const RevisionMap& map, const std::vector<std::string>& rows, std::vector<Step> steps) {
  VersionTable table(map, rows);
  for (Step& step : steps) {
    if (step.kind == StepKind::stamp) {
      table.apply_stamp(step);
    } else {
      table.apply_revision(step.revision, step.kind == StepKind::upgrade);
    }
    step.ops = table.take_ops();
  }
  return Plan{std::move(steps), rows, table.rows()};
}

Step revision_step(const RevisionMap& map, RevIndex r, bool up) {
  Step s;
  s.kind = up ? StepKind::upgrade : StepKind::downgrade;
  s.revision = r;
  std::vector<std::string> downs = map.ids(map.down_revisions(r));
  s.from = up ? downs : std::vector<std::string>{map.id(r)};
  s.to = up ? std::vector<std::string>{map.id(r)} : downs;
  return s;
}

Step stamp_step(std::vector<std::string> from, std::vector<std::string> to, bool up,
                bool branch_move) {
  Step s;
  s.kind = StepKind::stamp;
  s.from = std::move(from);
  s.to = std::move(to);
  s.stamp_upgrade = up;
  s.branch_move = branch_move;
  return s;
}

// ScriptDirectory._stamp_revs.
std::vector<Step> stamp_steps(const RevisionMap& map, const std::vector<std::string>& rows,
                              std::vector<std::string> targets) {
  std::vector<RevIndex> heads = map.get_revisions(RevSpec::of(rows));
  if (targets.empty()) {
    targets = {"base"};
  }
  std::vector<RevIndex> filtered;  // the rows each target applies to
  for (const std::string& t : targets) {
    if (t.empty()) {
      continue;
    }
    for (RevIndex h : map.filter_for_lineage(heads, t, true)) {
      if (std::find(filtered.begin(), filtered.end(), h) == filtered.end()) {
        filtered.push_back(h);
      }
    }
  }
  std::vector<RevIndex> dests = map.get_revisions(RevSpec::of(targets));
  if (dests.empty()) {
    dests = {kNone};
  }
  const std::vector<std::string> filtered_ids = map.ids(filtered);
  std::vector<Step> steps;
  for (RevIndex dest : dests) {
    if (dest == kNone) {
      for (const std::string& h : filtered_ids) {
        steps.push_back(stamp_step({h}, {}, false, true));
      }
      continue;
    }
    if (std::find(filtered.begin(), filtered.end(), dest) != filtered.end()) {
      continue;  // already in the table
    }
    const std::vector<char> above = map.descendants({dest}), below = map.ancestors({dest});
    auto any_in = [&](const std::vector<char>& flags) {
      return std::any_of(filtered.begin(), filtered.end(),
                         [&](RevIndex h) { return flags[static_cast<std::size_t>(h)] != 0; });
    };
    if (any_in(above)) {
      if (any_in(below)) {
        refuse(fmt::format("rows lie both above and below {}", map.id(dest)));
      }
      steps.push_back(stamp_step(filtered_ids, {map.id(dest)}, false, false));
    } else if (any_in(below)) {
      steps.push_back(stamp_step(filtered_ids, {map.id(dest)}, true, false));
    } else {
      steps.push_back(stamp_step({}, {map.id(dest)}, true, true));  // a branch not in the table yet
    }
  }
  return steps;
}

std::string spec_text(const RevSpec& spec) {
  if (spec.form == RevSpec::Form::text) {
    return spec.text;
  }
  std::vector<std::string> quoted;
  for (const std::string& s : spec.list) {
    quoted.push_back("'" + s + "'");
  }
  return fmt::format("({}{})", fmt::join(quoted, ", "), quoted.size() == 1 ? "," : "");
}

}  // namespace

Plan plan_upgrade(const RevisionMap& map, const std::vector<std::string>& current_rows,
                  std::string_view target) {
  CommandMessages m{"Destination %(end)s is not a valid upgrade target from current head(s)",
                    {},
                    {},
                    std::string(target)};
  std::vector<RevIndex> order = with_command_errors(m, [&] {
    return map.iterate_revisions(RevSpec::of(std::string(target)), RevSpec::of(current_rows),
                                 IterateOptions{.implicit_base = true});
  });
  std::vector<Step> steps;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    steps.push_back(revision_step(map, *it, true));
  }
  return run(map, current_rows, std::move(steps));
}

Plan plan_downgrade(const RevisionMap& map, const std::vector<std::string>& current_rows,
                    std::string_view target) {
  CommandMessages m{"Destination %(end)s is not a valid downgrade target from current head(s)",
                    {},
                    {},
                    std::string(target)};
  std::vector<RevIndex> order = with_command_errors(m, [&] {
    return map.iterate_revisions(RevSpec::of(current_rows), RevSpec::of(std::string(target)),
                                 IterateOptions{.select_for_downgrade = true});
  });
  std::vector<Step> steps;
  for (RevIndex r : order) {
    steps.push_back(revision_step(map, r, false));
  }
  return run(map, current_rows, std::move(steps));
}

Plan plan_stamp(const RevisionMap& map, const std::vector<std::string>& current_rows,
                const std::vector<std::string>& targets) {
  CommandMessages m{
      {}, "Multiple heads are present; please specify a single target revision", {}, {}};
  std::vector<Step> steps =
      with_command_errors(m, [&] { return stamp_steps(map, current_rows, targets); });
  return run(map, current_rows, std::move(steps));
}

std::vector<RevIndex> show_revisions(const RevisionMap& map,
                                     const std::vector<std::string>& current_rows,
                                     std::string_view identifier) {
  return with_command_errors(CommandMessages{}, [&] {
    return identifier == "current" ? map.get_revisions(RevSpec::of(current_rows))
                                   : map.get_revisions(identifier);
  });
}

std::vector<RevIndex> history(const RevisionMap& map, const std::vector<std::string>& current_rows,
                              std::string_view base, std::string_view head) {
  // command.history puts the rows in place of "current" (head first: only one side is
  // substituted), then defaults what is empty, so an empty table means base, or heads.
  RevSpec lower = RevSpec::of(std::string(base.empty() ? "base" : base));
  RevSpec upper = RevSpec::of(std::string(head.empty() ? "heads" : head));
  if (head == "current") {
    upper = current_rows.empty() ? RevSpec::of(std::string("heads")) : RevSpec::of(current_rows);
  } else if (base == "current") {
    lower = current_rows.empty() ? RevSpec::of(std::string("base")) : RevSpec::of(current_rows);
  }
  CommandMessages m{{}, {}, spec_text(lower), spec_text(upper)};
  return with_command_errors(m, [&] {
    return map.iterate_revisions(
        upper, lower, IterateOptions{.inclusive = true, .assert_relative_length = false});
  });
}

}  // namespace retort::migrate
