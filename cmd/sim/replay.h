// Replay: runs a Workload through drover::scheduler::Schedule in simulated
// time. Event-driven: the clock jumps to the next submit or finish; every
// event of that timestamp is applied before the scheduler runs. Jobs run their
// real run time; the scheduler plans with their estimate.
#pragma once

#include <cstdint>
#include <vector>

#include "cmd/sim/workload.h"
#include "scheduler/schedule.h"

namespace drover::sim {

struct Machine {
  int32_t nodes = 1;           // the trace's processors mapped onto nodes
  int32_t cores_per_node = 0;  // of one package and NUMA node each
};

struct JobOutcome {
  uint64_t id = 0;
  int64_t submit_s = 0;
  int64_t start_s = 0;
  int64_t end_s = 0;
};

struct ReplayResult {
  std::vector<JobOutcome> jobs;  // in workload order
  int64_t passes = 0;
  double utilization = 0;  // busy core-seconds / (cores * makespan)
  double mean_wait_s = 0;
  double mean_bounded_slowdown = 0;  // max(1, (wait + run) / max(run, 10 s))
  int64_t makespan_s = 0;            // last end - first submit
};

// With one node, a job is one task of `procs` cores; with more, `procs`
// one-core tasks started as a gang.
ReplayResult Replay(const Workload& workload, const Machine& machine,
                    const scheduler::SchedulerConfig& config);

}  // namespace drover::sim
