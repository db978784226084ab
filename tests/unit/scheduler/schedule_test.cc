#include "scheduler/schedule.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;
using testing::MakeJob;
using testing::MakeNode;

ClusterSnapshot TwoFourCoreNodes() {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4, 8 * kGiB));
  c.nodes.push_back(MakeNode("n2", 1, 1, 4, 8 * kGiB));
  return c;
}

int64_t PlacedFor(const Decision& d, uint64_t job) {
  int64_t n = 0;
  for (const TaskPlacement& p : d.placements) n += p.job_id == job;
  return n;
}

TEST(ScheduleTest, GangOfEightOneCoreTasksFillsTwoFourCoreNodes) {
  Decision d = Schedule(TwoFourCoreNodes(), {MakeJob(1, 8, 1, /*gang=*/true)}, 0);
  EXPECT_EQ(PlacedFor(d, 1), 8);
  EXPECT_TRUE(d.pending.empty());
}

TEST(ScheduleTest, GangThatDoesNotFitPlacesNothing) {
  Decision d = Schedule(TwoFourCoreNodes(), {MakeJob(1, 9, 1, /*gang=*/true)}, 0);
  EXPECT_EQ(PlacedFor(d, 1), 0);
  ASSERT_EQ(d.pending.size(), 1u);
  EXPECT_EQ(d.pending[0].reasons.front(), PendingReason::kResources);
}

TEST(ScheduleTest, ANodeSelectorOrARequiredNodeKeepsTasksOnTheNodesItNames) {
  ClusterSnapshot c = TwoFourCoreNodes();
  c.nodes.push_back(MakeNode("n3", 1, 1, 4, 8 * kGiB));
  c.nodes[1].labels = {{"disk", "ssd"}, {"zone", "a"}};
  c.nodes[2].labels = {{"disk", "ssd"}, {"zone", "b"}};
  PendingJob ssd = MakeJob(1, 12, 1);
  ssd.node_selector = {{"disk", "ssd"}};
  PendingJob pinned = MakeJob(2, 4, 1);
  pinned.required_node = "n1";
  PendingJob nowhere = MakeJob(3, 1, 1);
  nowhere.node_selector = {{"disk", "ssd"}, {"zone", "c"}};
  Decision d = Schedule(c, {ssd, pinned, nowhere}, 0);
  std::map<uint64_t, std::set<std::string>> nodes;
  for (const TaskPlacement& p : d.placements) nodes[p.job_id].insert(p.node);
  EXPECT_EQ(PlacedFor(d, 1), 8) << "the two ssd nodes' cores, no more";
  EXPECT_EQ(nodes[1], (std::set<std::string>{"n2", "n3"}));
  EXPECT_EQ(PlacedFor(d, 2), 4);
  EXPECT_EQ(nodes[2], (std::set<std::string>{"n1"}));
  EXPECT_EQ(PlacedFor(d, 3), 0) << "no node has zone c";
}

TEST(ScheduleTest, ANodeListAndAnExclusionKeepTasksToTheNodesTheyAllow) {
  ClusterSnapshot c = TwoFourCoreNodes();
  c.nodes.push_back(MakeNode("n3", 1, 1, 4, 8 * kGiB));
  PendingJob listed = MakeJob(1, 12, 1);
  listed.allowed_nodes = {"n1", "n3"};
  PendingJob excluded = MakeJob(2, 12, 1);
  excluded.excluded_nodes = {"n1", "n3"};
  Decision d = Schedule(c, {listed, excluded}, 0);
  std::map<uint64_t, std::set<std::string>> nodes;
  for (const TaskPlacement& p : d.placements) nodes[p.job_id].insert(p.node);
  EXPECT_EQ(PlacedFor(d, 1), 8);
  EXPECT_EQ(nodes[1], (std::set<std::string>{"n1", "n3"}));
  EXPECT_EQ(PlacedFor(d, 2), 4);
  EXPECT_EQ(nodes[2], (std::set<std::string>{"n2"}));
}

