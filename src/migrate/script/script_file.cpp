#include "migrate/script/script_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/text.hpp"
#include "migrate/script/lines.hpp"
#include "migrate/script/revision_cache.hpp"
#include "migrate/script/sha256.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

// NUL bytes and invalid UTF-8 are refused in the whole file, on both backends: SQLite's
// statement preparation stops at a NUL, so the statements after it would silently never run.
void require_plain_text(std::string_view content, const std::string& file,
                        std::string_view what_must_be) {
  std::optional<std::size_t> bad;
  std::string what;
  if (const std::size_t nul = content.find('\0'); nul != std::string_view::npos) {
    bad = nul;
    what = "a NUL byte";
  }
  if (auto invalid = text::find_invalid_utf8(content.substr(0, bad.value_or(content.size())))) {
    bad = invalid;
    what = "invalid UTF-8";
  }
  if (!bad) return;
  const std::string_view before = content.substr(0, *bad);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::size_t newline = before.rfind('\n');
  const std::size_t column = newline == std::string_view::npos ? *bad + 1 : *bad - newline;
  throw ScriptError(
      file, static_cast<int>(line),
      fmt::format("{} at byte {} of the line: {} must be UTF-8 text", what, column, what_must_be));
}

namespace {

constexpr std::string_view kFirstLine = "-- retort revision";

using detail::split_lines;
using detail::trim;

char lower_char(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive equality with a lowercase literal.
bool iequals(std::string_view s, std::string_view lower_literal) {
  if (s.size() != lower_literal.size()) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (lower_char(s[i]) != lower_literal[i]) {
      return false;
    }
  }
  return true;
}

// The header keys, in the order of Parser::header_lines_.
constexpr std::array<std::string_view, 8> kKeys = {
    "revision", "down revision", "branch labels", "depends on",
    "message",  "create date",   "transactional", "sqlite foreign keys"};
constexpr std::array<std::string_view, 3> kDialects = {"", "postgresql", "sqlite"};

class Parser {
 public:
  Parser(std::string_view content, const std::string& file, bool keep_sql)
      : lines_(split_lines(content)), file_(file), keep_sql_(keep_sql) {}
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
  bool keep_sql_;
  Revision rev_;
  std::array<std::size_t, kKeys.size()> header_lines_{};  // 1-based line of each key, 0: absent
  std::array<std::size_t, 2 * kDialects.size()> section_lines_{};  // per (direction, dialect)
};

std::vector<std::string> Parser::list(std::size_t index, std::string_view value,
                                      bool none_allowed) const {
  std::vector<std::string> out;
  if (value.empty() || (none_allowed && iequals(value, "none"))) {
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
  const std::string_view key = trim(body.substr(0, colon));
  const std::string_view value = trim(body.substr(colon + 1));
  const auto which =
      static_cast<std::size_t>(std::find_if(kKeys.begin(), kKeys.end(),
                                            [&](std::string_view k) { return iequals(key, k); }) -
                               kKeys.begin());
  if (which == kKeys.size()) {
    fail(index, fmt::format("unknown header key '{}'", key));
  }
  if (header_lines_[which] != 0) {
    fail(index, fmt::format("header '{}' appears twice (first on line {})", kKeys[which],
                            header_lines_[which]));
  }
  header_lines_[which] = index + 1;
  const int line = static_cast<int>(index + 1);
  switch (which) {
    case 0:
      if (value.empty()) {
        fail(index, "empty Revision header");
      }
      rev_.id = std::string(value);
      rev_.lines.revision = line;
      break;
    case 1:
      rev_.down_revisions = list(index, value, true);
      rev_.lines.down_revision = line;
      break;
    case 2:
      rev_.branch_labels = list(index, value, true);
      rev_.lines.branch_labels = line;
      break;
    case 3:
      rev_.depends_on = list(index, value, true);
      rev_.lines.depends_on = line;
      break;
    case 4:
    case 5:
      if (std::string why = control_character_reason(value); !why.empty()) {
        fail(index, fmt::format("the {} header {}", which == 4 ? "Message" : "Create date", why));
      }
      (which == 4 ? rev_.message : rev_.create_date) = std::string(value);
      break;
    case 7:
      if (!iequals(value, "on") && !iequals(value, "off")) {
        fail(index, fmt::format("SQLite foreign keys must be on or off, not '{}'", value));
      }
      rev_.sqlite_foreign_keys_off = iequals(value, "off");
      break;
    default:
      if (!iequals(value, "true") && !iequals(value, "false")) {
        fail(index, fmt::format("Transactional must be true or false, not '{}'", value));
      }
      rev_.transactional = iequals(value, "true");
  }
}

void Parser::section_marker(std::size_t index, std::string_view text) {
  std::string_view rest = text.substr(4);  // after "-- +"
  const std::size_t space = rest.find_first_of(" \t");
  const std::string_view word = rest.substr(0, space);
  const std::string_view dialect =
      space == std::string_view::npos ? std::string_view() : trim(rest.substr(space));
  Section s;
  if (iequals(word, "upgrade")) {
    s.direction = Direction::upgrade;
  } else if (iequals(word, "downgrade")) {
    s.direction = Direction::downgrade;
  } else {
    fail(index,
         fmt::format("unknown section marker '-- +{}' (expected upgrade or downgrade)", word));
  }
  const auto d = static_cast<std::size_t>(
      std::find_if(kDialects.begin(), kDialects.end(),
                   [&](std::string_view k) { return iequals(dialect, k); }) -
      kDialects.begin());
  if (d == kDialects.size()) {
    fail(index, fmt::format("unknown dialect '{}' (expected postgresql or sqlite)", dialect));
  }
  std::size_t& seen =
      section_lines_[(s.direction == Direction::upgrade ? 0 : kDialects.size()) + d];
  if (seen != 0) {
    fail(index, fmt::format("duplicate section '{}' (first on line {})", trim(text), seen));
  }
  seen = index + 1;
  s.dialect = std::string(kDialects[d]);
  s.line = static_cast<int>(index + 2);
  rev_.sections.push_back(std::move(s));
}

Revision Parser::parse(std::string_view content) {
  require_plain_text(content, file_, "revision files");
  std::string_view first = lines_.empty() ? std::string_view() : trim(lines_.front());
  if (first.substr(0, 3) == "\xEF\xBB\xBF") {
    first.remove_prefix(3);  // a UTF-8 byte order mark
  }
  if (first != kFirstLine) {
    throw ScriptError(file_, 1,
                      fmt::format("missing header: the first line must be '{}'", kFirstLine));
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
  if (header_lines_[1] == 0) {
    // Without it the file would silently become a new base (a second head).
    throw ScriptError(file_, 1,
                      "missing 'Down revision:' header (write '-- Down revision: none' for a "
                      "first revision)");
  }
  for (; i < lines_.size(); ++i) {
    const std::string_view t = trim(lines_[i]);
    if (t.substr(0, 4) == "-- +") {
      section_marker(i, t);
    } else if (!rev_.sections.empty()) {
      if (keep_sql_) {
        rev_.sections.back().sql.append(lines_[i]).push_back('\n');
      }
    } else if (!t.empty()) {
      fail(i, "text outside a section");
    }
  }
  rev_.checksum = revision_checksum(content);
  rev_.checksum_v1 = revision_checksum_v1(content);
  return std::move(rev_);
}

}  // namespace

Revision parse_revision(std::string_view content, const std::string& file, bool keep_sql) {
  return Parser(content, file, keep_sql).parse(content);
}

namespace {

// Owns a file descriptor or a DIR*.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};
struct Dir {
  DIR* dir = nullptr;
  ~Dir() {
    if (dir != nullptr) {
      ::closedir(dir);
    }
  }
};

bool is_sql_name(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".sql";
}

// One openat/fstat/read/close per file: opening relative to the directory's descriptor spares
// the kernel a full path walk per file, which is most of the cost of loading thousands.
std::string read_at(int dir_fd, const std::string& name, const std::string& path) {
  Fd f{::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0) {
    throw ScriptError(path, 0, fmt::format("cannot read the file: {}", std::strerror(errno)));
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  for (;;) {
    if (done == content.size()) {
      content.resize(content.size() + 4096);  // the file grew since fstat
    }
    const ssize_t n = ::read(f.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw ScriptError(path, 0, fmt::format("cannot read the file: {}", std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  return content;
}

}  // namespace

namespace {

FileStamp stamp_of(const struct stat& st) {
  return {static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec,
          static_cast<std::uint64_t>(st.st_ino)};
}

// The *.sql entries of a directory, sorted, and whether each one's type is still unknown.
std::vector<std::pair<std::string, bool>> list_sql_files(DIR* dir) {
  std::vector<std::pair<std::string, bool>> names;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (!is_sql_name(name) || name.front() == '.') {
      continue;
    }
    if (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN && entry->d_type != DT_LNK) {
      continue;  // directories and devices named *.sql
    }
    names.emplace_back(name, entry->d_type != DT_REG);
  }
  std::sort(names.begin(), names.end());  // file-name order decides ties between branches
  return names;
}

}  // namespace

std::vector<Revision> load_revisions(const std::filesystem::path& dir, const LoadOptions& options) {
  const std::string dir_name = dir.string();
  Dir d{::opendir(dir_name.c_str())};
  if (d.dir == nullptr) {
    throw ScriptError(dir_name, 0,
                      fmt::format("cannot open the versions directory: {}", std::strerror(errno)));
  }
  const std::vector<std::pair<std::string, bool>> names = list_sql_files(d.dir);
  const bool cached = !options.sections && !options.cache.empty();
  std::optional<HeaderCache> cache;
  if (cached) {
    cache.emplace(options.cache);
  }
  std::vector<Revision> out;
  out.reserve(names.size());
  const int dir_fd = ::dirfd(d.dir);
  const std::string prefix = dir_name.empty() || dir_name.back() == '/' ? dir_name : dir_name + "/";
  // Stats first (what validates the cache), on two threads for big directories: one fstatat
  // per file is most of a cached load, and it is kernel time that overlaps well.
  std::vector<struct stat> stats(names.size());
  std::vector<char> stat_ok(names.size(), 0);
  auto stat_range = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (cached || names[i].second) {
        stat_ok[i] = ::fstatat(dir_fd, names[i].first.c_str(), &stats[i], 0) == 0;
      }
    }
  };
  if (cached && names.size() >= 2048) {
    std::thread helper(stat_range, names.size() / 2, names.size());
    stat_range(0, names.size() / 2);
    helper.join();
  } else {
    stat_range(0, names.size());
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i].first;
    if (stat_ok[i] && !S_ISREG(stats[i].st_mode)) {
      continue;  // a symlink to something else than a file
    }
    const std::string path = prefix + name;
    if (cached && stat_ok[i]) {
      Revision hit;
      if (cache->find(name, stamp_of(stats[i]), hit)) {
        hit.path = path;
        out.push_back(std::move(hit));
        continue;
      }
    }
    out.push_back(parse_revision(read_at(dir_fd, name, path), path, options.sections));
    if (cached && stat_ok[i]) {
      cache->store(name, stamp_of(stats[i]), out.back());
    }
  }
  if (cached) {
    cache->save();
  }
  return out;
}

RevisionMap load_revision_map(const std::filesystem::path& dir, const LoadOptions& options) {
  return RevisionMap(load_revisions(dir, options));
}

void load_sections(Revision& revision) {
  Revision full =
      parse_revision(read_at(AT_FDCWD, revision.path, revision.path), revision.path, true);
  // Both versions: v2 alone would let a comment edit shift the lines the runner reports.
  if (full.id != revision.id || full.checksum != revision.checksum ||
      full.checksum_v1 != revision.checksum_v1) {
    throw ScriptError(revision.path, 0,
                      fmt::format("changed since it was loaded (revision {}, checksum {}, now {})",
                                  revision.id, revision.checksum, full.checksum));
  }
  revision.sections = std::move(full.sections);
}

}  // namespace retort::migrate
