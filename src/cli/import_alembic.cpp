// `retort import alembic`: the JSON document of tools/alembic_export.py as revision files.
#include "cli/import_alembic.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "retort/error.hpp"
#include "retort/migrate.hpp"
#include "retort/settings.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A header value is one line: Alembic messages may span lines (the docstring's first paragraph).
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// Each line of `text` as an SQL comment.
std::string commented(const std::string& text, const std::string& indent = "") {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out += "-- " + indent + line + "\n";
  return out;
}

// SQLAlchemy ends each column line of a CREATE TABLE with ", ".
std::string without_trailing_spaces(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

std::string sql_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

// The statement a section Alembic could not render holds: it fails with the message, so the
// revision refuses to run until someone writes its SQL. PostgreSQL raises it; SQLite has no
// RAISE outside triggers, so the message is the name of a table that does not exist.
std::string refusing_statement(const std::string& dialect, const std::string& message) {
  if (dialect == "postgresql") {
    return fmt::format("DO $retort_import$ BEGIN RAISE EXCEPTION {}; END $retort_import$;",
                       sql_string(message));
  }
  std::string quoted = "\"";
  for (char c : message) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  return fmt::format("SELECT * FROM {}\";", quoted);
}

struct Rendered {
  std::string text;  // the sections
  bool non_transactional = false;
  bool copies_sqlite_table = false;  // batch mode's move-and-copy: foreign keys off
};

void render_section(Rendered& out, ImportedRevision& imported, const std::string& file_name,
                    const std::string& dialect, const std::string& direction, const json& entry) {
  out.text += fmt::format("\n-- +{} {}\n", direction, dialect);
  const json& error = entry.at("error");
  if (!error.is_null()) {
    const std::string reason = error.get<std::string>();
    imported.incomplete.push_back({direction, dialect, reason});
    out.text += "-- retort import: Alembic could not render this section:\n";
    out.text += commented(reason, "  ");
    out.text +=
        "-- Write its SQL here, then delete the statement below that stops it. The "
        "Alembic function was:\n";
    out.text += commented(entry.value("source", std::string()), "  ");
    out.text +=
        refusing_statement(
            dialect, fmt::format("revision {} was imported from Alembic without the SQL of its {} "
                                 "on {}: complete {} by hand (see the comments there)",
                                 imported.id, direction, dialect, file_name)) +
        "\n";
    return;
  }
  if (entry.value("rendered", "offline") == "live") {
    out.text += "-- Alembic's batch mode ran on a scratch SQLite database: the SQL it sent.\n";
  }
  for (const json& statement : entry.at("statements")) {
    const std::string sql = without_trailing_spaces(statement.get<std::string>());
    if (sql.find("_alembic_tmp_") != std::string::npos) out.copies_sqlite_table = true;
    out.text += sql + "\n\n";
  }
  if (entry.value("non_transactional", false)) out.non_transactional = true;
}

std::string revision_file(const json& rev, ImportedRevision& imported,
                          const std::vector<std::string>& dialects, const std::string& file_name,
                          const std::string& provenance) {
  Rendered sections;
  for (const std::string& direction : {std::string("upgrade"), std::string("downgrade")}) {
    for (const std::string& dialect : dialects) {
      render_section(sections, imported, file_name, dialect, direction,
                     rev.at("sql").at(dialect).at(direction));
    }
  }
  const auto list = [&](const char* key) { return rev.at(key).get<std::vector<std::string>>(); };
  std::string out = "-- retort revision\n";
  out += "-- Revision: " + imported.id + "\n";
  const std::vector<std::string> down = list("down_revisions");
  out += "-- Down revision: " + (down.empty() ? std::string("none") : joined(down)) + "\n";
  if (!list("branch_labels").empty())
    out += "-- Branch labels: " + joined(list("branch_labels")) + "\n";
  if (!list("depends_on").empty()) out += "-- Depends on: " + joined(list("depends_on")) + "\n";
  out += "-- Message: " + imported.message + "\n";
  const std::string date = rev.value("create_date", std::string());
  if (!date.empty()) out += "-- Create date: " + one_line(date) + "\n";
  if (sections.non_transactional) out += "-- Transactional: false\n";
  if (sections.copies_sqlite_table) out += "-- SQLite foreign keys: off\n";
  out += sections.text;
  // The provenance goes into the first section: header lines are keys only.
  const std::size_t first = out.find("\n-- +");
  const std::size_t after_marker = out.find('\n', first + 1);
  out.insert(after_marker + 1, provenance);
  return out;
}

// What the [database] table says: the project's URL when retort reads it and it holds no
// password (a password stays out of files: the variables and references of docs/security.md).
std::string database_table(const json& url) {
  std::string out = "[database]\n";
  if (!url.is_string()) return out + "# url = \"postgresql://app@localhost:5432/app\"\n";
  const std::string text = url.get<std::string>();
  try {
    const DatabaseUrl parsed = parse_database_url(text);
    if (!parsed.param("password")) {
      return out + "# sqlalchemy.url of alembic.ini:\nurl = \"" + text + "\"\n";
    }
    return out + fmt::format(
                     "# alembic.ini's sqlalchemy.url holds a password: give it through "
                     "RETORT_DATABASE_URL,\n# DATABASE_URL or a reference (docs/security.md)\n"
                     "# url = \"{}\"\n",
                     parsed.redacted());
  } catch (const ConfigError& e) {
    return out + fmt::format("# alembic.ini's sqlalchemy.url was not usable here ({})\n", e.what());
  }
}

std::string config_text(const json& doc, const AlembicImportOptions& options,
                        const std::string& version_table) {
  std::error_code ec;
  const fs::path base = fs::absolute(options.config).parent_path();
  fs::path location = fs::relative(fs::absolute(options.output), base, ec);
  if (ec || location.empty()) location = fs::absolute(options.output);
  return fmt::format(
      "# retort configuration, written by `retort import alembic` from {} (Alembic {}): see\n"
      "# docs/adopting.md and docs/migrations.md.\n\n{}\n"
      "[migrations]\n"
      "script_location = \"{}\"\n"
      "# The table Alembic keeps its current revisions in: retort continues it in place, so\n"
      "# `retort current` answers what `alembic current` did (no stamp).\n"
      "version_table = \"{}\"\n",
      options.alembic_ini.string(), doc.value("alembic", std::string("?")),
      database_table(doc.contains("url") ? doc.at("url") : json()), location.generic_string(),
      version_table);
}

// The generic template of new revisions (`retort revision`), from retort's shared directory.
std::string revision_template() {
  const fs::path shared = alembic_export_script().parent_path().parent_path();
  std::ifstream in(shared / "templates" / "generic" / "script.sql.tmpl", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    throw ConfigError(fmt::format("retort's revision template is missing from {}",
                                  (shared / "templates" / "generic").string()));
  }
  return text.str();
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw ConfigError(fmt::format("cannot write {}", path.string()));
}

}  // namespace

