// RevisionMap construction: identifiers, references, cycles, derived graph facts.
// Mirrors RevisionMap._revision_map of Alembic 1.8.1 (see revision_map.hpp for the ordering rules).
#include "migrate/graph/revision_map.hpp"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "core/text.hpp"
#include "migrate/graph/reachability.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

struct RevisionMap::Lazy {
  std::once_flag versioned_once, full_once, keys_once;
  std::unique_ptr<Reachability> versioned, full;
  std::vector<std::pair<std::string, std::size_t>> sorted_keys;  // (key, map position)
};

namespace {

std::string where(const Revision& r) {
  return r.path.empty() ? std::string("<revision ") + r.id + ">" : r.path;
}

// Appends the not-yet-present elements of `extra` to `out` (util.dedupe_tuple over a
// concatenation).
void append_unique(std::vector<RevIndex>& out, std::span<const RevIndex> extra) {
  for (RevIndex r : extra) {
    if (std::find(out.begin(), out.end(), r) == out.end()) {
      out.push_back(r);
    }
  }
}

void add_row(Adjacency& adj, const std::vector<RevIndex>& row) {
  for (RevIndex r : row) {
    adj.push(r);
  }
  adj.end_row();
}

}  // namespace

std::optional<std::vector<std::string>> RevSpec::to_tuple() const {
  switch (form) {
    case Form::none:
      return std::nullopt;
    case Form::text:
      return std::vector<std::string>{text};
    case Form::list:
      return list;
  }
  return std::nullopt;
}

RevisionMap::RevisionMap(std::vector<Revision> revisions)
    : revs_(std::move(revisions)), lazy_(std::make_unique<Lazy>()) {
  index_revisions();
  map_branch_labels();
  resolve_references();
  compute_heads_and_bases();
  detect_cycles();
  normalize_dependencies();
  propagate_branch_labels();
}

RevisionMap::RevisionMap(RevisionMap&&) noexcept = default;
RevisionMap& RevisionMap::operator=(RevisionMap&&) noexcept = default;
RevisionMap::~RevisionMap() = default;

RevIndex RevisionMap::find(std::string_view id) const noexcept {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? kNone : it->second;
}

std::vector<std::string> RevisionMap::ids(std::span<const RevIndex> indexes) const {
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
      throw RevisionError(
          RevisionErrorKind::self_loop,
          fmt::format("Self-loop is detected in revisions ({}); file: {}", r.id, where(r)));
    }
    if (std::find(r.depends_on.begin(), r.depends_on.end(), r.id) != r.depends_on.end()) {
      throw RevisionError(
          RevisionErrorKind::dependency_self_loop,
          fmt::format("Dependency self-loop is detected in revisions ({}); file: {}", r.id,
                      where(r)));
    }
    if (std::string reason = invalid_revision_id_reason(r.id); !reason.empty()) {
      throw ScriptError(where(r), r.lines.revision,
                        fmt::format("revision id {} {}", text::printable(r.id), reason));
    }
    if (std::string reason = control_character_reason(r.message); !reason.empty()) {
      throw ScriptError(where(r), 0, fmt::format("the message of revision {} {}", r.id, reason));
    }
    for (std::size_t d = 0; d < downs.size(); ++d) {
      if (std::find(downs.begin(), downs.begin() + static_cast<std::ptrdiff_t>(d), downs[d]) !=
          downs.begin() + static_cast<std::ptrdiff_t>(d)) {
        throw ScriptError(
            where(r), r.lines.down_revision,
            fmt::format("down revision {} is listed twice", text::printable(downs[d])));
      }
    }
    auto [it, inserted] = by_id_.emplace(r.id, static_cast<RevIndex>(i));
    if (!inserted) {
      throw ScriptError(where(r), r.lines.revision,
                        fmt::format("revision id '{}' is already used by {}", r.id,
                                    where(revs_[ix(it->second)])));
    }
  }
}

