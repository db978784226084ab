#include "scheduler/node_pool.h"

#include <gtest/gtest.h>

#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::MakeNode;

ClusterSnapshot OneNode(int32_t packages, int32_t numas, int32_t cores) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("n0", packages, numas, cores));
  return c;
}

TEST(NodePoolTest, CompactTakesTheTightestNumaNodeThatHoldsTheTask) {
  ClusterSnapshot c = OneNode(2, 2, 4);  // NUMA m has cores 4m..4m+3
  c.nodes[0].core_busy[0] = true;        // NUMA 0 has 3 free
  NodePool pool(c);
  EXPECT_EQ(pool.ChooseCores(0, 3, CorePlacement::kCompact), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(pool.ChooseCores(0, 4, CorePlacement::kCompact), (std::vector<int32_t>{4, 5, 6, 7}));
}

TEST(NodePoolTest, CompactStaysInOnePackageWhenItFitsThere) {
  ClusterSnapshot c = OneNode(2, 2, 4);
  c.nodes[0].core_busy[0] = true;  // package 0 has 7 free, package 1 has 8
  NodePool pool(c);
  // 6 cores: fits package 0 (7 free, tightest), NUMA 1 first (4 free), then NUMA 0.
  EXPECT_EQ(pool.ChooseCores(0, 6, CorePlacement::kCompact),
            (std::vector<int32_t>{1, 2, 4, 5, 6, 7}));
}

TEST(NodePoolTest, SpreadAlternatesPackages) {
  NodePool pool(OneNode(2, 1, 4));
  EXPECT_EQ(pool.ChooseCores(0, 4, CorePlacement::kSpread), (std::vector<int32_t>{0, 1, 4, 5}));
}

TEST(NodePoolTest, BestFitPrefersTheFullestNodeThatFits) {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("a", 1, 1, 8));
  c.nodes.push_back(MakeNode("b", 1, 1, 8));
  c.nodes.push_back(MakeNode("c", 1, 1, 8));
  for (int i = 0; i < 6; ++i) c.nodes[1].core_busy[i] = true;  // b: 2 free
  for (int i = 0; i < 7; ++i) c.nodes[2].core_busy[i] = true;  // c: 1 free
  NodePool pool(c);
  auto any = [](int32_t) { return true; };
  EXPECT_EQ(pool.BestFitNode(1, 0, any), 2);
  EXPECT_EQ(pool.BestFitNode(2, 0, any), 1);
  EXPECT_EQ(pool.BestFitNode(3, 0, any), 0);
  EXPECT_EQ(pool.BestFitNode(9, 0, any), -1);
}

TEST(NodePoolTest, TakeAndGiveKeepCountsAndIndex) {
  NodePool pool(OneNode(1, 2, 2));
  pool.Take(0, {0, 1}, 10);
  EXPECT_EQ(pool.free_cores(0), 2);
  EXPECT_EQ(pool.total_free_cores(), 2);
  EXPECT_EQ(pool.ChooseCores(0, 2, CorePlacement::kCompact), (std::vector<int32_t>{2, 3}));
  pool.Give(0, {0, 1}, 10);
  EXPECT_EQ(pool.free_cores(0), 4);
  EXPECT_EQ(pool.free_memory(0), 64 * testing::kGiB);
}

TEST(NodePoolTest, PusFollowTheCores) {
  NodePool pool(OneNode(1, 1, 4));  // 2 PUs per core
  EXPECT_EQ(pool.PusOf(0, {1, 3}), (std::vector<int32_t>{2, 3, 6, 7}));
}

}  // namespace
}  // namespace drover::scheduler
