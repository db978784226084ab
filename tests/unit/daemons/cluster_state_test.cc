// droverd's state machine driven directly: submit, schedule, reports,
// preemption, fair-share. The integration tests run the same through real
// processes; these pin the rules down one at a time.
#include "daemons/droverd/cluster_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "api/json_codec.h"
#include "db/store.h"
#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

TEST_F(ClusterStateTest, PlacesTasksLazilyAndNeverOverCommits) {
  uint64_t id = Submit(MakeJob("big", 1000));
  Pass();
  EXPECT_EQ(Active(id).size(), 4u) << "4 cores, 1 core per task";
  EXPECT_EQ(state_.TasksOfJob(id).size(), 4u) << "tasks exist only once placed";
  Pass();
  EXPECT_EQ(Active(id).size(), 4u);
  Report(Active(id)[0], TaskPhase::kSucceeded);
  Pass();
  EXPECT_EQ(Active(id).size(), 4u);
  EXPECT_EQ(state_.FindJob(id)->status.completed_indexes.Count(), 1);
}

TEST_F(ClusterStateTest, MutationsCoalescePerObjectAndBatch) {
  uint64_t id = Submit(MakeJob("a", 2));
  Pass();
  auto batch = state_.TakeMutations();
  int jobs = 0, tasks = 0;
  for (const auto& m : batch) {
    jobs += m.kind == "job";
    tasks += m.kind == "task";
  }
  EXPECT_EQ(jobs, 1) << "the job changed three times but is written once";
  EXPECT_EQ(tasks, 2);
  EXPECT_TRUE(state_.TakeMutations().empty());
  (void)id;
}

TEST_F(ClusterStateTest, AFinalReportAloneRecordsWhenTheTaskStarted) {
  uint64_t id = Submit(MakeJob("short", 1));
  Pass();
  const Task* t = Active(id)[0];
  TaskReport r;
  r.task = t->metadata.name;
  r.phase = TaskPhase::kSucceeded;
  r.exit_code = 0;
  r.pid = 4242;
  r.start_time_ms = now_ + 5;
  r.time_ms = now_ + 9;
  ASSERT_TRUE(state_.ApplyReport("n1", r, now_ + 10).ok());
  const Task* done = state_.FindTask(r.task);
  EXPECT_EQ(done->status.phase, TaskPhase::kSucceeded);
  EXPECT_EQ(done->status.start_time_ms, now_ + 5);
  EXPECT_EQ(done->status.finish_time_ms, now_ + 9);
  EXPECT_EQ(done->status.pid, 4242);
}

TEST_F(ClusterStateTest, RunningTasksANodeNoLongerHoldsAreLostAndRetried) {
  Job j = MakeJob("frames", 3);
  uint64_t id = Submit(j);
  Pass();
  auto tasks = Active(id);
  ASSERT_EQ(tasks.size(), 3u);
  Report(tasks[0], TaskPhase::kRunning);
  Report(tasks[1], TaskPhase::kRunning);
  const std::string gone = tasks[0]->metadata.name;
  const std::string kept = tasks[1]->metadata.name;
  const std::string assigned =
      tasks[2]->metadata.name;  // never reported: its launch is redelivered
  // The node comes back (its supervisor restarted) holding only `kept`.
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n1", 4), now_).ok());
  state_.ReconcileHeldTasks("n1", {kept}, now_);
  EXPECT_EQ(state_.FindTask(gone)->status.phase, TaskPhase::kLost);
  EXPECT_NE(state_.FindTask(gone)->status.message.find("came back without it"), std::string::npos);
  EXPECT_EQ(state_.FindTask(kept)->status.phase, TaskPhase::kRunning);
  EXPECT_EQ(state_.FindTask(assigned)->status.phase, TaskPhase::kAssigned);
  // The Assigned task's launch is sent again (the node may have lost it).
  Json sent = Poll("n1");
  int launches = 0;  // the first launch, and the one sent again
  for (const Json& l : sent["launch"]) launches += l["task"] == assigned;
  EXPECT_EQ(launches, 2) << sent.dump();
  Pass();
  EXPECT_EQ(Active(id).size(), 3u) << "the lost index runs again";
}

