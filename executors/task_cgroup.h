// TaskCgroups: every task in a cgroup of its own, as Slurm's proctrack/cgroup
// and task/cgroup plugins give it.
//
// Why: a process group does not hold a task. A child that calls setsid()
// leaves it and survives the task's end and a cancel; and nothing stops a task
// that asked for 100Mi from using 2 GiB. A cgroup holds every process the
// task starts, whatever it does, and the kernel enforces its memory limit.
//
// Layout. The node's supervisor keeps its tasks under its own cgroup:
//   <its cgroup>/drover/<name>/<task>
// in each hierarchy it uses: on cgroup v1 the memory, freezer and cpuset
// controllers (whichever are mounted and writable), on cgroup v2 the one
// unified hierarchy. `name` is unique per supervisor, so several supervisors
// on one host (drover up) never touch each other's tasks.
//
// Modes. kV1 and kV2 hold tasks; memory is enforced when the memory
// controller is usable (on v2 that needs the controller delegated to the
// supervisor's cgroup: the kernel refuses to enable it below a cgroup that
// holds processes). kNone: no hierarchy this process may write (not root, no
// cgroup file system); tasks are held by their process group only, and
// why() says what was missing. Open() never fails.
//
// Joining. Create() returns the task's cgroup.procs files opened for
// writing; the launched child writes "0" (itself) to each before it drops
// its identity and execs, so the task is inside from its first instruction.
//
// Thread safety: every method is const and touches only the file system, so
// launch threads and the event loop may call them at once.
#pragma once

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/status.h"
#include "executors/unique_fd.h"

namespace drover::executors {

struct CgroupLimits {
  int64_t memory_bytes = 0;   // 0: no limit
  std::vector<int32_t> cpus;  // machine cpus the task may use; empty: its parent's
};

// What a task's cgroup says once its main process has ended.
struct CgroupReport {
  bool oom_killed = false;        // the kernel killed a process of it for memory
  int64_t peak_memory_bytes = 0;  // the most the whole task used at once; 0 = unknown
};

class TaskCgroups {
 public:
  enum class Mode { kNone, kV1, kV2 };

  // Finds the hierarchies under `cgroup_root` (the file system, normally
  // /sys/fs/cgroup as /proc/self/mountinfo says) and makes this process's
  // base cgroup drover/`name`. `proc_self` is read for mounts and membership.
  static std::unique_ptr<TaskCgroups> Open(const std::string& name,
                                           const std::string& proc_self = "/proc/self");

  Mode mode() const { return mode_; }
  bool enforces_memory() const { return !memory_.empty(); }
  bool confines_cpus() const { return !cpuset_.empty(); }
  // One line for the log: what holds tasks, what is enforced, what is missing.
  std::string Describe() const;

  // Makes the cgroup of `task` with `limits` and opens its cgroup.procs
  // files. Invalid for a task name that is not a directory name; Internal
  // when the file system refuses (the message names the file and errno).
  Result<std::vector<UniqueFd>> Create(const std::string& task, const CgroupLimits& limits) const;
  // Sends `sig` to every process in the task's cgroup. For SIGKILL the cgroup
  // is frozen first (v1 freezer) or killed whole (v2 cgroup.kill), so no
  // process can fork away while it is being emptied. Returns how many
  // processes were signalled. Members of process group `except_group` are
  // left out (the caller signalled that group itself: a handler must not run
  // twice for one signal).
  int Signal(const std::string& task, int sig, int except_group = 0) const;
  // The processes in the task's cgroup (thread-group ids).
  std::vector<int> Processes(const std::string& task) const;
  CgroupReport Report(const std::string& task) const;
  // Removes the task's cgroup; false while processes remain in it.
  bool Remove(const std::string& task) const;
  // The tasks that have a cgroup under the base: at start, the ones an
  // earlier supervisor left behind.
  std::vector<std::string> Tasks() const;
  // Removes the base cgroup if no task remains in it (at shutdown).
  void RemoveBase() const;

  // The task's directory in the memory hierarchy ("" when memory is not
  // enforced), for tests and for `drover describe`.
  std::string MemoryPathOf(const std::string& task) const;

 private:
  TaskCgroups() = default;
  // Every directory of the task's cgroup, one per hierarchy used; with
  // `limits`, the ones a task with those limits gets.
  std::vector<std::string> DirsOf(const std::string& task,
                                  const CgroupLimits* limits = nullptr) const;
  // The directory whose cgroup.procs lists the task's processes.
  std::string TrackingDirOf(const std::string& task) const;

  Mode mode_ = Mode::kNone;
  std::string why_;      // what is missing, for Describe()
  std::string unified_;  // v2: the base directory
  std::string memory_;   // base directories; "" when that controller is not used
  std::string freezer_;
  std::string cpuset_;
  std::string cpuset_mems_;  // v1: the parent's cpuset.mems, copied to each task
  bool swap_limit_ = false;  // swap can be limited too (memsw / swap.max exist)
};

}  // namespace drover::executors
