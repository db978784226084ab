// The Job controller (controllers/job_controller.h): table-driven rows of
// (job, observed tasks) -> (status, ends counted, kills), each also checked
// to be idempotent, and simulated lifecycles where tasks are created from
// claims and end, as droverd drives them.
#include "controllers/job_controller.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>

namespace drover::controllers {
namespace {

Job MakeJob(int64_t completions, int64_t parallelism, CompletionMode mode, int32_t backoff = 6) {
  Job j;
  j.id = 1;
  j.spec.completions = completions;
  j.spec.parallelism = parallelism;
  j.spec.completion_mode = mode;
  j.spec.backoff_limit = backoff;
  return j;
}

// A task in the table's shorthand: "index:state", where state is one of
// assigned, running, stopping (running, told to stop), ok, failed,
// lost, requeued (preempted to run again), cancelled; a trailing "*" marks
// an end already counted.
Task Parse(const std::string& text, int64_t order) {
  Task t;
  const size_t colon = text.find(':');
  t.spec.index = std::stoll(text.substr(0, colon));
  std::string state = text.substr(colon + 1);
  if (!state.empty() && state.back() == '*') {
    t.status.counted = true;
    state.pop_back();
  }
  t.metadata.name = TaskName(1, t.spec.index, static_cast<int32_t>(order));
  t.metadata.creation_time_ms = 100 + order;
  static const std::map<std::string, TaskPhase> kPhases = {
      {"assigned", TaskPhase::kAssigned},  {"running", TaskPhase::kRunning},
      {"stopping", TaskPhase::kRunning},   {"ok", TaskPhase::kSucceeded},
      {"failed", TaskPhase::kFailed},      {"lost", TaskPhase::kLost},
      {"requeued", TaskPhase::kCancelled}, {"cancelled", TaskPhase::kCancelled}};
  t.status.phase = kPhases.at(state);
  t.status.terminating = state == "stopping";
  t.status.disrupted = state == "lost" || state == "requeued";
  if (state == "failed") t.status.exit_code = 3;
  if (state == "ok") t.status.exit_code = 0;
  if (IsTerminal(t.status.phase)) t.status.finish_time_ms = 200 + order;
  return t;
}

struct Row {
  std::string name;
  Job job;
  std::vector<std::string> tasks;  // in creation order
  JobPhase phase;
  int64_t active, succeeded, failed;
  std::string completed;  // completed_indexes
  std::string retry;      // failed_indexes_pending
  size_t counted;         // ends counted by this reconcile
  size_t killed;
};

Job WithStatus(Job j, JobPhase phase, int64_t next_index, int64_t failed = 0,
               const std::string& completed = "") {
  j.status.phase = phase;
  j.status.next_index = next_index;
  j.status.failed = failed;
  if (!completed.empty()) {
    j.status.completed_indexes = *IndexSet::Parse(completed);
    j.status.succeeded = j.status.completed_indexes.Count();
  }
  return j;
}

// `j` with array tasks `indexes` cancelled one by one (scancel JOB_TASK).
Job WithCancelled(Job j, const std::string& indexes) {
  j.status.cancelled_indexes = *IndexSet::Parse(indexes);
  return j;
}

const Job kIndexed4 = MakeJob(4, 4, CompletionMode::kIndexed, /*backoff=*/1);
const Job kNonIndexed2 = MakeJob(2, 2, CompletionMode::kNonIndexed, /*backoff=*/1);

const std::vector<Row>& Rows() {
  using P = JobPhase;
  static const std::vector<Row> rows = {
      {"a cancelled index's end is neither a success nor a failure",
       WithCancelled(WithStatus(kIndexed4, P::kRunning, 4, 0, "0,1"), "2"),
       {"0:ok*", "1:ok*", "2:cancelled", "3:running"},
       P::kRunning,
       1,
       2,
       0,
       "0-1",
       "",
       1,
       0},
      {"the others done and one cancelled: the job ends Cancelled",
       WithCancelled(WithStatus(kIndexed4, P::kRunning, 4, 0, "0,1,3"), "2"),
       {"0:ok*", "1:ok*", "2:cancelled", "3:ok*"},
       P::kCancelled,
       0,
       3,
       0,
       "0-1,3",
       "",
       1,
       0},
      {"no tasks yet: nothing changes",
       WithStatus(kIndexed4, P::kPending, 0),
       {},
       P::kPending,
       0,
       0,
       0,
       "",
       "",
       0,
       0},
      {"placed tasks make it Running and active",
       WithStatus(kIndexed4, P::kPending, 2),
       {"0:assigned", "1:running"},
       P::kRunning,
       2,
       0,
       0,
       "",
       "",
       0,
       0},
      {"a success completes its index",
       WithStatus(kIndexed4, P::kRunning, 2),
       {"0:ok", "1:running"},
       P::kRunning,
       1,
       1,
       0,
       "0",
       "",
       1,
       0},
      {"counted ends are not counted again",
       WithStatus(kIndexed4, P::kRunning, 2, 0, "0"),
       {"0:ok*", "1:running"},
       P::kRunning,
       1,
       1,
       0,
       "0",
       "",
       0,
       0},
      {"a failure retries its index",
       WithStatus(kIndexed4, P::kRunning, 2),
       {"0:failed", "1:running"},
       P::kRunning,
       1,
       0,
       1,
       "",
       "0",
       1,
       0},
      {"failures past backoffLimit fail it and stop the rest",
       WithStatus(kIndexed4, P::kRunning, 3, /*failed=*/1),
       {"0:failed*", "1:failed", "2:running", "0:running"},
       P::kFailed,
       2,
       0,
       2,
       "",
       "",
       1,
       2},
      {"a lost task counts against nothing and runs again",
       WithStatus(kIndexed4, P::kRunning, 2, /*failed=*/1),
       {"0:lost", "1:running"},
       P::kRunning,
       1,
       0,
       1,
       "",
       "0",
       1,
       0},
      {"a requeued preemption victim runs again",
       WithStatus(kIndexed4, P::kRunning, 2, /*failed=*/1),
       {"0:requeued", "1:running"},
       P::kRunning,
       1,
       0,
       1,
       "",
       "0",
       1,
       0},
      {"the last index completes it; a task still running is stopped",
       WithStatus(kIndexed4, P::kRunning, 4, 0, "0-2"),
       {"0:ok*", "1:ok*", "2:ok*", "3:ok", "3:running"},
       P::kSucceeded,
       1,
       4,
       0,
       "0-3",
       "",
       1,
       1},
      {"a task already told to stop is not killed twice",
       WithStatus(kIndexed4, P::kFailed, 2, 2),
       {"0:failed*", "1:stopping"},
       P::kFailed,
       1,
       0,
       2,
       "",
       "",
       0,
       0},
      {"ends after a cancel change nothing but are counted",
       WithStatus(kIndexed4, P::kCancelled, 2),
       {"0:cancelled", "1:ok"},
       P::kCancelled,
       0,
       0,
       0,
       "",
       "",
       2,
       0},
      {"a cancelled job's live tasks are stopped",
       WithStatus(kIndexed4, P::kCancelled, 2),
       {"0:running", "1:assigned"},
       P::kCancelled,
       2,
       0,
       0,
       "",
       "",
       0,
       2},
      {"ends are counted in the order they ended: the successes first complete it",
       WithStatus(kNonIndexed2, P::kRunning, 3, /*failed=*/1),
       {"0:ok", "1:ok", "2:failed"},
       P::kSucceeded,
       0,
       2,
       1,
       "",
       "",
       3,
       0},
      {"non-indexed successes count towards completions",
       WithStatus(kNonIndexed2, P::kRunning, 2),
       {"0:ok", "1:running"},
       P::kRunning,
       1,
       1,
       0,
       "",
       "",
       1,
       0},
  };
  return rows;
}

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

class JobReconcileTable : public ::testing::TestWithParam<Row> {};

TEST_P(JobReconcileTable, StatusCountsAndKillsAreWhatTheTasksSay) {
  const Row& row = GetParam();
  std::vector<Task> tasks;
  for (size_t i = 0; i < row.tasks.size(); ++i) {
    tasks.push_back(Parse(row.tasks[i], static_cast<int64_t>(i)));
  }
  std::vector<const Task*> view;
  for (const Task& t : tasks) view.push_back(&t);
  JobReconcile r = ReconcileJob(row.job, view, 1000);
  EXPECT_EQ(r.status.phase, row.phase) << JobPhaseName(r.status.phase);
  EXPECT_EQ(r.status.active, row.active);
  EXPECT_EQ(r.status.succeeded, row.succeeded);
  EXPECT_EQ(r.status.failed, row.failed);
  EXPECT_EQ(r.status.completed_indexes.ToString(), row.completed);
  EXPECT_EQ(r.status.failed_indexes_pending.ToString(), row.retry);
  EXPECT_EQ(r.count.size(), row.counted);
  EXPECT_EQ(r.kill.size(), row.killed);
  if (row.phase == JobPhase::kRunning && row.job.status.phase == JobPhase::kPending) {
    EXPECT_EQ(r.status.start_time_ms, 100) << "it started when its first task was placed";
  }
  if (row.phase == JobPhase::kFailed && row.job.status.phase != JobPhase::kFailed) {
    EXPECT_NE(r.status.message.find("exited with 3"), std::string::npos) << r.status.message;
    EXPECT_EQ(r.status.completion_time_ms, 1000);
  }

  // Applied, then reconciled again: nothing more to do.
  Job applied = row.job;
  applied.status = r.status;
  for (Task& t : tasks) {
    for (const std::string& n : r.count) t.status.counted |= t.metadata.name == n;
    for (const std::string& n : r.kill) t.status.terminating |= t.metadata.name == n;
  }
  JobReconcile again = ReconcileJob(applied, view, 2000);
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(again.count.empty());
  EXPECT_TRUE(again.kill.empty());
}

INSTANTIATE_TEST_SUITE_P(Rows, JobReconcileTable, ::testing::ValuesIn(Rows()),
                         [](const auto& info) {
                           std::string n;
                           for (char c : info.param.name) n += std::isalnum(c) ? c : '_';
                           return n;
                         });

// droverd's side, in miniature: claims create tasks, tasks end, the
// controller recounts.
struct Simulation {
  Job job;
  std::vector<Task> tasks;
  int64_t now = 1;

