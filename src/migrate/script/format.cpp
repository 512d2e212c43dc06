#include "migrate/script/format.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace retort::migrate {
namespace {

bool contains(const std::vector<RevIndex>& v, RevIndex r) {
  return std::find(v.begin(), v.end(), r) != v.end();
}

bool is_real_head(const RevisionMap& map, RevIndex r) {
  return contains(map.real_heads(), r);
}
bool is_head(const RevisionMap& map, RevIndex r) {
  return map.children(r).empty();
}
bool is_branch_point(const RevisionMap& map, RevIndex r) {
  return map.children(r).size() > 1;
}
bool is_merge_point(const RevisionMap& map, RevIndex r) {
  return map.revision(r).down_revisions.size() > 1;
}

// _format_down_revision: "<base>" or the versioned down revisions.
std::string format_down(const RevisionMap& map, RevIndex r) {
  const Revision& rev = map.revision(r);
  return rev.down_revisions.empty() ? "<base>" : comma(rev.down_revisions);
}

// Script.doc: the first paragraph of the docstring, i.e. the message.
const std::string& doc(const RevisionMap& map, RevIndex r) {
  return map.revision(r).message;
}

}  // namespace

std::string comma(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

std::string head_only(const RevisionMap& map, RevIndex r, const FormatFlags& f) {
  const Revision& rev = map.revision(r);
  std::string text = rev.id;
  if (f.include_parents) {
    if (!rev.depends_on.empty()) {
      text = fmt::format("{} ({}) -> {}", format_down(map, r), comma(rev.depends_on), text);
    } else {
      text = fmt::format("{} -> {}", format_down(map, r), text);
    }
  }
  const std::vector<std::string>& labels = map.branch_labels(r);
  if (f.include_branches && !labels.empty()) text += fmt::format(" ({})", comma(labels));
  if (f.head_indicators || f.tree_indicators) {
    if (is_real_head(map, r)) text += " (head)";
    if (is_head(map, r) && !is_real_head(map, r)) text += " (effective head)";
    if (f.current) text += " (current)";
  }
  if (f.tree_indicators) {
    if (is_branch_point(map, r)) text += " (branchpoint)";
    if (is_merge_point(map, r)) text += " (mergepoint)";
  }
  if (f.include_doc) text += ", " + doc(map, r);
  return text;
}

std::string long_doc(const RevisionMap& map, RevIndex r) {
  const Revision& rev = map.revision(r);
  return fmt::format("{}\n\nRevision ID: {}\nRevises: {}\nCreate Date: {}", rev.message, rev.id,
                     comma(rev.down_revisions), rev.create_date);
}

std::string log_entry(const RevisionMap& map, RevIndex r, bool current) {
  const Revision& rev = map.revision(r);
  std::string entry =
      fmt::format("Rev: {}{}{}{}{}\n", rev.id, is_head(map, r) ? " (head)" : "",
                  is_branch_point(map, r) ? " (branchpoint)" : "",
                  is_merge_point(map, r) ? " (mergepoint)" : "", current ? " (current)" : "");
  entry +=
      fmt::format("{}: {}\n", is_merge_point(map, r) ? "Merges" : "Parent", format_down(map, r));
  if (!rev.depends_on.empty()) entry += fmt::format("Also depends on: {}\n", comma(rev.depends_on));
  if (is_branch_point(map, r))
    entry += fmt::format("Branches into: {}\n", comma(map.ids(map.children(r))));
  const std::vector<std::string>& labels = map.branch_labels(r);
  if (!labels.empty()) entry += fmt::format("Branch names: {}\n", comma(labels));
  entry += fmt::format("Path: {}\n", rev.path);
  entry += "\n";
  const std::string text = long_doc(map, r);
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (!first) entry += "\n";
    entry += "    " + text.substr(start, end - start);
    first = false;
    start = end + 1;
  }
  entry += "\n";
  return entry;
}

std::string cmd_format(const RevisionMap& map, RevIndex r, bool verbose, const FormatFlags& flags) {
  return verbose ? log_entry(map, r, flags.current) : head_only(map, r, flags);
}

std::string step_short_log(const Step& step) {
  std::string_view name = step.kind == StepKind::upgrade     ? "upgrade"
                          : step.kind == StepKind::downgrade ? "downgrade"
                                                             : "stamp_revision";
  return fmt::format("{} {} -> {}", name, comma(step.from), comma(step.to));
}

std::string step_text(const RevisionMap& map, const Step& step) {
  std::string text = step_short_log(step);
  if (step.kind != StepKind::stamp && !map.revision(step.revision).message.empty()) {
    text += ", " + map.revision(step.revision).message;
  }
  return text;
}

std::vector<RevIndex> all_current(const RevisionMap& map, const std::vector<std::string>& rows) {
  std::vector<RevIndex> tops = show_revisions(map, rows, "current");
  std::vector<RevIndex> known;
  for (RevIndex r : tops) {
    if (r >= 0) known.push_back(r);
  }
  // The set is closed under ancestors, so a revision with a descendant in it has a child in it.
  const std::vector<char> in_set = map.ancestors(known, true);
  std::vector<RevIndex> out;
  for (RevIndex r = 0; r < static_cast<RevIndex>(map.size()); ++r) {
    if (in_set[static_cast<std::size_t>(r)] == 0) continue;
    const auto& kids = map.children(r);
    if (std::none_of(kids.begin(), kids.end(),
                     [&](RevIndex c) { return in_set[static_cast<std::size_t>(c)] != 0; })) {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace retort::migrate
