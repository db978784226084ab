#include <gtest/gtest.h>

#include <map>

#include "scheduler/queue_policy.h"
#include "scheduler/schedule.h"
#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::MakeJob;
using testing::MakeNode;

// One 4-core node; job 100 holds cores 0-2 until t=1000 s.
ClusterSnapshot ThreeCoresBusyUntil1000s() {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  c.nodes[0].core_busy = {true, true, true, false};
  RunningTask t;
  t.job_id = 100;
  t.node = "n1";
  t.cores = {0, 1, 2};
  t.expected_end_ms = 1'000'000;
  c.running.push_back(t);
  return c;
}

PendingJob Timed(uint64_t id, int32_t cpus, int64_t limit_s) {
  PendingJob j = MakeJob(id, 1, cpus);
  j.time_limit_s = limit_s;
  return j;
}

SchedulerConfig Policy(const std::string& name) {
  SchedulerConfig c;
  c.policy = name;
  return c;
}

TEST(BackfillTest, EasyStartsAShortJobThatEndsBeforeTheShadowTime) {
  // Job 1 (4 cores) waits for t=1000 s; job 2 (1 core, 500 s) fits before it.
  Decision d = Schedule(ThreeCoresBusyUntil1000s(), {Timed(1, 4, 100), Timed(2, 1, 500)}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].job_id, 2u);
  ASSERT_EQ(d.pending.size(), 1u);
  EXPECT_EQ(d.pending[0].job_id, 1u);
  EXPECT_EQ(d.pending[0].estimated_start_ms, 1'000'000);
  EXPECT_EQ(d.pending[0].reasons.front(), PendingReason::kResources);
}

TEST(BackfillTest, EasyRefusesALongJobThatWouldDelayTheReservation) {
  Decision d = Schedule(ThreeCoresBusyUntil1000s(), {Timed(1, 4, 100), Timed(2, 1, 5000)}, 0);
  EXPECT_TRUE(d.placements.empty());
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[1].reasons.front(), PendingReason::kPriority);
}

TEST(BackfillTest, EasyLetsALongJobUseExtraCores) {
  // The head needs 2 cores; at t=1000 s 4 are free, so 2 are extra.
  Decision d = Schedule(ThreeCoresBusyUntil1000s(), {Timed(1, 2, 100), Timed(2, 1, 5000)}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].job_id, 2u);
}

TEST(BackfillTest, FcfsNeverStartsAJobBehindABlockedOne) {
  Decision d =
      Schedule(ThreeCoresBusyUntil1000s(), {Timed(1, 4, 100), Timed(2, 1, 500)}, 0, Policy("fcfs"));
  EXPECT_TRUE(d.placements.empty());
}

TEST(BackfillTest, ConservativeGivesEveryBlockedJobAnEstimate) {
  // 1 waits for t=1000 s (4 cores, 100 s), 2 then needs 4 cores after it: t=1100 s.
  Decision d = Schedule(ThreeCoresBusyUntil1000s(), {Timed(1, 4, 100), Timed(2, 4, 100)}, 0,
                        Policy("conservative"));
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[0].estimated_start_ms, 1'000'000);
  EXPECT_EQ(d.pending[1].estimated_start_ms, 1'100'000);
}

TEST(BackfillTest, ConservativeProtectsTheSecondReservationToo) {
  // EASY would start job 3 (1 core, 5000 s) on the extra core; conservative
  // must not, because job 2 needs all 4 cores at t=1100 s.
  std::vector<PendingJob> jobs = {Timed(1, 2, 100), Timed(2, 4, 100), Timed(3, 1, 5000)};
  Decision easy = Schedule(ThreeCoresBusyUntil1000s(), jobs, 0, Policy("easy"));
  Decision cons = Schedule(ThreeCoresBusyUntil1000s(), jobs, 0, Policy("conservative"));
  EXPECT_EQ(easy.placements.size(), 1u);
  EXPECT_TRUE(cons.placements.empty());
}

TEST(BackfillTest, UnknownPolicyIsRejectedByValidation) {
  Status s = ValidateSchedulerConfig(Policy("lottery"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "scheduler.policy");
}

TEST(BackfillTest, HeldAndDependentJobsSayWhy) {
  PendingJob held = MakeJob(1, 1, 1);
  held.held = true;
  PendingJob dep = MakeJob(2, 1, 1);
  dep.dependency_pending = true;
  dep.begin_time_ms = 5000;
  Decision d = Schedule(ThreeCoresBusyUntil1000s(), {held, dep}, 0);
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[0].reasons, std::vector<PendingReason>{PendingReason::kHeld});
  EXPECT_EQ(d.pending[1].reasons,
            (std::vector<PendingReason>{PendingReason::kDependency, PendingReason::kBeginTime}));
}

