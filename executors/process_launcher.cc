#include "executors/process_launcher.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "executors/user_accounts.h"

namespace drover::executors {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr size_t kChildStackSize = 64 * 1024;
constexpr auto kGroupsCacheTtl = std::chrono::seconds(60);
// A nodemask for set_mempolicy/get_mempolicy: kMaxMemNodes bits.
constexpr int kMaxMemNodes = 1024;
constexpr size_t kBitsPerWord = 8 * sizeof(unsigned long);
constexpr size_t kMemNodeWords = kMaxMemNodes / kBitsPerWord;

// The steps the child takes; the one that failed is reported back.
enum class ChildStep : int {
  kNone = 0,
  kSetpgid,
  kJoinCgroup,
  kAffinity,
  kMemoryBind,
  kSetgroups,
  kSetgid,
  kSetuid,
  kChdir,
  kOpenStdin,
  kOpenStdout,
  kOpenStderr,
  kDup,
  kExec,
};

// Everything the child needs, prepared by the parent. The child writes only
// failed_step and error; the parent reads them after the vfork-style clone
// returned, i.e. after the child exec'd or exited.
struct ChildPlan {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* working_dir = nullptr;  // nullptr: stay in the launcher's cwd
  const char* stdout_path = nullptr;  // never nullptr ("/dev/null" when unset)
  const char* stderr_path = nullptr;  // nullptr: share stdout's file
  const int* cgroup_procs = nullptr;  // cgroup.procs files to join ("0" = itself)
  size_t ncgroup_procs = 0;
  bool set_affinity = false;
  cpu_set_t cpus;
  bool bind_memory = false;
  unsigned long mem_nodes[kMemNodeWords] = {};
  bool change_identity = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t ngroups = 0;
  volatile int failed_step = 0;
  volatile int error = 0;
};

[[noreturn]] void ChildFail(ChildPlan* plan, ChildStep step) {
  plan->error = errno;
  plan->failed_step = static_cast<int>(step);
  _exit(127);
}

// Moves an fd out of 0..2 so the dup2 calls below cannot clobber each other.
int AboveStdio(int fd) {
  if (fd < 0 || fd >= 3) return fd;  // keep errno of a failed open
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

// Runs in the child, on its own stack, sharing the parent's memory. Only
// async-signal-safe calls; identity changes use raw syscalls because glibc's
// setuid() would try to synchronise the credentials of the parent's threads.
int ChildMain(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  // A process group, not a session: with sched autogroup (enabled on most
  // distributions) setsid() makes the kernel create a scheduler task group per
  // task, which measured 2-4x the cost of the whole posix_spawn on this kind of
  // machine. The supervisor has no controlling terminal, so a session would
  // add nothing that matters to tasks.
  if (setpgid(0, 0) < 0) ChildFail(plan, ChildStep::kSetpgid);
  // Into the task's cgroups while still privileged, before anything runs:
  // every process the task starts from here on is held by them.
  for (size_t i = 0; i < plan->ncgroup_procs; ++i) {
    if (write(plan->cgroup_procs[i], "0", 1) < 0) ChildFail(plan, ChildStep::kJoinCgroup);
  }
  if (plan->set_affinity && sched_setaffinity(0, sizeof(plan->cpus), &plan->cpus) < 0) {
    ChildFail(plan, ChildStep::kAffinity);
  }
  // set_mempolicy is inherited across execve; glibc has no wrapper (libnuma does).
  if (plan->bind_memory &&
      syscall(SYS_set_mempolicy, MPOL_BIND, plan->mem_nodes, kMaxMemNodes + 1) < 0) {
    ChildFail(plan, ChildStep::kMemoryBind);
  }
  // All signals are blocked (the parent blocked them before clone), so no
  // handler of the parent can run here. Handlers would be reset by execve
  // anyway; resetting everything also drops inherited SIG_IGN (e.g. SIGPIPE).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // fails harmlessly for glibc's internal signals
  }
  if (plan->change_identity) {
    if (syscall(SYS_setgroups, plan->ngroups, plan->groups) < 0) {
      ChildFail(plan, ChildStep::kSetgroups);
    }
    if (syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) < 0) {
      ChildFail(plan, ChildStep::kSetgid);
    }
    if (syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) < 0) {
      ChildFail(plan, ChildStep::kSetuid);
    }
  }
  if (plan->working_dir != nullptr && chdir(plan->working_dir) < 0) {
    ChildFail(plan, ChildStep::kChdir);
  }
  int in_fd = AboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (in_fd < 0) ChildFail(plan, ChildStep::kOpenStdin);
  constexpr int kOutFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  int out_fd = AboveStdio(open(plan->stdout_path, kOutFlags, 0644));
  if (out_fd < 0) ChildFail(plan, ChildStep::kOpenStdout);
  int err_fd = out_fd;
  if (plan->stderr_path != nullptr) {
    err_fd = AboveStdio(open(plan->stderr_path, kOutFlags, 0644));
    if (err_fd < 0) ChildFail(plan, ChildStep::kOpenStderr);
  }
  // dup2 clears close-on-exec on the new descriptor; the originals stay
  // close-on-exec and vanish at execve.
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
    ChildFail(plan, ChildStep::kDup);
  }
  // Whatever the launcher's process left inheritable must not leak into tasks.
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(plan->path, plan->argv, plan->envp);
  ChildFail(plan, ChildStep::kExec);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The clone stack, one per thread, allocated on first use. The parent thread
