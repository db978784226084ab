// Preemptor: chooses preemption victims for the jobs of one pass that cannot
// start on free resources (the rules are the contract at Schedule() in
// schedule.h). Mechanism only: the pass decides when to ask.
//
// It borrows the pass's pool and timeline: a trial gives candidates' cores
// back to the pool, tries the job, and undoes everything; a success leaves
// the victims' leftover cores busy ("dying": free in the plan from now, busy in
// the pool) so later jobs of the pass cannot start on them, and moves the
// victims' release events to now. Not thread-safe; lives for one pass.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/job_placer.h"
#include "scheduler/node_pool.h"
#include "scheduler/schedule.h"
#include "scheduler/timeline.h"

namespace drover::scheduler {

// True when some queue of the config has a preempt mode other than kOff.
bool PreemptionEnabled(const SchedulerConfig& config);

class Preemptor {
 public:
  // `running` and `config` must outlive the preemptor.
  Preemptor(NodePool& pool, Timeline& timeline, const std::vector<RunningTask>& running,
            const SchedulerConfig& config, int64_t now_ms);

  // Tries to place up to `tasks` more tasks of `job` on resources of victims
  // (and of terminating tasks): all of them for a gang, else as many as would
  // fit with every candidate freed. On success appends the placements to
  // decision.after_preemption, the new victims to decision.preemptions, takes
  // the resources from the pool, records the job's release at now + duration
  // and returns how many tasks were placed; otherwise changes nothing and
  // returns 0.
  int64_t Place(const PendingJob& job, int64_t tasks, PlacementBounds bounds, int64_t duration_ms,
                Decision& decision);

 private:
  // A set of tasks preempted together: one task, or every task of a gang job.
  struct Unit {
    std::vector<size_t> tasks;  // indexes into running_
    int32_t priority = 0;
    PreemptMode mode = PreemptMode::kOff;
    int64_t lost = 0;   // core-milliseconds of work lost
    int64_t start = 0;  // latest start among its tasks
    uint64_t job_id = 0;
    bool taken = false;  // already a victim in this pass
  };
  // Resources of one node that are busy in the pool but free in the plan now.
  struct Dying {
    std::vector<int32_t> cores;
    int64_t memory = 0;
    std::vector<int64_t> numa_memory;  // by NUMA index, when the node tracks it
  };
  // What a trial gave back to the pool, per task, to take it back exactly.
  struct Given {
    int32_t node;
    std::vector<int32_t> cores;
    int64_t memory;
    std::vector<int64_t> numa_memory;
  };

  void GiveUnit(const Unit& unit, std::vector<Given>& given);
  void TakeBack(const std::vector<Given>& given);
  // Whether `tasks` tasks of the job fit the pool now (all or nothing); undoes the trial.
  bool Fits(const PendingJob& job, int64_t tasks, PlacementBounds bounds);
  // As many as fit, up to `tasks`; undoes the trial.
  int64_t HowManyFit(const PendingJob& job, int64_t tasks, PlacementBounds bounds);
  void Undo(const std::vector<TaskPlacement>& placed, const std::vector<int32_t>& nodes,
            NodeCaps* caps);

  NodePool& pool_;
  Timeline& timeline_;
  const std::vector<RunningTask>& running_;
  int64_t now_;
  std::vector<int32_t> task_node_;  // node index of each running task; -1 unknown
  std::vector<Unit> units_;         // candidates, cheapest first
  std::map<int32_t, Dying> dying_;  // ordered: deterministic iteration
  std::vector<TaskPlacement> scratch_;
  std::vector<int32_t> scratch_nodes_;
};

}  // namespace drover::scheduler
