// ProcessLauncher against real processes: exit codes, start errors, output
// files, environment, cpu binding and identity.
#include "executors/process_launcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "executors/topology_discovery.h"
#include "tests/unit/executors/test_dirs.h"

namespace drover::executors {
namespace {

using testing::ReadFile;
using testing::TempDir;

LaunchSpec Spec(std::vector<std::string> argv) {
  LaunchSpec spec;
  spec.task = "t";
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.uid = geteuid();
  spec.gid = getegid();
  return spec;
}

// Launches and waits; returns the wait status.
int RunToEnd(ProcessLauncher& launcher, const LaunchSpec& spec) {
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  EXPECT_TRUE(launched.ok()) << launched.status().ToString();
  if (!launched.ok()) return -1;
  int status = 0;
  EXPECT_EQ(waitpid(launched->pid, &status, 0), launched->pid);
  return status;
}

TEST(ProcessLauncherTest, ReportsExitCodesAndSignals) {
  ProcessLauncher launcher;
  int status = RunToEnd(launcher, Spec({"/bin/true"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  status = RunToEnd(launcher, Spec({"/bin/sh", "-c", "exit 3"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);

  status = RunToEnd(launcher, Spec({"/bin/sh", "-c", "kill -KILL $$"}));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ProcessLauncherTest, TaskLeadsItsOwnProcessGroup) {
  ProcessLauncher launcher;
  TempDir dir;
  LaunchSpec spec = Spec({"/bin/sh", "-c", "ps -o pgid= -p $$"});
  spec.stdout_path = dir.File("out");
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  int status = 0;
  waitpid(launched->pid, &status, 0);
  EXPECT_EQ(std::stoi(ReadFile(dir.File("out"))), launched->pid);
}

TEST(ProcessLauncherTest, MissingBinaryGivesExecErrorNotExit127) {
  ProcessLauncher launcher;
  Result<LaunchedProcess> launched = launcher.Launch(Spec({"/no/such"}));
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message(), "exec /no/such: No such file or directory");
  EXPECT_EQ(launched.status().field(), "argv[0]");

  launched = launcher.Launch(Spec({"no-such-command-anywhere"}));
  ASSERT_FALSE(launched.ok());
  EXPECT_NE(launched.status().message().find("not found in PATH=/usr/bin:/bin"), std::string::npos)
      << launched.status().message();

  TempDir dir;
  std::string not_exec = dir.File("data.txt");
  { std::ofstream(not_exec) << "x"; }
  launched = launcher.Launch(Spec({not_exec}));
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message(), "exec " + not_exec + ": Permission denied");
}

TEST(ProcessLauncherTest, BadWorkingDirIsReported) {
  ProcessLauncher launcher;
  LaunchSpec spec = Spec({"/bin/true"});
  spec.working_dir = "/no/such/dir";
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message(), "chdir /no/such/dir: No such file or directory");
}

TEST(ProcessLauncherTest, ArgvZeroIsLookedUpInTheTaskPath) {
  ProcessLauncher launcher;
  TempDir dir;
  LaunchSpec spec = Spec({"echo", "hello"});
  spec.stdout_path = dir.File("out");
  int status = RunToEnd(launcher, spec);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(ReadFile(dir.File("out")), "hello\n");
}

TEST(ProcessLauncherTest, StdoutAndStderrLandInTheirFiles) {
  ProcessLauncher launcher;
  TempDir dir;
  { std::ofstream(dir.File("out")) << "old content that must be truncated\n"; }
  LaunchSpec spec = Spec({"/bin/sh", "-c", "echo out; echo err >&2; cat"});  // cat: stdin empty
  spec.stdout_path = dir.File("out");
  spec.stderr_path = dir.File("err");
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("out")), "out\n");
  EXPECT_EQ(ReadFile(dir.File("err")), "err\n");

  // Without a stderr path both streams share stdout's file (one offset).
  spec.stderr_path.clear();
  spec.stdout_path = dir.File("both");
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("both")), "out\nerr\n");
}

TEST(ProcessLauncherTest, RelativeOutputPathsAreRelativeToWorkingDir) {
  ProcessLauncher launcher;
  TempDir dir;
  LaunchSpec spec = Spec({"/bin/sh", "-c", "pwd"});
  spec.working_dir = dir.path();
  spec.stdout_path = "rel.out";
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("rel.out")), dir.path() + "\n");
}

TEST(ProcessLauncherTest, UnwritableOutputIsReported) {
  ProcessLauncher launcher;
  LaunchSpec spec = Spec({"/bin/true"});
  spec.stdout_path = "/no/such/dir/out";
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message(), "open stdout /no/such/dir/out: No such file or directory");
}

TEST(ProcessLauncherTest, EnvironmentIsExactlyWhatWasGiven) {
  ProcessLauncher launcher;
  TempDir dir;
  LaunchSpec spec = Spec({"/usr/bin/env"});
  spec.env = {"A=1", "B=two words", "EMPTY="};
  spec.stdout_path = dir.File("env");
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("env")), "A=1\nB=two words\nEMPTY=\n");
}

TEST(ProcessLauncherTest, NoDescriptorOfTheLauncherLeaksIntoTheTask) {
  ProcessLauncher launcher;
  TempDir dir;
  int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  LaunchSpec spec = Spec({"/bin/sh", "-c", "ls /proc/self/fd"});
  spec.stdout_path = dir.File("fds");
  RunToEnd(launcher, spec);
  close(leaky);
  // 0, 1, 2 and the fd ls itself opens to read the directory.
  EXPECT_EQ(ReadFile(dir.File("fds")), "0\n1\n2\n3\n");
}

