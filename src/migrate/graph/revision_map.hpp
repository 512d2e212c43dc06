// The revision graph and Alembic's identifier language over it.
//
// RevisionMap reproduces alembic.script.revision.RevisionMap (1.8.1) result for result: the
// same heads and bases, the same resolution of every identifier form (full id, unique prefix,
// head, heads, base, +N, -N, REV+N, REV-N, head-N, base+N, label@head, label@heads,
// label@base, label@+N, label@REV, REV@head, ...), the same iteration order and the same
// errors. Where Alembic iterates a Python set (an order that changes with PYTHONHASHSEED),
// retort uses load order (= file-name order) or declaration order; the differential test runs
// Alembic patched the same way (tests/migrate/differential/alembic_oracle.py).
//
// Complexity: revisions are indexed by position (load order); ids and labels are hashed; the
// children lists are built once; ancestor tests use a chain-decomposition reachability index
// built on first use, so the topological sort and the version-table bookkeeping cost O(heads) per
// step instead of Alembic's O(revisions). A RevisionMap is immutable once built: share it freely.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "migrate/graph/adjacency.hpp"
#include "migrate/graph/revision.hpp"

namespace retort::migrate {

using RevIndex = std::int32_t;
inline constexpr RevIndex kNone = -1;        // Alembic's None: "no revision", i.e. base
inline constexpr RevIndex kBaseMarker = -2;  // the string "base" Alembic's _walk returns

// What Alembic types as _RevisionIdentifierType: None, one identifier, or a tuple of them
// (the rows of the version table are passed as a tuple).
struct RevSpec {
  enum class Form { none, text, list };
  Form form = Form::none;
  std::string text;
  std::vector<std::string> list;

  static RevSpec none() { return {}; }
  static RevSpec of(std::string identifier) { return {Form::text, std::move(identifier), {}}; }
  static RevSpec of(std::vector<std::string> ids) { return {Form::list, {}, std::move(ids)}; }
  // util.to_tuple: None stays None (nullopt), a string becomes a 1-tuple.
  std::optional<std::vector<std::string>> to_tuple() const;
};

struct IterateOptions {
  bool implicit_base = false;
  bool inclusive = false;
  bool assert_relative_length = true;
  bool select_for_downgrade = false;
};

class Reachability;

// Hash for string-keyed maps that accept string_view lookups without allocating.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using StringIndex = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

class RevisionMap {
 public:
  // Validates the graph (ids, labels, references, cycles) and computes its derived facts.
  // Throws ScriptError (bad id or reference, naming file and line) or RevisionError
  // (cycle, self-loop, label clash; the message names revisions and files).
  explicit RevisionMap(std::vector<Revision> revisions);
  RevisionMap(RevisionMap&&) noexcept;
  RevisionMap& operator=(RevisionMap&&) noexcept;
  ~RevisionMap();

  std::size_t size() const noexcept { return revs_.size(); }
  const std::vector<Revision>& revisions() const noexcept { return revs_; }
  const Revision& revision(RevIndex index) const {
    return revs_.at(static_cast<std::size_t>(index));
  }
  const std::string& id(RevIndex index) const { return revision(index).id; }
  RevIndex find(std::string_view id) const noexcept;  // exact id; kNone when absent
  std::vector<std::string> ids(std::span<const RevIndex> indexes) const;

  // Alembic's attributes, in load order.
  const std::vector<RevIndex>& heads() const noexcept { return heads_; }            // .heads
  const std::vector<RevIndex>& real_heads() const noexcept { return real_heads_; }  // ._real_heads
  const std::vector<RevIndex>& bases() const noexcept { return bases_; }            // .bases
  const std::vector<RevIndex>& real_bases() const noexcept { return real_bases_; }  // ._real_bases
  // Declared and inherited branch labels, sorted (built on request: a main line that merged
  // many labelled branches inherits all their labels, so they are stored as bitsets).
  std::vector<std::string> branch_labels(RevIndex r) const;
  bool has_branch_label(RevIndex r, std::string_view label) const;
  std::span<const RevIndex> down_revisions(RevIndex r) const { return down_[ix(r)]; }
  std::span<const RevIndex> normalized_down_revisions(RevIndex r) const {
    return norm_down_[ix(r)];
  }
  std::span<const RevIndex> children(RevIndex r) const { return nextrev_[ix(r)]; }

  // get_revisions / get_revision: resolve an identifier to revisions; results may hold kNone
  // and kBaseMarker where Alembic's do (relative walks past either end).
  std::vector<RevIndex> get_revisions(std::string_view identifier) const;
  std::vector<RevIndex> get_revisions(const RevSpec& spec) const;
  RevIndex get_revision(std::string_view identifier) const;
  RevIndex get_current_head(const std::optional<std::string>& branch_label) const;

