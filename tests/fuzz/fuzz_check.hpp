// What the harnesses share: a contract check that stops the run with a message (libFuzzer then
// saves the input as a crash; the corpus replay fails), and the input as text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace retort::fuzz {

// Aborts with `what` when `condition` is false. Used instead of assert(): the checks must hold
// in every build type, the replay of the corpora included.
inline void require(bool condition, std::string_view what, std::string_view detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "fuzz contract violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  if (!detail.empty()) {
    std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace retort::fuzz
