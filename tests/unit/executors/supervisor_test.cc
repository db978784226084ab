// drover-supervisor as a real process, driven through SupervisorClient.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>

#include "executors/supervisor_client.h"
#include "tests/unit/executors/supervisor_fixture.h"
#include "tests/unit/executors/test_dirs.h"

namespace drover::executors {
namespace {

TEST_F(SupervisorTest, ReportsStartAndExitWithCodeAndUsage) {
  ASSERT_TRUE(client_->Launch(Spec("ok", {"/bin/true"})).ok());
  ASSERT_TRUE(client_->Launch(Spec("three", {"/bin/sh", "-c", "exit 3"})).ok());
  ASSERT_TRUE(client_->Launch(Spec("killed", {"/bin/sh", "-c", "kill -KILL $$"})).ok());
  TaskEvent started = Await(*client_, "three", TaskEvent::Kind::kStarted);
  EXPECT_GT(started.pid, 0);
  EXPECT_GT(started.time_ms, 0);
  TaskEvent three = Await(*client_, "three", TaskEvent::Kind::kExited);
  EXPECT_EQ(three.pid, started.pid);
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.signal, 0);
  EXPECT_FALSE(three.timed_out);
  EXPECT_GT(three.usage.max_rss_kb, 0);
  EXPECT_GE(three.time_ms, started.time_ms);
  EXPECT_EQ(Await(*client_, "ok", TaskEvent::Kind::kExited).exit_code, 0);
  TaskEvent killed = Await(*client_, "killed", TaskEvent::Kind::kExited);
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_EQ(killed.exit_code, -1);
}

TEST_F(SupervisorTest, StartFailureIsAnExitWithTheError) {
  ASSERT_TRUE(client_->Launch(Spec("missing", {"/no/such"})).ok());
  TaskEvent e = Await(*client_, "missing", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.error, "exec /no/such: No such file or directory");
  EXPECT_EQ(e.exit_code, -1);
  EXPECT_EQ(e.pid, 0);
}

TEST_F(SupervisorTest, LaunchBatchStartsEveryTask) {
  std::vector<LaunchSpec> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(Spec("b" + std::to_string(i), {"/bin/sh", "-c", "exit " + std::to_string(i)}));
  }
  ASSERT_TRUE(client_->LaunchBatch(batch).ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Await(*client_, "b" + std::to_string(i), TaskEvent::Kind::kExited).exit_code, i);
  }
}

TEST_F(SupervisorTest, KillEndsTheWholeProcessGroupIncludingGrandchildren) {
  std::string pidfile = dir_.File("grandchild.pid");
  ASSERT_TRUE(client_
                  ->Launch(Spec("tree", {"/bin/sh", "-c",
                                         "sleep 100 & echo $! > " + pidfile + "; sleep 100"}))
                  .ok());
  Await(*client_, "tree", TaskEvent::Kind::kStarted);
  ASSERT_TRUE(Eventually([&] { return !ReadFile(pidfile).empty(); }));
  pid_t grandchild = std::stoi(ReadFile(pidfile));
  ASSERT_TRUE(ProcessAlive(grandchild));
  ASSERT_TRUE(client_->Kill("tree", 10000).ok());
  TaskEvent e = Await(*client_, "tree", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.signal, SIGTERM);
  EXPECT_FALSE(e.timed_out);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(grandchild); }));
}

TEST_F(SupervisorTest, KillSendsSigtermThenSigkillAfterTheGrace) {
  std::string ready = dir_.File("ready");
  // trap '' TERM makes the shell and its sleep (which inherits SIG_IGN) ignore SIGTERM.
  ASSERT_TRUE(client_
                  ->Launch(Spec("stubborn",
                                {"/bin/sh", "-c", "trap '' TERM; touch " + ready + "; sleep 100"}))
                  .ok());
  ASSERT_TRUE(Eventually([&] { return access(ready.c_str(), F_OK) == 0; }));
  auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_->Kill("stubborn", 300).ok());
  TaskEvent e = Await(*client_, "stubborn", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - asked, 300ms);
}

