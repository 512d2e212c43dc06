// Graph traversals of RevisionMap: cycle reports, branch-label inheritance, ancestor and
// descendant sets (Alembic's _detect_cycles, _add_branches, _iterate_related_revisions).
#include <algorithm>

#include <fmt/format.h>

#include "migrate/revision_error.hpp"
#include "migrate/revision_map.hpp"

namespace retort::migrate {

namespace {

using Edges = std::vector<std::vector<RevIndex>>;

std::size_t at(RevIndex r) { return static_cast<std::size_t>(r); }

// Everything reachable from `starts` along `edges`, starts included.
std::vector<char> flood(const Edges& edges, const std::vector<RevIndex>& starts) {
  std::vector<char> seen(edges.size(), 0);
  std::vector<RevIndex> stack;
  for (RevIndex s : starts) {
    if (!seen[at(s)]) {
      seen[at(s)] = 1;
      stack.push_back(s);
    }
  }
  while (!stack.empty()) {
    RevIndex v = stack.back();
    stack.pop_back();
    for (RevIndex w : edges[at(v)]) {
      if (!seen[at(w)]) {
        seen[at(w)] = 1;
        stack.push_back(w);
      }
    }
  }
  return seen;
}

// Kahn's algorithm; returns fewer than n entries when `parents` has a cycle.
std::vector<RevIndex> topological(const Edges& parents, const Edges& children) {
  std::vector<std::size_t> pending(parents.size());
  std::vector<RevIndex> order;
  order.reserve(parents.size());
  for (std::size_t i = 0; i < parents.size(); ++i) {
    pending[i] = parents[i].size();
    if (pending[i] == 0) {
      order.push_back(static_cast<RevIndex>(i));
    }
  }
  for (std::size_t next = 0; next < order.size(); ++next) {
    for (RevIndex c : children[at(order[next])]) {
      if (--pending[at(c)] == 0) {
        order.push_back(c);
      }
    }
  }
  return order;
}

void merge_labels(std::vector<std::string>& into, const std::vector<std::string>& extra) {
  std::vector<std::string> merged;
  merged.reserve(into.size() + extra.size());
  std::set_union(into.begin(), into.end(), extra.begin(), extra.end(), std::back_inserter(merged));
  into = std::move(merged);
}

}  // namespace

void RevisionMap::detect_cycles() {
  topo_order_ = topological(all_down_, all_nextrev_);
  if (topo_order_.size() == revs_.size()) {
    return;
  }
  auto fail = [this](RevisionErrorKind kind, std::vector<RevIndex> members, bool sort_ids) {
    std::vector<std::string> names = ids(members);
    if (sort_ids) {
      std::sort(names.begin(), names.end());
    }
    std::vector<std::string> files;
    for (RevIndex m : members) {
      files.push_back(revision(m).path.empty() ? id(m) : revision(m).path);
    }
    std::sort(files.begin(), files.end());
    throw RevisionError(kind, fmt::format("{} is detected in revisions ({}); files: {}",
                                          kind == RevisionErrorKind::cycle ? "Cycle" : "Dependency cycle",
                                          fmt::join(names, ", "), fmt::join(files, ", ")));
  };
  std::vector<RevIndex> all(revs_.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<RevIndex>(i);
  }
  // Alembic's report: the revisions outside (ancestors of heads) & (descendants of bases),
  // first along down_revision, then with depends_on.
  auto check = [&](RevisionErrorKind kind, const std::vector<RevIndex>& heads, const std::vector<RevIndex>& bases,
                   const Edges& down, const Edges& up) {
    if (heads.empty() || bases.empty()) {
      fail(kind, all, false);
    }
    std::vector<char> below = flood(down, heads), above = flood(up, bases);
    std::vector<RevIndex> outside;
    for (RevIndex r : all) {
      if (!below[at(r)] || !above[at(r)]) {
        outside.push_back(r);
      }
    }
    if (!outside.empty()) {
      fail(kind, outside, true);
    }
  };
  check(RevisionErrorKind::cycle, heads_, bases_, down_, nextrev_);
  check(RevisionErrorKind::dependency_cycle, real_heads_, real_bases_, all_down_, all_nextrev_);
  // Alembic misses a cycle whose members are all reachable from both a head and a base; its
  // later traversals then misbehave. retort refuses the graph.
  std::vector<char> ordered(revs_.size(), 0);
  for (RevIndex r : topo_order_) {
    ordered[at(r)] = 1;
  }
  std::vector<RevIndex> stuck;
  for (RevIndex r : all) {
    if (!ordered[at(r)]) {
      stuck.push_back(r);
    }
  }
  const bool versioned_cycle = topological(down_, nextrev_).size() != revs_.size();
  fail(versioned_cycle ? RevisionErrorKind::cycle : RevisionErrorKind::dependency_cycle, stuck, true);
}

// _add_branches: a label covers every descendant of its revision, and, walking down from the
// last node of that depth-first visit, the revisions up to the nearest branch or merge point.
// The visit replays Alembic's (stack, children pushed in load order) because the last node it
// reaches decides where the downward walk starts.
void RevisionMap::propagate_branch_labels() {
  const std::size_t n = revs_.size();
  labels_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels_[i] = revs_[i].branch_labels;
    std::sort(labels_[i].begin(), labels_[i].end());
    labels_[i].erase(std::unique(labels_[i].begin(), labels_[i].end()), labels_[i].end());
  }
  std::vector<char> seen(n, 0);
  std::vector<RevIndex> stack, visited;
  for (std::size_t i = 0; i < n; ++i) {
    if (revs_[i].branch_labels.empty()) {
      continue;
    }
    const std::vector<std::string> carried = labels_[i];
    RevIndex last = static_cast<RevIndex>(i);
    stack.assign(1, static_cast<RevIndex>(i));
    visited.clear();
    while (!stack.empty()) {
      RevIndex v = stack.back();
      stack.pop_back();
      if (seen[at(v)]) {
        continue;
      }
      seen[at(v)] = 1;
      visited.push_back(v);
      merge_labels(labels_[at(v)], carried);
      stack.insert(stack.end(), nextrev_[at(v)].begin(), nextrev_[at(v)].end());
      last = v;
    }
    for (RevIndex v : visited) {
      seen[at(v)] = 0;
    }
    for (RevIndex p = last; all_nextrev_[at(p)].size() <= 1 && down_[at(p)].size() <= 1;) {
      merge_labels(labels_[at(p)], carried);
      if (down_[at(p)].empty()) {
        break;
      }
      p = down_[at(p)][0];
    }
  }
}

