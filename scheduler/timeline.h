// Timeline: the plan of a pass — when each node's cores and memory come free
// (running tasks' expected ends) and which future windows are promised to
// reservations. Counts per node, not specific cores: a reservation promises a
// number of tasks on a node; the exact cores are chosen when the job starts.
//
// Mechanism for every backfill policy: FindEarliest gives a job's earliest
// start (the EASY "shadow time"), Reserve records it, and CapsForNow says how
// much of each reserved node a job starting now may take without delaying any
// reservation. Not thread-safe. Schedule() makes one per pass; Engine keeps one
// between passes (release events persist, reservations are dropped by BeginPass).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

#include "scheduler/job_placer.h"
#include "scheduler/node_pool.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// A job's earliest start found by the timeline: tasks per node at start_ms.
struct PlannedStart {
  int64_t start_ms = 0;
  std::vector<std::pair<int32_t, int64_t>> tasks_on_node;  // (node index, tasks)
};

using TasksOnNode = std::unordered_map<int32_t, int64_t>;  // node index -> tasks

class Timeline {
 public:
  // The pool is the free state now and must outlive the timeline; running
  // tasks give release events (expected_end_ms 0 = never; an overdue end counts
  // as now; a terminating task releases at now).
  Timeline(const NodePool& pool, const ClusterSnapshot& cluster, int64_t now_ms);

  // Starts a new pass at now_ms (>= the previous one): drops every reservation.
  void BeginPass(int64_t now_ms);

  // A task of `cores`/`memory` started now on node n and ends at end_ms
  // (kNever: no event). Also used for resources that come free at end_ms.
  void AddStarted(int32_t n, int32_t cores, int64_t memory, int64_t end_ms);

  // Resources that a release event at `at_ms` promised and that a task started
  // now has claimed (a negative event): victims' cores taken by the preemptor.
  void Claim(int32_t n, int64_t cores, int64_t memory, int64_t at_ms);

  // Removes one release event added for (n, end_ms, cores, memory), e.g. of a
  // task that ended early or was preempted. No-op when there is none.
  void RemoveRelease(int32_t n, int64_t cores, int64_t memory, int64_t end_ms);

  // Earliest time at which `tasks` tasks of `job` can all run on nodes allowed
  // by `allowed` (null = all) for duration_ms without breaking a reservation.
  // nullopt when that never happens (a needed task never ends).
  // `already` (may be null): tasks of this job already on each node.
  std::optional<PlannedStart> FindEarliest(const PendingJob& job, int64_t tasks,
                                           int64_t duration_ms, const std::vector<uint8_t>* allowed,
                                           const TasksOnNode* already = nullptr) const;

  // Promises the planned resources to `job` for [start, start + duration).
  void Reserve(const PendingJob& job, const PlannedStart& plan, int64_t duration_ms,
               Decision& decision);

  bool has_reservations() const { return !reserved_nodes_.empty(); }

  // Sets caps for a job starting now and running duration_ms: on every
  // reserved node, the least that node has free over [now, now + duration).
  // Other nodes' caps are left at their (unlimited) value.
  void CapsForNow(int64_t duration_ms, NodeCaps& caps) const;

  // Tasks of `job` node n could hold given free cores/memory (count model).
  static int64_t Capacity(const NodePool& pool, int32_t n, const PendingJob& job,
                          int64_t free_cores, int64_t free_memory);

 private:
  struct Event {
    int64_t time;
    int64_t cores;  // + released, - taken
    int64_t memory;
  };
  struct GlobalEvent {
    int64_t time;
    int32_t node;
    int64_t cores;
    int64_t memory;
  };
  struct Undo {
    int32_t node;
    int64_t wc, wm, rc, rm;
  };
  // Per reserved node: the least free over [now, t] after each event time t,
  // so a job's caps are a binary search by its end. Valid while the node's
  // events and free resources are those it was built from.
  struct CapStep {
    int64_t time;
    int64_t cores;
    int64_t memory;
  };
  struct CapCache {
    bool valid = false;
    int64_t free_cores = 0;
    int64_t free_memory = 0;
    std::vector<CapStep> steps;
  };
  void Insert(int32_t n, Event e);
  void Erase(int32_t n, Event e);

  const NodePool& pool_;
  int64_t now_;
  std::vector<std::vector<Event>> node_events_;  // per node, sorted by time
  std::vector<int32_t> reserved_nodes_;          // nodes with any reservation
  std::vector<uint8_t> is_reserved_;
  std::vector<std::pair<int32_t, Event>> reservation_events_;  // removed by BeginPass
  // Scratch of FindEarliest, kept so that a pass allocates nothing.
  mutable std::vector<GlobalEvent> events_;
  mutable std::vector<int64_t> cores_, memory_, win_cores_, win_memory_, run_cores_, run_memory_;
  mutable std::vector<Undo> undo_;
  mutable std::vector<CapCache> cap_cache_;  // by node; sized on first use
};

}  // namespace drover::scheduler
