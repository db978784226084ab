// DaemonSets on real droverd, drover-node, supervisors and processes: one
// daemon on every node its selector matches, following labels; a node that
// dies takes its daemon with it (never moved elsewhere) and gets it back
// when it returns; a new template rolls node by node; delete stops them all.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A daemon that records where it started (and as which DaemonSet), then runs.
Json ShipperDaemonSet(const std::string& log, const std::string& version,
                      const Json& selector = Json::object()) {
  return Json{{"apiVersion", "drover.io/v1"},
              {"kind", "DaemonSet"},
              {"metadata", {{"name", "shipper"}}},
              {"spec",
               {{"nodeSelector", selector},
                {"template",
                 {{"command",
                   {"/bin/sh", "-c",
                    "echo " + version + " $DROVER_NODENAME $DROVER_DAEMONSET >> " + log +
                        "; exec sleep 600"}}}}}}};
}

// Node -> the revisions of the DaemonSet's running tasks there.
std::map<std::string, std::vector<std::string>> RunningByNode(const LocalCluster& cluster) {
  std::map<std::string, std::vector<std::string>> out;
  auto tasks = cluster.Call("GET", "/api/v1/daemonsets/shipper/tasks");
  if (!tasks.ok()) return out;
  for (const Json& t : (*tasks)["items"]) {
    if (t["status"]["phase"] == "Running") {
      out[t["spec"]["node"]].push_back(t["spec"]["revision"]);
    }
  }
  return out;
}

// Live (not ended) tasks of the DaemonSet per node.
std::map<std::string, int> LiveByNode(const LocalCluster& cluster) {
  std::map<std::string, int> out;
  auto tasks = cluster.Call("GET", "/api/v1/daemonsets/shipper/tasks");
  if (!tasks.ok()) return out;
  for (const Json& t : (*tasks)["items"]) {
    const std::string phase = t["status"]["phase"];
    if (phase == "Assigned" || phase == "Running") ++out[t["spec"]["node"]];
  }
  return out;
}

Status SetLabel(const LocalCluster& cluster, const std::string& node, const Json& labels) {
  auto r = cluster.Call("POST", "/api/v1/nodes/" + node + "/labels", labels);
  return r.ok() ? Status::Ok() : r.status();
}