TEST(ProcessLauncherTest, SignalDispositionsAndMaskAreReset) {
  ProcessLauncher launcher;
  TempDir dir;
  signal(SIGPIPE, SIG_IGN);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
  LaunchSpec spec = Spec({"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status"});
  spec.stdout_path = dir.File("sig");
  RunToEnd(launcher, spec);
  pthread_sigmask(SIG_UNBLOCK, &usr1, nullptr);
  signal(SIGPIPE, SIG_DFL);
  // grep's own status: nothing blocked, nothing ignored.
  EXPECT_EQ(ReadFile(dir.File("sig")), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST(ProcessLauncherTest, AffinityIsTheAskedCpus) {
  ProcessLauncher launcher;
  TempDir dir;
  const std::vector<int32_t>& cpus = launcher.machine_cpus();
  LaunchSpec spec = Spec({"/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status"});
  spec.stdout_path = dir.File("aff");
  spec.cpus = {cpus.back()};
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("aff")), "Cpus_allowed_list:\t" + std::to_string(cpus.back()) + "\n");
}

TEST(ProcessLauncherTest, CpusBeyondTheMachineFoldOntoItsCpus) {
  ProcessLauncher launcher;
  TempDir dir;
  const std::vector<int32_t>& cpus = launcher.machine_cpus();
  const int32_t n = static_cast<int32_t>(cpus.size());
  EXPECT_EQ(launcher.MapCpu(n), cpus[0]);
  EXPECT_EQ(launcher.MapCpu(63), cpus[63 % n]);
  LaunchSpec spec = Spec({"/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status"});
  spec.stdout_path = dir.File("aff");
  spec.cpus = {63};  // a cpu of a synthetic 64-PU node
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("aff")),
            "Cpus_allowed_list:\t" + std::to_string(cpus[63 % n]) + "\n");
}

// The memory policy of the task's first mapping, as /proc/PID/numa_maps shows it.
std::string TaskMemoryPolicy(ProcessLauncher& launcher, std::vector<int32_t> mem_nodes) {
  TempDir dir;
  LaunchSpec spec =
      Spec({"/bin/sh", "-c", "read addr policy rest < /proc/self/numa_maps; echo $policy"});
  spec.stdout_path = dir.File("policy");
  spec.mem_nodes = std::move(mem_nodes);
  RunToEnd(launcher, spec);
  return ReadFile(dir.File("policy"));
}

TEST(ProcessLauncherTest, MemoryIsBoundToTheAskedNumaNodes) {
  ProcessLauncher launcher;
  EXPECT_EQ(TaskMemoryPolicy(launcher, {}), "default\n");
  // NUMA node 3 of a synthetic node folds onto this machine's nodes.
  int32_t mapped = launcher.MapMemNode(3);
  EXPECT_EQ(TaskMemoryPolicy(launcher, {3}), "bind:" + std::to_string(mapped) + "\n");
}

TEST(ProcessLauncherTest, NegativeNumaNodeIsRejected) {
  ProcessLauncher launcher;
  LaunchSpec spec = Spec({"/bin/true"});
  spec.mem_nodes = {-1};
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().field(), "mem_nodes");
}

TEST(ProcessLauncherTest, NegativeCpuIsRejected) {
  ProcessLauncher launcher;
  LaunchSpec spec = Spec({"/bin/true"});
  spec.cpus = {-1};
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().field(), "cpus");
}

TEST(ProcessLauncherTest, RootRunsTaskAsTheAskedUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  ProcessLauncher launcher;
  TempDir dir;
  chmod(dir.path().c_str(), 0777);
  LaunchSpec spec = Spec({"/bin/sh", "-c", "id -u; id -g; id -G"});
  spec.uid = 65534;
  spec.gid = 65534;
  spec.stdout_path = dir.File("id");
  RunToEnd(launcher, spec);
  EXPECT_EQ(ReadFile(dir.File("id")), "65534\n65534\n65534\n");
  struct stat st;
  ASSERT_EQ(stat(dir.File("id").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);  // opened as the task's user
}

TEST(ProcessLauncherTest, OutputIsOpenedWithTheTaskUsersRights) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  ProcessLauncher launcher;
  TempDir dir;  // mode 0700, owned by root
  LaunchSpec spec = Spec({"/bin/true"});
  spec.uid = 65534;
  spec.gid = 65534;
  spec.stdout_path = dir.File("out");
  Result<LaunchedProcess> launched = launcher.Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message(), "open stdout " + dir.File("out") + ": Permission denied");
}

TEST(ProcessLauncherTest, NonRootLauncherRefusesAnotherUid) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 &&
        (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)) {
      _exit(10);
    }
    ProcessLauncher launcher;
    LaunchSpec spec = Spec({"/bin/true"});
    spec.uid = 0;
    spec.gid = 0;
    Result<LaunchedProcess> launched = launcher.Launch(spec);
    if (launched.ok()) _exit(11);
    if (launched.status().code() != StatusCode::kPermissionDenied) _exit(12);
    if (launched.status().message().find("only root may run tasks as another user") ==
        std::string::npos) {
      _exit(13);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace drover::executors
