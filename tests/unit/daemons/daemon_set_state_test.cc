// DaemonSets in droverd's state machine, driven directly: one task on every
// node the selector matches, following labels and node loss without ever
// moving a task, crash back-off, placement ahead of batch work, rolling
// updates node by node, who may create one, and the store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>

#include "api/json_codec.h"
#include "daemons/droverd/cluster_state.h"
#include "db/store.h"

namespace drover::droverd {
namespace {

Node MakeNode(const std::string& name, int cores) {
  Node n;
  n.metadata.name = name;
  n.status.address = "127.0.0.1:1";
  for (int c = 0; c < cores; ++c) n.status.topology.cores.push_back({c, 0, 0, {c}});
  n.status.topology.memory_bytes = 8LL << 30;
  return n;
}

DaemonSet MakeDaemonSet(const std::string& name, const std::string& program = "/bin/shipper") {
  DaemonSet ds;
  ds.metadata.name = name;
  ds.spec.template_.task.command = {program};
  return ds;
}

const Caller kAdmin{.role = Role::kAdmin,
                    .user = "root",
                    .uid = 0,
                    .gid = 0,
                    .node = {},
                    .task = {},
                    .builtin = {}};

class DaemonSetStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"n1", "n2", "n3"}) {
      ASSERT_TRUE(state_.RegisterNode(MakeNode(n, 4), now_).ok());
    }
  }

  ApplyVerb Apply(DaemonSet ds) {
    auto r = state_.ApplyDaemonSet(std::move(ds), kAdmin, now_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->second : ApplyVerb::kUnchanged;
  }

  // A state-loop turn: reconcile the queued keys, then a scheduling pass.
  void Turn() {
    state_.ReconcileJobs(now_);
    state_.ReconcileDeployments(now_);
    state_.ReconcileDaemonSets(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    auto d = scheduler::Schedule(cluster, pending, now_, state_.scheduler_config());
    state_.ApplyDecision(d, now_);
    state_.ReconcileJobs(now_);
    state_.ReconcileDaemonSets(now_);
  }

  // Node -> live task names of the DaemonSet there.
  std::map<std::string, std::vector<std::string>> LiveByNode(const std::string& name) {
    std::map<std::string, std::vector<std::string>> out;
    for (const Task* t : state_.TasksOfDaemonSet(name)) {
      if (!IsTerminal(t->status.phase)) out[t->spec.node].push_back(t->metadata.name);
    }
    return out;
  }

  void Report(const std::string& task, TaskPhase phase, int exit_code = 0) {
    const Task* t = state_.FindTask(task);
    ASSERT_NE(t, nullptr);
    TaskReport r;
    r.task = task;
    r.phase = phase;
    r.exit_code = exit_code;
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
  }

  void StartAll(const std::string& name) {
    for (const Task* t : state_.TasksOfDaemonSet(name)) {
      if (t->status.phase == TaskPhase::kAssigned) Report(t->metadata.name, TaskPhase::kRunning);
    }
  }

  // Tasks droverd told to stop end (SIGTERM).
  int EndStopping(const std::string& name) {
    std::vector<std::string> stopping;
    for (const Task* t : state_.TasksOfDaemonSet(name)) {
      if (!IsTerminal(t->status.phase) && t->status.terminating) {
        stopping.push_back(t->metadata.name);
      }
    }
    for (const std::string& t : stopping) Report(t, TaskPhase::kFailed, 143);
    return static_cast<int>(stopping.size());
  }

  void Label(const std::string& node, const Labels& set, std::vector<std::string> remove = {}) {
    ASSERT_TRUE(state_.LabelNode(node, set, remove, true).ok());
  }

  int64_t now_ = 1'000'000;
  ClusterState state_{"epoch"};
};

TEST_F(DaemonSetStateTest, EveryMatchingNodeGetsOneTaskAndANodeGainingTheLabelGetsItsOwn) {
  Label("n1", {{"role", "logs"}});
  Label("n2", {{"role", "logs"}});
  DaemonSet ds = MakeDaemonSet("shipper");
  ds.spec.node_selector = {{"role", "logs"}};
  EXPECT_EQ(Apply(ds), ApplyVerb::kCreated);
  Turn();
  auto live = LiveByNode("shipper");
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live["n1"].size(), 1u);
  EXPECT_EQ(live["n2"].size(), 1u);
  EXPECT_EQ(state_.daemon_sets().Find("shipper")->status.desired_number_scheduled, 2);
  // The launch says who it is.
  const Task* t = state_.FindTask(live["n1"][0]);
  EXPECT_EQ(t->spec.owner.kind, "DaemonSet");
  Turn();  // again: nothing new
  EXPECT_EQ(LiveByNode("shipper").size(), 2u);
  Label("n3", {{"role", "logs"}});
  Turn();
  live = LiveByNode("shipper");
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live["n3"].size(), 1u);
  StartAll("shipper");
  Turn();
  const DaemonSetStatus& st = state_.daemon_sets().Find("shipper")->status;
  EXPECT_EQ(st.desired_number_scheduled, 3);
  EXPECT_EQ(st.number_ready, 3);
  EXPECT_EQ(st.number_available, 3);
}

