// A 10,000-replica Deployment on a local cluster of synthetic nodes (real
// droverd, drover-node and supervisors; each replica a real `sleep`): time to
// create it until every replica runs, then to roll it to a new template
// (RollingUpdate, maxSurge 25 %, maxUnavailable 25 %) until every replica
// runs the new one, as replicas per second; and the latency of API calls
// made every 20 ms during the rollout (GET the Deployment, GET the job
// list), as p50/p99, beside the same for GET /healthz, which droverd's I/O
// threads answer without the state thread: the floor this host allows.
//
// For scale (documented, not measured here): the Kubernetes Job controller
// targets about 83 pods/s; kube-scheduler's CI floor is 810 pods/s.
//
// Usage: bench_deployment_scale [REPLICAS] (default 10000)
// Last line: deployment_rollout_replicas_per_s=N replicas/s
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

namespace {

Json Sleeper(int replicas, const std::string& seconds) {
  return {{"apiVersion", "drover.io/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "sleepers"}}},
          {"spec",
           {{"replicas", replicas},
            {"progressDeadlineSeconds", 3600},
            {"template", {{"command", {"sleep", seconds}}, {"workingDir", "/tmp"}}}}}};
}

// Waits until the Deployment's status says `replicas` run the current
// template and nothing else runs; returns the seconds it took, or -1.
double WaitRolledOut(const testing::LocalCluster& cluster, int replicas, Clock::time_point since,
                     int timeout_s) {
  while (Clock::now() < since + std::chrono::seconds(timeout_s)) {
    auto d = cluster.Call("GET", "/api/v1/deployments/sleepers");
    if (d.ok()) {
      const Json& s = (*d)["status"];
      if (s["observedGeneration"] == (*d)["metadata"]["generation"] &&
          s["updatedReplicas"] == replicas && s["replicas"] == replicas &&
          s["availableReplicas"] == replicas) {
        return std::chrono::duration<double>(Clock::now() - since).count();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int replicas = argc > 1 ? std::atoi(argv[1]) : 10'000;
  testing::LocalClusterOptions options;
  options.nodes = 10;
  // Room for the surge: 10 x 1,300 cores for 12,500 replicas at the peak.
  const int cores = std::max(8, (replicas * 13 / 10 + options.nodes - 1) / options.nodes);
  options.node_topology = "synthetic:package:1 core:" + std::to_string(cores) + " pu:1";
  options.heartbeat_timeout_ms = 0;
  options.node_heartbeat_ms = 0;
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  auto start = Clock::now();
  if (!cluster.Call("PUT", "/api/v1/deployments/sleepers", Sleeper(replicas, "100000")).ok()) {
    std::fprintf(stderr, "apply failed\n");
    return 1;
  }
  const double create_s = WaitRolledOut(cluster, replicas, start, 900);
  if (create_s < 0) {
    std::fprintf(stderr, "the replicas never all ran\n");
    return 1;
  }
  // Roll to a new template while a client reads the API every 20 ms.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::vector<double> healthz_ms;
  std::thread client([&] {
    int i = 0;
    while (!stop) {
      const int which = i++ % 3;
      const auto t0 = Clock::now();
      Status st = which == 2 ? cluster.Client().Send("GET", "/healthz").status()
                             : cluster
                                   .Call("GET", which == 1 ? "/api/v1/deployments/sleepers"
                                                           : "/api/v1/jobs?limit=10")
                                   .status();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        (which == 2 ? healthz_ms : latencies_ms).push_back(ms);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  start = Clock::now();
  const bool applied =
      cluster.Call("PUT", "/api/v1/deployments/sleepers", Sleeper(replicas, "100001")).ok();
  const double roll_s = applied ? WaitRolledOut(cluster, replicas, start, 1800) : -1;
  stop = true;
  client.join();
  // Where droverd's state thread spent the time: passes and commits.
  auto metrics = cluster.Client().Send("GET", "/metrics");
  if (metrics.ok()) {
    std::istringstream lines(metrics->body);
    for (std::string line; std::getline(lines, line);) {
      for (const char* name :
           {"drover_scheduling_pass_seconds_sum", "drover_scheduling_pass_seconds_count",
            "drover_store_commit_seconds_sum", "drover_store_commit_seconds_count"}) {
        if (line.rfind(name, 0) == 0) std::printf("droverd %s\n", line.c_str());
      }
    }
  }
  (void)cluster.Call("DELETE", "/api/v1/deployments/sleepers");
  if (roll_s < 0) {
    std::fprintf(stderr, "the rollout never finished\n");
    return 1;
  }
  std::printf(
      "%d replicas on %d nodes x %d cores: created in %.1f s (%.0f replicas/s); rolled "
      "(25%%/25%%) in %.1f s (%.0f replicas/s)\n",
      replicas, options.nodes, cores, create_s, replicas / create_s, roll_s, replicas / roll_s);
  std::printf("API during the rollout: %zu calls, p50 %.1f ms, p99 %.1f ms\n", latencies_ms.size(),
              Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99));
  std::printf("GET /healthz meanwhile (the host's floor): %zu calls, p50 %.1f ms, p99 %.1f ms\n",
              healthz_ms.size(), Percentile(healthz_ms, 0.5), Percentile(healthz_ms, 0.99));
  std::printf("deployment_create_replicas_per_s=%.0f replicas/s\n", replicas / create_s);
  std::printf("deployment_rollout_replicas_per_s=%.0f replicas/s\n", replicas / roll_s);
  return 0;
}
