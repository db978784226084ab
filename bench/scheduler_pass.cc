// One full scheduling pass (EASY, every job considered) with 100,000 pending
// jobs of mixed sizes (1 core to 512-core gangs) on 10,000 nodes of 2 packages
// x 2 NUMA x 16 cores, half of the cores busy with tasks that end at random
// times. Prints the pass time, the cost per job and the peak memory; the last
// line is `scheduler_pass_ms=<value> ms`.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "scheduler/schedule.h"
#include "scheduler/synthetic_topology.h"

using namespace drover::scheduler;

int main(int argc, char** argv) {
  const int nodes = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 100'000;
  const int64_t kGiB = int64_t{1} << 30;
  std::mt19937_64 rng(42);
  const int64_t now = 1'000'000'000;

  ClusterSnapshot cluster;
  const drover::NodeTopology topo = SyntheticTopology(2, 2, 16, 2, 256 * kGiB);
  cluster.nodes.reserve(nodes);
  for (int n = 0; n < nodes; ++n) {
    NodeSnapshot s;
    s.name = "node" + std::to_string(n);
    s.topology = topo;
    s.core_busy.assign(64, false);
    s.memory_free_bytes = 256 * kGiB;
    // Half the cores of every node busy with 4-core tasks ending within 4 h.
    for (int t = 0; t < 8; ++t) {
      RunningTask r;
      r.job_id = 1'000'000 + static_cast<uint64_t>(n) * 8 + t;
      r.node = s.name;
      const int base = static_cast<int>((rng() % 16) * 4);
      if (s.core_busy[base]) continue;
      for (int c = base; c < base + 4; ++c) {
        s.core_busy[c] = true;
        r.cores.push_back(c);
      }
      r.memory_bytes = 4 * kGiB;
      s.memory_free_bytes -= r.memory_bytes;
      r.expected_end_ms = now + static_cast<int64_t>(rng() % 14'400'000) + 1;
      cluster.running.push_back(std::move(r));
    }
    cluster.nodes.push_back(std::move(s));
  }

  std::vector<PendingJob> pending;
  pending.reserve(jobs);
  for (int i = 0; i < jobs; ++i) {
    PendingJob j;
    j.job_id = static_cast<uint64_t>(i + 1);
    j.priority = static_cast<int32_t>(rng() % 100);
    j.submit_time_ms = now - static_cast<int64_t>(rng() % 86'400'000);
    j.time_limit_s = 60 + static_cast<int64_t>(rng() % 86'400);
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 60) {  // serial
      j.tasks_wanted = 1;
      j.cpus_per_task = 1;
    } else if (kind < 80) {  // threaded, one node
      j.tasks_wanted = 1;
      j.cpus_per_task = 4 << (rng() % 3);  // 4, 8, 16
    } else if (kind < 95) {                // MPI, 16-128 cores
      j.gang = true;
      j.cpus_per_task = 1 << (rng() % 3);  // 1, 2, 4
      j.tasks_wanted = (16 << (rng() % 4)) / j.cpus_per_task;
    } else {  // 512-core gang
      j.gang = true;
      j.cpus_per_task = 16;
      j.tasks_wanted = 32;
    }
    j.memory_per_task = static_cast<int64_t>(j.cpus_per_task) * kGiB;
    pending.push_back(std::move(j));
  }

  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto t0 = std::chrono::steady_clock::now();
  Decision d = Schedule(cluster, pending, now);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);

  int64_t started_jobs = 0;
  uint64_t last = 0;
  for (const TaskPlacement& p : d.placements) {
    if (p.job_id != last) ++started_jobs;
    last = p.job_id;
  }
  std::printf("nodes=%d cores=%d pending=%d running_tasks=%zu\n", nodes, nodes * 64, jobs,
              cluster.running.size());
  std::printf("placements=%zu jobs_started=%lld still_pending=%zu reservations=%zu\n",
              d.placements.size(), static_cast<long long>(started_jobs), d.pending.size(),
              d.reservations.size());
  std::printf("per_job_us=%.3f\n", ms * 1000.0 / jobs);
  std::printf("peak_rss_mb=%.1f (before pass %.1f)\n", after.ru_maxrss / 1024.0,
              before.ru_maxrss / 1024.0);
  std::printf("scheduler_pass_ms=%.1f ms\n", ms);
  return 0;
}
