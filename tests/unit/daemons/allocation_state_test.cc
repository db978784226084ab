// droverd's state machine over Slurm's batch model: an allocation holds
// cores on every node it spans and launches only its batch script; steps run
// on the allocation's cores and end with it; a lost node requeues the whole
// allocation, never a part of it; an interactive allocation ends when its
// client completes it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>

#include "api/base64.h"
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

// sbatch -N 2 --ntasks-per-node=2 script.sh
Job Allocation(AllocationMode mode = AllocationMode::kBatch) {
  Job j;
  j.metadata.name = "steps";
  j.spec.allocation = {mode, 4};
  j.spec.nodes = 2;
  j.spec.ntasks_per_node = 2;
  j.spec.backoff_limit = 0;
  j.spec.task.command = {"/bin/sh", "script.sh"};
  return j;
}

Caller UserCaller(const std::string& name, uint32_t uid) {
  Caller c;
  c.user = name;
  c.uid = uid;
  c.gid = uid;
  return c;
}

const Caller kAlice = UserCaller("alice", 1000);

std::string EnvOf(const Json& launch, const std::string& key) {
  std::string value;
  for (const Json& kv : launch["env"]) {
    if (kv[0] == key) value = kv[1].get<std::string>();  // the last one wins, as on the node
  }
  return value;
}

class AllocationStateTest : public ::testing::Test {
 protected:
  AllocationStateTest() : state_("epoch") {}

  void SetUp() override {
    ASSERT_TRUE(state_.RegisterNode(MakeNode("n1", 4), now_).ok());
    ASSERT_TRUE(state_.RegisterNode(MakeNode("n2", 4), now_).ok());
  }

  uint64_t Submit(Job job) {
    auto r = state_.SubmitJob(std::move(job), kAlice, now_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)->id : 0;
  }

