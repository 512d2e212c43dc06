// What the documentation's fragments take from around them: the page's database, session, URL
// and (models_context.hpp) models. A fragment opts in with <!-- example-context: #include
// "example_context.hpp" --> (tests/docs/compile_examples.py); only declarations, since examples are
// compiled, not run.
#pragma once

#include <retort/async.hpp>
#include <retort/database.hpp>
#include <retort/migrate.hpp>
#include <retort/operations.hpp>
#include <retort/repository.hpp>

#include <memory>
#include <string>
#include <vector>

extern std::string url;      // the URL text a page connects to
extern retort::Database db;  // the page's database
extern retort::Session s;    // a session in progress
extern retort::Session session;
extern retort::Timestamp since, cutoff;
extern retort::Uuid id;
extern retort::Value a, b;
extern retort::migrate::Operations& op;  // in a C++ revision's upgrade or downgrade
extern retort::schema::Table items_table_definition;
extern std::unique_ptr<retort::async::Connection> c;  // an asynchronous connection
retort::migrate::CppRevision copy_data_revision();    // docs/cpp_migrations.md's revision
void handle(const retort::Row& row);
void handle(const std::string& channel, const std::string& payload);
std::vector<std::vector<retort::Value>> load_rows();
namespace types = retort::schema::types;
struct Logger {
  template <class... Args>
  void info(Args&&...);
};
extern Logger my_logger;  // the application's logger
