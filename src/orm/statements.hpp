// The statements of the repository's operations, built apart from running them: the blocking
// repository (repository_core.cpp) runs them on a Session, the asynchronous event store
// (src/events/async_event_repository.cpp) on an async::Connection; both send the same SQL and
// decode the same rows.
#pragma once

#include <string>
#include <vector>

#include "orm/model_data.hpp"
#include "orm/sql_builder.hpp"
#include "retort/connection.hpp"
#include "retort/query.hpp"

namespace retort::detail {

// INSERT INTO table (columns) VALUES ($1, ...) RETURNING every column (DEFAULT VALUES when
// columns is empty).
std::string insert_statement(const ModelData& data, const std::vector<std::size_t>& columns);

// SELECT every column WHERE the primary key equals key (UsageError on a wrong arity).
SqlBuilder key_select_statement(const ModelData& data, Dialect dialect,
                                const std::vector<Value>& key);

// SELECT every column with spec's conditions, total order and window.
SqlBuilder select_statement(const ModelData& data, Dialect dialect, const QuerySpec& spec);

// The copy_in table argument: the table's schema and name, each quoted once by the driver.
QualifiedName copy_target(const schema::Table& table);

// Sets every member of *object from a row selected with the model's column list.
void decode_row(const ModelBase& model, const Row& row, void* object);

}  // namespace retort::detail
