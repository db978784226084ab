#include "cmd/sim/replay.h"

#include <algorithm>
#include <queue>
#include <string>
#include <unordered_map>

#include "scheduler/synthetic_topology.h"

namespace drover::sim {
namespace {

// Simulated time t seconds is now_ms = kEpochMs + 1000 t, so no start or end
// is 0 (which the scheduler reads as "unknown").
constexpr int64_t kEpochMs = 1'000'000;
int64_t ToMs(int64_t s) { return kEpochMs + s * 1000; }

struct Finish {
  int64_t time_s;
  size_t job;  // index in the workload
  bool operator>(const Finish& o) const {
    return time_s != o.time_s ? time_s > o.time_s : job > o.job;
  }
};

}  // namespace

ReplayResult Replay(const Workload& workload, const Machine& machine,
                    const scheduler::SchedulerConfig& config) {
  using scheduler::ClusterSnapshot;
  using scheduler::PendingJob;
  ReplayResult result;
  const std::vector<TraceJob>& jobs = workload.jobs;
  result.jobs.resize(jobs.size());

  ClusterSnapshot cluster;
  std::unordered_map<std::string, int32_t> node_index;
  for (int32_t n = 0; n < machine.nodes; ++n) {
    scheduler::NodeSnapshot node;
    node.name = "n" + std::to_string(n);
    node.topology = scheduler::SyntheticTopology(1, 1, machine.cores_per_node);
    node.core_busy.assign(machine.cores_per_node, false);
    node_index.emplace(node.name, n);
    cluster.nodes.push_back(std::move(node));
  }
  std::unordered_map<uint64_t, size_t> by_id;  // pending job id -> workload index
  std::vector<PendingJob> pending;
  std::priority_queue<Finish, std::vector<Finish>, std::greater<>> finishes;
  std::vector<uint8_t> started(jobs.size(), 0);

  size_t next_submit = 0;
  double busy_core_s = 0;
  while (next_submit < jobs.size() || !finishes.empty()) {
    int64_t now = finishes.empty() ? jobs[next_submit].submit_s : finishes.top().time_s;
    if (next_submit < jobs.size()) now = std::min(now, jobs[next_submit].submit_s);
    // Every event at `now`, finishes first, then submits.
    while (!finishes.empty() && finishes.top().time_s == now) {
      const size_t j = finishes.top().job;
      finishes.pop();
      const uint64_t id = jobs[j].id;
      std::erase_if(cluster.running, [&](const scheduler::RunningTask& t) {
        if (t.job_id != id) return false;
        auto& busy = cluster.nodes[node_index[t.node]].core_busy;
        for (int32_t c : t.cores) busy[c] = false;
        return true;
      });
    }
    while (next_submit < jobs.size() && jobs[next_submit].submit_s == now) {
      const TraceJob& tj = jobs[next_submit];
      PendingJob p;
      p.job_id = tj.id;
      p.priority = tj.priority;
      p.submit_time_ms = ToMs(tj.submit_s);
      if (machine.nodes == 1) {
        p.tasks_wanted = 1;
        p.cpus_per_task = static_cast<int32_t>(tj.procs);
      } else {
        p.tasks_wanted = tj.procs;
        p.cpus_per_task = 1;
        p.gang = true;
      }
      p.duration_ms = tj.estimate_s * 1000;
      p.user = tj.user;
      by_id[tj.id] = next_submit;
      pending.push_back(std::move(p));
      ++next_submit;
    }
    if (pending.empty()) continue;

    scheduler::Decision d = scheduler::Schedule(cluster, pending, ToMs(now), config);
    ++result.passes;
    if (d.placements.empty()) continue;
    for (const scheduler::TaskPlacement& p : d.placements) {
      const size_t j = by_id[p.job_id];
      auto& busy = cluster.nodes[node_index[p.node]].core_busy;
      for (int32_t c : p.cores) busy[c] = true;
      scheduler::RunningTask t;
      t.job_id = p.job_id;
      t.node = p.node;
      t.cores = p.cores;
      t.expected_end_ms = ToMs(now + jobs[j].estimate_s);
      if (!started[j]) {
        started[j] = 1;
        finishes.push({now + jobs[j].runtime_s, j});
        JobOutcome& o = result.jobs[j];
        o.id = jobs[j].id;
        o.submit_s = jobs[j].submit_s;
        o.start_s = now;
        o.end_s = now + jobs[j].runtime_s;
        busy_core_s += static_cast<double>(jobs[j].runtime_s) * jobs[j].procs;
      }
      cluster.running.push_back(std::move(t));
    }
    // Whole jobs start (one task, or a gang), so a started job leaves the queue.
    std::erase_if(pending, [&](const PendingJob& p) { return started[by_id[p.job_id]] != 0; });
  }

  if (!jobs.empty()) {
    int64_t first_submit = jobs.front().submit_s;
    int64_t last_end = 0;
    double wait = 0, slowdown = 0;
    for (size_t j = 0; j < jobs.size(); ++j) {
      const JobOutcome& o = result.jobs[j];
      last_end = std::max(last_end, o.end_s);
      const double w = static_cast<double>(o.start_s - o.submit_s);
      const double run = static_cast<double>(jobs[j].runtime_s);
      wait += w;
      slowdown += std::max(1.0, (w + run) / std::max(run, 10.0));
    }
    result.makespan_s = last_end - first_submit;
    result.mean_wait_s = wait / static_cast<double>(jobs.size());
    result.mean_bounded_slowdown = slowdown / static_cast<double>(jobs.size());
    const double cores = static_cast<double>(machine.nodes) * machine.cores_per_node;
    if (result.makespan_s > 0) {
      result.utilization = busy_core_s / (cores * static_cast<double>(result.makespan_s));
    }
  }
  return result;
}

}  // namespace drover::sim
