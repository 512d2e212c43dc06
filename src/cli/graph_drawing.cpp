#include "cli/graph_drawing.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::cli {
namespace {

using migrate::RevIndex;
using migrate::RevisionMap;

// "a b" -> "\"a b\"", with DOT's escapes.
std::string dot_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::optional<std::string> render_svg(const std::string& dot) {
  if (!on_path("dot")) return std::nullopt;
  // The DOT goes through a private temporary file: popen gives one direction only.
  std::string path = (std::filesystem::temp_directory_path() / "retort-graph-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) throw Error("graph: cannot create a temporary file for dot");
  ::close(fd);
  struct Remove {
    std::string path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{path};
  std::ofstream(path, std::ios::binary) << dot;
  FILE* pipe = ::popen(("dot -Tsvg '" + path + "' 2>&1").c_str(), "r");
  if (pipe == nullptr) throw Error("graph: cannot run dot");
  std::string svg;
  std::array<char, 8192> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    svg.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  if (status != 0) throw Error("graph: dot failed: " + svg.substr(0, 500));
  return svg;
}

std::string draw_history_graph(const RevisionMap& map, const std::vector<RevIndex>& revisions,
                               const std::vector<std::string>& labels) {
  // lanes[i]: the revision column i waits for (a down revision of something drawn above).
  // Column i is drawn at character 2 * i; transitions use the character between columns.
  std::vector<RevIndex> lanes;
  std::string out;
  auto lane_line = [&](std::size_t node_column, std::size_t width) {
    std::string line(2 * width, ' ');
    for (std::size_t i = 0; i < width; ++i) line[2 * i] = i == node_column ? '*' : '|';
    return line;
  };
  auto emit = [&](std::string line, const std::string& label = {}) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += label.empty() ? line + "\n" : line + "  " + label + "\n";
  };
  for (std::size_t n = 0; n < revisions.size(); ++n) {
    const RevIndex r = revisions[n];
    auto found = std::find(lanes.begin(), lanes.end(), r);
    if (found == lanes.end()) found = lanes.insert(lanes.end(), r);  // a head: a lane of its own
    const auto col = static_cast<std::size_t>(found - lanes.begin());

    // Other lanes waiting for r join it (r is a branch point): '/' toward the left, then the
    // lanes right of them move in.
    std::vector<std::size_t> joining;
    for (std::size_t i = col + 1; i < lanes.size(); ++i) {
      if (lanes[i] == r) joining.push_back(i);
    }
    if (!joining.empty()) {
      std::string line = lane_line(lanes.size(), lanes.size());
      for (std::size_t i : joining) {
        line[2 * i] = ' ';
        line[2 * i - 1] = '/';
      }
      emit(line);
      for (auto j = joining.rbegin(); j != joining.rend(); ++j) {
        lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(*j));
      }
    }

    emit(lane_line(col, lanes.size()), labels[n]);

    // r's down revisions take its lane; a merge opens a lane per further down revision ('\').
    const std::span<const RevIndex> downs = map.down_revisions(r);
    if (downs.empty()) {
      lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(col));
      continue;
    }
    lanes[col] = downs[0];
    std::size_t opened = 0;
    for (std::size_t d = 1; d < downs.size(); ++d) {
      if (std::find(lanes.begin(), lanes.end(), downs[d]) != lanes.end()) continue;
      lanes.insert(lanes.begin() + static_cast<std::ptrdiff_t>(col + 1 + opened), downs[d]);
      ++opened;
    }
    if (opened > 0) {
      std::string line = lane_line(lanes.size(), lanes.size());
      for (std::size_t k = 1; k <= opened; ++k) {
        line[2 * (col + k)] = ' ';
        line[2 * (col + k) - 1] = '\\';
      }
      emit(line);
    }
  }
  return out;
}

std::string graph_dot(const RevisionMap& map, const std::vector<std::string>& current) {
  std::string out =
      "digraph revisions {\n"
      "  rankdir=BT;\n"
      "  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  const auto& heads = map.heads();
  for (RevIndex r = 0; r < static_cast<RevIndex>(map.size()); ++r) {
    const migrate::Revision& rev = map.revision(r);
    std::string label = rev.id;
    const std::vector<std::string> branch_labels = map.branch_labels(r);
    if (!branch_labels.empty())
      label += " (" + fmt::format("{}", fmt::join(branch_labels, ", ")) + ")";
    if (!rev.message.empty()) label += "\n" + rev.message;
    std::vector<std::string> attributes = {"label=" + dot_string(label)};
    if (rev.down_revisions.size() > 1) attributes.emplace_back("shape=diamond");
    if (std::find(heads.begin(), heads.end(), r) != heads.end()) {
      attributes.emplace_back("penwidth=2.5");
    }
    if (std::find(current.begin(), current.end(), rev.id) != current.end()) {
      attributes.emplace_back("style=filled, fillcolor=\"#b7e1a1\"");
      attributes.emplace_back("xlabel=\"current\"");
    }
    out += fmt::format("  {} [{}];\n", dot_string(rev.id), fmt::join(attributes, ", "));
  }
  for (RevIndex r = 0; r < static_cast<RevIndex>(map.size()); ++r) {
    const migrate::Revision& rev = map.revision(r);
    for (const std::string& down : rev.down_revisions) {
      out += fmt::format("  {} -> {};\n", dot_string(rev.id), dot_string(down));
    }
    for (const std::string& dependency : rev.depends_on) {
      const RevIndex target = map.get_revision(dependency);
      if (target < 0) continue;
      out += fmt::format("  {} -> {} [style=dashed, label=\"depends on\"];\n", dot_string(rev.id),
                         dot_string(map.id(target)));
    }
  }
  return out + "}\n";
}

}  // namespace retort::cli
