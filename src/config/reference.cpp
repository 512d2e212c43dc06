#include "config/reference.hpp"

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::config {

std::string resolve_reference(std::string_view value, const EnvLookup& env,
                              std::string_view setting) {
  constexpr std::string_view kEnv = "env:";
  if (!value.starts_with(kEnv)) return std::string(value);
  std::string name(value.substr(kEnv.size()));
  if (name.empty()) {
    throw ConfigError(fmt::format("{} is 'env:' without a variable name", setting));
  }
  std::optional<std::string> resolved = env(name.c_str());
  if (!resolved) {
    throw ConfigError(
        fmt::format("{} refers to environment variable {}, which is not set", setting, name));
  }
  return *resolved;
}

}  // namespace retort::config
