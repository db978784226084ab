// Durable submissions per second through the bulk endpoint on the SQLite
// store: every job is acknowledged only after the batch holding it committed.
// Clients send bulk requests of 1,000 jobs from several threads; no nodes are
// registered, so nothing runs and the figure is the submit path alone.
//
// Last line: submit_per_s=N jobs/s
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/support/local_cluster.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int total = argc > 1 ? std::atoi(argv[1]) : 100'000;
  int per_request = 1000;
  int clients = 4;
  testing::LocalClusterOptions options;
  options.nodes = 0;
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start droverd: %s\n", st.ToString().c_str());
    return 1;
  }
  Json items = Json::array();
  for (int i = 0; i < per_request; ++i) {
    items.push_back(testing::ShellJob("job-" + std::to_string(i), "echo hello", 1, 1, false));
  }
  std::string body = Json{{"items", items}}.dump();
  std::printf("request: %d jobs, %zu bytes\n", per_request, body.size());

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
  if (failed) return 1;
  auto list = cluster.Call("GET", "/api/v1/jobs?limit=1&phase=Pending");
  cluster.Stop();
  std::printf("%d jobs acknowledged durable in %.3f s by %d clients\n", accepted.load(), secs,
              clients);
  std::printf("submit_per_s=%.0f jobs/s\n", accepted.load() / secs);
  return 0;
}
