// Preemption: the cheapest sufficient victim set, never for a job that would
// still not fit, never of equal or higher priority, deterministic, and the
// invariants of a pass hold with it (randomized).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>

#include "scheduler/schedule.h"
#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;
using testing::MakeJob;
using testing::MakeNode;

constexpr int64_t kNow = 10'000'000;

// A running task of `cores` on `node`, started `age_s` ago, in queue "low".
RunningTask Running(ClusterSnapshot& c, uint64_t job, const std::string& node,
                    std::vector<int32_t> cores, int32_t priority, int64_t age_s,
                    std::string queue = "low") {
  RunningTask t;
  t.job_id = job;
  t.task = "job-" + std::to_string(job) + "-" + node + "-" + std::to_string(cores.front());
  t.node = node;
  t.cores = std::move(cores);
  t.priority = priority;
  t.queue = std::move(queue);
  t.start_ms = kNow - age_s * 1000;
  t.expected_end_ms = 0;
  for (NodeSnapshot& n : c.nodes) {
    if (n.name != node) continue;
    for (int32_t core : t.cores) n.core_busy[core] = true;
  }
  c.running.push_back(t);
  return t;
}

SchedulerConfig Preempting(PreemptMode low = PreemptMode::kRequeue,
                           PreemptMode other = PreemptMode::kCancel) {
  SchedulerConfig config;
  QueueLimits q;
  q.name = "low";
  q.preempt = low;
  config.queues.push_back(q);
  q.name = "scavenger";
  q.preempt = other;
  config.queues.push_back(q);
  q.name = "high";
  q.preempt = PreemptMode::kOff;
  config.queues.push_back(q);
  return config;
}

std::set<uint64_t> VictimJobs(const Decision& d) {
  std::set<uint64_t> out;
  for (const Preemption& p : d.preemptions) out.insert(p.job_id);
  return out;
}

TEST(PreemptionTest, OffByDefault) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  Running(c, 100, "n1", {0, 1}, 0, 60);
  Decision d = Schedule(c, {MakeJob(1, 1, 1, false, 10)}, kNow);
  EXPECT_TRUE(d.preemptions.empty());
  EXPECT_TRUE(d.after_preemption.empty());
  ASSERT_EQ(d.pending.size(), 1u);
}

TEST(PreemptionTest, TakesTheLowestPriorityThenTheLeastWorkLost) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  Running(c, 100, "n1", {0}, 1, 3600);          // low priority, an hour of work
  Running(c, 101, "n1", {1}, 1, 60);            // low priority, a minute: the cheapest
  Running(c, 102, "n1", {2}, 0, 7200, "high");  // lowest priority, but its queue is off
  Running(c, 103, "n1", {3}, 5, 10);            // higher priority
  Decision d = Schedule(c, {MakeJob(1, 1, 1, false, 10)}, kNow, Preempting());
  ASSERT_EQ(d.preemptions.size(), 1u);
  EXPECT_EQ(d.preemptions[0].job_id, 101u);
  EXPECT_EQ(d.preemptions[0].task, "job-101-n1-1");
  EXPECT_EQ(d.preemptions[0].node, "n1");
  EXPECT_EQ(d.preemptions[0].cores, std::vector<int32_t>{1});
  EXPECT_EQ(d.preemptions[0].mode, PreemptMode::kRequeue);
  EXPECT_EQ(d.preemptions[0].preemptor, 1u);
  EXPECT_TRUE(d.placements.empty()) << "cores of a victim are not free yet";
  ASSERT_EQ(d.after_preemption.size(), 1u);
  EXPECT_EQ(d.after_preemption[0].job_id, 1u);
  EXPECT_EQ(d.after_preemption[0].cores, std::vector<int32_t>{1});
  ASSERT_EQ(d.pending.size(), 1u);
  EXPECT_EQ(d.pending[0].reasons, std::vector<PendingReason>{PendingReason::kResources});
  EXPECT_EQ(d.pending[0].estimated_start_ms, kNow);
}

