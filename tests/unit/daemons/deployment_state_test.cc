// Deployments in droverd's state machine, driven directly: apply, the
// controller's reconcile from queued keys, placement by the scheduler,
// restarts with back-off, node loss, ports, endpoints, and the store.
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

Node MakeNode(const std::string& name, int cores, const std::string& host = "127.0.0.1") {
  Node n;
  n.metadata.name = name;
  n.status.address = host + ":1";
  for (int c = 0; c < cores; ++c) n.status.topology.cores.push_back({c, 0, 0, {c}});
  n.status.topology.memory_bytes = 8LL << 30;
  return n;
}

Deployment MakeDeployment(const std::string& name, int32_t replicas,
                          const std::string& program = "/bin/server") {
  Deployment d;
  d.metadata.name = name;
  d.spec.replicas = replicas;
  d.spec.template_.task.command = {program};
  d.spec.template_.ports = {{"http"}};
  return d;
}

Caller User(const std::string& name, uint32_t uid) {
  return Caller{.role = Role::kUser,
                .user = name,
                .uid = uid,
                .gid = uid,
                .node = {},
                .task = {},
                .builtin = {}};
}

class DeploymentStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"n1", "n2", "n3"})
      ASSERT_TRUE(state_.RegisterNode(MakeNode(n, 4), now_).ok());
  }

  ApplyVerb Apply(Deployment d, const Caller& caller = User("alice", 1000)) {
    auto r = state_.ApplyDeployment(std::move(d), caller, now_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->second : ApplyVerb::kUnchanged;
  }

  // A state-loop turn: reconcile the queued keys, then a scheduling pass.
  void Turn() {
    state_.ReconcileJobs(now_);
    state_.ReconcileDeployments(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    auto d = scheduler::Schedule(cluster, pending, now_, state_.scheduler_config());
    state_.ApplyDecision(d, now_);
    state_.ReconcileJobs(now_);
    state_.ReconcileDeployments(now_);
  }

  std::vector<const Task*> Live(const std::string& name) {
    std::vector<const Task*> out;
    for (const Task* t : state_.TasksOfDeployment(name)) {
      if (!IsTerminal(t->status.phase)) out.push_back(t);
    }
    return out;
  }

  void Report(const Task* t, TaskPhase phase, int exit_code = 0) {
    TaskReport r;
    r.task = t->metadata.name;
    r.phase = phase;
    r.exit_code = exit_code;
    r.signal = 0;
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
    state_.ReconcileJobs(now_);
  }

  void StartAll(const std::string& name) {
    for (const Task* t : Live(name)) {
      if (t->status.phase == TaskPhase::kAssigned) Report(t, TaskPhase::kRunning);
    }
  }

  // Replicas droverd told to stop end (SIGTERM).
  void EndStopping(const std::string& name) {
    for (const Endpoint& e : state_.EndpointsOf(name)) {
      if (e.terminating) Report(state_.FindTask(e.task), TaskPhase::kFailed, 143);
    }
  }

  // What node `node` has been sent so far.
  Json Poll(const std::string& node) {
    Json body;
    NodeChannel* channel = state_.Channel(node);
    channel->Wait(0, now_, [&body](HttpResponse r) { body = Json::parse(r.body); });
    channel->Flush("epoch", now_, UINT64_MAX);
    return body;
  }

  int64_t now_ = 1'000'000;
  ClusterState state_{"epoch"};
};

TEST_F(DeploymentStateTest, ReplicasAreCreatedSpreadOverTheNodesWithPortsOfTheirOwn) {
  EXPECT_EQ(Apply(MakeDeployment("web", 3)), ApplyVerb::kCreated);
  Turn();
  auto live = Live("web");
  ASSERT_EQ(live.size(), 3u);
  std::set<std::string> nodes;
  std::set<int32_t> ports;
  for (const Task* t : live) {
    nodes.insert(t->spec.node);
    ASSERT_EQ(t->spec.ports.size(), 1u);
    ports.insert(t->spec.ports[0].second);
    EXPECT_GE(t->spec.ports[0].second, 30000);
    EXPECT_LE(t->spec.ports[0].second, 32767);
    EXPECT_EQ(t->spec.owner.kind, "Deployment");
    EXPECT_EQ(t->spec.owner.name, "web");
    EXPECT_FALSE(t->spec.revision.empty());
  }
  EXPECT_EQ(nodes.size(), 3u) << "one replica per node";
  EXPECT_EQ(ports.size(), 3u) << "the nodes share a host: no port twice";
  // The launch carries the port in the environment and runs as the owner.
  Json launch = Poll(live[0]->spec.node)["launch"][0];
  EXPECT_EQ(launch["user"], "alice");
  bool port_env = false;
  for (const Json& kv : launch["env"]) {
    port_env |= kv[0] == "DROVER_PORT" && kv[1] == std::to_string(live[0]->spec.ports[0].second);
  }
  EXPECT_TRUE(port_env) << launch.dump();
  StartAll("web");
  state_.ReconcileDeployments(now_);
  const Deployment* d = state_.deployments().Find("web");
  EXPECT_EQ(d->status.ready_replicas, 3);
  EXPECT_EQ(d->status.available_replicas, 3);
  EXPECT_EQ(d->status.observed_generation, d->generation);
}

TEST_F(DeploymentStateTest, ApplyingTheSameManifestTwiceChangesNothingAndANewTemplateRollsOut) {
  Apply(MakeDeployment("web", 2));
  Turn();
  StartAll("web");
  Turn();
  const int64_t generation = state_.deployments().Find("web")->generation;
  state_.TakeMutations();
  EXPECT_EQ(Apply(MakeDeployment("web", 2)), ApplyVerb::kUnchanged);
  EXPECT_EQ(state_.deployments().Find("web")->generation, generation);
  Turn();
  EXPECT_TRUE(state_.TakeMutations().empty()) << "an unchanged apply writes nothing";
  EXPECT_EQ(Apply(MakeDeployment("web", 2, "/bin/server2")), ApplyVerb::kConfigured);
  EXPECT_EQ(state_.deployments().RevisionsOf("web").size(), 2u);
  // Roll to the end: surge replicas start, old ones are told to stop and
  // end as told.
  for (int round = 0; round < 10; ++round) {
    Turn();
    StartAll("web");
    EndStopping("web");
  }
  auto live = Live("web");
  ASSERT_EQ(live.size(), 2u);
  for (const Task* t : live)
    EXPECT_EQ(t->spec.revision, state_.deployments().TemplateHashOf("web"));
  const Deployment* d = state_.deployments().Find("web");
  EXPECT_EQ(d->status.revision, 2);
  EXPECT_EQ(d->status.updated_replicas, 2);
  // The replicas droverd stopped are Cancelled, not Failed, and no crash counted.
  EXPECT_EQ(d->status.crash_count, 0);
  int cancelled = 0;
  for (const Task* t : state_.TasksOfDeployment("web"))
    cancelled += t->status.phase == TaskPhase::kCancelled;
  EXPECT_EQ(cancelled, 2);
}

TEST_F(DeploymentStateTest, ACrashedReplicaIsRestartedAfterItsBackOffAndALostOneAtOnce) {
  Deployment d = MakeDeployment("web", 1);
  d.spec.restart_backoff_seconds = 2;
  Apply(d);
  Turn();
  StartAll("web");
  Report(Live("web")[0], TaskPhase::kFailed, 1);
  Turn();
  EXPECT_TRUE(Live("web").empty()) << "backing off";
  const Deployment* shown = state_.deployments().Find("web");
  EXPECT_EQ(shown->status.crash_count, 1);
  EXPECT_EQ(shown->status.next_restart_ms, now_ + 2000);
  now_ += 2000;
  Turn();
  ASSERT_EQ(Live("web").size(), 1u) << "restarted after 2 s";
  StartAll("web");
  // Its node goes silent: lost, and replaced at once elsewhere (no back-off).
  const std::string dead = Live("web")[0]->spec.node;
  now_ += 11'000;
  for (const char* n : {"n1", "n2", "n3"}) {
    if (n != dead) {
      ASSERT_TRUE(state_.Heartbeat(n, now_).ok());
    }
  }
  state_.ReconcileNodes(now_, 10'000);
  Turn();
  auto live = Live("web");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_NE(live[0]->spec.node, dead);
}

TEST_F(DeploymentStateTest, ANodeSelectorKeepsReplicasOnMatchingNodesSpreadOverThem) {
  Node gpu = MakeNode("g1", 4);
  gpu.metadata.labels = {{"gpu", "a100"}};
  ASSERT_TRUE(state_.RegisterNode(gpu, now_).ok());
  Node gpu2 = MakeNode("g2", 4);
  gpu2.metadata.labels = {{"gpu", "a100"}};
  ASSERT_TRUE(state_.RegisterNode(gpu2, now_).ok());
  Deployment d = MakeDeployment("infer", 4);
  d.spec.node_selector = {{"gpu", "a100"}};
  Apply(d);
  Turn();
  auto live = Live("infer");
  ASSERT_EQ(live.size(), 4u);
  std::map<std::string, int> per_node;
  for (const Task* t : live) ++per_node[t->spec.node];
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"g1", 2}, {"g2", 2}}))
      << "only the labelled nodes, two each";
  Deployment bad = MakeDeployment("bad", 1);
  bad.spec.node_selector = {{"gpu", "a 100"}};
  auto refused = state_.ApplyDeployment(bad, User("alice", 1000), now_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "spec.nodeSelector.gpu");
}

