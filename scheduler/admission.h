// CheckCanEverRun: whether a job could ever start — on the cluster's nodes
// with nothing running, within its queue's limits and node set. droverd calls
// it at submit so that a job that never could is refused with the reason
// instead of pending forever (issue 3, "Bad input"). Pure; thread-safe.
#pragma once

#include "api/status.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

// `job.tasks_wanted` is the job's parallelism (all of it, for a gang).
// Ok, or Unschedulable whose field() is the job-spec field at fault
// (spec.template.timeLimit, spec.template.resources.cpus / .memory,
// spec.parallelism, spec.nodes) and whose message names the limit. A cluster
// with no nodes yet cannot judge: Ok. Unschedulable nodes count (they may come
// back); per-NUMA memory is judged per node.
Status CheckCanEverRun(const ClusterSnapshot& cluster, const PendingJob& job,
                       const SchedulerConfig& config);

}  // namespace drover::scheduler