TEST(PreemptionTest, SparesEveryVictimTheJobCanDoWithout) {
  // n1: X (1 core, cheapest) next to a protected task; n2: Y (2 cores). A job
  // needing 2 cores on one node frees X first, then Y — and X is not needed.
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  c.nodes.push_back(MakeNode("n2", 1, 1, 2));
  Running(c, 100, "n1", {0}, 1, 10);
  Running(c, 101, "n1", {1}, 50, 10);
  Running(c, 102, "n2", {0, 1}, 2, 10);
  Decision d = Schedule(c, {MakeJob(1, 1, 2, false, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{102});
  ASSERT_EQ(d.after_preemption.size(), 1u);
  EXPECT_EQ(d.after_preemption[0].node, "n2");
}

TEST(PreemptionTest, NeverPreemptsForAJobThatWouldStillNotFit) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  c.nodes.push_back(MakeNode("n2", 1, 1, 4));
  Running(c, 100, "n1", {0, 1, 2, 3}, 0, 10);
  Running(c, 101, "n2", {0, 1}, 0, 10);
  Running(c, 102, "n2", {2, 3}, 9, 10, "high");  // not preemptible
  // A 6-core task: no node has 6 cores. A gang of 7 one-core tasks: 6 at most.
  Decision d =
      Schedule(c, {MakeJob(1, 1, 6, false, 10), MakeJob(2, 7, 1, true, 10)}, kNow, Preempting());
  EXPECT_TRUE(d.preemptions.empty());
  EXPECT_TRUE(d.after_preemption.empty());
  EXPECT_EQ(d.pending.size(), 2u);
  // A gang of 6 fits once both low jobs go.
  d = Schedule(c, {MakeJob(2, 6, 1, true, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), (std::set<uint64_t>{100, 101}));
  EXPECT_EQ(d.after_preemption.size(), 6u);
}

TEST(PreemptionTest, NeverPreemptsEqualOrHigherPriority) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  Running(c, 100, "n1", {0}, 10, 10);
  Running(c, 101, "n1", {1}, 11, 10);
  Decision d = Schedule(c, {MakeJob(1, 1, 1, false, 10)}, kNow, Preempting());
  EXPECT_TRUE(d.preemptions.empty());
  EXPECT_TRUE(d.after_preemption.empty());
}

TEST(PreemptionTest, AGangVictimGoesWhole) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  c.nodes.push_back(MakeNode("n2", 1, 1, 2));
  RunningTask a = Running(c, 100, "n1", {0, 1}, 0, 10, "scavenger");
  RunningTask b = Running(c, 100, "n2", {0, 1}, 0, 10, "scavenger");
  for (RunningTask& t : c.running) t.gang = true;
  Decision d = Schedule(c, {MakeJob(1, 1, 1, false, 10)}, kNow, Preempting());
  ASSERT_EQ(d.preemptions.size(), 2u) << "one task of a gang takes its whole job";
  EXPECT_EQ(d.preemptions[0].mode, PreemptMode::kCancel);
  EXPECT_EQ(d.after_preemption.size(), 1u);
}

