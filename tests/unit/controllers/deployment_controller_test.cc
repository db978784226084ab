// The Deployment controller (controllers/deployment_controller.h): a table of
// views and what should change, then whole rollouts simulated step by step
// against Kubernetes' invariants (never more than replicas + maxSurge live,
// never fewer than replicas - maxUnavailable available).
#include "controllers/deployment_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace drover::controllers {
namespace {

constexpr int64_t kNow = 1'000'000;

Deployment MakeDeployment(int32_t replicas,
                          DeploymentStrategyType type = DeploymentStrategyType::kRollingUpdate,
                          IntOrPercent surge = {25, true}, IntOrPercent unavailable = {25, true}) {
  Deployment d;
  d.metadata.name = "web";
  d.generation = 1;
  d.spec.replicas = replicas;
  d.spec.strategy.type = type;
  d.spec.strategy.max_surge = surge;
  d.spec.strategy.max_unavailable = unavailable;
  return d;
}

// "new" / "old" revision; "ready" (available), "up" (running, not ready),
// "assigned" (not started), "stopping" (terminating).
ReplicaView Replica(const std::string& name, const std::string& revision, const std::string& state,
                    int64_t created_ms = 0) {
  ReplicaView r;
  r.name = name;
  r.revision = revision;
  r.created_ms = created_ms;
  r.phase = state == "assigned" ? TaskPhase::kAssigned : TaskPhase::kRunning;
  r.ready = state == "ready" || state == "stopping";
  r.ready_since_ms = 0;
  r.terminating = state == "stopping";
  return r;
}

DeploymentActions Reconcile(const Deployment& d, const std::vector<ReplicaView>& replicas,
                            int64_t now = kNow) {
  DeploymentView view{&d, "new", 2, replicas};
  return ReconcileDeployment(view, now);
}

int CountKilled(const DeploymentActions& a, const std::vector<ReplicaView>& replicas,
                const std::string& revision) {
  int n = 0;
  for (const std::string& k : a.kill) {
    for (const ReplicaView& r : replicas) n += r.name == k && r.revision == revision;
  }
  return n;
}

TEST(DeploymentControllerTest, EachViewGetsTheCreatesAndKillsItsStrategyAllows) {
  struct Case {
    const char* what;
    Deployment d;
    std::vector<std::pair<std::string, std::string>> replicas;  // revision, state
    int create;
    int kill_old;
    int kill_new;
  };
  const Deployment d3 = MakeDeployment(3);  // 25%/25% of 3: surge 1, unavailable 0
  const Deployment d4 = MakeDeployment(4);  // surge 1, unavailable 1
  const Deployment recreate = MakeDeployment(3, DeploymentStrategyType::kRecreate);
  const Deployment no_surge =
      MakeDeployment(4, DeploymentStrategyType::kRollingUpdate, {0, false}, {2, false});
  const Case cases[] = {
      {"new Deployment: every replica at once", d3, {}, 3, 0, 0},
      {"steady: nothing", d3, {{"new", "ready"}, {"new", "ready"}, {"new", "ready"}}, 0, 0, 0},
      {"one missing (crashed, lost): replaced", d3, {{"new", "ready"}, {"new", "ready"}}, 1, 0, 0},
      {"scaled down: the extra goes, not-ready first",
       d3,
       {{"new", "ready"}, {"new", "ready"}, {"new", "up"}, {"new", "ready"}},
       0,
       0,
       1},
      {"rollout starts: one surge replica, no old one stops (unavailable 0)",
       d3,
       {{"old", "ready"}, {"old", "ready"}, {"old", "ready"}},
       1,
       0,
       0},
      {"surge replica not ready yet: wait",
       d3,
       {{"old", "ready"}, {"old", "ready"}, {"old", "ready"}, {"new", "up"}},
       0,
       0,
       0},
      {"surge replica ready: one old one goes",
       d3,
       {{"old", "ready"}, {"old", "ready"}, {"old", "ready"}, {"new", "ready"}},
       0,
       1,
       0},
      {"a stopping old replica does not count: the next surge starts",
       d3,
       {{"old", "ready"}, {"old", "ready"}, {"old", "stopping"}, {"new", "ready"}},
       1,
       0,
       0},
      {"4 replicas, surge 1 + unavailable 1: two new start, one old stops",
       d4,
       {{"old", "ready"}, {"old", "ready"}, {"old", "ready"}, {"old", "ready"}},
       1,
       1,
       0},
      {"unhealthy old replicas are stopped first, even below minimum",
       d4,
       {{"old", "up"}, {"old", "up"}, {"old", "ready"}, {"old", "ready"}},
       1,
       2,
       0},
      {"maxSurge 0: old ones stop first, up to maxUnavailable",
       no_surge,
       {{"old", "ready"}, {"old", "ready"}, {"old", "ready"}, {"old", "ready"}},
       0,
       2,
       0},
      {"maxSurge 0, two stopped: their replacements start",
       no_surge,
       {{"old", "ready"}, {"old", "ready"}, {"old", "stopping"}, {"old", "stopping"}},
       2,
       0,
       0},
      {"Recreate: every old one stops, nothing new yet",
       recreate,
       {{"old", "ready"}, {"old", "ready"}, {"old", "up"}},
       0,
       3,
       0},
      {"Recreate: old ones still stopping: nothing new",
       recreate,
       {{"old", "stopping"}, {"old", "stopping"}},
       0,
       0,
       0},
      {"Recreate: old ones gone: all new at once", recreate, {}, 3, 0, 0},
  };
  for (const Case& c : cases) {
    std::vector<ReplicaView> replicas;
    for (size_t i = 0; i < c.replicas.size(); ++i) {
      replicas.push_back(Replica("r" + std::to_string(i), c.replicas[i].first, c.replicas[i].second,
                                 static_cast<int64_t>(i)));
    }
    DeploymentActions a = Reconcile(c.d, replicas);
    EXPECT_EQ(a.create, c.create) << c.what;
    EXPECT_EQ(CountKilled(a, replicas, "old"), c.kill_old) << c.what;
    EXPECT_EQ(CountKilled(a, replicas, "new"), c.kill_new) << c.what;
    // Level-triggered: the same view asks for the same again.
    Deployment again = c.d;
    again.status = a.status;
    DeploymentActions b = Reconcile(again, replicas);
    EXPECT_EQ(b.create, a.create) << c.what;
    EXPECT_EQ(b.kill, a.kill) << c.what;
    EXPECT_EQ(b.status.replicas, a.status.replicas) << c.what;
  }
}

TEST(DeploymentControllerTest, AReplicaOnADrainingNodeIsReplacedBeforeItStops) {
  for (const Deployment& d :
       {MakeDeployment(3), MakeDeployment(3, DeploymentStrategyType::kRecreate)}) {
    const char* what = d.spec.strategy.type == DeploymentStrategyType::kRecreate
                           ? "Recreate (a drain is not a rollout)"
                           : "RollingUpdate";
    std::vector<ReplicaView> replicas = {Replica("a", "new", "ready"), Replica("b", "new", "ready"),
                                         Replica("on-drained", "new", "ready")};
    replicas[2].evicted = true;
    DeploymentActions first = Reconcile(d, replicas);
    EXPECT_EQ(first.create, 1) << what << ": its replacement first";
    EXPECT_TRUE(first.kill.empty()) << what << ": nothing stops before it is replaced";
    EXPECT_EQ(first.status.updated_replicas, 3) << what << ": it still runs the template";
    // The replacement is placed elsewhere, not ready yet: still nothing stops.
    replicas.push_back(Replica("replacement", "new", "up"));
    EXPECT_TRUE(Reconcile(d, replicas).kill.empty()) << what;
    EXPECT_EQ(Reconcile(d, replicas).create, 0) << what;
    // Ready: now the drained node's replica goes.
    replicas.back() = Replica("replacement", "new", "ready");
    DeploymentActions ready = Reconcile(d, replicas);
    EXPECT_EQ(ready.kill, std::vector<std::string>{"on-drained"}) << what;
    EXPECT_EQ(ready.create, 0) << what;
  }
}

TEST(DeploymentControllerTest, ScaleDownStopsTheLeastProvenReplicasFirst) {
  const Deployment d = MakeDeployment(2);
  std::vector<ReplicaView> replicas = {
      Replica("oldest", "new", "ready", 1), Replica("newest", "new", "ready", 9),
      Replica("starting", "new", "assigned", 5), Replica("middle", "new", "ready", 4)};
  DeploymentActions a = Reconcile(d, replicas);
  EXPECT_EQ(a.kill, (std::vector<std::string>{"starting", "newest"}));
}

// Simulates a rollout: each step the controller runs, its kills take effect
// at once, its creates become replicas that are ready one step later. The
// invariants of Kubernetes' e2e checkRollingUpdateStatus hold at every step.
struct Simulation {
  Deployment d;
  std::vector<ReplicaView> replicas;
  int next = 0;
  int max_live = 0;
  int min_available = 1 << 30;
  bool overlapped = false;  // old and new live at once

