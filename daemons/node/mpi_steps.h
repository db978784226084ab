// MpiSteps: drover-node's part in MPI steps (srun --mpi=pmix, srun's
// default). It runs the node's PmixServer, gives each rank launched with a
// "pmix" layout the environment that reaches it, forgets a rank when it
// ends, and carries the server's fences to droverd (POST
// /api/v1/nodes/NAME/mpi-fence) and droverd's gathered fences back to it.
//
// If the PMIx server cannot start, the node still runs everything else; a
// rank that needs PMIx then fails at launch with the reason.
//
// Threads: PrepareRank, RankEnded and CompleteFences come from the agent's
// threads; one thread of its own sends fences (they must not wait behind a
// long-poll or a batch of reports).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/json_codec.h"
#include "api/status.h"
#include "daemons/node/pmix_server.h"

namespace drover::node {

struct MpiStepsOptions {
  std::string server;  // droverd, as AgentOptions::server
  std::string token;   // this node's credential
  std::string ca_file;
  std::string node;    // this node's name
  std::string tmpdir;  // the PMIx server's directory (root's, 0700)
};

class MpiSteps {
 public:
  explicit MpiSteps(MpiStepsOptions options);
  ~MpiSteps();
  MpiSteps(const MpiSteps&) = delete;
  MpiSteps& operator=(const MpiSteps&) = delete;

  // Starts the PMIx server and the fence sender. A server that cannot start
  // is logged and remembered (see PrepareRank).
  void Start();
  void Stop();

  // Task `task` is rank `pmix.rank` of the step `pmix` describes ({"jobId",
  // "stepId", "nodelist", "tasksPerNode", "rank"}), running `argv` as
  // uid/gid: registers it with the PMIx server and sets in `env` ("KEY=VALUE",
  // replacing the same keys) what it needs to reach the server. Errors: a
  // malformed layout, no PMIx server on this node, or libpmix's refusal.
  Status PrepareRank(const std::string& task, const Json& pmix,
                     const std::vector<std::string>& argv, uint32_t uid, uint32_t gid,
                     std::vector<std::string>* env);
  // The task ended (or never started): if it was a rank, the server forgets it.
  void RankEnded(const std::string& task);
  // droverd's gathered fences: [{"jobId", "stepId", "sequence", "data"}].
  void CompleteFences(const Json& fences);

 private:
  void Send(FenceContribution fence);
  void SendLoop();

  MpiStepsOptions options_;
  std::unique_ptr<PmixServer> server_;
  std::string start_error_;  // why there is no server

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                                         // guarded by mu_
  std::deque<FenceContribution> outbox_;                          // guarded by mu_
  std::map<std::string, std::pair<std::string, int32_t>> ranks_;  // task -> namespace, rank; mu_
  std::thread sender_;
};

}  // namespace drover::node
