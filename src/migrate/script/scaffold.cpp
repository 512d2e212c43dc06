#include "migrate/script/scaffold.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "core/text.hpp"
#include "migrate/script/environment.hpp"
#include "migrate/script/format.hpp"
#include "migrate/script/revision_cache.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

// A message on one header line: line breaks and tabs become spaces (a multi-line `-m` reads as
// one line, as Alembic's first docstring line does). Other control characters were refused.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Alembic's _catch_revision_errors around generate_revision's lookups.
template <class F>
auto command_errors(std::string_view multiple_heads, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const RevisionError& e) {
    if (e.kind() == RevisionErrorKind::multiple_heads) {
      throw RevisionError(e.kind(), std::string(multiple_heads), e.argument());
    }
    if (e.kind() == RevisionErrorKind::resolution) {
      throw RevisionError(e.kind(),
                          fmt::format("Can't locate revision identified by '{}'", e.argument()),
                          e.argument());
    }
    throw;
  }
}

fs::path normal(const fs::path& p) {
  return fs::absolute(p).lexically_normal();
}

struct LocalTime {
  std::tm tm{};
  long micros = 0;
  long long epoch = 0;
};

LocalTime local_now() {
  const auto now = std::chrono::system_clock::now();
  const auto since = now.time_since_epoch();
  LocalTime t;
  t.epoch = std::chrono::duration_cast<std::chrono::seconds>(since).count();
  t.micros = static_cast<long>(
      std::chrono::duration_cast<std::chrono::microseconds>(since).count() % 1'000'000);
  const std::time_t tt = static_cast<std::time_t>(t.epoch);
  localtime_r(&tt, &t.tm);
  return t;
}

}  // namespace

std::string new_revision_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id;
  for (int i = 0; i < 12; ++i) id.push_back("0123456789abcdef"[digit(rd)]);
  return id;
}

std::string slugify(std::string_view message, int truncate) {
  std::string slug;
  std::size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && !is_word_byte(static_cast<unsigned char>(message[i]))) ++i;
    if (i == message.size()) break;
    if (!slug.empty()) slug.push_back('_');
    while (i < message.size() && is_word_byte(static_cast<unsigned char>(message[i]))) {
      char c = message[i++];
      slug.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  if (slug.size() > static_cast<std::size_t>(truncate)) {
    std::string cut = slug.substr(0, static_cast<std::size_t>(truncate));
    const std::size_t last = cut.rfind('_');
    if (last != std::string::npos) cut.resize(last);
    slug = cut + "_";
  }
  return slug;
}

std::string format_file_template(std::string_view tmpl,
                                 const std::map<std::string, std::string>& strings,
                                 const std::map<std::string, long long>& numbers) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') {
      out.push_back(tmpl[i]);
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    const std::size_t close = tmpl.find(')', i);
    if (i + 1 >= tmpl.size() || tmpl[i + 1] != '(' || close == std::string_view::npos) {
      throw ConfigError(
          fmt::format("file_template '{}': expected %(name)s at position {}", tmpl, i));
    }
    const std::string key(tmpl.substr(i + 2, close - i - 2));
    std::size_t j = close + 1;
    bool zero = false;
    while (j < tmpl.size() && (tmpl[j] == '0' || tmpl[j] == '-')) zero = zero || tmpl[j++] == '0';
    std::size_t width = 0, precision = 0;
    while (j < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[j]))) {
      width = width * 10 + static_cast<std::size_t>(tmpl[j++] - '0');
    }
    if (j < tmpl.size() && tmpl[j] == '.') {
      ++j;
      while (j < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[j]))) {
        precision = precision * 10 + static_cast<std::size_t>(tmpl[j++] - '0');
      }
    }
    if (j >= tmpl.size() || (tmpl[j] != 's' && tmpl[j] != 'd')) {
      throw ConfigError(
          fmt::format("file_template '{}': %({}) needs a conversion s or d", tmpl, key));
    }
    std::string value;
    if (auto s = strings.find(key); s != strings.end()) {
      value = s->second;
    } else if (auto n = numbers.find(key); n != numbers.end()) {
      value = std::to_string(n->second);
      if (tmpl[j] == 'd' && value.size() < precision)
        value.insert(0, precision - value.size(), '0');
    } else {
      throw ConfigError(
          fmt::format("file_template '{}': unknown key '{}' (known: rev, slug, epoch, year, month, "
                      "day, hour, minute, second)",
                      tmpl, key));
    }
    if (value.size() < width) value.insert(0, width - value.size(), zero ? '0' : ' ');
    out += value;
    i = j;
  }
  return out;
}

