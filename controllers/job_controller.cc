#include "controllers/job_controller.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace drover::controllers {
namespace {

// Indexes that need no more runs: succeeded, cancelled one by one, or
// failed for good (backoffLimitPerIndex).
int64_t Done(const Job& job, const JobStatus& st) {
  return job.spec.completion_mode == CompletionMode::kIndexed
             ? st.completed_indexes.Count() + st.cancelled_indexes.Count() +
                   st.failed_indexes.Count()
             : st.succeeded;
}

bool PerIndex(const Job& job) {
  return job.spec.completion_mode == CompletionMode::kIndexed &&
         job.spec.backoff_limit_per_index >= 0;
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

// Every index is done: Succeeded; Failed if some failed for good (as
// Kubernetes' FailedIndexes); else Cancelled if some were cancelled.
void FinishDone(JobStatus& st, int64_t now_ms) {
  if (!st.failed_indexes.empty()) {
    const bool one = st.failed_indexes.Count() == 1;
    return Finish(st, JobPhase::kFailed, now_ms,
                  std::string(one ? "index " : "indexes ") + st.failed_indexes.ToString() +
                      " failed" +
                      (st.cancelled_indexes.empty()
                           ? ""
                           : "; " + st.cancelled_indexes.ToString() + " were cancelled"));
  }
  if (st.cancelled_indexes.empty()) return Finish(st, JobPhase::kSucceeded, now_ms, "");
  Finish(st, JobPhase::kCancelled, now_ms,
         "array tasks " + st.cancelled_indexes.ToString() + " were cancelled");
}

// How a failed task ended, for a message: ": out of memory", " exited with 3".
std::string HowItEnded(const Task& task) {
  if (task.status.message == kOutOfMemory) return std::string(": ") + kOutOfMemory;
  if (task.status.signal != 0) return " killed by signal " + std::to_string(task.status.signal);
  if (task.status.exit_code >= 0) return " exited with " + std::to_string(task.status.exit_code);
  if (!task.status.message.empty()) return ": " + task.status.message;
  return " failed";
}

std::string BackoffExceeded(const Job& job, const Task& task) {
  return "backoff limit " + std::to_string(job.spec.backoff_limit) + " exceeded: task " +
         task.metadata.name + HowItEnded(task);
}

// With backoffLimitPerIndex: the index of `task` fails for good; the job goes
// on with its other indexes unless more than maxFailedIndexes have failed.
void FailIndex(const Job& job, const Task& task, int64_t now_ms, JobStatus& st,
               const std::string& why) {
  const int64_t index = task.spec.index;
  st.index_failures.erase(index);
  st.failed_indexes_pending.Erase(index);
  st.failed_indexes.Insert(index);
  const int32_t max_failed = job.spec.max_failed_indexes;
  if (max_failed >= 0 && st.failed_indexes.Count() > max_failed) {
    Finish(st, JobPhase::kFailed, now_ms,
           "more than maxFailedIndexes " + std::to_string(max_failed) + " indexes failed (" +
               st.failed_indexes.ToString() + "): task " + task.metadata.name + why);
    return;
  }
  if (Done(job, st) >= job.spec.completions) FinishDone(st, now_ms);
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
    st.index_failures.erase(index);
    if (Done(job, st) >= job.spec.completions) FinishDone(st, now_ms);
    return;
  }
  const bool disrupted = Disrupted(task);
  if (disrupted && !job.spec.requeue) {
    ++st.failed;
    const std::string why =
        (task.status.phase == TaskPhase::kLost ? " was lost with its node" : " was preempted") +
        std::string(" and the job may not be requeued (--no-requeue)");
    if (PerIndex(job)) return FailIndex(job, task, now_ms, st, why);
    Finish(st, JobPhase::kFailed, now_ms, "task " + task.metadata.name + why);
    return;
  }
  if (!disrupted && task.status.message == kTimeLimitExceeded) {
    ++st.failed;  // as Slurm's TIMEOUT: running it again would only hit the limit again
    if (PerIndex(job)) return FailIndex(job, task, now_ms, st, ": time limit exceeded");
    Finish(st, JobPhase::kFailed, now_ms, "task " + task.metadata.name + ": time limit exceeded");
    return;
  }
  if (disrupted) {
    // Runs again below; counts against nothing.
  } else if (++st.failed > job.spec.backoff_limit) {
    Finish(st, JobPhase::kFailed, now_ms, BackoffExceeded(job, task));
    return;
  } else if (PerIndex(job) && ++st.index_failures[index] > job.spec.backoff_limit_per_index) {
    return FailIndex(job, task, now_ms, st, HowItEnded(task));
  }
  // Retry the same index, so that DROVER_TASK_INDEX of the retry matches.
  if (!st.completed_indexes.Contains(index)) st.failed_indexes_pending.Insert(index);
}

}  // namespace

int64_t TasksWanted(const Job& job, const IndexSet* claimable) {
  if (IsTerminal(job.status.phase)) return 0;
  if (job.spec.work_queue && job.status.succeeded > 0) return 0;  // the queue is empty
  int64_t room = job.spec.parallelism - job.status.active;
  int64_t left = RemainingToStart(job);
  if (claimable != nullptr) {
    left = std::min(left, job.status.failed_indexes_pending.Count() + claimable->Count());
  }
  return std::max<int64_t>(0, std::min(room, left));
}

int64_t ClaimNextIndex(Job& job, IndexSet* claimable) {
  JobStatus& st = job.status;
  ++st.active;
  st.reasons.clear();
  st.estimated_start_ms = 0;
  if (auto retry = st.failed_indexes_pending.First()) {
    st.failed_indexes_pending.Erase(*retry);
    return *retry;
  }
  if (claimable != nullptr) {
    // In the order they became ready, not only upwards: next_index then only
    // marks the highest index started.
    const int64_t index = claimable->First().value_or(st.next_index);
    claimable->Erase(index);
    st.next_index = std::max(st.next_index, index + 1);
    return index;
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
  // A work queue is done once a worker succeeded and none runs any more.
  if (!IsTerminal(st.phase) && job.spec.work_queue && st.succeeded > 0 && st.active == 0) {
    Finish(st, JobPhase::kSucceeded, now_ms, "");
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