TEST(PreemptionTest, LaterJobsDoNotStartOnAVictimsCoresThisPass) {
  // The victim frees 4 cores; the preemptor takes 2. A lower job (which may
  // not preempt anyone) fits in the other 2: it must not start now (they are
  // busy until the victim exits) but may count on them like the preemptor.
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  Running(c, 100, "n1", {0, 1, 2, 3}, 0, 10);
  Decision d =
      Schedule(c, {MakeJob(1, 1, 2, false, 10), MakeJob(2, 1, 2, false, 0)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{100});
  EXPECT_EQ(d.preemptions.size(), 1u);
  EXPECT_TRUE(d.placements.empty());
  ASSERT_EQ(d.after_preemption.size(), 2u);
  EXPECT_EQ(d.after_preemption[0].job_id, 1u);
  EXPECT_EQ(d.after_preemption[1].job_id, 2u);
  ASSERT_EQ(d.pending.size(), 2u);
  // A third job finds nothing left: it waits, and no new victim is chosen.
  d = Schedule(
      c, {MakeJob(1, 1, 2, false, 10), MakeJob(2, 1, 2, false, 0), MakeJob(3, 1, 1, false, 10)},
      kNow, Preempting());
  EXPECT_EQ(d.preemptions.size(), 1u);
  EXPECT_EQ(d.after_preemption.size(), 2u);
  EXPECT_EQ(d.pending.size(), 3u);
}

TEST(PreemptionTest, TerminatingTasksAreReliedOnWithoutNewVictims) {
  // Pass 2 of a preemption: the victim is being killed. The job relies on its
  // cores again and nothing else is preempted.
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  Running(c, 100, "n1", {0}, 0, 10);
  Running(c, 101, "n1", {1}, 0, 10);
  c.running[0].terminating = true;
  Decision d = Schedule(c, {MakeJob(1, 1, 1, false, 10)}, kNow, Preempting());
  EXPECT_TRUE(d.preemptions.empty());
  ASSERT_EQ(d.after_preemption.size(), 1u);
  EXPECT_EQ(d.after_preemption[0].cores, std::vector<int32_t>{0});
}

TEST(PreemptionTest, TheSameInputGivesTheSameVictims) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 8));
  for (int32_t core = 0; core < 8; ++core) Running(c, 100 + core, "n1", {core}, core % 3, 10);
  std::vector<PendingJob> jobs = {MakeJob(1, 3, 1, true, 10), MakeJob(2, 2, 1, false, 2)};
  Decision a = Schedule(c, jobs, kNow, Preempting());
  Decision b = Schedule(c, jobs, kNow, Preempting());
  ASSERT_EQ(a.preemptions.size(), b.preemptions.size());
  for (size_t i = 0; i < a.preemptions.size(); ++i) {
    EXPECT_EQ(a.preemptions[i].task, b.preemptions[i].task);
  }
  // Job 1 takes the three cheapest (priority 0: cores 0, 3, 6); job 2 (priority
  // 2) may only take priority 0-1 tasks: two of cores 1, 4, 7 (priority 1).
  EXPECT_EQ(a.preemptions.size(), 5u);
}

// The victims' job ids, with the nodes the job was placed on after them.
std::multiset<std::string> AfterNodes(const Decision& d) {
  std::multiset<std::string> out;
  for (const TaskPlacement& p : d.after_preemption) out.insert(p.node);
  return out;
}

