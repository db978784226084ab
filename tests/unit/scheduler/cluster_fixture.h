// Small builders for scheduler tests: nodes, pending jobs, running tasks.
#pragma once

#include <string>

#include "scheduler/schedule.h"
#include "scheduler/synthetic_topology.h"

namespace drover::scheduler::testing {

inline constexpr int64_t kGiB = int64_t{1} << 30;

inline NodeSnapshot MakeNode(std::string name, int32_t packages, int32_t numa_per_package,
                             int32_t cores_per_numa, int64_t memory = 64 * kGiB) {
  NodeSnapshot n;
  n.name = std::move(name);
  n.topology = SyntheticTopology(packages, numa_per_package, cores_per_numa, 2, memory);
  n.core_busy.assign(n.topology.cores.size(), false);
  n.memory_free_bytes = memory;
  return n;
}

inline PendingJob MakeJob(uint64_t id, int64_t tasks, int32_t cpus, bool gang = false,
                          int32_t priority = 0, int64_t submit = 0) {
  PendingJob j;
  j.job_id = id;
  j.tasks_wanted = tasks;
  j.cpus_per_task = cpus;
  j.gang = gang;
  j.priority = priority;
  j.submit_time_ms = submit == 0 ? static_cast<int64_t>(id) : submit;
  return j;
}

}  // namespace drover::scheduler::testing
