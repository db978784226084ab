// Job: parallel tasks that run to completion (the Batch pattern).
//
// The shape follows Kubernetes' batch/v1 Job (completions, parallelism,
// completionMode, backoffLimit) with the batch-scheduler fields HPC users
// expect (priority, queue, resources, time limit, output paths).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/index_set.h"
#include "api/object_meta.h"

namespace drover {

inline constexpr char kApiVersion[] = "drover.io/v1";

struct ResourceRequest {
  int32_t cpus = 1;          // whole cores per task
  int64_t memory_bytes = 0;  // per task; 0 = no memory request
  // "none": memory comes from the node as a whole. "local": bound to the NUMA
  // nodes of the task's cores and accounted per NUMA node (Slurm's
  // --mem-bind=local, numactl --membind).
  std::string memory_bind = "none";
};

using EnvVar = std::pair<std::string, std::string>;

struct TaskTemplate {
  std::vector<std::string> command;  // argv[0..]; required
  std::vector<std::string> args;     // appended to command
  std::vector<EnvVar> env;           // in order; later entries win
  std::string working_dir;           // default: the submitter's working dir or $HOME
  ResourceRequest resources;
  int64_t time_limit_s = 0;  // 0 = the queue's default (no limit yet)
  // Output paths; may hold Slurm's patterns (%j/%A job id, %a/%i task index,
  // %x job name, %N node, %u user). Empty = the node's per-task log file; an
  // empty stderr with a stdout path joins stdout, as in Slurm.
  std::string stdout_path;
  std::string stderr_path;
  // Slurm's --signal=[B:]SIG[@SECS]: SIG is sent SECS before the time limit
  // (to the whole task, or to the batch shell alone), so a job can checkpoint.
  int32_t warning_signal = 0;  // 0 = none
  int32_t warning_seconds = 60;
  bool warning_shell_only = false;
};

enum class CompletionMode { kNonIndexed, kIndexed };

// Slurm's batch model (sbatch, salloc, srun). The job is an allocation of
// `tasks` slots of template.resources.cpus cores each, placed all or none
// (nodes, ntasksPerNode and exclusive shape it); each index of the job gets
// its own allocation. kBatch: the template (the batch script) runs once, on
// the allocation's first node, and steps (srun) run inside the allocation.
// kInteractive: nothing runs in it until a client (salloc, srun) starts
// steps; that client ends it.
enum class AllocationMode { kNone, kBatch, kInteractive };

struct AllocationSpec {
  AllocationMode mode = AllocationMode::kNone;
  int32_t tasks = 1;  // slots (Slurm's --ntasks)
};

// Starts the job only once another job has reached a state, as Slurm's
// --dependency: "after" (the other started, or ended without starting),
// "afterany" (it ended), "afterok" (it succeeded), "afternotok" (it failed or
// was cancelled). A job runs once all of its dependencies hold.
struct JobDependency {
  // after | afterany | afterok | afternotok | singleton (no job: the owner's
  // earlier unfinished jobs of the same name must have ended)
  std::string type;
  uint64_t job_id = 0;
  // "after" only (Slurm's after:JOB+MINUTES): holds this long after the other
  // started, or ended without starting.
  int64_t delay_s = 0;
};

// Slurm's --mail-type/--mail-user: droverd's mail program (jobs.mailProgram)
// is run when the job begins, ends, fails or is cancelled for a dependency.
struct MailSpec {
  // NONE, BEGIN, END, FAIL, REQUEUE, INVALID_DEPEND, ALL, TIME_LIMIT[_50|_80|_90],
  // ARRAY_TASKS, STAGE_OUT; droverd sends BEGIN, END, FAIL, INVALID_DEPEND and
  // the TIME_LIMIT ones.
  std::vector<std::string> types;
  std::string user;  // "" = the job's owner
  bool operator==(const MailSpec&) const = default;
};

struct JobSpec {
  int64_t completions = 1;
  int64_t parallelism = 1;
  // Kubernetes' work queue (parallelism and no completions): `parallelism`
  // workers (completions = parallelism, one index per worker, DROVER_WORKER)
  // take items until the queue is empty; none starts once one has succeeded,
  // and the job succeeds when one has and all have ended.
  bool work_queue = false;
  CompletionMode completion_mode = CompletionMode::kNonIndexed;
  // Indexed: the indexes to run when they are not 0..completions-1 (Slurm's
  // --array=1,3,5 or 0-20:5); completions is then their count.
  IndexSet indexes;
  int32_t backoff_limit = 6;  // failed tasks tolerated before the job fails
  // Indexed only (Kubernetes' backoffLimitPerIndex): the failures one index
  // may have before that index fails for good while the others go on, as
  // Slurm's array tasks do (sbatch --array gives 0). -1 = not per index.
  int32_t backoff_limit_per_index = -1;
  // With backoffLimitPerIndex: more failed indexes than this fail the job at
  // once (Kubernetes' maxFailedIndexes). -1 = no limit.
  int32_t max_failed_indexes = -1;
  // Whether a task lost with its node (or preempted) runs again, as Slurm's
  // --requeue (the default) / --no-requeue: false ends the job Failed.
  bool requeue = true;
  std::string qos;       // Slurm's --qos: recorded, shown, given to tasks (SLURM_JOB_QOS)
  int32_t priority = 0;  // higher runs first; set by admins only
  // Slurm's --nice: subtracted from the priority. Users may lower their own
  // jobs' priority (nice >= 0); a negative nice is for admins.
  int32_t nice = 0;
  std::string queue = "default";
  std::string account;  // charged for fair-share (Slurm's --account); "" = none
  bool gang = false;    // start all `parallelism` tasks at once or none
  // Shape of the allocation, as Slurm's --ntasks-per-node, --nodes, --exclusive
  // and --distribution.
  std::string placement = "compact";  // "compact" (fill a NUMA node first) or "spread"
  bool exclusive = false;             // whole nodes only
  // Slurm's -w/--nodelist: only these nodes (Drover: any of them, where Slurm
  // wants all of them in the allocation); -x/--exclude: never these.
  std::vector<std::string> node_list;
  std::vector<std::string> exclude_nodes;
  // Only nodes with every one of these labels (Kubernetes' nodeSelector;
  // Slurm's -C/--constraint FEATURE is FEATURE=true).
  Labels node_selector;
  int32_t ntasks_per_node = 0;  // 0 = no cap
  int32_t nodes = 0;            // exactly this many nodes; 0 = any
  AllocationSpec allocation;
  // When it may start: held (until released), not before a time, after other jobs.
  bool hold = false;
  int64_t begin_time_ms = 0;  // Unix epoch ms; 0 = any time
  std::vector<JobDependency> dependencies;
  bool dependency_any = false;  // Slurm's "?": any one of them holding is enough
  // A dependency that can never hold cancels the job (Slurm's
  // --kill-on-invalid-dep=yes, the default); false keeps it pending.
  bool kill_on_invalid_dependency = true;
  MailSpec mail;
  TaskTemplate task;
};

enum class JobPhase { kPending, kRunning, kSucceeded, kFailed, kCancelled };

struct JobStatus {
  JobPhase phase = JobPhase::kPending;
  std::vector<std::string> reasons;  // why pending, most binding first
  int64_t estimated_start_ms = 0;    // from the scheduler's plan; 0 = unknown
  int64_t active = 0;                // tasks assigned or running
  int64_t succeeded = 0;
  int64_t failed = 0;
  IndexSet completed_indexes;       // Indexed mode: indexes that succeeded
  IndexSet failed_indexes_pending;  // indexes whose last attempt failed, to retry
  // Indexes cancelled one by one (scancel JOB_TASK): they never run again,
  // and a job with any ends Cancelled once the rest are done.
  IndexSet cancelled_indexes;
  // With backoffLimitPerIndex: indexes that failed for good, and the failures
  // so far of those still being retried.
  IndexSet failed_indexes;
  std::map<int64_t, int32_t> index_failures;
  int64_t next_index = 0;  // first index never started (lazy creation)
  int32_t next_step = 0;   // allocation jobs: the id the next step gets
  int64_t start_time_ms = 0;
  int64_t completion_time_ms = 0;
  std::string message;  // e.g. why it failed
  // Its accounting records are in the history table (set once the job and
  // all its tasks have ended); only a recorded job may be forgotten.
  bool recorded = false;
  std::vector<std::string> mailed;  // the mail events already sent (BEGIN, END, ...)
  bool operator==(const JobStatus&) const = default;
};

struct Job {
  uint64_t id = 0;  // cluster-wide job id, as in Slurm ("drover cancel 42")
  ObjectMeta metadata;
  // Chosen by the client (metadata.submissionId) so that a submission is
  // safe to retry: droverd answers a second submission with the same id from
  // the same user with the job the first one made. "" = none.
  std::string submission_id;
  Owner owner;
  JobSpec spec;
  JobStatus status;
};

inline bool IsAllocation(const JobSpec& spec) {
  return spec.allocation.mode != AllocationMode::kNone;
}

// The indexes a job runs: the listed ones (--array=1,3,5), else
// 0..completions-1.
inline IndexSet AllIndexes(const JobSpec& spec) {
  if (!spec.indexes.empty()) return spec.indexes;
  IndexSet all;
  if (spec.completions > 0) all.InsertRange(0, spec.completions - 1);
  return all;
}

std::string_view JobPhaseName(JobPhase phase);
bool IsTerminal(JobPhase phase);

}  // namespace drover
