#include "config/toml_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "config/toml_ascii.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

// The column maps of the files parsed, so that fail_at reports a node's position in the file as
// written, not in the ASCII text toml++ read (they differ on lines with rewritten strings).
struct ColumnMaps {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const AsciiToml>> by_file;
};

ColumnMaps& column_maps() {
  static ColumnMaps maps;
  return maps;
}

std::uint32_t original_column(const std::string& file, std::uint32_t line, std::uint32_t column) {
  ColumnMaps& maps = column_maps();
  const std::lock_guard lock(maps.mutex);
  const auto it = maps.by_file.find(file);
  return it == maps.by_file.end() ? column : it->second->original_column(line, column);
}

}  // namespace

void fail_at(const std::filesystem::path& file, const toml::source_region& where,
             std::string_view message) {
  const std::uint32_t column = original_column(file.string(), where.begin.line, where.begin.column);
  throw ConfigError(fmt::format("{}:{}:{}: {}", file.string(), where.begin.line, column, message));
}

toml::table parse_toml_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    throw ConfigError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  // toml++ reads only ASCII (config/toml_ascii.hpp says why).
  auto ascii = std::make_shared<const AsciiToml>(ascii_toml(text, file.string()));
  {
    ColumnMaps& maps = column_maps();
    const std::lock_guard lock(maps.mutex);
    maps.by_file[file.string()] = ascii;
  }
  try {
    return toml::parse(ascii->text, file.string());
  } catch (const toml::parse_error& e) {
    fail_at(file, e.source(), e.description());
  }
}

}  // namespace retort::config
