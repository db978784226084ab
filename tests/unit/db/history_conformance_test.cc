// The job_history table, every backend: what is recorded comes back field for
// field, the SQL filters agree with api/history.h's Matches(), prunes and
// usage sums work, and history rows are part of their batch's transaction.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/history.h"
#include "db/store.h"
#include "tests/unit/db/store_harness.h"

namespace drover::db {
namespace {

using testing::MakeHarness;

HistoryRecord Record(std::string id, uint64_t job, std::string user, int64_t end_ms) {
  HistoryRecord r;
  r.id = std::move(id);
  r.job_id = job;
  r.user = std::move(user);
  r.uid = 1000;
  r.name = "render";
  r.account = "physics";
  r.partition = "batch";
  r.state = "COMPLETED";
  r.submit_ms = end_ms - 5000;
  r.eligible_ms = end_ms - 5000;
  r.start_ms = end_ms - 4000;
  r.end_ms = end_ms;
  r.alloc_cpus = 2;
  r.core_seconds = 8;
  return r;
}

class HistoryConformanceTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    std::string skip_reason;
    harness_ = MakeHarness(GetParam(), &skip_reason);
    if (!harness_) GTEST_SKIP() << skip_reason;
    auto store = harness_->Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    harness_.reset();
  }
  void CommitOk(const std::vector<Mutation>& batch) {
    Status st = store_->Commit(batch);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  std::vector<std::string> Ids(const HistoryQuery& query) {
    auto rows = store_->QueryHistory(query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> ids;
    if (rows.ok()) {
      for (const HistoryRecord& r : *rows) ids.push_back(r.id);
    }
    return ids;
  }

  std::unique_ptr<testing::StoreHarness> harness_;
  std::unique_ptr<Store> store_;
};

TEST_P(HistoryConformanceTest, RecordComesBackFieldForFieldAndAgainReplacesIt) {
  HistoryRecord r = Record("12_3.batch", 12, "alice", 1'700'000'000'000);
  r.array_index = 3;
  r.step = "batch";
  r.qos = "high";
  r.state = "OUT_OF_MEMORY";
  r.exit_code = 137;
  r.signal = 9;
  r.reason = "out of memory: \"quoted\" \\ and ünïcode";
  r.alloc_nodes = 2;
  r.ntasks = 4;
  r.nodelist = "node-[1-2]";
  r.req_mem_bytes = int64_t{3} << 33;
  r.timelimit_s = 3600;
  r.core_seconds = 12.375;
  r.user_cpu_ms = 1234;
  r.system_cpu_ms = 56;
  r.max_rss_kb = 987654;
  r.restarts = 2;
  r.work_dir = "/home/alice/run 1";
  CommitOk({Mutation::RecordHistory(r)});
  auto rows = store_->QueryHistory({});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front(), r);

  r.state = "COMPLETED";
  r.exit_code = 0;
  CommitOk({Mutation::RecordHistory(r)});
  rows = store_->QueryHistory({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().state, "COMPLETED");
}

TEST_P(HistoryConformanceTest, SqlFiltersSelectWhatMatchesSelects) {
  std::vector<HistoryRecord> all = {
      Record("1", 1, "alice", 10'000),  Record("1.batch", 1, "alice", 10'000),
      Record("1.0", 1, "alice", 9'000), Record("2_0", 2, "bob", 20'000),
      Record("2_1", 2, "bob", 30'000),  Record("3", 3, "carol", 40'000),
  };
  all[1].step = "batch";
  all[2].step = "0";
  all[3].array_index = 0;
  all[4].array_index = 1;
  all[4].state = "FAILED";
  all[5].account = "chem";
  all[5].partition = "gpu";
  all[5].name = "train";
  std::vector<Mutation> batch;
  for (const HistoryRecord& r : all) batch.push_back(Mutation::RecordHistory(r));
  CommitOk(batch);

  std::vector<HistoryQuery> queries(11);
  queries[1].job_ids = {1, 3};
  queries[2].users = {"bob", "carol"};
  queries[3].accounts = {"chem"};
  queries[4].partitions = {"batch"};
  queries[5].states = {"FAILED", "TIMEOUT"};
  queries[6].names = {"train"};
  queries[7].ended_after_ms = 20'000;
  queries[8].submitted_before_ms = 15'000;
  queries[9].steps = false;
  queries[10].users = {"alice"};
  queries[10].steps = false;
  queries[10].ended_after_ms = 9'500;
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<std::string> want;
    for (const HistoryRecord& r : all) {
      if (Matches(queries[i], r)) want.push_back(r.id);
    }
    std::vector<std::string> got = Ids(queries[i]);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "query " << i;
    EXPECT_FALSE(got.empty()) << "query " << i << " selects nothing: it proves nothing";
  }
  // Limits keep the oldest jobs.
  HistoryQuery limited;
  limited.limit = 2;
  limited.steps = false;
  EXPECT_EQ(Ids(limited), (std::vector<std::string>{"1", "2_0"}));
}

TEST_P(HistoryConformanceTest, PruneDeletesOnlyRowsThatEndedBefore) {
  CommitOk({Mutation::RecordHistory(Record("1", 1, "alice", 1'000)),
            Mutation::RecordHistory(Record("2", 2, "alice", 2'000)),
            Mutation::RecordHistory(Record("3", 3, "alice", 3'000))});
  CommitOk({Mutation::PruneHistory(2'000)});
  EXPECT_EQ(Ids({}), (std::vector<std::string>{"2", "3"}));
}

TEST_P(HistoryConformanceTest, UsageSumsJobRowsPerUserAccountAndBucketWithoutSteps) {
  HistoryRecord step = Record("1.0", 1, "alice", 1'500);
  step.step = "0";
  HistoryRecord other = Record("3", 3, "alice", 1'200);
  other.account = "chem";
  CommitOk({Mutation::RecordHistory(Record("1", 1, "alice", 1'500)), Mutation::RecordHistory(step),
            Mutation::RecordHistory(Record("2", 2, "alice", 1'900)),
            Mutation::RecordHistory(Record("4", 4, "alice", 2'100)), Mutation::RecordHistory(other),
            Mutation::RecordHistory(Record("0", 0, "alice", 500))});
  auto usage = store_->SumHistoryUsage(1'000, 1'000);
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  std::vector<std::tuple<std::string, int64_t, double>> got;
  for (const HistoryUsage& u : *usage) {
    EXPECT_EQ(u.user, "alice");
    got.emplace_back(u.account, u.bucket_ms, u.core_seconds);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::tuple<std::string, int64_t, double>>{
                     {"chem", 1'000, 8}, {"physics", 1'000, 16}, {"physics", 2'000, 8}}));
  EXPECT_FALSE(store_->SumHistoryUsage(0, 0).ok());
}

TEST_P(HistoryConformanceTest, HistoryRowsShareTheirBatchsFate) {
  HistoryRecord bad = Record("5", 5, std::string("al\0ice", 6), 1'000);
  Status st = store_->Commit({Mutation::Put("job", "5", "{}"), Mutation::RecordHistory(bad)});
  ASSERT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(st.field(), "batch[1].record");
  EXPECT_FALSE(store_->Get("job", "5").ok());

  harness_->Exec(harness_->PoisonKeySql("poison"));
  auto reopened = harness_->Open();  // fresh statements see the trigger
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(*reopened);
  st = store_->Commit({Mutation::RecordHistory(Record("6", 6, "alice", 1'000)),
                       Mutation::Put("job", "poison", "{}")});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Ids({}).empty());
  CommitOk({Mutation::RecordHistory(Record("6", 6, "alice", 1'000))});
  EXPECT_EQ(Ids({}), (std::vector<std::string>{"6"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, HistoryConformanceTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const ::testing::TestParamInfo<Dialect>& info) {
                           return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace drover::db
