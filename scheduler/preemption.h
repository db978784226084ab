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
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
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
  // fit with every candidate freed. The victims are the cheaper (by Cost) of
  // two minimal sets: the greedy one over all nodes, and the cheapest set
  // confined to one node. On success appends the placements to
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

  // What a victim set costs. Lower is cheaper, field by field in this order
  // (the order kube-scheduler uses to pick the node to preempt on): the
  // highest victim priority; the sum over victim tasks of (priority -
  // INT32_MIN), shifted so that another victim never lowers it; the number of
  // victim tasks; the work lost (core-milliseconds); then the later the
  // earliest start among the highest-priority victims, the cheaper.
  struct Cost {
    int32_t top_priority = std::numeric_limits<int32_t>::min();
    int64_t priority_sum = 0;
    int64_t tasks = 0;
    int64_t lost = 0;
    int64_t top_start = 0;
    bool Below(const Cost& other) const;
  };

  void GiveUnit(const Unit& unit, std::vector<Given>& given);
  void TakeBack(const std::vector<Given>& given);
  // Gives unit u to the pool (recorded in given_[u]) / takes it back.
  void GiveUnit(size_t u) { GiveUnit(units_[u], given_[u]); }
  void TakeBackUnit(size_t u);
  // A minimal victim set among `units` (cheapest first, none given) for
  // `target` tasks of the job. With `all_first` every unit is given, else
  // units are given cheapest first until the job fits; then each given unit is
  // taken back, most expensive first, if the job still fits without it. True:
  // `victims` (cheapest first) are given and the job fits. False: the job does
  // not fit and nothing of `units` is given.
  bool ChooseVictims(const PendingJob& job, int64_t target, PlacementBounds bounds,
                     const std::vector<size_t>& units, bool all_first,
                     std::vector<size_t>& victims);
  // The cheapest minimal set among the candidates of a single node J may use
  // (each node tried in index order; ties go to the lower index), if cheaper
  // than `best`: then replaces `best` and `best_victims`. Expects nothing of
  // `candidates` given; leaves nothing of them given.
  void CheapestOnOneNode(const PendingJob& job, int64_t target, PlacementBounds bounds,
                         const std::vector<size_t>& candidates, Cost& best,
                         std::vector<size_t>& best_victims);
  Cost CostOf(const std::vector<size_t>& victims) const;
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

  // Per unit: what it has given to the pool (empty unless given now).
  std::vector<std::vector<Given>> given_;
  // Scratch of CheapestOnOneNode: (node, rank in candidates); one node's units; its victims.
  std::vector<std::pair<int32_t, size_t>> by_node_;
  std::vector<size_t> node_units_;
  std::vector<size_t> node_victims_;
};

}  // namespace drover::scheduler