TEST_F(ClusterStateTest, AdminLabelsOutliveTheAgentsReRegistrationAndRefusalsChangeNothing) {
  Node n1 = MakeNode("n1", 4);
  n1.metadata.labels = {{"rack", "r1"}};
  ASSERT_TRUE(state_.RegisterNode(n1, now_).ok());
  ASSERT_TRUE(state_.LabelNode("n1", {{"tier", "gold"}}, {}, false).ok());
  EXPECT_EQ(state_.LabelNode("n1", {{"tier", "lead"}}, {}, false).code(), StatusCode::kConflict);
  EXPECT_EQ(state_.LabelNode("n1", {{"ok", "1"}, {"bad key", "x"}}, {}, false).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(state_.LabelNode("n1", {{"a", "1"}}, {"a"}, false).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(state_.LabelNode("n9", {{"a", "1"}}, {}, false).code(), StatusCode::kNotFound);
  EXPECT_EQ(state_.nodes().at("n1").metadata.labels, (Labels{{"rack", "r1"}, {"tier", "gold"}}))
      << "refused changes changed nothing";
  // The agent registers again (restarted) with its own labels, one changed.
  n1.metadata.labels = {{"rack", "r2"}};
  ASSERT_TRUE(state_.RegisterNode(n1, now_).ok());
  EXPECT_EQ(state_.nodes().at("n1").metadata.labels, (Labels{{"rack", "r2"}, {"tier", "gold"}}));
  ASSERT_TRUE(state_.LabelNode("n1", {}, {"tier", "never-set"}, false).ok());
  EXPECT_EQ(state_.nodes().at("n1").metadata.labels, (Labels{{"rack", "r2"}}));
}

TEST_F(ClusterStateTest, ACordonedNodeTakesNoNewTaskAndKeepsWhatRuns) {
  uint64_t first = Submit(MakeJob("first", 2));
  Pass();
  ASSERT_EQ(Active(first).size(), 2u);
  ASSERT_TRUE(state_.CordonNode("n1", true).ok());
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n1", 4), now_).ok());
  EXPECT_TRUE(state_.nodes().at("n1").spec.unschedulable) << "a cordon outlives re-registration";
  uint64_t second = Submit(MakeJob("second", 1));
  Pass();
  EXPECT_EQ(Active(first).size(), 2u) << "what runs goes on";
  EXPECT_TRUE(Active(second).empty());
  EXPECT_FALSE(state_.FindJob(second)->status.reasons.empty()) << "it is told why it waits";
  ASSERT_TRUE(state_.CordonNode("n1", false).ok());
  Pass();
  EXPECT_EQ(Active(second).size(), 1u);
}

TEST_F(ClusterStateTest, ANodesDeathIsNotCountedAgainstBackoffLimit) {
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n2", 4), now_).ok());
  Job j = MakeJob("frame", 1);
  j.spec.backoff_limit = 0;  // one failure of its own fails it
  uint64_t id = Submit(j);
  Pass();
  ASSERT_EQ(Active(id).size(), 1u);
  const Task* first = Active(id)[0];
  Report(first, TaskPhase::kRunning);
  const std::string dead_node = first->spec.node;
  const std::string other = dead_node == "n1" ? "n2" : "n1";
  // The task's node goes silent; the other heartbeats.
  now_ += 31'000;
  ASSERT_TRUE(state_.Heartbeat(other, now_).ok());
  state_.ReconcileNodes(now_, 30'000);
  state_.ReconcileJobs(now_);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kRunning);
  EXPECT_EQ(state_.FindJob(id)->status.failed, 0);
  Pass();
  auto again = Active(id);
  ASSERT_EQ(again.size(), 1u) << "the frame runs again elsewhere";
  EXPECT_EQ(again[0]->spec.node, other);
  EXPECT_EQ(again[0]->spec.attempt, 1);
  Report(again[0], TaskPhase::kSucceeded);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kSucceeded);
}

TEST_F(ClusterStateTest, CopiesDroverdGaveUpOnAreKilledWhenTheirNodeSpeaksAgain) {
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n2", 4), now_).ok());
  uint64_t id = Submit(MakeJob("frames", 2));
  Pass();
  std::vector<std::string> on_n1;
  for (const Task* t : Active(id)) {
    Report(t, TaskPhase::kRunning);
    if (t->spec.node == "n1") on_n1.push_back(t->metadata.name);
  }
  ASSERT_FALSE(on_n1.empty());
  (void)Poll("n1");  // n1 has had its launches
  now_ += 31'000;
  ASSERT_TRUE(state_.Heartbeat("n2", now_).ok());
  state_.ReconcileNodes(now_, 30'000);  // n1 declared lost; its tasks too
  for (const std::string& t : on_n1) {
    EXPECT_EQ(state_.FindTask(t)->status.phase, TaskPhase::kLost);
  }
  // n1 was only cut off: its heartbeat says it still runs them.
  ASSERT_TRUE(state_.Heartbeat("n1", now_).ok());
  std::set<std::string> running(on_n1.begin(), on_n1.end());
  running.insert("a-task-droverd-never-heard-of");
  state_.FenceTasks("n1", running);
  // A Running report of a lost copy is answered the same way.
  Report(state_.FindTask(on_n1[0]), TaskPhase::kRunning);
  Json sent = Poll("n1");
  std::multiset<std::string> killed;
  for (const Json& k : sent["kill"]) {
    killed.insert(k["task"].get<std::string>());
    EXPECT_EQ(k["graceMs"], kFenceGraceMs);
  }
  for (const std::string& t : running) EXPECT_GE(killed.count(t), 1u) << t;
  EXPECT_EQ(sent["launch"].size(), 0u) << "nothing new before the copies are gone";
  EXPECT_GE(state_.counters().tasks_fenced_total, 3);
  // Tasks it is meant to run are never fenced.
  Pass();
  std::set<std::string> wanted;
  for (const Task* t : Active(id)) {
    if (t->spec.node == "n1") wanted.insert(t->metadata.name);
  }
  int64_t before = state_.counters().tasks_fenced_total;
  state_.FenceTasks("n1", wanted);
  EXPECT_EQ(state_.counters().tasks_fenced_total, before);
}

TEST_F(ClusterStateTest, DependentJobWaitsThenRunsWhenItsDependencyHolds) {
  uint64_t a = Submit(MakeJob("render", 2));
  Job composite = MakeJob("composite", 1);
  composite.spec.dependencies = {{"afterok", a}};
  uint64_t b = Submit(composite);
  Pass();
  EXPECT_EQ(Active(a).size(), 2u);
  EXPECT_TRUE(Active(b).empty()) << "two cores are free, but its dependency does not hold";
  EXPECT_EQ(state_.FindJob(b)->status.reasons, std::vector<std::string>{"Dependency"});
  for (const Task* t : Active(a)) Report(t, TaskPhase::kSucceeded);
  Pass();
  EXPECT_EQ(Active(b).size(), 1u);
}

TEST_F(ClusterStateTest, ADelayedAfterStartsItsJobMinutesAfterTheOtherStarted) {
  uint64_t a = Submit(MakeJob("server", 1));
  Job client = MakeJob("client", 1);
  client.spec.dependencies = {{"after", a, 60}};  // after:A+1
  uint64_t b = Submit(client);
  Pass();
  for (const Task* t : Active(a)) Report(t, TaskPhase::kRunning);
  state_.CancelUnsatisfiableJobs(now_);  // as before every pass: asks to be woken
  Pass();
  EXPECT_TRUE(Active(b).empty()) << "A started less than a minute ago";
  state_.clear_needs_scheduling();
  now_ += 59'000;
  state_.WakeJobsDue(now_);
  EXPECT_FALSE(state_.needs_scheduling());
  now_ += 1'000;
  state_.WakeJobsDue(now_);
  EXPECT_TRUE(state_.needs_scheduling()) << "nothing else happens at the minute: a wake does";
  Pass();
  EXPECT_EQ(Active(b).size(), 1u);
}

TEST_F(ClusterStateTest, UnsatisfiableDependencyCancelsTheChainNamingIt) {
  Job failing = MakeJob("frames", 1);
  failing.spec.backoff_limit = 0;
  uint64_t a = Submit(failing);
  Job b_job = MakeJob("composite", 1);
  b_job.spec.dependencies = {{"afterok", a}};
  uint64_t b = Submit(b_job);
  Job c_job = MakeJob("publish", 1);
  c_job.spec.dependencies = {{"afterok", b}};
  uint64_t c = Submit(c_job);
  Job cleanup_job = MakeJob("cleanup", 1);
  cleanup_job.spec.dependencies = {{"afternotok", a}};
  uint64_t cleanup = Submit(cleanup_job);
  Pass();
  Report(Active(a)[0], TaskPhase::kFailed, 1);
  ASSERT_EQ(state_.FindJob(a)->status.phase, JobPhase::kFailed);
  EXPECT_EQ(state_.CancelUnsatisfiableJobs(now_), 2);
  EXPECT_EQ(state_.FindJob(b)->status.phase, JobPhase::kCancelled);
  EXPECT_NE(state_.FindJob(b)->status.message.find("afterok:" + std::to_string(a)),
            std::string::npos)
      << state_.FindJob(b)->status.message;
  EXPECT_EQ(state_.FindJob(c)->status.phase, JobPhase::kCancelled) << "the chain below goes too";
  Pass();
  EXPECT_EQ(Active(cleanup).size(), 1u) << "afternotok holds";
}

TEST_F(ClusterStateTest, DependencyOnAnUnknownJobIsRefusedAtSubmit) {
  Job j = MakeJob("orphan", 1);
  j.spec.dependencies = {{"afterany", 999}};
  auto r = state_.SubmitJob(j, User("alice", 1000), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "spec.dependencies[0].job");
}

TEST_F(ClusterStateTest, HeldJobWaitsUntilReleasedAndOnlyItsOwnerMayRelease) {
  Job j = MakeJob("held", 1);
  j.spec.hold = true;
  uint64_t id = Submit(j);
  Pass();
  EXPECT_TRUE(Active(id).empty());
  EXPECT_EQ(state_.FindJob(id)->status.reasons, std::vector<std::string>{"Held"});
  EXPECT_EQ(state_.SetHold(id, false, User("mallory", 1001), now_).code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(state_.SetHold(id, false, User("alice", 1000), now_).ok());
  Pass();
  EXPECT_EQ(Active(id).size(), 1u);
}

TEST_F(ClusterStateTest, JobWithABeginTimeWaitsForItAndWakesAPass) {
  Job j = MakeJob("later", 1);
  j.spec.begin_time_ms = now_ + 60'000;
  uint64_t id = Submit(j);
  Pass();
  state_.clear_needs_scheduling();
  EXPECT_TRUE(Active(id).empty());
  EXPECT_EQ(state_.FindJob(id)->status.reasons, std::vector<std::string>{"BeginTime"});
  state_.WakeJobsDue(now_ + 59'999);
  EXPECT_FALSE(state_.needs_scheduling());
  now_ += 60'000;
  state_.WakeJobsDue(now_);
  EXPECT_TRUE(state_.needs_scheduling());
  Pass();
  EXPECT_EQ(Active(id).size(), 1u);
}

// Two NUMA nodes of two cores and 1 GiB each (2 GiB on the node).
Node TwoNumaNode(const std::string& name) {
  Node n;
  n.metadata.name = name;
  n.status.address = "127.0.0.1:1";
  for (int c = 0; c < 4; ++c) n.status.topology.cores.push_back({c, 0, c / 2, {c}});
  n.status.topology.numa_nodes = 2;
  n.status.topology.numa_memory_bytes = {1LL << 30, 1LL << 30};
  n.status.topology.memory_bytes = 2LL << 30;
  return n;
}

class NumaMemoryTest : public ClusterStateTest {
 protected:
  void SetUp() override { ASSERT_TRUE(state_.RegisterNode(TwoNumaNode("numa"), now_).ok()); }
};

TEST_F(NumaMemoryTest, BoundMemoryIsTakenAndHeldPerNumaNode) {
  Job bound = MakeJob("bound", 2);
  bound.spec.task.resources.memory_bytes = 768LL << 20;
  bound.spec.task.resources.memory_bind = "local";
  uint64_t a = Submit(bound);
  Pass();
  auto tasks = Active(a);
  ASSERT_EQ(tasks.size(), 2u) << "one task on each NUMA node";
  std::set<std::vector<int64_t>> splits;
  for (const Task* t : tasks) splits.insert(t->spec.numa_memory_bytes);
  EXPECT_EQ(splits, (std::set<std::vector<int64_t>>{{768LL << 20, 0}, {0, 768LL << 20}}));

  // 512 MiB is free on the node but only 256 MiB on each NUMA node: a bound
  // task waits, an unbound one starts. (The unbound one goes first: EASY would
  // otherwise hold the node's memory for the bound one's reservation, which
  // plans node memory, not NUMA memory.)
  Job more_bound = MakeJob("more-bound", 1);
  more_bound.spec.task.resources.memory_bytes = 512LL << 20;
  more_bound.spec.task.resources.memory_bind = "local";
  uint64_t b = Submit(more_bound);
  Pass();
  EXPECT_TRUE(Active(b).empty());
  EXPECT_EQ(state_.FindJob(b)->status.reasons.front(), "Resources");
  Job unbound = MakeJob("unbound", 1, /*priority=*/10);
  unbound.spec.task.resources.memory_bytes = 512LL << 20;
  uint64_t c = Submit(unbound);
  Pass();
  EXPECT_TRUE(Active(b).empty());
  EXPECT_EQ(state_.FindJob(b)->status.reasons.front(), "Resources");
  ASSERT_EQ(Active(c).size(), 1u);
  EXPECT_TRUE(Active(c)[0]->spec.numa_memory_bytes.empty());

  // The split survives the store: a reloaded state accounts it the same.
  auto copy = TaskFromJson(ToJson(*tasks[0]));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->spec.numa_memory_bytes, tasks[0]->spec.numa_memory_bytes);
}

TEST_F(ClusterStateTest, ReportsFromTheWrongNodeOrForUnknownTasksChangeNothing) {
  ASSERT_TRUE(state_.RegisterNode(MakeNode("n2", 4), now_).ok());
  uint64_t id = Submit(MakeJob("a", 1));
  Pass();
  (void)state_.TakeMutations();
  const Task* t = Active(id)[0];
  TaskReport r{.task = t->metadata.name, .phase = TaskPhase::kFailed, .exit_code = 1};
  std::string other = t->spec.node == "n1" ? "n2" : "n1";
  EXPECT_EQ(state_.ApplyReport(other, r, now_).code(), StatusCode::kPermissionDenied);
  r.task = "77_0.0";
  EXPECT_EQ(state_.ApplyReport("n1", r, now_).code(), StatusCode::kNotFound);
  EXPECT_TRUE(state_.TakeMutations().empty());
  EXPECT_EQ(state_.FindJob(id)->status.failed, 0);
}

class QueueLimitTest : public ClusterStateTest {
 protected:
  static DaemonConfig Config() {
    DaemonConfig c;
    scheduler::QueueLimits q;
    q.name = "short";
    q.max_time_s = 3600;
    q.default_time_s = 600;
    q.max_cores_per_job = 2;
    c.scheduler.queues.push_back(q);
    return c;
  }
  QueueLimitTest() : ClusterStateTest(Config()) {}
};

TEST_F(QueueLimitTest, JobsBeyondTheQueueLimitsAreRefusedAtSubmit) {
  Job long_job = MakeJob("long", 1, 0, "short");
  long_job.spec.task.time_limit_s = 7200;
  auto r = state_.SubmitJob(long_job, User("alice", 1000), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnschedulable);
  EXPECT_EQ(r.status().field(), "spec.template.timeLimit") << r.status().ToString();
  Job wide = MakeJob("wide", 1, 0, "short");
  wide.spec.task.resources.cpus = 3;
  r = state_.SubmitJob(wide, User("alice", 1000), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnschedulable) << r.status().ToString();
  EXPECT_TRUE(state_.jobs().empty());
}

TEST_F(QueueLimitTest, AJobWithoutATimeLimitGetsTheQueueDefault) {
  uint64_t id = Submit(MakeJob("quiet", 1, 0, "short"));
  EXPECT_EQ(state_.FindJob(id)->spec.task.time_limit_s, 600);
  uint64_t other = Submit(MakeJob("elsewhere", 1));
  EXPECT_EQ(state_.FindJob(other)->spec.task.time_limit_s, 0) << "other queues are unlimited";
}

class PreemptionTest : public ClusterStateTest {
 protected:
  static DaemonConfig Config() {
    DaemonConfig c;
    scheduler::QueueLimits low;
    low.name = "scavenger";
    low.preempt = scheduler::PreemptMode::kRequeue;
    c.scheduler.queues.push_back(low);
    return c;
  }
  PreemptionTest() : ClusterStateTest(Config()) {}
};

TEST_F(PreemptionTest, RequeuedVictimsRunAgainWithoutCountingAFailure) {
  uint64_t low = Submit(MakeJob("low", 4, /*priority=*/0, "scavenger"));
  Pass();
  ASSERT_EQ(Active(low).size(), 4u);
  for (const Task* t : Active(low)) Report(t, TaskPhase::kRunning);
  uint64_t high = Submit(MakeJob("high", 2, /*priority=*/100));
  auto d = Pass();
  ASSERT_EQ(d.preemptions.size(), 2u) << "the cheapest set: two victims for two tasks";
  EXPECT_TRUE(Active(high).empty()) << "the victims' cores are still busy";
  // A second pass must not pick more victims for the same job.
  EXPECT_TRUE(Pass().preemptions.empty());
  // The victims exit (killed by signal); the high job then starts.
  for (const auto& v : d.preemptions) {
    TaskReport r{.task = v.task, .phase = TaskPhase::kFailed, .signal = 15};
    ASSERT_TRUE(state_.ApplyReport(v.node, r, now_).ok());
    EXPECT_EQ(state_.FindTask(v.task)->status.phase, TaskPhase::kCancelled);
  }
  Pass();
  EXPECT_EQ(Active(high).size(), 2u);
  const Job* victim = state_.FindJob(low);
  EXPECT_EQ(victim->status.failed, 0);
  EXPECT_EQ(victim->status.phase, JobPhase::kRunning);
  EXPECT_EQ(victim->status.failed_indexes_pending.Count(), 2) << "their indexes wait to rerun";
}

class FairShareTest : public ClusterStateTest {
 protected:
  static DaemonConfig Config() {
    DaemonConfig c;
    c.priority = queue::PriorityWeights{};
    c.priority->age = 0;
    c.priority->job_size = 0;
    return c;
  }
  FairShareTest() : ClusterStateTest(Config()) {}
};

TEST_F(FairShareTest, TheUserWhoUsedLessGoesFirst) {
  // alice uses the whole node for an hour.
  uint64_t hog = Submit(MakeJob("hog", 4), User("alice", 1000));
  Pass();
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kRunning);
  now_ += 3'600'000;
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kSucceeded);
  // Then both want the node; bob submitted later but has used nothing.
  uint64_t a = Submit(MakeJob("a", 4), User("alice", 1000));
  now_ += 1000;
  uint64_t b = Submit(MakeJob("b", 4), User("bob", 1001));
  EXPECT_GT(state_.EffectivePriority(*state_.FindJob(b), now_),
            state_.EffectivePriority(*state_.FindJob(a), now_));
  Pass();
  EXPECT_EQ(Active(b).size(), 4u);
  EXPECT_TRUE(Active(a).empty());
}

TEST_F(FairShareTest, AnAccountsUsageWeighsOnItsIdleUsersToo) {
  // alice, in physics, uses the whole node for an hour.
  Job hog_job = MakeJob("hog", 4);
  hog_job.spec.account = "physics";
  uint64_t hog = Submit(hog_job, User("alice", 1000));
  Pass();
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kRunning);
  now_ += 3'600'000;
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kSucceeded);
  // bob (physics) and carol (bio) have used nothing; carol's account neither.
  Job b_job = MakeJob("b", 4);
  b_job.spec.account = "physics";
  uint64_t b = Submit(b_job, User("bob", 1001));
  Job c_job = MakeJob("c", 4);
  c_job.spec.account = "bio";
  now_ += 1000;
  uint64_t c = Submit(c_job, User("carol", 1002));
  EXPECT_GT(state_.EffectivePriority(*state_.FindJob(c), now_),
            state_.EffectivePriority(*state_.FindJob(b), now_));
}

