// Where the tasks of a job step go inside its allocation (Slurm's srun in an
// sbatch or salloc job): pure, so droverd and the tests place steps alike.
//
// Ranks are laid out in block order over the allocation's nodes, first
// node first (Slurm's default --distribution=block): without --nodes, as
// few nodes as the ranks need; with it, that many nodes, the ranks spread
// as evenly as they go. Each rank gets cpus_per_task cores of its own that
// no other running step holds (Slurm's steps are exclusive by default since
// 20.11), unless the step overlaps; with bind "none" a node's ranks share
// every free core of that node instead (what OpenMPI's daemons ask for).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/status.h"

namespace drover::scheduler {

// One node's part of an allocation, and which of its cores running steps hold.
struct AllocationPart {
  std::string node;
  std::vector<int32_t> cores;             // the core ids the allocation holds there
  std::vector<std::vector<int32_t>> pus;  // the PUs (OS indexes) of each of those cores
  std::vector<int32_t> busy_cores;        // held by running exclusive steps
  int32_t slots = 1;                      // the allocation's task slots there
};

struct StepRequest {
  int32_t ntasks = 1;
  int32_t nodes = 0;            // 0: as few as the ranks need
  int32_t ntasks_per_node = 0;  // 0: no cap
  int32_t cpus_per_task = 1;
  bool overlap = false;    // may use cores other steps hold
  bool bind_none = false;  // --cpu-bind=none: a node's ranks share its cores
};

struct RankPlacement {
  int32_t part = 0;      // index into the parts
  int32_t node_id = 0;   // among the step's nodes
  int32_t local_id = 0;  // among the step's ranks on that node
  std::vector<int32_t> cores;
  std::vector<int32_t> cpus;
};

struct StepPlacement {
  std::vector<RankPlacement> ranks;     // by rank
  std::vector<std::string> nodes;       // the step's nodes, in order
  std::vector<int32_t> tasks_per_node;  // parallel to nodes
};

// Errors: InvalidArgument when the request can never fit the allocation
// (naming the option), Unavailable when it fits but other steps hold the
// cores now (srun waits and asks again).
Result<StepPlacement> PlaceStep(const std::vector<AllocationPart>& parts, const StepRequest& req);

// Slurm's compressed count list: {4, 4, 2} -> "4(x2),2".
std::string SlurmCountList(const std::vector<int32_t>& counts);

}  // namespace drover::scheduler
