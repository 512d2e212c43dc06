// Timestamps and UUIDs as text without a heap allocation: the drivers write them on every
// bound parameter and COPY row, so they must not cost a formatting library call each time.
#pragma once

#include <span>
#include <string_view>

#include "retort/value.hpp"

namespace retort::text {

// Timestamp::to_string()'s 27 fixed-width characters ("2026-11-21T05:22:27.123456Z") written
// into out and returned; empty when the year is outside 0000..9999 (use to_string() then).
std::string_view format_timestamp(const Timestamp& ts, std::span<char, 27> out) noexcept;

// Uuid::to_string()'s 36 characters written into out and returned.
std::string_view format_uuid(const Uuid& uuid, std::span<char, 36> out) noexcept;

}  // namespace retort::text
