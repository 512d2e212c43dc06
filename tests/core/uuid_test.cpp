#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "retort/error.hpp"
#include "retort/value.hpp"

namespace retort {
namespace {

TEST(Uuid, ParsesAndPrintsCanonicalForm) {
  const Uuid u = Uuid::parse("0189F7E1-2B3C-7D4E-8F60-123456789ABC");
  EXPECT_EQ(u.to_string(), "0189f7e1-2b3c-7d4e-8f60-123456789abc");
  EXPECT_EQ(u.version(), 7);
  EXPECT_EQ(Uuid::parse("{0189f7e1-2b3c-7d4e-8f60-123456789abc}"), u);
  EXPECT_EQ(Uuid::parse("urn:uuid:0189f7e1-2b3c-7d4e-8f60-123456789abc"), u);
  EXPECT_TRUE(Uuid().is_nil());
}

TEST(Uuid, RejectsMalformedTextNamingTheByte) {
  try {
    Uuid::parse("0189f7e1-2b3c-7d4e-8f60-123456789abz");
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.offset(), 35u);
    EXPECT_EQ(e.field(), "uuid");
  }
  EXPECT_THROW(Uuid::parse("0189f7e1"), InvalidInput);
  EXPECT_THROW(Uuid::parse("0189f7e1+2b3c-7d4e-8f60-123456789abc"), InvalidInput);
  EXPECT_FALSE(Uuid::try_parse("not a uuid").has_value());
}

TEST(Uuid, V7IsVersionedAndStrictlyIncreasing) {
  Uuid previous = Uuid::v7();
  for (int i = 0; i < 100000; ++i) {
    const Uuid next = Uuid::v7();
    ASSERT_LT(previous, next) << "at " << i;
    ASSERT_EQ(next.version(), 7);
    ASSERT_EQ(next.bytes()[8] >> 6, 0b10);  // RFC 9562 variant
    previous = next;
  }
}

TEST(Uuid, V7CarriesTheUnixMillisecond) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const Uuid u = Uuid::v7();
  std::int64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | u.bytes()[static_cast<std::size_t>(i)];
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, before + 1000);
}

TEST(Uuid, V7UniqueAcrossThreads) {
  std::vector<std::vector<Uuid>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.push_back(Uuid::v7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<Uuid> all;
  for (const auto& v : per_thread) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(Uuid, V1AndV4HaveTheirVersionAndVariant) {
  const Uuid a = Uuid::v1();
  const Uuid b = Uuid::v1();
  EXPECT_EQ(a.version(), 1);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.bytes()[8] >> 6, 0b10);
  EXPECT_EQ(a.bytes()[10] & 0x01, 0x01);  // random node id: multicast bit set (RFC 9562 6.10)
  const Uuid r = Uuid::v4();
  EXPECT_EQ(r.version(), 4);
  EXPECT_EQ(r.bytes()[8] >> 6, 0b10);
}

}  // namespace
}  // namespace retort
