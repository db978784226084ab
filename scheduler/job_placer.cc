#include "scheduler/job_placer.h"

#include <algorithm>

namespace drover::scheduler {

int64_t PlaceTasks(NodePool& pool, const PendingJob& job, int64_t tasks, bool all_or_nothing,
                   NodeCaps* caps, std::vector<TaskPlacement>& out) {
  const int32_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  const size_t first = out.size();
  // Cheap rejection before any search: the whole cluster lacks the cores.
  if (all_or_nothing && pool.total_free_cores() < tasks * cpus) return 0;
  auto accept = [&](int32_t n) {
    return caps == nullptr || (caps->cores[n] >= cpus && caps->memory[n] >= memory);
  };
  std::vector<int32_t> used_nodes;  // node index of each placement, for rollback
  int64_t placed = 0;
  while (placed < tasks) {
    if (pool.total_free_cores() < cpus) break;
    const int32_t n = pool.BestFitNode(cpus, memory, accept);
    if (n < 0) break;
    TaskPlacement p;
    p.job_id = job.job_id;
    p.node = pool.name(n);
    p.cores = pool.ChooseCores(n, cpus, CorePlacement::kCompact);
    p.cpus = pool.PusOf(n, p.cores);
    p.memory_bytes = memory;
    pool.Take(n, p.cores, memory);
    if (caps != nullptr) {
      caps->cores[n] -= cpus;
      caps->memory[n] -= memory;
    }
    out.push_back(std::move(p));
    used_nodes.push_back(n);
    ++placed;
  }
  if (all_or_nothing && placed < tasks) {
    // Roll back: a gang never holds a partial allocation.
    for (size_t i = first; i < out.size(); ++i) {
      const int32_t n = used_nodes[i - first];
      pool.Give(n, out[i].cores, out[i].memory_bytes);
      if (caps != nullptr) {
        caps->cores[n] += cpus;
        caps->memory[n] += memory;
      }
    }
    out.resize(first);
    return 0;
  }
  return placed;
}

bool FitsEmptyCluster(const ClusterSnapshot& cluster, const PendingJob& job) {
  const int64_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  const int64_t need = job.gang ? std::max<int64_t>(1, job.tasks_wanted) : 1;
  int64_t room = 0;
  for (const NodeSnapshot& node : cluster.nodes) {
    if (!node.schedulable) continue;
    int64_t by_cores = static_cast<int64_t>(node.topology.cores.size()) / cpus;
    const int64_t node_memory = std::max(node.topology.memory_bytes, node.memory_free_bytes);
    int64_t by_memory = memory > 0 ? node_memory / memory : by_cores;
    room += std::min(by_cores, by_memory);
    if (room >= need) return true;
  }
  return false;
}

}  // namespace drover::scheduler