std::string render_template(std::string_view text, const std::map<std::string, std::string>& values,
                            const std::string& file) {
  std::string out;
  int line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back(text[i]);
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      throw ConfigError(fmt::format("{}:{}: unterminated ${{...}} placeholder", file, line));
    }
    const std::string name(text.substr(i + 2, close - i - 2));
    auto it = values.find(name);
    if (it == values.end()) {
      std::string known;
      for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + ("${" + k + "}");
      throw ConfigError(
          fmt::format("{}:{}: unknown placeholder ${{{}}} (known: {})", file, line, name, known));
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::vector<TemplateInfo> list_templates() {
  std::vector<TemplateInfo> out;
  const fs::path dir = templates_dir();
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_directory()) continue;
    TemplateInfo t;
    t.name = e.path().filename().string();
    std::ifstream readme(e.path() / "README");
    std::getline(readme, t.synopsis);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const TemplateInfo& a, const TemplateInfo& b) { return a.name < b.name; });
  return out;
}

void write_new_file(const fs::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw ConfigError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw ConfigError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    throw ConfigError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

void init_environment(const fs::path& directory, const std::string& template_name,
                      const fs::path& config_file, const StatusFn& status,
                      const MessageFn& message) {
  std::error_code ec;
  const fs::path template_dir = templates_dir() / template_name;
  if (template_name.empty() || template_name.find('/') != std::string::npos ||
      !fs::is_directory(template_dir, ec)) {
    throw ConfigError(
        fmt::format("No such template '{}' (see `retort list_templates`)", template_name));
  }
  const fs::path config_abs = normal(config_file);
  if (fs::exists(config_abs, ec)) {
    throw ConfigError(
        fmt::format("File {} already exists: retort init writes a new one. Move it away, or add to "
                    "it by hand:\n"
                    "  [migrations]\n  script_location = \"{}\"",
                    config_abs.string(), directory.string()));
  }
  const fs::path dir_abs = normal(directory);
  if (fs::exists(dir_abs, ec) && !fs::is_empty(dir_abs, ec)) {
    throw ConfigError(
        fmt::format("Directory {} already exists and is not empty", dir_abs.string()));
  }
  if (!fs::exists(dir_abs, ec)) {
    status(fmt::format("Creating directory {}", dir_abs.string()),
           [&] { fs::create_directories(dir_abs); });
  }
  const fs::path versions = dir_abs / "versions";
  status(fmt::format("Creating directory {}", versions.string()),
         [&] { fs::create_directories(versions); });
  // The header cache (Settings::header_cache) is a build product, like __pycache__.
  write_new_file(versions / ".gitignore", std::string(HeaderCache::kDefaultName) + "\n");

  // script_location as the config file will read it: relative to the file's directory.
  const fs::path relative = dir_abs.lexically_proximate(config_abs.parent_path());
  std::vector<fs::directory_entry> entries{fs::directory_iterator(template_dir),
                                           fs::directory_iterator()};
  std::sort(entries.begin(), entries.end());
  for (const fs::directory_entry& e : entries) {
    const std::string name = e.path().filename().string();
    if (name == "retort.toml.tmpl") {
      std::string text = render_template(
          read_file(e.path()), {{"script_location", relative.generic_string()}}, e.path().string());
      status(fmt::format("Generating {}", config_abs.string()),
             [&] { write_new_file(config_abs, text); });
    } else if (name == "versions" && e.is_directory()) {
      std::vector<fs::path> files;
      for (const fs::directory_entry& v : fs::directory_iterator(e.path())) {
        if (v.is_regular_file() && v.path().filename().string().front() != '.')
          files.push_back(v.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        const fs::path target = versions / f.filename();
        std::string text = read_file(f);
        status(fmt::format("Generating {}", target.string()),
               [&] { write_new_file(target, text); });
      }
    } else if (e.is_regular_file() && name != "README") {
      // README describes the template itself (list_templates' synopsis): not the project's.
      const fs::path target = dir_abs / name;
      std::string text = read_file(e.path());
      status(fmt::format("Generating {}", target.string()), [&] { write_new_file(target, text); });
    }
  }
  message(
      fmt::format("Set the database in '{}' ([database] url) or with RETORT_DATABASE_URL, then "
                  "create the first "
                  "revision with `retort revision -m \"...\"`.",
                  config_abs.string()));
}

NewRevision prepare_revision(const Settings& settings, const RevisionMap& map,
                             const RevisionRequest& request) {
  NewRevision out;
  out.id = request.rev_id.value_or(new_revision_id());
  if (std::string why = invalid_revision_id_reason(out.id); !why.empty()) {
    throw UsageError(
        fmt::format("Revision id {} is not usable: it {}", text::printable(out.id), why));
  }
  if (const RevIndex existing = map.find(out.id); existing != kNone) {
    throw UsageError(
        fmt::format("Revision id '{}' already exists ({})", out.id, map.revision(existing).path));
  }
  for (const std::string& label : request.branch_labels) {
    if (std::string why = invalid_branch_label_reason(label); !why.empty()) {
      throw UsageError(
          fmt::format("Branch label {} is not usable: it {}", text::printable(label), why));
    }
  }
  if (auto bad = text::find_invalid_utf8(request.message)) {
    throw UsageError(fmt::format("The message is not valid UTF-8 (byte {})", *bad + 1));
  }
  if (std::string why = control_character_reason(one_line(request.message)); !why.empty()) {
    throw UsageError(fmt::format("The message {}", why));
  }
  const std::string multiple =
      "Multiple heads are present; please specify the head revision on which the new revision "
      "should be based, or "
      "perform a merge.";
  std::vector<RevIndex> heads = command_errors(multiple, [&] {
    return request.heads.size() == 1 ? map.get_revisions(std::string_view(request.heads.front()))
                                     : map.get_revisions(RevSpec::of(request.heads));
  });
  std::vector<RevIndex> parents;
  for (RevIndex h : heads) {
    if (h == kBaseMarker)
      throw UsageError("a new revision cannot be based on 'base' this way; use --head base");
    if (h == kNone) continue;
    if (std::find(parents.begin(), parents.end(), h) != parents.end()) {
      throw UsageError("Duplicate head revisions specified");
    }
    parents.push_back(h);
  }

  // The directory: --version-path, else the first parent's when there are several locations.
  const std::vector<fs::path> locations = settings.versions_dirs();
  fs::path version_path;
  if (request.version_path) {
    version_path = *request.version_path;
  } else if (locations.size() > 1) {
    if (parents.empty())
      throw UsageError("Multiple version locations present, please specify --version-path");
    version_path = fs::path(map.revision(parents.front()).path).parent_path();
  } else {
    version_path = locations.front();
  }
  const bool known = std::any_of(locations.begin(), locations.end(), [&](const fs::path& l) {
    return normal(l) == normal(version_path);
  });
  if (!known) {
    throw UsageError(fmt::format("Path {} is not represented in current version locations",
                                 normal(version_path).string()));
  }

  if (!request.splice) {
    for (RevIndex h : parents) {
      if (!map.children(h).empty()) {
        throw UsageError(
            fmt::format("Revision {} is not a head revision; please specify --splice to create a "
                        "new branch from this revision",
                        map.id(h)));
      }
    }
  }

  std::vector<std::string> depends;
  for (const std::string& dep : request.depends_on) {
    const RevIndex r = command_errors(multiple, [&] { return map.get_revision(dep); });
    if (r < 0) throw UsageError(fmt::format("Can't locate revision identified by '{}'", dep));
    const auto& labels = map.branch_labels(r);
    depends.push_back(std::find(labels.begin(), labels.end(), dep) != labels.end() ? dep
                                                                                   : map.id(r));
  }

  const LocalTime now = local_now();
  const std::string create_date = fmt::format(
      "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", now.tm.tm_year + 1900, now.tm.tm_mon + 1,
      now.tm.tm_mday, now.tm.tm_hour, now.tm.tm_min, now.tm.tm_sec, now.micros);
  const std::string message = request.message.empty() ? "empty message" : one_line(request.message);
  const std::string name = format_file_template(
      settings.file_template,
      {{"rev", out.id}, {"slug", slugify(request.message, settings.truncate_slug_length)}},
      {{"epoch", now.epoch},
       {"year", now.tm.tm_year + 1900},
       {"month", now.tm.tm_mon + 1},
       {"day", now.tm.tm_mday},
       {"hour", now.tm.tm_hour},
       {"minute", now.tm.tm_min},
       {"second", now.tm.tm_sec}});
  if (name.find('/') != std::string::npos) {
    throw ConfigError(fmt::format("file_template produced '{}', which is not a file name", name));
  }
  out.path = normal(version_path / (name + ".sql"));

  const fs::path template_path = settings.script_location / settings.revision_template;
  std::error_code ec;
  if (!fs::exists(template_path, ec)) {
    throw ConfigError(
        fmt::format("the revision template {} does not exist (revision_template in [migrations])",
                    template_path.string()));
  }
  std::vector<std::string> down = map.ids(parents);
  out.content = render_template(read_file(template_path),
                                {{"message", message},
                                 {"revision", out.id},
                                 {"down_revision", down.empty() ? "none" : comma(down)},
                                 {"branch_labels", comma(request.branch_labels)},
                                 {"depends_on", comma(depends)},
                                 {"create_date", create_date},
                                 {"upgrades", request.upgrades},
                                 {"downgrades", request.downgrades}},
                                template_path.string());
  if (!request.extra_headers.empty()) {
    const std::size_t first_line_end = out.content.find('\n');
    std::string headers;
    for (const std::string& h : request.extra_headers) headers += h + "\n";
    out.content.insert(
        first_line_end == std::string::npos ? out.content.size() : first_line_end + 1, headers);
  }
  if (!request.dialect_sections.empty()) {
    if (!out.content.empty() && out.content.back() != '\n') out.content += '\n';
    out.content += "\n" + request.dialect_sections;
  }

  // The file must parse and keep the graph valid (as Alembic loads the new script and adds it
  // to its map); checked before anything is written.
  Revision parsed = parse_revision(out.content, out.path.string());
  if (parsed.id != out.id) {
    throw ConfigError(
        fmt::format("the revision template {} does not write '-- Revision: ${{revision}}'",
                    template_path.string()));
  }
  if (!request.branch_labels.empty() && parsed.branch_labels.empty()) {
    throw ConfigError(fmt::format(
        "Version {} specified branch_labels {}, however the migration file {} does not have them; "
        "does the template "
        "{} write '-- Branch labels: ${{branch_labels}}'?",
        out.id, comma(request.branch_labels), out.path.string(), template_path.string()));
  }
  std::vector<Revision> all = map.revisions();
  all.push_back(std::move(parsed));
  RevisionMap check(std::move(all));
  return out;
}

}  // namespace retort::migrate
