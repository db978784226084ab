// Engine (state kept between passes) gives exactly what Schedule() gives on
// the equivalent snapshot, pass after pass, on random clusters and workloads.
#include "scheduler/engine.h"

#include <gtest/gtest.h>

#include <random>

#include "scheduler/schedule.h"
#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;

// The snapshot Schedule() would get for the engine's state.
ClusterSnapshot SnapshotOf(const ClusterSnapshot& initial, const Engine& engine) {
  ClusterSnapshot c;
  c.nodes = initial.nodes;
  for (size_t n = 0; n < c.nodes.size(); ++n) {
    NodeSnapshot& node = c.nodes[n];
    if (!node.schedulable) continue;
    const int32_t i = static_cast<int32_t>(n);
    for (size_t core = 0; core < node.core_busy.size(); ++core) {
      node.core_busy[core] = !engine.pool().core_free(i, static_cast<int32_t>(core));
    }
    node.memory_free_bytes = engine.pool().free_memory(i);
  }
  c.running = engine.running();
  return c;
}

void ExpectSame(const Decision& a, const Decision& b) {
  ASSERT_EQ(a.placements.size(), b.placements.size());
  for (size_t i = 0; i < a.placements.size(); ++i) {
    EXPECT_EQ(a.placements[i].job_id, b.placements[i].job_id);
    EXPECT_EQ(a.placements[i].node, b.placements[i].node);
    EXPECT_EQ(a.placements[i].cores, b.placements[i].cores);
    EXPECT_EQ(a.placements[i].memory_bytes, b.placements[i].memory_bytes);
  }
  ASSERT_EQ(a.pending.size(), b.pending.size());
  for (size_t i = 0; i < a.pending.size(); ++i) {
    EXPECT_EQ(a.pending[i].job_id, b.pending[i].job_id);
    EXPECT_EQ(a.pending[i].reasons, b.pending[i].reasons);
    EXPECT_EQ(a.pending[i].estimated_start_ms, b.pending[i].estimated_start_ms);
  }
  ASSERT_EQ(a.reservations.size(), b.reservations.size());
  for (size_t i = 0; i < a.reservations.size(); ++i) {
    EXPECT_EQ(a.reservations[i].job_id, b.reservations[i].job_id);
    EXPECT_EQ(a.reservations[i].node, b.reservations[i].node);
    EXPECT_EQ(a.reservations[i].start_ms, b.reservations[i].start_ms);
    EXPECT_EQ(a.reservations[i].cores, b.reservations[i].cores);
  }
}

class EngineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineTest, EveryPassEqualsScheduleOnTheSameSnapshot) {
  SchedulerConfig config;
  config.policy = GetParam();
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    ClusterSnapshot initial;
    const int nodes = 1 + static_cast<int>(rng() % 5);
    for (int n = 0; n < nodes; ++n) {
      initial.nodes.push_back(testing::MakeNode("n" + std::to_string(n), 1 + rng() % 2,
                                                1 + rng() % 2, 1 + rng() % 4,
                                                (4 + rng() % 8) * kGiB));
      initial.nodes.back().schedulable = rng() % 8 != 0;
    }
    int64_t now = 1'000'000;
    Engine engine(initial, config, now);
    std::vector<PendingJob> pending;
    uint64_t next_id = 1;
    for (int pass = 0; pass < 30; ++pass) {
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
        PendingJob p;
        p.job_id = next_id++;
        p.priority = static_cast<int32_t>(rng() % 3);
        p.submit_time_ms = now;
        p.tasks_wanted = 1 + static_cast<int64_t>(rng() % 5);
        p.cpus_per_task = 1 + static_cast<int32_t>(rng() % 3);
        p.memory_per_task = static_cast<int64_t>(rng() % 3) * kGiB / 2;
        p.gang = rng() % 2 == 0;
        p.time_limit_s = rng() % 6 == 0 ? 0 : 1 + static_cast<int64_t>(rng() % 200);
        p.exclusive = rng() % 10 == 0;
        p.ntasks_per_node = rng() % 5 == 0 ? 1 + static_cast<int32_t>(rng() % 2) : 0;
        pending.push_back(p);
      }
      const ClusterSnapshot snapshot = SnapshotOf(initial, engine);
      const Decision expected = Schedule(snapshot, pending, now, config);
      const Decision& got = engine.Pass(pending, now);
      ExpectSame(got, expected);
      if (::testing::Test::HasFailure()) return;
      // Placed tasks leave the queue (a partly placed job keeps the rest).
      for (PendingJob& p : pending) {
        for (const TaskPlacement& t : got.placements) p.tasks_wanted -= t.job_id == p.job_id;
      }
      std::erase_if(pending, [](const PendingJob& p) { return p.tasks_wanted <= 0; });
      for (PendingJob& p : pending) p.gang = p.gang && p.tasks_wanted > 0;
      // Time moves; some running jobs end, early or late.
      now += 1000 * static_cast<int64_t>(rng() % 150);
      std::vector<uint64_t> ending;
      for (const RunningTask& t : engine.running()) {
        if (rng() % 3 == 0) ending.push_back(t.job_id);
      }
      for (uint64_t id : ending) engine.EndJob(id);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, EngineTest, ::testing::Values("fcfs", "easy", "conservative"));

}  // namespace
}  // namespace drover::scheduler
