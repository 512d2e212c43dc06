#include "migrate/runtime/sql_splitter.hpp"

#include <fmt/format.h>

#include "retort/migrate.hpp"

namespace retort::migrate {

namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_tag_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

std::string upper(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

class Splitter {
 public:
  Splitter(std::string_view text, SqlDialect dialect, int first_line, const std::string& file)
      : text_(text), dialect_(dialect), line_(first_line), file_(file) {}

  std::vector<SqlStatement> run();

 private:
  char at(std::size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw ScriptError(file_, line, what);
  }
  void begin_token();
  void finish(std::size_t end);
  void skip_line_comment();
  void skip_block_comment();
  void skip_quoted(char close, bool doubled_escape, bool backslash_escape, const char* what);
  bool try_dollar_quote();
  void on_word(const std::string& word);

  std::string_view text_;
  SqlDialect dialect_;
  int line_;
  const std::string& file_;
  std::size_t pos_ = 0;
  std::vector<SqlStatement> out_;

  // The statement being read.
  std::size_t start_ = std::string_view::npos;
  int start_line_ = 0;
  std::vector<std::string> words_;  // its first words, upper-cased
  bool block_statement_ = false;  // CREATE TRIGGER (SQLite) / CREATE ... BEGIN ATOMIC (PostgreSQL)
  int block_depth_ = 0;           // inside BEGIN ... END
  int case_depth_ = 0;            // CASE ... END inside the block
  bool block_closed_ = false;     // its END was read: the next ';' ends the statement
  std::string previous_word_;
};

std::vector<SqlStatement> Splitter::run() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\n') {
      ++line_;
      ++pos_;
    } else if (is_space(c)) {
      ++pos_;
    } else if (c == '-' && at(pos_ + 1) == '-') {
      skip_line_comment();
    } else if (c == '/' && at(pos_ + 1) == '*') {
      skip_block_comment();
    } else if (c == ';') {
      if (block_depth_ > 0 && !block_closed_) {
        ++pos_;  // a statement of the trigger/function body
      } else {
        finish(pos_);
        ++pos_;
      }
    } else {
      begin_token();
      const bool pg = dialect_ == SqlDialect::postgresql;
      if (c == '\'') {
        skip_quoted('\'', true, false, "string literal");
      } else if (c == '"') {
        skip_quoted('"', true, false, "quoted identifier");
      } else if (!pg && c == '`') {
        skip_quoted('`', true, false, "quoted identifier");
      } else if (!pg && c == '[') {
        skip_quoted(']', false, false, "bracketed identifier");
      } else if (pg && c == '$' && try_dollar_quote()) {
        // skipped
      } else if (is_word_char(c)) {
        std::size_t end = pos_;
        while (end < text_.size() && is_word_char(text_[end])) {
          ++end;
        }
        const std::string_view word = text_.substr(pos_, end - pos_);
        pos_ = end;
        if (pg && (word == "E" || word == "e") && at(pos_) == '\'') {
          skip_quoted('\'', true, true, "string literal");
        } else {
          on_word(upper(word));
        }
      } else {
        ++pos_;
      }
    }
  }
  finish(text_.size());
  return std::move(out_);
}

void Splitter::begin_token() {
  if (start_ == std::string_view::npos) {
    start_ = pos_;
    start_line_ = line_;
  }
}

void Splitter::finish(std::size_t end) {
  if (start_ != std::string_view::npos) {
    std::string_view sql = text_.substr(start_, end - start_);
    while (!sql.empty() && is_space(sql.back())) {
      sql.remove_suffix(1);
    }
    out_.push_back({std::string(sql), start_line_, start_});
  }
  start_ = std::string_view::npos;
  words_.clear();
  block_statement_ = false;
  block_depth_ = case_depth_ = 0;
  block_closed_ = false;
  previous_word_.clear();
}

