#include "executors/task_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace drover::executors {
namespace {

// How long SIGKILL waits for a v1 freezer to report FROZEN before it kills
// the processes unfrozen (they may then fork once more; a second round catches that).
constexpr int kFreezePolls = 200;
constexpr auto kFreezePoll = std::chrono::microseconds(500);

std::string Errno() { return std::strerror(errno); }

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Writes `value` to a cgroup file; "" or the errno text.
std::string WriteFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path + ": " + Errno();
  ssize_t n = write(fd, value.data(), value.size());
  std::string error = n < 0 ? "write " + value + " to " + path + ": " + Errno() : "";
  close(fd);
  return error;
}

// mkdir -p, 0755; "" or the errno text.
std::string MakeDirs(const std::string& path) {
  size_t pos = 1;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST)
      return "mkdir " + prefix + ": " + Errno();
  }
  return "";
}

// The value of `key` in a "key value" file (memory.events, memory.oom_control).
int64_t KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  int64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

int64_t NumberIn(const std::string& path) {
  std::string text = Trimmed(ReadAll(path));
  if (text.empty()) return 0;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string CpuList(const std::vector<int32_t>& cpus) {
  std::string out;
  for (int32_t cpu : cpus) {
    if (!out.empty()) out += ',';
    out += std::to_string(cpu);
  }
  return out;
}

struct Mount {
  std::string root;        // the mount's root inside its hierarchy
  std::string mountpoint;  // where it is in the file system
};

// The v1 hierarchies by controller name, and the v2 one, from mountinfo:
//   36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory
struct Mounts {
  std::vector<std::pair<std::string, Mount>> v1;  // controller -> mount
  std::optional<Mount> v2;
};

Mounts ReadMounts(const std::string& mountinfo) {
  Mounts mounts;
  std::istringstream in(ReadAll(mountinfo));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    auto dash = std::find(f.begin(), f.end(), "-");
    // After the "-": the file system type, the source and the super options.
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    const std::string& fstype = *(dash + 1);
    Mount m{f[3], f[4]};
    if (fstype == "cgroup2") {
      if (!mounts.v2) mounts.v2 = m;
    } else if (fstype == "cgroup") {
      std::istringstream opts(*(dash + 3));
      for (std::string opt; std::getline(opts, opt, ',');) mounts.v1.emplace_back(opt, m);
    }
  }
  return mounts;
}

// This process's cgroup in each hierarchy, from /proc/self/cgroup:
//   4:memory:/a/b     0::/a/b
std::vector<std::pair<std::string, std::string>> ReadMembership(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;  // controller ("" = v2) -> path
  std::istringstream in(ReadAll(path));
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string cgroup = line.substr(b + 1);
    if (controllers.empty()) out.emplace_back("", cgroup);
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) out.emplace_back(name, cgroup);
  }
  return out;
}

// Where this process's cgroup of a hierarchy is in the file system; "" when
// the mount does not show it (a mount of another part of the hierarchy).
std::string OwnDirectory(const Mount& mount, const std::string& cgroup) {
  std::string rel;
  if (mount.root == "/") {
    rel = cgroup;
  } else if (cgroup.rfind(mount.root, 0) == 0) {
    rel = cgroup.substr(mount.root.size());
  } else {
    return "";
  }
  if (rel == "/") rel.clear();
  return mount.mountpoint + rel;
}

std::string MembershipOf(const std::vector<std::pair<std::string, std::string>>& membership,
                         const std::string& controller) {
  for (const auto& [c, path] : membership) {
    if (c == controller) return path;
  }
  return "";
}

bool ValidTaskName(const std::string& task) {
  return !task.empty() && task != "." && task != ".." && task.find('/') == std::string::npos &&
         task.size() < 200;
}

}  // namespace

