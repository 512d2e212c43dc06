#include "migrate/script/revision_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include <fmt/format.h>

namespace retort::migrate {

namespace {

constexpr std::string_view kMagic = "retort-revision-cache 2";
constexpr std::int64_t kRacyNs = 2'000'000'000;  // entries younger than this are not written

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) {
      return false;
    }
    switch (s[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        return false;
    }
  }
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += escape(item);
  }
  return out;
}

bool number(std::string_view s, std::int64_t& out) {
  if (s.empty()) {
    return false;
  }
  out = 0;
  bool negative = s.front() == '-';
  for (char c : s.substr(negative ? 1 : 0)) {
    if (c < '0' || c > '9') {
      return false;
    }
    out = out * 10 + (c - '0');
  }
  out = negative ? -out : out;
  return true;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string encode_header(const Revision& r) {
  std::string sections;
  for (const Section& s : r.sections) {
    sections += fmt::format("{}{}:{}:{}", sections.empty() ? "" : ";",
                            s.direction == Direction::upgrade ? 'u' : 'd', s.dialect, s.line);
  }
  return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{},{},{},{}\t{}\t{}\t{}", escape(r.id),
                     join(r.down_revisions), join(r.branch_labels), join(r.depends_on),
                     escape(r.message), escape(r.create_date),
                     (r.transactional ? 1 : 0) | (r.sqlite_foreign_keys_off ? 2 : 0),
                     r.lines.revision, r.lines.down_revision, r.lines.branch_labels,
                     r.lines.depends_on, sections, r.checksum, r.checksum_v1);
}

namespace {

// Cuts the next `sep`-terminated field off `rest` (the last field has no separator).
std::string_view next_field(std::string_view& rest, char sep) {
  const std::size_t end = rest.find(sep);
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return field;
}

bool text_field(std::string_view& rest, std::string& out) {
  const std::string_view field = next_field(rest, '\t');
  if (field.find('\\') == std::string_view::npos) {
    out.assign(field);  // the common case: nothing escaped
    return true;
  }
  return unescape(field, out);
}

bool list_field(std::string_view& rest, std::vector<std::string>& out) {
  std::string_view field = next_field(rest, '\t');
  out.clear();
  while (!field.empty()) {
    if (!unescape(next_field(field, ','), out.emplace_back())) {
      return false;
    }
  }
  return true;
}

bool int_field(std::string_view& rest, char sep, int& out) {
  std::int64_t v = 0;
  if (!number(next_field(rest, sep), v)) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

}  // namespace

bool decode_header(std::string_view text, Revision& r) {
  std::string_view rest = text;
  if (!text_field(rest, r.id) || !list_field(rest, r.down_revisions) ||
      !list_field(rest, r.branch_labels) || !list_field(rest, r.depends_on) ||
      !text_field(rest, r.message) || !text_field(rest, r.create_date)) {
    return false;
  }
  const std::string_view flag = next_field(rest, '\t');
  // Bit 0: transactional; bit 1: SQLite foreign keys off.
  if (flag.size() != 1 || flag[0] < '0' || flag[0] > '3') {
    return false;
  }
  r.transactional = ((flag[0] - '0') & 1) != 0;
  r.sqlite_foreign_keys_off = ((flag[0] - '0') & 2) != 0;
  std::string_view lines = next_field(rest, '\t');
  if (!int_field(lines, ',', r.lines.revision) || !int_field(lines, ',', r.lines.down_revision) ||
      !int_field(lines, ',', r.lines.branch_labels) || !int_field(lines, ',', r.lines.depends_on) ||
      !lines.empty()) {
    return false;
  }
  std::string_view sections = next_field(rest, '\t');
  r.sections.clear();
  while (!sections.empty()) {
    std::string_view item = next_field(sections, ';');
    const std::string_view dir = next_field(item, ':');
    const std::string_view dialect = next_field(item, ':');
    Section& s = r.sections.emplace_back();
    if ((dir != "u" && dir != "d") || !int_field(item, ':', s.line)) {
      return false;
    }
    s.direction = dir == "u" ? Direction::upgrade : Direction::downgrade;
    s.dialect = std::string(dialect);
  }
  r.checksum = std::string(next_field(rest, '\t'));
  if (r.checksum.empty() || rest.empty() || rest.find('\t') != std::string_view::npos) {
    return false;
  }
  r.checksum_v1 = std::string(rest);
  return true;
}

HeaderCache::HeaderCache(std::filesystem::path file) : file_(std::move(file)) {
  {
    const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0) {
      return;  // no cache yet: everything is parsed
    }
    if (::fstat(fd, &st) == 0) {
      content_.resize(static_cast<std::size_t>(st.st_size));
      const ssize_t n = ::read(fd, content_.data(), content_.size());
      content_.resize(n < 0 ? 0 : static_cast<std::size_t>(n));  // a short read only loses entries
    }
    ::close(fd);
  }
  std::string_view rest = content_;
  auto next_line = [&rest]() {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return line;
  };
  if (next_line() != kMagic) {
    return;  // another format: ignored
  }
  while (!rest.empty()) {
    const std::string_view line = next_line();
    Entry e;
    std::int64_t field[4];
    std::size_t at = 0;
    bool ok = true;
    for (int i = 0; i < 5 && ok; ++i) {  // name, size, mtime, ctime, inode
      const std::size_t tab = line.find('\t', at);
      ok = tab != std::string_view::npos &&
           (i == 0 || number(line.substr(at, tab - at), field[i - 1]));
      if (ok && i == 0) {
        e.name = line.substr(0, tab);
      }
      at = tab + 1;
    }
    if (!ok || e.name.find('\\') != std::string_view::npos) {
      entries_.clear();
      return;  // malformed: ignore the whole cache
    }
    e.stamp = {field[0], field[1], field[2], static_cast<std::uint64_t>(field[3])};
    e.header = line.substr(at);
    entries_.push_back(e);
  }
  auto by_name = [](const Entry& a, const Entry& b) { return a.name < b.name; };
  if (!std::is_sorted(entries_.begin(), entries_.end(), by_name)) {  // save() writes them sorted
    std::sort(entries_.begin(), entries_.end(), by_name);
  }
}

