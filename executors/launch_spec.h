// LaunchSpec and TaskExit: what the process executor is asked to run and what
// it reports back. Shared by drover-node, drover-supervisor and their tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace drover::executors {

struct LaunchSpec {
  std::string task;                // task name, unique on the node
  std::vector<std::string> argv;   // argv[0] is looked up in PATH from env
  std::vector<std::string> env;    // "KEY=VALUE", the task's whole environment
  std::string working_dir;         // must exist
  std::vector<int32_t> cpus;       // OS CPU indexes to bind to; empty = unbound
  std::vector<int32_t> mem_nodes;  // OS NUMA node indexes to bind memory to; empty = unbound
  uint32_t uid = 0;                // run as this uid/gid; the supervisor refuses
  uint32_t gid = 0;                //   to change identity unless it runs as root
  std::string stdout_path;         // created/truncated, opened as the task's user
  std::string stderr_path;         // empty = same file as stdout
  int64_t time_limit_s = 0;        // 0 = none; then SIGTERM, grace, SIGKILL
  // The most memory the task's processes may use together, enforced by its
  // cgroup where the node has one (see task_cgroup.h); 0 = no limit.
  int64_t memory_limit_bytes = 0;
  // Whether `cpus` are this machine's own (a topology read from it, not a
  // synthetic one folded onto it): then its cgroup's cpuset holds the task
  // to them, so it cannot widen its affinity.
  bool confine_cpus = false;
  int64_t kill_grace_ms = 10000;
  // Slurm's --signal: `warning_signal` this long before the time limit, to
  // the task's process group, or to its first process alone (the batch shell).
  int32_t warning_signal = 0;  // 0 = none
  int64_t warning_seconds = 60;
  bool warning_shell_only = false;
};

struct ResourceUsageReport {
  int64_t user_cpu_ms = 0;
  int64_t system_cpu_ms = 0;
  int64_t max_rss_kb = 0;
};

// One event about a task: it started, or it ended (exit code or signal), or it
// could not be started at all (error set, exit_code -1).
struct TaskEvent {
  enum class Kind { kStarted, kExited };
  Kind kind = Kind::kStarted;
  std::string task;
  int32_t pid = 0;
  int32_t exit_code = -1;  // kExited: exit status if it exited normally
  int32_t signal = 0;      // kExited: the signal that killed it, if any
  bool timed_out = false;  // killed for exceeding time_limit_s
  // kExited: it did not succeed and the kernel killed a process of it for
  // going over memory_limit_bytes (Slurm's OUT_OF_MEMORY).
  bool out_of_memory = false;
  int64_t time_ms = 0;        // wall clock of the event, Unix epoch ms
  ResourceUsageReport usage;  // kExited only
  std::string error;          // start failure (bad cwd, exec failed, ...)
  // Answers to List only: where the task's output goes (stderr empty = with
  // stdout), so an agent that restarted can serve the logs of the tasks it re-adopts.
  std::string stdout_path;
  std::string stderr_path;
  uint32_t uid = 0;  // whose task it is, so its logs are read back as that user
  uint32_t gid = 0;
};

}  // namespace drover::executors
