// The revision graph as a picture: in the terminal (`history --graph`, drawn the way
// `git log --graph` draws commits) and as Graphviz DOT (`retort graph`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/graph/revision_map.hpp"

namespace retort::cli {

// `revisions` newest first (as history lists them: every revision after its children). Each
// revision is one line: lanes drawn with '|', the revision with '*', then `labels[i]`; lines of
// '/' and '\' between show where branches join (a branch point) and split (a merge).
std::string draw_history_graph(const migrate::RevisionMap& map,
                               const std::vector<migrate::RevIndex>& revisions,
                               const std::vector<std::string>& labels);

// The whole graph in DOT: an edge from each revision to its down revisions (dashed to what it
// depends on), heads drawn bold, merge points as diamonds, branch labels under the id, and the
// revisions in `current` (the database's rows) filled.
std::string graph_dot(const migrate::RevisionMap& map, const std::vector<std::string>& current);

// SVG of `dot` through Graphviz's `dot -Tsvg`; nullopt when `dot` is not on PATH. Throws Error
// when dot runs and fails.
std::optional<std::string> render_svg(const std::string& dot);

}  // namespace retort::cli
