// Job steps inside an allocation (scheduler/step_placement.h): block order,
// --nodes spreads, cores of their own unless overlapping, --cpu-bind=none
// shares a node's free cores, and requests that can never fit or must wait.
#include "scheduler/step_placement.h"

#include <gtest/gtest.h>

namespace drover::scheduler {
namespace {

// Two nodes of four cores each (PUs 10+c on n1, 20+c on n2).
std::vector<AllocationPart> TwoNodes() {
  std::vector<AllocationPart> parts(2);
  for (int n = 0; n < 2; ++n) {
    parts[n].node = "n" + std::to_string(n + 1);
    for (int c = 0; c < 4; ++c) {
      parts[n].cores.push_back(c);
      parts[n].pus.push_back({(n + 1) * 10 + c});
    }
    parts[n].slots = 4;
  }
  return parts;
}

StepRequest Ranks(int32_t n) {
  StepRequest r;
  r.ntasks = n;
  return r;
}

TEST(StepPlacement, RanksFillTheFirstNodeFirst) {
  auto placed = PlaceStep(TwoNodes(), Ranks(6));
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ(placed->nodes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(placed->tasks_per_node, (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(placed->ranks[4].node_id, 1);
  EXPECT_EQ(placed->ranks[4].local_id, 0);
  EXPECT_EQ(placed->ranks[3].cpus, (std::vector<int32_t>{13}));
  EXPECT_EQ(placed->ranks[5].cores, (std::vector<int32_t>{1}));
  EXPECT_EQ(SlurmCountList(placed->tasks_per_node), "4,2");
}

TEST(StepPlacement, NodesSpreadsTheRanksEvenly) {
  StepRequest r = Ranks(4);
  r.nodes = 2;
  auto placed = PlaceStep(TwoNodes(), r);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->tasks_per_node, (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(SlurmCountList(placed->tasks_per_node), "2(x2)");
}

TEST(StepPlacement, EachRankHasCoresNoOtherStepHolds) {
  auto parts = TwoNodes();
  parts[0].busy_cores = {0, 1, 2};
  StepRequest r = Ranks(2);
  r.cpus_per_task = 2;
  auto placed = PlaceStep(parts, r);
  ASSERT_TRUE(placed.ok());
  // n1 has one free core: not enough for a 2-core rank, so both go to n2.
  EXPECT_EQ(placed->nodes, (std::vector<std::string>{"n2"}));
  EXPECT_EQ(placed->ranks[0].cores, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(placed->ranks[1].cores, (std::vector<int32_t>{2, 3}));
}

TEST(StepPlacement, BusyCoresMakeAStepWaitAndOverlapSharesThem) {
  auto parts = TwoNodes();
  parts[0].busy_cores = {0, 1, 2, 3};
  parts[1].busy_cores = {0, 1, 2, 3};
  auto waits = PlaceStep(parts, Ranks(1));
  EXPECT_EQ(waits.status().code(), StatusCode::kUnavailable);
  StepRequest r = Ranks(1);
  r.overlap = true;
  EXPECT_TRUE(PlaceStep(parts, r).ok());
}

TEST(StepPlacement, CpuBindNoneGivesANodesRanksAllItsFreeCores) {
  StepRequest r = Ranks(2);
  r.nodes = 2;
  r.ntasks_per_node = 1;
  r.bind_none = true;
  auto placed = PlaceStep(TwoNodes(), r);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->ranks[0].cores, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(placed->ranks[1].cpus, (std::vector<int32_t>{20, 21, 22, 23}));
}

TEST(StepPlacement, RequestsThatCanNeverFitAreRefusedNamingTheOption) {
  auto too_many = PlaceStep(TwoNodes(), Ranks(9));
  EXPECT_EQ(too_many.status().code(), StatusCode::kUnschedulable);
  EXPECT_EQ(too_many.status().field(), "ntasks");
  StepRequest r = Ranks(3);
  r.nodes = 3;
  EXPECT_EQ(PlaceStep(TwoNodes(), r).status().field(), "nodes");
  StepRequest per_node = Ranks(4);
  per_node.ntasks_per_node = 1;
  EXPECT_EQ(PlaceStep(TwoNodes(), per_node).status().code(), StatusCode::kUnschedulable);
}

}  // namespace
}  // namespace drover::scheduler
