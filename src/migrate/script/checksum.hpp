// Checksums of revision files: what `verify` and every upgrade compare with the checksum recorded
// when a revision was applied.
//
// v2 (what is recorded now): an edit of comments or whitespace in a section's SQL is not a change —
// comments outside string literals, quoted identifiers and dollar-quoted bodies are dropped and
// whitespace is reduced to what separates two tokens — while the first line, the header lines
// and the section markers count as written. Its two halves, "v2:<header>.<sql>", say which part
// changed. v1 (recorded by earlier versions): the whole file with trailing whitespace removed;
// still verified.
#pragma once

#include <string>
#include <string_view>

#include "migrate/graph/revision.hpp"

namespace retort::migrate {

// "v2:" + 32 hex digits of the header part + "." + 32 hex digits of the SQL part.
std::string revision_checksum(std::string_view content);

// "v1:" + SHA-256 of the content normalised: CRLF -> LF, trailing whitespace of each line
// removed, trailing blank lines ignored.
std::string revision_checksum_v1(std::string_view content);

// A section's SQL as the v2 checksum sees it: comments dropped, whitespace between tokens kept
// only where it separates two words or two operators (then one space).
std::string normalize_sql_for_checksum(std::string_view sql);

// Does `recorded` (any version) match the revision's file as loaded?
bool checksum_matches(std::string_view recorded, const Revision& revision);

// What kind of change turned `recorded` into the revision's checksum, for `verify`: "its SQL
// changed", "its header lines or section markers changed", both, or (v1 recorded) that the
// kind cannot be told. Empty when they match.
std::string describe_checksum_change(std::string_view recorded, const Revision& revision);

}  // namespace retort::migrate
