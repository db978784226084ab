// Preemption: the cheapest sufficient victim set, never for a job that would
// still not fit, never of equal or higher priority, deterministic, and the
// invariants of a pass hold with it (randomized).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

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
