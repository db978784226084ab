// Task: one attempt at running one index of a job on one node (a pod, in
// Kubernetes terms; an array task or step, in Slurm's). Tasks are created
// lazily when the scheduler places them, never materialized up front.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/job.h"
#include "api/object_meta.h"

namespace drover {

// The message of a task its time limit ended; such a task is never run
// again (Slurm's TIMEOUT).
inline constexpr char kTimeLimitExceeded[] = "time limit exceeded";
// The message of a failed task whose cgroup the kernel found over its memory
// limit (Slurm's OUT_OF_MEMORY).
inline constexpr char kOutOfMemory[] = "out of memory: a process went over the task's memory limit";

enum class TaskPhase {
  kAssigned,  // placed on a node; the node has not yet reported it started
  kRunning,
  kSucceeded,  // exited 0
  kFailed,     // non-zero exit, signal, or failed to start
  kCancelled,  // killed because its job was cancelled
  kLost,       // its node stopped reporting
};

struct ResourceUsage {
  int64_t user_cpu_ms = 0;
  int64_t system_cpu_ms = 0;
  int64_t max_rss_kb = 0;
};

// What a task belongs to (Kubernetes' ownerReference): a Job, or a
// Deployment whose controller keeps it running.
struct TaskOwner {
  std::string kind;  // "Job" | "Deployment"
  std::string name;
  std::string uid;
  bool operator==(const TaskOwner&) const = default;
};

// A task of a job step (Slurm's srun inside an allocation): one rank, on
// cores of the allocation, running the step's own command.
struct StepSpec {
  int32_t id = -1;       // -1: not a step task
  int32_t rank = 0;      // SLURM_PROCID
  int32_t local_id = 0;  // rank among the step's tasks on its node (SLURM_LOCALID)
  int32_t node_id = 0;   // its node among the step's nodes (SLURM_NODEID)
  int32_t ntasks = 1;
  std::string nodelist;        // the step's nodes, as a hostlist
  std::string tasks_per_node;  // Slurm's form, "2(x2),1"
  // A rank that fails stops the others (Slurm's --kill-on-bad-exit).
  bool kill_on_bad_exit = true;
  // "pmix": drover-node's PMIx server serves the ranks, which make one MPI
  // world (srun's --mpi=pmix, its default); "none": no PMIx.
  std::string mpi = "none";
  std::string name;      // argv[0]'s base name, as squeue -s shows it
  TaskTemplate command;  // what the rank runs: argv, env, working dir
};

struct TaskSpec {
  uint64_t job_id = 0;  // Job tasks; 0 for tasks of other owners
  int64_t index = 0;
  int32_t attempt = 0;
  std::string node;
  std::vector<int32_t> cores;  // core ids on the node, chosen by the scheduler
  std::vector<int32_t> cpus;   // OS indexes of the PUs under those cores
  int64_t memory_bytes = 0;
  // With memoryBind "local": the memory taken from each NUMA node of the node
  // (by logical index; sums to memory_bytes). Empty otherwise.
  std::vector<int64_t> numa_memory_bytes;
  TaskOwner owner;
  // The owner's template revision it runs (Revision::hash); its launch is
  // built from that revision, never from a newer template.
  std::string revision;
  // Ports allocated to it on its node, by name, in the template's order.
  std::vector<std::pair<std::string, int32_t>> ports;
  // Allocation jobs (JobSpec::allocation): the allocation holds one task per
  // node, `part` 0 on its first node. A placeholder runs nothing on its node
  // (the other parts, and every part of an interactive allocation): it only
  // holds that node's cores for the allocation's steps.
  int32_t part = 0;
  bool placeholder = false;
  StepSpec step = {};
};

struct TaskStatus {
  TaskPhase phase = TaskPhase::kAssigned;
  int32_t exit_code = -1;
  int32_t signal = 0;
  int32_t pid = 0;
  int64_t start_time_ms = 0;
  int64_t finish_time_ms = 0;
  ResourceUsage usage;
  std::string message;
  // Serving: running, and its readiness probe (if any) passes.
  bool ready = false;
  // droverd has told its node to stop it (Kubernetes' deletionTimestamp).
  bool terminating = false;
  int64_t ready_since_ms = 0;
  // Ended by the cluster, not by itself (its node was lost, it was preempted
  // to run again): its index runs again, and the end counts against nothing
  // (Kubernetes' DisruptionTarget condition).
  bool disrupted = false;
  // Its end is included in its Job's status (see controllers/job_controller.h);
  // only a counted task may be forgotten.
  bool counted = false;
};

struct Task {
  ObjectMeta metadata;  // name = TaskName(job_id, index, attempt)
  TaskSpec spec;
  TaskStatus status;
};

std::string TaskName(uint64_t job_id, int64_t index, int32_t attempt);
// Part K > 0 of an allocation: TaskName(...) + "+K".
std::string AllocationPartName(uint64_t job_id, int64_t index, int32_t attempt, int32_t part);
// Rank R of step S of a job: "J.S-R" (Slurm names step S of job J "J.S").
std::string StepTaskName(uint64_t job_id, int32_t step, int32_t rank);
inline bool IsStepTask(const TaskSpec& spec) { return spec.step.id >= 0; }
std::string_view TaskPhaseName(TaskPhase phase);
bool IsTerminal(TaskPhase phase);

}  // namespace drover
