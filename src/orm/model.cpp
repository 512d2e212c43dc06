// The model builders (what ModelTraits<T>::describe calls) and the type-erased model.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <typeinfo>

#include "orm/model_data.hpp"
#include "retort/error.hpp"
#include "retort/model.hpp"

namespace retort {

using detail::ModelData;

// ---- ColumnBuilder -------------------------------------------------------------------------

ColumnBuilder& ColumnBuilder::primary_key() {
  data_->table.primary_key.columns.push_back(data_->table.columns[column_].name);
  data_->column_level_key = true;
  data_->table.columns[column_].nullable = false;
  return *this;
}

ColumnBuilder& ColumnBuilder::not_null() {
  data_->table.columns[column_].nullable = false;
  return *this;
}

ColumnBuilder& ColumnBuilder::server_default(schema::DialectSql expression) {
  data_->table.columns[column_].server_default = std::move(expression);
  return *this;
}

ColumnBuilder& ColumnBuilder::client_default(std::function<Value()> make) {
  data_->fields[column_].client_default = std::move(make);
  return *this;
}

ColumnBuilder& ColumnBuilder::set_on_create() {
  data_->fields[column_].set_on_create = true;
  return *this;
}

ColumnBuilder& ColumnBuilder::set_on_update() {
  data_->fields[column_].set_on_update = true;
  return *this;
}

ColumnBuilder& ColumnBuilder::identity() {
  data_->table.columns[column_].identity = true;
  data_->table.columns[column_].nullable = false;
  return *this;
}

ColumnBuilder& ColumnBuilder::unique(std::string constraint_name) {
  data_->table.unique_constraints.push_back(
      {std::move(constraint_name), {data_->table.columns[column_].name}});
  return *this;
}

ColumnBuilder& ColumnBuilder::references(std::string table, std::string column,
                                         schema::ReferentialAction on_delete,
                                         schema::ReferentialAction on_update,
                                         std::string constraint_name) {
  schema::ForeignKey fk;
  fk.name = std::move(constraint_name);
  fk.columns = {data_->table.columns[column_].name};
  fk.referred_table = std::move(table);
  fk.referred_columns = {std::move(column)};
  fk.on_delete = on_delete;
  fk.on_update = on_update;
  data_->table.foreign_keys.push_back(std::move(fk));
  return *this;
}

ColumnBuilder& ColumnBuilder::comment(std::string text) {
  data_->table.columns[column_].comment = std::move(text);
  return *this;
}

// ---- IndexBuilder --------------------------------------------------------------------------

IndexBuilder& IndexBuilder::on(std::string column, std::string operator_class) {
  schema::IndexElement element;
  element.column = std::move(column);
  element.operator_class = std::move(operator_class);
  data_->table.indexes[index_].elements.push_back(std::move(element));
  return *this;
}

IndexBuilder& IndexBuilder::on_expression(schema::DialectSql expression,
                                          std::string operator_class) {
  schema::IndexElement element;
  element.expression = std::move(expression);
  element.operator_class = std::move(operator_class);
  data_->table.indexes[index_].elements.push_back(std::move(element));
  return *this;
}

IndexBuilder& IndexBuilder::descending() {
  std::vector<schema::IndexElement>& elements = data_->table.indexes[index_].elements;
  if (elements.empty()) throw UsageError("index descending(): add an element with on() first");
  elements.back().descending = true;
  return *this;
}

IndexBuilder& IndexBuilder::unique() {
  data_->table.indexes[index_].unique = true;
  return *this;
}

IndexBuilder& IndexBuilder::where(schema::DialectSql predicate) {
  data_->table.indexes[index_].where = std::move(predicate);
  return *this;
}

IndexBuilder& IndexBuilder::using_method(std::string method) {
  data_->table.indexes[index_].method = std::move(method);
  return *this;
}

IndexBuilder& IndexBuilder::postgresql_only() {
  data_->table.indexes[index_].postgresql_only = true;
  return *this;
}

// ---- ForeignKeyBuilder ---------------------------------------------------------------------

ForeignKeyBuilder& ForeignKeyBuilder::on_delete(schema::ReferentialAction action) {
  data_->table.foreign_keys[key_].on_delete = action;
  return *this;
}

ForeignKeyBuilder& ForeignKeyBuilder::on_update(schema::ReferentialAction action) {
  data_->table.foreign_keys[key_].on_update = action;
  return *this;
}

ForeignKeyBuilder& ForeignKeyBuilder::name(std::string constraint_name) {
  data_->table.foreign_keys[key_].name = std::move(constraint_name);
  return *this;
}

// ---- ModelBuilderBase ----------------------------------------------------------------------

namespace detail {

ModelBuilderBase::ModelBuilderBase() : data_(new ModelData()) {}
ModelBuilderBase::~ModelBuilderBase() = default;

ModelBuilderBase& ModelBuilderBase::table(std::string name) {
  data_->table.name = std::move(name);
  return *this;
}

ModelBuilderBase& ModelBuilderBase::schema(std::string name) {
  data_->table.schema = std::move(name);
  return *this;
}

ModelBuilderBase& ModelBuilderBase::comment(std::string text) {
  data_->table.comment = std::move(text);
  return *this;
}

ModelBuilderBase& ModelBuilderBase::primary_key(std::vector<std::string> columns,
                                                std::string name) {
  data_->table.primary_key = {std::move(name), std::move(columns)};
  data_->table_level_key = true;
  return *this;
}

ModelBuilderBase& ModelBuilderBase::unique(std::vector<std::string> columns, std::string name) {
  data_->table.unique_constraints.push_back({std::move(name), std::move(columns)});
  return *this;
}

ForeignKeyBuilder ModelBuilderBase::foreign_key(std::vector<std::string> columns,
                                                std::string referred_table,
                                                std::vector<std::string> referred_columns) {
  schema::ForeignKey fk;
  fk.columns = std::move(columns);
  fk.referred_table = std::move(referred_table);
  fk.referred_columns = std::move(referred_columns);
  data_->table.foreign_keys.push_back(std::move(fk));
  return ForeignKeyBuilder(*data_, data_->table.foreign_keys.size() - 1);
}

ModelBuilderBase& ModelBuilderBase::check(std::string name, schema::DialectSql expression) {
  data_->table.check_constraints.push_back({std::move(name), std::move(expression)});
  return *this;
}

IndexBuilder ModelBuilderBase::index(std::string name) {
  schema::Index index;
  index.name = std::move(name);
  data_->table.indexes.push_back(std::move(index));
  return IndexBuilder(*data_, data_->table.indexes.size() - 1);
}

ModelBuilderBase& ModelBuilderBase::enum_type(std::string name, std::vector<std::string> values) {
  data_->enums.push_back({std::move(name), std::move(values)});
  return *this;
}

ModelBuilderBase& ModelBuilderBase::latest_by(std::string column) {
  data_->latest_by = std::move(column);
  return *this;
}

ColumnBuilder ModelBuilderBase::add_column(std::string_view name, const schema::ColumnType& type,
                                           MemberLocator locator, const void* member_pointer,
                                           std::size_t member_pointer_size,
                                           const FieldType& field_type, bool optional_member) {
  schema::Column column;
  column.name = std::string(name);
  column.type = type;
  column.nullable = optional_member;  // a plain member can never hold NULL
  data_->table.columns.push_back(std::move(column));
  FieldInfo field;
  field.locator = locator;
  std::memcpy(field.member_pointer.data(), member_pointer, member_pointer_size);
  field.type = &field_type;
  field.optional_member = optional_member;
  data_->fields.push_back(std::move(field));
  return ColumnBuilder(*data_, data_->table.columns.size() - 1);
}

ModelDataPtr ModelBuilderBase::finish() {
  finish_model(*data_);
  return std::move(data_);
}

void ModelDataDeleter::operator()(ModelData* data) const noexcept {
  delete data;
}

std::size_t ModelData::column_index(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == name) return i;
  }
  return npos;
}

