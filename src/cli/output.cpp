#include "cli/output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

#include "core/text.hpp"

namespace retort::cli {
namespace {

// Display width in code points, so UTF-8 text lines up (wide characters aside).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cut(std::string s, std::size_t max_cell) {
  for (char& c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (display_width(s) <= max_cell) return s;
  std::size_t points = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++points > max_cell - 3) break;
  }
  return s.substr(0, i) + "...";
}

void print_padded(std::ostream& out, const std::string& s, std::size_t width) {
  out << s;
  for (std::size_t w = display_width(s); w < width; ++w) out << ' ';
}

// JSON strings must be UTF-8: text that is not is printed like a bytea value, "\\x" and the hex
// of every byte (README, "Command line"), rather than failing the whole output.
nlohmann::json json_string(std::string text) {
  if (!text::find_invalid_utf8(text)) return text;
  std::string hex = "\\x";
  for (unsigned char c : text) hex += fmt::format("{:02x}", c);
  return hex;
}

nlohmann::json to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::null:
      return nullptr;
    case Value::Kind::boolean:
      return v.as_bool();
    case Value::Kind::int64:
      return v.as_int64();
    case Value::Kind::float64:
      return v.as_double();
    case Value::Kind::json: {
      nlohmann::json parsed = nlohmann::json::parse(v.as_json().text(), nullptr, false);
      return parsed.is_discarded() ? json_string(v.as_json().text()) : parsed;
    }
    default:
      return json_string(v.to_display());
  }
}

}  // namespace

void print_table(std::ostream& out, const Result& result, std::size_t max_cell) {
  const std::size_t ncols = result.columns().size();
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths(ncols);
  for (std::size_t c = 0; c < ncols; ++c) widths[c] = display_width(result.columns()[c]);
  for (const Row& row : result) {
    auto& line = cells.emplace_back();
    for (std::size_t c = 0; c < ncols; ++c) {
      line.push_back(cut(row[c].to_display(), max_cell));
      widths[c] = std::max(widths[c], display_width(line.back()));
    }
  }
  const auto print_line = [&](const std::vector<std::string>& line) {
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c > 0) out << " | ";
      print_padded(out, line[c], c + 1 == ncols ? 0 : widths[c]);
    }
    out << '\n';
  };
  print_line(result.columns());
  for (std::size_t c = 0; c < ncols; ++c) {
    if (c > 0) out << "-+-";
    out << std::string(widths[c], '-');
  }
  out << '\n';
  for (const auto& line : cells) print_line(line);
  out << "(" << result.size() << (result.size() == 1 ? " row)\n" : " rows)\n");
}

nlohmann::json rows_json(const Result& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& row : result) {
    nlohmann::json object = nlohmann::json::object();
    for (std::size_t c = 0; c < result.columns().size(); ++c) {
      object[json_string(result.columns()[c]).get<std::string>()] = to_json(row[c]);
    }
    rows.push_back(std::move(object));
  }
  return rows;
}

void print_json_lines(std::ostream& out, const Result& result) {
  for (const nlohmann::json& object : rows_json(result)) out << object.dump() << '\n';
}

}  // namespace retort::cli
