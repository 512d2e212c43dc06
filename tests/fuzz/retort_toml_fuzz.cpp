// Fuzz target: retort.toml, read by both of its readers — the [database] table
// (config::read_database_config) and the [migrations] table (migrate::read_migrations_config).
// The input is written to a file of its own (the readers take a path).
//
// Contract checked:
// - each reader throws nothing but ConfigError, whose message starts "FILE:LINE:COL: " so an
//   editor can jump to the place;
// - a [database] result passes the URL round trip (url_round_trip.hpp), and references
//   (env:NAME) resolve through the given environment only;
// - a [migrations] result holds only values the reader promises: a script location inside the
//   file's directory when relative, a file template with %(rev)s, a slug length from 1 to 255,
//   durations that are not negative, three distinct table names of 1 to 63 bytes.
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_file.hpp"
#include "core/redact.hpp"
#include "fuzz_check.hpp"
#include "migrate/script/environment.hpp"
#include "url_round_trip.hpp"

namespace {

namespace fs = std::filesystem;
using retort::fuzz::require;

const fs::path& config_path() {
  static const fs::path path = [] {
    static const fs::path dir =
        fs::temp_directory_path() / ("retort-fuzz-toml-" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    });
    return dir / "retort.toml";
  }();
  return path;
}

void write_file(std::string_view content) {
  std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  require(static_cast<bool>(out), "the input file is written");
}

// "FILE:LINE:COL: reason".
void require_located(const std::string& message) {
  const std::string prefix = config_path().string() + ":";
  require(message.starts_with(prefix), "a config error starts with the file", message);
  std::size_t i = prefix.size();
  for (int field = 0; field < 2; ++field) {
    const std::size_t digits = i;
    while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) ++i;
    require(i > digits && i < message.size() && message[i] == ':',
            "a config error names line and column", message);
    ++i;
  }
  require(message.compare(i, 1, " ") == 0 && message.size() > i + 1,
          "a config error says why after the place", message);
}

// Only a few variables exist, and nothing reaches Vault (VAULT_ADDR is unset here).
std::optional<std::string> fake_env(const char* name) {
  const std::string_view n = name;
  if (n == "DB_PASSWORD") return "s3cr3t-pw";
  if (n == "DB_URL") return "postgresql://app@db.example:5432/app";
  if (n == "DB_HOST") return "db.example";
  return std::nullopt;
}

void check_database(void) {
  std::optional<retort::DatabaseUrl> url;
  retort::config::ReferenceLog log;
  try {
    url = retort::config::read_database_config(config_path(), fake_env, &log);
  } catch (const retort::ConfigError& e) {
    require_located(e.what());
    return;
  }
  if (url) retort::fuzz::require_round_trip(*url);
}

void check_migrations(void) {
  std::optional<retort::migrate::Settings> settings;
  try {
    settings = retort::migrate::read_migrations_config(config_path());
  } catch (const retort::ConfigError& e) {
    require_located(e.what());
    return;
  }
  if (!settings) return;
  const retort::migrate::Settings& s = *settings;
  require(!s.script_location.empty(), "a script location is set");
  require(s.script_location.is_absolute() ||
              s.script_location.string().starts_with(config_path().parent_path().string()),
          "a relative script location is taken from the file's directory");
  require(s.file_template.find("%(rev)s") != std::string::npos, "the file template has %(rev)s");
  require(s.truncate_slug_length >= 1 && s.truncate_slug_length <= 255, "slug length in range");
  require(s.lock_timeout.count() >= 0 && s.statement_timeout.count() >= 0 &&
              s.lock_wait_timeout.count() >= 0,
          "durations are not negative");
  for (const std::string* table : {&s.version_table, &s.history_table, &s.progress_table}) {
    require(!table->empty() && table->size() <= 63, "table names of 1 to 63 bytes", *table);
  }
  require(s.version_table != s.history_table && s.version_table != s.progress_table &&
              s.history_table != s.progress_table,
          "three distinct tables");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retort::redact::clear_secrets_for_testing();
  write_file(retort::fuzz::as_text(data, size));
  check_database();
  check_migrations();
  return 0;
}
