// The scheduler: a pure function
//   (cluster snapshot, pending queue, now) -> (placements, reasons, estimates)
// with no I/O and no clock, so droverd, the unit tests and drover-sim run the
// same code. Deterministic: the same input gives the same output.
#pragma once

#include <cstdint>
#include <string>
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

struct Decision {
  std::vector<TaskPlacement> placements;  // in the order they were made
  std::vector<PendingVerdict> pending;    // every job not fully placed
};

struct ClusterSnapshot {
  std::vector<NodeSnapshot> nodes;
  std::vector<RunningTask> running;
};

// Places as many pending tasks as fit, highest priority first (ties: earlier
// submit, then lower job id). Never gives a core twice or a byte of memory
// beyond memory_free_bytes.
Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms);

// Indexes into `pending` in queue order: priority descending, then submit
// time, then job id (then position, so the order is total).
std::vector<size_t> QueueOrder(const std::vector<PendingJob>& pending);

}  // namespace drover::scheduler