  explicit Simulation(Job j) : job(std::move(j)) { tasks.reserve(1 << 12); }

  std::vector<const Task*> View() const {
    std::vector<const Task*> v;
    for (const Task& t : tasks) v.push_back(&t);
    return v;
  }
  void Reconcile() {
    JobReconcile r = ReconcileJob(job, View(), ++now);
    job.status = r.status;
    for (Task& t : tasks) {
      for (const std::string& n : r.count) t.status.counted |= t.metadata.name == n;
      for (const std::string& n : r.kill) t.status.terminating |= t.metadata.name == n;
    }
  }
  // Starts every task the job wants; returns their indexes.
  std::vector<int64_t> StartWanted() {
    std::vector<int64_t> started;
    for (int64_t n = TasksWanted(job); n > 0; --n) {
      Task t;
      t.spec.index = ClaimNextIndex(job);
      t.metadata.name = TaskName(1, t.spec.index, static_cast<int32_t>(tasks.size()));
      t.metadata.creation_time_ms = ++now;
      t.status.phase = TaskPhase::kRunning;
      tasks.push_back(t);
      started.push_back(t.spec.index);
    }
    Reconcile();
    return started;
  }
  void End(int64_t index, TaskPhase phase) {
    for (Task& t : tasks) {
      if (t.spec.index == index && !IsTerminal(t.status.phase)) {
        t.status.phase = phase;
        t.status.exit_code = phase == TaskPhase::kSucceeded ? 0 : 1;
        t.status.disrupted = phase == TaskPhase::kLost;
        t.status.finish_time_ms = ++now;
        Reconcile();
        return;
      }
    }
    FAIL() << "no live task of index " << index;
  }
};

TEST(JobControllerTest, WantsUpToParallelismCappedByRemaining) {
  Simulation s(MakeJob(10, 4, CompletionMode::kIndexed));
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(TasksWanted(s.job), 0);
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning);
  EXPECT_EQ(TasksWanted(MakeJob(2, 8, CompletionMode::kIndexed)), 2);
}

TEST(JobControllerTest, RetriesTheFailedIndexUntilBackoffLimit) {
  Simulation s(MakeJob(1, 1, CompletionMode::kIndexed, /*backoff=*/2));
  for (int attempt = 0; attempt < 2; ++attempt) {
    EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{0}) << "the retry runs the same index";
    s.End(0, TaskPhase::kFailed);
    EXPECT_EQ(s.job.status.phase, JobPhase::kRunning);
  }
  s.StartWanted();
  s.End(0, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.job.status.failed, 2);
}

