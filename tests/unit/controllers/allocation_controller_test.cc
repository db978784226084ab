// The Job controller over allocation jobs (Slurm's batch model): an
// allocation's tasks (one per node) are one run; only the batch script's end
// is an outcome; once one of them ends the others stop, to run again whole
// after a disruption. Table-driven, each row also checked to be idempotent.
#include <gtest/gtest.h>

#include <map>

#include "controllers/job_controller.h"

namespace drover::controllers {
namespace {

Job AllocationJob(AllocationMode mode, bool requeue = true) {
  Job j;
  j.id = 7;
  j.spec.allocation = {mode, 4};
  j.spec.backoff_limit = 0;
  j.spec.requeue = requeue;
  j.status.phase = JobPhase::kRunning;
  j.status.next_index = 1;
  return j;
}

// "part:state" or "part@attempt:state"; states as in job_controller_test
// (running, stopping, ok, failed, lost, requeued, cancelled; "*": counted).
Task Part(const std::string& text, int64_t order) {
  Task t;
  const size_t colon = text.find(':');
  std::string head = text.substr(0, colon);
  const size_t at = head.find('@');
  t.spec.part = std::stoi(head.substr(0, at));
  t.spec.attempt = at == std::string::npos ? 0 : std::stoi(head.substr(at + 1));
  t.spec.index = 0;
  t.spec.placeholder = t.spec.part > 0;
  t.spec.node = "n" + std::to_string(t.spec.part + 1);
  t.metadata.name = AllocationPartName(7, 0, t.spec.attempt, t.spec.part);
  t.metadata.creation_time_ms = 100;
  std::string state = text.substr(colon + 1);
  if (state.back() == '*') {  // an end already counted
    t.status.counted = true;
    state.pop_back();
  }
  static const std::map<std::string, TaskPhase> kPhases = {
      {"running", TaskPhase::kRunning},    {"stopping", TaskPhase::kRunning},
      {"ok", TaskPhase::kSucceeded},       {"failed", TaskPhase::kFailed},
      {"lost", TaskPhase::kLost},          {"requeued", TaskPhase::kCancelled},
      {"cancelled", TaskPhase::kCancelled}};
  t.status.phase = kPhases.at(state);
  t.status.terminating = state == "stopping";
  t.status.disrupted = state == "lost" || state == "requeued";
  t.status.exit_code = state == "failed" ? 3 : state == "ok" ? 0 : -1;
  if (IsTerminal(t.status.phase)) t.status.finish_time_ms = 200 + order;
  return t;
}

struct Row {
  std::string name;
  Job job;
  std::vector<std::string> tasks;
  JobPhase phase;
  int64_t active;
  std::vector<std::string> kill;     // parts told to stop
  std::vector<std::string> requeue;  // parts told to stop and run again
  std::string retry;                 // indexes to run again
};

std::vector<std::string> Parts(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    const size_t plus = n.rfind('+');
    out.push_back(plus == std::string::npos ? "0" : n.substr(plus + 1));
  }
  return out;
}

TEST(AllocationController, AllocationsRunWholeAndOnlyTheScriptDecides) {
  const AllocationMode kBatch = AllocationMode::kBatch;
  const AllocationMode kInteractive = AllocationMode::kInteractive;
  const std::vector<Row> rows = {
      {"three parts running are one run",
       AllocationJob(kBatch),
       {"0:running", "1:running", "2:running"},
       JobPhase::kRunning,
       1,
       {},
       {},
       ""},
      {"the script succeeding ends the job and stops the placeholders",
       AllocationJob(kBatch),
       {"0:ok", "1:running", "2:running"},
       JobPhase::kSucceeded,
       1,
       {"1", "2"},
       {},
       ""},
      {"the script failing fails the job (no re-run)",
       AllocationJob(kBatch),
       {"0:failed", "1:running"},
       JobPhase::kFailed,
       1,
       {"1"},
       {},
       ""},
      {"a lost placeholder requeues the script",
       AllocationJob(kBatch),
       {"0:running", "1:lost", "2:running"},
       JobPhase::kRunning,
       1,
       {},
       {"0", "2"},
       ""},
      {"a lost placeholder fails a --no-requeue job",
       AllocationJob(kBatch, false),
       {"0:running", "1:lost"},
       JobPhase::kFailed,
       1,
       {"0"},
       {},
       ""},
      {"a placeholder stopping is still part of the run",
       AllocationJob(kBatch),
       {"0:requeued", "1:stopping"},
       JobPhase::kRunning,
       1,
       {},
       {},
       "0"},
      {"the lost script's index runs again once all parts ended",
       AllocationJob(kBatch),
       {"0:lost", "1:cancelled"},
       JobPhase::kRunning,
       0,
       {},
       {},
       "0"},
      {"a new attempt is not stopped by the old one's ends",
       AllocationJob(kBatch),
       {"0:lost*", "1:cancelled*", "0@1:running", "1@1:running"},
       JobPhase::kRunning,
       1,
       {},
       {},
       ""},
      {"an interactive allocation runs until completed",
       AllocationJob(kInteractive),
       {"0:running", "1:running"},
       JobPhase::kRunning,
       1,
       {},
       {},
       ""},
      {"an interactive allocation losing a node fails",
       AllocationJob(kInteractive),
       {"0:running", "1:lost"},
       JobPhase::kFailed,
       1,
       {"0"},
       {},
       ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::vector<Task> tasks;
    for (size_t i = 0; i < row.tasks.size(); ++i) tasks.push_back(Part(row.tasks[i], i));
    std::vector<const Task*> view;
    for (const Task& t : tasks) view.push_back(&t);
    JobReconcile r = ReconcileJob(row.job, view, 1000);
    EXPECT_EQ(r.status.phase, row.phase) << r.status.message;
    EXPECT_EQ(r.status.active, row.active);
    EXPECT_EQ(Parts(r.kill), row.kill);
    EXPECT_EQ(Parts(r.requeue), row.requeue);
    EXPECT_EQ(r.status.failed_indexes_pending.ToString(), row.retry);
    // Applied, then reconciled again with the same tasks: nothing more.
    Job applied = row.job;
    applied.status = r.status;
    for (Task& t : tasks) {
      for (const std::string& n : r.count) {
        if (t.metadata.name == n) t.status.counted = true;
      }
    }
    JobReconcile again = ReconcileJob(applied, view, 1000);
    EXPECT_FALSE(again.changed);
    EXPECT_TRUE(again.count.empty());
  }
}

TEST(AllocationController, AWholeAllocationIsWantedOnceAndAgainAfterARequeue) {
  Job job = AllocationJob(AllocationMode::kBatch);
  job.status.phase = JobPhase::kPending;
  job.status.next_index = 0;
  EXPECT_EQ(TasksWanted(job), 1);  // one run: droverd asks the scheduler for its 4 slots
  EXPECT_EQ(ClaimNextIndex(job), 0);
  EXPECT_EQ(TasksWanted(job), 0);
  job.status.active = 0;
  job.status.failed_indexes_pending.Insert(0);  // requeued after a lost node
  EXPECT_EQ(TasksWanted(job), 1);
  EXPECT_EQ(ClaimNextIndex(job), 0);
}

}  // namespace
}  // namespace drover::controllers
