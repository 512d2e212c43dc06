#include "migrate/graph/revision.hpp"

#include <array>

#include <fmt/format.h>

#include "core/text.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

namespace {

constexpr std::array<std::string_view, 4> kSymbols = {"head", "heads", "base", "current"};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Code points of valid UTF-8 (continuation bytes are not counted).
std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string common_reason(std::string_view text) {
  if (text.empty()) {
    return "is empty";
  }
  // Whitespace and commas before the first unprintable byte are named as such; a newline or a
  // tab is whitespace too, whatever else the text holds.
  const std::optional<text::UnprintableByte> bad = text::find_unprintable(text);
  const std::size_t end = bad ? bad->offset : text.size();
  for (std::size_t i = 0; i <= end && i < text.size(); ++i) {
    if (is_space(text[i])) {
      return "contains whitespace";
    }
    if (i < end && text[i] == ',') {
      return "contains ','";
    }
  }
  if (bad) {
    return fmt::format("contains {} (byte {})", bad->description, bad->offset + 1);
  }
  for (std::string_view symbol : kSymbols) {
    if (text == symbol) {
      return fmt::format("is the reserved symbol '{}'", symbol);
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(RevisionErrorKind kind) noexcept {
  switch (kind) {
    case RevisionErrorKind::resolution:
      return "resolution";
    case RevisionErrorKind::multiple_heads:
      return "multiple_heads";
    case RevisionErrorKind::range:
      return "range";
    case RevisionErrorKind::revision:
      return "revision";
    case RevisionErrorKind::cycle:
      return "cycle";
    case RevisionErrorKind::dependency_cycle:
      return "dependency_cycle";
    case RevisionErrorKind::self_loop:
      return "self_loop";
    case RevisionErrorKind::dependency_self_loop:
      return "dependency_self_loop";
    case RevisionErrorKind::version_table:
      return "version_table";
    case RevisionErrorKind::unsupported:
      return "unsupported";
  }
  return "unknown";
}

ScriptError::ScriptError(std::string file, int line, const std::string& reason)
    : Error(line > 0 ? fmt::format("{}:{}: {}", file, line, reason)
                     : fmt::format("{}: {}", file, reason)),
      file_(std::move(file)),
      line_(line),
      reason_(reason) {}

std::vector<const Section*> Revision::sections_for(Direction direction,
                                                   std::string_view dialect) const {
  std::vector<const Section*> out;
  for (const Section& s : sections) {
    if (s.direction == direction && s.dialect.empty()) {
      out.push_back(&s);
    }
  }
  for (const Section& s : sections) {
    if (s.direction == direction && !s.dialect.empty() && s.dialect == dialect) {
      out.push_back(&s);
    }
  }
  return out;
}

std::string invalid_revision_id_reason(std::string_view id) {
  std::string reason = common_reason(id);
  if (!reason.empty()) {
    return reason;
  }
  if (code_points(id) > kMaxRevisionIdLength) {
    return fmt::format("is longer than {} characters (the version table's column)",
                       kMaxRevisionIdLength);
  }
  for (char c : std::string_view("@-+:")) {
    if (id.find(c) != std::string_view::npos) {
      return fmt::format("contains '{}'", c);
    }
  }
  return {};
}

std::string control_character_reason(std::string_view text) {
  if (auto bad = text::find_unprintable(text, "\t")) {
    return fmt::format("contains {} (byte {})", bad->description, bad->offset + 1);
  }
  return {};
}

std::string invalid_branch_label_reason(std::string_view label) {
  std::string reason = common_reason(label);
  if (reason.empty() && label.find('@') != std::string_view::npos) {
    reason = "contains '@'";
  }
  return reason;
}

}  // namespace retort::migrate
