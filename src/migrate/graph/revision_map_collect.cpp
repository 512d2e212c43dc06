// Which revisions a move between two points covers, and in which order: Alembic's
// iterate_revisions, _collect_upgrade_revisions, _collect_downgrade_revisions and
// _topological_sort.
#include <algorithm>

#include <fmt/format.h>

#include "migrate/graph/identifier_syntax.hpp"
#include "migrate/graph/reachability.hpp"
#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

namespace {

void require_revisions(const std::vector<RevIndex>& revs, std::string_view what) {
  for (RevIndex r : revs) {
    if (r < 0) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          fmt::format("{} resolves to {}, not to a revision", what,
                                      r == kNone ? "nothing" : "base"));
    }
  }
}

// Python's "%s" of the upper/lower argument, for RangeNotAncestorError's message.
std::string spec_text(const RevSpec& spec) {
  switch (spec.form) {
    case RevSpec::Form::none:
      return "base";
    case RevSpec::Form::text:
      return spec.text.empty() ? "base" : spec.text;
    case RevSpec::Form::list:
      break;
  }
  if (spec.list.empty()) {
    return "base";
  }
  std::vector<std::string> quoted;
  for (const std::string& s : spec.list) {
    quoted.push_back("'" + s + "'");
  }
  return fmt::format("({}{})", fmt::join(quoted, ", "), quoted.size() == 1 ? "," : "");
}

}  // namespace

std::vector<RevIndex> RevisionMap::iterate_revisions(const RevSpec& upper, const RevSpec& lower,
                                                     IterateOptions options) const {
  std::vector<RevIndex> heads;
  std::vector<char> todo = options.select_for_downgrade
                               ? collect_downgrade(upper, lower, options, heads)
                               : collect_upgrade(upper, lower, options, heads);
  // The fast blocked-test of the sort needs every revision to hang below a head through the
  // set itself; that holds for downgrades and for implicit-base upgrades (what the upgrade and
  // downgrade commands use), not necessarily for inclusive ranges (history).
  const bool convex = options.select_for_downgrade || (options.implicit_base && !options.inclusive);
  return topological_sort(std::move(todo), heads, convex);
}

std::vector<char> RevisionMap::collect_upgrade(const RevSpec& upper, RevSpec lower,
                                               IterateOptions options,
                                               std::vector<RevIndex>& heads) const {
  std::vector<RevIndex> targets =
      parse_upgrade_target(lower, upper, options.assert_relative_length);
  require_revisions(targets, "the upgrade target");
  if (lower.form == RevSpec::Form::text && lower.text.find('@') != std::string::npos) {
    // label@... as the lower bound keeps only the targets on that branch.
    std::string branch = lower.text.substr(0, lower.text.find('@'));
    RevIndex branch_rev = get_revision(branch);
    if (branch_rev >= 0 && id(branch_rev) == branch) {
      const std::vector<std::string> labels = branch_labels(branch_rev);
      if (labels.size() != 1) {
        throw RevisionError(
            RevisionErrorKind::unsupported,
            fmt::format("revision {} used as a branch name must carry exactly one label", branch));
      }
      branch = labels.front();
    }
    std::vector<RevIndex> kept;
    for (RevIndex t : targets) {
      if (has_branch_label(t, branch) && std::find(kept.begin(), kept.end(), t) == kept.end()) {
        kept.push_back(t);
      }
    }
    targets = std::move(kept);
  }
  std::vector<char> needs = related_checked(targets, true, true);  // required_node_set

  std::vector<RevIndex> current = get_revisions(lower);
  if (!options.implicit_base) {
    for (RevIndex c : current) {
      if (c != kNone && (c == kBaseMarker || !needs[ix(c)])) {
        throw RevisionError(RevisionErrorKind::range,
                            fmt::format("Revision {} is not an ancestor of revision {}",
                                        spec_text(lower), spec_text(upper)));
      }
    }
  }
  if (!current.empty() && current.front() == kNone) {
    // lower was relative ("-1"): resolve it against upper like a downgrade target.
    auto [label, rev] = parse_downgrade_target(
        upper,
        lower.form == RevSpec::Form::text ? std::optional<std::string>(lower.text) : std::nullopt,
        options.assert_relative_length);
    if (rev == kNone) {
      throw RevisionError(RevisionErrorKind::unsupported, "the lower bound resolves to nothing");
    }
    if (rev == kBaseMarker) {
      current.clear();
      lower = RevSpec::none();
    } else {
      current = {rev};
      lower = RevSpec::of(id(rev));
    }
  }
  std::vector<char> applied = related_checked(current, true, true);  // current_node_set
  for (std::size_t i = 0; i < needs.size(); ++i) {
    needs[i] = needs[i] && !applied[i];
  }
  if (options.inclusive) {
    std::vector<RevIndex> lower_revs = get_revisions(lower);
    require_revisions(lower_revs, "the lower bound");
    for (RevIndex r : lower_revs) {
      needs[ix(r)] = 1;
    }
  }
  if (!current.empty() && !options.implicit_base) {
    std::vector<char> above = related_checked(current, false, false);
    for (std::size_t i = 0; i < needs.size(); ++i) {
      needs[i] = needs[i] && above[i];
    }
  }
  heads = std::move(targets);
  return needs;
}