TEST_F(SupervisorTest, KillRightAfterLaunchIsNotLost) {
  // The kill may arrive while the launch is still under way; it must apply
  // as soon as the task has a pid.
  ASSERT_TRUE(client_->Launch(Spec("brief", {"/bin/sleep", "100"})).ok());
  ASSERT_TRUE(client_->Kill("brief", 0).ok());
  TaskEvent e = Await(*client_, "brief", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.signal, SIGTERM);
}

TEST_F(SupervisorTest, ManyShortTasksEachExitOnceAfterTheirStart) {
  std::vector<LaunchSpec> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(Spec("q" + std::to_string(i), {"/bin/true"}));
  ASSERT_TRUE(client_->LaunchBatch(batch).ok());
  for (int i = 0; i < 300; ++i) {
    std::string name = "q" + std::to_string(i);
    TaskEvent started = Await(*client_, name, TaskEvent::Kind::kStarted);
    TaskEvent exited = Await(*client_, name, TaskEvent::Kind::kExited);
    EXPECT_EQ(exited.exit_code, 0) << name;
    EXPECT_EQ(exited.pid, started.pid) << name;
    EXPECT_GE(exited.time_ms, started.time_ms) << name;
  }
  std::map<std::string, int> exits;
  for (const TaskEvent& e : seen_) {
    if (e.kind == TaskEvent::Kind::kExited) ++exits[e.task];
  }
  for (const auto& [task, count] : exits) EXPECT_EQ(count, 1) << task;
}

TEST_F(SupervisorTest, TimeLimitKillsAndMarksTimedOut) {
  LaunchSpec spec = Spec("slow", {"/bin/sleep", "100"});
  spec.time_limit_s = 1;
  spec.kill_grace_ms = 200;
  ASSERT_TRUE(client_->Launch(spec).ok());
  TaskEvent e = Await(*client_, "slow", TaskEvent::Kind::kExited);
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.signal, SIGTERM);
}

TEST_F(SupervisorTest, ANewTimeLimitCountsFromTheTasksStartAndAPastOneEndsItNow) {
  LaunchSpec raised = Spec("raised", {"/bin/sh", "-c", "sleep 3; exit 0"});
  raised.time_limit_s = 2;
  LaunchSpec lowered = Spec("lowered", {"/bin/sleep", "100"});
  lowered.time_limit_s = 3600;
  lowered.kill_grace_ms = 200;
  ASSERT_TRUE(client_->Launch(raised).ok());
  ASSERT_TRUE(client_->Launch(lowered).ok());
  Await(*client_, "raised", TaskEvent::Kind::kStarted);
  Await(*client_, "lowered", TaskEvent::Kind::kStarted);
  ASSERT_TRUE(client_->SetTimeLimit("raised", 60).ok());
  TaskEvent r = Await(*client_, "raised", TaskEvent::Kind::kExited);
  EXPECT_FALSE(r.timed_out) << "its first limit of 2 s no longer holds";
  EXPECT_EQ(r.exit_code, 0);
  // "lowered" has run over 2 s by now: a limit of 1 s is already past.
  ASSERT_TRUE(client_->SetTimeLimit("lowered", 1).ok());
  TaskEvent l = Await(*client_, "lowered", TaskEvent::Kind::kExited, 2s);
  EXPECT_TRUE(l.timed_out);
  EXPECT_EQ(l.signal, SIGTERM);
}