TEST_F(DeploymentStateTest, UndoGoesBackToAnOldTemplateAsTheNewestRevision) {
  Apply(MakeDeployment("web", 1, "/bin/v1"));
  Apply(MakeDeployment("web", 1, "/bin/v2"));
  auto missing = state_.UndoDeployment("web", 7, User("alice", 1000), now_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("revisions: 1, 2"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(state_.deployments().Find("web")->spec.template_.task.command[0], "/bin/v2")
      << "a refused undo changes nothing";
  auto undone = state_.UndoDeployment("web", 1, User("alice", 1000), now_);
  ASSERT_TRUE(undone.ok()) << undone.status().ToString();
  EXPECT_EQ((*undone)->spec.template_.task.command[0], "/bin/v1");
  auto revisions = state_.deployments().RevisionsOf("web");
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions.back()->number, 3) << "undo to 1 from 2 gives revision 3";
  EXPECT_EQ(revisions.back()->template_.task.command[0], "/bin/v1");
}

TEST_F(DeploymentStateTest, OnlyTheOwnerOrAnAdminChangesADeployment) {
  Apply(MakeDeployment("web", 1));
  auto scaled = state_.ScaleDeployment("web", 5, User("bob", 1001), now_);
  ASSERT_FALSE(scaled.ok());
  EXPECT_EQ(scaled.status().code(), StatusCode::kPermissionDenied);
  auto applied = state_.ApplyDeployment(MakeDeployment("web", 9), User("bob", 1001), now_);
  EXPECT_FALSE(applied.ok());
  EXPECT_FALSE(state_.DeleteDeployment("web", User("bob", 1001), now_).ok());
  EXPECT_EQ(state_.deployments().Find("web")->spec.replicas, 1);
  const Caller admin{.role = Role::kAdmin,
                     .user = "root",
                     .uid = 0,
                     .gid = 0,
                     .node = {},
                     .task = {},
                     .builtin = {}};
  EXPECT_TRUE(state_.ScaleDeployment("web", 2, admin, now_).ok());
  auto negative = state_.ScaleDeployment("web", -1, admin, now_);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().field(), "spec.replicas");
}

