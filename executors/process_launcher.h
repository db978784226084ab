// ProcessLauncher: starts one LaunchSpec as a new process, fast.
//
// Everything that may allocate, take a lock or consult NSS (argv/envp arrays,
// the PATH lookup of argv[0], the cpu mask, the user's supplementary groups)
// is prepared in the calling thread. The child is created with
// clone(CLONE_VM | CLONE_VFORK), shares the caller's memory until it execs,
// and only makes raw, async-signal-safe system calls, in this order:
//   setpgid(0, 0) (the task leads its own process group, so the whole group
//   can be signalled; not setsid(), which costs a scheduler autogroup per
//   task, see the .cc) -> join the task's cgroups -> sched_setaffinity -> signal dispositions to
//   default -> setgroups/setgid/setuid (raw syscalls) -> chdir -> stdin from
//   /dev/null, stdout/stderr files opened as the task's user (relative paths
//   are relative to working_dir) -> every other fd close-on-exec -> empty
//   signal mask -> execve.
// If a step fails the child records the step and errno in the shared memory
// and exits; the caller gets a Status such as
//   "exec /no/such: No such file or directory"
// and the failed child is already reaped. (With CLONE_VFORK the caller
// resumes only after the child exec'd or exited, so shared memory is a safe
// replacement for the classic CLOEXEC error pipe and saves three syscalls;
// glibc's posix_spawn reports errors the same way.)
//
// CPU mapping. LaunchSpec cpus are OS cpu indexes of the node's topology,
// which may be synthetic (a "package:2 core:16 pu:2" node on a 2-cpu box).
// Cpu c is bound to machine_cpus()[c % machine_cpus().size()], where
// machine_cpus() is the launcher's own affinity mask at construction (on an
// unrestricted machine: the online cpus 0..n-1, so simply c % n). Real
// topologies therefore map to themselves; synthetic ones fold onto the real
// cpus, which lets one machine stand in for a big one. LaunchSpec mem_nodes
// (memory bound with set_mempolicy(MPOL_BIND)) fold the same way onto the
// NUMA nodes this process may allocate from.
//
// Identity. Running as root, a task asked to run as (uid, gid) != (0, 0) gets
// the user's supplementary groups (getgrouplist), gid and uid before exec; a
// task runs as root only if uid 0 was asked. Not running as root, a spec whose
// uid/gid differ from the launcher's own is refused with PermissionDenied
// before anything is forked.
//
// Thread safety: Launch() may be called from several threads at once. The
// caller owns the child: it must reap it (waitpid/wait4) and should signal it
// through its process group (kill(-pid, sig)).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "api/status.h"
#include "executors/launch_spec.h"

namespace drover::executors {

struct LaunchedProcess {
  pid_t pid = 0;              // also the task's process group id
  int64_t start_time_ms = 0;  // wall clock, Unix epoch ms
};

// The outcome of TryLaunch: on success status is ok and process is the task;
// on failure process.pid is the child that failed before exec (already exited,
// not yet reaped), or 0 when no child was created.
struct LaunchAttempt {
  Status status;
  LaunchedProcess process;
};

class ProcessLauncher {
 public:
  ProcessLauncher();

  // Starts `spec`. Errors: InvalidArgument for a bad spec or a failed start
  // step the spec caused (missing binary, bad working_dir, unwritable output
  // file; the message names the step, the path and strerror), PermissionDenied
  // for an identity change this process may not make, Unavailable when the
  // system cannot fork now (EAGAIN, ENOMEM), Internal otherwise.
  // A child that failed before exec has already been reaped (waitpid on its pid).
  // `cgroup_procs`: open cgroup.procs files (TaskCgroups::Create) the child
  // joins first, before it changes identity.
  Result<LaunchedProcess> Launch(const LaunchSpec& spec, const std::vector<int>& cgroup_procs = {});

  // Like Launch, for callers that reap all children themselves with
  // wait4(-1, ...), possibly on another thread: a child that failed before
  // exec is left to them, its pid reported in the attempt.
  LaunchAttempt TryLaunch(const LaunchSpec& spec, const std::vector<int>& cgroup_procs = {});

  // The cpu a LaunchSpec cpu index is bound to (see the mapping above).
  int32_t MapCpu(int32_t cpu) const;
  // The NUMA node a LaunchSpec mem_nodes index binds memory to: the same
  // folding as cpus, onto the NUMA nodes this process may allocate from.
  int32_t MapMemNode(int32_t node) const;
  // The launcher's own cpus at construction, ascending.
  const std::vector<int32_t>& machine_cpus() const { return machine_cpus_; }

 private:
  Result<LaunchedProcess> LaunchOnce(const LaunchSpec& spec, const std::vector<int>& cgroup_procs,
                                     pid_t* failed_child);
  // The supplementary groups to give `uid`, cached for a minute.
  std::vector<gid_t> GroupsFor(uid_t uid, gid_t gid);

  std::vector<int32_t> machine_cpus_;
  std::vector<int32_t> machine_mem_nodes_;  // ascending
  uid_t own_uid_;
  gid_t own_gid_;
  std::mutex groups_mu_;
  struct CachedGroups {
    std::vector<gid_t> groups;
    std::chrono::steady_clock::time_point fetched;
  };
  std::map<std::pair<uid_t, gid_t>, CachedGroups> groups_cache_;  // guarded by groups_mu_
};

// Resolves argv[0] as execvp would, in the caller: a name with a '/' is used
// as is; otherwise the first regular, executable file in the directories of
// `path_var` (a PATH value; empty = "/usr/local/bin:/usr/bin:/bin"). Relative
// PATH entries are taken relative to `working_dir`. NotFound when none.
Result<std::string> ResolveExecutable(const std::string& name, const std::string& path_var,
                                      const std::string& working_dir);

}  // namespace drover::executors
