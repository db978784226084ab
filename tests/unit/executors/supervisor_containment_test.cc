// drover-supervisor holds each task in a cgroup: processes that leave the
// task's process group end with it, memory is enforced and running out is
// reported, and what a killed supervisor left behind is killed by the next.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include "executors/task_cgroup.h"
#include "tests/unit/executors/supervisor_fixture.h"

namespace drover::executors {
namespace {

class SupervisorContainmentTest : public SupervisorTest {
 protected:
  void SetUp() override {
    // What the supervisor will find: the same probe it makes at start.
    auto probe = TaskCgroups::Open("probe-" + std::to_string(getpid()));
    const bool usable = probe->mode() != TaskCgroups::Mode::kNone && probe->enforces_memory();
    probe->RemoveBase();
    if (!usable) GTEST_SKIP() << "no memory cgroup on this machine: " << probe->Describe();
    SupervisorTest::SetUp();
  }

  // Launches a shell task that starts `sleep 100` in a session of its own
  // and writes its pid; returns that pid once it runs.
  pid_t LaunchEscaper(const std::string& task, const std::string& then) {
    const std::string pidfile = dir_.File(task + ".pid");
    EXPECT_TRUE(client_
                    ->Launch(Spec(task, {"/bin/sh", "-c",
                                         "setsid sleep 100 & echo $! > " + pidfile + "; " + then}))
                    .ok());
    EXPECT_TRUE(Eventually([&] { return !ReadFile(pidfile).empty(); }));
    const std::string text = ReadFile(pidfile);
    return text.empty() ? 0 : std::stoi(text);
  }
};

TEST_F(SupervisorContainmentTest, AProcessThatCalledSetsidEndsWhenItsTaskEnds) {
  pid_t escaper = LaunchEscaper("setsid-exit", "exit 0");
  ASSERT_GT(escaper, 0);
  TaskEvent e = Await(*client_, "setsid-exit", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_FALSE(e.out_of_memory);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(escaper); }))
      << "the setsid child outlived its task; log:\n"
      << ReadFile(dir_.File("supervisor.log"));
}

TEST_F(SupervisorContainmentTest, ACancelKillsAProcessThatCalledSetsid) {
  pid_t escaper = LaunchEscaper("setsid-cancel", "sleep 100");
  ASSERT_GT(escaper, 0);
  ASSERT_TRUE(client_->Kill("setsid-cancel", 5000).ok());
  TaskEvent e = Await(*client_, "setsid-cancel", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.signal, SIGTERM);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(escaper); }));
}

TEST_F(SupervisorContainmentTest, ASignalReachesTheTaskAndItsSetsidChildOnceAndKillsNothing) {
  const std::string shell = dir_.File("shell.txt"), child = dir_.File("child.txt");
  const std::string ready = dir_.File("ready");
  ASSERT_TRUE(client_
                  ->Launch(Spec("signalled", {"/bin/sh", "-c",
                                              "trap 'echo usr1 >> " + shell +
                                                  "' USR1; setsid sh -c \"trap 'echo usr1 >> " +
                                                  child + "' USR1; touch " + ready +
                                                  "; while :; do sleep 0.05; done\" & "
                                                  "while [ ! -s " +
                                                  shell + " ] || [ ! -s " + child +
                                                  " ]; do sleep 0.05; done; exit 0"}))
                  .ok());
  ASSERT_TRUE(Eventually([&] { return access(ready.c_str(), F_OK) == 0; }));
  ASSERT_TRUE(client_->Signal("signalled", SIGUSR1).ok());
  TaskEvent e = Await(*client_, "signalled", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.exit_code, 0) << "a signal alone ends nothing: the script ended by itself";
  EXPECT_EQ(ReadFile(shell), "usr1\n") << "once, though both its group and its cgroup hold it";
  EXPECT_EQ(ReadFile(child), "usr1\n")
      << "a process outside the group is reached through the cgroup";
}

TEST_F(SupervisorContainmentTest, ATaskOverItsMemoryLimitEndsOutOfMemoryWithItsPeak) {
  LaunchSpec spec = Spec("hungry", {"/bin/sh", "-c", "tail /dev/zero"});
  spec.memory_limit_bytes = 40 << 20;
  ASSERT_TRUE(client_->Launch(spec).ok());
  TaskEvent e = Await(*client_, "hungry", TaskEvent::Kind::kExited, 60s);
  EXPECT_TRUE(e.out_of_memory) << "exit " << e.exit_code << " signal " << e.signal;
  EXPECT_NE(e.exit_code, 0);
  // The peak is the whole task's (the cgroup's), not only the shell's.
  EXPECT_GT(e.usage.max_rss_kb, 20 << 10);
  EXPECT_LE(e.usage.max_rss_kb, 41 << 10);
  EXPECT_NE(ReadFile(dir_.File("supervisor.log")).find("killed a process of it for memory"),
            std::string::npos);
}

TEST_F(SupervisorContainmentTest, TasksLeftByAKilledSupervisorAreKilledByTheNextOne) {
  pid_t escaper = LaunchEscaper("orphan", "sleep 100");
  ASSERT_GT(escaper, 0);
  pid_t shell = Await(*client_, "orphan", TaskEvent::Kind::kStarted).pid;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  client_.reset();
  ASSERT_TRUE(ProcessAlive(shell)) << "a killed supervisor's tasks run on, owned by no one";
  StartSupervisor();
  client_ = ConnectWhenUp();
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(shell) && !ProcessAlive(escaper); }));
  EXPECT_NE(ReadFile(dir_.File("supervisor.log")).find("left by an earlier supervisor"),
            std::string::npos);
}

}  // namespace
}  // namespace drover::executors
