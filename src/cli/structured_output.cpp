#include "cli/structured_output.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <ostream>

namespace retort::cli {

void add_format_option(CLI::App& cmd, OutputFormat& format) {
  const std::map<std::string, OutputFormat> names{
      {"text", OutputFormat::text}, {"json", OutputFormat::json}, {"jsonl", OutputFormat::jsonl}};
  cmd.add_option("--format", format,
                 "Output: text (for people), json (one document), jsonl (one object per line)")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
      ->option_text("text|json|jsonl");
}

void print_items(std::ostream& out, OutputFormat format, std::string_view key,
                 const nlohmann::json& items, const nlohmann::json& extra) {
  // Invalid UTF-8 is written as U+FFFD rather than failing the whole output.
  constexpr auto replace = nlohmann::json::error_handler_t::replace;
  if (format == OutputFormat::jsonl) {
    for (const nlohmann::json& item : items) out << item.dump(-1, ' ', false, replace) << '\n';
    return;
  }
  nlohmann::json document = extra;
  document[std::string(key)] = items;
  out << document.dump(-1, ' ', false, replace) << '\n';
}

nlohmann::json revision_json(const migrate::RevisionMap& map, migrate::RevIndex r,
                             const std::vector<std::string>* current_rows) {
  const migrate::Revision& rev = map.revision(r);
  const auto& heads = map.heads();
  nlohmann::json out = {
      {"revision", rev.id},
      {"down_revisions", rev.down_revisions},
      {"branch_labels", map.branch_labels(r)},
      {"depends_on", rev.depends_on},
      {"message", rev.message},
      {"create_date", rev.create_date},
      {"path", rev.path},
      {"is_head", std::find(heads.begin(), heads.end(), r) != heads.end()},
      {"is_base", rev.down_revisions.empty()},
      {"is_branch_point", map.children(r).size() > 1},
      {"is_merge", rev.down_revisions.size() > 1},
  };
  if (current_rows != nullptr) {
    out["current"] =
        std::find(current_rows->begin(), current_rows->end(), rev.id) != current_rows->end();
  }
  return out;
}

}  // namespace retort::cli
