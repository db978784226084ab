// PlaceTasks: puts the tasks of one job into a NodePool, node by best fit and
// cores by the job's placement mode, either all of them (a gang) or as many as
// fit. Mechanism shared by every queue policy.
#pragma once

#include <cstdint>
#include <unordered_map>
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

// Where a placement may go: caps (null = no ceilings) and a node mask (null =
// every node; else nodes with allowed[n] != 0, e.g. a queue's partition).
struct PlacementBounds {
  NodeCaps* caps = nullptr;
  const std::vector<uint8_t>* allowed = nullptr;
  // Tasks of this job already running per node (for ntasks_per_node); may be null.
  const std::unordered_map<int32_t, int64_t>* already = nullptr;
};

// Places up to `tasks` tasks of `job` and takes their resources from `pool`,
// honouring the job's placement, exclusive, ntasks_per_node and nodes. With
// all_or_nothing, either every task is placed or none is and the pool is
// unchanged. Placements are appended to `out`; returns how many were placed.
// An exclusive job takes every free core and byte of its nodes; cores and
// memory beyond what its tasks asked go to the node's last task.
// When `out_nodes` is given, the node index of each new placement is appended to it.
int64_t PlaceTasks(NodePool& pool, const PendingJob& job, int64_t tasks, bool all_or_nothing,
                   PlacementBounds bounds, std::vector<TaskPlacement>& out,
                   std::vector<int32_t>* out_nodes = nullptr);

// Whether `job` could ever run on this cluster with every node empty (ignores
// what is busy now). Used to tell "wait" from "never".
bool FitsEmptyCluster(const ClusterSnapshot& cluster, const PendingJob& job);

}  // namespace drover::scheduler