TEST_F(DaemonSetStateTest, ANodeLosingTheLabelHasItsTaskStoppedAndNoOtherNodeGetsIt) {
  Label("n1", {{"role", "logs"}});
  DaemonSet ds = MakeDaemonSet("shipper");
  ds.spec.node_selector = {{"role", "logs"}};
  Apply(ds);
  Turn();
  StartAll("shipper");
  ASSERT_EQ(LiveByNode("shipper").size(), 1u);
  Label("n1", {}, {"role"});
  Turn();
  EXPECT_EQ(EndStopping("shipper"), 1);
  Turn();
  EXPECT_TRUE(LiveByNode("shipper").empty());
  EXPECT_EQ(state_.daemon_sets().Find("shipper")->status.desired_number_scheduled, 0);
}

TEST_F(DaemonSetStateTest, ALostNodeTakesItsTaskWithItAndGetsItBackWhenItReturns) {
  Apply(MakeDaemonSet("monitor"));
  Turn();
  StartAll("monitor");
  ASSERT_EQ(LiveByNode("monitor").size(), 3u);
  // n2 goes silent: its task is lost and not made again anywhere.
  now_ += 11'000;
  ASSERT_TRUE(state_.Heartbeat("n1", now_).ok());
  ASSERT_TRUE(state_.Heartbeat("n3", now_).ok());
  state_.ReconcileNodes(now_, 10'000);
  Turn();
  auto live = LiveByNode("monitor");
  EXPECT_EQ(live.size(), 2u);
  EXPECT_FALSE(live.count("n2"));
  EXPECT_EQ(live["n1"].size(), 1u);
  EXPECT_EQ(live["n3"].size(), 1u);
  const DaemonSetStatus& st = state_.daemon_sets().Find("monitor")->status;
  EXPECT_EQ(st.desired_number_scheduled, 3) << "n2 still should run it";
  EXPECT_EQ(st.number_unavailable, 1);
  // It comes back: its daemon with it, at once (a lost task is no crash).
  ASSERT_TRUE(state_.Heartbeat("n2", now_).ok());
  Turn();
  live = LiveByNode("monitor");
  EXPECT_EQ(live.size(), 3u);
  EXPECT_EQ(live["n2"].size(), 1u);
}

TEST_F(DaemonSetStateTest, ACrashingDaemonIsRestartedOnItsNodeAfterADoublingBackOff) {
  Label("n1", {{"role", "logs"}});
  DaemonSet ds = MakeDaemonSet("shipper");
  ds.spec.node_selector = {{"role", "logs"}};
  Apply(ds);
  Turn();
  StartAll("shipper");
  for (int64_t backoff : {kDaemonRestartBackoffMs, 2 * kDaemonRestartBackoffMs}) {
    auto live = LiveByNode("shipper");
    ASSERT_EQ(live["n1"].size(), 1u);
    Report(live["n1"][0], TaskPhase::kFailed, 1);
    Turn();
    EXPECT_TRUE(LiveByNode("shipper").empty()) << "backing off";
    now_ += backoff - 1;
    Turn();
    EXPECT_TRUE(LiveByNode("shipper").empty()) << "still backing off";
    now_ += 1;
    Turn();
    live = LiveByNode("shipper");
    ASSERT_EQ(live.size(), 1u) << "restarted after " << backoff << " ms";
    EXPECT_EQ(live.begin()->first, "n1");
    StartAll("shipper");
  }
}

TEST_F(DaemonSetStateTest, DaemonsTakeTheirNodesCoresBeforeWaitingBatchWork) {
  Job job;
  job.metadata.name = "render";
  job.spec.completions = 100;
  job.spec.parallelism = 100;
  job.spec.completion_mode = CompletionMode::kIndexed;
  job.spec.task.command = {"/bin/true"};
  const Caller bob{.role = Role::kUser,
                   .user = "bob",
                   .uid = 1001,
                   .gid = 1001,
                   .node = {},
                   .task = {},
                   .builtin = {}};
  ASSERT_TRUE(state_.SubmitJob(job, bob, now_).ok());
  Apply(MakeDaemonSet("monitor"));
  Turn();
  EXPECT_EQ(LiveByNode("monitor").size(), 3u) << "one daemon per node, ahead of the frames";
  int64_t held = 0;
  for (const auto& [name, node] : state_.nodes()) held += node.status.running_tasks;
  EXPECT_EQ(held, 12) << "3 daemons + 9 frames fill the 12 cores";
}

TEST_F(DaemonSetStateTest, ARollingUpdateReplacesOneNodeAtATimeAndOnDeleteWaits) {
  Apply(MakeDaemonSet("monitor", "/bin/v1"));
  Turn();
  StartAll("monitor");
  Apply(MakeDaemonSet("monitor", "/bin/v2"));
  std::set<std::string> rolled;
  for (int step = 0; step < 3; ++step) {
    Turn();
    EXPECT_EQ(EndStopping("monitor"), 1) << "maxUnavailable 1: one node at a time";
    Turn();
    StartAll("monitor");
    Turn();
    for (const auto& [node, names] : LiveByNode("monitor")) {
      ASSERT_EQ(names.size(), 1u);
      if (state_.FindTask(names[0])->spec.revision ==
          state_.daemon_sets().TemplateHashOf("monitor")) {
        rolled.insert(node);
      }
    }
    EXPECT_EQ(rolled.size(), static_cast<size_t>(step + 1));
  }
  EXPECT_EQ(state_.daemon_sets().Find("monitor")->status.updated_number_scheduled, 3);
  // OnDelete: a new template waits until someone stops the old tasks.
  DaemonSet ds = MakeDaemonSet("monitor", "/bin/v3");
  ds.spec.update_strategy.type = DaemonSetUpdateType::kOnDelete;
  Apply(ds);
  Turn();
  EXPECT_EQ(EndStopping("monitor"), 0);
  EXPECT_EQ(state_.daemon_sets().Find("monitor")->status.updated_number_scheduled, 0);
}

TEST_F(DaemonSetStateTest, AForcedDrainStopsBatchWorkButLeavesTheDaemonAndCountsIt) {
  Apply(MakeDaemonSet("monitor"));
  Job job;
  job.metadata.name = "render";
  job.spec.completions = 3;
  job.spec.parallelism = 3;
  job.spec.task.command = {"/bin/true"};
  const Caller bob{.role = Role::kUser,
                   .user = "bob",
                   .uid = 1001,
                   .gid = 1001,
                   .node = {},
                   .task = {},
                   .builtin = {}};
  ASSERT_TRUE(state_.SubmitJob(job, bob, now_).ok());
  Turn();
  StartAll("monitor");
  ASSERT_EQ(state_.nodes().at("n1").status.daemon_tasks, 1);
  ASSERT_GT(state_.nodes().at("n1").status.running_tasks, 1) << "a frame runs there too";
  ASSERT_TRUE(state_.DrainNode("n1", true).ok());
  std::vector<std::string> stopped;
  for (const Task* t : state_.TasksOnNode("n1")) {
    if (t->status.terminating) {
      EXPECT_EQ(t->spec.owner.kind, "Job");
      stopped.push_back(t->metadata.name);
    }
  }
  ASSERT_FALSE(stopped.empty());
  for (const std::string& t : stopped) Report(t, TaskPhase::kFailed, 143);
  Turn();
  const NodeStatus& st = state_.nodes().at("n1").status;
  EXPECT_EQ(st.running_tasks, 1) << "only its daemon is left";
  EXPECT_EQ(st.daemon_tasks, 1);
  EXPECT_EQ(LiveByNode("monitor")["n1"].size(), 1u);
  // A re-registration (the agent restarted) keeps the count.
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n1", 4), now_).ok());
  EXPECT_EQ(state_.nodes().at("n1").status.daemon_tasks, 1);
}

TEST_F(DaemonSetStateTest, ACordonedNodeGetsItsDaemonButNoBatchWork) {
  ASSERT_TRUE(state_.CordonNode("n1", true).ok());
  Apply(MakeDaemonSet("monitor"));
  Job job;
  job.metadata.name = "render";
  job.spec.completions = 100;
  job.spec.parallelism = 100;
  job.spec.task.command = {"/bin/true"};
  const Caller bob{.role = Role::kUser,
                   .user = "bob",
                   .uid = 1001,
                   .gid = 1001,
                   .node = {},
                   .task = {},
                   .builtin = {}};
  ASSERT_TRUE(state_.SubmitJob(job, bob, now_).ok());
  Turn();
  auto live = LiveByNode("monitor");
  EXPECT_EQ(live.size(), 3u);
  EXPECT_EQ(live["n1"].size(), 1u) << "a cordon keeps new work off, not the node's daemon";
  EXPECT_EQ(state_.nodes().at("n1").status.running_tasks, 1) << "no frame on the cordoned node";
  EXPECT_EQ(state_.nodes().at("n2").status.running_tasks, 4);
}

TEST_F(DaemonSetStateTest, OnlyAdminsCreateDaemonSetsAndNothingChangesWhenRefused) {
  const Caller alice{.role = Role::kUser,
                     .user = "alice",
                     .uid = 1000,
                     .gid = 1000,
                     .node = {},
                     .task = {},
                     .builtin = {}};
  auto refused = state_.ApplyDaemonSet(MakeDaemonSet("mine"), alice, now_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("only admins"), std::string::npos);
  EXPECT_EQ(state_.daemon_sets().Find("mine"), nullptr);
  // Too big for every node it matches: refused, naming the field.
  DaemonSet big = MakeDaemonSet("big");
  big.spec.template_.task.resources.cpus = 64;
  auto too_big = state_.ApplyDaemonSet(big, kAdmin, now_);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kUnschedulable);
  EXPECT_EQ(state_.daemon_sets().Find("big"), nullptr);
}

