// Engine: the scheduler with its state kept between passes, for a caller that
// owns the cluster's whole evolution (drover-sim). The node pool and the
// plan's release events are updated by each pass's placements and by EndJob
// instead of being rebuilt from a snapshot every pass.
//
// Pass() returns exactly what Schedule() returns for the equivalent snapshot
// (same pool, same running tasks): both run RunPass (scheduler/pass.h); tests
// compare them on random workloads, and sim_test replays a real trace against
// an independent reference.
//
// Limits: the node set is fixed at construction (a node that changes needs a
// new engine); preemption is not modelled (queues' preempt modes are ignored);
// every placement a pass returns is taken as started. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/node_pool.h"
#include "scheduler/schedule.h"
#include "scheduler/timeline.h"

namespace drover::scheduler {

class Engine {
 public:
  // The initial state: `cluster`'s nodes and running tasks (copied).
  Engine(const ClusterSnapshot& cluster, SchedulerConfig config, int64_t now_ms = 0);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One pass at now_ms (never earlier than the previous pass). Every placement
  // it returns holds its resources from now on, until EndJob. The reference
  // is valid until the next call of Pass.
  const Decision& Pass(const std::vector<PendingJob>& pending, int64_t now_ms);

  // False: Pass() leaves Decision::pending empty (for a replay that reads only
  // placements; saves an allocation per waiting job and pass). Default true.
  void set_report_pending(bool report) { report_pending_ = report; }

  // Every running task of the job has ended: its cores and memory are free
  // and its planned release is dropped. Unknown ids are ignored.
  void EndJob(uint64_t job_id);

  const std::vector<RunningTask>& running() const { return running_; }
  const NodePool& pool() const { return pool_; }

 private:
  int32_t NodeIndex(const std::string& name) const;  // -1 if unknown

  SchedulerConfig config_;
  std::unordered_map<std::string, int32_t> node_index_;
  NodePool pool_;
  Timeline timeline_;  // refers to pool_
  std::vector<RunningTask> running_;
  std::vector<int32_t> running_node_;  // node index of each running task
  Decision decision_;
  std::vector<int64_t> ends_;  // planned end of each placement of the last pass
  std::vector<size_t> order_;  // queue order scratch
  bool report_pending_ = true;
};

}  // namespace drover::scheduler