  void Pass() {
    state_.ReconcileJobs(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    state_.ApplyDecision(scheduler::Schedule(cluster, pending, now_, state_.scheduler_config()),
                         now_);
    state_.ReconcileJobs(now_);
  }

  Json Poll(const std::string& node) {
    Json body;
    NodeChannel* channel = state_.Channel(node);
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

  void Report(const std::string& task, TaskPhase phase, int exit_code = 0) {
    TaskReport r;
    r.task = task;
    r.phase = phase;
    r.exit_code = exit_code;
    r.signal = phase == TaskPhase::kFailed && exit_code == 0 ? 15 : 0;
    const Task* t = state_.FindTask(task);
    ASSERT_NE(t, nullptr) << task;
    ASSERT_TRUE(state_.ApplyReport(t->spec.node, r, now_).ok());
    state_.ReconcileJobs(now_);
  }

  ClusterState::StepRequest Step(int32_t ntasks) {
    ClusterState::StepRequest r;
    r.placement.ntasks = ntasks;
    r.placement.cpus_per_task = 0;
    r.command.command = {"./rank"};
    return r;
  }

  int64_t now_ = 1'000'000;
  ClusterState state_;
};

TEST_F(AllocationStateTest, AnAllocationHoldsEveryNodesCoresAndLaunchesOnlyTheScript) {
  const uint64_t id = Submit(Allocation());
  Pass();
  std::vector<const Task*> parts = Active(id);
  ASSERT_EQ(parts.size(), 2u);
  std::sort(parts.begin(), parts.end(),
            [](const Task* a, const Task* b) { return a->spec.part < b->spec.part; });
  EXPECT_FALSE(parts[0]->spec.placeholder);
  EXPECT_EQ(parts[0]->status.phase, TaskPhase::kAssigned);
  EXPECT_TRUE(parts[1]->spec.placeholder);
  EXPECT_EQ(parts[1]->status.phase, TaskPhase::kRunning);
  EXPECT_NE(parts[0]->spec.node, parts[1]->spec.node);
  for (const auto& [name, node] : state_.nodes()) EXPECT_EQ(node.status.allocated_cpus, 2) << name;
  const Json first = Poll(parts[0]->spec.node);
  ASSERT_EQ(first["launch"].size(), 1u);
  const Json& launch = first["launch"][0];
  EXPECT_EQ(launch["task"], parts[0]->metadata.name);
  EXPECT_EQ(EnvOf(launch, "SLURM_NTASKS"), "4");
  EXPECT_EQ(EnvOf(launch, "SLURM_TASKS_PER_NODE"), "2(x2)");
  EXPECT_EQ(EnvOf(launch, "SLURM_JOB_NODELIST"), "n[1-2]");
  EXPECT_EQ(EnvOf(launch, "SLURM_JOB_NUM_NODES"), "2");
  EXPECT_EQ(Poll(parts[1]->spec.node)["launch"].size(), 0u) << "a placeholder runs nothing";
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kRunning);
  EXPECT_EQ(state_.FindJob(id)->status.active, 1);
}

TEST_F(AllocationStateTest, StepsRunOnTheAllocationsCoresAndEndWithTheScript) {
  const uint64_t id = Submit(Allocation());
  Pass();
  const std::string script = TaskName(id, 0, 0);
  Report(script, TaskPhase::kRunning);
  auto step = state_.CreateStep(id, Step(4), kAlice, now_);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  ASSERT_EQ(step->size(), 4u);
  std::set<std::pair<std::string, int32_t>> cores;
  for (const Task* t : *step) {
    EXPECT_EQ(t->metadata.name, StepTaskName(id, 0, t->spec.step.rank));
    ASSERT_EQ(t->spec.cores.size(), 1u);
    cores.insert({t->spec.node, t->spec.cores[0]});
    // Only cores the allocation holds on that node.
    for (const Task* part : Active(id)) {
      if (part->spec.node != t->spec.node) continue;
      EXPECT_NE(std::find(part->spec.cores.begin(), part->spec.cores.end(), t->spec.cores[0]),
                part->spec.cores.end());
    }
  }
  EXPECT_EQ(cores.size(), 4u) << "every rank has a core of its own";
  // A step's cores are the allocation's: nothing more is held on the nodes.
  for (const auto& [name, node] : state_.nodes()) EXPECT_EQ(node.status.allocated_cpus, 2) << name;
  // The ranks' launches name them.
  std::set<std::string> procids;
  for (const char* node : {"n1", "n2"}) {
    const Json polled = Poll(node);
    for (const Json& l : polled["launch"]) {
      if (l["task"].get<std::string>().find('-') == std::string::npos) continue;
      procids.insert(EnvOf(l, "SLURM_PROCID"));
      EXPECT_EQ(EnvOf(l, "SLURM_STEP_ID"), "0");
      EXPECT_EQ(EnvOf(l, "SLURM_STEP_NUM_TASKS"), "4");
    }
  }
  EXPECT_EQ(procids, (std::set<std::string>{"0", "1", "2", "3"}));
  // The allocation is full: another exclusive step waits; an overlapping one may run.
  EXPECT_EQ(state_.CreateStep(id, Step(1), kAlice, now_).status().code(), StatusCode::kUnavailable);
  ClusterState::StepRequest overlap = Step(1);
  overlap.placement.overlap = true;
  EXPECT_TRUE(state_.CreateStep(id, overlap, kAlice, now_).ok());
  // Someone else may not start steps in alice's allocation.
  const Caller bob = UserCaller("bob", 1001);
  EXPECT_EQ(state_.CreateStep(id, Step(1), bob, now_).status().code(),
            StatusCode::kPermissionDenied);
  // A failed rank stops its step's other ranks.
  for (const Task* t : state_.StepTasksOfJob(id)) Report(t->metadata.name, TaskPhase::kRunning);
  Report(StepTaskName(id, 0, 1), TaskPhase::kFailed, 3);
  for (int32_t r : {0, 2, 3}) {
    EXPECT_TRUE(state_.FindTask(StepTaskName(id, 0, r))->status.terminating) << r;
  }
  EXPECT_FALSE(state_.FindTask(StepTaskName(id, 1, 0))->status.terminating);
  // The script ends: the job succeeds, and the steps still running stop.
  Report(script, TaskPhase::kSucceeded);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kSucceeded);
  EXPECT_TRUE(state_.FindTask(StepTaskName(id, 1, 0))->status.terminating);
  EXPECT_TRUE(Active(id).empty()) << "the placeholder ended with the script";
  EXPECT_EQ(state_.CreateStep(id, Step(1), kAlice, now_).status().code(), StatusCode::kConflict);
}

