#include "cli/printable.hpp"

#include <string>

#include <fmt/format.h>

#include "core/text.hpp"

namespace retort::cli {

CLI::Validator printable(std::string_view allowed) {
  std::string kept(allowed);
  return CLI::Validator(
      [kept](std::string& value) -> std::string {
        if (auto bad = text::find_unprintable(value, kept)) {
          return fmt::format(
              "{} at byte {}: control characters, NUL bytes and invalid UTF-8 are refused here",
              bad->description, bad->offset);
        }
        return {};
      },
      "", "printable");
}

}  // namespace retort::cli