TEST(DaemonSetTest, OneDaemonPerMatchingNodeFollowingLabelsAndNodeDeathWithoutMoving) {
  LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 3'000;
  options.node_heartbeat_ms = 500;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string n1 = cluster.node_name(0), n2 = cluster.node_name(1), n3 = cluster.node_name(2);
  for (const std::string& n : {n1, n2}) {
    ASSERT_TRUE(SetLabel(cluster, n, {{"labels", {{"role", "logs"}}}}).ok());
  }
  const std::string log = cluster.dir() + "/started";
  auto applied = cluster.Call("PUT", "/api/v1/daemonsets/shipper",
                              ShipperDaemonSet(log, "v1", {{"role", "logs"}}));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return RunningByNode(cluster).size() == 2; }, seconds(30)));
  auto running = RunningByNode(cluster);
  EXPECT_EQ(running.count(n1) + running.count(n2), 2u);
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string s = ReadFile(log);
        return s.find("v1 " + n1 + " shipper") != std::string::npos &&
               s.find("v1 " + n2 + " shipper") != std::string::npos;
      },
      seconds(10)))
      << ReadFile(log);

  // The third node gains the label: its own daemon; the first loses it.
  ASSERT_TRUE(SetLabel(cluster, n3, {{"labels", {{"role", "logs"}}}}).ok());
  ASSERT_TRUE(WaitFor([&] { return RunningByNode(cluster).count(n3) == 1; }, seconds(30)));
  ASSERT_TRUE(SetLabel(cluster, n1, {{"remove", {"role"}}}).ok());
  ASSERT_TRUE(WaitFor([&] { return LiveByNode(cluster).count(n1) == 0; }, seconds(30)));
  EXPECT_EQ(LiveByNode(cluster), (std::map<std::string, int>{{n2, 1}, {n3, 1}}));

  // n2 dies with its tasks. Its daemon is lost and made nowhere else, while
  // n1 (no label) and n3 (has one) are watched for a second copy.
  cluster.KillNode(1);
  std::atomic<bool> stop{false};
  std::atomic<int> most_on_a_node{0}, on_n1{0};
  std::thread watcher([&] {
    while (!stop) {
      for (const auto& [node, live] : LiveByNode(cluster)) {
        most_on_a_node = std::max(most_on_a_node.load(), live);
        if (node == n1) on_n1 = on_n1 + live;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const bool lost = WaitFor(
      [&] {
        auto ds = cluster.Call("GET", "/api/v1/daemonsets/shipper");
        return ds.ok() && (*ds)["status"]["numberUnavailable"] == 1 &&
               LiveByNode(cluster).count(n2) == 0;
      },
      seconds(30));
  // It comes back (a rebooted machine): its daemon starts there again.
  ASSERT_TRUE(cluster.StartNode(1).ok());
  const bool back = WaitFor([&] { return RunningByNode(cluster).count(n2) == 1; }, seconds(30));
  stop = true;
  watcher.join();
  ASSERT_TRUE(lost) << "the dead node's daemon was lost";
  ASSERT_TRUE(back) << "the returned node got its daemon back";
  EXPECT_EQ(most_on_a_node, 1) << "never two daemons on one node";
  EXPECT_EQ(on_n1, 0) << "the dead node's daemon was not moved to a node without the label";
  EXPECT_EQ(LiveByNode(cluster), (std::map<std::string, int>{{n2, 1}, {n3, 1}}));
}

TEST(DaemonSetTest, ANewTemplateRollsNodeByNodeAndDeleteStopsEveryDaemon) {
  LocalClusterOptions options;
  options.nodes = 3;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string log = cluster.dir() + "/started";
  // A daemon counts as available a second after it starts: the rollout takes
  // a few seconds, long enough to watch.
  Json first = ShipperDaemonSet(log, "v1");
  first["spec"]["minReadySeconds"] = 1;
  ASSERT_TRUE(cluster.Call("PUT", "/api/v1/daemonsets/shipper", first).ok());
  auto available = [&] {
    auto d = cluster.Call("GET", "/api/v1/daemonsets/shipper");
    return d.ok() && (*d)["status"]["updatedNumberScheduled"] == 3 &&
           (*d)["status"]["numberAvailable"] == 3;
  };
  // Old daemons that are not available yet would be replaced all at once.
  ASSERT_TRUE(WaitFor(available, seconds(30)));
  const std::string v1 = RunningByNode(cluster).begin()->second[0];

  // Sampled every 50 ms: how many nodes run a daemon, of either revision.
  std::atomic<bool> stop{false};
  std::atomic<int> fewest{3}, samples{0};
  std::thread sampler([&] {
    while (!stop) {
      auto running = RunningByNode(cluster);
      if (!running.empty()) {
        fewest = std::min<int>(fewest.load(), static_cast<int>(running.size()));
        ++samples;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  Json v2 = ShipperDaemonSet(log, "v2");
  v2["spec"]["minReadySeconds"] = 1;
  auto applied = cluster.Call("PUT", "/api/v1/daemonsets/shipper", v2);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ((*applied)["result"], "configured");
  const bool rolled = WaitFor(
      [&] {
        auto running = RunningByNode(cluster);
        if (running.size() != 3) return false;
        for (const auto& [node, revisions] : running) {
          if (revisions.size() != 1 || revisions[0] == v1) return false;
        }
        return true;
      },
      seconds(60));
  stop = true;
  sampler.join();
  ASSERT_TRUE(rolled);
  EXPECT_GT(samples, 5);
  EXPECT_GE(fewest, 2) << "maxUnavailable 1: at most one node without its daemon";
  EXPECT_TRUE(WaitFor(available, seconds(10)));
  const std::string started = ReadFile(log);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(started.find("v2 " + cluster.node_name(i) + " shipper"), std::string::npos)
        << started;
  }

  ASSERT_TRUE(cluster.Call("DELETE", "/api/v1/daemonsets/shipper").ok());
  auto gone = cluster.Call("GET", "/api/v1/daemonsets/shipper");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  // Its tasks are stopped on every node (their nodes hold no task any more).
  EXPECT_TRUE(WaitFor(
      [&] {
        auto nodes = cluster.Call("GET", "/api/v1/nodes");
        if (!nodes.ok()) return false;
        for (const Json& n : (*nodes)["items"]) {
          if (n["status"].value("runningTasks", int64_t{-1}) != 0) return false;
        }
        return true;
      },
      seconds(30)));
}

}  // namespace
}  // namespace drover::testing
