// A cache of parsed revision headers, so that commands which need only the graph (heads,
// history, plans) do not open every revision file on every run.
//
// One text file per versions directory. An entry is used only when the file's size, mtime,
// ctime and inode are all unchanged, and entries for files changed in the last two seconds
// are never written (a later edit within the same timestamp tick could otherwise go unseen:
// git's "racy" rule). A missing, unreadable or malformed cache is ignored; failing to write
// it is not an error. The cache holds no SQL: Section::sql stays empty in headers-only loads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/revision.hpp"

namespace retort::migrate {

struct FileStamp {
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

class HeaderCache {
 public:
  explicit HeaderCache(std::filesystem::path file);  // reads the cache (if any)

  // The cached header of `name` when its stamp is unchanged (the revision is decoded into
  // `out`, whose path is not set), else false.
  bool find(const std::string& name, const FileStamp& stamp, Revision& out);
  // Records a freshly parsed header.
  void store(const std::string& name, const FileStamp& stamp, const Revision& revision);
  // Writes the entries used or stored since construction, if anything changed.
  void save() const;

  static constexpr const char* kDefaultName = ".retort-cache";

 private:
  // An entry as read: views into content_, sorted by name.
  struct Entry {
    std::string_view name;
    FileStamp stamp;
    std::string_view header;  // the encoded revision
    bool used = false;
  };
  std::filesystem::path file_;
  std::string content_;
  std::vector<Entry> entries_;
  std::size_t cursor_ = 0;                                   // where the next lookup is expected
  std::vector<std::pair<std::string, std::string>> stored_;  // name, "stamp\theader" of new parses
  std::vector<FileStamp> stored_stamps_;
  bool changed_ = false;
};

// One cache line's revision fields (exposed for tests).
std::string encode_header(const Revision& r);
bool decode_header(std::string_view text, Revision& r);

}  // namespace retort::migrate
