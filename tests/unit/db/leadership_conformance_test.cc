// HA on every backend: the leader lock admits one holder at a time and frees
// itself when its holder goes; the leader term fences a replaced leader's
// commits.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "db/leader_lock.h"
#include "db/migrations.h"
#include "db/store.h"
#include "tests/unit/db/store_harness.h"

namespace drover::db {
namespace {

using testing::MakeHarness;

class LeadershipConformanceTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    std::string skip_reason;
    harness_ = MakeHarness(GetParam(), &skip_reason);
    if (!harness_) GTEST_SKIP() << skip_reason;
  }
  std::unique_ptr<Store> OpenStore() {
    auto store = harness_->Open();
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::unique_ptr<LeaderLock> OpenLock() {
    auto lock = OpenLeaderLock(harness_->Url());
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    return lock.ok() ? std::move(*lock) : nullptr;
  }
  std::unique_ptr<testing::StoreHarness> harness_;
};

TEST_P(LeadershipConformanceTest, OneDroverdHoldsTheLockUntilItsHolderGoes) {
  auto first = OpenLock();
  auto second = OpenLock();
  ASSERT_TRUE(first && second);
  auto got = first->TryAcquire();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got);
  EXPECT_TRUE(first->CheckHeld().ok());
  EXPECT_TRUE(*first->TryAcquire()) << "taking a lock already held is a no-op";
  auto refused = second->TryAcquire();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_FALSE(*refused);
  EXPECT_FALSE(second->CheckHeld().ok());

  first.reset();  // the process holding it is gone
  // PostgreSQL ends the session asynchronously after the client disconnects.
  bool taken = false;
  for (int i = 0; i < 200 && !taken; ++i) {
    auto r = second->TryAcquire();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    taken = *r;
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(taken);
}

TEST_P(LeadershipConformanceTest, ANewTermFencesOffTheOldLeadersCommits) {
  auto old_leader = OpenStore();
  auto new_leader = OpenStore();
  ASSERT_TRUE(old_leader && new_leader);
  auto t1 = old_leader->BeginTerm("http://127.0.0.1:1", 1000);
  ASSERT_TRUE(t1.ok()) << t1.status().ToString();
  EXPECT_EQ(t1->term, 1);
  ASSERT_TRUE(old_leader->Commit({Mutation::Put("job", "1", "{}")}).ok());

  auto t2 = new_leader->BeginTerm("http://127.0.0.1:2", 2000);
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(t2->term, 2);
  Status fenced = old_leader->Commit({Mutation::Put("job", "2", "{}")});
  EXPECT_TRUE(IsDeposed(fenced)) << fenced.ToString();
  EXPECT_NE(fenced.message().find("http://127.0.0.1:2"), std::string::npos) << fenced.message();
  EXPECT_EQ(old_leader->Get("job", "2").status().code(), StatusCode::kNotFound)
      << "a fenced commit writes nothing";
  EXPECT_TRUE(new_leader->Commit({Mutation::Put("job", "3", "{}")}).ok());

  auto read = old_leader->ReadLeaderTerm();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->term, 2);
  EXPECT_EQ(read->holder, "http://127.0.0.1:2");
  EXPECT_EQ(read->acquired_ms, 2000);
  auto lock = OpenLock();
  ASSERT_TRUE(lock);
  auto seen = lock->CurrentTerm();
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->term, 2);
  EXPECT_EQ(seen->holder, "http://127.0.0.1:2");
}

TEST_P(LeadershipConformanceTest, AStoreThatNeverTookATermIsNotFenced) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(b->BeginTerm("b", 1).ok());
  EXPECT_TRUE(a->Commit({Mutation::Put("job", "1", "{}")}).ok())
      << "tools and tests that write without leading are not fenced";
}

TEST_P(LeadershipConformanceTest, AStandbyReadsTheSchemaVersionWithoutMigrating) {
  auto lock = OpenLock();
  ASSERT_TRUE(lock);
  auto before = lock->StoreSchemaVersion();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, 0) << "a store not made yet";
  auto no_term = lock->CurrentTerm();
  ASSERT_TRUE(no_term.ok()) << no_term.status().ToString();
  EXPECT_EQ(no_term->term, 0);
  auto again = lock->StoreSchemaVersion();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0) << "reading did not create the schema";
  auto store = OpenStore();
  ASSERT_TRUE(store);
  auto after = lock->StoreSchemaVersion();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, LatestVersion(BuiltinMigrations()));
}

INSTANTIATE_TEST_SUITE_P(Backends, LeadershipConformanceTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const ::testing::TestParamInfo<Dialect>& info) {
                           return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace drover::db