TEST_F(SupervisorTest, ExitWhileNoClientIsDeliveredOnReconnect) {
  std::string fifo = dir_.File("go");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Blocks opening the fifo until the test opens it for writing.
  ASSERT_TRUE(client_->Launch(Spec("waiter", {"/bin/sh", "-c", "cat " + fifo + "; exit 7"})).ok());
  pid_t pid = Await(*client_, "waiter", TaskEvent::Kind::kStarted).pid;
  client_.reset();  // the agent goes away

  int w = open(fifo.c_str(), O_WRONLY);  // the task proceeds and exits
  ASSERT_GE(w, 0);
  close(w);
  // Reaped by the supervisor while nobody is connected.
  ASSERT_TRUE(Eventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }));

  seen_.clear();
  std::unique_ptr<SupervisorClient> again = ConnectWhenUp();
  ASSERT_NE(again, nullptr);
  TaskEvent e = Await(*again, "waiter", TaskEvent::Kind::kExited);
  EXPECT_EQ(e.exit_code, 7);
  EXPECT_EQ(e.pid, pid);

  // Until acknowledged it stays listed; after the ack it is gone.
  auto listed = again->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].kind, TaskEvent::Kind::kExited);
  ASSERT_TRUE(again->Ack({"waiter"}).ok());
  listed = again->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(SupervisorTest, RunningTasksAreListedAndReplayedToANewClient) {
  ASSERT_TRUE(client_->Launch(Spec("long", {"/bin/sleep", "100"})).ok());
  pid_t pid = Await(*client_, "long", TaskEvent::Kind::kStarted).pid;
  client_.reset();

  seen_.clear();
  std::unique_ptr<SupervisorClient> again = ConnectWhenUp();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Await(*again, "long", TaskEvent::Kind::kStarted).pid, pid);
  auto listed = again->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].kind, TaskEvent::Kind::kStarted);
  EXPECT_EQ((*listed)[0].pid, pid);
  // Acking a running task does nothing.
  ASSERT_TRUE(again->Ack({"long"}).ok());
  EXPECT_EQ(again->List()->size(), 1u);
  ASSERT_TRUE(again->Kill("long", 0).ok());
  EXPECT_EQ(Await(*again, "long", TaskEvent::Kind::kExited).signal, SIGTERM);
}

TEST_F(SupervisorTest, RelaunchOfAKnownTaskIsNotRepeated) {
  ASSERT_TRUE(client_->Launch(Spec("once", {"/bin/sleep", "100"})).ok());
  pid_t pid = Await(*client_, "once", TaskEvent::Kind::kStarted).pid;
  seen_.clear();
  ASSERT_TRUE(client_->Launch(Spec("once", {"/bin/sleep", "100"})).ok());
  EXPECT_EQ(Await(*client_, "once", TaskEvent::Kind::kStarted).pid, pid);
  auto listed = client_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(SupervisorTest, ShutdownLeavesTasksRunningUnlessAskedToKill) {
  ASSERT_TRUE(client_->Launch(Spec("survivor", {"/bin/sleep", "100"})).ok());
  pid_t task = Await(*client_, "survivor", TaskEvent::Kind::kStarted).pid;
  ASSERT_TRUE(client_->Shutdown(false).ok());
  ASSERT_TRUE(Eventually([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }));
  pid_ = 0;
  EXPECT_TRUE(ProcessAlive(task));
  kill(-task, SIGKILL);
}

TEST_F(SupervisorTest, SecondSupervisorOnTheSameSocketRefusesToStart) {
  std::vector<std::string> args = {DROVER_SUPERVISOR_BIN, "--socket", socket_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t second;
  ASSERT_EQ(posix_spawn(&second, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  ASSERT_EQ(waitpid(second, &status, 0), second);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  // The first one still serves.
  EXPECT_TRUE(client_->List().ok());
}

TEST(EnsureSupervisorTest, StartsADetachedSupervisorOnceAndFindsItAfterwards) {
  TempDir dir;
  std::string socket = dir.File("s.sock");
  ASSERT_TRUE(EnsureSupervisor(DROVER_SUPERVISOR_BIN, socket, dir.File("log")).ok());
  auto client = SupervisorClient::Connect(socket);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client->Launch(Spec("x", {"/bin/sleep", "100"})).ok());
  // Already running: EnsureSupervisor finds it and does not start another.
  ASSERT_TRUE(EnsureSupervisor(DROVER_SUPERVISOR_BIN, socket, dir.File("log")).ok());
  auto listed = client->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  ASSERT_TRUE(client->Shutdown(true).ok());
  EXPECT_TRUE(Eventually([&] { return access(socket.c_str(), F_OK) != 0; }));
}

TEST(EnsureSupervisorTest, MissingBinaryIsAClearError) {
  TempDir dir;
  Status st = EnsureSupervisor("/no/such/drover-supervisor", dir.File("s.sock"), dir.File("log"));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("/no/such/drover-supervisor"), std::string::npos);
}

TEST(SupervisorClientTest, ConnectToNothingIsUnavailable) {
  TempDir dir;
  auto client = SupervisorClient::Connect(dir.File("nobody-listens"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace drover::executors
