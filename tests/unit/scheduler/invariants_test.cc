// Invariants of Schedule() on many randomized clusters and workloads: no core
// or byte given twice, gangs all-or-nothing, backfill never delays the top
// job's reservation, the same input gives the same output.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "scheduler/schedule.h"
#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;

struct Case {
  ClusterSnapshot cluster;
  std::vector<PendingJob> pending;
  int64_t now = 1'000'000;
};

Case RandomCase(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Case c;
  const int nodes = 1 + static_cast<int>(rng() % 6);
  for (int n = 0; n < nodes; ++n) {
    NodeSnapshot node = testing::MakeNode("n" + std::to_string(n), 1 + rng() % 2, 1 + rng() % 2,
                                          1 + rng() % 4, (4 + rng() % 8) * kGiB);
    node.schedulable = rng() % 8 != 0;
    // Some cores and memory busy with running tasks ending at random times.
    for (size_t core = 0; core < node.core_busy.size(); ++core) {
      if (rng() % 3 != 0) continue;
      node.core_busy[core] = true;
      RunningTask t;
      t.job_id = 10'000 + core;
      t.node = node.name;
      t.cores = {static_cast<int32_t>(core)};
      t.memory_bytes = kGiB / 4;
      node.memory_free_bytes -= t.memory_bytes;
      t.expected_end_ms = rng() % 5 == 0 ? 0 : c.now + static_cast<int64_t>(rng() % 100'000);
      c.cluster.running.push_back(t);
    }
    c.cluster.nodes.push_back(std::move(node));
  }
  const int jobs = 1 + static_cast<int>(rng() % 12);
  for (int j = 0; j < jobs; ++j) {
    PendingJob p;
    p.job_id = static_cast<uint64_t>(j + 1);
    p.priority = static_cast<int32_t>(rng() % 3);
    p.submit_time_ms = static_cast<int64_t>(rng() % 1000);
    p.tasks_wanted = 1 + static_cast<int64_t>(rng() % 6);
    p.cpus_per_task = 1 + static_cast<int32_t>(rng() % 3);
    p.memory_per_task = static_cast<int64_t>(rng() % 3) * kGiB / 2;
    p.gang = rng() % 2 == 0;
    p.time_limit_s = rng() % 6 == 0 ? 0 : 1 + static_cast<int64_t>(rng() % 200);
    p.exclusive = rng() % 10 == 0;
    p.ntasks_per_node = rng() % 5 == 0 ? 1 + static_cast<int32_t>(rng() % 2) : 0;
    p.placement = rng() % 2 ? CorePlacement::kSpread : CorePlacement::kCompact;
    c.pending.push_back(p);
  }
  return c;
}

void CheckNothingGivenTwice(const Case& c, const Decision& d) {
  std::map<std::string, const NodeSnapshot*> by_name;
  for (const NodeSnapshot& n : c.cluster.nodes) by_name[n.name] = &n;
  std::map<std::string, std::set<int32_t>> cores;
  std::map<std::string, int64_t> memory;
  for (const TaskPlacement& p : d.placements) {
    const NodeSnapshot& node = *by_name.at(p.node);
    ASSERT_TRUE(node.schedulable) << p.node;
    for (int32_t core : p.cores) {
      ASSERT_FALSE(node.core_busy[core]) << p.node << " core " << core << " is busy";
      ASSERT_TRUE(cores[p.node].insert(core).second) << p.node << " core " << core << " twice";
    }
    memory[p.node] += p.memory_bytes;
    ASSERT_LE(memory[p.node], node.memory_free_bytes) << p.node << " memory over-committed";
  }
}

void CheckGangsAllOrNothing(const Case& c, const Decision& d) {
  std::map<uint64_t, int64_t> placed;
  for (const TaskPlacement& p : d.placements) ++placed[p.job_id];
  for (const PendingJob& j : c.pending) {
    if (!j.gang) continue;
    const int64_t n = placed.count(j.job_id) ? placed[j.job_id] : 0;
    EXPECT_TRUE(n == 0 || n == j.tasks_wanted) << "gang " << j.job_id << " got " << n;
  }
}

// The top job's reservation is computed from what runs now; jobs that
// backfill must leave its resources free when it is due. Replaying with the
// backfilled jobs counted as running must give the top job the same start.
void CheckBackfillKeepsTheTopReservation(const Case& c, const Decision& d) {
  if (d.reservations.empty()) return;
  const uint64_t top = d.reservations.front().job_id;
  const int64_t start = d.reservations.front().start_ms;
  ClusterSnapshot after = c.cluster;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < after.nodes.size(); ++i) index[after.nodes[i].name] = i;
  std::map<uint64_t, const PendingJob*> jobs;
  for (const PendingJob& j : c.pending) jobs[j.job_id] = &j;
  for (const TaskPlacement& p : d.placements) {
    NodeSnapshot& node = after.nodes[index[p.node]];
    for (int32_t core : p.cores) node.core_busy[core] = true;
    node.memory_free_bytes -= p.memory_bytes;
    RunningTask t;
    t.job_id = p.job_id;
    t.node = p.node;
    t.cores = p.cores;
    t.memory_bytes = p.memory_bytes;
    const int64_t limit = jobs[p.job_id]->time_limit_s;
    t.expected_end_ms = limit > 0 ? c.now + limit * 1000 : 0;
    after.running.push_back(t);
  }
  std::vector<PendingJob> only_top;
  for (const PendingJob& j : c.pending) {
    if (j.job_id == top) only_top.push_back(j);
  }
  Decision again = Schedule(after, only_top, c.now);
  ASSERT_FALSE(again.pending.empty());
  ASSERT_FALSE(again.reservations.empty()) << "top job " << top << " lost its reservation";
  EXPECT_LE(again.reservations.front().start_ms, start) << "top job " << top << " delayed";
}

class InvariantTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InvariantTest, HoldOnAThousandRandomCases) {
  SchedulerConfig config;
  config.policy = GetParam();
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = RandomCase(seed);
    Decision d = Schedule(c.cluster, c.pending, c.now, config);
    CheckNothingGivenTwice(c, d);
    CheckGangsAllOrNothing(c, d);
    if (config.policy == "easy") CheckBackfillKeepsTheTopReservation(c, d);
    Decision again = Schedule(c.cluster, c.pending, c.now, config);
    ASSERT_EQ(d.placements.size(), again.placements.size());
    for (size_t i = 0; i < d.placements.size(); ++i) {
      ASSERT_EQ(d.placements[i].job_id, again.placements[i].job_id);
      ASSERT_EQ(d.placements[i].node, again.placements[i].node);
      ASSERT_EQ(d.placements[i].cores, again.placements[i].cores);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, InvariantTest,
                         ::testing::Values("fcfs", "easy", "conservative"));

}  // namespace
}  // namespace drover::scheduler
