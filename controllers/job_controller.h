// The Job controller's decisions, as pure functions over a Job's record.
//
// A job is one record; its tasks are created lazily, one per index attempt,
// when the scheduler places them. These functions decide how many tasks a job
// wants now, which index the next task runs, what a finished task does to the
// job, and the job's phase. They keep no state of their own and do no I/O:
// droverd calls them from its state thread, tests call them directly.
#pragma once

#include <cstdint>
#include <optional>

#include "api/job.h"
#include "api/task.h"

namespace drover::controllers {

// Tasks the job could start now: parallelism minus active, capped by the
// indexes (or completions) still to run. 0 for finished jobs.
int64_t TasksWanted(const Job& job);

// Claims the index the next task of `job` runs: a failed index awaiting retry
// first (lowest), else the first never-started index. Updates job.status.
// Precondition: TasksWanted(job) > 0.
int64_t ClaimNextIndex(Job& job);

// The attempt number for a new task of `index`: failures of that index so far.
// Callers pass the number of earlier attempts they know of.

// What happened to the job because one of its tasks ended.
struct TaskEndEffect {
  bool job_finished = false;       // the job reached a terminal phase now
  bool kill_active_tasks = false;  // e.g. backoffLimit exceeded: stop the rest
};

// Records the end of a task of `job` (its final phase and exit code) and
// returns the effect. Idempotence is the caller's duty: call once per task.
TaskEndEffect RecordTaskEnd(Job& job, const Task& task, int64_t now_ms);

// Records that a task of `job` was preempted to make room for another job and
// is to run again: its index goes back to the queue, and it counts neither as
// a failure nor against backoffLimit.
void RecordTaskRequeued(Job& job, const Task& task);

// Records that a task of `job` was created (placed) at now_ms.
void RecordTaskStart(Job& job, int64_t now_ms);

// Marks the job cancelled. Returns false if it had already finished.
bool CancelJob(Job& job, int64_t now_ms);

}  // namespace drover::controllers
