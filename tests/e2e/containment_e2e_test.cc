// Containment end to end, on a real `drover up` cluster: a batch job's
// memory is enforced by its cgroup (the script reads its own limit back)
// and going over it ends the job OUT_OF_MEMORY; a process the script put in
// a session of its own dies with a cancel.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/drover_up_fixture.h"
#include "tests/support/wait_for.h"

namespace drover::e2e {
namespace {

using drover::testing::WaitFor;

// Where a task's cgroups can be made: root, and a cgroup file system.
bool MachineHasCgroups() {
  return geteuid() == 0 && (std::filesystem::exists("/sys/fs/cgroup/memory/cgroup.procs") ||
                            std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"));
}

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

TEST_F(CliEndToEndTest, AJobOverItsMemoryEndsOutOfMemoryAndSawItsLimitInItsCgroup) {
  if (!MachineHasCgroups()) GTEST_SKIP() << "no cgroups to contain tasks on this machine";
  // The script finds its own memory cgroup (v1 or v2) and records the limit,
  // then grows without end: tail keeps /dev/zero's unending "line".
  std::ofstream(home_ + "/hungry.sh")
      << "#!/bin/bash\n"
         "#SBATCH --mem=40M\n"
         "v1=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)\n"
         "if [ -n \"$v1\" ]; then cat /sys/fs/cgroup/memory$v1/memory.limit_in_bytes;\n"
         "else cat /sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/memory.max; fi"
         " > out/limit.txt\n"
         "tail /dev/zero\n";
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.Run({"--parsable", "-W", "--env", "DROVER_E2E_HOME=" + home_, "hungry.sh"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadWholeFile(home_ + "/out/limit.txt"), std::to_string(40 << 20) + "\n");
  CliRunner squeue(BinDir() + "/squeue", home_);
  const std::string id = std::to_string(ParseSubmittedId(r.out));
  EXPECT_EQ(squeue.Run({"-h", "-j", id, "-t", "all", "-o", "%T"}).out, "OUT_OF_MEMORY\n");
  CliResult shown = Drover({"get", "job", id});
  EXPECT_NE(shown.out.find("out of memory"), std::string::npos) << shown.Describe();
}

TEST_F(CliEndToEndTest, ScancelKillsAProcessTheScriptStartedInASessionOfItsOwn) {
  if (!MachineHasCgroups()) GTEST_SKIP() << "no cgroups to contain tasks on this machine";
  CliRunner sbatch(BinDir() + "/sbatch", home_);
  CliResult r = sbatch.Run({"--parsable", "--env", "DROVER_E2E_HOME=" + home_, "--wrap",
                            "setsid sleep 300 & echo $! > out/escaper.pid; sleep 300"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string pidfile = home_ + "/out/escaper.pid";
  ASSERT_TRUE(WaitFor([&] { return !ReadWholeFile(pidfile).empty(); }, 60s))
      << "the job never started";
  const pid_t escaper = std::stoi(ReadWholeFile(pidfile));
  ASSERT_TRUE(Alive(escaper));
  CliRunner scancel(BinDir() + "/scancel", home_);
  const std::string id = std::to_string(ParseSubmittedId(r.out));
  ASSERT_EQ(scancel.Run({id}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return !Alive(escaper); }, 30s))
      << "a setsid child outlived its cancelled job";
}

}  // namespace
}  // namespace drover::e2e