// is suspended while the child runs on it, so reuse is safe.
char* ThreadChildStack() {
  thread_local std::unique_ptr<char[]> stack;
  if (!stack) stack = std::make_unique<char[]>(kChildStackSize);
  return stack.get();
}

Status StepFailure(ChildStep step, int error, const ChildPlan& plan, const LaunchSpec& spec) {
  std::string why = std::strerror(error);
  switch (step) {
    case ChildStep::kExec:
      return Status::Invalid("argv[0]", "exec " + std::string(plan.path) + ": " + why);
    case ChildStep::kChdir:
      return Status::Invalid("working_dir", "chdir " + spec.working_dir + ": " + why);
    case ChildStep::kOpenStdout:
      return Status::Invalid("stdout_path",
                             "open stdout " + std::string(plan.stdout_path) + ": " + why);
    case ChildStep::kOpenStderr:
      return Status::Invalid("stderr_path", "open stderr " + spec.stderr_path + ": " + why);
    case ChildStep::kAffinity:
      return Status::Invalid("cpus", "sched_setaffinity: " + why);
    case ChildStep::kMemoryBind:
      return Status::Invalid("mem_nodes", "set_mempolicy: " + why);
    case ChildStep::kSetgroups:
      return Status::PermissionDenied("setgroups for uid " + std::to_string(spec.uid) + ": " + why);
    case ChildStep::kSetgid:
      return Status::PermissionDenied("setgid " + std::to_string(spec.gid) + ": " + why);
    case ChildStep::kSetuid:
      return Status::PermissionDenied("setuid " + std::to_string(spec.uid) + ": " + why);
    case ChildStep::kSetpgid:
      return Status::Internal("setpgid: " + why);
    case ChildStep::kJoinCgroup:
      return Status::Internal("joining the task's cgroup: " + why);
    case ChildStep::kOpenStdin:
      return Status::Internal("open /dev/null: " + why);
    case ChildStep::kDup:
      return Status::Internal("dup2: " + why);
    case ChildStep::kNone:
      break;
  }
  return Status::Internal("child failed at an unknown step: " + why);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

Result<std::string> ResolveExecutable(const std::string& name, const std::string& path_var,
                                      const std::string& working_dir) {
  if (name.empty()) return Status::Invalid("argv[0]", "must not be empty");
  if (name.find('/') != std::string::npos) return name;
  const std::string& dirs = path_var.empty() ? std::string(kDefaultPath) : path_var;
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    if (dir.empty()) dir = ".";  // POSIX: an empty PATH entry is the cwd
    std::string candidate = dir + "/" + name;
    if (dir[0] != '/' && !working_dir.empty()) candidate = working_dir + "/" + candidate;
    if (IsExecutableFile(candidate)) return candidate;
    begin = end + 1;
  }
  return Status::NotFound("exec " + name + ": command not found in PATH=" + dirs);
}

