// The scheduler: a pure function
//   (cluster snapshot, pending queue, now) -> (placements, reasons, estimates)
// with no I/O and no clock, so droverd, the unit tests and drover-sim run the
// same code. Deterministic: the same input gives the same output.
#pragma once

#include <cstdint>
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
  bool schedulable = true;  // Ready and not drained
};

// A task already holding resources; used to plan reservations (backfill).
struct RunningTask {
  uint64_t job_id = 0;
  std::string node;
  std::vector<int32_t> cores;
  int64_t memory_bytes = 0;
  int64_t expected_end_ms = 0;  // start + time limit; 0 = unknown (no limit)
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
  // Queue state (filled by droverd / queue); reported back as reasons.
  std::string user;
  std::string account;
  std::string queue;
  bool held = false;
  bool dependency_pending = false;
  int64_t begin_time_ms = 0;  // not before this time; 0 = any time
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

struct Decision {
  std::vector<TaskPlacement> placements;  // in the order they were made
  std::vector<PendingVerdict> pending;    // every job not fully placed
  std::vector<Reservation> reservations;  // the plan's holds, per job and node
};

struct ClusterSnapshot {
  std::vector<NodeSnapshot> nodes;
  std::vector<RunningTask> running;
};

// Per-queue (partition) limits the scheduler enforces within a pass.
struct QueueLimits {
  std::string name;
  std::vector<std::string> nodes;         // node names of the partition; empty = every node
  int64_t max_time_s = 0;                 // 0 = no limit
  int64_t max_cores_per_job = 0;          // 0 = no limit
  int32_t max_nodes_per_job = 0;          // 0 = no limit
  int32_t max_running_jobs_per_user = 0;  // 0 = no limit
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
Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms);

// The same with a chosen policy and limits. An unknown policy name is a bug in
// the caller (validate configs with ValidateSchedulerConfig first); it falls back to EASY.
Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms, const SchedulerConfig& config);

// Indexes into `pending` in queue order: priority descending, then submit
// time, then job id (then position, so the order is total).
std::vector<size_t> QueueOrder(const std::vector<PendingJob>& pending);

}  // namespace drover::scheduler
