#include "cli/printable.hpp"

#include <string>

#include <fmt/format.h>

#include "core/text.hpp"

namespace retort::cli {

CLI::Validator printable(std::string_view allowed) {
  std::string kept(allowed);
  return CLI::Validator(
      [kept](std::string& value) -> std::string {
        std::string_view rest = value;
        std::size_t offset = 0;
        while (auto bad = text::find_unprintable(rest)) {
          const char byte = rest[bad->offset];
          if (kept.find(byte) == std::string::npos) {
            return fmt::format(
                "{} at byte {}: control characters, NUL bytes and invalid UTF-8 are refused here",
                bad->description, offset + bad->offset);
          }
          offset += bad->offset + 1;
          rest.remove_prefix(bad->offset + 1);
        }
        return {};
      },
      "", "printable");
}

}  // namespace retort::cli
