// Node loss recovery with default settings: a local cluster of 3 nodes x 4
// cores runs 8 long tasks; one node is killed -9 with its supervisor and its
// tasks (a machine dying); the figure is the time from the kill until every
// lost task has a replacement Running on another node, by the wall clock.
//
// droverd's and drover-node's defaults are used (heartbeat every 2 s,
// declared lost after 10 s of silence). For scale, documented defaults of
// peers (not measured here: none runs on this machine): Kubernetes ~350 s
// (50 s node-monitor grace + 300 s NoExecute toleration), Slurm's
// SlurmdTimeout 300 s, Nomad ~20-30 s.
//
// Last line: node_loss_recovery_s=N s
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

namespace {

Json Tasks(const testing::LocalCluster& cluster, uint64_t id) {
  auto r = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  return r.ok() ? (*r)["items"] : Json::array();
}

}  // namespace

int main() {
  testing::LocalClusterOptions options;
  options.nodes = 3;
  options.node_topology = "synthetic:package:1 core:4 pu:1";
  options.heartbeat_timeout_ms = 0;  // the daemons' defaults
  options.node_heartbeat_ms = 0;
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  auto submitted = cluster.Submit(testing::ShellJob("long", "sleep 600", 8, 8));
  if (!submitted.ok()) {
    std::fprintf(stderr, "submit: %s\n", submitted.status().ToString().c_str());
    return 1;
  }
  const uint64_t id = (*submitted)["metadata"]["id"];
  // Wait until all 8 run; kill the node that runs the most.
  std::map<std::string, std::set<int64_t>> indexes_by_node;
  for (auto deadline = Clock::now() + std::chrono::seconds(60);;) {
    indexes_by_node.clear();
    int running = 0;
    for (const Json& t : Tasks(cluster, id)) {
      if (t["status"]["phase"] != "Running") continue;
      ++running;
      indexes_by_node[t["spec"]["node"].get<std::string>()].insert(
          t["spec"]["index"].get<int64_t>());
    }
    if (running == 8) break;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "the 8 tasks never all ran\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string victim;
  for (const auto& [node, indexes] : indexes_by_node) {
    if (victim.empty() || indexes.size() > indexes_by_node[victim].size()) victim = node;
  }
  const std::set<int64_t> lost = indexes_by_node[victim];
  int victim_index = -1;
  for (int i = 0; i < options.nodes; ++i) {
    if (cluster.node_name(i) == victim) victim_index = i;
  }
  const auto killed = Clock::now();
  cluster.KillNode(victim_index);
  double recovery_s = -1;
  for (auto deadline = killed + std::chrono::seconds(120); Clock::now() < deadline;) {
    std::set<int64_t> replaced;
    for (const Json& t : Tasks(cluster, id)) {
      if (t["status"]["phase"] == "Running" && t["spec"]["node"] != victim) {
        replaced.insert(t["spec"]["index"].get<int64_t>());
      }
    }
    bool all = true;
    for (int64_t i : lost) all = all && replaced.count(i);
    if (all) {
      recovery_s = std::chrono::duration<double>(Clock::now() - killed).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (void)cluster.Call("POST", "/api/v1/jobs/" + std::to_string(id) + "/cancel");
  if (recovery_s < 0) {
    std::fprintf(stderr, "the lost tasks were not replaced within 120 s\n");
    return 1;
  }
  std::printf(
      "killed %s with %zu of 8 tasks (3 nodes x 4 cores, default settings); "
      "replacements all Running after %.2f s\n",
      victim.c_str(), lost.size(), recovery_s);
  std::printf("node_loss_recovery_s=%.2f s\n", recovery_s);
  return 0;
}
