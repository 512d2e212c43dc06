// Offline rendering of values: what a statement with bound parameters becomes in `--sql` output,
// where nothing can be bound.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "retort/value.hpp"

namespace retort::migrate::detail {

// The value as a SQL literal the dialect reads back as the same value: NULL, TRUE/FALSE (1/0 on
// SQLite), numbers, quoted text (quotes doubled), '\x..' bytea / X'..' blobs, and uuids,
// timestamps (ISO 8601, UTC) and JSON as quoted text. Throws UsageError for NaN on SQLite, which
// has no literal for it.
std::string value_literal(const Value& value, Dialect dialect);

// `sql` with each $N placeholder outside string literals, quoted identifiers, dollar-quoted
// bodies and comments replaced by params[N-1] as a literal. Throws UsageError naming the
// placeholder when it has no parameter, or when a parameter is never used.
std::string inline_parameters(std::string_view sql, const std::vector<Value>& params,
                              Dialect dialect);

}  // namespace retort::migrate::detail
