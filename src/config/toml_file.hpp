// Reading retort.toml (and any TOML file retort reads): the one place that hands a file to toml++,
// so every reader reports a bad file the same way, "FILE:LINE:COL: message".
#pragma once

#include <filesystem>
#include <string_view>

#include <toml++/toml.h>

namespace retort::config {

// Parses the file. Throws ConfigError "FILE:LINE:COL: what is wrong" for a file that cannot be
// read, holds a control character TOML does not allow (U+0000-U+0008, U+000B, U+000C,
// U+000E-U+001F, U+007F: refused before toml++ sees them), or is not valid TOML.
toml::table parse_toml_file(const std::filesystem::path& file);

// Throws ConfigError "FILE:LINE:COL: message" pointing at where.
[[noreturn]] void fail_at(const std::filesystem::path& file, const toml::source_region& where,
                          std::string_view message);

}  // namespace retort::config
