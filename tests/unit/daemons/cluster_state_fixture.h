// The ClusterState test fixture: a state with one 4-core node, and the
// steps the state loop takes (submit, a scheduling pass, a node's poll, a
// task's report), shared by the tests that drive ClusterState directly.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/json_codec.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {
namespace {

inline Node MakeNode(const std::string& name, int cores) {
  Node n;
  n.metadata.name = name;
  n.status.address = "127.0.0.1:1";
  for (int c = 0; c < cores; ++c) n.status.topology.cores.push_back({c, 0, 0, {c}});
  n.status.topology.memory_bytes = 8LL << 30;
  return n;
}

inline Job MakeJob(const std::string& name, int64_t tasks, int32_t priority = 0,
                   const std::string& queue = "default") {
  Job j;
  j.metadata.name = name;
  j.spec.completions = tasks;
  j.spec.parallelism = tasks;
  j.spec.completion_mode = CompletionMode::kIndexed;
  j.spec.priority = priority;
  j.spec.queue = queue;
  j.spec.task.command = {"/bin/true"};
  return j;
}

inline Caller User(const std::string& name, uint32_t uid) {
  return Caller{.role = Role::kUser,
                .user = name,
                .uid = uid,
                .gid = uid,
                .node = {},
                .task = {},
                .builtin = {}};
}

class ClusterStateTest : public ::testing::Test {
 protected:
  explicit ClusterStateTest(DaemonConfig config = {}) : state_("epoch", std::move(config)) {}

  void SetUp() override { ASSERT_TRUE(state_.RegisterNode(MakeNode("n1", 4), now_).ok()); }

  // Jobs with a priority of their own are an admin's: users may not set one.
  uint64_t Submit(Job job) {
    Caller caller = job.spec.priority != 0 ? Caller{.role = Role::kAdmin,
                                                    .user = "root",
                                                    .uid = 0,
                                                    .gid = 0,
                                                    .node = {},
                                                    .task = {},
                                                    .builtin = {}}
                                           : User("alice", 1000);
    return Submit(std::move(job), caller);
  }
  uint64_t Submit(Job job, const Caller& caller) {
    auto r = state_.SubmitJob(std::move(job), caller, now_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)->id : 0;
  }

  // One scheduling pass, as the state loop runs it: the Job controller
  // before and after.
  scheduler::Decision Pass() {
    state_.ReconcileJobs(now_);
    state_.CancelUnsatisfiableJobs(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    auto d = scheduler::Schedule(cluster, pending, now_, state_.scheduler_config());
    state_.ApplyDecision(d, now_);
    state_.ReconcileJobs(now_);
    return d;
  }

  // What node `node` is sent when it polls now (every instruction so far).
  Json Poll(const std::string& node) {
    Json body;
    NodeChannel* channel = state_.Channel(node);
    EXPECT_NE(channel, nullptr);
    if (channel == nullptr) return body;
    channel->Wait(0, now_, [&body](HttpResponse r) { body = Json::parse(r.body); });
    channel->Flush("epoch", now_, UINT64_MAX);
    return body;
  }

  std::vector<const Task*> Active(uint64_t job) {
    std::vector<const Task*> out;
    for (const Task* t : state_.TasksOfJob(job)) {
      if (!IsTerminal(t->status.phase)) out.push_back(t);
    }
    return out;
  }

  void Report(const Task* t, TaskPhase phase, int exit_code = 0) {
    TaskReport r;
    r.task = t->metadata.name;
    r.phase = phase;
    r.exit_code = exit_code;
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
    state_.ReconcileJobs(now_);  // as the state loop does after the commands of a turn
  }

  int64_t now_ = 1'000'000;
  ClusterState state_;
};

}  // namespace
}  // namespace drover::droverd
