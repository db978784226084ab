// The scheduler: a pure function
//   (cluster snapshot, pending queue, now) -> (placements, reasons, estimates)
// with no I/O and no clock, so droverd, the unit tests and drover-sim run the
// same code. Deterministic: the same input gives the same output.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/topology.h"

namespace drover::scheduler {

// One node as the scheduler sees it.
struct NodeSnapshot {
  std::string name;
  NodeTopology topology;
  std::vector<bool> core_busy;  // indexed by core id; true = held by a task
  int64_t memory_free_bytes = 0;
  bool schedulable = true;                    // Ready and not drained
  std::map<std::string, std::string> labels;  // matched by PendingJob::node_selector
  // Free memory of each NUMA node (by logical index), for jobs with
  // memory_per_numa. Empty: topology.numa_memory_bytes minus the
  // numa_memory_bytes of the node's running tasks.
  std::vector<int64_t> numa_memory_free_bytes;
};

// A task already holding resources; used to plan reservations (backfill) and
// to choose preemption victims.
struct RunningTask {
  uint64_t job_id = 0;
  std::string node;
  std::vector<int32_t> cores;
  int64_t memory_bytes = 0;
  int64_t expected_end_ms = 0;  // start + time limit; 0 = unknown (no limit)
  // Memory it holds on each NUMA node (TaskPlacement::numa_memory_bytes); empty if none.
  std::vector<int64_t> numa_memory_bytes;
  // For preemption (ignored unless a queue has a preempt mode):
  std::string task;         // the task's name, reported back in Preemption::task
  int32_t priority = 0;     // its job's priority, on the scale of PendingJob::priority
  std::string queue;        // its job's queue; that queue's preempt mode applies to it
  int64_t start_ms = 0;     // when it started; work lost = cores x (now - start)
  bool gang = false;        // preempting one task of a gang preempts every task of its job
  bool preemptible = true;  // false: never a victim (e.g. the caller protects it)
  // Already being killed (preempted or cancelled): its cores and memory come
  // free as soon as it exits. The plan counts them free from now, and a job
  // may rely on them as on a victim's (see Decision::after_preemption) without
  // a new preemption. Busy in NodeSnapshot::core_busy until it has exited.
  bool terminating = false;
};

// How a task's cores are chosen inside a node.
enum class CorePlacement {
  kCompact,  // fewest NUMA nodes, then fewest packages (best fit at each level); default
  kSpread,   // round-robin across packages, then NUMA nodes
};

// A job with tasks waiting to start.
struct PendingJob {
  uint64_t job_id = 0;
  int32_t priority = 0;
  int64_t submit_time_ms = 0;
  int64_t tasks_wanted =
      1;  // tasks it could start now (parallelism - active, capped by what remains)
  int32_t cpus_per_task = 1;
  int64_t memory_per_task = 0;
  int64_t time_limit_s = 0;  // 0 = unknown
  bool gang = false;         // all tasks_wanted at once, or none
  // Shape of the allocation (issue 3). Defaults keep the first version's behaviour.
  CorePlacement placement = CorePlacement::kCompact;
  bool exclusive = false;       // whole nodes: every core and byte of each node it uses
  int32_t ntasks_per_node = 0;  // at most this many of its tasks on one node; 0 = no cap
  int32_t nodes = 0;            // spread the tasks over exactly this many nodes; 0 = any
  // Where it may run at all: nodes carrying every one of these labels, and
  // (when set) only the node of this name (a DaemonSet's, a pinned ordinal's).
  std::map<std::string, std::string> node_selector;
  std::string required_node;
  // Slurm's -w/--nodelist (only these) and -x/--exclude (never these); sorted.
  std::vector<std::string> allowed_nodes;
  std::vector<std::string> excluded_nodes;
  // Queue state (filled by droverd / queue); reported back as reasons.
  std::string user;
  std::string account;
  std::string queue;
  bool held = false;
  bool dependency_pending = false;
  int64_t begin_time_ms = 0;  // not before this time; 0 = any time
  // Memory bound to the NUMA nodes of the task's cores (Slurm's --mem-bind=local,
  // numactl --membind): each NUMA node its cores are on gives memory_per_task x
  // (its cores there / cpus_per_task), and must have that free. Compact
  // placement then looks for one NUMA node with the cores and the memory.
  // Ignored for exclusive jobs (they hold whole nodes) and on nodes whose
  // topology has no per-NUMA memory.
  bool memory_per_numa = false;
  // Planned run time in ms when >= 0; overrides time_limit_s (drover-sim uses
  // it for exact, possibly zero, estimates). -1 = use time_limit_s.
  int64_t duration_ms = -1;
};

struct TaskPlacement {
  uint64_t job_id = 0;
  std::string node;
  std::vector<int32_t> cores;  // core ids on that node
  std::vector<int32_t> cpus;   // OS indexes of the PUs under those cores
  int64_t memory_bytes = 0;
  // For a memory_per_numa job: the memory taken from each NUMA node (by logical
  // index; sums to memory_bytes), to bind and to account. Empty otherwise.
  std::vector<int64_t> numa_memory_bytes;
};

// Why a job (or part of it) did not start, as in squeue's REASON column.
enum class PendingReason {
  kPriority,   // a higher-priority job holds the resources it needs
  kResources,  // not enough free resources now
  kDependency,
  kQueueLimit,
  kUserLimit,
  kReservation,
  kHeld,
  kBeginTime,
};

std::string_view PendingReasonName(PendingReason reason);

struct PendingVerdict {
  uint64_t job_id = 0;
  std::vector<PendingReason> reasons;  // most binding first
  int64_t estimated_start_ms = 0;      // 0 = unknown
};

// Resources the plan holds for a job that cannot start now (backfill must not
// delay it): `tasks` tasks on `node` from start_ms to end_ms.
struct Reservation {
  uint64_t job_id = 0;
  std::string node;
  int64_t tasks = 0;
  int32_t cores = 0;  // total cores held on the node
  int64_t memory_bytes = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // INT64_MAX = no time limit
};

// What a running job's queue does with it when a higher-priority job needs its
// cores. kOff: never preempted (the default for every queue).
enum class PreemptMode { kOff, kRequeue, kCancel };

std::string_view PreemptModeName(PreemptMode mode);

// One running task to kill so that a higher-priority job can start.
struct Preemption {
  uint64_t job_id = 0;  // the victim's job
  std::string task;     // RunningTask::task of the victim
  std::string node;
  std::vector<int32_t> cores;
  int64_t memory_bytes = 0;
  PreemptMode mode = PreemptMode::kRequeue;  // from the victim's queue
  uint64_t preemptor = 0;                    // the job that needs its resources
};

struct Decision {
  std::vector<TaskPlacement> placements;  // in the order they were made
  std::vector<PendingVerdict> pending;    // every job not fully placed
  std::vector<Reservation> reservations;  // the plan's holds, per job and node
  // Preemption (only when some queue has a preempt mode; see the contract at
  // Schedule below). Victims to kill, and the placements that need their
  // resources (or those of tasks already terminating): NOT startable now.
  std::vector<Preemption> preemptions;
  std::vector<TaskPlacement> after_preemption;
};

struct ClusterSnapshot {
  std::vector<NodeSnapshot> nodes;
  std::vector<RunningTask> running;
};

// Per-queue (partition) limits the scheduler enforces within a pass.
struct QueueLimits {
  std::string name;
  std::vector<std::string> nodes;  // node names of the partition; empty = every node
  int64_t max_time_s = 0;          // 0 = no limit
  int64_t default_time_s = 0;      // planned run time of a job without a limit; 0 = max_time_s
  int64_t max_cores_per_job = 0;   // 0 = no limit
  int32_t max_nodes_per_job = 0;   // 0 = no limit
  int32_t max_running_jobs_per_user = 0;  // 0 = no limit
  int32_t priority = 0;  // the queue's tier for multifactor priority (queue/multifactor.h)
  // What happens to this queue's running jobs when a higher-priority job needs
  // their cores: kOff (never preempted), kRequeue or kCancel.
  PreemptMode preempt = PreemptMode::kOff;
};

struct SchedulerConfig {
  // Queue policy by name: "easy" (EASY backfill, default), "conservative"
  // (a reservation for each of the first reservation_depth blocked jobs), "fcfs"
  // (no backfill).
  std::string policy = "easy";
  int32_t reservation_depth = 100;  // conservative only
  std::vector<QueueLimits> queues;  // jobs naming no listed queue are unlimited
  // Jobs each user already runs in each queue (for max_running_jobs_per_user).
  struct UserRunning {
    std::string queue;
    std::string user;
    int32_t jobs = 0;
  };
  std::vector<UserRunning> running_per_user;
};

// Places as many pending tasks as fit, highest priority first (ties: earlier
// submit, then lower job id), with EASY backfilling. Never gives a core twice or
// a byte of memory beyond memory_free_bytes. A job whose time limit is 0 (unknown)
// is treated as running forever; a running task with expected_end_ms 0 as never ending.
//
// Preemption (on when some queue of config.queues has preempt != kOff). When a
// job J cannot be (fully) placed in its turn, the pass looks for victims among
// running tasks that are preemptible, not terminating, in a queue whose mode is
// not kOff, and of a priority strictly below J's (equal or higher: never).
// A gang task is a victim only with every task of its job. The target is all
// of J's remaining tasks for a gang; for another job as many of them as would
// fit with every candidate freed. If J would not fit even with every candidate
// freed, nothing is preempted. Otherwise two kinds of minimal victim sets (no
// victim can be spared) reach the target: the greedy one, freeing cheapest
// first over all nodes (lowest priority, then least work lost = cores x (now -
// start_ms), then the latest started) until J fits; and, for each node, the
// one from freeing its candidates and then sparing them most expensive first,
// as kube-scheduler does. The cheapest wins, compared as kube-scheduler picks
// a node: lowest highest victim priority, then lowest sum of victim priorities
// (each shifted by 2^31, never negative), fewest victim tasks, least work
// lost, latest start of the earliest-started highest-priority victim; ties go
// to the greedy set, then to the lowest node index. (The cheapest of all sets
// is a knapsack problem and not attempted.) Terminating tasks count as free
// victims for any job. Reservations of higher jobs are kept (caps apply).
//
// The result: Decision::preemptions (victims, each with its queue's mode) and
// Decision::after_preemption (J's placements on those resources); J also stays
// in `pending` (reason Resources, estimated start now). The caller (droverd):
//   1. kills every victim task; for kRequeue puts the task's index back to
//      pending without counting a failure (nor a retry against backoffLimit),
//      for kCancel ends the victim's job as Cancelled ("preempted by job N");
//   2. marks the victims `terminating` in later snapshots until they exit
//      (so no second set of victims is chosen for the same job);
//   3. does NOT start after_preemption placements on cores still busy.
//      Recommended: ignore after_preemption and let the next pass (triggered by
//      the victims' exits) place J normally — it is still the highest-priority
//      job that needs those cores, and the placement is then checked against
//      the real state. A caller may instead keep them and start them once
//      every victim on their nodes has exited, if nothing else changed.
Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms);

// The same with a chosen policy and limits. An unknown policy name is a bug in
// the caller (validate configs with ValidateSchedulerConfig first); it falls back to EASY.
Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms, const SchedulerConfig& config);

// Indexes into `pending` in queue order: priority descending, then submit
// time, then job id (then position, so the order is total).
std::vector<size_t> QueueOrder(const std::vector<PendingJob>& pending);
// The same into `order` (its capacity is reused).
void QueueOrder(const std::vector<PendingJob>& pending, std::vector<size_t>& order);

}  // namespace drover::scheduler