TEST_F(FairShareTest, UsageSurvivesARestartOfDroverd) {
  const std::string path = ::testing::TempDir() + "/fair-share-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  uint64_t hog = Submit(MakeJob("hog", 4), User("alice", 1000));
  Pass();
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kRunning);
  now_ += 3'600'000;
  for (const Task* t : Active(hog)) Report(t, TaskPhase::kSucceeded);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2", Config());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  auto a = reloaded.SubmitJob(MakeJob("a", 1), User("alice", 1000), now_);
  auto b = reloaded.SubmitJob(MakeJob("b", 1), User("bob", 1001), now_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(reloaded.EffectivePriority(**b, now_), reloaded.EffectivePriority(**a, now_))
      << "alice's hour of the node was replayed from the store";
  store->reset();
  std::remove(path.c_str());
}

TEST_F(FairShareTest, AnEndStoredBeforeItsJobCountedItIsCountedOnceAfterARestart) {
  const std::string path = ::testing::TempDir() + "/uncounted-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  uint64_t id = Submit(MakeJob("hog", 2), User("alice", 1000));
  Pass();
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  now_ += 3'600'000;
  // The ends are recorded, and droverd stops before its Job controller runs.
  std::vector<const Task*> tasks = Active(id);
  for (const Task* t : tasks) {
    TaskReport r{.task = t->metadata.name, .phase = TaskPhase::kSucceeded, .exit_code = 0};
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
  }
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kRunning);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());
  ClusterState reloaded("epoch2", Config());
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  reloaded.ReconcileJobs(now_);
  const Job* job = reloaded.FindJob(id);
  EXPECT_EQ(job->status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(job->status.succeeded, 2);
  for (const Task* t : reloaded.TasksOfJob(id)) EXPECT_TRUE(t->status.counted);
  // Counted once: a second reconcile (or restart) adds nothing.
  reloaded.ReconcileJobs(now_);
  EXPECT_EQ(reloaded.FindJob(id)->status.succeeded, 2);
  ASSERT_TRUE((*store)->Commit(reloaded.TakeMutations()).ok());
  ClusterState third("epoch3", Config());
  ASSERT_TRUE(third.Load(**store, now_).ok());
  third.ReconcileJobs(now_);
  EXPECT_EQ(third.FindJob(id)->status.succeeded, 2);
  // alice's core-hours were charged when the ends were counted: bob, with
  // none, goes first.
  auto a = third.SubmitJob(MakeJob("a", 1), User("alice", 1000), now_);
  auto b = third.SubmitJob(MakeJob("b", 1), User("bob", 1001), now_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(third.EffectivePriority(**b, now_), third.EffectivePriority(**a, now_));
  store->reset();
  std::remove(path.c_str());
}

class RetentionTest : public ClusterStateTest {
 protected:
  static DaemonConfig Config() {
    DaemonConfig c;
    c.job_retention_s = 60;
    return c;
  }
  RetentionTest() : ClusterStateTest(Config()) {}

  void Finish(uint64_t id) {
    for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
    ASSERT_EQ(state_.FindJob(id)->status.phase, JobPhase::kSucceeded);
  }
};

TEST_F(RetentionTest, FinishedJobsAndTheirTasksAreForgottenAfterTheRetention) {
  uint64_t id = Submit(MakeJob("frames", 2));
  Pass();
  std::vector<std::string> names;
  for (const Task* t : Active(id)) names.push_back(t->metadata.name);
  Finish(id);
  (void)state_.TakeMutations();
  now_ += 59'000;
  EXPECT_EQ(state_.ForgetExpiredJobs(now_), 0);
  ASSERT_NE(state_.FindJob(id), nullptr);
  now_ += 11'000;  // past the retention, and past the 10 s between sweeps
  EXPECT_EQ(state_.ForgetExpiredJobs(now_), 1);
  EXPECT_EQ(state_.FindJob(id), nullptr);
  for (const std::string& n : names) EXPECT_EQ(state_.FindTask(n), nullptr) << n;
  std::set<std::pair<std::string, std::string>> deletes;
  for (const auto& m : state_.TakeMutations()) {
    if (m.op == db::Mutation::Op::kDelete) deletes.insert({m.kind, m.key});
  }
  EXPECT_EQ(deletes.size(), 3u) << "the job and its two tasks";
  EXPECT_EQ(state_.counters().jobs_by_phase.at(JobPhase::kSucceeded), 0);
}

TEST_F(RetentionTest, AJobSomethingStillDependsOnIsKept) {
  uint64_t first = Submit(MakeJob("first", 1));
  Job later = MakeJob("later", 1);
  later.spec.dependencies = {{"afterany", first}};
  later.spec.hold = true;
  uint64_t second = Submit(later);
  Pass();
  Finish(first);
  now_ += 120'000;
  EXPECT_EQ(state_.ForgetExpiredJobs(now_), 0);
  EXPECT_NE(state_.FindJob(first), nullptr);
  ASSERT_TRUE(state_.SetHold(second, false, User("alice", 1000), now_).ok());
  Pass();
  Finish(second);
  state_.TakeMutations();  // the state loop's batch records them
  now_ += 120'000;
  EXPECT_EQ(state_.ForgetExpiredJobs(now_), 2);
}

}  // namespace
}  // namespace drover::droverd

