// memory_per_numa: a bound task's memory comes from the NUMA nodes of its
// cores, in proportion to its cores there, and never beyond what each has free.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "scheduler/schedule.h"
#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;
using testing::MakeJob;
using testing::MakeNode;

// One package of two NUMA nodes of 4 cores, 4 GiB each.
ClusterSnapshot TwoNumaNodes() {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 2, 4, 8 * kGiB));
  return c;
}

PendingJob Bound(uint64_t id, int32_t cpus, int64_t memory) {
  PendingJob j = MakeJob(id, 1, cpus);
  j.memory_per_task = memory;
  j.memory_per_numa = true;
  return j;
}

TEST(NumaMemoryTest, BoundTaskGoesWhereItsNumaNodeHasTheMemory) {
  ClusterSnapshot c = TwoNumaNodes();
  c.nodes[0].numa_memory_free_bytes = {1 * kGiB, 4 * kGiB};
  Decision d = Schedule(c, {Bound(1, 2, 2 * kGiB)}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].cores, (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(d.placements[0].numa_memory_bytes, (std::vector<int64_t>{0, 2 * kGiB}));
  // Not bound: the tightest NUMA node by cores (the first), memory per node only.
  PendingJob free = Bound(2, 2, 2 * kGiB);
  free.memory_per_numa = false;
  d = Schedule(c, {free}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].cores, (std::vector<int32_t>{0, 1}));
  EXPECT_TRUE(d.placements[0].numa_memory_bytes.empty());
}

TEST(NumaMemoryTest, TaskSpanningNumaNodesTakesItsShareOfEach) {
  Decision d = Schedule(TwoNumaNodes(), {Bound(1, 6, 6 * kGiB)}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].cores.size(), 6u);
  EXPECT_EQ(d.placements[0].numa_memory_bytes, (std::vector<int64_t>{4 * kGiB, 2 * kGiB}));
}

TEST(NumaMemoryTest, BoundTaskWaitsWhenNoNumaNodeCanGiveItsShare) {
  ClusterSnapshot c = TwoNumaNodes();
  c.nodes[0].numa_memory_free_bytes = {1 * kGiB, 1 * kGiB};
  Decision d = Schedule(c, {Bound(1, 2, 2 * kGiB)}, 0);
  EXPECT_TRUE(d.placements.empty());
  ASSERT_EQ(d.pending.size(), 1u);
  EXPECT_EQ(d.pending[0].reasons.front(), PendingReason::kResources);
}

TEST(NumaMemoryTest, RunningBoundTasksCountWhenTheSnapshotGivesNoNumaFreeMemory) {
  ClusterSnapshot c = TwoNumaNodes();
  c.nodes[0].core_busy[0] = true;
  c.nodes[0].memory_free_bytes -= 3 * kGiB;
  RunningTask t;
  t.job_id = 100;
  t.node = "n1";
  t.cores = {0};
  t.memory_bytes = 3 * kGiB;
  t.numa_memory_bytes = {3 * kGiB, 0};
  c.running.push_back(t);
  Decision d = Schedule(c, {Bound(1, 2, 2 * kGiB), Bound(2, 2, 1 * kGiB)}, 0);
  ASSERT_EQ(d.placements.size(), 2u);
  EXPECT_EQ(d.placements[0].numa_memory_bytes, (std::vector<int64_t>{0, 2 * kGiB}));
  // NUMA node 1 (2 cores, 2 GiB left) is tighter than node 0 (3 cores, 1 GiB).
  EXPECT_EQ(d.placements[1].numa_memory_bytes, (std::vector<int64_t>{0, 1 * kGiB}));
  // A third bound task of 2 GiB fits neither: 1 GiB free on each NUMA node.
  d = Schedule(c, {Bound(1, 2, 2 * kGiB), Bound(2, 2, 1 * kGiB), Bound(3, 1, 2 * kGiB)}, 0);
  EXPECT_EQ(d.placements.size(), 2u);
}

TEST(NumaMemoryTest, NoNumaNodeIsEverOvercommittedOnRandomWorkloads) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    ClusterSnapshot c;
    const int nodes = 1 + static_cast<int>(rng() % 3);
    for (int n = 0; n < nodes; ++n) {
      c.nodes.push_back(MakeNode("n" + std::to_string(n), 1 + rng() % 2, 1 + rng() % 2,
                                 1 + rng() % 4, (2 + rng() % 6) * kGiB));
      NodeSnapshot& node = c.nodes.back();
      node.numa_memory_free_bytes = node.topology.numa_memory_bytes;
      for (int64_t& m : node.numa_memory_free_bytes)
        m -= static_cast<int64_t>(rng() % 2) * kGiB / 2;
    }
    std::vector<PendingJob> pending;
    for (int j = 0; j < 8; ++j) {
      PendingJob p = Bound(j + 1, 1 + static_cast<int32_t>(rng() % 3),
                           static_cast<int64_t>(rng() % 4) * kGiB / 2);
      p.tasks_wanted = 1 + static_cast<int64_t>(rng() % 3);
      p.gang = rng() % 2 == 0;
      p.placement = rng() % 2 ? CorePlacement::kSpread : CorePlacement::kCompact;
      pending.push_back(p);
    }
    Decision d = Schedule(c, pending, 0);
    std::map<std::string, std::vector<int64_t>> used;
    for (const TaskPlacement& p : d.placements) {
      int64_t sum = 0;
      std::vector<int64_t>& u = used[p.node];
      u.resize(p.numa_memory_bytes.size(), 0);
      for (size_t m = 0; m < p.numa_memory_bytes.size(); ++m) {
        u[m] += p.numa_memory_bytes[m];
        sum += p.numa_memory_bytes[m];
      }
      EXPECT_EQ(sum, p.memory_bytes);
    }
    for (const NodeSnapshot& node : c.nodes) {
      const std::vector<int64_t>& u = used[node.name];
      for (size_t m = 0; m < u.size(); ++m) {
        ASSERT_LE(u[m], node.numa_memory_free_bytes[m]) << node.name << " NUMA " << m;
      }
    }
  }
}

}  // namespace
}  // namespace drover::scheduler
