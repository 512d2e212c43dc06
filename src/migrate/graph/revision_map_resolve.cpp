// Identifier resolution: Alembic's _resolve_revision_number, _revision_for_ident,
// get_revisions, get_revision, filter_for_lineage and _shares_lineage.
#include <algorithm>

#include <fmt/format.h>

#include "migrate/graph/identifier_syntax.hpp"
#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

using syntax::truthy;

// The tuple _resolve_revision_number returns: revision ids for head/heads, the identifier
// itself otherwise, empty for base; plus the label written before '@' (may be "").
struct RevisionMap::Resolved {
  std::vector<std::string> ids;
  std::optional<std::string> branch_label;
};

RevIndex RevisionMap::lookup_key(std::string_view key) const noexcept {
  if (auto it = by_id_.find(key); it != by_id_.end()) {
    return it->second;
  }
  if (auto it = by_label_.find(key); it != by_label_.end()) {
    return it->second;
  }
  return kNone;
}

RevisionMap::Resolved RevisionMap::resolve_revision_number(
    std::optional<std::string_view> ident) const {
  Resolved out;
  if (!ident) {
    return out;
  }
  std::string_view rest = *ident;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    out.branch_label = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
  }
  if (rest == "heads") {
    // Labelled: the down_revision heads of that lineage; bare: heads counting dependencies.
    out.ids =
        ids(truthy(out.branch_label) ? filter_for_lineage(heads_, *out.branch_label) : real_heads_);
  } else if (rest == "head") {
    RevIndex head = get_current_head(out.branch_label);
    if (head != kNone) {
      out.ids = {id(head)};
    }
  } else if (rest != "base") {
    out.ids = {std::string(rest)};
  }
  return out;
}

RevIndex RevisionMap::get_current_head(const std::optional<std::string>& branch_label) const {
  std::vector<RevIndex> current = heads_;
  if (truthy(branch_label)) {
    current = filter_for_lineage(current, *branch_label);
  }
  if (current.size() > 1) {
    const std::string argument = truthy(branch_label) ? *branch_label + "@head" : "head";
    throw RevisionError(RevisionErrorKind::multiple_heads,
                        fmt::format("Multiple heads are present for given argument '{}'; {}",
                                    argument, fmt::join(ids(current), ", ")),
                        argument);
  }
  return current.empty() ? kNone : current.front();
}

std::vector<std::string> RevisionMap::prefix_matches(std::string_view prefix) const {
  // Keys shorter than four characters never match a prefix (Alembic's len(x) > 3).
  std::vector<std::pair<std::size_t, std::string>> found;
  const auto& keys = sorted_keys();
  auto it = std::lower_bound(keys.begin(), keys.end(), prefix,
                             [](const auto& entry, std::string_view p) { return entry.first < p; });
  for (; it != keys.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->first.size() > 3) {
      found.emplace_back(it->second, it->first);
    }
  }
  std::sort(found.begin(), found.end());  // back to map order: ids by load order, then labels
  std::vector<std::string> out;
  for (auto& f : found) {
    out.push_back(std::move(f.second));
  }
  return out;
}

RevIndex RevisionMap::resolve_branch(std::string_view label) const {
  if (RevIndex r = lookup_key(label); r != kNone) {
    return r;
  }
  try {
    return revision_for_ident(label, std::nullopt);
  } catch (const RevisionError& e) {
    if (e.kind() != RevisionErrorKind::resolution) {
      throw;
    }
    throw RevisionError(RevisionErrorKind::resolution, fmt::format("No such branch: '{}'", label),
                        std::string(label));
  }
}

RevIndex RevisionMap::revision_for_ident(std::optional<std::string_view> ident,
                                         const std::optional<std::string>& check_branch) const {
  const RevIndex branch_rev = truthy(check_branch) ? resolve_branch(*check_branch) : kNone;
  if (!ident) {
    return kNone;  // the empty tuple: base
  }
  RevIndex revision = lookup_key(*ident);
  if (revision == kNone) {
    if (ident->empty()) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          "an empty revision identifier names no revision");
    }
    std::vector<std::string> matches = prefix_matches(*ident);
    if (branch_rev != kNone) {
      matches = filter_ids_for_lineage(matches, *check_branch);
    }
    if (matches.empty()) {
      throw RevisionError(
          RevisionErrorKind::resolution,
          fmt::format("No such revision or branch '{}'{}", *ident,
                      ident->size() < 4
                          ? "; please ensure at least four characters are present for "
                            "partial revision identifier matches"
                          : ""),
          std::string(*ident));
    }
    if (matches.size() > 1) {
      std::vector<std::string> quoted;
      for (std::size_t i = 0; i < matches.size() && i < 3; ++i) {
        quoted.push_back("'" + matches[i] + "'");
      }
      throw RevisionError(
          RevisionErrorKind::resolution,
          fmt::format("Multiple revisions start with '{}': {}...", *ident, fmt::join(quoted, ", ")),
          std::string(*ident));
    }
    revision = lookup_key(matches.front());
  }
  if (truthy(check_branch) && !shares_lineage(revision, {branch_rev}, false)) {
    throw RevisionError(
        RevisionErrorKind::resolution,
        fmt::format("Revision {} is not a member of branch '{}'", id(revision), *check_branch),
        std::string(*ident));
  }
  return revision;
}