namespace drover::droverd {
namespace {

TEST_F(ClusterStateTest, AHugeArrayKeepsOnlyItsNewestFinishedTasks) {
  const int64_t frames = 3 * kFinishedTasksKeptPerJob;
  Job job = MakeJob("frames", frames);
  job.spec.parallelism = 4;
  uint64_t id = Submit(job);
  for (int64_t done = 0; done < frames;) {
    Pass();
    std::vector<const Task*> active = Active(id);
    ASSERT_FALSE(active.empty()) << "after " << done << " frames";
    for (const Task* t : active) {
      TaskReport r{.task = t->metadata.name, .phase = TaskPhase::kSucceeded, .exit_code = 0};
      ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
      ++done;
    }
    state_.ReconcileJobs(now_);
    // Never more than twice the bound (compaction happens there), never fewer than the bound.
    EXPECT_LE(state_.TasksOfJob(id).size(), 2 * kFinishedTasksKeptPerJob + 4);
  }
  const Job* finished = state_.FindJob(id);
  EXPECT_EQ(finished->status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(finished->status.succeeded, frames) << "progress is counted, not recounted from tasks";
  auto tasks = state_.TasksOfJob(id);
  EXPECT_GE(tasks.size(), kFinishedTasksKeptPerJob);
  EXPECT_EQ(tasks.back()->spec.index, frames - 1) << "the newest are kept";
  // The forgotten ones leave the store too.
  size_t deletes = 0;
  for (const db::Mutation& m : state_.TakeMutations()) {
    deletes += m.op == db::Mutation::Op::kDelete && m.kind == "task";
  }
  EXPECT_EQ(deletes, frames - tasks.size());
}

}  // namespace
}  // namespace drover::droverd