TEST(PreemptionTest, PrefersOneVictimOnOneNodeToCheaperVictimsOnTwoNodes) {
  // Two one-core tasks. Greedy frees the two least costly tasks, on n1 and n2
  // (protected neighbours keep each of those nodes to one free core); one
  // victim on n3 is enough: fewer victims beats less work lost.
  ClusterSnapshot c;
  for (const char* name : {"n1", "n2", "n3"}) c.nodes.push_back(MakeNode(name, 1, 1, 2));
  Running(c, 100, "n1", {0}, 0, 10);
  Running(c, 110, "n1", {1}, 50, 10);
  Running(c, 101, "n2", {0}, 0, 10);
  Running(c, 111, "n2", {1}, 50, 10);
  Running(c, 102, "n3", {0, 1}, 0, 100);
  Decision d = Schedule(c, {MakeJob(1, 2, 1, false, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{102});
  EXPECT_EQ(AfterNodes(d), (std::multiset<std::string>{"n3", "n3"}));
}

// n1: A (priority 0) + X (2); n2: B (0) + Y (2); n3: Z (2, two cores). A
// two-core task needs X or Y or Z at priority 2; greedy frees A, B, then X
// and keeps A. Z alone has the same top priority and a lower priority sum.
ClusterSnapshot TwoOnOneNodeOrOneOnAnother() {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  c.nodes.push_back(MakeNode("n2", 1, 1, 2));
  c.nodes.push_back(MakeNode("n3", 1, 1, 3));
  Running(c, 100, "n1", {0}, 0, 10);
  Running(c, 101, "n1", {1}, 2, 10);
  Running(c, 102, "n2", {0}, 0, 10);
  Running(c, 103, "n2", {1}, 2, 20);
  Running(c, 104, "n3", {0, 1}, 2, 30);
  return c;
}

TEST(PreemptionTest, PicksTheNodeWithTheLowerPrioritySumAtTheSameTopPriority) {
  ClusterSnapshot c = TwoOnOneNodeOrOneOnAnother();
  Decision d = Schedule(c, {MakeJob(1, 1, 2, false, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{104});
  EXPECT_EQ(AfterNodes(d), std::multiset<std::string>{"n3"});
}

TEST(PreemptionTest, SparesEveryVictimOnTheChosenNodeItCanDoWithout) {
  // As above, and n3's third core runs R (priority 2, much work to lose). On
  // n3 every candidate is freed first; R is then given back (most expensive
  // first) because Z alone makes room.
  ClusterSnapshot c = TwoOnOneNodeOrOneOnAnother();
  Running(c, 105, "n3", {2}, 2, 1000);
  Decision d = Schedule(c, {MakeJob(1, 1, 2, false, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{104});
  ASSERT_EQ(d.after_preemption.size(), 1u);
  EXPECT_EQ(d.after_preemption[0].node, "n3");
  EXPECT_EQ(d.after_preemption[0].cores, (std::vector<int32_t>{0, 1}));
}

TEST(PreemptionTest, TheLowestTopPriorityComesBeforeFewerVictims) {
  // One priority-3 victim on n1, or two priority-1 victims on n2: n2.
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  c.nodes.push_back(MakeNode("n2", 1, 1, 2));
  Running(c, 100, "n1", {0, 1}, 3, 10);
  Running(c, 101, "n2", {0}, 1, 10);
  Running(c, 102, "n2", {1}, 1, 10);
  Decision d = Schedule(c, {MakeJob(1, 1, 2, false, 10)}, kNow, Preempting());
  EXPECT_EQ(VictimJobs(d), (std::set<uint64_t>{101, 102}));
}

TEST(PreemptionTest, EqualNodesGoToTheLowerIndexEveryTime) {
  // n2 and n3 each have one victim that would do, at the same cost: n2, the
  // first in the snapshot, in every run.
  ClusterSnapshot c;
  for (const char* name : {"n1", "n2", "n3"}) c.nodes.push_back(MakeNode(name, 1, 1, 2));
  Running(c, 100, "n1", {0}, 0, 10);
  Running(c, 101, "n1", {1}, 2, 10);
  Running(c, 102, "n2", {0, 1}, 2, 30);
  Running(c, 103, "n3", {0, 1}, 2, 30);
  const std::vector<PendingJob> jobs = {MakeJob(1, 1, 2, false, 10)};
  const Decision first = Schedule(c, jobs, kNow, Preempting());
  EXPECT_EQ(VictimJobs(first), std::set<uint64_t>{102});
  for (int run = 0; run < 3; ++run) {
    const Decision d = Schedule(c, jobs, kNow, Preempting());
    ASSERT_EQ(d.preemptions.size(), first.preemptions.size());
    for (size_t i = 0; i < d.preemptions.size(); ++i) {
      EXPECT_EQ(d.preemptions[i].task, first.preemptions[i].task);
    }
    ASSERT_EQ(d.after_preemption.size(), first.after_preemption.size());
    for (size_t i = 0; i < d.after_preemption.size(); ++i) {
      EXPECT_EQ(d.after_preemption[i].node, first.after_preemption[i].node);
      EXPECT_EQ(d.after_preemption[i].cores, first.after_preemption[i].cores);
    }
  }
}

TEST(PreemptionTest, AJobThatNeedsVictimsOnTwoNodesStillGetsEveryTaskThatFits) {
  // Two two-core tasks; each node's victim makes room for one. One node's
  // victims would be cheaper but place fewer tasks: the target (as many as
  // fit with every candidate freed) comes first, for a gang and for a job
  // that is not one.
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  c.nodes.push_back(MakeNode("n2", 1, 1, 2));
  Running(c, 100, "n1", {0, 1}, 0, 10);
  Running(c, 101, "n2", {0, 1}, 1, 10);
  for (bool gang : {false, true}) {
    SCOPED_TRACE(gang ? "gang" : "not a gang");
    Decision d = Schedule(c, {MakeJob(1, 2, 2, gang, 10)}, kNow, Preempting());
    EXPECT_EQ(VictimJobs(d), (std::set<uint64_t>{100, 101}));
    EXPECT_EQ(AfterNodes(d), (std::multiset<std::string>{"n1", "n2"}));
  }
}

TEST(PreemptionTest, ReservationsOfHigherJobsStillBindTheChosenNode) {
  // Job 9 (four cores on one node) is reserved n1 from +100 s, when the
  // protected task there and C (priority 0) have ended. Job 1 runs without a
  // limit, so it may take nothing of n1 now: C, the cheapest victim, would
  // delay job 9. D (priority 1) on n3 goes instead.
  ClusterSnapshot c;
  for (const char* name : {"n1", "n2", "n3"}) c.nodes.push_back(MakeNode(name, 1, 1, 4));
  Running(c, 200, "n1", {0, 1}, 0, 10, "high");
  c.running.back().expected_end_ms = kNow + 100'000;
  Running(c, 100, "n1", {2}, 0, 10);
  c.running.back().expected_end_ms = kNow + 50'000;
  Running(c, 201, "n2", {0, 1, 2, 3}, 0, 10, "high");
  Running(c, 101, "n3", {0}, 1, 10);
  Running(c, 202, "n3", {1, 2, 3}, 0, 10, "high");
  Decision d =
      Schedule(c, {MakeJob(9, 1, 4, false, 20), MakeJob(1, 1, 1, false, 10)}, kNow, Preempting());
  ASSERT_EQ(d.reservations.size(), 1u);
  EXPECT_EQ(d.reservations[0].job_id, 9u);
  EXPECT_EQ(d.reservations[0].node, "n1");
  EXPECT_EQ(VictimJobs(d), std::set<uint64_t>{101});
  EXPECT_EQ(AfterNodes(d), std::multiset<std::string>{"n3"});
}

// A reference for one job on a random cluster: the greedy minimal set and
// each node's minimal set (every candidate with a task there freed, then
// spared most expensive first), costed by (top priority, shifted priority
// sum, tasks, work lost, -earliest top-priority start); the greedy set keeps
// ties, nodes are tried in snapshot order. A victim unit is a task, or every
// task of a running gang (some span two nodes). "Fits" is asked of Schedule
// without preemption on a copy of the cluster with those tasks gone, so the
// reference shares no code with the Preemptor beyond placement.
TEST(PreemptionTest, VictimsMatchAReferenceOfGreedyAndPerNodeSetsOnRandomClusters) {
  const SchedulerConfig config = Preempting();
  int preempted = 0, per_node_won = 0, gang_victims = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    ClusterSnapshot c;
    const int nodes = 1 + static_cast<int>(rng() % 5);
    uint64_t next_running = 1000;
    for (int n = 0; n < nodes; ++n) {
      c.nodes.push_back(MakeNode("n" + std::to_string(n), 1, 1, 2 + rng() % 3, 16 * kGiB));
      const int cores = static_cast<int>(c.nodes.back().core_busy.size());
      for (int core = 0; core < cores;) {
        const int width = std::min<int>(cores - core, 1 + static_cast<int>(rng() % 2));
        if (rng() % 5 == 0) {
          core += width;
          continue;
        }
        std::vector<int32_t> held;
        for (int k = 0; k < width; ++k) held.push_back(core + k);
        const char* queue = rng() % 4 == 0 ? "high" : "low";
        Running(c, next_running++, c.nodes.back().name, held, static_cast<int32_t>(rng() % 4),
                static_cast<int64_t>(1 + rng() % 4) * 100, queue);
        c.running.back().terminating = rng() % 12 == 0;
        c.running.back().memory_bytes = kGiB;
        c.nodes.back().memory_free_bytes -= kGiB;
        core += width;
      }
    }
    // Some neighbours (often on two nodes) become the two tasks of one gang.
    for (size_t i = 0; i + 1 < c.running.size(); ++i) {
      RunningTask &a = c.running[i], &b = c.running[i + 1];
      if (rng() % 5 != 0 || a.gang || a.terminating || b.terminating) continue;
      b.job_id = a.job_id;
      b.priority = a.priority;
      b.queue = a.queue;
      a.gang = b.gang = true;
      ++i;
    }
    PendingJob job = MakeJob(1, 1 + rng() % 3, 1 + rng() % 2, rng() % 2 == 0, 2 + rng() % 3);
    job.memory_per_task = static_cast<int64_t>(rng() % 2) * kGiB;
    const Decision d = Schedule(c, {job}, kNow, config);

    // The pool the preemptor saw: free placements taken, terminating tasks given.
    ClusterSnapshot base = c;
    base.running.clear();
    auto node_of = [&](const std::string& name) -> NodeSnapshot& {
      for (NodeSnapshot& n : base.nodes) {
        if (n.name == name) return n;
      }
      throw std::logic_error("no node " + name);
    };
    for (const TaskPlacement& p : d.placements) {
      for (int32_t core : p.cores) node_of(p.node).core_busy[core] = true;
      node_of(p.node).memory_free_bytes -= p.memory_bytes;
    }
    auto give = [&](ClusterSnapshot& s, const RunningTask& t) {
      for (NodeSnapshot& n : s.nodes) {
        if (n.name != t.node) continue;
        for (int32_t core : t.cores) n.core_busy[core] = false;
        n.memory_free_bytes += t.memory_bytes;
      }
    };
    // Candidate units (indexes of their tasks), cheapest first.
    std::map<uint64_t, std::vector<size_t>> by_job;
    for (size_t i = 0; i < c.running.size(); ++i) {
      const RunningTask& t = c.running[i];
      if (t.terminating) give(base, t);
      if (!t.terminating && t.queue != "high" && t.priority < job.priority) {
        by_job[t.job_id].push_back(i);
      }
    }
    using Unit = std::vector<size_t>;
    std::vector<Unit> units;
    for (auto& [id, tasks] : by_job) units.push_back(tasks);
    auto lost = [&](const Unit& u) {
      int64_t sum = 0;
      for (size_t i : u) {
        sum += static_cast<int64_t>(c.running[i].cores.size()) * (kNow - c.running[i].start_ms);
      }
      return sum;
    };
    auto start = [&](const Unit& u) {
      int64_t latest = 0;
      for (size_t i : u) latest = std::max(latest, c.running[i].start_ms);
      return latest;
    };
    std::sort(units.begin(), units.end(), [&](const Unit& a, const Unit& b) {
      const RunningTask &x = c.running[a[0]], &y = c.running[b[0]];
      return std::make_tuple(x.priority, lost(a), -start(a), x.job_id) <
             std::make_tuple(y.priority, lost(b), -start(b), y.job_id);
    });
    PendingJob rest = job;
    rest.tasks_wanted = job.tasks_wanted - static_cast<int64_t>(d.placements.size());
    auto how_many = [&](const std::vector<Unit>& freed) {
      ClusterSnapshot s = base;
      for (const Unit& u : freed) {
        for (size_t i : u) give(s, c.running[i]);
      }
      return static_cast<int64_t>(Schedule(s, {rest}, kNow).placements.size());
    };
    if (rest.tasks_wanted == 0) {
      EXPECT_TRUE(d.preemptions.empty());
      continue;
    }
    int64_t target = how_many(units);
    if (job.gang && target < rest.tasks_wanted) target = 0;
    if (target == 0) {
      EXPECT_TRUE(d.preemptions.empty());
      EXPECT_TRUE(d.after_preemption.empty());
      continue;
    }
    auto fits = [&](const std::vector<Unit>& freed) { return how_many(freed) >= target; };
    // Spares every freed unit it can, most expensive first.
    auto minimal = [&](std::vector<Unit> freed) {
      for (size_t k = freed.size(); k-- > 0;) {
        std::vector<Unit> without = freed;
        without.erase(without.begin() + static_cast<std::ptrdiff_t>(k));
        if (fits(without)) freed = without;
      }
      return freed;
    };
    using Cost = std::tuple<int32_t, int64_t, int64_t, int64_t, int64_t>;
    auto cost = [&](const std::vector<Unit>& set) {
      int32_t top = std::numeric_limits<int32_t>::min();
      int64_t sum = 0, tasks = 0, all_lost = 0, top_start = 0;
      for (size_t k = 0; k < set.size(); ++k) {
        const int32_t priority = c.running[set[k][0]].priority;
        const int64_t n = static_cast<int64_t>(set[k].size());
        sum += n * (int64_t{priority} - std::numeric_limits<int32_t>::min());
        tasks += n;
        all_lost += lost(set[k]);
        if (k == 0 || priority > top) {
          top = priority;
          top_start = start(set[k]);
        } else if (priority == top) {
          top_start = std::min(top_start, start(set[k]));
        }
      }
      return Cost{top, sum, tasks, all_lost, -top_start};
    };
    std::vector<Unit> greedy;
    for (size_t k = 0; !fits(greedy); ++k) greedy.push_back(units.at(k));
    std::vector<Unit> best = minimal(greedy);
    if (!best.empty()) {
      const Cost greedy_cost = cost(best);
      Cost best_cost = greedy_cost;
      for (const NodeSnapshot& n : c.nodes) {
        std::vector<Unit> here;
        for (const Unit& u : units) {
          if (std::any_of(u.begin(), u.end(),
                          [&](size_t i) { return c.running[i].node == n.name; })) {
            here.push_back(u);
          }
        }
        if (here.empty() || !fits(here)) continue;
        std::vector<Unit> set = minimal(here);
        if (cost(set) < best_cost) {
          best_cost = cost(set);
          best = set;
        }
      }
      if (best_cost < greedy_cost) ++per_node_won;
    }
    std::set<uint64_t> expected;
    for (const Unit& u : best) {
      expected.insert(c.running[u[0]].job_id);
      if (u.size() > 1) ++gang_victims;
    }
    ASSERT_EQ(VictimJobs(d), expected);
    ASSERT_EQ(static_cast<int64_t>(d.after_preemption.size()), target);
    // Minimal, and no set of a lower top priority would do.
    for (size_t k = 0; k < best.size(); ++k) {
      std::vector<Unit> without = best;
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(k));
      ASSERT_FALSE(fits(without)) << "victim " << c.running[best[k][0]].job_id << " not needed";
    }
    if (!best.empty()) {
      std::vector<Unit> lower;
      for (const Unit& u : units) {
        if (c.running[u[0]].priority < std::get<0>(cost(best))) lower.push_back(u);
      }
      ASSERT_FALSE(fits(lower));
    }
    if (!d.preemptions.empty()) ++preempted;
  }
  // The cases are not vacuous.
  EXPECT_GT(preempted, 500);
  EXPECT_GT(per_node_won, 10);
  EXPECT_GT(gang_victims, 50);
}

// Randomized: with preemption, placements never touch busy cores; the
// preemptor's placements use only free, victim or terminating cores, never
// twice; every victim has a lower priority than its preemptor and a queue
// whose mode is not off; a gang is all or nothing across both lists.
TEST(PreemptionTest, InvariantsHoldOnRandomClusters) {
  const SchedulerConfig config = Preempting();
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    ClusterSnapshot c;
    const int nodes = 1 + static_cast<int>(rng() % 4);
    uint64_t next_running = 1000;
    for (int n = 0; n < nodes; ++n) {
      c.nodes.push_back(
          MakeNode("n" + std::to_string(n), 1, 1 + rng() % 2, 2 + rng() % 3, 16 * kGiB));
      const int cores = static_cast<int>(c.nodes.back().core_busy.size());
      for (int core = 0; core < cores; ++core) {
        if (rng() % 4 == 0) continue;
        const char* queue = rng() % 3 == 0 ? "high" : (rng() % 2 == 0 ? "low" : "scavenger");
        Running(c, next_running++, c.nodes.back().name, {core}, static_cast<int32_t>(rng() % 5),
                static_cast<int64_t>(rng() % 1000), queue);
        c.running.back().terminating = rng() % 10 == 0;
        c.running.back().memory_bytes = kGiB;
        c.nodes.back().memory_free_bytes -= kGiB;
      }
    }
    std::vector<PendingJob> pending;
    const int jobs = 1 + static_cast<int>(rng() % 6);
    for (int j = 0; j < jobs; ++j) {
      PendingJob p = MakeJob(j + 1, 1 + rng() % 4, 1 + rng() % 2, rng() % 2 == 0,
                             static_cast<int32_t>(rng() % 6));
      p.memory_per_task = static_cast<int64_t>(rng() % 2) * kGiB;
      pending.push_back(p);
    }
    Decision d = Schedule(c, pending, kNow, config);

    std::map<std::string, std::set<int32_t>> busy, freed, used;
    for (const NodeSnapshot& n : c.nodes) {
      for (size_t core = 0; core < n.core_busy.size(); ++core) {
        if (n.core_busy[core]) busy[n.name].insert(static_cast<int32_t>(core));
      }
    }
    std::map<std::string, const RunningTask*> task_by_name;
    for (const RunningTask& t : c.running) {
      task_by_name[t.task] = &t;
      if (t.terminating) freed[t.node].insert(t.cores.begin(), t.cores.end());
    }
    std::map<uint64_t, int32_t> priority;
    for (const PendingJob& p : pending) priority[p.job_id] = p.priority;
    for (const Preemption& v : d.preemptions) {
      const RunningTask* t = task_by_name.at(v.task);
      ASSERT_FALSE(t->terminating);
      ASSERT_LT(t->priority, priority.at(v.preemptor));
      ASSERT_NE(t->queue, "high");
      freed[v.node].insert(v.cores.begin(), v.cores.end());
    }
    for (const TaskPlacement& p : d.placements) {
      for (int32_t core : p.cores) {
        ASSERT_FALSE(busy[p.node].count(core)) << p.node << " core " << core << " busy";
        ASSERT_TRUE(used[p.node].insert(core).second) << p.node << " core " << core << " twice";
      }
    }
    for (const TaskPlacement& p : d.after_preemption) {
      for (int32_t core : p.cores) {
        ASSERT_TRUE(!busy[p.node].count(core) || freed[p.node].count(core))
            << p.node << " core " << core << " is neither free nor freed";
        ASSERT_TRUE(used[p.node].insert(core).second) << p.node << " core " << core << " twice";
      }
    }
    std::map<uint64_t, int64_t> placed;
    for (const TaskPlacement& p : d.placements) ++placed[p.job_id];
    for (const TaskPlacement& p : d.after_preemption) ++placed[p.job_id];
    for (const PendingJob& p : pending) {
      if (!p.gang) continue;
      const int64_t n = placed.count(p.job_id) ? placed[p.job_id] : 0;
      ASSERT_TRUE(n == 0 || n == p.tasks_wanted) << "gang " << p.job_id << " got " << n;
    }
    Decision again = Schedule(c, pending, kNow, config);
    ASSERT_EQ(d.preemptions.size(), again.preemptions.size());
    ASSERT_EQ(d.after_preemption.size(), again.after_preemption.size());
    for (size_t i = 0; i < d.after_preemption.size(); ++i) {
      ASSERT_EQ(d.after_preemption[i].cores, again.after_preemption[i].cores);
    }
  }
}

}  // namespace
}  // namespace drover::scheduler