  // Is `ancestor` reachable from `descendant` going down (itself included)?
  bool is_ancestor(RevIndex ancestor, RevIndex descendant, bool include_dependencies) const;

  // iterate_revisions: the revisions between upper and lower, newest first.
  std::vector<RevIndex> iterate_revisions(const RevSpec& upper, const RevSpec& lower,
                                          IterateOptions options) const;

  // filter_for_lineage / _shares_lineage (used by stamp).
  std::vector<RevIndex> filter_for_lineage(const std::vector<RevIndex>& targets,
                                           std::optional<std::string_view> check_against,
                                           bool include_dependencies = false) const;
  // _get_ancestor_nodes / _get_descendant_nodes as membership flags (one char per revision).
  std::vector<char> ancestors(const std::vector<RevIndex>& targets,
                              bool include_dependencies = true) const;
  std::vector<char> descendants(const std::vector<RevIndex>& targets,
                                bool include_dependencies = true) const;

 private:
  struct Resolved;  // _resolve_revision_number's result
  struct Ident;     // a revision, None, or a string still to resolve

  static std::size_t ix(RevIndex r) { return static_cast<std::size_t>(r); }

  // Construction (revision_map.cpp / revision_map_traverse.cpp).
  void index_revisions();
  void map_branch_labels();
  void resolve_references();
  void detect_cycles();
  void normalize_dependencies();
  void propagate_branch_labels();
  void compute_heads_and_bases();
  const Reachability& reach(bool include_dependencies) const;
  const std::vector<std::pair<std::string, std::size_t>>& sorted_keys() const;

  // Resolution (revision_map_resolve.cpp).
  Resolved resolve_revision_number(std::optional<std::string_view> ident) const;
  RevIndex lookup_key(std::string_view key) const noexcept;  // ids and labels; kNone if absent
  RevIndex resolve_branch(std::string_view label) const;
  RevIndex revision_for_ident(std::optional<std::string_view> ident,
                              const std::optional<std::string>& check_branch) const;
  std::vector<std::string> prefix_matches(std::string_view prefix) const;
  bool shares_lineage(RevIndex target, const std::vector<RevIndex>& against,
                      bool include_dependencies) const;
  std::vector<std::string> filter_ids_for_lineage(const std::vector<std::string>& targets,
                                                  std::string_view check_against) const;

  // Relative walks and targets (revision_map_walk.cpp).
  RevIndex walk(RevIndex start, long long steps, const std::optional<std::string>& branch_label,
                bool no_overwalk) const;
  std::pair<std::optional<std::string>, RevIndex> parse_downgrade_target(
      const RevSpec& current, const std::optional<std::string>& target,
      bool assert_relative_length) const;
  std::vector<RevIndex> parse_upgrade_target(const RevSpec& current, const RevSpec& target,
                                             bool assert_relative_length) const;
  std::vector<RevIndex> all_current(const std::vector<std::string>& ids) const;

  // Collection and ordering (revision_map_collect.cpp).
  std::vector<char> collect_upgrade(const RevSpec& upper, RevSpec lower, IterateOptions options,
                                    std::vector<RevIndex>& heads) const;
  std::vector<char> collect_downgrade(const RevSpec& upper, const RevSpec& lower,
                                      IterateOptions options, std::vector<RevIndex>& heads) const;
  std::vector<char> related_checked(const std::vector<RevIndex>& targets, bool ancestors_direction,
                                    bool include_dependencies) const;
  std::vector<RevIndex> topological_sort(std::vector<char> todo, const std::vector<RevIndex>& heads,
                                         bool convex) const;

  std::vector<Revision> revs_;
  StringIndex by_id_;
  StringIndex by_label_;                   // declared labels only (map keys)
  std::vector<std::string> label_keys_;    // label keys in map order
  Adjacency down_;                         // versioned down revisions
  Adjacency deps_;                         // resolved depends_on, declared order
  Adjacency all_down_;                     // down + deps, deduplicated
  Adjacency norm_deps_;                    // deps not implied by an ancestor's
  Adjacency norm_down_;                    // down + normalized deps
  Adjacency nextrev_;                      // children by down_revision, load order
  Adjacency all_nextrev_;                  // children by down_revision or depends_on
  std::vector<std::string> label_names_;   // every declared label, sorted
  std::size_t label_words_ = 0;            // 64-bit words per revision
  std::vector<std::uint64_t> label_bits_;  // revision r: [r * label_words_, +label_words_)
  std::vector<RevIndex> heads_, real_heads_, bases_, real_bases_;

  std::vector<RevIndex> topo_order_;  // parents before children (depends_on included)
  // Built on first use (heads and bases need neither), once even with concurrent readers.
  struct Lazy;
  std::unique_ptr<Lazy> lazy_;
};

}  // namespace retort::migrate
