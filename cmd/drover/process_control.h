// The operating-system side of `drover up` and `drover down`: starting
// detached daemons, recognising them later by pid, stopping them, and
// finding a free loopback port. Linux only (/proc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/status.h"

namespace drover::cli {

// Who a pid was when we started it: its executable and its start time (in
// clock ticks since boot, /proc/PID/stat field 22), which together tell a
// reused pid from ours.
struct ProcessIdentity {
  pid_t pid = 0;
  std::string exe;
  uint64_t start_time = 0;
};

// The directory of the running executable (readlink /proc/self/exe).
std::string SelfExeDir();

// Starts `argv` (argv[0] an absolute path) in a new session, stdin from
// /dev/null, stdout and stderr appended to `log_path`; returns its identity.
// Uses posix_spawn, which returns once the exec succeeded.
Result<ProcessIdentity> SpawnDetached(const std::vector<std::string>& argv,
                                      const std::string& log_path);

// The identity of a running pid now; nullopt if it does not exist or is a zombie.
std::optional<ProcessIdentity> CurrentIdentity(pid_t pid);

// True if `recorded.pid` still runs the program we started (same executable,
// same start time). A rebuilt binary reads "PATH (deleted)"; that still matches.
bool IsSameProcess(const ProcessIdentity& recorded);

// Live processes running the executable `exe`, with their arguments.
struct ProcessInfo {
  ProcessIdentity identity;
  std::vector<std::string> argv;
};
std::vector<ProcessInfo> ProcessesRunning(const std::string& exe);

// Sends SIGTERM to each process that IsSameProcess, waits up to `grace` for
// them to exit, then SIGKILLs the rest and waits for them too; afterwards does
// the same for processes left in their sessions (children that outlived
// them, such as the tasks of a supervisor). Returns the number of processes
// that had to be killed.
int StopProcesses(const std::vector<ProcessIdentity>& processes, std::chrono::milliseconds grace);

// Reaps `pid` if it is our child and has exited; true if it is gone.
bool ChildExited(pid_t pid);

// `preferred` if 127.0.0.1:preferred can be bound now; otherwise, unless
// `strict`, a free port the kernel picks. Errors: Unavailable if strict and taken.
Result<int> PickLoopbackPort(int preferred, bool strict);

// 32 random bytes from /dev/urandom as 64 hex digits.
Result<std::string> RandomToken();

}  // namespace drover::cli
