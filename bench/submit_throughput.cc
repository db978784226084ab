// Durable submissions per second through the bulk endpoint on the SQLite
// store: every job is acknowledged only after the batch holding it committed.
// Clients send bulk requests of 1,000 jobs from several threads. Run three
// times side by side: with no node, and with 10 and 1,000 nodes registered
// (through the node API, as an admin, each of 32 cores, cordoned so nothing
// runs), so the admission check against the nodes is in the figure.
//
// Last line: submit_per_s=N jobs/s submit_per_s_10_nodes=N jobs/s submit_per_s_1000_nodes=N jobs/s
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

namespace {

// Registers `count` nodes of 32 cores and cordons them.
bool RegisterNodes(const testing::LocalCluster& cluster, int count) {
  for (int i = 0; i < count; ++i) {
    Node node;
    node.metadata.name = "bench-" + std::to_string(i);
    node.status.address = "127.0.0.1:1";
    for (int c = 0; c < 32; ++c) node.status.topology.cores.push_back({c, 0, 0, {c}});
    node.status.topology.memory_bytes = 128LL << 30;
    const std::string path = "/api/v1/nodes/" + node.metadata.name;
    auto r = cluster.Call("POST", path + "/register",
                          Json{{"node", ToJson(node)}, {"tasks", Json::array()}});
    if (r.ok()) r = cluster.Call("POST", path + "/cordon");
    if (!r.ok()) {
      std::fprintf(stderr, "cannot register %s: %s\n", node.metadata.name.c_str(),
                   r.status().ToString().c_str());
      return false;
    }
  }
  return true;
}

// Jobs acknowledged per second, or a negative number on failure.
double Measure(int nodes, int total) {
  const int per_request = 1000;
  const int clients = 4;
  testing::LocalClusterOptions options;
  options.nodes = 0;
  options.heartbeat_timeout_ms = 600'000;  // the registered nodes send none
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start droverd: %s\n", st.ToString().c_str());
    return -1;
  }
  if (!RegisterNodes(cluster, nodes)) return -1;
  Json items = Json::array();
  for (int i = 0; i < per_request; ++i) {
    items.push_back(testing::ShellJob("job-" + std::to_string(i), "echo hello", 1, 1, false));
  }
  std::string body = Json{{"items", items}}.dump();

  std::atomic<int> next{0};
  std::atomic<int> accepted{0};
  std::atomic<bool> failed{false};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      HttpClient client = cluster.Client();
      while (next.fetch_add(per_request) < total) {
        auto r = client.Send("POST", "/api/v1/jobs/bulk", body);
        if (!r.ok() || r->status != 201) {
          std::fprintf(stderr, "bulk submit failed: %s\n",
                       r.ok() ? r->body.substr(0, 200).c_str() : r.status().ToString().c_str());
          failed = true;
          return;
        }
        accepted += per_request;
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  cluster.Stop();
  if (failed) return -1;
  std::printf(
      "%d nodes: %d jobs (requests of %d, %zu bytes) acknowledged durable in %.3f s by %d "
      "clients\n",
      nodes, accepted.load(), per_request, body.size(), secs, clients);
  return accepted.load() / secs;
}

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const double none = Measure(0, total);
  const double ten = Measure(10, total);
  const double thousand = Measure(1000, total);
  if (none < 0 || ten < 0 || thousand < 0) return 1;
  std::printf(
      "submit_per_s=%.0f jobs/s submit_per_s_10_nodes=%.0f jobs/s "
      "submit_per_s_1000_nodes=%.0f jobs/s\n",
      none, ten, thousand);
  return 0;
}
