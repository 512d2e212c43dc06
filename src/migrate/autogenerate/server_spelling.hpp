// PostgreSQL respells what it stores: `priority BETWEEN 0 AND 5` comes back as
// `priority >= 0 AND priority <= 5`, `'x'` on a varchar as `'x'::character varying`, an index
// on `lower(title)` as `lower(title::text)`. Rather than guess every rule, the model's side of
// each difference that normalization could not settle is declared on temporary tables, in a
// transaction that is rolled back, and read back as the server spells it; what then matches is
// no difference. A fixed number of statements, however many tables: one script, one query.
#pragma once

#include <cstddef>

#include "retort/autogenerate.hpp"
#include "retort/connection.hpp"

namespace retort::autogenerate::detail {

// Removes from diff.operations the default changes, check and index replacements that are only
// spelling. Returns the number of statements sent (0 when nothing needed asking). A model
// expression the server refuses leaves its operation in place and adds a note.
std::size_t settle_with_server(Connection& connection, const schema::MetaData& models, Diff& diff);

}  // namespace retort::autogenerate::detail
