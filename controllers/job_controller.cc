#include "controllers/job_controller.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace drover::controllers {
namespace {

// Indexes that need no more runs: succeeded, or cancelled one by one.
int64_t Done(const Job& job, const JobStatus& st) {
  return job.spec.completion_mode == CompletionMode::kIndexed
             ? st.completed_indexes.Count() + st.cancelled_indexes.Count()
             : st.succeeded;
}

// Indexes that still need a successful task and have none running.
int64_t RemainingToStart(const Job& job) {
  return std::max<int64_t>(0, job.spec.completions - Done(job, job.status) - job.status.active);
}

void Finish(JobStatus& st, JobPhase phase, int64_t now_ms, std::string message) {
  st.phase = phase;
  st.completion_time_ms = now_ms;
  st.reasons.clear();
  st.estimated_start_ms = 0;
  st.message = std::move(message);
}

// Every index is done: Succeeded, or Cancelled if some were cancelled.
void FinishDone(JobStatus& st, int64_t now_ms) {
  if (st.cancelled_indexes.empty()) return Finish(st, JobPhase::kSucceeded, now_ms, "");
  Finish(st, JobPhase::kCancelled, now_ms,
         "array tasks " + st.cancelled_indexes.ToString() + " were cancelled");
}

std::string BackoffExceeded(const Job& job, const Task& task) {
  std::string why = "backoff limit " + std::to_string(job.spec.backoff_limit) + " exceeded: task " +
                    task.metadata.name;
  if (task.status.message == kOutOfMemory) return why + ": " + kOutOfMemory;
  if (task.status.signal != 0)
    return why + " killed by signal " + std::to_string(task.status.signal);
  if (task.status.exit_code >= 0)
    return why + " exited with " + std::to_string(task.status.exit_code);
  if (!task.status.message.empty()) return why + ": " + task.status.message;
  return why + " failed";
}

// Whether a task's end is the outcome of its index: every task of a plain
// job; the batch script (part 0) of an allocation, whose placeholders run
// nothing and so have no outcome of their own.
bool HasOutcome(const Job& job, const Task& task) {
  return !IsAllocation(job.spec) ||
         (job.spec.allocation.mode == AllocationMode::kBatch && task.spec.part == 0);
}

bool Disrupted(const Task& task) {
  return task.status.disrupted || task.status.phase == TaskPhase::kLost;
}

// The end of an allocation's placeholder: it means something only when the
// allocation can no longer be whole and will not be requeued.
void CountPlaceholderEnd(const Job& job, const Task& task, int64_t now_ms, JobStatus& st) {
  const bool interactive = job.spec.allocation.mode == AllocationMode::kInteractive;
  if (!interactive && !(Disrupted(task) && !job.spec.requeue)) return;
  ++st.failed;
  Finish(st, JobPhase::kFailed, now_ms,
         "the allocation's part on node " + task.spec.node +
             (task.status.phase == TaskPhase::kLost ? " was lost with its node"
              : Disrupted(task)                     ? " was preempted"
                                                    : " ended") +
             (interactive ? "" : " and the job may not be requeued (--no-requeue)"));
}

// Adds one ended task's outcome to `st`.
void CountEnd(const Job& job, const Task& task, int64_t now_ms, JobStatus& st) {
  if (IsTerminal(st.phase)) return;  // e.g. the tail of a cancelled job
  if (!HasOutcome(job, task)) return CountPlaceholderEnd(job, task, now_ms, st);
  const int64_t index = task.spec.index;
  // Its index was cancelled: the end is neither a success nor a failure.
  if (st.cancelled_indexes.Contains(index)) return;
  if (task.status.phase == TaskPhase::kSucceeded) {
    if (job.spec.completion_mode == CompletionMode::kIndexed) st.completed_indexes.Insert(index);
    ++st.succeeded;
    st.failed_indexes_pending.Erase(index);
    if (Done(job, st) >= job.spec.completions) FinishDone(st, now_ms);
    return;
  }
  const bool disrupted = Disrupted(task);
  if (disrupted && !job.spec.requeue) {
    ++st.failed;
    Finish(
        st, JobPhase::kFailed, now_ms,
        "task " + task.metadata.name +
            (task.status.phase == TaskPhase::kLost ? " was lost with its node" : " was preempted") +
            " and the job may not be requeued (--no-requeue)");
    return;
  }
  if (!disrupted && task.status.message == kTimeLimitExceeded) {
    ++st.failed;  // as Slurm's TIMEOUT: running it again would only hit the limit again
    Finish(st, JobPhase::kFailed, now_ms, "task " + task.metadata.name + ": time limit exceeded");
    return;
  }
  if (!disrupted && ++st.failed > job.spec.backoff_limit) {
    Finish(st, JobPhase::kFailed, now_ms, BackoffExceeded(job, task));
    return;
  }
  // Retry the same index, so that DROVER_TASK_INDEX of the retry matches.
  if (!st.completed_indexes.Contains(index)) st.failed_indexes_pending.Insert(index);
}

}  // namespace

