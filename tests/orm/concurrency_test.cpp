// Eight threads writing through repositories at once, each in its own sessions.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

using ConcurrencyTest = OrmTest;

TEST_P(ConcurrencyTest, EightThreadsWritingAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kPerThread; ++i) {
          db().transaction([&](Session& s) {
            Repository<Event> events(s);
            Event e = events.create({.data = JsonText{"{\"thread\": " + std::to_string(t) + "}"}});
            events.update_fields(
                e.id, {{"task_context", JsonText{"{\"i\": " + std::to_string(i) + "}"}}});
          });
        }
        // And one bulk write per thread, interleaved with the others' single writes.
        std::vector<Event> batch(10, Event{.data = JsonText{"{\"bulk\": true}"}});
        db().transaction([&](Session& s) { Repository<Event>(s).create_many(batch); });
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
  tx([&](Session& s) {
    Repository<Event> events(s);
    EXPECT_EQ(events.count(), kThreads * (kPerThread + 10));
    EXPECT_EQ(events.count(col("task_context").is_null()), kThreads * 10);
    std::set<Uuid> ids;
    events.stream({}, [&](const Event& e) { ids.insert(e.id); });
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * (kPerThread + 10)));
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(events.count(col("data").path({"thread"}) == t), kPerThread);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::orm_test
