// The text of a generated revision file: the comment block at the top (operations, warnings,
// rename hints), the header lines a body needs, and the per-dialect sections.
#pragma once

#include <string>
#include <vector>

#include "retort/autogenerate.hpp"

namespace retort::autogenerate::detail {

// Comment lines for the common upgrade section, right under the header: what the revision does
// (the main revision lists the diff's operations and rename hints), what to watch out for.
// `previous` is the id of the revision before this one.
std::string header_comments(const RevisionBody& body, const Diff& diff,
                            const std::string& previous);

// "-- Transactional: false", "-- SQLite foreign keys: off" as the body needs them.
std::vector<std::string> extra_headers(const RevisionBody& body);

// "-- +upgrade postgresql" ... "-- +downgrade sqlite", each statement ending in ';'.
std::string dialect_sections(const RevisionBody& body);

}  // namespace retort::autogenerate::detail