std::unique_ptr<TaskCgroups> TaskCgroups::Open(const std::string& name,
                                               const std::string& proc_self) {
  std::unique_ptr<TaskCgroups> cg(new TaskCgroups());
  if (!ValidTaskName(name)) {
    cg->why_ = "the supervisor's cgroup name \"" + name + "\" is not a directory name";
    return cg;
  }
  const Mounts mounts = ReadMounts(proc_self + "/mountinfo");
  const auto membership = ReadMembership(proc_self + "/cgroup");
  std::vector<std::string> missing;

  // v1 where its memory or freezer controller is mounted (this is also what
  // a hybrid system uses, whose unified hierarchy has no controllers).
  auto v1_base = [&](const std::string& controller) -> std::string {
    for (const auto& [c, mount] : mounts.v1) {
      if (c != controller) continue;
      std::string own = OwnDirectory(mount, MembershipOf(membership, controller));
      if (own.empty()) break;
      std::string base = own + "/drover/" + name;
      if (controller == "cpuset") {
        // A v1 cpuset cgroup starts empty and refuses processes until given
        // cpus and mems: copy them down from this process's own cpuset.
        std::string cpus = Trimmed(ReadAll(own + "/cpuset.cpus"));
        std::string mems = Trimmed(ReadAll(own + "/cpuset.mems"));
        for (const std::string& dir : {own + "/drover", base}) {
          if (std::string e = MakeDirs(dir); !e.empty()) {
            missing.push_back(controller + " (" + e + ")");
            return "";
          }
          WriteFile(dir + "/cpuset.cpus", cpus);
          WriteFile(dir + "/cpuset.mems", mems);
        }
        cg->cpuset_mems_ = mems;
        return base;
      }
      if (std::string e = MakeDirs(base); !e.empty()) {
        missing.push_back(controller + " (" + e + ")");
        return "";
      }
      return base;
    }
    return "";
  };
  bool has_v1 = false;
  for (const auto& [c, mount] : mounts.v1) has_v1 |= c == "memory" || c == "freezer";
  if (has_v1) {
    cg->memory_ = v1_base("memory");
    cg->freezer_ = v1_base("freezer");
    cg->cpuset_ = v1_base("cpuset");
    if (!cg->memory_.empty() || !cg->freezer_.empty()) {
      cg->mode_ = Mode::kV1;
      if (cg->memory_.empty()) missing.push_back("memory");
      if (cg->freezer_.empty()) missing.push_back("freezer");
      if (cg->cpuset_.empty()) missing.push_back("cpuset");
    }
  }
  if (cg->mode_ == Mode::kNone && mounts.v2) {
    std::string own = OwnDirectory(*mounts.v2, MembershipOf(membership, ""));
    std::string base = own + "/drover/" + name;
    if (own.empty()) {
      missing.push_back("cgroup v2 (this process's cgroup is not under " + mounts.v2->mountpoint +
                        ")");
    } else if (std::string e = MakeDirs(base); !e.empty()) {
      missing.push_back("cgroup v2 (" + e + ")");
    } else {
      cg->mode_ = Mode::kV2;
      cg->unified_ = base;
      // Controllers reach the tasks only if enabled at every level below
      // this process's cgroup; the kernel refuses that where the cgroup
      // holds processes itself, unless it is the root.
      for (const std::string& controller : {std::string("memory"), std::string("cpuset")}) {
        std::string error;
        for (const std::string& dir : {own, own + "/drover", base}) {
          std::string enabled = ReadAll(dir + "/cgroup.subtree_control");
          if (enabled.find(controller) != std::string::npos) continue;
          error = WriteFile(dir + "/cgroup.subtree_control", "+" + controller);
          if (!error.empty()) break;
        }
        if (!error.empty()) {
          missing.push_back(controller + " (" + error + ")");
        } else {
          (controller == "memory" ? cg->memory_ : cg->cpuset_) = base;
        }
      }
    }
  }
  if (!cg->memory_.empty()) {
    cg->swap_limit_ = Exists(cg->memory_ + (cg->mode_ == Mode::kV1 ? "/memory.memsw.limit_in_bytes"
                                                                   : "/memory.swap.max"));
  }
  if (cg->mode_ == Mode::kNone && missing.empty()) {
    missing.push_back("no cgroup file system is mounted");
  }
  for (const std::string& m : missing) cg->why_ += (cg->why_.empty() ? "" : "; ") + m;
  return cg;
}

