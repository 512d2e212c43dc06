#include "migrate/script_file.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "migrate/revision_error.hpp"
#include "migrate/sha256.hpp"

namespace retort::migrate {

namespace {

constexpr std::string_view kFirstLine = "-- retort revision";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_blank(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Lines without their '\n' (and without a '\r' before it).
std::vector<std::string_view> split_lines(std::string_view content) {
  std::vector<std::string_view> lines;
  while (!content.empty()) {
    std::size_t end = content.find('\n');
    std::string_view line = content.substr(0, end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    content.remove_prefix(end == std::string_view::npos ? content.size() : end + 1);
  }
  return lines;
}

class Parser {
 public:
  Parser(std::string_view content, const std::string& file) : lines_(split_lines(content)), file_(file) {}
  Revision parse(std::string_view content);

 private:
  [[noreturn]] void fail(std::size_t index, const std::string& why) const {
    throw ScriptError(file_, static_cast<int>(index + 1), why);
  }
  void header_line(std::size_t index, std::string_view text);
  void section_marker(std::size_t index, std::string_view text);
  std::vector<std::string> list(std::size_t index, std::string_view value, bool none_allowed) const;

  std::vector<std::string_view> lines_;
  const std::string& file_;
  Revision rev_;
  std::map<std::string, std::size_t> header_seen_;  // key -> line index
  std::map<std::pair<Direction, std::string>, std::size_t> sections_seen_;
};

std::vector<std::string> Parser::list(std::size_t index, std::string_view value, bool none_allowed) const {
  std::vector<std::string> out;
  if (value.empty() || (none_allowed && lower(value) == "none")) {
    return out;
  }
  while (true) {
    const std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (item.empty()) {
      fail(index, "empty item in a comma-separated list");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) {
      return out;
    }
    value.remove_prefix(comma + 1);
  }
}

void Parser::header_line(std::size_t index, std::string_view text) {
  if (text.substr(0, 2) != "--") {
    fail(index, "text outside a section (SQL goes after a '-- +upgrade' or '-- +downgrade' line)");
  }
  const std::string_view body = trim(text.substr(2));
  const std::size_t colon = body.find(':');
  if (colon == std::string_view::npos) {
    fail(index, "malformed header line (expected '-- Key: value')");
  }
  const std::string key = lower(trim(body.substr(0, colon)));
  const std::string_view value = trim(body.substr(colon + 1));
  if (auto [it, fresh] = header_seen_.emplace(key, index); !fresh) {
    fail(index, fmt::format("header '{}' appears twice (first on line {})", key, it->second + 1));
  }
  const int line = static_cast<int>(index + 1);
  if (key == "revision") {
    if (value.empty()) {
      fail(index, "empty Revision header");
    }
    rev_.id = std::string(value);
    rev_.lines.revision = line;
  } else if (key == "down revision") {
    rev_.down_revisions = list(index, value, true);
    rev_.lines.down_revision = line;
  } else if (key == "branch labels") {
    rev_.branch_labels = list(index, value, true);
    rev_.lines.branch_labels = line;
  } else if (key == "depends on") {
    rev_.depends_on = list(index, value, true);
    rev_.lines.depends_on = line;
  } else if (key == "message") {
    rev_.message = std::string(value);
  } else if (key == "create date") {
    rev_.create_date = std::string(value);
  } else if (key == "transactional") {
    const std::string v = lower(value);
    if (v != "true" && v != "false") {
      fail(index, fmt::format("Transactional must be true or false, not '{}'", value));
    }
    rev_.transactional = v == "true";
  } else {
    fail(index, fmt::format("unknown header key '{}'", trim(body.substr(0, colon))));
  }
}

void Parser::section_marker(std::size_t index, std::string_view text) {
  std::string_view rest = text.substr(4);  // after "-- +"
  const std::size_t space = rest.find_first_of(" \t");
  const std::string word = lower(rest.substr(0, space));
  const std::string dialect = space == std::string_view::npos ? "" : lower(trim(rest.substr(space)));
  Section s;
  if (word == "upgrade") {
    s.direction = Direction::upgrade;
  } else if (word == "downgrade") {
    s.direction = Direction::downgrade;
  } else {
    fail(index, fmt::format("unknown section marker '-- +{}' (expected upgrade or downgrade)", word));
  }
  if (!dialect.empty() && dialect != "postgresql" && dialect != "sqlite") {
    fail(index, fmt::format("unknown dialect '{}' (expected postgresql or sqlite)", dialect));
  }
  if (auto [it, fresh] = sections_seen_.emplace(std::pair{s.direction, dialect}, index); !fresh) {
    fail(index, fmt::format("duplicate section '{}' (first on line {})", trim(text), it->second + 1));
  }
  s.dialect = dialect;
  s.line = static_cast<int>(index + 2);
  rev_.sections.push_back(std::move(s));
}

Revision Parser::parse(std::string_view content) {
  std::string_view first = lines_.empty() ? std::string_view() : trim(lines_.front());
  if (first.substr(0, 3) == "\xEF\xBB\xBF") {
    first.remove_prefix(3);  // a UTF-8 byte order mark
  }
  if (first != kFirstLine) {
    throw ScriptError(file_, 1, fmt::format("missing header: the first line must be '{}'", kFirstLine));
  }
  rev_.path = file_;
  std::size_t i = 1;
  for (; i < lines_.size(); ++i) {
    const std::string_view t = trim(lines_[i]);
    if (t.substr(0, 4) == "-- +") {
      break;
    }
    if (!t.empty()) {
      header_line(i, t);
    }
  }
  if (rev_.id.empty()) {
    throw ScriptError(file_, 1, "missing 'Revision:' header");
  }
  for (; i < lines_.size(); ++i) {
    const std::string_view t = trim(lines_[i]);
    if (t.substr(0, 4) == "-- +") {
      section_marker(i, t);
    } else if (!rev_.sections.empty()) {
      rev_.sections.back().sql.append(lines_[i]).push_back('\n');
    } else if (!t.empty()) {
      fail(i, "text outside a section");
    }
  }
  rev_.checksum = revision_checksum(content);
  return std::move(rev_);
}

}  // namespace

Revision parse_revision(std::string_view content, const std::string& file) {
  return Parser(content, file).parse(content);
}

std::string revision_checksum(std::string_view content) {
  std::vector<std::string_view> lines = split_lines(content);
  for (std::string_view& line : lines) {
    while (!line.empty() && is_blank(line.back())) {
      line.remove_suffix(1);
    }
  }
  while (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
  }
  Sha256 hash;
  for (std::string_view line : lines) {
    hash.update(line);
    hash.update("\n");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "v1:";
  for (std::uint8_t byte : hash.finish()) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

std::vector<Revision> load_revisions(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw ScriptError(dir.string(), 0, "versions directory does not exist");
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());  // file-name order decides ties between branches
  std::vector<Revision> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    const std::string file = (dir / name).string();
    std::ifstream in(dir / name, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) {
      throw ScriptError(file, 0, "cannot read the file");
    }
    out.push_back(parse_revision(content.str(), file));
  }
  return out;
}

RevisionMap load_revision_map(const std::filesystem::path& dir) { return RevisionMap(load_revisions(dir)); }

}  // namespace retort::migrate
