#include "cmd/sim/replay.h"

#include <algorithm>
#include <queue>
#include <string>
#include <unordered_map>

#include "scheduler/engine.h"
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
  using scheduler::ClusterSnapshot;  // the initial, empty machine
  using scheduler::PendingJob;
  ReplayResult result;
  const std::vector<TraceJob>& jobs = workload.jobs;
  result.jobs.resize(jobs.size());

  ClusterSnapshot cluster;
  for (int32_t n = 0; n < machine.nodes; ++n) {
    scheduler::NodeSnapshot node;
    node.name = "n" + std::to_string(n);
    node.topology = scheduler::SyntheticTopology(1, 1, machine.cores_per_node);
    node.core_busy.assign(machine.cores_per_node, false);
    cluster.nodes.push_back(std::move(node));
  }
  // The pool and the plan live across passes: only what changed is applied.
  scheduler::Engine engine(cluster, config);
  engine.set_report_pending(false);            // only placements matter here
  std::unordered_map<uint64_t, size_t> by_id;  // pending job id -> workload index
  std::vector<PendingJob> pending;
  std::vector<size_t> pending_at;  // workload index of each pending job
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
      engine.EndJob(jobs[j].id);
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
      pending_at.push_back(next_submit);
      ++next_submit;
    }
    if (pending.empty()) continue;

    const scheduler::Decision& d = engine.Pass(pending, ToMs(now));
    ++result.passes;
    if (d.placements.empty()) continue;
    for (const scheduler::TaskPlacement& p : d.placements) {
      const size_t j = by_id[p.job_id];
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
    }
    // Whole jobs start (one task, or a gang), so a started job leaves the queue.
    size_t kept = 0;
    for (size_t k = 0; k < pending.size(); ++k) {
      if (started[pending_at[k]]) continue;
      if (kept != k) {
        pending[kept] = std::move(pending[k]);
        pending_at[kept] = pending_at[k];
      }
      ++kept;
    }
    pending.resize(kept);
    pending_at.resize(kept);
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