bool HeaderCache::find(const std::string& name, const FileStamp& stamp, Revision& out) {
  // Files come in name order, like the entries: the next entry is usually the one.
  auto it = entries_.begin() + static_cast<std::ptrdiff_t>(std::min(cursor_, entries_.size()));
  if (it == entries_.end() || it->name != name) {
    it = std::lower_bound(entries_.begin(), entries_.end(), std::string_view(name),
                          [](const Entry& e, std::string_view n) { return e.name < n; });
  }
  cursor_ = static_cast<std::size_t>(it - entries_.begin()) + 1;
  if (it == entries_.end() || it->name != name || !(it->stamp == stamp) ||
      !decode_header(it->header, out)) {
    changed_ = true;
    return false;
  }
  it->used = true;
  return true;
}

void HeaderCache::store(const std::string& name, const FileStamp& stamp, const Revision& revision) {
  changed_ = true;
  stored_.emplace_back(name, encode_header(revision));
  stored_stamps_.push_back(stamp);
}

void HeaderCache::save() const {
  const bool dropped =
      std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.used; });
  if (!changed_ && !dropped) {
    return;
  }
  const std::int64_t settled = now_ns() - kRacyNs;
  std::string out(kMagic);
  out += '\n';
  auto write = [&](std::string_view name, const FileStamp& s, std::string_view header) {
    if (s.mtime_ns < settled && s.ctime_ns < settled &&
        name.find_first_of("\t\n\\") == std::string_view::npos) {
      out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", name, s.size, s.mtime_ns, s.ctime_ns, s.inode,
                         header);
    }
  };
  for (const Entry& e : entries_) {
    if (e.used) {
      write(e.name, e.stamp, e.header);
    }
  }
  for (std::size_t i = 0; i < stored_.size(); ++i) {
    write(stored_[i].first, stored_stamps_[i], stored_[i].second);
  }
  // Write beside and rename: readers see the old cache or the new one, never half of one.
  const std::filesystem::path tmp = file_.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << out;
    if (!f.flush()) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
  }
}

}  // namespace retort::migrate
