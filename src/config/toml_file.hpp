// Reading retort.toml (and any TOML file retort reads): the one place that hands a file to toml++,
// so every reader reports a bad file the same way, "FILE:LINE:COL: message".
#pragma once

#include <filesystem>
#include <string_view>

// toml++ 3.3 asserts, rather than reporting an error, on some malformed input (a table header
// that starts with '.', "[.database]": found by fuzzing); release builds compile its assertions
// out and report "expected bare key starting character", which is what every build should do. Its
// documented TOML_ASSERT hook turns them off here too, the one place retort includes toml++.
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_assert(true)
#endif
#include <toml++/toml.h>

namespace retort::config {

// Parses the file. Throws ConfigError "FILE:LINE:COL: what is wrong" for a file that cannot be
// read or is not valid TOML. toml++ is given the document rewritten in ASCII with the same
// meaning (config/toml_ascii.hpp: what is refused before it parses, and why).
toml::table parse_toml_file(const std::filesystem::path& file);

// Throws ConfigError "FILE:LINE:COL: message" pointing at where (a node of a table that
// parse_toml_file returned: the column is the file's, not the rewritten text's).
[[noreturn]] void fail_at(const std::filesystem::path& file, const toml::source_region& where,
                          std::string_view message);

}  // namespace retort::config
