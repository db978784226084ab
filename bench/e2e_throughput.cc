// End-to-end task throughput: an array of 2,000 tiny tasks (`true`) on a
// local cluster of 2 nodes x 8 cores, from submit to the last exit code
// recorded, next to this machine's ceiling (posix_spawn + wait of
// /bin/sh -c true on every core), measured in the same run.
//
// Last line: e2e_jobs_per_s=N spawn_ceiling_per_s=M ratio=R
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "api/json_codec.h"
#include "bench/spawn_ceiling.h"
#include "tests/support/local_cluster.h"

using namespace drover;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int tasks = argc > 1 ? std::atoi(argv[1]) : 2000;
  double ceiling = bench::MeasureSpawnCeiling(0, 2.0);
  std::printf("spawn ceiling (posix_spawn + wait of /bin/sh -c true on %u cores): %.0f/s\n",
              std::thread::hardware_concurrency(), ceiling);

  testing::LocalClusterOptions options;
  options.nodes = 2;
  options.node_topology = "synthetic:package:1 core:8 pu:1";
  testing::LocalCluster cluster(options);
  Status st = cluster.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "cannot start the cluster: %s\n", st.ToString().c_str());
    return 1;
  }
  Json job = testing::ShellJob("tiny", "true", tasks, tasks);
  job["spec"]["template"]["command"] = {"/bin/sh", "-c", "true"};
  auto start = Clock::now();
  auto submitted = cluster.Submit(job);
  if (!submitted.ok()) {
    std::fprintf(stderr, "submit: %s\n", submitted.status().ToString().c_str());
    return 1;
  }
  uint64_t id = (*submitted)["metadata"]["id"];
  auto done = cluster.WaitForJob(id, std::chrono::minutes(5));
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  if (!done.ok() || (*done)["status"]["phase"] != "Succeeded") {
    std::fprintf(stderr, "job did not succeed: %s\n",
                 done.ok() ? done->dump().c_str() : done.status().ToString().c_str());
    return 1;
  }
  // droverd's own timestamps: accepted -> last exit code recorded.
  int64_t created = *ParseTime((*done)["metadata"]["creationTimestamp"].get<std::string>());
  int64_t finished = *ParseTime((*done)["status"]["completionTime"].get<std::string>());
  double server_s = (finished - created) / 1000.0;
  double rate = tasks / server_s;
  std::printf(
      "%d tasks on 2 nodes x 8 cores: %.3f s by droverd's clock (%.3f s seen by the "
      "client)\n",
      tasks, server_s, wall);
  cluster.Stop();
  std::printf("e2e_jobs_per_s=%.0f spawn_ceiling_per_s=%.0f ratio=%.2f\n", rate, ceiling,
              rate / ceiling);
  return 0;
}
