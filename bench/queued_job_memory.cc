// What a queued job costs droverd in memory: droverd's resident set before
// and after N pending jobs (submitted through the bulk endpoint, durable, on
// SQLite; no node registered, so they stay queued), per job. Arrays are one
// record whatever their size, so the jobs here are single ones: the worst case.
//
// Last line: bytes_per_queued_job=N B
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/local_cluster.h"

using namespace drover;

namespace {

// VmRSS of `pid` in bytes (0 when unreadable).
int64_t ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::atoi(argv[1]) : 200'000;
  const int per_request = 1000;
  testing::LocalClusterOptions options;
  options.nodes = 0;
  testing::LocalCluster cluster(options);
  if (Status st = cluster.Start(); !st.ok()) {
    std::fprintf(stderr, "cannot start droverd: %s\n", st.ToString().c_str());
    return 1;
  }
  const pid_t droverd = cluster.droverd_pid();
  Json items = Json::array();
  for (int i = 0; i < per_request; ++i) {
    items.push_back(testing::ShellJob("render-" + std::to_string(i),
                                      "render --frame " + std::to_string(i), 1, 1, false));
  }
  const std::string body = Json{{"items", items}}.dump();
  HttpClient client = cluster.Client();
  // A first batch warms up the allocator and the store's caches.
  if (auto r = client.Send("POST", "/api/v1/jobs/bulk", body); !r.ok() || r->status != 201) {
    std::fprintf(stderr, "bulk submit failed\n");
    return 1;
  }
  const int64_t before = ResidentBytes(droverd);
  for (int sent = per_request; sent < total + per_request; sent += per_request) {
    auto r = client.Send("POST", "/api/v1/jobs/bulk", body);
    if (!r.ok() || r->status != 201) {
      std::fprintf(stderr, "bulk submit failed: %s\n",
                   r.ok() ? r->body.substr(0, 200).c_str() : r.status().ToString().c_str());
      return 1;
    }
  }
  const int64_t after = ResidentBytes(droverd);
  cluster.Stop();
  std::printf("droverd RSS: %.1f MB with %d jobs queued, %.1f MB with %d (%d per request)\n",
              before / 1e6, per_request, after / 1e6, total + per_request, per_request);
  std::printf("bytes_per_queued_job=%.0f B\n", static_cast<double>(after - before) / total);
  return 0;
}
