// Accounting records as ClusterState writes them: an array index's when it
// ends, every record of a job once it and its tasks are done (once), live
// records for what still runs, and the table outliving jobs.retention, with
// fair-share's usage replayed from it after a restart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "db/store.h"
#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

// The history records of a batch, by id.
std::map<std::string, HistoryRecord> Records(const std::vector<db::Mutation>& batch) {
  std::map<std::string, HistoryRecord> out;
  for (const db::Mutation& m : batch) {
    if (m.op == db::Mutation::Op::kRecordHistory) out[m.record->id] = *m.record;
  }
  return out;
}

DaemonConfig ShortRetention() {
  DaemonConfig c;
  c.job_retention_s = 1;
  c.priority = queue::PriorityWeights{};
  c.priority->age = 0;
  c.priority->job_size = 0;
  return c;
}

class HistoryStateTest : public ClusterStateTest {
 protected:
  HistoryStateTest() : ClusterStateTest(ShortRetention()) {}
};

TEST_F(HistoryStateTest, AnArrayIndexIsRecordedWhenItEndsAndTheJobOnceItIsDone) {
  Job frames = MakeJob("frames", 2);
  frames.spec.backoff_limit = 0;  // a failed frame is not run again
  const uint64_t id = Submit(frames);
  Pass();
  std::vector<const Task*> tasks = Active(id);
  ASSERT_EQ(tasks.size(), 2u);
  for (const Task* t : tasks) Report(t, TaskPhase::kRunning);
  state_.TakeMutations();
  now_ += 5'000;
  Report(tasks[0], TaskPhase::kSucceeded);
  auto first = Records(state_.TakeMutations());
  const std::string i0 = std::to_string(id) + "_0", i1 = std::to_string(id) + "_1";
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(first.count(i0));
  EXPECT_EQ(first[i0].state, "COMPLETED");
  EXPECT_EQ(first[i0].array_index, 0);
  EXPECT_EQ(first[i0].user, "alice");
  EXPECT_EQ(first[i0].nodelist, "n1");
  EXPECT_EQ(first[i0].alloc_cpus, 1);
  EXPECT_EQ(first[i0].end_ms - first[i0].start_ms, 5'000);
  EXPECT_DOUBLE_EQ(first[i0].core_seconds, 5);
  EXPECT_FALSE(state_.FindJob(id)->status.recorded);

  now_ += 1'000;
  Report(tasks[1], TaskPhase::kFailed, 3);
  auto done = Records(state_.TakeMutations());
  EXPECT_TRUE(state_.FindJob(id)->status.recorded);
  ASSERT_TRUE(done.count(i1));
  EXPECT_EQ(done[i1].state, "FAILED");
  EXPECT_EQ(done[i1].exit_code, 3);
  EXPECT_TRUE(done.count(i0)) << "the job's records are all written once it is done";
  // A retried attempt's record says so, then the next attempt's replaces it
  // (RetriedIndexIsRequeuedUntilItsNextAttempt); here: once, nothing more.
  state_.ReconcileJobs(now_);
  EXPECT_TRUE(Records(state_.TakeMutations()).empty());
}

TEST_F(HistoryStateTest, LiveRecordsShowRunningIndexesAndThePendingRest) {
  const uint64_t id = Submit(MakeJob("frames", 6));
  Pass();
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  HistoryQuery q;
  q.job_ids = {id};
  std::map<std::string, std::string> states;
  for (const HistoryRecord& r : state_.LiveHistory(q)) states[r.id] = r.state;
  const std::string j = std::to_string(id);
  EXPECT_EQ(states, (std::map<std::string, std::string>{{j + "_0", "RUNNING"},
                                                        {j + "_1", "RUNNING"},
                                                        {j + "_2", "RUNNING"},
                                                        {j + "_3", "RUNNING"},
                                                        {j + "_[4-5]", "PENDING"}}));
  q.users = {"bob"};
  EXPECT_TRUE(state_.LiveHistory(q).empty());
}

TEST_F(HistoryStateTest, RecordsOutliveRetentionAndFairShareReplaysFromThem) {
  const std::string path = ::testing::TempDir() + "/history-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Job hog_job = MakeJob("hog", 1);
  hog_job.spec.completion_mode = CompletionMode::kNonIndexed;
  hog_job.spec.task.resources.cpus = 4;
  const uint64_t hog = Submit(hog_job, User("alice", 1000));
  Pass();
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kRunning);
  now_ += 3'600'000;
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kSucceeded);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  now_ += 20'000;
  EXPECT_EQ(state_.ForgetExpiredJobs(now_), 1);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  EXPECT_EQ(state_.FindJob(hog), nullptr);

  HistoryQuery q;
  q.job_ids = {hog};
  auto rows = (*store)->QueryHistory(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().id, std::to_string(hog));
  EXPECT_EQ(rows->front().state, "COMPLETED");
  EXPECT_EQ(rows->front().alloc_cpus, 4);
  EXPECT_DOUBLE_EQ(rows->front().core_seconds, 4 * 3600);

  // The job is gone from droverd, its usage is not.
  ClusterState reloaded("epoch2", ShortRetention());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  EXPECT_EQ(reloaded.FindJob(hog), nullptr);
  auto a = reloaded.SubmitJob(MakeJob("a", 1), User("alice", 1000), now_);
  auto b = reloaded.SubmitJob(MakeJob("b", 1), User("bob", 1001), now_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(reloaded.EffectivePriority(**b, now_), reloaded.EffectivePriority(**a, now_))
      << "alice's hour of the node was replayed from the history table";
  store->reset();
  std::remove(path.c_str());
}

