// The two dialects' renderers, which render.cpp assembles into revision bodies.
#pragma once

#include <string>
#include <vector>

#include "retort/autogenerate.hpp"

namespace retort::autogenerate::detail {

// Statements of one revision for one dialect: upgrade in order, downgrade in order.
struct Statements {
  std::vector<std::string> up;
  std::vector<std::string> down;
  bool empty() const noexcept { return up.empty() && down.empty(); }
};

struct PostgresqlRendering {
  Statements enum_values;  // ADD VALUE that later operations of the diff use
  Statements main;
  Statements online;                  // CONCURRENTLY, VALIDATE, SET NOT NULL (non-transactional)
  std::vector<std::string> warnings;  // for the main revision's header
  std::vector<std::string> online_warnings;  // for the online revision's header
};
PostgresqlRendering render_postgresql(const Diff& diff, const RenderOptions& options);

struct SqliteRendering {
  Statements main;
  bool rebuilds = false;  // a move-and-copy in either direction (foreign keys must be off)
  std::vector<std::string> warnings;
};
SqliteRendering render_sqlite(const Diff& diff, const RenderOptions& options);

// The inverses of ops, last first: the downgrade.
std::vector<Operation> inverted(const std::vector<Operation>& ops);

// A minimal Table naming op's table (what the ddl:: functions need to name it).
schema::Table table_ref(const Operation& op);

}  // namespace retort::autogenerate::detail