bool RevisionMap::shares_lineage(RevIndex target, const std::vector<RevIndex>& against,
                                 bool include_dependencies) const {
  // Alembic: (descendants | ancestors of target) & against is not empty.
  return std::any_of(against.begin(), against.end(), [&](RevIndex other) {
    return is_ancestor(other, target, include_dependencies) ||
           is_ancestor(target, other, include_dependencies);
  });
}

std::vector<RevIndex> RevisionMap::filter_for_lineage(const std::vector<RevIndex>& targets,
                                                      std::optional<std::string_view> check_against,
                                                      bool include_dependencies) const {
  // Resolved eagerly, like Alembic (so "head" with several heads raises even for no targets);
  // the names it yields are looked up only once there is a target to test.
  Resolved resolved = resolve_revision_number(check_against);
  std::vector<std::string> shares;
  if (truthy(resolved.branch_label)) {
    shares.push_back(*resolved.branch_label);
  }
  shares.insert(shares.end(), resolved.ids.begin(), resolved.ids.end());
  if (targets.empty() || shares.empty()) {
    return targets;
  }
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          "base is not a revision; it belongs to no branch");
    }
  }
  std::vector<RevIndex> against;
  for (const std::string& s : shares) {
    against.push_back(revision_for_ident(s, std::nullopt));
  }
  std::vector<RevIndex> out;
  for (RevIndex t : targets) {
    if (shares_lineage(t, against, include_dependencies)) {
      out.push_back(t);
    }
  }
  return out;
}

// filter_for_lineage over identifiers (map keys or version-table rows): each is resolved
// before the test revisions, as _shares_lineage does.
std::vector<std::string> RevisionMap::filter_ids_for_lineage(
    const std::vector<std::string>& targets, std::string_view check_against) const {
  Resolved resolved = resolve_revision_number(check_against);
  std::vector<std::string> shares;
  if (truthy(resolved.branch_label)) {
    shares.push_back(*resolved.branch_label);
  }
  shares.insert(shares.end(), resolved.ids.begin(), resolved.ids.end());
  if (targets.empty() || shares.empty()) {
    return targets;
  }
  std::vector<RevIndex> resolved_targets;
  std::vector<RevIndex> against;
  for (const std::string& t : targets) {
    resolved_targets.push_back(revision_for_ident(t, std::nullopt));
    if (against.empty()) {
      for (const std::string& s : shares) {
        against.push_back(revision_for_ident(s, std::nullopt));
      }
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (shares_lineage(resolved_targets[i], against, false)) {
      out.push_back(targets[i]);
    }
  }
  return out;
}

std::vector<RevIndex> RevisionMap::get_revisions(std::string_view identifier) const {
  Resolved resolved = resolve_revision_number(identifier);
  if (resolved.ids.size() == 1) {
    if (auto steps = syntax::python_int(resolved.ids.front()); steps && *steps < 0) {
      // label@-N / -N: walk down from each head (optionally only the label's heads).
      std::vector<RevIndex> start = get_revisions(std::string_view("heads"));
      std::vector<RevIndex> out;
      for (RevIndex head : start) {
        if (resolved.branch_label && !has_branch_label(head, *resolved.branch_label)) {
          continue;
        }
        out.push_back(walk(head, *steps, std::nullopt, true));
      }
      return out;
    }
  }
  std::vector<RevIndex> out;
  for (const std::string& rev_id : resolved.ids) {
    out.push_back(revision_for_ident(rev_id, resolved.branch_label));
  }
  return out;
}

std::vector<RevIndex> RevisionMap::get_revisions(const RevSpec& spec) const {
  switch (spec.form) {
    case RevSpec::Form::none:
      return {};
    case RevSpec::Form::text:
      return get_revisions(std::string_view(spec.text));
    case RevSpec::Form::list:
      break;
  }
  std::vector<RevIndex> out;
  for (const std::string& one : spec.list) {
    std::vector<RevIndex> part = get_revisions(std::string_view(one));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

RevIndex RevisionMap::get_revision(std::string_view identifier) const {
  Resolved resolved = resolve_revision_number(identifier);
  if (resolved.ids.size() > 1) {
    throw RevisionError(RevisionErrorKind::multiple_heads,
                        fmt::format("Multiple heads are present for given argument '{}'; {}",
                                    identifier, fmt::join(resolved.ids, ", ")),
                        std::string(identifier));
  }
  if (resolved.ids.empty()) {
    return revision_for_ident(std::nullopt, resolved.branch_label);
  }
  return revision_for_ident(resolved.ids.front(), resolved.branch_label);
}

}  // namespace retort::migrate
