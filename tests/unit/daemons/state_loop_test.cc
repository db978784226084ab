// The state loop's two lanes: commands are acknowledged only once their
// batch is durable; reads answer from memory between the steps of a turn,
// also while the state thread waits for a slow store.
#include "daemons/droverd/state_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

namespace drover::droverd {
namespace {

// A store whose commits wait until the test opens its gate.
class GatedStore : public db::Store {
 public:
  Status Commit(const std::vector<db::Mutation>& batch) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    --waiting_;
    committed_ += batch.size();
    return Status::Ok();
  }
  Result<std::vector<db::StoredObject>> LoadAll(std::string_view) override {
    return std::vector<db::StoredObject>{};
  }
  Result<db::StoredObject> Get(std::string_view, std::string_view key) override {
    return Status::NotFound(std::string(key));
  }
  Result<std::vector<HistoryRecord>> QueryHistory(const HistoryQuery&) override {
    return std::vector<HistoryRecord>{};
  }
  Result<std::vector<db::HistoryUsage>> SumHistoryUsage(int64_t, int64_t) override {
    return std::vector<db::HistoryUsage>{};
  }
  Result<db::LeaderTerm> BeginTerm(const std::string& holder, int64_t now_ms) override {
    return db::LeaderTerm{1, holder, now_ms};
  }
  Result<db::LeaderTerm> ReadLeaderTerm() override { return db::LeaderTerm{}; }
  int SchemaVersion() const override { return 1; }
  std::string_view Backend() const override { return "gated"; }

  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until a commit is blocked at the gate.
  bool WaitForBlockedCommit() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return waiting_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
  size_t committed_ = 0;
};

Job SmallJob(const std::string& name) {
  Job j;
  j.metadata.name = name;
  j.spec.task.command = {"/bin/true"};
  return j;
}

const Caller kAlice{.role = Role::kUser,
                    .user = "alice",
                    .uid = 1000,
                    .gid = 1000,
                    .node = {},
                    .task = {},
                    .builtin = {}};

class StateLoopTest : public ::testing::Test {
 protected:
  StateLoopTest() : state_("epoch"), loop_(state_, store_, metrics_, {}) { loop_.Start(); }
  ~StateLoopTest() override {
    store_.Open();
    loop_.Stop();
  }

  // Submits a job; the future is set when the submission is acknowledged.
  std::future<void> Submit(const std::string& name) {
    auto acked = std::make_shared<std::promise<void>>();
    std::future<void> f = acked->get_future();
    loop_.Post([name, acked](CommandContext& c) {
      ASSERT_TRUE(c.state.SubmitJob(SmallJob(name), kAlice, c.now_ms).ok());
      c.AfterCommit([acked] { acked->set_value(); });
    });
    return f;
  }
  // How many jobs a read sees.
  std::future<size_t> CountJobs() {
    auto seen = std::make_shared<std::promise<size_t>>();
    std::future<size_t> f = seen->get_future();
    loop_.PostRead([seen](const ClusterState& s) { seen->set_value(s.jobs().size()); });
    return f;
  }

  GatedStore store_;
  Metrics metrics_;
  ClusterState state_;
  StateLoop loop_;
};

TEST_F(StateLoopTest, ReadsAreAnsweredWhileTheStoreHoldsEveryCommit) {
  // Batch 1 is held at the store's gate, batch 2 waits behind it, and the
  // turn of batch 3 finds the pipeline full and waits for room.
  std::future<void> first = Submit("first");
  ASSERT_TRUE(store_.WaitForBlockedCommit());
  std::future<void> second = Submit("second");
  // Answered in the turn of batch 2 (taken with it), so batch 3 is a turn of its own.
  ASSERT_EQ(CountJobs().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // A read posted during batch 3's turn: under the old rule (reads were
  // commands) it would have waited for the next turn, after the store.
  auto seen = std::make_shared<std::promise<size_t>>();
  std::future<size_t> during = seen->get_future();
  std::future<void> third = Submit("third");
  loop_.Post([this, seen](CommandContext&) {
    loop_.PostRead([seen](const ClusterState& s) { seen->set_value(s.jobs().size()); });
  });
  ASSERT_EQ(during.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "a read waited for the store";
  EXPECT_EQ(during.get(), 3u) << "it sees what was applied, durable or not";
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "nothing is acknowledged before it is durable";
  EXPECT_EQ(third.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  store_.Open();
  ASSERT_EQ(first.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(second.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(third.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(CountJobs().get(), 3u);
}

TEST_F(StateLoopTest, AReadSeesEveryAcknowledgedChangeAndReadsKeepTheirOrder) {
  store_.Open();
  Submit("one").get();
  std::vector<int> order;
  std::mutex mu;
  std::vector<std::future<size_t>> counts;
  for (int i = 0; i < 20; ++i) {
    auto done = std::make_shared<std::promise<size_t>>();
    counts.push_back(done->get_future());
    loop_.PostRead([i, done, &order, &mu](const ClusterState& s) {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      done->set_value(s.jobs().size());
    });
  }
  for (auto& c : counts) EXPECT_EQ(c.get(), 1u);
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  // Taken so the last read has let go of `mu` before the test destroys it.
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(order, expected);
}

}  // namespace
}  // namespace drover::droverd