std::vector<char> RevisionMap::ancestors(const std::vector<RevIndex>& targets, bool include_dependencies) const {
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported, "base is not a revision; it has no ancestors");
    }
  }
  return flood(include_dependencies ? norm_down_ : down_, targets);
}

std::vector<char> RevisionMap::descendants(const std::vector<RevIndex>& targets, bool include_dependencies) const {
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported, "base is not a revision; it has no descendants");
    }
  }
  return flood(include_dependencies ? all_nextrev_ : nextrev_, targets);
}

// _iterate_related_revisions(check=True): also refuses targets of which one lies on the way
// from another (Alembic: "Requested revision X overlaps with other requested revisions Y").
// The visit order matters for which target is reported, so it replays Alembic's.
std::vector<char> RevisionMap::related_checked(const std::vector<RevIndex>& targets, bool ancestors_direction,
                                               bool include_dependencies) const {
  const Edges& edges = ancestors_direction ? (include_dependencies ? norm_down_ : down_)
                                           : (include_dependencies ? all_nextrev_ : nextrev_);
  std::vector<char> seen(revs_.size(), 0), is_target(revs_.size(), 0);
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported, "base is not a revision and cannot be a target here");
    }
    is_target[at(t)] = 1;
  }
  std::vector<RevIndex> stack, popped;
  for (RevIndex target : targets) {
    stack.assign(1, target);
    popped.clear();
    while (!stack.empty()) {
      RevIndex v = stack.back();
      stack.pop_back();
      popped.push_back(v);
      if (seen[at(v)]) {
        continue;
      }
      seen[at(v)] = 1;
      stack.insert(stack.end(), edges[at(v)].begin(), edges[at(v)].end());
    }
    std::vector<RevIndex> overlaps;
    for (RevIndex v : popped) {
      if (v != target && is_target[at(v)] && std::find(overlaps.begin(), overlaps.end(), v) == overlaps.end()) {
        overlaps.push_back(v);
      }
    }
    if (!overlaps.empty()) {
      throw RevisionError(RevisionErrorKind::revision,
                          fmt::format("Requested revision {} overlaps with other requested revisions {}", id(target),
                                      fmt::join(ids(overlaps), ", ")));
    }
  }
  return seen;
}

}  // namespace retort::migrate