int64_t TasksWanted(const Job& job) {
  if (IsTerminal(job.status.phase)) return 0;
  int64_t room = job.spec.parallelism - job.status.active;
  return std::max<int64_t>(0, std::min(room, RemainingToStart(job)));
}

int64_t ClaimNextIndex(Job& job) {
  JobStatus& st = job.status;
  ++st.active;
  st.reasons.clear();
  st.estimated_start_ms = 0;
  if (auto retry = st.failed_indexes_pending.First()) {
    st.failed_indexes_pending.Erase(*retry);
    return *retry;
  }
  // Indexes below next_index were all started once; a completed one is never
  // started again, so next_index only moves forward.
  // Cancelled indexes are passed over (TasksWanted does not count them).
  int64_t index = st.next_index;
  do {
    // Only the listed ones (--array=1,3,5): TasksWanted counts what is left.
    if (!job.spec.indexes.empty()) index = job.spec.indexes.FirstFrom(index).value_or(index);
    if (!st.cancelled_indexes.Contains(index)) break;
    ++index;
  } while (true);
  st.next_index = index + 1;
  return index;
}

namespace {

// An allocation is whole or not at all: once one task of an allocation (an
// index's attempt) has ended, its other tasks stop; to run again if the end
// was a disruption (a lost node, a preemption): the job goes on.
void StopBrokenAllocations(const std::vector<const Task*>& tasks, JobReconcile& out) {
  std::map<std::pair<int64_t, int32_t>, bool> broken;  // (index, attempt) -> disrupted
  for (const Task* t : tasks) {
    if (!IsTerminal(t->status.phase)) continue;
    bool& disrupted = broken[{t->spec.index, t->spec.attempt}];
    disrupted = disrupted || Disrupted(*t);
  }
  for (const Task* t : tasks) {
    if (IsTerminal(t->status.phase) || t->status.terminating) continue;
    auto it = broken.find({t->spec.index, t->spec.attempt});
    if (it == broken.end()) continue;
    (it->second ? out.requeue : out.kill).push_back(t->metadata.name);
  }
}

}  // namespace

JobReconcile ReconcileJob(const Job& job, const std::vector<const Task*>& tasks, int64_t now_ms) {
  JobReconcile out;
  JobStatus& st = out.status;
  st = job.status;
  std::vector<const Task*> uncounted;
  int64_t active = 0;
  int64_t first_created = 0;
  // An allocation's tasks (one per node) are one run of their index.
  std::set<int64_t> active_indexes;
  const bool allocation = IsAllocation(job.spec);
  for (const Task* t : tasks) {
    if (first_created == 0 || t->metadata.creation_time_ms < first_created) {
      first_created = t->metadata.creation_time_ms;
    }
    if (!IsTerminal(t->status.phase)) {
      allocation ? void(active_indexes.insert(t->spec.index)) : void(++active);
    } else if (!t->status.counted) {
      uncounted.push_back(t);
    }
  }
  st.active = allocation ? static_cast<int64_t>(active_indexes.size()) : active;
  if (st.phase == JobPhase::kPending && !tasks.empty()) {
    st.phase = JobPhase::kRunning;
    st.start_time_ms = first_created > 0 ? first_created : now_ms;
  }
  std::sort(uncounted.begin(), uncounted.end(), [](const Task* a, const Task* b) {
    if (a->status.finish_time_ms != b->status.finish_time_ms) {
      return a->status.finish_time_ms < b->status.finish_time_ms;
    }
    return a->metadata.name < b->metadata.name;
  });
  for (const Task* t : uncounted) {
    CountEnd(job, *t, now_ms, st);
    out.count.push_back(t->metadata.name);
  }
  // The last indexes left were cancelled (nothing of theirs runs any more).
  if (!IsTerminal(st.phase) && !st.cancelled_indexes.empty() &&
      Done(job, st) >= job.spec.completions && st.active == 0) {
    FinishDone(st, now_ms);
  }
  if (IsTerminal(st.phase)) {
    for (const Task* t : tasks) {
      if (!IsTerminal(t->status.phase) && !t->status.terminating) {
        out.kill.push_back(t->metadata.name);
      }
    }
  } else if (allocation) {
    StopBrokenAllocations(tasks, out);
  }
  out.changed = !(st == job.status);
  return out;
}

bool CancelJob(Job& job, int64_t now_ms) {
  if (IsTerminal(job.status.phase)) return false;
  Finish(job.status, JobPhase::kCancelled, now_ms, "cancelled");
  return true;
}

}  // namespace drover::controllers
