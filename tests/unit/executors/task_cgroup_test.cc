// TaskCgroups: finding the hierarchies from mountinfo (on a fake cgroup file
// system in a temporary directory) and holding real processes in real
// cgroups (where this machine lets the test make them).
#include "executors/task_cgroup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "executors/process_launcher.h"
#include "tests/unit/executors/test_dirs.h"

namespace drover::executors {
namespace {

using testing::Eventually;
using testing::ProcessAlive;
using testing::ReadFile;
using testing::TempDir;

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A fake /proc/self and cgroup mounts under `dir`: the mountinfo lines name
// directories of the temporary directory as the mount points.
struct FakeSystem {
  explicit FakeSystem(const TempDir& dir) : proc(dir.File("proc")), fs(dir.File("fs")) {
    mkdir(proc.c_str(), 0755);
    mkdir(fs.c_str(), 0755);
  }
  void Mount(const std::string& controller, const std::string& fstype, const std::string& root,
             const std::string& own) {
    const std::string point = fs + "/" + (controller.empty() ? "unified" : controller);
    std::string cmd = "mkdir -p '" + point + own + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    mountinfo += "30 25 0:27 " + root + " " + point + " rw,nosuid - " + fstype + " cgroup rw" +
                 (controller.empty() ? "" : "," + controller) + "\n";
    membership += std::to_string(++hierarchy) + ":" + controller + ":" + own + "\n";
  }
  void Finish() {
    Write(proc + "/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n" + mountinfo);
    Write(proc + "/cgroup", membership);
  }
  std::string proc, fs, mountinfo, membership;
  int hierarchy = 0;
};

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(TaskCgroupsTest, V1KeepsTasksUnderTheProcessOwnCgroupOfEachController) {
  TempDir dir;
  FakeSystem sys(dir);
  sys.Mount("memory", "cgroup", "/", "/box/7");
  sys.Mount("freezer", "cgroup", "/", "/");
  sys.Finish();
  auto cg = TaskCgroups::Open("n1-0000abcd", sys.proc);
  EXPECT_EQ(cg->mode(), TaskCgroups::Mode::kV1);
  EXPECT_TRUE(cg->enforces_memory());
  EXPECT_FALSE(cg->confines_cpus());
  EXPECT_TRUE(IsDir(sys.fs + "/memory/box/7/drover/n1-0000abcd"));
  EXPECT_TRUE(IsDir(sys.fs + "/freezer/drover/n1-0000abcd"));
  EXPECT_NE(cg->Describe().find("memory enforced"), std::string::npos) << cg->Describe();
  EXPECT_NE(cg->Describe().find("cpuset"), std::string::npos) << "names what is missing";
  EXPECT_EQ(cg->MemoryPathOf("5_0.0"), sys.fs + "/memory/box/7/drover/n1-0000abcd/5_0.0");
}

TEST(TaskCgroupsTest, AMountOfPartOfTheHierarchyIsReadRelativeToItsRoot) {
  TempDir dir;
  FakeSystem sys(dir);
  // A container's view: the mount shows /box and below, the process is in /box/7.
  sys.Mount("memory", "cgroup", "/box", "/7");
  sys.Finish();
  // The membership says /box/7 in the whole hierarchy.
  Write(sys.proc + "/cgroup", "1:memory:/box/7\n");
  auto cg = TaskCgroups::Open("x", sys.proc);
  EXPECT_EQ(cg->MemoryPathOf("t"), sys.fs + "/memory/7/drover/x/t");
}

TEST(TaskCgroupsTest, V2WhereControllersCannotBeEnabledHoldsTasksAndSaysMemoryIsNotEnforced) {
  TempDir dir;
  FakeSystem sys(dir);
  sys.Mount("", "cgroup2", "/", "/user.slice");
  sys.Finish();
  // No cgroup.subtree_control to write: as when the kernel refuses to enable
  // a controller below a cgroup that holds processes (no delegation).
  auto cg = TaskCgroups::Open("n2-1", sys.proc);
  EXPECT_EQ(cg->mode(), TaskCgroups::Mode::kV2);
  EXPECT_TRUE(IsDir(sys.fs + "/unified/user.slice/drover/n2-1"));
  EXPECT_FALSE(cg->enforces_memory());
  EXPECT_EQ(cg->MemoryPathOf("t"), "");
  EXPECT_NE(cg->Describe().find("memory not enforced"), std::string::npos) << cg->Describe();
  EXPECT_NE(
      cg->Describe().find("memory (open " + sys.fs + "/unified/user.slice/cgroup.subtree_control"),
      std::string::npos)
      << cg->Describe();
}

TEST(TaskCgroupsTest, NoCgroupFileSystemIsModeNoneWithTheReason) {
  TempDir dir;
  FakeSystem sys(dir);
  sys.Finish();
  auto cg = TaskCgroups::Open("n3-1", sys.proc);
  EXPECT_EQ(cg->mode(), TaskCgroups::Mode::kNone);
  EXPECT_FALSE(cg->enforces_memory());
  EXPECT_NE(cg->Describe().find("no cgroup file system is mounted"), std::string::npos)
      << cg->Describe();
  auto fds = cg->Create("t", {});
  ASSERT_TRUE(fds.ok());
  EXPECT_TRUE(fds->empty()) << "nothing to join: the task runs by its process group alone";
}

TEST(TaskCgroupsTest, ATaskNameThatIsNotADirectoryNameIsRefused) {
  TempDir dir;
  FakeSystem sys(dir);
  sys.Mount("memory", "cgroup", "/", "/");
  sys.Finish();
  auto cg = TaskCgroups::Open("n", sys.proc);
  for (const char* bad : {"", "..", "a/b"}) {
    auto fds = cg->Create(bad, {});
    EXPECT_FALSE(fds.ok()) << bad;
  }
}

// The machine's own cgroups: needs root and a writable hierarchy.
class RealCgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cg_ = TaskCgroups::Open("unit-test-" + std::to_string(getpid()));
    if (cg_->mode() == TaskCgroups::Mode::kNone || !cg_->enforces_memory()) {
      GTEST_SKIP() << "this machine gives no memory cgroup to this process: " << cg_->Describe();
    }
  }
  void TearDown() override {
    if (cg_) cg_->RemoveBase();
  }

