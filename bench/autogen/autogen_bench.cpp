// The retort command line with models of N tables, the same that the Alembic anchor's
// gen_autogen.py declares (each: id uuid key, name varchar(50) NOT NULL, payload jsonb,
// created_at timestamp NOT NULL, one index; every 100th table from the 8th on has an integer
// `extra` where the others have a text `extra2`), for timing `revision --autogenerate` side by side
// with Alembic's (bench/autogen/run_autogen_bench.sh).
//
//   retort_bench_autogen N [retort arguments...]     e.g.  retort_bench_autogen 1000 --url URL
//   check
#include <cstdlib>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "retort/cli.hpp"

namespace {

retort::schema::Column column(std::string name, retort::schema::ColumnType type, bool nullable) {
  retort::schema::Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  return c;
}

retort::schema::MetaData anchor_models(int tables) {
  namespace types = retort::schema::types;
  retort::schema::MetaData m;
  for (int i = 0; i < tables; ++i) {
    retort::schema::Table t;
    t.name = fmt::format("t{:05d}", i);
    t.columns.push_back(column("id", types::uuid(), false));
    t.columns.push_back(column("name", types::varchar(50), false));
    t.columns.push_back(column("payload", types::jsonb(), true));
    t.columns.push_back(column("created_at", types::timestamp(), false));
    t.columns.push_back(i % 100 == 7 ? column("extra", types::integer(), true)
                                     : column("extra2", types::text(), true));
    t.primary_key = {t.name + "_pkey", {"id"}};
    retort::schema::Index index;
    index.name = fmt::format("ix_{}_created_at", t.name);
    index.elements.push_back({"created_at", {}, "", false});
    t.indexes.push_back(std::move(index));
    m.tables.push_back(std::move(t));
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: retort_bench_autogen N [retort arguments...]\n";
    return 2;
  }
  const int tables = std::atoi(argv[1]);
  argv[1] = argv[0];  // the command line proper starts after N
  return retort::cli::main(argc - 1, argv + 1, anchor_models(tables));
}
