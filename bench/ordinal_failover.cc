// StatefulSet ordinal failover under a network partition, with droverd's
// and drover-node's default settings (heartbeat every 2 s, lost after 10 s,
// services.fenceAfter 10 s): a local cluster of 3 nodes runs a 3-ordinal
// StatefulSet with a Shared volume; one node's link to droverd goes through
// a proxy that is cut (black-holed, as dropped packets). Figure: the time
// from the cut until the ordinal of the cut-off node runs on another node
// (the last line). Every copy takes an exclusive flock on the ordinal's data
// and records a conflict if it cannot: the run fails if two copies ran.
//
// The goal is at most 30 s. For scale (documented, not measured here: none
// runs on this machine): Kubernetes never replaces a StatefulSet pod on an
// unreachable node without a person (kubernetes #74947, #54368); Nomad's
// stop_on_client_after is off by default.
//
// Last line: ordinal_failover_s=N s
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"
#include "tests/support/tcp_proxy.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

namespace {

std::map<int64_t, std::string> RunningOrdinals(const testing::LocalCluster& cluster) {
  std::map<int64_t, std::string> out;
  auto r = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  if (!r.ok()) return out;
  for (const Json& t : (*r)["items"]) {
    if (t["status"]["phase"] == "Running")
      out[t["spec"]["index"].get<int64_t>()] = t["spec"]["node"];
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  return 1;
}

}  // namespace

int main() {
  const std::string shared = std::filesystem::temp_directory_path().string() +
                             "/drover-bench-shared-" + std::to_string(getpid());
  std::filesystem::create_directories(shared);
  std::unique_ptr<testing::TcpProxy> proxy;
  testing::LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 0;  // the daemons' defaults
  options.node_heartbeat_ms = 0;
  options.config = "services:\n  sharedVolumeRoots: [" + shared + "]\n";
  options.node_server = [&proxy](int index, const std::string& server) {
    if (index != 2) return server;
    if (!proxy)
      proxy = std::make_unique<testing::TcpProxy>(std::stoi(server.substr(server.rfind(':') + 1)));
    return "http://127.0.0.1:" + std::to_string(proxy->port());
  };
  testing::LocalCluster cluster(options);
  if (Status st = cluster.Start(); !st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  const std::string script =
      "V=$DROVER_VOLUME_DATA; flock -n $V/lock sleep 600 || echo conflict >> $V/conflicts";
  Json ss = {{"apiVersion", "drover.io/v1"},
             {"kind", "StatefulSet"},
             {"metadata", {{"name", "db"}}},
             {"spec",
              {{"replicas", 3},
               {"volumeTemplates", {{{"name", "data"}, {"kind", "Shared"}, {"path", shared}}}},
               {"template", {{"command", {"/bin/sh", "-c", script}}}}}}};
  if (!cluster.Call("PUT", "/api/v1/statefulsets/db", ss).ok()) return Fail("apply");
  std::map<int64_t, std::string> running;
  for (auto deadline = Clock::now() + std::chrono::seconds(60); running.size() < 3;) {
    if (Clock::now() > deadline) return Fail("the ordinals never all ran");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    running = RunningOrdinals(cluster);
  }
  int64_t moved = -1;
  for (const auto& [ordinal, node] : running) {
    if (node == cluster.node_name(2)) moved = ordinal;
  }
  if (moved < 0) return Fail("no ordinal on the node behind the proxy");
  proxy->Cut();
  const auto cut = Clock::now();
  double failover_s = -1;
  while (Clock::now() < cut + std::chrono::seconds(120)) {
    auto now = RunningOrdinals(cluster);
    if (now.count(moved) && now.at(moved) != cluster.node_name(2)) {
      failover_s = std::chrono::duration<double>(Clock::now() - cut).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (failover_s < 0) return Fail("the ordinal did not move within 120 s");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a second copy would conflict at once
  const std::string conflicts =
      ReadFile(shared + "/db-" + std::to_string(moved) + "/data/conflicts");
  proxy->Restore();
  cluster.Stop();
  std::filesystem::remove_all(shared);
  if (!conflicts.empty()) return Fail("two copies of the ordinal ran at once");
  std::printf(
      "partitioned %s (3 nodes, default settings): db-%lld ran on another node after %.2f s, "
      "no second copy\n",
      cluster.node_name(2).c_str(), static_cast<long long>(moved), failover_s);
  std::printf("ordinal_failover_s=%.2f s\n", failover_s);
  return 0;
}