TEST(JobControllerTest, ALostNodeNeverFailsARenderJob) {
  // backoffLimit 0: one failure of its own would fail it; lost frames never do.
  Simulation s(MakeJob(8, 4, CompletionMode::kIndexed, /*backoff=*/0));
  s.StartWanted();
  for (int64_t i : {0, 1, 2, 3}) s.End(i, TaskPhase::kLost);
  EXPECT_EQ(s.job.status.failed, 0);
  for (int round = 0; round < 2; ++round) {
    for (int64_t i : s.StartWanted()) s.End(i, TaskPhase::kSucceeded);
  }
  EXPECT_EQ(s.job.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.job.status.completed_indexes.ToString(), "0-7");
}

TEST(JobControllerTest, CancelIsOnceAndStopsWanting) {
  Job j = MakeJob(5, 5, CompletionMode::kIndexed);
  EXPECT_TRUE(CancelJob(j, 9));
  EXPECT_EQ(j.status.phase, JobPhase::kCancelled);
  EXPECT_EQ(TasksWanted(j), 0);
  EXPECT_FALSE(CancelJob(j, 10));
}

TEST(JobControllerTest, AMillionFrameArrayIsOneRecord) {
  Simulation s(MakeJob(1'000'000, 64, CompletionMode::kIndexed));
  for (int round = 0; round < 16; ++round) {
    for (int64_t i : s.StartWanted()) s.End(i, TaskPhase::kSucceeded);
    // droverd forgets counted tasks; the status keeps what they contributed.
    std::erase_if(s.tasks, [](const Task& t) { return t.status.counted; });
  }
  s.Reconcile();
  EXPECT_EQ(s.job.status.completed_indexes.ToString(), "0-1023");
  EXPECT_EQ(s.job.status.next_index, 1024);
  EXPECT_EQ(s.job.status.succeeded, 1024);
  EXPECT_EQ(TasksWanted(s.job), 64);
}