std::vector<char> RevisionMap::collect_downgrade(const RevSpec& upper, const RevSpec& lower,
                                                 IterateOptions options,
                                                 std::vector<RevIndex>& heads) const {
  if (lower.form == RevSpec::Form::list) {
    throw RevisionError(RevisionErrorKind::unsupported,
                        "a downgrade target must be a single identifier");
  }
  auto [label, target] = parse_downgrade_target(
      upper,
      lower.form == RevSpec::Form::text ? std::optional<std::string>(lower.text) : std::nullopt,
      options.assert_relative_length);
  if (target == kBaseMarker) {
    target = kNone;
  }
  std::vector<RevIndex> roots;
  std::size_t root_entries = 0;  // Alembic counts a labelled root once per map key
  if (target == kNone) {
    roots = bases_;
    for (RevIndex b : bases_) {
      root_entries += 1 + revs_[ix(b)].branch_labels.size();
    }
  } else if (options.inclusive) {
    roots = {target};
    root_entries = 1;
  } else {
    roots.assign(nextrev_[ix(target)].begin(), nextrev_[ix(target)].end());
    root_entries = roots.size();
  }
  if (syntax::truthy(label) && root_entries > 1) {
    // Only the roots below the named branch.
    std::vector<char> below = ancestors({resolve_branch(*label)}, false);
    std::vector<RevIndex> kept;
    for (RevIndex r : roots) {
      if (below[ix(r)]) {
        kept.push_back(r);
      }
    }
    roots = std::move(kept);
    if (roots.empty()) {
      throw RevisionError(RevisionErrorKind::revision,
                          "Not a valid downgrade target from current heads");
    }
  }
  heads = get_revisions(upper);
  std::vector<char> drop = descendants(roots, true);
  std::vector<char> active = ancestors(heads, true);
  std::vector<char> below_roots =
      options.implicit_base ? ancestors(roots, true) : std::vector<char>();
  bool any = false;
  for (std::size_t i = 0; i < drop.size(); ++i) {
    drop[i] = drop[i] && active[i];
    if (options.implicit_base && active[i] && !below_roots[i]) {
      drop[i] = 1;  // wind other branches back to base
    }
    any = any || drop[i];
  }
  if (target != kNone && !any && std::find(heads.begin(), heads.end(), target) == heads.end()) {
    throw RevisionError(RevisionErrorKind::range,
                        fmt::format("Revision Nothing to drop is not an ancestor of revision {}",
                                    spec_text(upper)));
  }
  return drop;
}

// Alembic's _topological_sort, newest first. It keeps a list of current heads and walks down
// from one of them until it meets a revision another head still needs ("blocked"), then jumps
// to the first such head in list order. Alembic tests "blocked" against ancestor sets it
// recomputes at every merge; here it is a reachability lookup per head, or, when the set is
// convex (see iterate_revisions), a count of pending children that settles most steps in O(1).
std::vector<RevIndex> RevisionMap::topological_sort(std::vector<char> todo,
                                                    const std::vector<RevIndex>& heads,
                                                    bool convex) const {
  require_revisions(heads, "a head of the range");
  std::vector<RevIndex> current;
  for (RevIndex h : heads) {
    if (todo[ix(h)]) {
      current.push_back(h);
    }
  }
  std::sort(current.begin(), current.end());  // load order
  current.erase(std::unique(current.begin(), current.end()), current.end());

  const std::size_t n = revs_.size();
  std::vector<char> is_head(n, 0);
  for (RevIndex h : current) {
    is_head[ix(h)] = 1;
  }
  std::size_t remaining = 0;
  std::vector<std::uint32_t> pending(convex ? n : 0, 0);  // children still to emit
  for (std::size_t v = 0; v < n; ++v) {
    if (!todo[v]) {
      continue;
    }
    ++remaining;
    if (convex) {
      for (RevIndex p : norm_down_[v]) {
        pending[ix(p)] += todo[ix(p)] ? 1 : 0;
      }
    }
  }
  const Reachability& full = reach(true);
  std::vector<RevIndex> output;
  output.reserve(remaining);
  std::size_t idx = 0;
  while (!current.empty()) {
    const RevIndex candidate = current[idx];
    std::size_t blocker = current.size();
    if (!convex || pending[ix(candidate)] > 0) {
      for (std::size_t j = 0; j < current.size(); ++j) {
        if (j != idx && full.reaches(candidate, current[j])) {
          blocker = j;
          break;
        }
      }
    }
    if (blocker != current.size()) {
      idx = blocker;  // another head needs the candidate: go down that head first
      continue;
    }
    if (todo[ix(candidate)]) {
      output.push_back(candidate);
      todo[ix(candidate)] = 0;
      --remaining;
      if (convex) {
        for (RevIndex p : norm_down_[ix(candidate)]) {
          pending[ix(p)] -= todo[ix(p)] ? 1 : 0;
        }
      }
    }
    std::vector<RevIndex> to_add;
    for (RevIndex r : norm_down_[ix(candidate)]) {
      if (todo[ix(r)] && !is_head[ix(r)]) {
        to_add.push_back(r);
      }
    }
    is_head[ix(candidate)] = 0;
    if (to_add.empty()) {
      current.erase(current.begin() + static_cast<std::ptrdiff_t>(idx));
      idx = idx > 0 ? idx - 1 : 0;
      continue;
    }
    current[idx] = to_add.front();
    for (RevIndex r : to_add) {
      is_head[ix(r)] = 1;
    }
    current.insert(current.end(), to_add.begin() + 1, to_add.end());
  }
  if (remaining != 0) {
    throw RevisionError(RevisionErrorKind::unsupported,
                        "the revisions of this range are not all reachable from its heads");
  }
  return output;
}

}  // namespace retort::migrate