TEST(ScheduleTest, NonGangJobPlacesWhatFits) {
  Decision d = Schedule(TwoFourCoreNodes(), {MakeJob(1, 5, 2)}, 0);
  EXPECT_EQ(PlacedFor(d, 1), 4);
  ASSERT_EQ(d.pending.size(), 1u);
}

TEST(ScheduleTest, HigherPriorityFirstThenEarlierSubmit) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  std::vector<PendingJob> jobs = {MakeJob(1, 1, 4, false, 0, 10), MakeJob(2, 1, 4, false, 5, 20),
                                  MakeJob(3, 1, 4, false, 5, 15)};
  Decision d = Schedule(c, jobs, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].job_id, 3u);
}

TEST(ScheduleTest, MemoryIsNeverOvercommitted) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 8, 4 * kGiB));
  PendingJob j = MakeJob(1, 8, 1);
  j.memory_per_task = kGiB;
  Decision d = Schedule(c, {j}, 0);
  EXPECT_EQ(PlacedFor(d, 1), 4);
}

TEST(ScheduleTest, BusyCoresAreNotGivenAgain) {
  ClusterSnapshot c = TwoFourCoreNodes();
  c.nodes[0].core_busy = {true, false, true, false};
  Decision d = Schedule(c, {MakeJob(1, 6, 1)}, 0);
  std::map<std::string, std::set<int32_t>> seen;
  for (const TaskPlacement& p : d.placements) {
    for (int32_t core : p.cores) EXPECT_TRUE(seen[p.node].insert(core).second);
  }
  EXPECT_FALSE(seen["n1"].count(0));
  EXPECT_FALSE(seen["n1"].count(2));
  EXPECT_EQ(PlacedFor(d, 1), 6);
}

TEST(ScheduleTest, UnschedulableNodeGetsNothing) {
  ClusterSnapshot c = TwoFourCoreNodes();
  c.nodes[0].schedulable = false;
  Decision d = Schedule(c, {MakeJob(1, 8, 1)}, 0);
  for (const TaskPlacement& p : d.placements) EXPECT_EQ(p.node, "n2");
  EXPECT_EQ(PlacedFor(d, 1), 4);
}

TEST(ScheduleTest, PlacementCarriesThePusOfItsCores) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 4));
  Decision d = Schedule(c, {MakeJob(1, 1, 2)}, 0);
  ASSERT_EQ(d.placements.size(), 1u);
  EXPECT_EQ(d.placements[0].cores, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(d.placements[0].cpus, (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(ScheduleTest, SecondBlockedJobWaitsForPriority) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n1", 1, 1, 2));
  Decision d = Schedule(c, {MakeJob(1, 1, 4), MakeJob(2, 1, 4)}, 0);
  ASSERT_EQ(d.pending.size(), 2u);
  EXPECT_EQ(d.pending[0].reasons.front(), PendingReason::kResources);
  EXPECT_EQ(d.pending[1].reasons.front(), PendingReason::kPriority);
}

TEST(ScheduleTest, SameInputSameOutput) {
  ClusterSnapshot c = TwoFourCoreNodes();
  std::vector<PendingJob> jobs = {MakeJob(1, 3, 1), MakeJob(2, 2, 2, true), MakeJob(3, 1, 1)};
  Decision a = Schedule(c, jobs, 0);
  Decision b = Schedule(c, jobs, 0);
  ASSERT_EQ(a.placements.size(), b.placements.size());
  for (size_t i = 0; i < a.placements.size(); ++i) {
    EXPECT_EQ(a.placements[i].job_id, b.placements[i].job_id);
    EXPECT_EQ(a.placements[i].node, b.placements[i].node);
    EXPECT_EQ(a.placements[i].cores, b.placements[i].cores);
  }
}

}  // namespace
}  // namespace drover::scheduler