TEST(JobControllerTest, AnArrayOfListedIndexesRunsExactlyThoseAndRetriesThem) {
  Job j = MakeJob(4, 2, CompletionMode::kIndexed, /*backoff=*/1);
  j.spec.indexes = *IndexSet::Parse("1,3,10-11");
  Simulation s(j);
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{1, 3}));
  s.End(1, TaskPhase::kSucceeded);
  s.End(3, TaskPhase::kFailed);
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{3, 10})) << "the failed one first";
  for (int64_t i : {3, 10}) s.End(i, TaskPhase::kSucceeded);
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{11}));
  s.End(11, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.job.status.completed_indexes.ToString(), "1,3,10-11");
}

TEST(JobControllerTest, WithoutRequeueATaskLostWithItsNodeFailsTheJob) {
  Job j = MakeJob(1, 1, CompletionMode::kNonIndexed, /*backoff=*/6);
  j.spec.requeue = false;
  Simulation s(j);
  s.StartWanted();
  s.End(0, TaskPhase::kLost);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
  EXPECT_NE(s.job.status.message.find("--no-requeue"), std::string::npos) << s.job.status.message;
  EXPECT_EQ(TasksWanted(s.job), 0);
}

TEST(JobControllerTest, ATaskItsTimeLimitEndedIsNeverRunAgain) {
  Simulation s(MakeJob(1, 1, CompletionMode::kNonIndexed, /*backoff=*/6));
  s.StartWanted();
  s.tasks.back().status.message = kTimeLimitExceeded;
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed) << "backoffLimit 6 does not retry a TIMEOUT";
  EXPECT_NE(s.job.status.message.find("time limit exceeded"), std::string::npos);
}

TEST(JobControllerTest, ATaskThatRanOutOfMemoryFailsTheJobSayingSo) {
  Simulation s(MakeJob(1, 1, CompletionMode::kNonIndexed, /*backoff=*/0));
  s.StartWanted();
  s.tasks.back().status.message = kOutOfMemory;
  s.tasks.back().status.signal = 9;
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
  EXPECT_NE(s.job.status.message.find(kOutOfMemory), std::string::npos)
      << "named as memory, not as signal 9: " << s.job.status.message;
}

TEST(JobControllerTest, CancelledIndexesAreNeverClaimedNorCountedAsWanted) {
  Job job = WithCancelled(MakeJob(4, 4, CompletionMode::kIndexed), "1-2");
  EXPECT_EQ(TasksWanted(job), 2);
  EXPECT_EQ(ClaimNextIndex(job), 0);
  EXPECT_EQ(ClaimNextIndex(job), 3);
  EXPECT_EQ(TasksWanted(job), 0);
  Job listed = WithCancelled(MakeJob(3, 3, CompletionMode::kIndexed), "5");
  listed.spec.indexes = *IndexSet::Parse("1,5,9");  // --array=1,5,9
  EXPECT_EQ(ClaimNextIndex(listed), 1);
  EXPECT_EQ(ClaimNextIndex(listed), 9);
}

// backoffLimitPerIndex: Slurm's array tasks, Kubernetes' per-index retries.
Job PerIndexJob(int64_t completions, int32_t per_index, int32_t max_failed = -1) {
  Job j = MakeJob(completions, completions, CompletionMode::kIndexed,
                  std::numeric_limits<int32_t>::max());
  j.spec.backoff_limit_per_index = per_index;
  j.spec.max_failed_indexes = max_failed;
  return j;
}