AlembicImport write_alembic_import(const std::string& document,
                                   const AlembicImportOptions& options) {
  const json doc = json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("revisions")) {
    throw ConfigError("the Alembic importer printed no JSON document (a print() in env.py?)");
  }
  AlembicImport result;
  result.alembic_version = doc.value("alembic", std::string());
  result.sqlalchemy_version = doc.value("sqlalchemy", std::string());
  result.dialects = doc.at("dialects").get<std::vector<std::string>>();
  result.version_table = doc.value("version_table", std::string("alembic_version"));
  result.config = options.config;
  if (doc.contains("version_table_schema") && !doc.at("version_table_schema").is_null()) {
    result.warnings.push_back(fmt::format(
        "env.py keeps the version table in schema {}: retort reads {} from the connection's "
        "search_path (put that schema first in it)",
        doc.at("version_table_schema").get<std::string>(), result.version_table));
  }
  const fs::path versions = options.output / "versions";
  std::error_code ec;
  if (fs::exists(options.config, ec)) {
    throw ConfigError(fmt::format(
        "{} exists: retort import alembic writes a new one (pass -c/--config before `import` for "
        "another path)",
        options.config.string()));
  }
  std::set<std::string> stems;
  std::vector<std::pair<fs::path, std::string>> files;
  for (const json& rev : doc.at("revisions")) {
    ImportedRevision imported;
    imported.id = rev.at("revision").get<std::string>();
    imported.message = one_line(rev.value("message", std::string()));
    imported.alembic_file = rev.value("path", std::string());
    std::string stem = imported.alembic_file.stem().string();
    if (stem.empty() || !stems.insert(stem).second) stem = imported.id + "_" + stem;
    stems.insert(stem);
    imported.file = versions / (stem + ".sql");
    if (fs::exists(imported.file, ec)) {
      throw ConfigError(fmt::format("{} exists: import into an empty directory (--output DIR)",
                                    imported.file.string()));
    }
    const std::string provenance = fmt::format(
        "-- Imported from Alembic ({}, Alembic {}, SQLAlchemy {}) by retort import "
        "alembic.\n",
        imported.alembic_file.filename().string(), result.alembic_version,
        result.sqlalchemy_version);
    files.emplace_back(imported.file, revision_file(rev, imported, result.dialects,
                                                    imported.file.filename().string(), provenance));
    result.revisions.push_back(std::move(imported));
  }
  fs::create_directories(versions, ec);
  if (ec) throw ConfigError(fmt::format("cannot create {}: {}", versions.string(), ec.message()));
  const fs::path tmpl = options.output / "script.sql.tmpl";
  if (!fs::exists(tmpl, ec)) write_file(tmpl, revision_template());
  for (const auto& [path, content] : files) write_file(path, content);
  write_file(options.config, config_text(doc, options, result.version_table));
  return result;
}

}  // namespace retort::cli