  void Step(int64_t now) {
    DeploymentView view{&d, "new", 2, replicas};
    DeploymentActions a = ReconcileDeployment(view, now);
    d.status = a.status;
    std::erase_if(replicas, [&](const ReplicaView& r) {
      return std::find(a.kill.begin(), a.kill.end(), r.name) != a.kill.end();
    });
    for (ReplicaView& r : replicas) {  // last step's creates are up and ready now
      if (r.phase == TaskPhase::kAssigned) r = Replica(r.name, r.revision, "ready", r.created_ms);
    }
    for (int i = 0; i < a.create; ++i) {
      replicas.push_back(Replica("n" + std::to_string(next++), "new", "assigned", now));
    }
    int live = static_cast<int>(replicas.size()), available = 0;
    bool has_old = false, has_new = false;
    for (const ReplicaView& r : replicas) {
      available += IsAvailable(r, 0, now);
      has_old |= r.revision == "old";
      has_new |= r.revision == "new";
    }
    max_live = std::max(max_live, live);
    min_available = std::min(min_available, available);
    overlapped |= has_old && has_new;
  }

  bool Done() const {
    return static_cast<int>(replicas.size()) == d.spec.replicas &&
           std::all_of(replicas.begin(), replicas.end(), [](const ReplicaView& r) {
             return r.revision == "new" && r.phase == TaskPhase::kRunning;
           });
  }
};

TEST(DeploymentControllerTest, RollingUpdatesStayWithinSurgeAndUnavailabilityAndFinish) {
  struct Case {
    int32_t replicas;
    IntOrPercent surge, unavailable;
  };
  const Case cases[] = {{3, {25, true}, {25, true}},  {10, {25, true}, {25, true}},
                        {10, {0, false}, {3, false}}, {5, {2, false}, {0, false}},
                        {1, {0, false}, {1, false}},  {7, {100, true}, {0, true}}};
  for (const Case& c : cases) {
    Simulation sim;
    sim.d =
        MakeDeployment(c.replicas, DeploymentStrategyType::kRollingUpdate, c.surge, c.unavailable);
    for (int i = 0; i < c.replicas; ++i) {
      sim.replicas.push_back(Replica("o" + std::to_string(i), "old", "ready"));
    }
    const auto [surge, unavailable] = ResolveFenceposts(sim.d.spec.strategy, c.replicas);
    int steps = 0;
    for (; !sim.Done() && steps < 100; ++steps) sim.Step(kNow + steps);
    SCOPED_TRACE("replicas " + std::to_string(c.replicas) + " surge " + c.surge.ToString() +
                 " unavailable " + c.unavailable.ToString());
    EXPECT_TRUE(sim.Done()) << "no end after 100 steps";
    EXPECT_LE(sim.max_live, c.replicas + surge);
    EXPECT_GE(sim.min_available, c.replicas - unavailable);
    sim.Step(kNow + 1000);
    EXPECT_EQ(sim.d.status.complete_revision, "new");
    EXPECT_EQ(sim.d.status.updated_replicas, c.replicas);
  }
}

TEST(DeploymentControllerTest, RecreateNeverRunsOldAndNewTogether) {
  Simulation sim;
  sim.d = MakeDeployment(4, DeploymentStrategyType::kRecreate);
  for (int i = 0; i < 4; ++i)
    sim.replicas.push_back(Replica("o" + std::to_string(i), "old", "ready"));
  for (int steps = 0; !sim.Done() && steps < 20; ++steps) sim.Step(kNow + steps);
  EXPECT_TRUE(sim.Done());
  EXPECT_FALSE(sim.overlapped);
}

TEST(DeploymentControllerTest, AvailabilityWaitsForMinReadySecondsAndAsksToBeWokenThen) {
  Deployment d = MakeDeployment(1);
  d.spec.min_ready_seconds = 5;
  ReplicaView r = Replica("a", "new", "ready");
  r.ready_since_ms = kNow - 2000;
  DeploymentActions a = Reconcile(d, {r});
  EXPECT_EQ(a.status.ready_replicas, 1);
  EXPECT_EQ(a.status.available_replicas, 0);
  EXPECT_EQ(a.requeue_at_ms, kNow + 3000);
  d.status = a.status;
  a = Reconcile(d, {r}, kNow + 3000);
  EXPECT_EQ(a.status.available_replicas, 1);
}

TEST(DeploymentControllerTest, AStalledRolloutPassesItsDeadlineAndRollsBackOnlyWhenAsked) {
  Deployment d = MakeDeployment(2);
  d.spec.progress_deadline_seconds = 60;
  d.status.complete_revision = "old";
  // The new revision's replica never gets ready.
  std::vector<ReplicaView> replicas = {Replica("o1", "old", "ready"), Replica("o2", "old", "ready"),
                                       Replica("n1", "new", "up")};
  DeploymentActions a = Reconcile(d, replicas);
  d.status = a.status;
  EXPECT_EQ(a.status.progress_started_ms, kNow);
  a = Reconcile(d, replicas, kNow + 59'000);
  d.status = a.status;
  EXPECT_FALSE(a.roll_back);
  a = Reconcile(d, replicas, kNow + 60'000);
  const Condition* progressing = nullptr;
  for (const Condition& c : a.status.conditions)
    progressing = c.type == "Progressing" ? &c : progressing;
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, "False");
  EXPECT_EQ(progressing->reason, "ProgressDeadlineExceeded");
  EXPECT_FALSE(a.roll_back) << "autoRollback is off";
  d.spec.auto_rollback = true;
  a = Reconcile(d, replicas, kNow + 60'000);
  EXPECT_TRUE(a.roll_back);
  // Never "back" to the revision that is itself failing.
  d.status.complete_revision = "new";
  a = Reconcile(d, replicas, kNow + 60'000);
  EXPECT_FALSE(a.roll_back);
}

const Condition* Progressing(const DeploymentStatus& st) {
  for (const Condition& c : st.conditions) {
    if (c.type == "Progressing") return &c;
  }
  return nullptr;
}

TEST(DeploymentControllerTest, ACompletedRolloutIsNotTimedOutWhenItLosesAReplicaLater) {
  Deployment d = MakeDeployment(2);
  d.spec.progress_deadline_seconds = 60;
  std::vector<ReplicaView> both = {Replica("a", "new", "ready"), Replica("b", "new", "ready")};
  DeploymentActions a = Reconcile(d, both);
  d.status = a.status;
  ASSERT_EQ(Progressing(d.status)->reason, "NewReplicaSetAvailable");
  // An hour later one replica is gone (its node died, or it crashed).
  a = Reconcile(d, {both[0]}, kNow + 3'600'000);
  EXPECT_EQ(a.create, 1);
  EXPECT_EQ(Progressing(a.status)->reason, "NewReplicaSetAvailable");
  EXPECT_FALSE(a.roll_back);
}

TEST(DeploymentControllerTest, AResumedRolloutGetsItsWholeDeadlineAgain) {
  Deployment d = MakeDeployment(2);
  d.spec.progress_deadline_seconds = 60;
  d.spec.paused = true;
  std::vector<ReplicaView> replicas = {Replica("o1", "old", "ready"), Replica("o2", "old", "ready"),
                                       Replica("n1", "new", "up")};
  DeploymentActions a = Reconcile(d, replicas);
  d.status = a.status;
  EXPECT_EQ(Progressing(d.status)->reason, "DeploymentPaused");
  d.spec.paused = false;  // resumed after two hours
  a = Reconcile(d, replicas, kNow + 7'200'000);
  EXPECT_EQ(Progressing(a.status)->reason, "ReplicaSetUpdated");
  EXPECT_EQ(a.status.progress_started_ms, kNow + 7'200'000);
}

TEST(DeploymentControllerTest, CrashingReplicasBackOffDoublingToFiveMinutes) {
  DeploymentSpec spec;
  spec.restart_backoff_seconds = 10;
  DeploymentStatus status;
  Task crashed;
  crashed.status.phase = TaskPhase::kFailed;
  std::vector<int64_t> delays;
  int64_t now = kNow;
  for (int i = 0; i < 7; ++i) {
    crashed.status.start_time_ms = now - 1000;
    crashed.status.finish_time_ms = now;
    RecordReplicaEnd(status, spec, crashed, /*stopped=*/false, now);
    delays.push_back((status.next_restart_ms - now) / 1000);
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{10, 20, 40, 80, 160, 300, 300}));
  EXPECT_EQ(status.crash_count, 7);
  // While backing off nothing is created, and the reason says why.
  Deployment d = MakeDeployment(1);
  d.status = status;
  DeploymentActions a = Reconcile(d, {}, now);
  EXPECT_EQ(a.create, 0);
  EXPECT_EQ(a.requeue_at_ms, status.next_restart_ms);
  bool crash_loop = false;
  for (const Condition& c : a.status.conditions) crash_loop |= c.reason == "CrashLoopBackOff";
  EXPECT_TRUE(crash_loop);
  a = Reconcile(d, {}, status.next_restart_ms);
  EXPECT_EQ(a.create, 1);
  // Stopped by droverd, or lost with a node: not a crash.
  DeploymentStatus calm;
  RecordReplicaEnd(calm, spec, crashed, /*stopped=*/true, now);
  Task lost = crashed;
  lost.status.phase = TaskPhase::kLost;
  RecordReplicaEnd(calm, spec, lost, false, now);
  EXPECT_EQ(calm.crash_count, 0);
  // A replica that ran ten minutes resets the count.
  Task long_run = crashed;
  long_run.status.start_time_ms = now - kCrashResetAfterMs;
  RecordReplicaEnd(status, spec, long_run, false, now);
  EXPECT_EQ(status.crash_count, 0);
  EXPECT_EQ(status.next_restart_ms, 0);
}

TEST(DeploymentControllerTest, OnlyACrashedReplicasReplacementWaitsOutItsBackOff) {
  Deployment d = MakeDeployment(3);
  d.spec.restart_backoff_seconds = 10;
  Task crashed;
  crashed.status.phase = TaskPhase::kFailed;
  crashed.status.start_time_ms = kNow - 1000;
  crashed.status.finish_time_ms = kNow;
  RecordReplicaEnd(d.status, d.spec, crashed, /*stopped=*/false, kNow);
  ASSERT_EQ(d.status.restarts_due_ms, std::vector<int64_t>{kNow + 10'000});
  // One crashed, one lost with its node: the lost one is replaced at once.
  std::vector<ReplicaView> live = {Replica("a", "new", "ready")};
  DeploymentActions a = Reconcile(d, live);
  EXPECT_EQ(a.create, 1) << "the lost replica's replacement does not wait";
  EXPECT_EQ(a.requeue_at_ms, kNow + 10'000);
  EXPECT_EQ(a.status.restarts_due_ms.size(), 1u);
  d.status = a.status;
  live.push_back(Replica("b", "new", "ready"));
  a = Reconcile(d, live);
  EXPECT_EQ(a.create, 0) << "the crashed one's waits";
  // Its back-off over: it is created, and nothing waits any more.
  a = Reconcile(d, live, kNow + 10'000);
  EXPECT_EQ(a.create, 1);
  EXPECT_TRUE(a.status.restarts_due_ms.empty());
  d.status = a.status;
  EXPECT_EQ(Reconcile(d, live, kNow + 10'001).create, 1) << "level-triggered: until it is placed";
  // Scaled down meanwhile: a waiting replacement nobody needs is dropped.
  Deployment smaller = MakeDeployment(2);
  RecordReplicaEnd(smaller.status, smaller.spec, crashed, false, kNow);
  a = Reconcile(smaller, live);
  EXPECT_EQ(a.create, 0);
  EXPECT_TRUE(a.status.restarts_due_ms.empty());
}

TEST(DeploymentControllerTest, FencepostsFollowKubernetes) {
  DeploymentStrategy s;
  EXPECT_EQ(ResolveFenceposts(s, 3), (std::pair<int64_t, int64_t>{1, 0}));
  EXPECT_EQ(ResolveFenceposts(s, 10), (std::pair<int64_t, int64_t>{3, 2}));
  s.max_surge = {0, true};
  s.max_unavailable = {0, true};
  EXPECT_EQ(ResolveFenceposts(s, 10), (std::pair<int64_t, int64_t>{0, 1}));
}

}  // namespace
}  // namespace drover::controllers