  // Launches `script` into the cgroup of `task`.
  pid_t Launch(const std::string& task, const std::string& script, const CgroupLimits& limits) {
    auto fds = cg_->Create(task, limits);
    EXPECT_TRUE(fds.ok()) << fds.status().ToString();
    if (!fds.ok()) return 0;
    std::vector<int> raw;
    for (const UniqueFd& fd : *fds) raw.push_back(fd.get());
    LaunchSpec spec;
    spec.task = task;
    spec.argv = {"/bin/sh", "-c", script};
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.uid = geteuid();
    spec.gid = getegid();
    auto launched = launcher_.Launch(spec, raw);
    EXPECT_TRUE(launched.ok()) << launched.status().ToString();
    return launched.ok() ? launched->pid : 0;
  }

  std::unique_ptr<TaskCgroups> cg_;
  ProcessLauncher launcher_;
  TempDir dir_;
};

TEST_F(RealCgroupsTest, ASetsidChildIsHeldAndKilledWithItsTask) {
  const std::string pidfile = dir_.File("escaper.pid");
  pid_t pid = Launch("escape", "setsid sleep 100 & echo $! > " + pidfile + "; exit 0", {});
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(Eventually([&] { return !ReadFile(pidfile).empty(); }));
  const pid_t escaper = std::stoi(ReadFile(pidfile));
  ASSERT_TRUE(ProcessAlive(escaper)) << "setsid left the process group and lives on";
  EXPECT_EQ(cg_->Processes("escape"), std::vector<int>{escaper});
  EXPECT_FALSE(cg_->Remove("escape")) << "a cgroup with a process in it stays";
  EXPECT_EQ(cg_->Signal("escape", SIGKILL), 1);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(escaper); }));
  EXPECT_TRUE(Eventually([&] { return cg_->Remove("escape"); }));
  EXPECT_TRUE(cg_->Tasks().empty());
}

TEST_F(RealCgroupsTest, TheMemoryLimitIsReadBackAndGoingOverItIsReported) {
  const std::string limitfile = dir_.File("limit");
  CgroupLimits limits;
  limits.memory_bytes = 32 << 20;
  // The task reads its own limit, then grows without end (tail keeps the
  // unending "line" of /dev/zero in memory).
  pid_t pid =
      Launch("hungry",
             "cat \"" + cg_->MemoryPathOf("hungry") + "/" +
                 (cg_->mode() == TaskCgroups::Mode::kV1 ? "memory.limit_in_bytes" : "memory.max") +
                 "\" > " + limitfile + "; exec tail /dev/zero",
             limits);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_EQ(ReadFile(limitfile), std::to_string(32 << 20) + "\n");
  CgroupReport report = cg_->Report("hungry");
  EXPECT_TRUE(report.oom_killed);
  EXPECT_GT(report.peak_memory_bytes, 16 << 20);
  EXPECT_LE(report.peak_memory_bytes, 33 << 20);
  EXPECT_TRUE(Eventually([&] { return cg_->Remove("hungry"); }));
}

TEST_F(RealCgroupsTest, ATaskWithinItsLimitIsNotReportedOutOfMemory) {
  CgroupLimits limits;
  limits.memory_bytes = 64 << 20;
  pid_t pid = Launch("modest", "head -c 1000000 /dev/zero > /dev/null", limits);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  EXPECT_FALSE(cg_->Report("modest").oom_killed);
  EXPECT_TRUE(cg_->Remove("modest")) << "an emptied cgroup goes at once";
}

}  // namespace
}  // namespace drover::executors