std::string TaskCgroups::Describe() const {
  if (mode_ == Mode::kNone) {
    return "containment: none, tasks are held by their process group only and memory is not "
           "enforced (" +
           why_ + ")";
  }
  std::string out = mode_ == Mode::kV1 ? "containment: cgroup v1" : "containment: cgroup v2";
  out += " under " + (mode_ == Mode::kV1 ? (memory_.empty() ? freezer_ : memory_) : unified_);
  out += enforces_memory() ? "; memory enforced" : "; memory not enforced";
  out += confines_cpus() ? "; cpus confined" : "; cpus bound by affinity only";
  if (!why_.empty()) out += " (missing: " + why_ + ")";
  return out;
}

std::vector<std::string> TaskCgroups::DirsOf(const std::string& task,
                                             const CgroupLimits* limits) const {
  std::vector<std::string> dirs;
  const std::string* tracking = freezer_.empty() ? &memory_ : &freezer_;
  for (const std::string* base : {&unified_, &memory_, &freezer_, &cpuset_}) {
    if (base->empty()) continue;
    // v1 with limits: only the hierarchies that hold or limit something (a
    // cgroup costs a mkdir and an rmdir on every launch): the tracking one,
    // memory with a limit, cpuset with cpus.
    if (limits != nullptr && mode_ == Mode::kV1 && base != tracking) {
      if (base == &memory_ && limits->memory_bytes <= 0) continue;
      if (base == &cpuset_ && limits->cpus.empty()) continue;
    }
    std::string dir = *base + "/" + task;
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

std::string TaskCgroups::TrackingDirOf(const std::string& task) const {
  for (const std::string* base : {&unified_, &freezer_, &memory_, &cpuset_}) {
    if (!base->empty()) return *base + "/" + task;
  }
  return "";
}

std::string TaskCgroups::MemoryPathOf(const std::string& task) const {
  return memory_.empty() ? "" : memory_ + "/" + task;
}

Result<std::vector<UniqueFd>> TaskCgroups::Create(const std::string& task,
                                                  const CgroupLimits& limits) const {
  std::vector<UniqueFd> procs;
  if (mode_ == Mode::kNone) return procs;
  if (!ValidTaskName(task)) {
    return Status::Invalid("task", "\"" + task + "\" cannot name a cgroup directory");
  }
  const std::vector<std::string> dirs = DirsOf(task, &limits);
  for (const std::string& dir : dirs) {
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
      return Status::Internal("mkdir " + dir + ": " + Errno());
    }
  }
  if (!memory_.empty() && limits.memory_bytes > 0) {
    const std::string dir = memory_ + "/" + task;
    const std::string bytes = std::to_string(limits.memory_bytes);
    if (mode_ == Mode::kV1) {
      if (std::string e = WriteFile(dir + "/memory.limit_in_bytes", bytes); !e.empty()) {
        return Status::Internal(e);
      }
      // Memory plus swap at the same limit: a task may not swap its way past it
      // (Slurm's AllowedSwapSpace=0). The file exists only with swap accounting.
      if (swap_limit_) WriteFile(dir + "/memory.memsw.limit_in_bytes", bytes);
    } else {
      if (std::string e = WriteFile(dir + "/memory.max", bytes); !e.empty()) {
        return Status::Internal(e);
      }
      if (swap_limit_) WriteFile(dir + "/memory.swap.max", "0");
    }
  }
  if (!cpuset_.empty() && !limits.cpus.empty()) {
    const std::string dir = cpuset_ + "/" + task;
    if (std::string e = WriteFile(dir + "/cpuset.cpus", CpuList(limits.cpus)); !e.empty()) {
      return Status::Internal(e);
    }
    if (mode_ == Mode::kV1) {
      if (std::string e = WriteFile(dir + "/cpuset.mems", cpuset_mems_); !e.empty()) {
        return Status::Internal(e);
      }
    }
  }
  for (const std::string& dir : dirs) {
    const std::string file = dir + "/cgroup.procs";
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::Internal("open " + file + ": " + Errno());
    procs.emplace_back(fd);
  }
  return procs;
}

std::vector<int> TaskCgroups::Processes(const std::string& task) const {
  std::vector<int> pids;
  std::string dir = TrackingDirOf(task);
  if (dir.empty()) return pids;
  std::istringstream in(ReadAll(dir + "/cgroup.procs"));
  for (int pid; in >> pid;) pids.push_back(pid);
  return pids;
}

int TaskCgroups::Signal(const std::string& task, int sig, int except_group) const {
  if (mode_ == Mode::kNone || Processes(task).empty()) return 0;  // the usual end: nothing left
  int signalled = 0;
  if (sig == SIGKILL && mode_ == Mode::kV2) {
    const std::string file = unified_ + "/" + task + "/cgroup.kill";
    if (Exists(file)) {
      // The kernel kills the whole cgroup at once, forks in flight included.
      signalled = static_cast<int>(Processes(task).size());
      if (WriteFile(file, "1").empty()) return signalled;
    }
  }
  const bool freeze = sig == SIGKILL && mode_ == Mode::kV1 && !freezer_.empty();
  const std::string state = freezer_ + "/" + task + "/freezer.state";
  if (freeze && WriteFile(state, "FROZEN").empty()) {
    for (int i = 0; i < kFreezePolls && Trimmed(ReadAll(state)) != "FROZEN"; ++i) {
      std::this_thread::sleep_for(kFreezePoll);
    }
  }
  // Without a freezer a process may fork between the read and the kill:
  // go round until the cgroup stays empty (a few rounds at most).
  for (int round = 0; round < (freeze ? 1 : 3); ++round) {
    std::vector<int> pids = Processes(task);
    if (pids.empty()) break;
    for (int pid : pids) {
      if (except_group > 0 && getpgid(pid) == except_group) continue;
      if (kill(pid, sig) == 0) ++signalled;
    }
    if (sig != SIGKILL) break;
  }
  if (freeze) WriteFile(state, "THAWED");  // SIGKILL is delivered once they thaw
  return signalled;
}

CgroupReport TaskCgroups::Report(const std::string& task) const {
  CgroupReport report;
  if (memory_.empty()) return report;
  const std::string dir = memory_ + "/" + task;
  if (mode_ == Mode::kV1) {
    report.oom_killed = KeyedValue(ReadAll(dir + "/memory.oom_control"), "oom_kill") > 0;
    report.peak_memory_bytes = NumberIn(dir + "/memory.max_usage_in_bytes");
  } else {
    report.oom_killed = KeyedValue(ReadAll(dir + "/memory.events"), "oom_kill") > 0;
    report.peak_memory_bytes = NumberIn(dir + "/memory.peak");
  }
  return report;
}

bool TaskCgroups::Remove(const std::string& task) const {
  bool gone = true;
  for (const std::string& dir : DirsOf(task)) {
    if (rmdir(dir.c_str()) < 0 && errno != ENOENT) gone = false;
  }
  return gone;
}

std::vector<std::string> TaskCgroups::Tasks() const {
  std::vector<std::string> tasks;
  std::string base = unified_.empty() ? TrackingDirOf("") : unified_ + "/";
  if (base.empty()) return tasks;
  DIR* d = opendir(base.c_str());
  if (d == nullptr) return tasks;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (e->d_type == DT_DIR && n != "." && n != "..") tasks.push_back(n);
  }
  closedir(d);
  std::sort(tasks.begin(), tasks.end());
  return tasks;
}

void TaskCgroups::RemoveBase() const {
  for (const std::string* base : {&unified_, &memory_, &freezer_, &cpuset_}) {
    if (base->empty()) continue;
    rmdir(base->c_str());
    // The shared "drover" parent too, once the last supervisor has gone.
    rmdir(base->substr(0, base->rfind('/')).c_str());
  }
}

}  // namespace drover::executors
