// Helpers for the autogenerate tests: terse metadata builders, and a workspace (a database of
// either dialect plus a migration environment) where generated revisions are written and run.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "migrate/runtime/runner_support.hpp"
#include "retort/autogenerate.hpp"
#include "retort/ddl.hpp"
#include "retort/inspect.hpp"
#include "support/test_db.hpp"

namespace retort::autogenerate::testing {

using schema::Column;
using schema::ColumnType;
using schema::MetaData;
using schema::Table;
namespace types = schema::types;

inline Column col(std::string name, ColumnType type, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  return c;
}

inline Column with_default(Column c, schema::DialectSql expression) {
  c.server_default = std::move(expression);
  return c;
}

// A table with a bigint key "id" (named <name>_pkey) and the given columns.
inline Table table(std::string name, std::vector<Column> columns = {}) {
  Table t;
  t.name = std::move(name);
  t.columns.push_back(col("id", types::bigint(), false));
  for (Column& c : columns) t.columns.push_back(std::move(c));
  t.primary_key = {t.name + "_pkey", {"id"}};
  return t;
}

inline schema::Index index(std::string name, std::vector<std::string> columns,
                           bool unique = false) {
  schema::Index i;
  i.name = std::move(name);
  i.unique = unique;
  for (std::string& c : columns) {
    schema::IndexElement e;
    e.column = std::move(c);
    i.elements.push_back(std::move(e));
  }
  return i;
}

inline schema::ForeignKey foreign_key(std::string name, std::vector<std::string> columns,
                                      std::string table, std::vector<std::string> referred) {
  schema::ForeignKey fk;
  fk.name = std::move(name);
  fk.columns = std::move(columns);
  fk.referred_table = std::move(table);
  fk.referred_columns = std::move(referred);
  return fk;
}

inline Table* find(MetaData& m, const std::string& name) {
  for (Table& t : m.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

inline std::vector<std::string> descriptions(const Diff& diff) {
  std::vector<std::string> out;
  for (const Operation& op : diff.operations) out.push_back(describe(op));
  return out;
}

inline std::vector<OpKind> kinds(const Diff& diff) {
  std::vector<OpKind> out;
  for (const Operation& op : diff.operations) out.push_back(op.kind);
  return out;
}

// A database of one dialect and a migration environment: models go in, revisions come out and
// run through the engine's runner.
class Workspace {
 public:
  explicit Workspace(Dialect dialect) : test_db_(dialect), db_(test_db_.url()) {
    std::filesystem::copy_file(
        std::filesystem::path(RETORT_SOURCE_DIR) / "templates/generic/script.sql.tmpl",
        env_.dir() / "script.sql.tmpl");
  }
  Database& db() { return db_; }
  Dialect dialect() const { return test_db_.dialect(); }
  const migrate::runner_testing::Environment& env() const { return env_; }

  // Generates the revision(s) taking the database to `models`, runs them, and returns them.
  GeneratedRevisions migrate_to(const MetaData& models, RevisionOptions options = {}) {
    options.message = options.message.empty() ? fmt::format("step {}", ++steps_) : options.message;
    options.migrate = env_.options();
    GeneratedRevisions out = revision(db_, models, options);
    migrate::upgrade(db_, "head", env_.options());
    return out;
  }
  // What the models still differ in.
  Diff pending(const MetaData& models, const DatabaseCompareOptions& options = {}) {
    return compare(models, db_, options);
  }
  void downgrade(const std::string& target) { migrate::downgrade(db_, target, env_.options()); }
  void upgrade() { migrate::upgrade(db_, "head", env_.options()); }
  std::vector<std::string> current() { return migrate::current(db_, env_.options()); }
  void execute(const std::string& sql) { db_.connection()->execute_script(sql); }
  std::int64_t count(const std::string& sql) {
    return db_.connection()->execute(sql).at(0)[0].as_int64();
  }

 private:
  retort::testing::TestDatabase test_db_;
  Database db_;
  migrate::runner_testing::Environment env_;
  int steps_ = 0;
};

class OnBothDialects : public ::testing::TestWithParam<Dialect> {
 protected:
  OnBothDialects() : ws_(GetParam()) {}
  Workspace ws_;
};

// The operations, one per line, for failure messages.
inline std::string listed(const Diff& diff) {
  std::string out;
  for (const std::string& d : descriptions(diff)) out += "\n  " + d;
  for (const std::string& n : diff.notes) out += "\n  note: " + n;
  return out;
}

}  // namespace retort::autogenerate::testing
