// A TOML document rewritten in pure ASCII with the same meaning, so that toml++ never examines a
// non-ASCII character. toml++ 3.3's test for non-ASCII whitespace reaches
// __builtin_unreachable() for U+00A1..U+0499 (undefined behaviour in a release build), and it runs
// that test on characters of valid documents (after a line-ending backslash in a multi-line
// string) as well as invalid ones (found by fuzzing). Rewriting:
// - in basic strings, each non-ASCII character becomes its \uXXXX or \UXXXXXXXX escape;
// - literal strings ('...', '''...''') become basic strings with the same value (backslashes and
//   double quotes escaped);
// - in comments, each non-ASCII character becomes '?' (comments carry no value);
// - anything else is copied; every line keeps its number.
// Refused, with the line and column of the original: control characters other than tab, CR and
// LF (TOML allows none), non-ASCII characters outside strings and comments (TOML 1.0 allows none:
// bare keys are ASCII), invalid UTF-8, and a backslash before a non-ASCII character.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace retort::config {

struct AsciiToml {
  std::string text;
  // For each line of text (0-based), the original column (1-based, in characters) of each of
  // its columns: where a position toml++ reports in text was in the file.
  std::vector<std::vector<std::uint32_t>> columns;

  // The original column of text's (line, column), both 1-based.
  std::uint32_t original_column(std::uint32_t line, std::uint32_t column) const;
};

// Throws ConfigError "WHERE:LINE:COL: what is wrong"; `where` names the file.
AsciiToml ascii_toml(std::string_view document, std::string_view where);

}  // namespace retort::config