TEST_F(DaemonSetStateTest, DaemonSetsAndTheirTasksSurviveARestartOfDroverdAndDeleteStopsThem) {
  const std::string path = ::testing::TempDir() + "/daemonsets-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Apply(MakeDaemonSet("monitor", "/bin/v1"));
  Turn();
  StartAll("monitor");
  Turn();
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2");
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  const DaemonSet* ds = reloaded.daemon_sets().Find("monitor");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(ds->spec.template_.task.command[0], "/bin/v1");
  EXPECT_EQ(reloaded.daemon_sets().RevisionsOf("monitor").size(), 1u);
  int live = 0;
  for (const Task* t : reloaded.TasksOfDaemonSet("monitor")) live += !IsTerminal(t->status.phase);
  EXPECT_EQ(live, 3);
  reloaded.ReconcileDaemonSets(now_);
  scheduler::ClusterSnapshot cluster;
  std::vector<scheduler::PendingJob> pending;
  reloaded.BuildSchedulerInput(now_, &cluster, &pending);
  EXPECT_TRUE(pending.empty()) << "every node has its daemon";
  ASSERT_TRUE(reloaded.DeleteDaemonSet("monitor", kAdmin, now_).ok());
  int stopping = 0;
  for (const Task* t : reloaded.TasksOfDaemonSet("monitor")) stopping += t->status.terminating;
  EXPECT_EQ(stopping, 3);
  ASSERT_TRUE((*store)->Commit(reloaded.TakeMutations()).ok());
  auto stored = (*store)->LoadAll("daemonset");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  auto revisions = (*store)->LoadAll("daemonset-revision");
  ASSERT_TRUE(revisions.ok());
  EXPECT_TRUE(revisions->empty());
  store->reset();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd
