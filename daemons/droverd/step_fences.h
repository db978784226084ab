// StepFences: the PMIx fences of MPI steps in flight, gathered across nodes.
//
// An MPI rank's fence (MPI_Init's exchange of addresses, a barrier) completes
// only when every node of its step has sent its share: drover-node's PMIx
// server sends its node's share here, and once the last node's arrives every
// node gets all of them back (NodeChannel, "fences"). As in Slurm's pmix
// plugin the shares are opaque and simply concatenated.
//
// In memory only: a fence outlives neither its step nor droverd (a restart
// mid-fence leaves the step's ranks waiting until the step is cancelled).
// Owned by the state thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "api/status.h"

namespace drover::droverd {

class StepFences {
 public:
  // Bounds one fence's gathered data (a rank's share is a few KB of addresses).
  static constexpr size_t kMaxFenceBytes = 64 << 20;

  // Node `node`'s share of fence `sequence` of step (job, step), which runs on
  // `nodes`. Returns every node's data once `node` was the last to send,
  // nullopt while others are still to. Errors: the node is not the step's, or
  // sent this fence already, or the fence grew past kMaxFenceBytes.
  Result<std::optional<std::string>> Contribute(uint64_t job, int32_t step, int64_t sequence,
                                                const std::string& node,
                                                const std::set<std::string>& nodes,
                                                std::string data);
  // The step ended: its fences are dropped.
  void ForgetStep(uint64_t job, int32_t step);

  size_t in_flight() const { return fences_.size(); }

 private:
  struct Fence {
    std::set<std::string> sent;
    std::string data;
  };
  std::map<std::tuple<uint64_t, int32_t, int64_t>, Fence> fences_;
};

}  // namespace drover::droverd
