// Node loss recovery with default settings, for services and batch work side
// by side: a local cluster of 3 nodes x 6 cores runs a 6-replica web
// Deployment (python3 -m http.server, httpGet readiness probe every 1 s) and
// a job of 3 long tasks; one node is killed -9 with its supervisor and
// everything on it (a machine dying). Figures: the time from the kill until
// every replica it ran has a replacement Ready on another node (the last
// line), and until every lost job task runs elsewhere.
//
// droverd's and drover-node's defaults are used (heartbeat every 2 s,
// declared lost after 10 s of silence). For scale, documented defaults of
// peers (not measured here: none runs on this machine): Kubernetes ~350 s
// (50 s node-monitor grace + 300 s NoExecute toleration), Slurm's
// SlurmdTimeout 300 s (no services), Nomad ~20-30 s.
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

Json Items(const testing::LocalCluster& cluster, const std::string& target) {
  auto r = cluster.Call("GET", target);
  return r.ok() ? (*r)["items"] : Json::array();
}

Json WebDeployment() {
  return {
      {"apiVersion", "drover.io/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}}},
      {"spec",
       {{"replicas", 6},
        {"template",
         {{"command", {"sh", "-c", "exec python3 -m http.server --bind 127.0.0.1 $DROVER_PORT"}},
          {"workingDir", "/tmp"},
          {"ports", {{{"name", "http"}}}},
          {"readinessProbe",
           {{"httpGet", {{"path", "/"}, {"port", "http"}}}, {"periodSeconds", 1}}}}}}}};
}

int Fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  return 1;
}

}  // namespace

int main() {
  testing::LocalClusterOptions options;
  options.nodes = 3;
  options.node_topology = "synthetic:package:1 core:6 pu:1";
  options.heartbeat_timeout_ms = 0;  // the daemons' defaults
  options.node_heartbeat_ms = 0;
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  if (!cluster.Call("PUT", "/api/v1/deployments/web", WebDeployment()).ok()) return Fail("apply");
  auto submitted = cluster.Submit(testing::ShellJob("long", "sleep 600", 3, 3));
  if (!submitted.ok()) return Fail("submit");
  const std::string job_tasks =
      "/api/v1/jobs/" + std::to_string((*submitted)["metadata"]["id"].get<uint64_t>()) + "/tasks";

  // Wait until the 6 replicas are ready and the 3 tasks run.
  std::map<std::string, int> replicas_by_node;
  std::map<std::string, std::set<int64_t>> indexes_by_node;
  for (auto deadline = Clock::now() + std::chrono::seconds(60);;) {
    replicas_by_node.clear();
    indexes_by_node.clear();
    int ready = 0, running = 0;
    for (const Json& t : Items(cluster, "/api/v1/deployments/web/tasks")) {
      if (t["status"]["phase"] != "Running" || !t["status"].value("ready", false)) continue;
      ++ready;
      ++replicas_by_node[t["spec"]["node"].get<std::string>()];
    }
    for (const Json& t : Items(cluster, job_tasks)) {
      if (t["status"]["phase"] != "Running") continue;
      ++running;
      indexes_by_node[t["spec"]["node"].get<std::string>()].insert(
          t["spec"]["index"].get<int64_t>());
    }
    if (ready == 6 && running == 3) break;
    if (Clock::now() > deadline) return Fail("the replicas and tasks never all ran");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The node with the most replicas goes.
  std::string victim;
  for (const auto& [node, n] : replicas_by_node) {
    if (victim.empty() || n > replicas_by_node[victim]) victim = node;
  }
  const int lost_replicas = replicas_by_node[victim];
  const std::set<int64_t> lost_indexes = indexes_by_node[victim];
  int victim_index = -1;
  for (int i = 0; i < options.nodes; ++i) {
    if (cluster.node_name(i) == victim) victim_index = i;
  }
  const auto killed = Clock::now();
  cluster.KillNode(victim_index);
  double replicas_s = -1, tasks_s = lost_indexes.empty() ? 0 : -1;
  for (auto deadline = killed + std::chrono::seconds(120);
       Clock::now() < deadline && (replicas_s < 0 || tasks_s < 0);) {
    const double now_s = std::chrono::duration<double>(Clock::now() - killed).count();
    if (replicas_s < 0) {
      int ready_elsewhere = 0;
      for (const Json& t : Items(cluster, "/api/v1/deployments/web/tasks")) {
        ready_elsewhere += t["status"]["phase"] == "Running" && t["status"].value("ready", false) &&
                           t["spec"]["node"] != victim;
      }
      if (ready_elsewhere == 6) replicas_s = now_s;
    }
    if (tasks_s < 0) {
      std::set<int64_t> replaced;
      for (const Json& t : Items(cluster, job_tasks)) {
        if (t["status"]["phase"] == "Running" && t["spec"]["node"] != victim) {
          replaced.insert(t["spec"]["index"].get<int64_t>());
        }
      }
      bool all = true;
      for (int64_t i : lost_indexes) all = all && replaced.count(i);
      if (all) tasks_s = now_s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (replicas_s < 0 || tasks_s < 0) return Fail("the lost work was not replaced within 120 s");
  std::printf(
      "killed %s (3 nodes x 6 cores, default settings): %d of 6 replicas Ready elsewhere after "
      "%.2f s; %zu of 3 job tasks Running elsewhere after %.2f s\n",
      victim.c_str(), lost_replicas, replicas_s, lost_indexes.size(), tasks_s);
  std::printf("node_loss_recovery_s=%.2f s\n", replicas_s);
  return 0;
}