ProcessLauncher::ProcessLauncher() : own_uid_(geteuid()), own_gid_(getegid()) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) machine_cpus_.push_back(cpu);
    }
  }
  if (machine_cpus_.empty()) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long cpu = 0; cpu < (n > 0 ? n : 1); ++cpu) machine_cpus_.push_back(cpu);
  }
  unsigned long allowed[kMemNodeWords] = {};
  if (syscall(SYS_get_mempolicy, nullptr, allowed, kMaxMemNodes + 1, nullptr,
              MPOL_F_MEMS_ALLOWED) == 0) {
    for (int node = 0; node < kMaxMemNodes; ++node) {
      if (allowed[node / kBitsPerWord] & (1UL << (node % kBitsPerWord))) {
        machine_mem_nodes_.push_back(node);
      }
    }
  }
  if (machine_mem_nodes_.empty()) machine_mem_nodes_.push_back(0);
}

int32_t ProcessLauncher::MapMemNode(int32_t node) const {
  return machine_mem_nodes_[static_cast<size_t>(node) % machine_mem_nodes_.size()];
}

int32_t ProcessLauncher::MapCpu(int32_t cpu) const {
  return machine_cpus_[static_cast<size_t>(cpu) % machine_cpus_.size()];
}

std::vector<gid_t> ProcessLauncher::GroupsFor(uid_t uid, gid_t gid) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(groups_mu_);
    auto it = groups_cache_.find({uid, gid});
    if (it != groups_cache_.end() && now - it->second.fetched < kGroupsCacheTtl) {
      return it->second.groups;
    }
  }
  std::vector<gid_t> groups{gid};
  if (auto account = LookupUser(uid)) {
    int n = 64;
    std::vector<gid_t> list(n);
    if (getgrouplist(account->name.c_str(), gid, list.data(), &n) < 0) {
      list.resize(n);
      if (getgrouplist(account->name.c_str(), gid, list.data(), &n) < 0) n = 0;
    }
    if (n > 0) groups.assign(list.begin(), list.begin() + n);
  }
  std::lock_guard<std::mutex> lock(groups_mu_);
  groups_cache_[{uid, gid}] = CachedGroups{groups, now};
  return groups;
}

