// SupervisorServer: the event loop of drover-supervisor, the long-lived
// per-node process that owns the node's tasks so they outlive drover-node
// (as slurmstepd does for slurmd).
//
// A single-threaded event loop, one poll() over: the listening Unix socket,
// the connected clients, a signalfd (SIGCHLD: reap with wait4 WNOHANG in a
// loop; SIGTERM, SIGINT: stop), a timerfd (kill graces and time limits) and
// the launch pool's eventfd. Requests are read in batches per wakeup and
// events written in batches (protocol: executors/supervisor_protocol.h).
//
// Launches run on a small LaunchPool (see launch_pool.h) so that one slow
// exec does not stall the node; all task state lives on the loop thread.
// Children are reaped with wait4(-1): an exit may be reaped before its launch
// outcome arrives, so such exits are parked until the outcome claims them.
//
// Tasks. Each task leads its own process group and lives in a cgroup of its
// own (executors/task_cgroup.h), which holds every process it starts, even
// one that left the group with setsid(), and enforces its memory limit. A
// kill sends SIGTERM to the group and the cgroup and SIGKILL to them after
// the grace period; a time limit does the same and marks the exit timed_out.
// When a task's main process has exited, whatever is left in its group and
// cgroup is SIGKILLed (stray background children), as Slurm does at the end
// of a step; the cgroup says whether memory ran out and the task's peak
// memory, and is removed once empty. At start, the cgroups an earlier
// supervisor left are emptied (SIGKILL) and removed: no one can own those
// processes any more, and droverd runs their work elsewhere. An exited task
// stays known (in "list" and in the replay) until a client acks it.
//
// Clients. Any number up to kMaxClients; each event goes to every connected
// client. A newly connected client first receives the state of every known
// task (started events of running tasks, exited events of unacknowledged
// ones), so exits that happened while no agent was connected are delivered
// when one connects. A launch of a task name already known is not repeated:
// the requester gets that task's current state again (idempotent re-send).
//
// Thread safety: Listen and Run are called from one thread.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/status.h"
#include "daemons/supervisor/launch_pool.h"
#include "executors/launch_spec.h"
#include "executors/process_launcher.h"
#include "executors/supervisor_protocol.h"
#include "executors/task_cgroup.h"

namespace drover::supervisor {

class SupervisorServer {
 public:
  static constexpr size_t kMaxClients = 16;
  static constexpr size_t kMaxClientBacklogBytes = size_t{256} << 20;

  // `log` receives one line per notable happening; not owned, must outlive us.
  // `launch_threads` launches may run at once.
  SupervisorServer(FILE* log, int launch_threads);
  ~SupervisorServer();

  // Binds `socket_path` (mode 0600). Conflict if another supervisor answers
  // there; a stale socket file is replaced. Blocks the signals it handles.
  Status Listen(const std::string& socket_path);
  // Runs until shutdown or SIGTERM/SIGINT. Returns the process exit code.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Client {
    int fd = -1;
    std::string in;
    std::string out;
    bool closing = false;       // read EOF or error: close after this iteration
    bool write_broken = false;  // peer stopped reading; keep reading its last requests
  };
  enum class TaskState { kLaunching, kRunning, kExited };
  struct Task {
    executors::LaunchSpec spec;
    uint64_t seq = 0;  // launch order, for list and replay
    TaskState state = TaskState::kLaunching;
    bool timed_out = false;
    bool warned = false;  // its warning signal (--signal) was sent
    // When it started running, which its time limit counts from; the limit's
    // generation, bumped when the limit changes so older timers do nothing.
    std::chrono::steady_clock::time_point started_at;
    uint32_t limit_generation = 0;
    int64_t kill_grace_ms = -1;  // a kill asked for while launching; -1 = none
    executors::TaskEvent started;
    executors::TaskEvent exited;  // valid in kExited
  };
  // An exit reaped before the launch outcome of its pid was seen.
  struct ParkedExit {
    int status;
    rusage usage;
    int64_t time_ms;
  };
  enum class TimerAction { kWarning, kTimeLimit, kKill, kRemoveCgroups };
  struct Timer {
    std::string task;
    pid_t pid;
    TimerAction action;
    uint32_t generation = 0;  // kWarning, kTimeLimit: the task's limit_generation
  };

  void Accept();
  void ReadClient(Client* client);
  void HandleLine(Client* client, std::string_view line);
  void HandleLaunch(Client* client, executors::LaunchSpec spec);
  void HandleKill(const std::string& name, int64_t grace_ms);
  // A new time limit for a task (scontrol update TimeLimit=): counted from
  // its start; one already past ends it now, as a time limit does.
  void HandleTimeLimit(const std::string& name, int64_t time_limit_s);
  // The time-limit and warning timers of a running task, for its limit now.
  void ArmLimitTimers(const std::string& name, Task& task);
  void HandleOutcomes();
  void SignalTask(Task& task, int64_t grace_ms);
  void FinishTask(Task& task, pid_t pid, int status, const rusage& usage, int64_t time_ms);
  // Signals the task's process group and whatever of its cgroup is outside it.
  void SignalAll(const std::string& task, pid_t pid, int sig);
  // Kills what an earlier supervisor left in its cgroups.
  void ReclaimLeftCgroups();
  // Removes the emptied cgroups of ended tasks; retried on a timer while busy.
  void RemoveCgroups();
  void HandleSignals();
  void Reap();
  void FireTimers();
  void ArmTimer();
  void AppendState(const Task& task, std::string* out) const;
  void Broadcast(const executors::TaskEvent& event);
  void Flush(Client* client);
  void Log(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  FILE* log_;
  executors::ProcessLauncher launcher_;
  std::unique_ptr<executors::TaskCgroups> cgroups_;  // opened by Listen()
  std::unordered_set<std::string> cgroups_to_remove_;
  bool removal_timer_armed_ = false;
  int launch_threads_;
  std::unique_ptr<LaunchPool> pool_;  // created by Listen(), after signals are blocked
  std::string socket_path_;
  int listen_fd_ = -1;
  int signal_fd_ = -1;
  int timer_fd_ = -1;
  bool stop_ = false;
  bool kill_on_stop_ = false;
  uint64_t next_seq_ = 1;
  std::vector<std::unique_ptr<Client>> clients_;
  std::unordered_map<std::string, Task> tasks_;
  std::unordered_map<pid_t, std::string> task_by_pid_;  // running tasks
  std::unordered_map<pid_t, ParkedExit> parked_exits_;
  std::unordered_set<pid_t> failed_children_;  // failed before exec; reap silently
  std::multimap<Clock::time_point, Timer> timers_;
};

}  // namespace drover::supervisor
