// Agent: drover-node's connection to droverd.
//
// It registers the node (name, labels, hwloc topology, its HTTP address),
// long-polls droverd for instructions (launch, kill) and hands them to the
// node's supervisor, turns the supervisor's events into reports (started,
// exit code, signal, usage) sent to droverd in batches, and heartbeats. On
// start it asks the supervisor for every task it already owns and reports
// them, so tasks outlive a restart of the agent. MPI steps' ranks are
// served by MpiSteps.
//
// Threads: one polls droverd, one waits on the supervisor, one sends reports.
// The supervisor connection is shared under a mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/json_codec.h"
#include "api/node.h"
#include "api/status.h"
#include "daemons/node/control_plane_verifier.h"
#include "daemons/node/log_disk.h"
#include "daemons/node/mpi_steps.h"
#include "daemons/node/probe_runner.h"
#include "daemons/node/self_fence.h"
#include "executors/supervisor_client.h"

namespace drover::node {

struct AgentOptions {
  std::string server;   // droverd endpoint, http://HOST:PORT or unix:PATH
  std::string token;    // this node's credential (bound to `name`)
  std::string ca_file;  // verifies an https:// server; "" = the system's CAs
  std::string name;
  // This agent's id (STATE/agent.id, made once): droverd refuses a second
  // live agent under the same name.
  std::string agent_id;
  std::string state_dir;  // logs live under STATE/logs
  std::string address;    // host:port of this agent's HTTP endpoint
  Labels labels;
  NodeTopology topology;
  int64_t heartbeat_ms = 2'000;
  int64_t kill_grace_ms = 10'000;
  // Less free space than this where task logs go (STATE/logs) drains the
  // node; the directory is checked with a write this often while all is well.
  int64_t log_disk_min_free_bytes = int64_t{64} << 20;
  int64_t log_disk_check_ms = 10'000;
  // Learns droverd's key from each registration answer (may be null).
  ControlPlaneVerifier* control_plane = nullptr;
};

// A task's log file and the user whose file it is.
struct TaskLog {
  std::string path;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Counters for /metrics.
struct AgentCounters {
  std::atomic<int64_t> launched{0};
  std::atomic<int64_t> succeeded{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> running{0};
  std::atomic<int64_t> reports_sent{0};
};

class Agent {
 public:
  Agent(AgentOptions options, executors::SupervisorClient supervisor);
  ~Agent();

  // Registers and starts the threads. Errors: Unavailable if droverd cannot
  // be reached within the start-up grace.
  Status Start();
  void Stop();

  // The log file of a task this agent launched (stdout or stderr) and whose
  // it is, or nullopt for a task it does not know.
  std::optional<TaskLog> LogOf(const std::string& task, bool stderr_stream) const;
  const AgentCounters& counters() const { return counters_; }

 private:
  struct LaunchedTask {
    std::string stdout_path;
    std::string stderr_path;
    uint32_t uid = 0;  // whose files they are: logs are read back as this user
    uint32_t gid = 0;
  };

  Status Register();
  void PollLoop();
  void EventLoop();
  void ReportLoop();
  void HandleInstructions(const Json& body);
  // Probes again a task this agent re-adopted, from its launch sent again.
  void ResumeProbes(const std::string& task, const Json& launch);
  // Fences the task if its launch asks (a StatefulSet's, fenceAfterMs).
  void WatchFence(const std::string& task, const Json& launch);
  Result<executors::LaunchSpec> BuildLaunchSpec(const Json& launch);
  void QueueReport(Json report);
  Result<std::string> DefaultLogPath(const std::string& task, uint64_t job_id, uint32_t uid,
                                     gid_t gid);
  std::set<std::string> log_dirs_;  // created already; used by the poll thread only

  AgentOptions options_;
  std::atomic<bool> stopping_{false};

  std::mutex supervisor_mu_;
  executors::SupervisorClient supervisor_;  // guarded by supervisor_mu_

  mutable std::mutex tasks_mu_;
  // Finished tasks are remembered (for their logs) up to kFinishedTasksKept.
  static constexpr size_t kFinishedTasksKept = 100'000;
  void ForgetOldTasks();
  std::map<std::string, LaunchedTask> tasks_;  // guarded by tasks_mu_
  std::set<std::string> running_;              // guarded by tasks_mu_
  std::set<std::string> finished_;             // guarded by tasks_mu_
  std::deque<std::string> finished_order_;     // guarded by tasks_mu_

  std::mutex reports_mu_;
  std::condition_variable reports_cv_;
  std::vector<Json> reports_;  // guarded by reports_mu_
  // {"id", "error"?} of each directory removal droverd asked for, sent with
  // the next report (droverd asks again until it hears).
  std::vector<Json> volume_reports_;  // guarded by reports_mu_
  void RemoveVolumes(const Json& removals);
  std::vector<std::string> to_ack_;  // final reports in flight

  // Probes of the tasks that have them; a failed liveness or startup probe
  // kills the task, and its final report says why.
  void OnProbeFailure(const std::string& task, const std::string& why);
  ProbeRunner probes_;
  std::map<std::string, std::string> probe_failures_;  // guarded by tasks_mu_

  // The ranks of MPI steps, served by the node's PMIx server.
  MpiSteps mpi_;

  // Cut off from droverd, the node stops its StatefulSet tasks by itself.
  SelfFence fence_;
  void FenceLoop();
  std::thread fence_thread_;

  std::string epoch_;  // used by the poll thread only
  int64_t after_ = 0;
  // Whether the task logs written here can be; said with every report.
  LogDisk log_disk_;

  std::thread poll_thread_, event_thread_, report_thread_;
  AgentCounters counters_;
};

}  // namespace drover::node