void Splitter::skip_line_comment() {
  while (pos_ < text_.size() && text_[pos_] != '\n') {
    ++pos_;
  }
}

void Splitter::skip_block_comment() {
  const int opened = line_;
  int depth = 0;
  while (pos_ < text_.size()) {
    if (text_[pos_] == '/' && at(pos_ + 1) == '*') {
      ++depth;
      pos_ += 2;
    } else if (text_[pos_] == '*' && at(pos_ + 1) == '/') {
      pos_ += 2;
      if (--depth == 0) {
        return;
      }
    } else {
      line_ += text_[pos_] == '\n' ? 1 : 0;
      ++pos_;
    }
  }
  fail(opened, "unterminated /* comment");
}

// From the opening character at pos_ to just past the closing one.
void Splitter::skip_quoted(char close, bool doubled_escape, bool backslash_escape,
                           const char* what) {
  const int opened = line_;
  for (++pos_; pos_ < text_.size(); ++pos_) {
    const char c = text_[pos_];
    if (c == '\n') {
      ++line_;
    } else if (backslash_escape && c == '\\') {
      ++pos_;
      line_ += at(pos_) == '\n' ? 1 : 0;
    } else if (c == close) {
      if (doubled_escape && at(pos_ + 1) == close) {
        ++pos_;  // '' inside '...'
        continue;
      }
      ++pos_;
      return;
    }
  }
  fail(opened, fmt::format("unterminated {}", what));
}

// $$ or $tag$ at pos_: skips to the matching delimiter. False when this '$' opens no quote
// (a parameter such as $1).
bool Splitter::try_dollar_quote() {
  std::size_t end = pos_ + 1;
  if (end < text_.size() && is_tag_start(text_[end])) {
    while (end < text_.size() && is_word_char(text_[end]) && text_[end] != '$') {
      ++end;
    }
  }
  if (at(end) != '$') {
    return false;
  }
  const std::string_view delimiter = text_.substr(pos_, end + 1 - pos_);
  const std::size_t close = text_.find(delimiter, end + 1);
  if (close == std::string_view::npos) {
    fail(line_, fmt::format("unterminated dollar-quoted string {}", delimiter));
  }
  for (std::size_t i = pos_; i < close; ++i) {
    line_ += text_[i] == '\n' ? 1 : 0;
  }
  pos_ = close + delimiter.size();
  return true;
}

void Splitter::on_word(const std::string& word) {
  if (words_.size() < 3) {
    words_.push_back(word);
    // SQLite: CREATE [TEMP|TEMPORARY] TRIGGER has a BEGIN ... END body.
    const bool temp = words_.size() == 3 && (words_[1] == "TEMP" || words_[1] == "TEMPORARY");
    if (dialect_ == SqlDialect::sqlite && word == "TRIGGER" && words_[0] == "CREATE" &&
        (words_.size() == 2 || temp)) {
      block_statement_ = true;
    }
  }
  if (dialect_ == SqlDialect::sqlite && block_statement_ && block_depth_ == 0 && word == "BEGIN") {
    block_depth_ = 1;
  } else if (dialect_ == SqlDialect::postgresql && block_depth_ == 0 && word == "ATOMIC" &&
             previous_word_ == "BEGIN" && !words_.empty() && words_[0] == "CREATE") {
    block_depth_ = 1;  // CREATE FUNCTION ... BEGIN ATOMIC ...; END
  } else if (block_depth_ > 0 && !block_closed_) {
    if (word == "CASE") {
      ++case_depth_;
    } else if (word == "END") {
      if (case_depth_ > 0) {
        --case_depth_;
      } else {
        block_closed_ = true;
      }
    }
  }
  previous_word_ = word;
}

}  // namespace

std::vector<SqlStatement> split_sql(std::string_view text, SqlDialect dialect, int first_line,
                                    const std::string& file) {
  return Splitter(text, dialect, first_line, file).run();
}

}  // namespace retort::migrate
