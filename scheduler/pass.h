// RunPass: one scheduling pass — queue order, queue reasons, placement,
// preemption, the queue policy's reservations (docs/scheduling.md, "The pass").
// Schedule() runs it on a pool and timeline built from a snapshot; Engine on
// ones it keeps between passes. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/node_pool.h"
#include "scheduler/schedule.h"
#include "scheduler/timeline.h"

namespace drover::scheduler {

// `pool` and `timeline` hold the state at now_ms; `running` lists the tasks
// holding resources (for ntasks_per_node and preemption). Appends to
// `decision`. The placements made stay taken in the pool, with their release
// events in the timeline; reservations stay until the timeline's next
// BeginPass (called here first).
struct PassOptions {
  // When set, the planned end of each new entry of decision.placements is
  // appended to it (kNever: none).
  std::vector<int64_t>* placement_ends = nullptr;
  // Scratch for the queue order, reused across passes when set.
  std::vector<size_t>* order = nullptr;
  // False: decision.pending stays empty (a replay that reads only placements).
  bool report_pending = true;
};
void RunPass(NodePool& pool, Timeline& timeline, const std::vector<RunningTask>& running,
             const std::vector<PendingJob>& pending, int64_t now_ms, const SchedulerConfig& config,
             Decision& decision, const PassOptions& options = {});

}  // namespace drover::scheduler
