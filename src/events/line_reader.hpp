// Reads lines from a stream holding at most max_bytes + 1 bytes of a line in memory: a longer
// line is skipped to its end and reported as too long.
#pragma once

#include <cstddef>
#include <cstring>
#include <istream>
#include <string>
#include <vector>

namespace retort::events {

class LineReader {
 public:
  struct Line {
    std::string text;  // without the '\n'; empty when too_long
    bool too_long = false;
    std::size_t full_size = 0;  // the line's length in bytes (counted even when too long)
  };

  LineReader(std::istream& in, std::size_t max_bytes) : in_(&in), max_bytes_(max_bytes) {
    buffer_.resize(64 * 1024);
  }

  // The next line; false at the end of the input.
  bool next(Line& line) {
    line.text.clear();
    line.too_long = false;
    line.full_size = 0;
    bool any = false;
    while (true) {
      if (pos_ == end_) {
        if (!fill()) return any;
      }
      any = true;
      const char* start = buffer_.data() + pos_;
      const char* stop = buffer_.data() + end_;
      const char* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      const char* piece_end = newline != nullptr ? newline : stop;
      const std::size_t piece = static_cast<std::size_t>(piece_end - start);
      line.full_size += piece;
      // One byte of slack for a '\r' before the '\n'.
      if (!line.too_long && line.full_size > max_bytes_ + 1) {
        line.too_long = true;
        line.text.clear();
        line.text.shrink_to_fit();
      }
      if (!line.too_long) line.text.append(start, piece);
      pos_ += piece;
      if (newline != nullptr) {
        ++pos_;
        return true;
      }
    }
  }

 private:
  bool fill() {
    if (!*in_) return false;
    in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    pos_ = 0;
    end_ = static_cast<std::size_t>(in_->gcount());
    return end_ > 0;
  }

  std::istream* in_;
  std::size_t max_bytes_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

}  // namespace retort::events
