// Converting retort Values to libpq parameters and PostgreSQL text results back to Values.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "retort/connection.hpp"
#include "retort/value.hpp"

namespace retort::driver::pg {

// OIDs of the built-in types the driver sends or decodes (fixed in PostgreSQL's pg_type.dat).
namespace oid {
inline constexpr Oid unknown = 0;
inline constexpr Oid boolean = 16;
inline constexpr Oid bytea = 17;
inline constexpr Oid int8 = 20;
inline constexpr Oid int2 = 21;
inline constexpr Oid int4 = 23;
inline constexpr Oid oid = 26;
inline constexpr Oid json = 114;
inline constexpr Oid float4 = 700;
inline constexpr Oid float8 = 701;
inline constexpr Oid timestamp = 1114;
inline constexpr Oid timestamptz = 1184;
inline constexpr Oid uuid = 2950;
inline constexpr Oid jsonb = 3802;
}  // namespace oid

// Parameters in the four parallel arrays libpq wants. The value pointers refer into the Values
// given to encode_params (text, json, bytes are not copied) and into this object's storage, so
// both must outlive the libpq call that sends them. Not copyable: the pointers would dangle.
class EncodedParams {
 public:
  EncodedParams() = default;
  EncodedParams(EncodedParams&&) = default;
  EncodedParams& operator=(EncodedParams&&) = default;
  EncodedParams(const EncodedParams&) = delete;
  EncodedParams& operator=(const EncodedParams&) = delete;

  int count() const noexcept { return static_cast<int>(types_.size()); }
  const Oid* types() const noexcept { return types_.data(); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }
  // The parameter type OIDs as text: part of the statement cache key, because a statement
  // prepared with $1 as int8 must not be reused for a text $1.
  std::string type_signature() const;

 private:
  friend EncodedParams encode_params(std::span<const Value> params);
  void reserve(std::size_t count);  // one allocation per array, before the first add
  void add(Oid type, const char* value, int length, int format);

  // Reserved up front to the parameter count, so pointers into it stay valid.
  std::vector<std::string> storage_;
  std::vector<Oid> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Encodes params; throws InvalidInput ("parameter $N") for text holding a NUL byte or invalid
// UTF-8 before anything is sent, UsageError for more parameters than the protocol allows.
EncodedParams encode_params(std::span<const Value> params);

// A double as float8 input accepts it back exactly: shortest round-trip digits, or
// Infinity / -Infinity / NaN.
std::string format_double(double value);

// Decodes one non-NULL cell from its text form, choosing the kind by the column's type OID.
Value decode_cell(Oid type, std::string_view text);

// Column names of a result.
std::vector<std::string> column_names(const PGresult* res);
// Appends the decoded cells of one row.
void append_row(const PGresult* res, int row, std::vector<Value>& cells);
// Rows affected according to the command tag, or the row count for a plain SELECT.
std::int64_t affected_rows(const PGresult* res);
// A fully decoded Result from a PGRES_TUPLES_OK / PGRES_COMMAND_OK / PGRES_SINGLE_TUPLE result.
Result to_result(const PGresult* res);

// Appends value in COPY text format (tab-separated fields, \N for NULL, backslash escapes).
// field names the column in InvalidInput errors.
void append_copy_field(std::string& out, const Value& value, std::string_view field);

}  // namespace retort::driver::pg
