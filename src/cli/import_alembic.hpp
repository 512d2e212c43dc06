// `retort import alembic`: an Alembic project's revisions as retort revision files.
//
// The SQL is rendered by Alembic itself, in a Python process (tools/alembic_export.py, installed
// in share/retort/tools/) that prints one JSON document; this side turns that document into
// files: DIR/versions/<alembic file stem>.sql, DIR/script.sql.tmpl, and a retort.toml whose
// version_table is Alembic's, so that the database Alembic migrated is taken over in place.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace retort::cli {

struct AlembicImportOptions {
  std::filesystem::path alembic_ini = "alembic.ini";
  std::vector<std::string> dialects;  // postgresql, sqlite; empty: the project URL's
  std::string python = "/usr/bin/python3";
  std::filesystem::path output = "migrations";   // the retort environment to create
  std::filesystem::path config = "retort.toml";  // the retort config to write
};

// One direction of one dialect that Alembic could not render: the file refuses to run it.
struct IncompleteSection {
  std::string direction;  // upgrade | downgrade
  std::string dialect;
  std::string reason;
};

struct ImportedRevision {
  std::string id;
  std::string message;
  std::filesystem::path file;  // written
  std::filesystem::path alembic_file;
  std::vector<IncompleteSection> incomplete;
};

struct AlembicImport {
  std::string alembic_version;
  std::string sqlalchemy_version;
  std::vector<std::string> dialects;
  std::string version_table;
  std::filesystem::path config;  // retort.toml written
  std::vector<ImportedRevision> revisions;
  std::vector<std::string> warnings;
};

// The helper script: <retort's shared dir>/tools/alembic_export.py, found where retort's
// built-in migrations are (next to the binary's share/retort, the source tree, the install
// prefix). Throws ConfigError naming the place looked in when it is missing.
std::filesystem::path alembic_export_script();

// Runs the helper with options.python; returns its JSON document. Throws ConfigError saying what
// is missing when the interpreter cannot be run or cannot import Alembic, or Alembic's own error
// when the project does not load.
std::string run_alembic_export(const AlembicImportOptions& options);

// Writes the files the document describes. Refuses, before writing anything, when the config
// file or a revision file already exists. Throws ConfigError for a malformed document.
AlembicImport write_alembic_import(const std::string& document,
                                   const AlembicImportOptions& options);

}  // namespace retort::cli
