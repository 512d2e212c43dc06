// Relative identifiers: Alembic's _walk, _parse_downgrade_target, _parse_upgrade_target and
// _get_all_current.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "migrate/graph/identifier_syntax.hpp"
#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

using syntax::truthy;

namespace {

[[noreturn]] void relative_failed(std::string_view relative, long long steps) {
  throw RevisionError(RevisionErrorKind::revision,
                      fmt::format("Relative revision {} didn't produce {} migrations", relative,
                                  std::llabs(steps)));
}

std::string join_label(const std::string& label, const std::string& symbol) {
  return label + "@" + symbol;
}

}  // namespace

// Steps up (steps > 0, optionally only into `branch_label`'s lineage) or down. Walking off the
// graph gives kNone when no_overwalk, else stops where it is; going down from a root gives
// kBaseMarker. Several ways to go: "Ambiguous walk".
RevIndex RevisionMap::walk(RevIndex start, long long steps,
                           const std::optional<std::string>& branch_label, bool no_overwalk) const {
  RevIndex initial = start;
  const unsigned long long count = steps < 0 ? 0ULL - static_cast<unsigned long long>(steps)
                                             : static_cast<unsigned long long>(steps);
  for (unsigned long long i = 0; i < count; ++i) {
    std::vector<RevIndex> children;
    if (steps > 0) {
      if (initial == kBaseMarker) {
        throw RevisionError(RevisionErrorKind::unsupported, "cannot walk up from the base marker");
      }
      if (initial == kNone) {
        children = bases_;
      } else {
        children.assign(nextrev_[ix(initial)].begin(), nextrev_[ix(initial)].end());
      }
      if (truthy(branch_label)) {
        children = filter_for_lineage(children, *branch_label);
      }
    } else if (initial != kBaseMarker) {
      if (initial == kNone) {
        children = heads_;
      } else {
        children.assign(down_[ix(initial)].begin(), down_[ix(initial)].end());
      }
      if (children.empty()) {
        children = {kBaseMarker};
      }
    }
    if (children.empty()) {
      return no_overwalk ? kNone : initial;
    }
    if (children.size() > 1) {
      throw RevisionError(RevisionErrorKind::revision, "Ambiguous walk");
    }
    initial = children.front();
  }
  return initial;
}

std::pair<std::optional<std::string>, RevIndex> RevisionMap::parse_downgrade_target(
    const RevSpec& current, const std::optional<std::string>& target,
    bool assert_relative_length) const {
  if (!target) {
    return {std::nullopt, kNone};
  }
  if (auto match = syntax::match_relative(*target)) {
    std::optional<std::string> label = match->branch_label;
    std::optional<std::string> symbol = match->symbol;
    const long long rel = *syntax::python_int(match->relative);
    if (rel >= 0) {
      if (!symbol) {
        relative_failed(match->relative, rel);  // downgrading to current + N
      }
      RevIndex rev = walk(get_revision(*symbol), rel, label, assert_relative_length);
      if (rev == kNone) {
        throw RevisionError(RevisionErrorKind::revision, "Walked too far");
      }
      return {label, rev};
    }
    const bool relative_to_current = !symbol;
    if (relative_to_current) {
      std::vector<std::string> rows = current.to_tuple().value_or(std::vector<std::string>{});
      if (truthy(label)) {
        std::vector<std::string> on_branch = filter_ids_for_lineage(rows, *label);
        if (on_branch.empty()) {
          // No current row is on the branch: look at what the rows imply (their ancestors).
          on_branch = ids(filter_for_lineage(all_current(rows), *label));
        }
        if (on_branch.size() != 1) {
          throw RevisionError(
              RevisionErrorKind::unsupported,
              fmt::format("'{}' does not name exactly one current revision on branch '{}'", *target,
                          *label));
        }
        symbol = on_branch.front();
      } else {
        if (rows.empty()) {
          relative_failed(match->relative, rel);
        }
        // From several heads Alembic takes the first row and restricts the walk to its lineage.
        symbol = rows.front();
        label = symbol;
      }
    }
    RevIndex from = label ? get_revision(join_label(*label, *symbol)) : get_revision(*symbol);
    RevIndex rev = walk(from, rel, std::nullopt, assert_relative_length);
    if (rev == kNone) {
      if (relative_to_current) {
        relative_failed(match->relative, rel);
      }
      throw RevisionError(RevisionErrorKind::revision, "Walked too far");
    }
    return {label, rev};
  }
  // Absolute: label@symbol splits at the last '@', and the symbol is resolved without it.
  const std::size_t at = target->rfind('@');
  std::optional<std::string> label;
  if (at != std::string::npos && at > 0) {
    label = target->substr(0, at);
  }
  return {label, get_revision(at == std::string::npos ? *target : target->substr(at + 1))};
}