// An MPI step (srun --mpi=pmix): every rank's launch carries the step's
// layout, in hostlist order; a fence completes when every node of the step
// has sent its share, and then every node gets all of them.
TEST_F(AllocationStateTest, MpiStepFencesGatherEveryNodesShareAndReachEveryNode) {
  const uint64_t id = Submit(Allocation());
  Pass();
  Report(TaskName(id, 0, 0), TaskPhase::kRunning);
  ClusterState::StepRequest request = Step(4);
  request.mpi = "pmix";
  ASSERT_TRUE(state_.CreateStep(id, request, kAlice, now_).ok());
  std::map<std::string, std::set<int64_t>> ranks_by_node;
  for (const char* node : {"n1", "n2"}) {
    const Json polled = Poll(node);  // held: a range-for over a temporary's member dangles
    for (const Json& l : polled["launch"]) {
      if (!l.contains("pmix")) continue;
      EXPECT_EQ(l["pmix"]["jobId"], id);
      EXPECT_EQ(l["pmix"]["stepId"], 0);
      EXPECT_EQ(l["pmix"]["nodelist"], "n[1-2]");
      EXPECT_EQ(l["pmix"]["tasksPerNode"], "2(x2)");
      EXPECT_EQ(EnvOf(l, "SLURM_MPI_TYPE"), "pmix");
      EXPECT_EQ(EnvOf(l, "SLURM_NODEID"), node == std::string("n1") ? "0" : "1");
      ranks_by_node[node].insert(l["pmix"]["rank"].get<int64_t>());
    }
  }
  // Ranks are dealt to nodes in the nodelist's order.
  EXPECT_EQ(ranks_by_node["n1"], (std::set<int64_t>{0, 1}));
  EXPECT_EQ(ranks_by_node["n2"], (std::set<int64_t>{2, 3}));

  ASSERT_TRUE(state_.ContributeFence("n1", id, 0, 0, "n1-share;").ok());
  EXPECT_FALSE(Poll("n1").contains("fences")) << "n2 has not sent its share";
  EXPECT_EQ(state_.ContributeFence("n1", id, 0, 0, "again").code(), StatusCode::kConflict);
  EXPECT_EQ(state_.ContributeFence("n3", id, 0, 0, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(state_.ContributeFence("n1", id, 7, 0, "x").code(), StatusCode::kNotFound);
  ASSERT_TRUE(state_.ContributeFence("n2", id, 0, 0, "n2-share;").ok());
  for (const char* node : {"n1", "n2"}) {
    const Json polled = Poll(node);
    ASSERT_EQ(polled.value("fences", Json::array()).size(), 1u) << node << polled.dump();
    const Json& fence = polled["fences"][0];
    EXPECT_EQ(fence["jobId"], id);
    EXPECT_EQ(fence["stepId"], 0);
    EXPECT_EQ(fence["sequence"], 0);
    EXPECT_EQ(fence["data"], Base64Encode("n1-share;n2-share;"));
  }
  // The next fence starts empty; a rank's end drops the fences it can never finish.
  ASSERT_TRUE(state_.ContributeFence("n2", id, 0, 1, "late").ok());
  for (const Task* t : state_.StepTasksOfJob(id)) Report(t->metadata.name, TaskPhase::kRunning);
  Report(StepTaskName(id, 0, 3), TaskPhase::kSucceeded);
  ASSERT_TRUE(state_.ContributeFence("n2", id, 0, 1, "late").ok()) << "fence 1 was forgotten";
  for (const Task* t : state_.StepTasksOfJob(id)) {
    if (!IsTerminal(t->status.phase)) Report(t->metadata.name, TaskPhase::kSucceeded);
  }
  EXPECT_EQ(state_.ContributeFence("n1", id, 0, 2, "x").code(), StatusCode::kConflict)
      << "the step has ended";
  // A step without PMIx has no layout in its launches.
  ASSERT_TRUE(state_.CreateStep(id, Step(1), kAlice, now_).ok());
  const Json polled = Poll("n1");
  bool seen = false;
  for (const Json& l : polled["launch"]) {
    if (l["task"] == StepTaskName(id, 1, 0)) {
      seen = true;
      EXPECT_FALSE(l.contains("pmix"));
      EXPECT_EQ(EnvOf(l, "SLURM_MPI_TYPE"), "none");
    }
  }
  EXPECT_TRUE(seen);
}

// scancel --signal: steps by default, the batch script with -b, both with
// -f; sent as signal instructions (no kill) to the tasks' nodes.
TEST_F(AllocationStateTest, SignalsReachTheStepsTheScriptOrBothAndChangeNothing) {
  const uint64_t id = Submit(Allocation());
  Pass();
  const std::string script = TaskName(id, 0, 0);
  EXPECT_EQ(state_.SignalJob(id, 10, JobSignalTargets::kSteps, kAlice).status().code(),
            StatusCode::kOk)
      << "a running allocation whose script has not reported yet has nothing running";
  Report(script, TaskPhase::kRunning);
  ASSERT_TRUE(state_.CreateStep(id, Step(2), kAlice, now_).ok());
  for (const Task* t : state_.StepTasksOfJob(id)) Report(t->metadata.name, TaskPhase::kRunning);
  EXPECT_EQ(*state_.SignalJob(id, 10, JobSignalTargets::kSteps, kAlice), 2);
  EXPECT_EQ(*state_.SignalJob(id, 12, JobSignalTargets::kBatch, kAlice), 1);
  EXPECT_EQ(*state_.SignalJob(id, 1, JobSignalTargets::kFull, kAlice), 3);
  std::map<int, std::set<std::string>> signalled;  // signal -> tasks
  for (const char* node : {"n1", "n2"}) {
    const Json polled = Poll(node);
    for (const Json& k : polled["kill"]) {
      ASSERT_TRUE(k.contains("signal")) << "a signal is never a kill: " << k.dump();
      signalled[k["signal"].get<int>()].insert(k["task"].get<std::string>());
    }
  }
  const std::set<std::string> steps = {StepTaskName(id, 0, 0), StepTaskName(id, 0, 1)};
  EXPECT_EQ(signalled[10], steps);
  EXPECT_EQ(signalled[12], std::set<std::string>{script});
  std::set<std::string> all = steps;
  all.insert(script);
  EXPECT_EQ(signalled[1], all);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kRunning);
  for (const Task* t : state_.StepTasksOfJob(id)) EXPECT_FALSE(t->status.terminating);
  // Bad input and the wrong caller change nothing.
  EXPECT_EQ(state_.SignalJob(id, 0, JobSignalTargets::kSteps, kAlice).status().field(), "signal");
  EXPECT_EQ(
      state_.SignalJob(id, 10, JobSignalTargets::kSteps, UserCaller("bob", 1001)).status().code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(state_.SignalJob(id + 100, 10, JobSignalTargets::kSteps, kAlice).status().code(),
            StatusCode::kNotFound);
  Report(script, TaskPhase::kSucceeded);
  EXPECT_EQ(state_.SignalJob(id, 10, JobSignalTargets::kFull, kAlice).status().code(),
            StatusCode::kConflict);
}

TEST_F(AllocationStateTest, ALostNodeRequeuesTheWholeAllocation) {
  const uint64_t id = Submit(Allocation());
  Pass();
  const std::string script = TaskName(id, 0, 0);
  Report(script, TaskPhase::kRunning);
  const std::string lost_node = state_.FindTask(script)->spec.node == "n1" ? "n2" : "n1";
  const std::string live_node = lost_node == "n1" ? "n2" : "n1";
  now_ += 31'000;
  ASSERT_TRUE(state_.Heartbeat(live_node, now_).ok());
  state_.ReconcileNodes(now_, 30'000);
  state_.ReconcileJobs(now_);
  // The placeholder went with its node; the script is stopped to run again.
  EXPECT_TRUE(state_.FindTask(script)->status.terminating);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kRunning);
  Report(script, TaskPhase::kFailed);  // killed
  EXPECT_EQ(state_.FindTask(script)->status.phase, TaskPhase::kCancelled);
  EXPECT_EQ(state_.FindJob(id)->status.failed, 0);
  // Until the node returns, a 2-node allocation cannot start again ...
  Pass();
  EXPECT_TRUE(Active(id).empty());
  // ... then it does, whole, as attempt 1 (SLURM_RESTART_COUNT=1).
  ASSERT_TRUE(state_.RegisterNode(MakeNode(lost_node, 4), now_).ok());
  Pass();
  ASSERT_EQ(Active(id).size(), 2u);
  for (const Task* t : Active(id)) EXPECT_EQ(t->spec.attempt, 1);
  const Task* again = state_.FindTask(TaskName(id, 0, 1));
  ASSERT_NE(again, nullptr);
  Json launch;
  const Json polled = Poll(again->spec.node);  // kept: the loop reads into it
  for (const Json& l : polled["launch"]) {
    if (l["task"] == again->metadata.name) launch = l;
  }
  EXPECT_EQ(EnvOf(launch, "SLURM_RESTART_COUNT"), "1");
}

// scontrol requeue: the whole allocation stops, its steps with it, and runs
// again from the start as the next attempt; not a failure.
TEST_F(AllocationStateTest, RequeueStopsTheWholeAllocationAndRunsItAgain) {
  const uint64_t id = Submit(Allocation());
  EXPECT_EQ(state_.RequeueJob(id, kAlice).code(), StatusCode::kConflict) << "pending";
  Pass();
  const std::string script = TaskName(id, 0, 0);
  Report(script, TaskPhase::kRunning);
  ASSERT_TRUE(state_.CreateStep(id, Step(2), kAlice, now_).ok());
  EXPECT_EQ(state_.RequeueJob(id, UserCaller("bob", 1001)).code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(state_.RequeueJob(id, kAlice).ok());
  EXPECT_TRUE(state_.FindTask(script)->status.terminating);
  Report(script, TaskPhase::kFailed);  // killed
  for (const Task* t : state_.StepTasksOfJob(id)) {
    EXPECT_TRUE(t->status.terminating || IsTerminal(t->status.phase)) << t->metadata.name;
  }
  EXPECT_EQ(state_.FindTask(script)->status.phase, TaskPhase::kCancelled);
  EXPECT_EQ(state_.FindJob(id)->status.failed, 0) << "a requeue is not a failure";
  Pass();
  ASSERT_EQ(Active(id).size(), 2u);
  for (const Task* t : Active(id)) EXPECT_EQ(t->spec.attempt, 1);
  Job no_requeue = Allocation();
  no_requeue.spec.requeue = false;
  const uint64_t other = Submit(no_requeue);
  EXPECT_EQ(state_.RequeueJob(other, kAlice).code(), StatusCode::kConflict);
  EXPECT_EQ(state_.RequeueJob(999, kAlice).code(), StatusCode::kNotFound);
}

TEST_F(AllocationStateTest, ALostNodeFailsAnAllocationThatMayNotBeRequeued) {
  Job job = Allocation();
  job.spec.requeue = false;
  const uint64_t id = Submit(job);
  Pass();
  const std::string script = TaskName(id, 0, 0);
  Report(script, TaskPhase::kRunning);
  const std::string live_node = state_.FindTask(script)->spec.node;
  now_ += 31'000;
  ASSERT_TRUE(state_.Heartbeat(live_node, now_).ok());
  state_.ReconcileNodes(now_, 30'000);
  state_.ReconcileJobs(now_);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kFailed);
  EXPECT_NE(state_.FindJob(id)->status.message.find("was lost with its node"), std::string::npos)
      << state_.FindJob(id)->status.message;
  EXPECT_TRUE(state_.FindTask(script)->status.terminating);
}

TEST_F(AllocationStateTest, AnInteractiveAllocationRunsNothingAndEndsWhenCompleted) {
  const uint64_t id = Submit(Allocation(AllocationMode::kInteractive));
  Pass();
  ASSERT_EQ(Active(id).size(), 2u);
  for (const Task* t : Active(id)) EXPECT_TRUE(t->spec.placeholder);
  EXPECT_EQ(Poll("n1")["launch"].size(), 0u);
  EXPECT_EQ(Poll("n2")["launch"].size(), 0u);
  auto step = state_.CreateStep(id, Step(2), kAlice, now_);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  ASSERT_TRUE(state_.CompleteAllocation(id, 2, kAlice, now_).ok());
  state_.ReconcileJobs(now_);
  EXPECT_EQ(state_.FindJob(id)->status.phase, JobPhase::kFailed);
  EXPECT_TRUE(Active(id).empty());
  for (const Task* t : *step) EXPECT_TRUE(t->status.terminating);
  // For nodes it is as if nothing ran: all cores free again.
  for (const auto& [name, node] : state_.nodes()) EXPECT_EQ(node.status.allocated_cpus, 0) << name;
  EXPECT_EQ(state_.CompleteAllocation(Submit(Allocation()), 0, kAlice, now_).code(),
            StatusCode::kConflict)
      << "a batch allocation ends with its script";
}

// droverd restarts with an allocation running a step and another stopping:
// the reloaded state relaunches what no node confirmed with the right
// launches, and a placeholder that was being stopped still ends.
TEST_F(AllocationStateTest, ARestartedDroverdKeepsAllocationsAndStepsWhole) {
  const std::string path = ::testing::TempDir() + "/allocation-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  auto store = db::OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const uint64_t running = Submit(Allocation());
  Pass();
  Report(TaskName(running, 0, 0), TaskPhase::kRunning);
  ASSERT_TRUE(state_.CreateStep(running, Step(4), kAlice, now_).ok());
  // A second allocation whose script already ended: its placeholder is stopping.
  Job small = Allocation();
  small.spec.allocation.tasks = 2;
  small.spec.nodes = 2;
  small.spec.ntasks_per_node = 1;
  const uint64_t ending = Submit(small);
  Pass();
  ASSERT_EQ(Active(ending).size(), 2u);
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());

  ClusterState reloaded("epoch2");
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  EXPECT_EQ(reloaded.StepTasksOfJob(running).size(), 4u);
  // The unconfirmed launches are sent again, each as what it is.
  std::set<std::string> relaunched;
  for (const char* node : {"n1", "n2"}) {
    Json body;
    NodeChannel* channel = reloaded.Channel(node);
    ASSERT_NE(channel, nullptr);
    channel->Wait(0, now_, [&body](HttpResponse r) { body = Json::parse(r.body); });
    channel->Flush("epoch2", now_, UINT64_MAX);
    for (const Json& l : body["launch"]) {
      const std::string task = l["task"].get<std::string>();
      relaunched.insert(task);
      if (task.find('-') != std::string::npos) {
        EXPECT_EQ(EnvOf(l, "SLURM_STEP_ID"), "0") << task;
      } else {
        EXPECT_EQ(EnvOf(l, "SLURM_TASKS_PER_NODE"),
                  task.rfind(std::to_string(running), 0) == 0 ? "2(x2)" : "1(x2)")
            << task;
      }
    }
  }
  for (int32_t r = 0; r < 4; ++r) EXPECT_EQ(relaunched.count(StepTaskName(running, 0, r)), 1u);
  EXPECT_EQ(relaunched.count(TaskName(ending, 0, 0)), 1u);
  // The second script ends after the restart; its placeholder goes with it.
  TaskReport done;
  done.task = TaskName(ending, 0, 0);
  done.phase = TaskPhase::kSucceeded;
  done.exit_code = 0;
  ASSERT_TRUE(reloaded.ApplyReport(reloaded.FindTask(done.task)->spec.node, done, now_).ok());
  reloaded.ReconcileJobs(now_);
  EXPECT_EQ(reloaded.FindJob(ending)->status.phase, JobPhase::kSucceeded);
  for (const Task* t : reloaded.TasksOfJob(ending)) {
    EXPECT_TRUE(IsTerminal(t->status.phase)) << t->metadata.name;
  }
  // And a placeholder stopping when droverd went down ends once it is back.
  const Task* part = nullptr;
  for (const Task* t : reloaded.TasksOfJob(running)) {
    if (t->spec.placeholder) part = t;
  }
  ASSERT_NE(part, nullptr);
  Task stopping = *part;
  stopping.status.terminating = true;
  ASSERT_TRUE(
      (*store)
          ->Commit({db::Mutation::Put("task", stopping.metadata.name, DumpJson(ToJson(stopping)))})
          .ok());
  ClusterState again("epoch3");
  ASSERT_TRUE(again.Load(**store, now_).ok());
  again.ReconcileJobs(now_);
  EXPECT_TRUE(IsTerminal(again.FindTask(stopping.metadata.name)->status.phase));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drover::droverd
