// PmixServer: the PMIx server of drover-node, on Debian's libpmix (as
// Slurm's mpi/pmix plugin runs one in slurmstepd). It is what makes
// `srun ./mpi_prog` one MPI world rather than N singletons: each rank of a
// step started with --mpi=pmix gets the server's address in its environment,
// reads the step's layout (ranks, nodes, local peers) from it, and meets the
// other ranks in its fences.
//
// A step's namespace ("drover.JOB.STEP") is registered on first use of the
// node with the layout every node derives from the same launch facts, so no
// node needs to hear from another to serve its ranks. A fence completes here
// when the step has only this node; otherwise this node's share of the data
// goes out through `FenceSend` (to droverd, which gathers every node's) and
// the fence completes when CompleteFence brings everyone's back.
//
// libpmix allows one server per process, once: Start() refuses a second.
// Threads: libpmix calls back on its own progress thread; the methods here
// may be called from any thread (state under one mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/status.h"

namespace drover::node {

// A step's layout, the same on every node of the step.
struct PmixStep {
  uint64_t job_id = 0;
  int32_t step_id = 0;
  std::vector<std::string> nodes;       // in node-id order (SLURM_NODEID)
  std::vector<int32_t> tasks_per_node;  // ranks on each; ranks are dealt in node order
  std::string argv;                     // the command, for PMIX_APP_ARGV

  std::string Namespace() const;
  int32_t ntasks() const;
};

// One node's share of a fence, to be gathered with the other nodes'.
struct FenceContribution {
  uint64_t job_id = 0;
  int32_t step_id = 0;
  int64_t sequence = 0;  // the step's fences are numbered from 0 on each node alike
  std::string data;      // libpmix's packed blob, opaque
  int32_t nodes = 0;     // how many nodes contribute
};

class PmixServer {
 public:
  using FenceSend = std::function<void(FenceContribution)>;

  // `tmpdir`: where libpmix keeps its rendezvous files (created 0700).
  // `node`: this node's name, as the step layouts name it.
  static Result<std::unique_ptr<PmixServer>> Start(const std::string& tmpdir, std::string node,
                                                   FenceSend send);
  ~PmixServer();
  PmixServer(const PmixServer&) = delete;
  PmixServer& operator=(const PmixServer&) = delete;

  // Registers `rank` of `step` (registering the step's namespace first if it
  // is new here) as a client running as uid/gid, and returns the variables
  // its environment needs to reach this server. Errors: the rank is not on
  // this node, or libpmix refused (its message).
  Result<std::vector<std::pair<std::string, std::string>>> PrepareRank(const PmixStep& step,
                                                                       int32_t rank, uint32_t uid,
                                                                       uint32_t gid);
  // The rank ended: forgotten, and its namespace with the step's last local rank.
  void RankEnded(const std::string& nspace, int32_t rank);
  // Every node's data for a fence (concatenated in any order): the fence's
  // local participants are released. Unknown fences are ignored.
  void CompleteFence(const std::string& nspace, int64_t sequence, const std::string& data);
  // The fence can never complete (droverd refused this node's share): its
  // local participants are released with an error, so MPI_Init fails
  // rather than waits forever.
  void FailFence(const std::string& nspace, int64_t sequence);

  // Called by libpmix's callbacks (pmix_server.cc); not for other callers.
  void OnFence(const std::string& nspace, std::string data, void* cbfunc, void* cbdata);
  static PmixServer* instance();

 private:
  PmixServer(std::string node, FenceSend send);
  // Removes fence (nspace, sequence) in flight and returns libpmix's callback to release it.
  std::optional<std::pair<void*, void*>> TakeFence(const std::string& nspace, int64_t sequence);

  struct RegisteredStep {
    PmixStep layout;
    std::vector<int32_t> live_ranks;  // registered local ranks not yet ended
    int64_t next_fence = 0;
  };
  std::string node_;
  FenceSend send_;
  std::mutex mu_;
  std::map<std::string, RegisteredStep> steps_;  // by namespace; guarded by mu_
  // Fences in flight, by namespace and sequence: libpmix's callback to release them.
  std::map<std::pair<std::string, int64_t>, std::pair<void*, void*>> fences_;  // guarded by mu_
};

}  // namespace drover::node
