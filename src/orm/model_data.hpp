// What a model description records (the private side of retort/model.hpp), and the lookups
// the repository needs on it.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retort/model.hpp"
#include "retort/schema.hpp"

namespace retort::detail {

// One column's binding and write-time behaviour; fields[i] belongs to table.columns[i].
struct FieldInfo {
  MemberLocator locator = nullptr;  // where the member is in an object...
  std::array<unsigned char, kMemberPointerSize> member_pointer{};  // ...given these bytes
  const FieldType* type = nullptr;  // how it converts to and from Value

  void* locate(void* object) const { return locator(object, member_pointer.data()); }
  bool optional_member = false;
  std::function<Value()> client_default;
  bool set_on_create = false;
  bool set_on_update = false;
  std::vector<std::string> enum_values;  // the allowed values of an enum column (by finish())
  std::string label;                     // "table.column", for messages (by finish())
};

struct ModelData {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  schema::Table table;
  std::vector<FieldInfo> fields;
  std::vector<schema::EnumType> enums;
  std::string latest_by;
  bool table_level_key = false;   // primary_key({...}) on the builder
  bool column_level_key = false;  // primary_key() on columns

  // Derived by finish().
  std::vector<std::size_t> key_columns;   // primary key, as indexes into table.columns
  std::size_t latest_column = npos;       // what get_latest() orders by
  std::string from;                       // the quoted, schema-qualified table name
  std::string select_list;                // every column, quoted, in declaration order
  std::vector<std::string> quoted_names;  // quoted_names[i]: column i's name, quoted
  std::string primary_key_name;           // the name PostgreSQL reports (<table>_pkey by default)

  // Index of the column named name, or npos.
  std::size_t column_index(std::string_view name) const noexcept;
  // Index of the column named name; throws UsageError "unknown column table.name".
  std::size_t require_column(std::string_view name) const;
};

// Checks the description, fills in constraint names and the derived fields. Throws UsageError
// naming the model and the problem.
void finish_model(ModelData& data);

}  // namespace retort::detail
