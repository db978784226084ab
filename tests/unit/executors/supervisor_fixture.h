// The fixture of the supervisor tests: drover-supervisor as a real process,
// driven through SupervisorClient.
#pragma once

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "executors/supervisor_client.h"
#include "tests/unit/executors/test_dirs.h"

extern char** environ;

namespace drover::executors {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::ProcessAlive;
using testing::ReadFile;
using testing::TempDir;

inline LaunchSpec Spec(const std::string& task, std::vector<std::string> argv) {
  LaunchSpec spec;
  spec.task = task;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.uid = geteuid();
  spec.gid = getegid();
  return spec;
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.File("s.sock");
    StartSupervisor();
    client_ = ConnectWhenUp();
  }

  // Starts drover-supervisor on socket_ (pid_), logging to supervisor.log.
  void StartSupervisor() {
    std::string log = dir_.File("supervisor.log");
    std::vector<std::string> args = {DROVER_SUPERVISOR_BIN, "--socket", socket_, "--log", log};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }

  void TearDown() override {
    if (pid_ <= 0) return;
    if (auto c = SupervisorClient::Connect(socket_); c.ok()) (void)c->Shutdown(true);
    bool gone = Eventually([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, 10s);
    if (!gone) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    EXPECT_TRUE(gone) << "supervisor did not stop on shutdown; log:\n"
                      << ReadFile(dir_.File("supervisor.log"));
  }

  std::unique_ptr<SupervisorClient> ConnectWhenUp() {
    std::unique_ptr<SupervisorClient> client;
    Eventually([&] {
      auto c = SupervisorClient::Connect(socket_);
      if (c.ok()) client = std::make_unique<SupervisorClient>(std::move(c).value());
      return client != nullptr;
    });
    EXPECT_NE(client, nullptr) << "supervisor never answered on " << socket_;
    return client;
  }

  // Reads events until one of `kind` for `task` arrives (kept in seen_).
  TaskEvent Await(SupervisorClient& client, const std::string& task, TaskEvent::Kind kind,
                  std::chrono::milliseconds timeout = 15s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const TaskEvent& e : seen_) {
        if (e.task == task && e.kind == kind) return e;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto events = client.WaitEvents(left);
      if (!events.ok()) break;
      seen_.insert(seen_.end(), events->begin(), events->end());
    }
    ADD_FAILURE() << "no " << (kind == TaskEvent::Kind::kStarted ? "started" : "exited")
                  << " event for " << task;
    return TaskEvent{};
  }

  TempDir dir_;
  std::string socket_;
  pid_t pid_ = 0;
  std::unique_ptr<SupervisorClient> client_;
  std::vector<TaskEvent> seen_;
};

}  // namespace drover::executors