// Branch labels become keys of the same namespace as revision ids (Alembic's map_).
void RevisionMap::map_branch_labels() {
  for (std::size_t i = 0; i < revs_.size(); ++i) {
    const Revision& r = revs_[i];
    for (const std::string& label : r.branch_labels) {
      if (std::string reason = invalid_branch_label_reason(label); !reason.empty()) {
        throw ScriptError(where(r), r.lines.branch_labels,
                          fmt::format("branch label {} {}", text::printable(label), reason));
      }
      RevIndex owner = find(label);
      if (auto it = by_label_.find(label); it != by_label_.end()) {
        owner = it->second;
      }
      if (owner != kNone) {
        throw RevisionError(
            RevisionErrorKind::revision,
            fmt::format(
                "Branch name '{}' in revision {} already used by revision {}; files: {}, {}", label,
                r.id, id(owner), where(r), where(revs_[ix(owner)])));
      }
      by_label_.emplace(label, static_cast<RevIndex>(i));
      label_keys_.push_back(label);
    }
  }
}

// Prefix lookups scan the keys in map order: ids (load order), then labels.
const std::vector<std::pair<std::string, std::size_t>>& RevisionMap::sorted_keys() const {
  std::call_once(lazy_->keys_once, [this] {
    auto& keys = lazy_->sorted_keys;
    keys.reserve(revs_.size() + label_keys_.size());
    for (std::size_t i = 0; i < revs_.size(); ++i) {
      keys.emplace_back(revs_[i].id, i);
    }
    for (std::size_t j = 0; j < label_keys_.size(); ++j) {
      keys.emplace_back(label_keys_[j], revs_.size() + j);
    }
    std::sort(keys.begin(), keys.end());
  });
  return lazy_->sorted_keys;
}

// down_revision and depends_on to indexes; children lists in load order (Alembic's add_nextrev).
void RevisionMap::resolve_references() {
  const std::size_t n = revs_.size();
  std::vector<RevIndex> deps, downs, all;
  for (std::size_t i = 0; i < n; ++i) {
    const Revision& r = revs_[i];
    deps.clear();
    downs.clear();
    for (const std::string& dep : r.depends_on) {
      RevIndex target = lookup_key(dep);
      if (target == kNone) {
        throw ScriptError(
            where(r), r.lines.depends_on,
            fmt::format("revision {} depends on {}, which is neither a revision nor a branch label",
                        r.id, text::printable(dep)));
      }
      append_unique(deps, std::span<const RevIndex>(&target, 1));
    }
    for (const std::string& down : r.down_revisions) {
      RevIndex target = find(down);
      if (target == kNone) {
        throw MissingRevision(where(r), r.lines.down_revision,
                              fmt::format("down revision {} of revision {} is not present",
                                          text::printable(down), r.id),
                              down);
      }
      downs.push_back(target);
    }
    all = downs;
    append_unique(all, deps);
    add_row(down_, downs);
    add_row(deps_, deps);
    add_row(all_down_, all);
  }
  nextrev_ = down_.reversed();  // children in load order
  all_nextrev_ = all_down_.reversed();
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

// The normalized down revisions have the same transitive closure as down + depends_on
// (normalisation only drops edges implied through an ancestor), so the full index is built
// from the latter.
const Reachability& RevisionMap::reach(bool include_dependencies) const {
  if (include_dependencies) {
    std::call_once(lazy_->full_once, [this] {
      lazy_->full = std::make_unique<Reachability>(all_down_, topo_order_);
    });
    return *lazy_->full;
  }
  std::call_once(lazy_->versioned_once,
                 [this] { lazy_->versioned = std::make_unique<Reachability>(down_, topo_order_); });
  return *lazy_->versioned;
}

bool RevisionMap::is_ancestor(RevIndex ancestor, RevIndex descendant,
                              bool include_dependencies) const {
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
          if (a != u && reach(false).reaches(a, u)) {
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
  std::vector<RevIndex> kept, row;
  for (std::size_t i = 0; i < n; ++i) {
    kept.clear();
    for (RevIndex d : deps_[i]) {
      if (std::find(implied[i].begin(), implied[i].end(), d) == implied[i].end()) {
        kept.push_back(d);
      }
    }
    row.assign(down_[i].begin(), down_[i].end());
    append_unique(row, kept);
    add_row(norm_deps_, kept);
    add_row(norm_down_, row);
  }
}

}  // namespace retort::migrate
