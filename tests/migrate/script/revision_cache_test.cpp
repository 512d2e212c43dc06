// Headers-only loads, the header cache and load_sections.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "migrate/graph/graph_helpers.hpp"
#include "migrate/script/revision_cache.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

void write(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string file(const std::string& id, const std::string& down, const std::string& message) {
  return "-- retort revision\n-- Revision: " + id + "\n-- Down revision: " + down +
         "\n-- Message: " + message + "\n\n-- +upgrade\nCREATE TABLE t_" + id +
         " (x INT);\n-- +downgrade sqlite\nDROP TABLE t_" + id + ";\n";
}

FileStamp stamp(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return {static_cast<std::int64_t>(st.st_size),
          st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec,
          st.st_ctim.tv_sec * 1'000'000'000 + st.st_ctim.tv_nsec,
          static_cast<std::uint64_t>(st.st_ino)};
}

TEST(HeaderEncoding, RoundTripsEveryField) {
  Revision r = parse_revision(file("abcd", "a1, b2", "tabs\tand \\ backslashes"), "x.sql");
  r.branch_labels = {"billing", "core"};
  r.depends_on = {"ffff"};
  r.transactional = false;
  r.sqlite_foreign_keys_off = true;
  Revision back;
  ASSERT_TRUE(decode_header(encode_header(r), back));
  EXPECT_EQ(back.id, "abcd");
  EXPECT_EQ(back.down_revisions, r.down_revisions);
  EXPECT_EQ(back.branch_labels, r.branch_labels);
  EXPECT_EQ(back.depends_on, r.depends_on);
  EXPECT_EQ(back.message, "tabs\tand \\ backslashes");
  EXPECT_FALSE(back.transactional);
  EXPECT_TRUE(back.sqlite_foreign_keys_off);
  EXPECT_EQ(back.lines.revision, r.lines.revision);
  EXPECT_EQ(back.lines.down_revision, 3);
  ASSERT_EQ(back.sections.size(), 2u);
  EXPECT_EQ(back.sections[1].dialect, "sqlite");
  EXPECT_EQ(back.sections[1].direction, Direction::downgrade);
  EXPECT_EQ(back.sections[1].line, r.sections[1].line);
  EXPECT_TRUE(back.sections[0].sql.empty());
  EXPECT_EQ(back.checksum, r.checksum);
  EXPECT_EQ(back.checksum_v1, r.checksum_v1);
  ASSERT_TRUE(decode_header("abcd\t\t\t\t\t\t1\t1,2,3,4\t\tv2:x\tv1:y", back));
  EXPECT_EQ(back.checksum, "v2:x");
  EXPECT_EQ(back.checksum_v1, "v1:y");
  for (const char* bad :
       {"", "abcd", "abcd\t\t\t\t\t\t1\t1,2,3,4\t\tv2:x", "abcd\t\t\t\t\t\t1\t1,2,3,4\t\tv2:x\t",
        "abcd\t\t\t\t\t\t4\t1,2,3,4\t\tv1:x", "abcd\t\t\t\t\t\t1\t1,2,3\t\tv1:x",
        "abcd\t\t\t\t\t\t1\t1,2,3,4\tx:sqlite:3\tv1:x"}) {
    EXPECT_FALSE(decode_header(bad, back)) << bad;
  }
}

TEST(HeaderCache, HitsOnlyForUnchangedStampsAndNeverStoresRacyEntries) {
  testing::ScratchDir dir;
  const auto cache_file = dir / "cache";
  Revision r = parse_revision(file("abcd", "none", "m"), "x.sql", false);
  const FileStamp old{10, 1'000'000'000, 1'000'000'000, 7};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const FileStamp fresh{10, now, now, 8};
  {
    HeaderCache cache(cache_file);
    Revision out;
    EXPECT_FALSE(cache.find("a.sql", old, out));
    cache.store("a.sql", old, r);
    cache.store("b.sql", fresh, r);
    cache.save();
  }
  HeaderCache cache(cache_file);
  Revision out;
  EXPECT_TRUE(cache.find("a.sql", old, out));
  EXPECT_EQ(out.id, "abcd");
  EXPECT_FALSE(cache.find("b.sql", fresh, out));  // too young to be trusted: not written
  FileStamp edited = old;
  edited.ctime_ns += 1;
  EXPECT_FALSE(cache.find("a.sql", edited, out));
}

TEST(HeaderCache, CorruptCachesAreIgnored) {
  testing::ScratchDir dir;
  for (const char* junk :
       {"", "not a cache\n", "retort-revision-cache 1\na.sql\t1\t2\n",
        "retort-revision-cache 1\na.sql\tx\t2\t3\t4\tabcd\t\t\t\t\t\t1\t1,2,3,4\t\tv1:x\n"}) {
    write(dir / "cache", junk);
    HeaderCache cache(dir / "cache");
    Revision out;
    EXPECT_FALSE(cache.find("a.sql", FileStamp{1, 2, 3, 4}, out)) << junk;
  }
}

TEST(HeadersOnlyLoad, UsesTheCacheForUnchangedFilesAndRereadsEditedOnes) {
  testing::ScratchDir dir;
  write(dir / "aaaa_a.sql", file("aaaa", "none", "first"));
  write(dir / "bbbb_b.sql", file("bbbb", "aaaa", "second"));
  const LoadOptions options{.sections = false, .cache = dir / HeaderCache::kDefaultName};

  auto revs = load_revisions(dir.path(), options);
  ASSERT_EQ(revs.size(), 2u);  // the cache file itself is not a revision
  EXPECT_TRUE(revs[0].sections.at(0).sql.empty());
  EXPECT_EQ(revs[1].sections.size(), 2u);

  // Fresh files are never cached (racy), so plant an entry with the real stamp and a marked
  // message: a cache hit returns the marked header.
  Revision planted = revs[0];
  planted.message = "from the cache";
  write(options.cache,
        fmt::format("retort-revision-cache 2\naaaa_a.sql\t{}\t{}\t{}\t{}\t{}\n",
                    stamp(dir / "aaaa_a.sql").size, stamp(dir / "aaaa_a.sql").mtime_ns,
                    stamp(dir / "aaaa_a.sql").ctime_ns, stamp(dir / "aaaa_a.sql").inode,
                    encode_header(planted)));
  revs = load_revisions(dir.path(), options);
  EXPECT_EQ(revs[0].message, "from the cache");
  EXPECT_EQ(revs[0].path, (dir / "aaaa_a.sql").string());
  EXPECT_EQ(revs[1].message, "second");

  // Editing the file changes its stamp: the cache entry is no longer used.
  write(dir / "aaaa_a.sql", file("aaaa", "none", "edited"));
  revs = load_revisions(dir.path(), options);
  EXPECT_EQ(revs[0].message, "edited");

  // Full loads never use the cache.
  write(options.cache,
        fmt::format("retort-revision-cache 2\naaaa_a.sql\t{}\t{}\t{}\t{}\t{}\n",
                    stamp(dir / "aaaa_a.sql").size, stamp(dir / "aaaa_a.sql").mtime_ns,
                    stamp(dir / "aaaa_a.sql").ctime_ns, stamp(dir / "aaaa_a.sql").inode,
                    encode_header(planted)));
  EXPECT_EQ(load_revisions(dir.path(), {.cache = options.cache})[0].message, "edited");
}

TEST(HeadersOnlyLoad, LoadSectionsFetchesTheSqlAndChecksTheChecksum) {
  testing::ScratchDir dir;
  write(dir / "aaaa_a.sql", file("aaaa", "none", "first"));
  RevisionMap map = load_revision_map(dir.path(), {.sections = false});
  Revision r = map.revision(0);
  load_sections(r);
  ASSERT_EQ(r.sections.size(), 2u);
  EXPECT_EQ(r.sections[0].sql, "CREATE TABLE t_aaaa (x INT);\n");

  Revision stale = map.revision(0);
  write(dir / "aaaa_a.sql", file("aaaa", "none", "changed since"));
  try {
    load_sections(stale);
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_NE(std::string(e.what()).find("changed since it was loaded"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace retort::migrate
