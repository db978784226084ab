// CheckCanEverRun: whether a job could ever start — on the cluster's nodes
// with nothing running, within its queue's limits and node set. droverd calls
// it at submit so that a job that never could is refused with the reason
// instead of pending forever (issue 3, "Bad input"). Pure; thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "api/status.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

// What admission needs of a node: no topology, so that droverd can keep one
// list for every submission instead of copying each node's per job.
struct NodeCapacity {
  std::string_view name;  // points into the caller's node (valid for the call)
  int64_t cores = 0;
  int64_t memory_bytes = 0;
};

// `job.tasks_wanted` is the job's parallelism (all of it, for a gang).
// Ok, or Unschedulable whose field() is the job-spec field at fault
// (spec.template.timeLimit, spec.template.resources.cpus / .memory,
// spec.parallelism, spec.nodes) and whose message names the limit. A cluster
// with no nodes yet cannot judge: Ok. Unschedulable nodes count (they may come
// back); per-NUMA memory is judged per node.
Status CheckCanEverRun(std::span<const NodeCapacity> nodes, const PendingJob& job,
                       const SchedulerConfig& config);
// The same, on a snapshot's nodes (their topologies' cores and memory).
Status CheckCanEverRun(const ClusterSnapshot& cluster, const PendingJob& job,
                       const SchedulerConfig& config);

}  // namespace drover::scheduler
