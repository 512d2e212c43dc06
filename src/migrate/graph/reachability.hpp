// Constant-time ancestor tests on a revision DAG.
//
// Chain decomposition: the revisions are split into chains, each ordered by ancestry; for each
// revision we store, per chain, the highest position of that chain it can reach going down.
// Then "is a an ancestor of d" is one lookup: reach[d][chain(a)] >= position(a). A revision may
// join any chain whose last member it descends from, so chains of merged branches are reused
// and their number stays near the most branches open at once (a few, for a typical history).
// When a graph is so wide that the table would exceed its budget, queries fall back to a
// depth-first search pruned by topological position.
#pragma once

#include <cstdint>
#include <vector>

#include "migrate/graph/adjacency.hpp"

namespace retort::migrate {

class Reachability {
 public:
  // parents[i]: the direct ancestors of i; topo_order: every index, parents before children.
  Reachability(const Adjacency& parents, const std::vector<std::int32_t>& topo_order);

  // True when `ancestor` is `descendant` or one of its ancestors.
  bool reaches(std::int32_t ancestor, std::int32_t descendant) const;

  bool indexed() const noexcept { return parents_.size() == 0; }

  // Table entries allowed before falling back to searches (16 MiB of int32).
  static constexpr std::size_t kBudget = std::size_t{1} << 22;

 private:
  bool search(std::int32_t ancestor, std::int32_t descendant) const;

  Adjacency parents_;                   // kept only when there is no table
  std::vector<std::int32_t> chain_;     // chain of each revision
  std::vector<std::int32_t> position_;  // position within its chain (0 = lowest)
  std::vector<std::int32_t> topo_;      // position in the topological order
  std::vector<std::int32_t> table_;     // the rows, back to back; -1 = chain not reached
  std::vector<std::size_t> offset_;     // where each revision's row starts
  std::vector<std::size_t> length_;     // its length (chains created after it are not reached)
};

}  // namespace retort::migrate
