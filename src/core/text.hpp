// Checks on text before it reaches a database.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace retort::text {

// Byte offset of the first byte that is not part of valid UTF-8, or nullopt.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

// True when text holds no NUL byte and is valid UTF-8.
bool is_valid_text(std::string_view text) noexcept;

// Throws InvalidInput(field, reason, offset) if text holds a NUL byte or invalid UTF-8.
void require_valid_text(std::string_view text, std::string_view field);

// require_valid_text for a bound parameter, named "parameter $N" (the name is only formatted
// when the text is refused: this runs on every parameter sent).
void require_valid_parameter(std::string_view text, std::size_t zero_based_index);

// JSON nested deeper than this is refused before it reaches a database. It is SQLite's own
// limit (json_valid() refuses deeper documents), so a document the client accepts is one both
// backends accept, and a bulk write that validated its JSON may skip SQLite's json_valid CHECKs.
inline constexpr std::size_t kMaxJsonDepth = 2000;

// Byte offset of the first '[' or '{' of JSON text nested deeper than max_depth (brackets inside
// strings do not count), or nullopt. Meant for text a JSON parser accepted.
std::optional<std::size_t> find_excess_json_nesting(std::string_view json,
                                                    std::size_t max_depth = kMaxJsonDepth) noexcept;

// Byte offset of the backslash of the first \u0000 escape in JSON text (one not itself escaped:
// an odd run of backslashes before the u), or nullopt. PostgreSQL's jsonb cannot store it, so
// both backends refuse it. Meant for text a JSON parser accepted.
std::optional<std::size_t> find_json_nul_escape(std::string_view json) noexcept;

// User input quoted for a message or a terminal: 'text' with control characters, invalid UTF-8
// bytes, quotes and backslashes escaped (\n, \r, \t, \', \\, \xNN), cut after max_bytes with
// "..." so a megabyte of input cannot flood a log. What it returns never starts a new line or an
// escape sequence, whatever the input held.
std::string printable(std::string_view text, std::size_t max_bytes = 200);

// A byte of text that must not reach a terminal, a generated SQL script or a file header: its
// offset (from 0) and a description ("the control character U+000A", "invalid UTF-8").
struct UnprintableByte {
  std::size_t offset = 0;
  std::string description;
};

// The first NUL, C0 control (below 0x20), DEL (0x7F), C1 control (U+0080..U+009F, which some
// terminals obey like ESC) or byte that is not valid UTF-8, or nullopt. For names and labels
// given by a user that are later printed or written into SQL or files. Control characters listed
// in `allowed` (a tab in a one-line header, say) pass. The one detector of such bytes: names,
// labels, revision ids, header values and command-line values all use it.
std::optional<UnprintableByte> find_unprintable(std::string_view text,
                                                std::string_view allowed = {});

// Parameter name for error messages: "parameter $3".
std::string parameter_name(std::size_t zero_based_index);

}  // namespace retort::text
