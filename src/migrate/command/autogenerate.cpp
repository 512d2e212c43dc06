// The connection-level API: compare against a live database, `revision --autogenerate`, `check`.
#include <fmt/format.h>

#include <algorithm>

#include "migrate/autogenerate/revision_text.hpp"
#include "migrate/autogenerate/server_spelling.hpp"
#include "migrate/command/project.hpp"
#include "migrate/ddl/render.hpp"
#include "migrate/script/scaffold.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/autogenerate.hpp"
#include "retort/ddl.hpp"
#include "retort/inspect.hpp"

namespace retort::autogenerate {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void require_at_head(Database& db, const migrate::MigrateOptions& options) {
  const std::vector<std::string> current = sorted(migrate::current(db, options));
  const std::vector<std::string> heads = sorted(migrate::heads(options));
  if (current == heads) return;
  auto text = [](const std::vector<std::string>& ids) {
    return ids.empty() ? std::string("base") : fmt::format("{}", fmt::join(ids, ", "));
  };
  throw NotAtHead(
      fmt::format("the database is not at head (database: {}; head: {}): comparing now would "
                  "report what the pending revisions do. Run `retort upgrade head` first",
                  text(current), text(heads)),
      current, heads);
}

// PostgreSQL's estimate of the size of each existing table whose column types change (what the
// warnings of their rewrite or backfill quote): one catalog query, none when no type changes.
void find_sizes_of_retyped_tables(Connection& connection, Diff& diff,
                                  const std::string& schema_name) {
  std::vector<std::string> names;
  for (const Operation& op : diff.operations) {
    if (op.kind != OpKind::alter_column || !op.changes.type) continue;
    if (std::find(names.begin(), names.end(), op.table) == names.end()) names.push_back(op.table);
  }
  if (names.empty()) return;
  std::string qualified;
  for (const std::string& name : names) {
    qualified += (qualified.empty() ? "" : "\n") + ddl::qualified_name(schema_name, name);
  }
  const Result rows = connection.execute(
      "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
      "WHERE c.oid IN (SELECT to_regclass(n) FROM regexp_split_to_table($1, '\n') AS n)",
      {Value(qualified)});
  ++diff.catalog_queries;
  for (const Row row : rows) {
    diff.sizes.push_back(
        {row.get<std::string>(0), row.get<std::int64_t>(1), row.get<std::int64_t>(2)});
  }
}

std::string role_suffix(const RevisionBody& body) {
  if (body.role == "main") return "";
  return " (" + body.role + ")";
}

}  // namespace

Diff compare(const schema::MetaData& models, Connection& connection,
             const DatabaseCompareOptions& options) {
  schema::ReflectOptions reflect_options;
  reflect_options.schema = options.schema;
  reflect_options.exclude_tables = options.exclude_tables;
  if (options.model_tables_only) {
    reflect_options.include_name = [&models](std::string_view kind, std::string_view name) {
      return kind == "table" ? models.find_table(name) != nullptr
                             : models.find_enum(name) != nullptr;
    };
  }
  schema::ReflectStats stats;
  const schema::MetaData database = schema::reflect(connection, reflect_options, &stats);
  CompareOptions compare_options = options.compare;
  compare_options.dialect = connection.dialect();
  Diff diff = compare(models, database, compare_options);
  diff.catalog_queries = static_cast<std::size_t>(stats.catalog_queries);
  if (connection.dialect() == Dialect::postgresql) {
    diff.catalog_queries += detail::settle_with_server(connection, models, diff);
    find_sizes_of_retyped_tables(connection, diff, options.schema);
  }
  return diff;
}

Diff compare(const schema::MetaData& models, Database& db, const DatabaseCompareOptions& options) {
  PooledConnection c = db.connection();
  return compare(models, *c, options);
}

Diff check(Database& db, const schema::MetaData& models, const migrate::MigrateOptions& migrate,
           const DatabaseCompareOptions& database) {
  require_at_head(db, migrate);
  return compare(models, db, database);
}

GeneratedRevisions revision(Database& db, const schema::MetaData& models,
                            const RevisionOptions& options) {
  const migrate::Settings settings = migrate::resolve_settings(options.migrate);
  if (options.write && settings.origin.rfind("built-in", 0) == 0) {
    throw ConfigError(
        "no migration environment is configured (retort.toml has no [migrations] "
        "script_location): create one with `retort init migrations`");
  }
  migrate::MigrateOptions migrate = options.migrate;
  migrate.settings = settings;
  require_at_head(db, migrate);
  GeneratedRevisions out;
  PooledConnection c = db.connection();
  out.diff = compare(models, *c, options.database);
  if (out.diff.empty()) return out;
  RenderOptions render_options = options.render;
  if (db.dialect() == Dialect::sqlite && !render_options.sqlite_triggers) {
    render_options.sqlite_triggers = migrate::ddl::sqlite_triggers(*c);
    ++out.diff.catalog_queries;
  }
  const Rendered rendered = render(out.diff, render_options);

  migrate::RevisionMap map = migrate::load_map(settings, options.migrate.revisions);
  std::string head = options.head;
  for (std::size_t i = 0; i < rendered.revisions.size(); ++i) {
    const RevisionBody& body = rendered.revisions[i];
    migrate::RevisionRequest request;
    request.message = options.message + role_suffix(body);
    request.heads = {head};
    request.version_path = options.version_path;
    if (i == 0) {
      request.rev_id = options.rev_id;
      request.splice = options.splice;
      request.branch_labels = options.branch_labels;
      request.depends_on = options.depends_on;
    }
    request.upgrades = detail::header_comments(body, out.diff, head);
    request.downgrades = "-- the statements are in the dialect sections below";
    request.extra_headers = detail::extra_headers(body);
    request.dialect_sections = detail::dialect_sections(body);
    migrate::NewRevision prepared = migrate::prepare_revision(settings, map, request);
    // The next revision goes on top of this one: the map must know it.
    std::vector<migrate::Revision> all = map.revisions();
    all.push_back(migrate::parse_revision(prepared.content, prepared.path.string()));
    map = migrate::RevisionMap(std::move(all));
    head = prepared.id;
    out.revisions.push_back({prepared.id, prepared.path, std::move(prepared.content)});
  }
  if (options.write) {
    for (const GeneratedRevision& r : out.revisions) migrate::write_new_file(r.path, r.content);
  }
  return out;
}

}  // namespace retort::autogenerate
