// RevisionMap construction: identifiers, references, cycles, derived graph facts.
// Mirrors RevisionMap._revision_map of Alembic 1.8.1 (see revision_map.hpp for the ordering rules).
#include "migrate/revision_map.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "migrate/reachability.hpp"
#include "migrate/revision_error.hpp"

namespace retort::migrate {

namespace {

std::string where(const Revision& r) { return r.path.empty() ? std::string("<revision ") + r.id + ">" : r.path; }

// Appends the not-yet-present elements of `extra` to `out` (util.dedupe_tuple over a concatenation).
void append_unique(std::vector<RevIndex>& out, const std::vector<RevIndex>& extra) {
  for (RevIndex r : extra) {
    if (std::find(out.begin(), out.end(), r) == out.end()) {
      out.push_back(r);
    }
  }
}

}  // namespace

std::optional<std::vector<std::string>> RevSpec::to_tuple() const {
  switch (form) {
    case Form::none: return std::nullopt;
    case Form::text: return std::vector<std::string>{text};
    case Form::list: return list;
  }
  return std::nullopt;
}

RevisionMap::RevisionMap(std::vector<Revision> revisions) : revs_(std::move(revisions)) {
  index_revisions();
  map_branch_labels();
  resolve_references();
  compute_heads_and_bases();
  detect_cycles();
  build_reachability();
  normalize_dependencies();
  propagate_branch_labels();
}

RevisionMap::RevisionMap(RevisionMap&&) noexcept = default;
RevisionMap& RevisionMap::operator=(RevisionMap&&) noexcept = default;
RevisionMap::~RevisionMap() = default;

RevIndex RevisionMap::find(std::string_view id) const noexcept {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? kNone : it->second;
}

std::vector<std::string> RevisionMap::ids(const std::vector<RevIndex>& indexes) const {
  std::vector<std::string> out;
  out.reserve(indexes.size());
  for (RevIndex r : indexes) {
    out.push_back(r >= 0 ? id(r) : (r == kBaseMarker ? "base" : ""));
  }
  return out;
}

// Ids, self-loops and duplicates, file by file in load order (Alembic raises the self-loop
// errors from the Revision constructor, i.e. while loading that file).
void RevisionMap::index_revisions() {
  by_id_.reserve(revs_.size());
  for (std::size_t i = 0; i < revs_.size(); ++i) {
    const Revision& r = revs_[i];
    const auto& downs = r.down_revisions;
    if (std::find(downs.begin(), downs.end(), r.id) != downs.end()) {
      throw RevisionError(RevisionErrorKind::self_loop,
                          fmt::format("Self-loop is detected in revisions ({}); file: {}", r.id, where(r)));
    }
    if (std::find(r.depends_on.begin(), r.depends_on.end(), r.id) != r.depends_on.end()) {
      throw RevisionError(RevisionErrorKind::dependency_self_loop,
                          fmt::format("Dependency self-loop is detected in revisions ({}); file: {}", r.id, where(r)));
    }
    if (std::string reason = invalid_revision_id_reason(r.id); !reason.empty()) {
      throw ScriptError(where(r), r.lines.revision, fmt::format("revision id '{}' {}", r.id, reason));
    }
    for (std::size_t d = 0; d < downs.size(); ++d) {
      if (std::find(downs.begin(), downs.begin() + static_cast<std::ptrdiff_t>(d), downs[d]) !=
          downs.begin() + static_cast<std::ptrdiff_t>(d)) {
        throw ScriptError(where(r), r.lines.down_revision, fmt::format("down revision '{}' is listed twice", downs[d]));
      }
    }
    auto [it, inserted] = by_id_.emplace(r.id, static_cast<RevIndex>(i));
    if (!inserted) {
      throw ScriptError(where(r), r.lines.revision,
                        fmt::format("revision id '{}' is already used by {}", r.id, where(revs_[ix(it->second)])));
    }
  }
}

// Branch labels become keys of the same namespace as revision ids (Alembic's map_).
void RevisionMap::map_branch_labels() {
  for (std::size_t i = 0; i < revs_.size(); ++i) {
    const Revision& r = revs_[i];
    for (const std::string& label : r.branch_labels) {
      if (std::string reason = invalid_branch_label_reason(label); !reason.empty()) {
        throw ScriptError(where(r), r.lines.branch_labels, fmt::format("branch label '{}' {}", label, reason));
      }
      RevIndex owner = find(label);
      if (auto it = by_label_.find(label); it != by_label_.end()) {
        owner = it->second;
      }
      if (owner != kNone) {
        throw RevisionError(RevisionErrorKind::revision,
                            fmt::format("Branch name '{}' in revision {} already used by revision {}; files: {}, {}",
                                        label, r.id, id(owner), where(r), where(revs_[ix(owner)])));
      }
      by_label_.emplace(label, static_cast<RevIndex>(i));
      label_keys_.push_back(label);
    }
  }
  // Prefix lookups scan the keys in map order: ids (load order), then labels.
  sorted_keys_.reserve(revs_.size() + label_keys_.size());
  for (std::size_t i = 0; i < revs_.size(); ++i) {
    sorted_keys_.emplace_back(revs_[i].id, i);
  }
  for (std::size_t j = 0; j < label_keys_.size(); ++j) {
    sorted_keys_.emplace_back(label_keys_[j], revs_.size() + j);
  }
  std::sort(sorted_keys_.begin(), sorted_keys_.end());
}

// down_revision and depends_on to indexes; children lists in load order (Alembic's add_nextrev).
void RevisionMap::resolve_references() {
  const std::size_t n = revs_.size();
  down_.resize(n);
  deps_.resize(n);
  all_down_.resize(n);
  nextrev_.resize(n);
  all_nextrev_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Revision& r = revs_[i];
    for (const std::string& dep : r.depends_on) {
      RevIndex target = lookup_key(dep);
      if (target == kNone) {
        throw ScriptError(where(r), r.lines.depends_on,
                          fmt::format("revision {} depends on '{}', which is neither a revision nor a branch label",
                                      r.id, dep));
      }
      append_unique(deps_[i], {target});
    }
    for (const std::string& down : r.down_revisions) {
      RevIndex target = find(down);
      if (target == kNone) {
        throw ScriptError(where(r), r.lines.down_revision,
                          fmt::format("down revision '{}' of revision {} is not present", down, r.id));
      }
      down_[i].push_back(target);
    }
    all_down_[i] = down_[i];
    append_unique(all_down_[i], deps_[i]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (RevIndex d : down_[i]) {
      nextrev_[ix(d)].push_back(static_cast<RevIndex>(i));
    }
    for (RevIndex d : all_down_[i]) {
      all_nextrev_[ix(d)].push_back(static_cast<RevIndex>(i));
    }
  }
}

void RevisionMap::compute_heads_and_bases() {
  for (std::size_t i = 0; i < revs_.size(); ++i) {
    const auto r = static_cast<RevIndex>(i);
    if (nextrev_[i].empty()) {
      heads_.push_back(r);
    }
    if (all_nextrev_[i].empty()) {
      real_heads_.push_back(r);
    }
    if (down_[i].empty()) {
      bases_.push_back(r);
      if (revs_[i].depends_on.empty()) {
        real_bases_.push_back(r);
      }
    }
  }
}

void RevisionMap::build_reachability() {
  reach_versioned_ = std::make_unique<Reachability>(down_, topo_order_);
  // The normalized down revisions have the same transitive closure as down + depends_on
  // (normalisation only drops edges implied through an ancestor), so the full index can be
  // built before normalising.
  reach_full_ = std::make_unique<Reachability>(all_down_, topo_order_);
}

const Reachability& RevisionMap::reach(bool include_dependencies) const {
  return include_dependencies ? *reach_full_ : *reach_versioned_;
}

bool RevisionMap::is_ancestor(RevIndex ancestor, RevIndex descendant, bool include_dependencies) const {
  return reach(include_dependencies).reaches(ancestor, descendant);
}

// _normalize_depends_on: a dependency is dropped when a proper (down_revision) ancestor
// already depends on it. Grouped by dependency target so the cost is not O(n) per revision.
void RevisionMap::normalize_dependencies() {
  const std::size_t n = revs_.size();
  std::unordered_map<RevIndex, std::vector<RevIndex>> dependents;
  for (std::size_t i = 0; i < n; ++i) {
    for (RevIndex d : deps_[i]) {
      dependents[d].push_back(static_cast<RevIndex>(i));
    }
  }
  // implied[(r, d)]: r's dependency on d is implied by an ancestor.
  std::vector<std::vector<RevIndex>> implied(n);
  for (const auto& [target, users] : dependents) {
    if (users.size() < 2) {
      continue;
    }
    if (users.size() <= 64) {
      for (RevIndex u : users) {
        for (RevIndex a : users) {
          if (a != u && reach_versioned_->reaches(a, u)) {
            implied[ix(u)].push_back(target);
            break;
          }
        }
      }
      continue;
    }
    // Many dependents: one pass in topological order marks who has a dependent below it.
    std::vector<char> is_user(n, 0), below(n, 0);
    for (RevIndex u : users) {
      is_user[ix(u)] = 1;
    }
    for (RevIndex v : topo_order_) {
      for (RevIndex p : down_[ix(v)]) {
        if (is_user[ix(p)] || below[ix(p)]) {
          below[ix(v)] = 1;
        }
      }
      if (is_user[ix(v)] && below[ix(v)]) {
        implied[ix(v)].push_back(target);
      }
    }
  }
  norm_deps_.resize(n);
  norm_down_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (RevIndex d : deps_[i]) {
      if (std::find(implied[i].begin(), implied[i].end(), d) == implied[i].end()) {
        norm_deps_[i].push_back(d);
      }
    }
    norm_down_[i] = down_[i];
    append_unique(norm_down_[i], norm_deps_[i]);
  }
}

}  // namespace retort::migrate
