// Creating files: `retort init` (a migration environment from a template), `retort revision`
// and `retort merge` (a new revision file from the environment's script.sql.tmpl).
//
// Templates live in templates/<name>/ (installed: <prefix>/share/retort/templates/<name>/):
//   README             first line: the synopsis `list_templates` prints
//   retort.toml.tmpl   becomes ./retort.toml (${script_location} is substituted)
//   script.sql.tmpl    copied into the environment: the template of new revisions
//   versions/*.sql     copied into the environment's versions/ (e.g. the events template)
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/revision_map.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

// Alembic's util.status: prints "<what> ...", runs `action`, prints "  done" (or "  FAILED" and
// rethrows). The API passes a function that only runs the action.
using StatusFn = std::function<void(const std::string& what, const std::function<void()>& action)>;
// Alembic's util.msg.
using MessageFn = std::function<void(const std::string& text)>;

struct TemplateInfo {
  std::string name;
  std::string synopsis;
};
std::vector<TemplateInfo> list_templates();

// `retort init DIR -t TEMPLATE`: DIR/versions/, DIR/script.sql.tmpl (...), and `config_file`
// (normally ./retort.toml) with [database] and [migrations] script_location = DIR. Refuses,
// before creating anything, when the config file exists, when DIR exists and is not empty, or
// when the template does not exist.
void init_environment(const std::filesystem::path& directory, const std::string& template_name,
                      const std::filesystem::path& config_file, const StatusFn& status,
                      const MessageFn& message);

struct RevisionRequest {
  std::string message;
  std::vector<std::string> heads = {"head"};  // --head; several for a merge
  bool splice = false;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::optional<std::string> rev_id;                  // default: 12 random hex digits
  std::optional<std::filesystem::path> version_path;  // one of the version locations
  std::string upgrades;                               // bodies of the sections (autogenerate)
  std::string downgrades;
  // Autogenerate: header lines ("-- Transactional: false") put right after the first line, and
  // per-dialect sections ("-- +upgrade postgresql ...") appended after the template's text.
  std::vector<std::string> extra_headers;
  std::string dialect_sections;
};

struct NewRevision {
  std::string id;
  std::filesystem::path path;  // absolute
  std::string content;
};

// Alembic's ScriptDirectory.generate_revision: resolves the heads (multiple heads need --head,
// a non-head needs --splice), the depends_on identifiers and the version path, renders the
// template, and checks that the new file keeps the revision graph valid. Writes nothing.
NewRevision prepare_revision(const Settings& settings, const RevisionMap& map,
                             const RevisionRequest& request);

// Creates the file (never overwriting one). Throws ConfigError on failure.
void write_new_file(const std::filesystem::path& path, std::string_view content);

// 12 random hex digits, as Alembic's uuid4().hex[-12:].
std::string new_revision_id();

// Alembic's slug: the message's \w+ runs joined by '_', lowercased, truncated at a '_' to at
// most `truncate` characters (plus a trailing '_' when truncated).
std::string slugify(std::string_view message, int truncate);

// Python %-formatting of file_template with %(name)s / %(name)d / %(name).2d / %(name)02d.
// Throws ConfigError for an unknown key or a malformed directive.
std::string format_file_template(std::string_view file_template,
                                 const std::map<std::string, std::string>& strings,
                                 const std::map<std::string, long long>& numbers);

// Replaces ${name} in `text` with values[name]. Throws ConfigError naming `file` and the line of
// an unknown placeholder.
std::string render_template(std::string_view text, const std::map<std::string, std::string>& values,
                            const std::string& file);

}  // namespace retort::migrate
