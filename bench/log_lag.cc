// Log shipping throughput and lag, the path users take: a local cluster of
// one node with droverd's built-in log shipper (default settings), a task
// writing 10 MB/s of 1,000-byte lines for 10 s, each line stamped with the
// wall-clock time it was written. The bench follows droverd's log store (what
// `drover logs` serves once a node is gone) and takes, for every line, the
// time from its write until droverd holds it.
//
// Run as `bench_log_lag`; the task is this program again (`--write`).
// Last line: log_lag_p99_ms=N ms
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"
#include "tests/support/wait_for.h"

using namespace drover;

namespace {

constexpr int kLineBytes = 1000;
constexpr int kSeconds = 10;
constexpr int64_t kBytesPerSecond = 10'000'000;

int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The task: 100 KB every 10 ms, in lines "MICROSECONDS xxxx...\n".
int Write() {
  const int lines_per_tick = static_cast<int>(kBytesPerSecond / 100 / kLineBytes);
  auto next = std::chrono::steady_clock::now();
  std::string buf;
  for (int tick = 0; tick < kSeconds * 100; ++tick) {
    buf.clear();
    const std::string stamp = std::to_string(WallUs());
    for (int i = 0; i < lines_per_tick; ++i) {
      buf += stamp;
      buf.append(kLineBytes - 1 - stamp.size(), 'x');
      buf += '\n';
    }
    if (fwrite(buf.data(), 1, buf.size(), stdout) != buf.size()) return 1;
    fflush(stdout);
    next += std::chrono::milliseconds(10);
    std::this_thread::sleep_until(next);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--write") == 0) return Write();
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  testing::LocalClusterOptions options;
  options.nodes = 1;
  options.builtin_daemons = true;
  options.heartbeat_timeout_ms = 0;  // the daemons' defaults
  options.node_heartbeat_ms = 0;
  testing::LocalCluster cluster(options);
  if (Status st = cluster.Start(); !st.ok()) {
    std::fprintf(stderr, "bench_log_lag: %s\n", st.ToString().c_str());
    return 1;
  }
  auto ready = [&] {
    auto ds = cluster.Call("GET", "/api/v1/daemonsets/drover-log-shipper");
    return ds.ok() && (*ds)["status"].value("numberReady", 0) == 1;
  };
  if (!testing::WaitFor(ready, std::chrono::seconds(30))) {
    std::fprintf(stderr, "bench_log_lag: the log shipper did not start\n");
    return 1;
  }
  auto job = cluster.Submit(
      Json{{"metadata", {{"name", "writer"}}},
           {"spec", {{"template", {{"command", {self, "--write"}}, {"workingDir", "/tmp"}}}}}});
  if (!job.ok()) {
    std::fprintf(stderr, "bench_log_lag: %s\n", job.status().ToString().c_str());
    return 1;
  }
  const uint64_t id = (*job)["metadata"]["id"];
  std::string task;
  testing::WaitFor(
      [&] {
        auto t = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
        if (!t.ok() || (*t)["items"].empty()) return false;
        task = (*t)["items"][0]["metadata"]["name"];
        return true;
      },
      std::chrono::seconds(30));
  const std::string stored = cluster.dir() + "/task-logs/" + task + ".out";
  const int64_t total = kBytesPerSecond * kSeconds;
  std::vector<double> lags_ms;
  lags_ms.reserve(static_cast<size_t>(total / kLineBytes));
  int64_t offset = 0;
  std::string partial;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(kSeconds + 60);
  std::vector<char> buf(4 << 20);
  while (offset < total && std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(stored, std::ios::binary);
    if (in) in.seekg(offset);
    size_t got = 0;
    if (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      got = static_cast<size_t>(in.gcount());
    }
    if (got == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const int64_t now_us = WallUs();
    offset += static_cast<int64_t>(got);
    partial.append(buf.data(), got);
    size_t pos = 0, eol;
    while ((eol = partial.find('\n', pos)) != std::string::npos) {
      lags_ms.push_back(static_cast<double>(now_us - std::stoll(partial.substr(pos, 16))) / 1000);
      pos = eol + 1;
    }
    partial.erase(0, pos);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (offset < total) {
    std::fprintf(stderr, "bench_log_lag: droverd holds %lld of %lld bytes after %.0f s\n",
                 static_cast<long long>(offset), static_cast<long long>(total), elapsed);
    return 1;
  }
  std::sort(lags_ms.begin(), lags_ms.end());
  auto pct = [&](double p) { return lags_ms[static_cast<size_t>(p * (lags_ms.size() - 1))]; };
  std::printf("lines=%zu bytes=%lld over %.1f s (writer: %d s at 10 MB/s)\n", lags_ms.size(),
              static_cast<long long>(offset), elapsed, kSeconds);
  std::printf("log_lag_p50_ms=%.1f ms\nlog_lag_max_ms=%.1f ms\n", pct(0.5), lags_ms.back());
  std::printf("log_ship_throughput_mb_s=%.1f MB/s\n", offset / elapsed / 1e6);
  std::printf("log_lag_p99_ms=%.1f ms\n", pct(0.99));
  return 0;
}