TEST_F(DeploymentStateTest, EndpointsListReadyReplicasAndAWatchWakesOnAChange) {
  Apply(MakeDeployment("web", 2));
  Turn();
  EXPECT_TRUE(state_.EndpointsOf("web").empty()) << "assigned replicas do not serve yet";
  int64_t version = state_.EndpointsVersion("web");
  std::vector<Endpoint> seen;
  bool answered = false;
  state_.WatchEndpoints("web", version, now_ + 60'000, [&](std::vector<Endpoint> e, int64_t) {
    seen = std::move(e);
    answered = true;
  });
  state_.FlushChannels(now_, UINT64_MAX);
  EXPECT_FALSE(answered) << "nothing changed yet";
  StartAll("web");
  state_.FlushChannels(now_, UINT64_MAX);
  ASSERT_TRUE(answered);
  ASSERT_EQ(seen.size(), 2u);
  for (const Endpoint& e : seen) {
    EXPECT_TRUE(e.ready);
    EXPECT_EQ(e.host, "127.0.0.1");
    ASSERT_EQ(e.ports.size(), 1u);
  }
  // Scaled down: the stopped one is terminating, no longer ready.
  ASSERT_TRUE(state_.ScaleDeployment("web", 1, User("alice", 1000), now_).ok());
  Turn();
  int ready = 0, terminating = 0;
  for (const Endpoint& e : state_.EndpointsOf("web")) {
    ready += e.ready;
    terminating += e.terminating;
  }
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(terminating, 1);
}

