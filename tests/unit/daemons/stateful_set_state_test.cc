// StatefulSets in droverd's state machine, driven directly: ordinals made in
// order and spread, NodeLocal volumes pinning an ordinal to its node, the
// fence rule after a node is lost, drains moving ordinals, what apply
// refuses, and the store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>

#include "api/json_codec.h"
#include "api/stateful_set_json.h"
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

StatefulSet MakeSet(const std::string& name, int32_t replicas,
                    VolumeTemplate::Kind volume = VolumeTemplate::Kind::kShared) {
  StatefulSet ss;
  ss.metadata.name = name;
  ss.spec.replicas = replicas;
  ss.spec.template_.task.command = {"/bin/db"};
  ss.spec.template_.ports = {{"db"}};
  VolumeTemplate v;
  v.name = "data";
  v.kind = volume;
  if (volume == VolumeTemplate::Kind::kShared) v.path = "/shared/db";
  ss.spec.volume_templates = {v};
  return ss;
}

const Caller kAlice{.role = Role::kUser,
                    .user = "alice",
                    .uid = 1000,
                    .gid = 1000,
                    .node = {},
                    .task = {},
                    .builtin = {}};

DaemonConfig Config() {
  DaemonConfig c;
  c.shared_volume_roots = {"/shared"};
  c.fence_after_s = 10;
  return c;
}

class StatefulSetStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"n1", "n2", "n3"}) {
      ASSERT_TRUE(state_.RegisterNode(MakeNode(n, 4), now_).ok());
    }
  }

  void Apply(StatefulSet ss) {
    auto r = state_.ApplyStatefulSet(std::move(ss), kAlice, now_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Turn() {
    state_.ReconcileJobs(now_);
    state_.ReconcileStatefulSets(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    state_.ApplyDecision(scheduler::Schedule(cluster, pending, now_, state_.scheduler_config()),
                         now_);
    state_.ReconcileStatefulSets(now_);
  }

  // Ordinal -> its live tasks.
  std::map<int64_t, std::vector<const Task*>> Live(const std::string& name) {
    std::map<int64_t, std::vector<const Task*>> out;
    for (const Task* t : state_.TasksOfStatefulSet(name)) {
      if (!IsTerminal(t->status.phase)) out[t->spec.index].push_back(t);
    }
    return out;
  }

  void Report(const Task* t, TaskPhase phase, bool ready = true) {
    TaskReport r;
    r.task = t->metadata.name;
    r.phase = phase;
    r.exit_code = phase == TaskPhase::kFailed ? 143 : 0;
    if (phase == TaskPhase::kRunning) r.ready = ready;
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
  }

  // Starts every assigned task (ready: no probe), turns until nothing changes.
  void Settle(const std::string& name) {
    for (int i = 0; i < 10; ++i) {
      Turn();
      bool started = false;
      for (const Task* t : state_.TasksOfStatefulSet(name)) {
        if (t->status.phase == TaskPhase::kAssigned) {
          Report(t, TaskPhase::kRunning);
          started = true;
        }
        if (!IsTerminal(t->status.phase) && t->status.terminating) {
          Report(t, TaskPhase::kFailed);
          started = true;
        }
      }
      if (!started) return;
    }
  }

  // n goes silent: heartbeats from the others only, past the timeout.
  void LoseNode(const std::string& dead) {
    for (const char* n : {"n1", "n2", "n3"}) ASSERT_TRUE(state_.Heartbeat(n, now_).ok());
    now_ += 11'000;
    for (const char* n : {"n1", "n2", "n3"}) {
      if (n != dead) {
        ASSERT_TRUE(state_.Heartbeat(n, now_).ok());
      }
    }
    state_.ReconcileNodes(now_, 10'000);
  }

  // The directory removals queued for `node` and not yet answered.
  std::vector<Json> Removals(ClusterState& state, const std::string& node) {
    std::vector<Json> out;
    NodeChannel* channel = state.Channel(node);
    if (channel == nullptr) return out;
    channel->Wait(0, now_, [&](HttpResponse r) {
      const Json body = Json::parse(r.body);
      for (const Json& x : body.value("removeVolumes", Json::array())) out.push_back(x);
    });
    channel->Flush(state.epoch(), now_, UINT64_MAX);
    channel->Acknowledge(channel->last_seq());
    return out;
  }
  std::vector<Json> Removals(const std::string& node) { return Removals(state_, node); }

  int64_t now_ = 1'000'000;
  ClusterState state_{"epoch", Config()};
};

TEST_F(StatefulSetStateTest, OrderedReadyMakesOneOrdinalAtATimeSpreadOverTheNodes) {
  Apply(MakeSet("db", 3));
  Turn();
  auto live = Live("db");
  ASSERT_EQ(live.size(), 1u) << "ordinal 1 waits for ordinal 0 to be Running and Ready";
  ASSERT_EQ(live.count(0), 1u);
  Turn();
  EXPECT_EQ(Live("db").size(), 1u) << "ordinal 0 is not Running yet";
  Report(live[0][0], TaskPhase::kRunning, true);
  Settle("db");
  live = Live("db");
  ASSERT_EQ(live.size(), 3u);
  std::set<std::string> nodes;
  for (const auto& [ordinal, tasks] : live) {
    ASSERT_EQ(tasks.size(), 1u);
    nodes.insert(tasks[0]->spec.node);
  }
  EXPECT_EQ(nodes.size(), 3u) << "one ordinal per node";
  const StatefulSet* ss = state_.stateful_sets().Find("db");
  EXPECT_EQ(ss->status.ready_replicas, 3);
  // Scale down: the highest goes first.
  ASSERT_TRUE(state_.ScaleStatefulSet("db", 1, kAlice, now_).ok());
  Turn();
  live = Live("db");
  EXPECT_TRUE(live[2][0]->status.terminating);
  EXPECT_FALSE(live[1][0]->status.terminating) << "one at a time, from the highest";
}

TEST_F(StatefulSetStateTest, ANodeLocalOrdinalStaysWithItsDataAndWaitsForItsNode) {
  Apply(MakeSet("db", 2, VolumeTemplate::Kind::kNodeLocal));
  Settle("db");
  auto live = Live("db");
  ASSERT_EQ(live.size(), 2u);
  const std::string home = live[1][0]->spec.node;
  EXPECT_EQ(state_.stateful_sets().Find("db")->status.volume_nodes.at(1), home);
  // It crashes: it runs again, after its back-off, on the node that holds its data.
  Report(live[1][0], TaskPhase::kFailed);
  now_ += kDaemonRestartBackoffMs;
  Settle("db");
  live = Live("db");
  ASSERT_EQ(live[1].size(), 1u);
  EXPECT_EQ(live[1][0]->spec.node, home);
  // Its node is lost: it waits for it, and says so.
  LoseNode(home);
  Settle("db");
  EXPECT_EQ(Live("db").count(1), 0u);
  auto waiting = state_.WaitingOrdinals("db", now_);
  ASSERT_EQ(waiting.count(1), 1u);
  EXPECT_NE(waiting[1].find(home), std::string::npos) << waiting[1];
  // Back, but its old copy may still run there until the node's own fence.
  ASSERT_TRUE(state_.Heartbeat(home, now_).ok());
  Settle("db");
  EXPECT_EQ(Live("db").count(1), 0u);
  now_ = state_.stateful_sets().Find("db")->status.fenced_until_ms.at(1);
  Settle("db");
  live = Live("db");
  ASSERT_EQ(live[1].size(), 1u);
  EXPECT_EQ(live[1][0]->spec.node, home);
}

TEST_F(StatefulSetStateTest, AnOrdinalLostWithItsNodeMovesOnlyAfterTheNodesOwnFence) {
  StatefulSet ss = MakeSet("db", 2);
  ss.spec.pod_management_policy = PodManagementPolicy::kParallel;
  Apply(ss);
  Settle("db");
  auto live = Live("db");
  const std::string dead = live[1][0]->spec.node;
  const int64_t last_heartbeat = state_.nodes().at(dead).status.last_heartbeat_ms;
  LoseNode(dead);
  Settle("db");
  EXPECT_EQ(Live("db").count(1), 0u) << "its old node may still run it";
  const int64_t fence_until = last_heartbeat + 10'000 + kFenceGraceMs + 1'000;
  EXPECT_EQ(state_.stateful_sets().Find("db")->status.fenced_until_ms.at(1), fence_until);
  EXPECT_EQ(state_.WaitingOrdinals("db", now_).count(1), 1u);
  now_ = fence_until - 1;
  Settle("db");
  EXPECT_EQ(Live("db").count(1), 0u);
  now_ = fence_until;
  Settle("db");
  live = Live("db");
  ASSERT_EQ(live[1].size(), 1u) << "Shared volume: it moves once the fence has passed";
  EXPECT_NE(live[1][0]->spec.node, dead);
  EXPECT_TRUE(state_.stateful_sets().Find("db")->status.fenced_until_ms.empty());
}

TEST_F(StatefulSetStateTest, ACrashingOrdinalBacksOffBeforeItsNextTask) {
  Apply(MakeSet("db", 1));
  Settle("db");
  Report(Live("db")[0][0], TaskPhase::kFailed);  // ended by itself: a crash
  Turn();
  EXPECT_TRUE(Live("db").empty()) << "backing off";
  now_ += kDaemonRestartBackoffMs - 1;
  Turn();
  EXPECT_TRUE(Live("db").empty());
  now_ += 1;
  Turn();
  EXPECT_EQ(Live("db").size(), 1u) << "restarted after the back-off";
}

TEST_F(StatefulSetStateTest, ADrainMovesOrdinalsOneAtATimeHighestFirst) {
  StatefulSet ss = MakeSet("db", 3);
  Apply(ss);
  Settle("db");
  auto live = Live("db");
  // Put two ordinals' node under drain.
  const std::string drained = live[2][0]->spec.node;
  ASSERT_TRUE(state_.DrainNode(drained, false).ok());
  Turn();
  int stopping = 0;
  for (const auto& [ordinal, tasks] : Live("db")) stopping += tasks[0]->status.terminating;
  EXPECT_EQ(stopping, 1) << "one at a time";
  EXPECT_TRUE(Live("db")[2][0]->status.terminating);
  Settle("db");
  for (const auto& [ordinal, tasks] : Live("db")) {
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_NE(tasks[0]->spec.node, drained) << "ordinal " << ordinal;
  }
}

TEST_F(StatefulSetStateTest, ApplyRefusesRootsNotAllowedAndChangedVolumes) {
  StatefulSet outside = MakeSet("db", 1);
  outside.spec.volume_templates[0].path = "/etc";
  auto r = state_.ApplyStatefulSet(outside, kAlice, now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "spec.volumeTemplates[0].path");
  Apply(MakeSet("db", 1));
  StatefulSet moved = MakeSet("db", 1, VolumeTemplate::Kind::kNodeLocal);
  r = state_.ApplyStatefulSet(moved, kAlice, now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "spec.volumeTemplates");
  const Caller bob{.role = Role::kUser,
                   .user = "bob",
                   .uid = 1001,
                   .gid = 1001,
                   .node = {},
                   .task = {},
                   .builtin = {}};
  EXPECT_EQ(state_.DeleteStatefulSet("db", bob, now_).code(), StatusCode::kPermissionDenied);
  EXPECT_NE(state_.stateful_sets().Find("db"), nullptr);
}

TEST_F(StatefulSetStateTest, ScaledDownOrdinalsLoseTheirDirectoriesOnceStoppedAndConfirmed) {
  StatefulSet ss = MakeSet("db", 3, VolumeTemplate::Kind::kNodeLocal);
  ss.spec.retention.when_scaled = VolumeRetention::kDelete;
  Apply(ss);
  Settle("db");
  std::map<int32_t, std::string> home = state_.stateful_sets().Find("db")->status.volume_nodes;
  ASSERT_EQ(home.size(), 3u);
  for (const auto& [ordinal, node] : home) EXPECT_TRUE(Removals(node).empty());
  ASSERT_TRUE(state_.ScaleStatefulSet("db", 1, kAlice, now_).ok());
  Turn();
  EXPECT_TRUE(Removals(home[2]).empty()) << "not while its task still runs";
  Settle("db");
  ASSERT_EQ(Live("db").size(), 1u);
  const StatefulSet* db = state_.stateful_sets().Find("db");
  EXPECT_EQ(db->status.removing_volumes, (std::set<int32_t>{1, 2}));
  EXPECT_EQ(db->status.volume_ordinals, (std::set<int32_t>{0, 1, 2}));
  // Each ordinal's node is asked, for that ordinal's directories only.
  const std::vector<Json> removal = Removals(home[2]);
  ASSERT_EQ(removal.size(), 1u);
  EXPECT_EQ(removal[0]["id"], "db/" + db->metadata.uid + "/2");
  EXPECT_EQ(removal[0]["volumes"], OrdinalVolumesJson(*db, 2));
  EXPECT_EQ(Removals(home[1]).size(), 1u);
  // Scaled up again first: the ordinals wait for the removal and say so.
  ASSERT_TRUE(state_.ScaleStatefulSet("db", 3, kAlice, now_).ok());
  Settle("db");
  EXPECT_EQ(Live("db").size(), 1u);
  auto waiting = state_.WaitingOrdinals("db", now_);
  ASSERT_EQ(waiting.count(2), 1u);
  EXPECT_NE(waiting[2].find("being removed (whenScaled: Delete)"), std::string::npos) << waiting[2];
  // Only the node that holds them can confirm; an error keeps the ordinal waiting.
  const std::string id2 = removal[0]["id"];
  state_.ConfirmVolumeRemoval(home[0], id2, "");
  state_.ConfirmVolumeRemoval(home[2], id2, "Internal: cannot remove /x: Device busy");
  EXPECT_TRUE(state_.stateful_sets().Find("db")->status.removing_volumes.count(2));
  EXPECT_NE(state_.WaitingOrdinals("db", now_)[2].find("Device busy"), std::string::npos);
  now_ += 30'000;
  Turn();
  EXPECT_EQ(Removals(home[2]).size(), 1u) << "asked again after a while";
  state_.ConfirmVolumeRemoval(home[2], id2, "");
  state_.ConfirmVolumeRemoval(home[1], "db/" + db->metadata.uid + "/1", "");
  db = state_.stateful_sets().Find("db");
  EXPECT_TRUE(db->status.removing_volumes.empty());
  EXPECT_EQ(db->status.volume_ordinals, (std::set<int32_t>{0}));
  EXPECT_EQ(db->status.volume_nodes.count(2), 0u) << "a new ordinal 2 may go anywhere";
  Settle("db");
  EXPECT_EQ(Live("db").size(), 3u);
  EXPECT_EQ(state_.stateful_sets().Find("db")->status.volume_ordinals,
            (std::set<int32_t>{0, 1, 2}));
  // An answer for a removal droverd no longer waits for changes nothing.
  state_.ConfirmVolumeRemoval(home[2], id2, "");
  EXPECT_EQ(state_.stateful_sets().Find("db")->status.volume_ordinals.count(2), 1u);
}

TEST_F(StatefulSetStateTest, ADeletedSetStaysTerminatingUntilItsDirectoriesAreRemoved) {
  const std::string path =
      ::testing::TempDir() + "/terminating-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StatefulSet ss = MakeSet("db", 2);  // Shared: any node may remove them
  ss.spec.retention.when_deleted = VolumeRetention::kDelete;
  Apply(ss);
  Settle("db");
  ASSERT_TRUE(state_.DeleteStatefulSet("db", kAlice, now_).ok());
  const StatefulSet* db = state_.stateful_sets().Find("db");
  ASSERT_NE(db, nullptr) << "Terminating, not gone";
  EXPECT_EQ(db->deletion_time_ms, now_);
  EXPECT_EQ(state_.ApplyStatefulSet(MakeSet("db", 2), kAlice, now_).status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(state_.ScaleStatefulSet("db", 5, kAlice, now_).status().code(), StatusCode::kConflict);
  EXPECT_TRUE(state_.DeleteStatefulSet("db", kAlice, now_).ok()) << "deleting again is fine";
  Settle("db");
  EXPECT_TRUE(Live("db").empty()) << "its tasks are stopped, none made";
  db = state_.stateful_sets().Find("db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->status.removing_volumes, (std::set<int32_t>{0, 1}));
  std::vector<Json> sent;
  for (const char* n : {"n1", "n2", "n3"}) {
    for (Json& r : Removals(n)) sent.push_back(std::move(r));
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0]["volumes"][0]["root"], "/shared/db");

  // droverd restarts before any node answers: the reloaded one asks again.
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2", Config());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  for (const char* n : {"n1", "n2", "n3"}) ASSERT_TRUE(reloaded.Heartbeat(n, now_).ok());
  reloaded.ReconcileStatefulSets(now_);
  std::vector<std::string> ids;
  std::string asked;
  for (const char* n : {"n1", "n2", "n3"}) {
    for (const Json& r : Removals(reloaded, n)) {
      ids.push_back(r["id"]);
      asked = n;
    }
  }
  ASSERT_EQ(ids.size(), 2u);
  reloaded.ConfirmVolumeRemoval(asked, ids[0], "");
  reloaded.ReconcileStatefulSets(now_);
  ASSERT_NE(reloaded.stateful_sets().Find("db"), nullptr) << "one ordinal's are left";
  reloaded.ConfirmVolumeRemoval(asked, ids[1], "");
  reloaded.ReconcileStatefulSets(now_);
  EXPECT_EQ(reloaded.stateful_sets().Find("db"), nullptr) << "gone once all are removed";
  ASSERT_TRUE((*store)->Commit(reloaded.TakeMutations()).ok());
  auto stored = (*store)->LoadAll("statefulset");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  store->reset();
  std::remove(path.c_str());
}

TEST_F(StatefulSetStateTest, StatefulSetsOrdinalsAndPinsSurviveARestartOfDroverd) {
  const std::string path =
      ::testing::TempDir() + "/statefulsets-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Apply(MakeSet("db", 2, VolumeTemplate::Kind::kNodeLocal));
  Settle("db");
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2", Config());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  const StatefulSet* ss = reloaded.stateful_sets().Find("db");
  ASSERT_NE(ss, nullptr);
  EXPECT_EQ(ss->status.volume_nodes.size(), 2u);
  int live = 0;
  for (const Task* t : reloaded.TasksOfStatefulSet("db")) live += !IsTerminal(t->status.phase);
  EXPECT_EQ(live, 2);
  reloaded.ReconcileStatefulSets(now_);
  scheduler::ClusterSnapshot cluster;
  std::vector<scheduler::PendingJob> pending;
  reloaded.BuildSchedulerInput(now_, &cluster, &pending);
  EXPECT_TRUE(pending.empty()) << "every ordinal runs";
  ASSERT_TRUE(reloaded.DeleteStatefulSet("db", kAlice, now_).ok());
  ASSERT_TRUE((*store)->Commit(reloaded.TakeMutations()).ok());
  auto stored = (*store)->LoadAll("statefulset");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  store->reset();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd
