// Forced into every C++ file of the fuzz build (RETORT_FUZZ) only.
//
// Debian 12's clang 14 lacks __builtin_source_location, which libstdc++ 12's <source_location>
// requires, so that header declares nothing under clang 14 and retort/operations.hpp does not
// compile. This stand-in has the same interface, built on the builtins clang 14 has; a default
// argument `where = std::source_location::current()` records the caller's place as the real
// one does. Compilers with the builtin (g++, clang >= 15) never see it.
#pragma once

#if defined(__clang__) && !__has_builtin(__builtin_source_location)
#include <cstdint>

namespace std {

struct source_location {
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           uint_least32_t line = __builtin_LINE(),
                                           uint_least32_t column = __builtin_COLUMN()) noexcept {
    source_location where;
    where.file_ = file;
    where.function_ = function;
    where.line_ = line;
    where.column_ = column;
    return where;
  }
  constexpr source_location() noexcept = default;
  constexpr uint_least32_t line() const noexcept { return line_; }
  constexpr uint_least32_t column() const noexcept { return column_; }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  uint_least32_t line_ = 0;
  uint_least32_t column_ = 0;
};

}  // namespace std
#endif
