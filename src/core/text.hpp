// Checks on text before it reaches a database.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace retort::text {

// Byte offset of the first byte that is not part of valid UTF-8, or nullopt.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

// Throws InvalidInput(field, reason, offset) if text holds a NUL byte or invalid UTF-8.
void require_valid_text(std::string_view text, std::string_view field);

// Parameter name for error messages: "parameter $3".
std::string parameter_name(std::size_t zero_based_index);

}  // namespace retort::text