Result<LaunchedProcess> ProcessLauncher::Launch(const LaunchSpec& spec,
                                                const std::vector<int>& cgroup_procs) {
  LaunchAttempt attempt = TryLaunch(spec, cgroup_procs);
  if (attempt.status.ok()) return attempt.process;
  if (attempt.process.pid > 0) {
    int status = 0;
    while (waitpid(attempt.process.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return attempt.status;
}

LaunchAttempt ProcessLauncher::TryLaunch(const LaunchSpec& spec,
                                         const std::vector<int>& cgroup_procs) {
  LaunchAttempt attempt;
  pid_t failed_child = 0;
  Result<LaunchedProcess> launched = LaunchOnce(spec, cgroup_procs, &failed_child);
  if (launched.ok()) {
    attempt.process = *launched;
  } else {
    attempt.status = launched.status();
    attempt.process.pid = failed_child;
  }
  return attempt;
}

Result<LaunchedProcess> ProcessLauncher::LaunchOnce(const LaunchSpec& spec,
                                                    const std::vector<int>& cgroup_procs,
                                                    pid_t* failed_child) {
  if (spec.argv.empty()) return Status::Invalid("argv", "must not be empty");
  if (spec.uid == static_cast<uint32_t>(-1) || spec.gid == static_cast<uint32_t>(-1)) {
    // setresuid(-1, ...) changes nothing: the task would run as the launcher.
    return Status::Invalid("uid", "uid and gid 4294967295 are not identities");
  }

  ChildPlan plan;
  std::vector<gid_t> groups;
  if (own_uid_ == 0) {
    if (spec.uid != 0 || spec.gid != 0) {
      groups = GroupsFor(spec.uid, spec.gid);
      plan.change_identity = true;
      plan.uid = spec.uid;
      plan.gid = spec.gid;
      plan.groups = groups.data();
      plan.ngroups = groups.size();
    }
  } else if (spec.uid != own_uid_ || spec.gid != own_gid_) {
    return Status::PermissionDenied(
        "task " + spec.task + " asks for uid " + std::to_string(spec.uid) + " gid " +
        std::to_string(spec.gid) + " but the launcher runs as uid " + std::to_string(own_uid_) +
        " gid " + std::to_string(own_gid_) + " and only root may run tasks as another user");
  }

  std::string path_var;
  for (const std::string& kv : spec.env) {
    if (kv.compare(0, 5, "PATH=") == 0) path_var = kv.substr(5);
  }
  Result<std::string> path = ResolveExecutable(spec.argv[0], path_var, spec.working_dir);
  if (!path.ok()) return Status::Invalid("argv[0]", path.status().message());

  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(spec.env.size() + 1);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  plan.path = path->c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.working_dir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str();
  plan.stdout_path = spec.stdout_path.empty() ? "/dev/null" : spec.stdout_path.c_str();
  if (!spec.stderr_path.empty() && spec.stderr_path != spec.stdout_path) {
    plan.stderr_path = spec.stderr_path.c_str();
  }
  CPU_ZERO(&plan.cpus);
  for (int32_t cpu : spec.cpus) {
    if (cpu < 0) {
      return Status::Invalid("cpus", "cpu index must be >= 0 (got " + std::to_string(cpu) + ")");
    }
    CPU_SET(MapCpu(cpu), &plan.cpus);
  }
  plan.set_affinity = !spec.cpus.empty();
  plan.cgroup_procs = cgroup_procs.data();
  plan.ncgroup_procs = cgroup_procs.size();
  for (int32_t node : spec.mem_nodes) {
    if (node < 0) {
      return Status::Invalid("mem_nodes",
                             "NUMA node index must be >= 0 (got " + std::to_string(node) + ")");
    }
    int32_t mapped = MapMemNode(node);
    if (mapped >= kMaxMemNodes) {
      return Status::Invalid("mem_nodes", "NUMA node " + std::to_string(mapped) + " is beyond " +
                                              std::to_string(kMaxMemNodes - 1));
    }
    plan.mem_nodes[mapped / kBitsPerWord] |= 1UL << (mapped % kBitsPerWord);
  }
  plan.bind_memory = !spec.mem_nodes.empty();

  // Block every signal so no handler of ours runs on the child's side of the
  // shared memory; the child unblocks right before execve.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  char* stack = ThreadChildStack();
  // Taken before the clone, so a reaper on another thread never sees an exit
  // that precedes its task's start.
  int64_t start_ms = NowMs();
  pid_t pid = clone(ChildMain, stack + kChildStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  if (pid < 0) {
    std::string why = "clone: " + std::string(std::strerror(clone_errno));
    if (clone_errno == EAGAIN || clone_errno == ENOMEM) return Status::Unavailable(why);
    return Status::Internal(why);
  }
  auto step = static_cast<ChildStep>(plan.failed_step);
  if (step != ChildStep::kNone) {
    *failed_child = pid;
    return StepFailure(step, plan.error, plan, spec);
  }
  return LaunchedProcess{pid, start_ms};
}

}  // namespace drover::executors