std::size_t ModelData::require_column(std::string_view name) const {
  std::size_t index = column_index(name);
  if (index == npos) throw UsageError(fmt::format("unknown column {}.{}", table.name, name));
  return index;
}

}  // namespace detail

// ---- ModelBase -----------------------------------------------------------------------------

ModelBase::ModelBase(detail::ModelDataPtr data) : data_(std::move(data)) {}
ModelBase::~ModelBase() = default;

const schema::Table& ModelBase::table() const noexcept {
  return data_->table;
}

const std::vector<schema::EnumType>& ModelBase::enums() const noexcept {
  return data_->enums;
}

const std::string& ModelBase::column_at(void* object, const void* member_address,
                                        const std::type_info& type) const {
  for (std::size_t i = 0; i < data_->fields.size(); ++i) {
    const detail::FieldInfo& field = data_->fields[i];
    if (*field.type->type == type && field.locate(object) == member_address) {
      return data_->table.columns[i].name;
    }
  }
  throw UsageError(
      fmt::format("model {}: that member is not bound to a column", data_->table.name));
}

Value ModelBase::get(const void* object, std::size_t column) const {
  const detail::FieldInfo& field = data_->fields.at(column);
  // locate() only computes an address; nothing is written through it here.
  return field.type->get(field.locate(const_cast<void*>(object)));
}

void ModelBase::set(void* object, std::size_t column, const Value& value) const {
  const detail::FieldInfo& field = data_->fields.at(column);
  if (value.is_null() && !field.optional_member && *field.type->type == typeid(JsonText)) {
    // A JSON column that another tool left nullable (the original service's events.data): SQL
    // NULL reads as the JSON document null, as SQLAlchemy's JSON type reads both as None.
    field.type->set(field.locate(object), Value(JsonText::checked("null")));
    return;
  }
  if (value.is_null() && !field.optional_member) {
    throw UsageError(fmt::format("{} is NULL but its member is not std::optional", field.label));
  }
  try {
    field.type->set(field.locate(object), value);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", field.label, e.what()));
  }
}

schema::MetaData metadata_of(std::initializer_list<const ModelBase*> models) {
  schema::MetaData out;
  for (const ModelBase* model : models) {
    if (out.find_table(model->table().name) != nullptr) {
      throw UsageError(fmt::format("metadata: two models use table {}", model->table().name));
    }
    out.tables.push_back(model->table());
    for (const schema::EnumType& type : model->enums()) {
      const schema::EnumType* seen = out.find_enum(type.name);
      if (seen == nullptr) {
        out.enums.push_back(type);
      } else if (seen->values != type.values) {
        throw UsageError(
            fmt::format("metadata: enum {} is declared with different values", type.name));
      }
    }
  }
  return out;
}

namespace defaults {
schema::DialectSql now() {
  // %f is seconds with milliseconds; the literal 000 pads to the microseconds retort writes.
  return {"now()", "(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))"};
}
}  // namespace defaults

}  // namespace retort
