#include "controllers/job_controller.h"

#include <algorithm>

namespace drover::controllers {
namespace {

// Indexes that still need a successful task and have none running.
int64_t RemainingToStart(const Job& job) {
  const JobStatus& st = job.status;
  int64_t done = job.spec.completion_mode == CompletionMode::kIndexed ? st.completed_indexes.Count()
                                                                      : st.succeeded;
  return std::max<int64_t>(0, job.spec.completions - done - st.active);
}

void Finish(Job& job, JobPhase phase, int64_t now_ms, std::string message) {
  job.status.phase = phase;
  job.status.completion_time_ms = now_ms;
  job.status.reasons.clear();
  job.status.estimated_start_ms = 0;
  job.status.message = std::move(message);
}

}  // namespace

int64_t TasksWanted(const Job& job) {
  if (IsTerminal(job.status.phase)) return 0;
  int64_t room = job.spec.parallelism - job.status.active;
  return std::max<int64_t>(0, std::min(room, RemainingToStart(job)));
}

int64_t ClaimNextIndex(Job& job) {
  JobStatus& st = job.status;
  if (auto retry = st.failed_indexes_pending.First()) {
    st.failed_indexes_pending.Erase(*retry);
    return *retry;
  }
  int64_t index = st.next_index;
  // Indexes below next_index were all started once; a completed one is never
  // started again, so next_index only moves forward.
  st.next_index = index + 1;
  return index;
}

void RecordTaskStart(Job& job, int64_t now_ms) {
  JobStatus& st = job.status;
  ++st.active;
  if (st.phase == JobPhase::kPending) {
    st.phase = JobPhase::kRunning;
    st.start_time_ms = now_ms;
  }
  st.reasons.clear();
  st.estimated_start_ms = 0;
}

TaskEndEffect RecordTaskEnd(Job& job, const Task& task, int64_t now_ms) {
  JobStatus& st = job.status;
  TaskEndEffect effect;
  st.active = std::max<int64_t>(0, st.active - 1);
  if (IsTerminal(st.phase)) return effect;  // e.g. the tail of a cancelled job

  if (task.status.phase == TaskPhase::kSucceeded) {
    if (job.spec.completion_mode == CompletionMode::kIndexed) {
      st.completed_indexes.Insert(task.spec.index);
    }
    ++st.succeeded;
    int64_t done = job.spec.completion_mode == CompletionMode::kIndexed
                       ? st.completed_indexes.Count()
                       : st.succeeded;
    if (done >= job.spec.completions) {
      Finish(job, JobPhase::kSucceeded, now_ms, "");
      effect.job_finished = true;
      effect.kill_active_tasks = st.active > 0;
    }
    return effect;
  }

  ++st.failed;
  if (st.failed > job.spec.backoff_limit) {
    std::string why = "backoff limit " + std::to_string(job.spec.backoff_limit) +
                      " exceeded: task " + task.metadata.name;
    if (task.status.signal != 0) {
      why += " killed by signal " + std::to_string(task.status.signal);
    } else if (task.status.exit_code >= 0) {
      why += " exited with " + std::to_string(task.status.exit_code);
    } else if (!task.status.message.empty()) {
      why += ": " + task.status.message;
    } else {
      why += " failed";
    }
    Finish(job, JobPhase::kFailed, now_ms, std::move(why));
    effect.job_finished = true;
    effect.kill_active_tasks = st.active > 0;
    return effect;
  }
  // Retry the same index so DROVER_TASK_INDEX of the retry matches.
  st.failed_indexes_pending.Insert(task.spec.index);
  return effect;
}

void RecordTaskRequeued(Job& job, const Task& task) {
  JobStatus& st = job.status;
  st.active = std::max<int64_t>(0, st.active - 1);
  if (IsTerminal(st.phase)) return;
  st.failed_indexes_pending.Insert(task.spec.index);
}

bool CancelJob(Job& job, int64_t now_ms) {
  if (IsTerminal(job.status.phase)) return false;
  Finish(job, JobPhase::kCancelled, now_ms, "cancelled");
  return true;
}

}  // namespace drover::controllers
