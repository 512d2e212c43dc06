// Graph traversals of RevisionMap: cycle reports, branch-label inheritance, ancestor and
// descendant sets (Alembic's _detect_cycles, _add_branches, _iterate_related_revisions).
#include <algorithm>

#include <fmt/format.h>

#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

namespace {

using Edges = Adjacency;

std::size_t at(RevIndex r) {
  return static_cast<std::size_t>(r);
}

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
    throw RevisionError(kind,
                        fmt::format("{} is detected in revisions ({}); files: {}",
                                    kind == RevisionErrorKind::cycle ? "Cycle" : "Dependency cycle",
                                    fmt::join(names, ", "), fmt::join(files, ", ")));
  };
  std::vector<RevIndex> all(revs_.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<RevIndex>(i);
  }
  // Alembic's report: the revisions outside (ancestors of heads) & (descendants of bases),
  // first along down_revision, then with depends_on.
  auto check = [&](RevisionErrorKind kind, const std::vector<RevIndex>& heads,
                   const std::vector<RevIndex>& bases, const Edges& down, const Edges& up) {
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
  fail(versioned_cycle ? RevisionErrorKind::cycle : RevisionErrorKind::dependency_cycle, stuck,
       true);
}

// _add_branches. Alembic gives a labelled revision's labels to all its descendants, then walks
// down from the last node of that (depth-first) visit, labelling nodes until a branch point
// (counting depends_on children) or a merge point. That walk only reaches beyond the
// descendants when the descendants are one chain ending at a head: then the last node is that
// head and the walk covers the head's "segment" (the run of non-branch, non-merge revisions
// below it), every labelled member of which contributes. Hence, in linear time:
//   labels(v) = declared(v) | labels of its down_revision ancestors       (one topological pass)
//             | union of the labels of the labelled members of v's head segment, if any.
// Labels travel as bitsets, one bit per distinct label.
void RevisionMap::propagate_branch_labels() {
  const std::size_t n = revs_.size();
  label_names_ = label_keys_;
  std::sort(label_names_.begin(), label_names_.end());
  const std::size_t words = label_words_ = (label_names_.size() + 63) / 64;
  label_bits_.assign(n * words, 0);
  auto row = [&](RevIndex r) { return label_bits_.data() + at(r) * words; };
  auto merge = [&](std::uint64_t* into, const std::uint64_t* from) {
    for (std::size_t w = 0; w < words; ++w) {
      into[w] |= from[w];
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::string& label : revs_[i].branch_labels) {
      const auto b = static_cast<std::size_t>(
          std::lower_bound(label_names_.begin(), label_names_.end(), label) - label_names_.begin());
      row(static_cast<RevIndex>(i))[b / 64] |= std::uint64_t{1} << (b % 64);
    }
  }
  for (RevIndex v : topo_order_) {
    for (RevIndex p : down_[at(v)]) {
      merge(row(v), row(p));
    }
  }
  std::vector<RevIndex> segment;
  std::vector<std::uint64_t> shared(words);
  for (RevIndex head : heads_) {
    segment.clear();
    std::fill(shared.begin(), shared.end(), 0);
    for (RevIndex p = head; all_nextrev_[at(p)].size() <= 1 && down_[at(p)].size() <= 1;) {
      segment.push_back(p);
      if (!revs_[at(p)].branch_labels.empty()) {
        merge(shared.data(), row(p));
      }
      if (down_[at(p)].empty()) {
        break;
      }
      p = down_[at(p)][0];
    }
    for (RevIndex v : segment) {
      merge(row(v), shared.data());
    }
  }
}

bool RevisionMap::has_branch_label(RevIndex r, std::string_view label) const {
  auto it = std::lower_bound(label_names_.begin(), label_names_.end(), label);
  if (it == label_names_.end() || *it != label) {
    return false;
  }
  const auto b = static_cast<std::size_t>(it - label_names_.begin());
  return (label_bits_[at(r) * label_words_ + b / 64] >> (b % 64) & 1) != 0;
}

std::vector<std::string> RevisionMap::branch_labels(RevIndex r) const {
  std::vector<std::string> out;
  for (std::size_t b = 0; b < label_names_.size(); ++b) {
    if (label_bits_[at(r) * label_words_ + b / 64] >> (b % 64) & 1) {
      out.push_back(label_names_[b]);
    }
  }
  return out;
}

std::vector<char> RevisionMap::ancestors(const std::vector<RevIndex>& targets,
                                         bool include_dependencies) const {
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          "base is not a revision; it has no ancestors");
    }
  }
  return flood(include_dependencies ? norm_down_ : down_, targets);
}

std::vector<char> RevisionMap::descendants(const std::vector<RevIndex>& targets,
                                           bool include_dependencies) const {
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          "base is not a revision; it has no descendants");
    }
  }
  return flood(include_dependencies ? all_nextrev_ : nextrev_, targets);
}

// _iterate_related_revisions(check=True): also refuses targets of which one lies on the way
// from another (Alembic: "Requested revision X overlaps with other requested revisions Y").
// The visit order matters for which target is reported, so it replays Alembic's.
std::vector<char> RevisionMap::related_checked(const std::vector<RevIndex>& targets,
                                               bool ancestors_direction,
                                               bool include_dependencies) const {
  const Edges& edges = ancestors_direction ? (include_dependencies ? norm_down_ : down_)
                                           : (include_dependencies ? all_nextrev_ : nextrev_);
  std::vector<char> seen(revs_.size(), 0), is_target(revs_.size(), 0);
  for (RevIndex t : targets) {
    if (t < 0) {
      throw RevisionError(RevisionErrorKind::unsupported,
                          "base is not a revision and cannot be a target here");
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
      if (v != target && is_target[at(v)] &&
          std::find(overlaps.begin(), overlaps.end(), v) == overlaps.end()) {
        overlaps.push_back(v);
      }
    }
    if (!overlaps.empty()) {
      throw RevisionError(
          RevisionErrorKind::revision,
          fmt::format("Requested revision {} overlaps with other requested revisions {}",
                      id(target), fmt::join(ids(overlaps), ", ")));
    }
  }
  return seen;
}

}  // namespace retort::migrate