TEST(JobControllerTest, AFailedArrayTaskFailsAloneAndTheOthersRunToTheirEnd) {
  Simulation s(PerIndexJob(3, /*per_index=*/0));
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{0, 1, 2}));
  s.End(1, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning) << s.job.status.message;
  EXPECT_EQ(s.job.status.failed_indexes.ToString(), "1");
  for (const Task& t : s.tasks) EXPECT_FALSE(t.status.terminating) << t.metadata.name;
  EXPECT_EQ(TasksWanted(s.job), 0) << "a failed index does not run again";
  s.End(0, TaskPhase::kSucceeded);
  s.End(2, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
  EXPECT_EQ(s.job.status.message, "index 1 failed");
  EXPECT_EQ(s.job.status.completed_indexes.ToString(), "0,2");
}

TEST(JobControllerTest, EachIndexIsRetriedUpToItsOwnLimit) {
  Simulation s(PerIndexJob(2, /*per_index=*/2));
  s.StartWanted();
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.index_failures, (std::map<int64_t, int32_t>{{0, 1}}));
  EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{0}) << "its retry";
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{0}) << "its second retry";
  s.End(1, TaskPhase::kFailed);  // index 1's first failure is its own
  EXPECT_EQ(s.job.status.index_failures, (std::map<int64_t, int32_t>{{0, 2}, {1, 1}}));
  s.End(0, TaskPhase::kFailed);  // the third: index 0 is done for
  EXPECT_EQ(s.job.status.failed_indexes.ToString(), "0");
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning);
  EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{1});
  s.End(1, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
  EXPECT_TRUE(s.job.status.index_failures.empty()) << "kept only while an index is retried";
  EXPECT_EQ(s.job.status.failed, 4);
}

TEST(JobControllerTest, MoreFailedIndexesThanMaxFailedIndexesFailTheJobAtOnce) {
  Simulation s(PerIndexJob(4, /*per_index=*/0, /*max_failed=*/1));
  s.StartWanted();
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning) << "one failed index is allowed";
  s.End(1, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
  EXPECT_NE(s.job.status.message.find("maxFailedIndexes 1"), std::string::npos)
      << s.job.status.message;
  int stopping = 0;
  for (const Task& t : s.tasks) stopping += t.status.terminating;
  EXPECT_EQ(stopping, 2) << "the two still running are stopped";
}

TEST(JobControllerTest, AnArrayTaskOverItsTimeLimitFailsOnlyItsIndex) {
  Simulation s(PerIndexJob(2, /*per_index=*/3));
  s.StartWanted();
  s.tasks.front().status.message = kTimeLimitExceeded;
  s.End(0, TaskPhase::kFailed);
  EXPECT_EQ(s.job.status.failed_indexes.ToString(), "0") << "a TIMEOUT is not retried";
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning);
  s.End(1, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kFailed);
}

TEST(JobControllerTest, ALostArrayTaskStillRunsAgainWithPerIndexLimits) {
  Simulation s(PerIndexJob(1, /*per_index=*/0));
  s.StartWanted();
  s.End(0, TaskPhase::kLost);
  EXPECT_TRUE(s.job.status.failed_indexes.empty()) << "a node's failure is not the task's";
  EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{0});
  s.End(0, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kSucceeded);
}

TEST(JobControllerTest, AWorkQueueStartsNoWorkerOnceOneSucceededAndSucceedsWhenAllHaveEnded) {
  Job j = MakeJob(4, 4, CompletionMode::kNonIndexed, /*backoff=*/6);
  j.spec.work_queue = true;
  Simulation s(j);
  EXPECT_EQ(s.StartWanted(), (std::vector<int64_t>{0, 1, 2, 3})) << "worker numbers";
  s.End(2, TaskPhase::kFailed);
  EXPECT_EQ(s.StartWanted(), std::vector<int64_t>{2}) << "a failed worker is replaced, same number";
  s.End(0, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning) << "the others still work";
  s.End(1, TaskPhase::kFailed);
  EXPECT_TRUE(s.StartWanted().empty()) << "once one succeeded, none starts";
  s.End(2, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kRunning);
  s.End(3, TaskPhase::kSucceeded);
  EXPECT_EQ(s.job.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.job.status.succeeded, 3);
  EXPECT_EQ(s.job.status.failed, 2);
}

}  // namespace
}  // namespace drover::controllers
