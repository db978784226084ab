// PlaceTasks: puts the tasks of one job into a NodePool, node by best fit and
// cores by the job's placement mode, either all of them (a gang) or as many as
// fit. Mechanism shared by every queue policy.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/node_pool.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

// Optional per-node ceilings on what a placement may take, used by backfill
// to keep a reservation's resources untouched. Indexed by node; the placer
// lowers them as it places and restores them on rollback.
struct NodeCaps {
  std::vector<int32_t> cores;
  std::vector<int64_t> memory;
};

// Places up to `tasks` tasks of `job` and takes their resources from `pool`.
// With all_or_nothing, either every task is placed or none is and the pool is
// unchanged. Placements are appended to `out`; returns how many were placed.
int64_t PlaceTasks(NodePool& pool, const PendingJob& job, int64_t tasks, bool all_or_nothing,
                   NodeCaps* caps, std::vector<TaskPlacement>& out);

// Whether `job` could ever run on this cluster with every node empty (ignores
// what is busy now). Used to tell "wait" from "never".
bool FitsEmptyCluster(const ClusterSnapshot& cluster, const PendingJob& job);

}  // namespace drover::scheduler