TEST_F(DeploymentStateTest, BatchWorkDoesNotTakeTheCoresOfReplicasNorPreemptThem) {
  Apply(MakeDeployment("web", 3));
  Job job;
  job.metadata.name = "render";
  job.spec.completions = 100;
  job.spec.parallelism = 100;
  job.spec.completion_mode = CompletionMode::kIndexed;
  job.spec.task.command = {"/bin/true"};
  ASSERT_TRUE(state_.SubmitJob(job, User("bob", 1001), now_).ok());
  Turn();
  EXPECT_EQ(Live("web").size(), 3u) << "services are placed before batch work";
  int64_t batch = 0;
  for (const auto& [name, node] : state_.nodes()) batch += node.status.running_tasks;
  EXPECT_EQ(batch, 12) << "3 replicas + 9 frames fill the 12 cores";
}

TEST_F(DeploymentStateTest, DeploymentsRevisionsAndReplicasSurviveARestartOfDroverd) {
  const std::string path =
      ::testing::TempDir() + "/deployments-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Apply(MakeDeployment("web", 2, "/bin/v1"));
  Apply(MakeDeployment("web", 2, "/bin/v2"));
  Turn();
  StartAll("web");
  Turn();
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2");
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  const Deployment* d = reloaded.deployments().Find("web");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->spec.template_.task.command[0], "/bin/v2");
  EXPECT_EQ(reloaded.deployments().RevisionsOf("web").size(), 2u);
  int live = 0;
  for (const Task* t : reloaded.TasksOfDeployment("web")) live += !IsTerminal(t->status.phase);
  EXPECT_EQ(live, 2);
  // Reconciling after the restart asks for nothing new: the replicas are there.
  reloaded.ReconcileDeployments(now_);
  scheduler::ClusterSnapshot cluster;
  std::vector<scheduler::PendingJob> pending;
  reloaded.BuildSchedulerInput(now_, &cluster, &pending);
  EXPECT_TRUE(pending.empty());
  // Deleted: its replicas are told to stop, and it is gone from the store.
  const Caller alice = User("alice", 1000);
  ASSERT_TRUE(reloaded.DeleteDeployment("web", alice, now_).ok());
  ASSERT_TRUE((*store)->Commit(reloaded.TakeMutations()).ok());
  auto stored = (*store)->LoadAll("deployment");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  auto revisions = (*store)->LoadAll("revision");
  ASSERT_TRUE(revisions.ok());
  EXPECT_TRUE(revisions->empty());
  // Restarted again while its replicas are still stopping: they load, and
  // their nodes are told again to stop them.
  ClusterState again("epoch3");
  ASSERT_TRUE(again.Load(**store, now_).ok());
  int stopping = 0;
  for (const Task* t : again.TasksOfDeployment("web")) stopping += t->status.terminating;
  EXPECT_EQ(stopping, 2);
  store->reset();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd
