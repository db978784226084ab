// The Job controller: a level-triggered reconciler over a Job and the tasks
// it owns, pure (no I/O, no clock of its own).
//
// A job's tasks are created lazily, one per index attempt, when the scheduler
// places them: the controller says how many the job wants now (TasksWanted)
// and which index the next one runs (ClaimNextIndex, the expectation that
// stops two placements of one pass taking the same index).
//
// Everything else is ReconcileJob: the job's status is recounted from its
// observed tasks. An ended task's outcome is added to the status once, and
// the task is then marked counted (TaskStatus::counted, as Kubernetes' Job
// controller tracks uncountedTerminatedPods): droverd forgets old finished
// tasks, so the status keeps what they contributed, and a task is forgotten
// only once counted. Applying the result and reconciling again changes
// nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/job.h"
#include "api/task.h"

namespace drover::controllers {

// Tasks the job could start now: parallelism minus active, capped by the
// indexes (or completions) still to run. 0 for finished jobs.
// `claimable` (aftercorr arrays): the indexes it may start now; retries of
// failed indexes aside, only those are counted and claimed.
int64_t TasksWanted(const Job& job, const IndexSet* claimable = nullptr);

// Claims the index the next task of `job` runs: a failed index awaiting retry
// first (lowest), else the first never-started index, and counts the task
// as active until the next reconcile sees it. Precondition: TasksWanted > 0.
int64_t ClaimNextIndex(Job& job, IndexSet* claimable = nullptr);

// What a job should be, given its tasks.
struct JobReconcile {
  JobStatus status;                // the status it should have
  std::vector<std::string> count;  // ended tasks `status` now includes: mark them counted
  std::vector<std::string> kill;   // active tasks to stop: the job has finished
  // Active tasks of an allocation a disruption broke (a lost node, a
  // preemption): stop them so that the allocation runs again whole.
  std::vector<std::string> requeue;
  bool changed = false;  // status differs from the job's
};

// `tasks`: every task of the job droverd still holds (active ones, and any
// ended one not yet counted, at least). Ended tasks are counted in the order
// they ended. A success counts towards completions; a failure against
// backoffLimit (its index runs again); a disrupted end (its node was lost, it
// was preempted to run again) counts against nothing and its index runs again.
// Ends that come after the job finished (the tail of a cancelled job) change
// nothing but are counted.
//
// Allocation jobs (JobSpec::allocation): an index's tasks (one per node) are
// one run, active while any of them is; only the batch script's end (part 0)
// is an outcome, and once one of them has ended the others stop (`kill`, or
// `requeue` when a disruption ended it), so an allocation never runs in part.
JobReconcile ReconcileJob(const Job& job, const std::vector<const Task*>& tasks, int64_t now_ms);

// Marks the job cancelled. Returns false if it had already finished.
bool CancelJob(Job& job, int64_t now_ms);

}  // namespace drover::controllers