std::vector<RevIndex> RevisionMap::parse_upgrade_target(const RevSpec& current,
                                                        const RevSpec& target,
                                                        bool assert_relative_length) const {
  std::optional<syntax::RelativeTarget> match;
  if (target.form == RevSpec::Form::text) {
    match = syntax::match_relative(target.text);
  }
  if (!match) {
    return get_revisions(target);
  }
  const std::optional<std::string>& label = match->branch_label;
  const long long rel = *syntax::python_int(match->relative);
  if (rel <= 0) {
    if (!match->symbol) {
      relative_failed(std::to_string(rel), rel);  // upgrading to current - N
    }
    RevIndex from =
        label ? get_revision(join_label(*label, *match->symbol)) : get_revision(*match->symbol);
    return {walk(from, rel, std::nullopt, assert_relative_length)};
  }
  if (match->symbol) {
    return {walk(get_revision(*match->symbol), rel, label, assert_relative_length)};
  }
  // +N from the current rows; with a label, from the row (or implied revision) on that branch.
  std::vector<std::string> rows = current.to_tuple().value_or(std::vector<std::string>{});
  std::vector<RevIndex> start;
  if (!truthy(label)) {
    if (rows.size() > 1) {
      throw RevisionError(RevisionErrorKind::revision,
                          "Ambiguous upgrade from multiple current revisions");
    }
    start = {rows.empty() ? kNone : get_revision(rows.front())};
  } else {
    std::vector<RevIndex> current_revs = get_revisions(RevSpec::of(rows));
    start = filter_for_lineage(current_revs, *label);
    if (start.empty()) {
      std::vector<RevIndex> below;
      std::vector<char> flags = ancestors(current_revs);
      for (std::size_t i = 0; i < flags.size(); ++i) {
        if (flags[i]) {
          below.push_back(static_cast<RevIndex>(i));
        }
      }
      std::vector<RevIndex> active = filter_for_lineage(below, *label);
      std::vector<char> is_parent(revs_.size(), 0);
      for (RevIndex a : active) {
        for (RevIndex d : norm_down_[ix(a)]) {
          is_parent[ix(d)] = 1;
        }
      }
      for (RevIndex a : active) {
        if (!is_parent[ix(a)]) {
          start.push_back(a);  // a tip of the branch's applied part
        }
      }
      if (start.empty()) {
        start = {kNone};
      }
    }
  }
  if (start.size() > 1) {
    throw RevisionError(RevisionErrorKind::revision,
                        "Ambiguous upgrade from multiple current revisions");
  }
  RevIndex rev = walk(start.front(), rel, label, assert_relative_length);
  if (rev == kNone) {
    relative_failed(match->relative, rel);
  }
  return {rev};
}

// _get_all_current: the rows plus everything they imply, reduced to the branch tips.
std::vector<RevIndex> RevisionMap::all_current(const std::vector<std::string>& ids) const {
  std::vector<RevIndex> top = get_revisions(RevSpec::of(ids));
  std::vector<char> in_set = ancestors(top);
  std::vector<RevIndex> out;
  for (std::size_t i = 0; i < in_set.size(); ++i) {
    if (!in_set[i]) {
      continue;
    }
    // The set is closed under ancestors, so "has a descendant in the set" is "has a child in it".
    const auto kids = nextrev_[i];
    if (std::none_of(kids.begin(), kids.end(), [&](RevIndex k) { return in_set[ix(k)] != 0; })) {
      out.push_back(static_cast<RevIndex>(i));
    }
  }
  return out;
}

}  // namespace retort::migrate
