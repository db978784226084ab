// Draining a node on real droverd, drover-node, supervisors, web servers and
// batch tasks: its replicas move with no loss of availability (sampled from
// the endpoints every 100 ms), its batch tasks finish where they are, or with
// force run again elsewhere without counting a failure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Ready endpoints of web, and how many of them are on `node`.
std::pair<int, int> ReadyOn(const LocalCluster& cluster, const std::string& node) {
  auto e = cluster.Call("GET", "/api/v1/endpoints/web");
  if (!e.ok()) return {-1, -1};
  int ready = 0, on = 0;
  for (const Json& x : (*e)["endpoints"]) {
    ++ready;
    on += x["node"] == node;
  }
  return {ready, on};
}

Json TaskOf(const LocalCluster& cluster, uint64_t id) {
  auto t = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  return t.ok() && !(*t)["items"].empty() ? (*t)["items"].back() : Json::object();
}

TEST(NodeDrainTest, ReplicasMoveWithoutLosingAvailabilityAndBatchFinishesOrRunsElsewhere) {
  LocalClusterOptions options;
  options.nodes = 3;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string drained = cluster.node_name(0);
  // Everything starts on the node to be drained: the others are cordoned.
  for (int i : {1, 2}) {
    ASSERT_TRUE(cluster.Call("POST", "/api/v1/nodes/" + cluster.node_name(i) + "/cordon").ok());
  }
  const std::string gate = cluster.dir() + "/gate-";
  auto waiter = [&](const std::string& name) {
    return ShellJob(name, "while [ ! -e " + gate + name + " ]; do sleep 0.1; done");
  };
  auto finishes = cluster.Submit(waiter("finishes"));
  auto moves = cluster.Submit(waiter("moves"));
  ASSERT_TRUE(finishes.ok() && moves.ok());
  const uint64_t finishes_id = (*finishes)["metadata"]["id"];
  const uint64_t moves_id = (*moves)["metadata"]["id"];
  ASSERT_TRUE(cluster.Call("PUT", "/api/v1/deployments/web", WebDeployment("web", 2)).ok());
  ASSERT_TRUE(
      WaitFor([&] { return ReadyOn(cluster, drained) == std::make_pair(2, 2); }, seconds(30)));
  for (uint64_t id : {finishes_id, moves_id}) {
    ASSERT_TRUE(
        WaitFor([&] { return TaskOf(cluster, id)["status"]["phase"] == "Running"; }, seconds(30)));
    EXPECT_EQ(TaskOf(cluster, id)["spec"]["node"], drained);
  }
  for (int i : {1, 2}) {
    ASSERT_TRUE(cluster.Call("POST", "/api/v1/nodes/" + cluster.node_name(i) + "/uncordon").ok());
  }

  // Sampled every 100 ms from the endpoints a load balancer would follow.
  std::atomic<bool> stop{false};
  std::atomic<int> fewest_ready{1 << 20}, samples{0};
  std::thread sampler([&] {
    while (!stop) {
      const int ready = ReadyOn(cluster, drained).first;
      if (ready >= 0) {
        fewest_ready = std::min(fewest_ready.load(), ready);
        ++samples;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  auto drain = cluster.Call("POST", "/api/v1/nodes/" + drained + "/drain");
  ASSERT_TRUE(drain.ok()) << drain.status().ToString();
  EXPECT_EQ((*drain)["spec"]["draining"], true);
  EXPECT_EQ((*drain)["spec"]["unschedulable"], true);
  const bool moved =
      WaitFor([&] { return ReadyOn(cluster, drained) == std::make_pair(2, 0); }, seconds(60));
  stop = true;
  sampler.join();
  ASSERT_TRUE(moved) << "the replicas left the drained node";
  EXPECT_GT(samples, 5);
  EXPECT_EQ(fewest_ready, 2) << "maxUnavailable 0: never fewer than 2 ready replicas";
  auto tasks = cluster.Call("GET", "/api/v1/deployments/web/tasks");
  ASSERT_TRUE(tasks.ok());
  for (const Json& t : (*tasks)["items"]) {
    if (t["status"]["phase"] == "Running") {
      EXPECT_NE(t["spec"]["node"], drained) << t.dump();
    }
  }

  // The batch tasks were not touched: one finishes where it is.
  EXPECT_EQ(TaskOf(cluster, finishes_id)["status"]["phase"], "Running");
  EXPECT_EQ(TaskOf(cluster, moves_id)["status"]["phase"], "Running");
  std::ofstream(gate + "finishes").put('\n');
  auto done = cluster.WaitForJob(finishes_id, seconds(30));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  EXPECT_EQ(TaskOf(cluster, finishes_id)["spec"]["node"], drained);

  // With force, the other is stopped and runs again elsewhere, no failure counted.
  ASSERT_TRUE(
      cluster.Call("POST", "/api/v1/nodes/" + drained + "/drain", Json{{"force", true}}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        Json t = TaskOf(cluster, moves_id);
        return t["status"]["phase"] == "Running" && t["spec"]["node"] != drained;
      },
      seconds(30)))
      << TaskOf(cluster, moves_id).dump();
  std::ofstream(gate + "moves").put('\n');
  auto moved_job = cluster.WaitForJob(moves_id, seconds(30));
  ASSERT_TRUE(moved_job.ok());
  EXPECT_EQ((*moved_job)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*moved_job)["status"].value("failed", 0), 0);

  // Empty now; uncordoning ends the drain.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = cluster.Call("GET", "/api/v1/nodes/" + drained);
        return n.ok() && (*n)["status"]["runningTasks"] == 0;
      },
      seconds(30)));
  auto back = cluster.Call("POST", "/api/v1/nodes/" + drained + "/uncordon");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE((*back)["spec"].value("draining", false));
  EXPECT_EQ((*back)["spec"]["unschedulable"], false);
  std::remove((gate + "finishes").c_str());
  std::remove((gate + "moves").c_str());
}

}  // namespace
}  // namespace drover::testing