TEST(BackfillTest, QueueLimitsAndNodeSetsApply) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("a", 1, 1, 4));
  c.nodes.push_back(MakeNode("b", 1, 1, 4));
  SchedulerConfig config;
  QueueLimits q;
  q.name = "short";
  q.nodes = {"b"};
  q.max_time_s = 60;
  q.max_running_jobs_per_user = 1;
  config.queues.push_back(q);
  PendingJob too_long = Timed(1, 1, 120);
  too_long.queue = "short";
  PendingJob ok1 = Timed(2, 1, 30);
  ok1.queue = "short";
  ok1.user = "ann";
  PendingJob ok2 = Timed(3, 1, 30);
  ok2.queue = "short";
  ok2.user = "ann";
  Decision d = Schedule(c, {too_long, ok1, ok2}, 0, config);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].job_id, 2u);
  EXPECT_EQ(d.placements[0].node, "b");
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[0].reasons.front(), PendingReason::kQueueLimit);
  EXPECT_EQ(d.pending[1].reasons.front(), PendingReason::kUserLimit);
}

TEST(BackfillTest, ExclusiveJobTakesWholeNodes) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("a", 1, 1, 4));
  c.nodes.push_back(MakeNode("b", 1, 1, 4));
  c.nodes[0].core_busy[0] = true;
  PendingJob j = MakeJob(1, 2, 1, /*gang=*/true);
  j.exclusive = true;
  Decision d = Schedule(c, {j, MakeJob(2, 1, 1)}, 0);
  int32_t cores_on_b = 0;
  for (const TaskPlacement& p : d.placements) {
    if (p.job_id == 1) {
      EXPECT_EQ(p.node, "b");
      cores_on_b += static_cast<int32_t>(p.cores.size());
    } else {
      EXPECT_EQ(p.node, "a");
    }
  }
  EXPECT_EQ(cores_on_b, 4);
}

TEST(BackfillTest, NtasksPerNodeSpreadsAGang) {
  ClusterSnapshot c;
  for (const char* n : {"a", "b", "c"}) c.nodes.push_back(MakeNode(n, 1, 1, 8));
  PendingJob j = MakeJob(1, 6, 1, /*gang=*/true);
  j.ntasks_per_node = 2;
  Decision d = Schedule(c, {j}, 0);
  std::map<std::string, int> per_node;
  for (const TaskPlacement& p : d.placements) ++per_node[p.node];
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}}));
}

TEST(BackfillTest, NodesCountKeepsAGangOnExactlyThatManyNodes) {
  ClusterSnapshot c;
  for (const char* n : {"a", "b", "c", "d"}) c.nodes.push_back(MakeNode(n, 1, 1, 8));
  PendingJob j = MakeJob(1, 4, 1, /*gang=*/true);
  j.nodes = 2;
  Decision d = Schedule(c, {j}, 0);
  std::map<std::string, int> per_node;
  for (const TaskPlacement& p : d.placements) ++per_node[p.node];
  EXPECT_EQ(per_node.size(), 2u);
  EXPECT_EQ(d.placements.size(), 4u);
}

}  // namespace
}  // namespace drover::scheduler

namespace drover::scheduler {
namespace {

TEST(BackfillTest, ReservationOfAJobWithNodesPlansOnExactlyThatManyNodes) {
  // Three 4-core nodes; 8 cores free now but spread 2 + 4 + 2. A gang of 8
  // over exactly 2 nodes needs two whole nodes: n1 at 100 s (not n3, 200 s).
  ClusterSnapshot c;
  for (const char* name : {"n1", "n2", "n3"}) c.nodes.push_back(MakeNode(name, 1, 1, 4));
  c.nodes[0].core_busy = {true, true, false, false};
  c.nodes[2].core_busy = {true, true, false, false};
  RunningTask t;
  t.job_id = 100;
  t.node = "n1";
  t.cores = {0, 1};
  t.expected_end_ms = 100'000;
  c.running.push_back(t);
  t.job_id = 101;
  t.node = "n3";
  t.expected_end_ms = 200'000;
  c.running.push_back(t);
  PendingJob gang = MakeJob(1, 8, 1, true);
  gang.nodes = 2;
  gang.time_limit_s = 50;
  Decision d = Schedule(c, {gang}, 0);
  EXPECT_TRUE(d.placements.empty());
  ASSERT_EQ(d.pending.size(), 1u);
  EXPECT_EQ(d.pending[0].estimated_start_ms, 100'000);
  std::map<std::string, int64_t> tasks;
  for (const Reservation& r : d.reservations) tasks[r.node] += r.tasks;
  EXPECT_EQ(tasks, (std::map<std::string, int64_t>{{"n1", 4}, {"n2", 4}}));
}

}  // namespace
}  // namespace drover::scheduler
