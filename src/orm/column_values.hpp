// Values checked and converted for a model's columns (see column_values.cpp for why).
#pragma once

#include <string>

#include "orm/model_data.hpp"

namespace retort::detail {

// value converted to what column `column_index` stores (text to Uuid/Timestamp/JsonText for
// those columns, integers to double for floating columns) after the checks both backends must
// agree on: valid UTF-8 without NUL, valid JSON, varchar length, enum membership, integer
// range, the right kind. NULL passes (NOT NULL is the writer's check). Throws InvalidInput
// naming "table.column".
Value column_value(const ModelData& data, std::size_t column_index, Value value);

// column_value for a value that column_value already accepted once (a member it converted was
// written back into the object): only a conversion of kind is redone, not the checks. The bulk
// path uses it to send objects it checked in a first pass without checking them twice.
Value column_value_of_checked(const ModelData& data, std::size_t column_index, Value value);

// value as a JSON document for JSON path equality: text as a JSON string, numbers, booleans,
// NULL as null, JsonText as itself (checked). Throws InvalidInput naming field.
std::string json_of(const FieldInfo& field, const Value& value);

// Whether a member's value means "not given" for defaults: NULL, the nil UUID, the epoch
// timestamp, empty JSON text, or 0 in an identity column.
bool is_unset(const schema::Column& column, const Value& value);

}  // namespace retort::detail