TEST_F(HistoryStateTest, AJobEndedBeforeTheHistoryTableIsRecordedAfterARestart) {
  const std::string path = ::testing::TempDir() + "/legacy-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const uint64_t id = Submit(MakeJob("old", 1));
  Pass();
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
  // As an older droverd stored it: ended, no records, not `recorded`.
  std::vector<db::Mutation> batch;
  for (db::Mutation& m : state_.TakeMutations()) {
    if (m.op == db::Mutation::Op::kRecordHistory) continue;
    if (m.kind == "job") {
      auto json = ParseJson(m.data);
      ASSERT_TRUE(json.ok());
      (*json)["status"].erase("recorded");
      m.data = json->dump();
    }
    batch.push_back(std::move(m));
  }
  ASSERT_TRUE((*store)->Commit(batch).ok());
  ClusterState reloaded("epoch2", ShortRetention());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  EXPECT_FALSE(reloaded.FindJob(id)->status.recorded);
  EXPECT_EQ(reloaded.ForgetExpiredJobs(now_ + 60'000), 0) << "an unrecorded job is kept";
  auto records = Records(reloaded.TakeMutations());
  EXPECT_TRUE(records.count(std::to_string(id) + "_0"));
  EXPECT_TRUE(reloaded.FindJob(id)->status.recorded);
  store->reset();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd

namespace drover::droverd {
namespace {

TEST_F(HistoryStateTest, ARetriedIndexIsRequeuedUntilItsNextAttemptEnds) {
  const uint64_t id = Submit(MakeJob("frame", 1));
  Pass();
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  for (const Task* t : Active(id)) Report(t, TaskPhase::kFailed, 1);
  const std::string i0 = std::to_string(id) + "_0";
  auto first = Records(state_.TakeMutations());
  ASSERT_TRUE(first.count(i0));
  EXPECT_EQ(first[i0].state, "REQUEUED");
  EXPECT_EQ(first[i0].restarts, 0);
  now_ += 1'000;
  Pass();
  std::vector<const Task*> retry = Active(id);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0]->spec.attempt, 1);
  Report(retry[0], TaskPhase::kRunning);
  now_ += 2'000;
  Report(retry[0], TaskPhase::kSucceeded);
  auto second = Records(state_.TakeMutations());
  ASSERT_TRUE(second.count(i0));
  EXPECT_EQ(second[i0].state, "COMPLETED");
  EXPECT_EQ(second[i0].restarts, 1);
  EXPECT_EQ(second[i0].end_ms - second[i0].start_ms, 2'000) << "the last attempt's times";
}

}  // namespace
}  // namespace drover::droverd

namespace drover::droverd {
namespace {

TEST_F(HistoryStateTest, ADependencyOnAForgottenJobResolvesFromTheHistoryTable) {
  const std::string path = ::testing::TempDir() + "/deps-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Job first_job = MakeJob("first", 1);
  first_job.spec.completion_mode = CompletionMode::kNonIndexed;
  const uint64_t first = Submit(first_job);
  Pass();
  for (const Task* t : Active(first)) Report(t, TaskPhase::kRunning);
  for (const Task* t : Active(first)) Report(t, TaskPhase::kSucceeded);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  now_ += 20'000;
  ASSERT_EQ(state_.ForgetExpiredJobs(now_), 1);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());

  Job ok_after = MakeJob("ok-after", 1);
  ok_after.spec.dependencies = {{"afterok", first}};
  ok_after.spec.hold = true;  // kept pending across the restart below
  Job not_ok_after = MakeJob("not-ok-after", 1);
  not_ok_after.spec.dependencies = {{"afternotok", first}};
  // Without the table droverd cannot tell: refused, naming the job.
  auto refused = state_.SubmitJob(ok_after, User("alice", 1000), now_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("does not exist"), std::string::npos);

  HistoryQuery q;
  q.job_ids = {first};
  q.steps = false;
  auto records = (*store)->QueryHistory(q);
  ASSERT_TRUE(records.ok());
  state_.NoteEndedJobs(*records);
  const uint64_t waits = Submit(ok_after);
  const uint64_t never = Submit(not_ok_after);
  state_.CancelUnsatisfiableJobs(now_);
  EXPECT_EQ(state_.FindJob(never)->status.phase, JobPhase::kCancelled)
      << "afternotok on a job that succeeded can never hold";
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());

  // After a restart the pending job's dependency still resolves.
  ClusterState reloaded("epoch2", ShortRetention());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  ASSERT_TRUE(reloaded.RegisterNode(MakeNode("n1", 4), now_).ok());
  ASSERT_TRUE(reloaded.SetHold(waits, false, User("alice", 1000), now_).ok());
  reloaded.CancelUnsatisfiableJobs(now_);
  reloaded.ReconcileJobs(now_);
  scheduler::ClusterSnapshot cluster;
  std::vector<scheduler::PendingJob> pending;
  reloaded.BuildSchedulerInput(now_, &cluster, &pending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].job_id, waits);
  EXPECT_FALSE(pending[0].dependency_pending) << "afterok on a succeeded job holds";
  EXPECT_EQ(reloaded.FindJob(waits)->status.phase, JobPhase::kPending);
  store->reset();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd
