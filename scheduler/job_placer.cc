#include "scheduler/job_placer.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace drover::scheduler {
namespace {

struct Take {
  int32_t node;
  std::vector<int32_t> cores;
  int64_t memory;
  std::vector<int64_t> numa_memory;  // bound jobs only
};

}  // namespace

int64_t PlaceTasks(NodePool& pool, const PendingJob& job, int64_t tasks, bool all_or_nothing,
                   PlacementBounds bounds, std::vector<TaskPlacement>& out,
                   std::vector<int32_t>* out_nodes) {
  const int32_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  if (tasks <= 0) return 0;
  // Cheap rejection before any search: the whole cluster lacks the cores.
  if (all_or_nothing && pool.total_free_cores() < tasks * cpus) return 0;

  int64_t per_node_cap =
      job.ntasks_per_node > 0 ? job.ntasks_per_node : std::numeric_limits<int64_t>::max();
  if (job.nodes > 0) per_node_cap = std::min(per_node_cap, (tasks + job.nodes - 1) / job.nodes);
  const bool count_per_node = job.ntasks_per_node > 0 || job.nodes > 0 || job.exclusive;
  std::unordered_map<int32_t, int64_t> on_node;  // tasks of this job per node
  if (bounds.already != nullptr && job.ntasks_per_node > 0) on_node = *bounds.already;
  NodeCaps* caps = bounds.caps;
  // Memory bound to the cores' NUMA nodes: a node qualifies only with cores
  // whose NUMA nodes have it (checked last: it chooses the cores).
  const int64_t bound = job.memory_per_numa && !job.exclusive ? memory : 0;

  auto accept = [&](int32_t n) {
    if (bounds.allowed != nullptr && !(*bounds.allowed)[n]) return false;
    int32_t need_cores = cpus;
    int64_t need_memory = memory;
    if (job.exclusive) {
      if (pool.free_cores(n) != pool.total_cores(n)) return false;
      need_cores = pool.total_cores(n);
      need_memory = std::max(memory, pool.free_memory(n));
    }
    if (caps != nullptr && (caps->cores[n] < need_cores || caps->memory[n] < need_memory)) {
      return false;
    }
    if (count_per_node) {
      auto it = on_node.find(n);
      const int64_t here = it == on_node.end() ? 0 : it->second;
      if (here >= per_node_cap) return false;
      if (job.nodes > 0 && static_cast<int64_t>(on_node.size()) >= job.nodes && here == 0) {
        return false;
      }
    }
    if (bound > 0 && pool.numa_tracked(n)) {
      return !pool.ChooseCores(n, cpus, job.placement, bound).empty();
    }
    return true;
  };

  std::vector<Take> takes;
  const size_t first = out.size();
  const size_t first_node = out_nodes != nullptr ? out_nodes->size() : 0;
  int64_t placed = 0;
  while (placed < tasks) {
    if (pool.total_free_cores() < cpus) break;
    const int32_t n = pool.BestFitNode(cpus, memory, accept);
    if (n < 0) break;
    if (job.exclusive) {
      // The whole node: k tasks, the spare cores and memory to the last one.
      const int64_t by_memory =
          memory > 0 ? pool.free_memory(n) / memory : std::numeric_limits<int64_t>::max();
      const int64_t k = std::min({tasks - placed, static_cast<int64_t>(pool.total_cores(n) / cpus),
                                  per_node_cap, by_memory});
      std::vector<int32_t> cores = pool.ChooseCores(n, pool.total_cores(n), job.placement);
      const int64_t node_memory = pool.free_memory(n);
      for (int64_t i = 0; i < k; ++i) {
        TaskPlacement p;
        p.job_id = job.job_id;
        p.node = pool.name(n);
        const auto begin = cores.begin() + i * cpus;
        const auto end = i + 1 == k ? cores.end() : begin + cpus;
        p.cores.assign(begin, end);
        p.cpus = pool.PusOf(n, p.cores);
        p.memory_bytes = i + 1 == k ? node_memory - (k - 1) * memory : memory;
        out.push_back(std::move(p));
        if (out_nodes != nullptr) out_nodes->push_back(n);
      }
      pool.Take(n, cores, node_memory);
      if (caps != nullptr) {
        caps->cores[n] -= static_cast<int32_t>(cores.size());
        caps->memory[n] -= node_memory;
      }
      takes.push_back({n, std::move(cores), node_memory, {}});
      on_node[n] += k;
      placed += k;
      continue;
    }
    TaskPlacement p;
    p.job_id = job.job_id;
    p.node = pool.name(n);
    p.cores = pool.ChooseCores(n, cpus, job.placement, bound);
    p.cpus = pool.PusOf(n, p.cores);
    p.memory_bytes = memory;
    if (bound > 0 && pool.numa_tracked(n)) p.numa_memory_bytes = pool.NumaSplit(n, p.cores, bound);
    pool.Take(n, p.cores, memory, &p.numa_memory_bytes);
    if (caps != nullptr) {
      caps->cores[n] -= cpus;
      caps->memory[n] -= memory;
    }
    takes.push_back({n, p.cores, memory, p.numa_memory_bytes});
    out.push_back(std::move(p));
    if (out_nodes != nullptr) out_nodes->push_back(n);
    if (count_per_node) ++on_node[n];
    ++placed;
  }
  if (all_or_nothing && placed < tasks) {
    // Roll back: a gang never holds a partial allocation.
    for (const Take& t : takes) {
      pool.Give(t.node, t.cores, t.memory, &t.numa_memory);
      if (caps != nullptr) {
        caps->cores[t.node] += static_cast<int32_t>(t.cores.size());
        caps->memory[t.node] += t.memory;
      }
    }
    out.resize(first);
    if (out_nodes != nullptr) out_nodes->resize(first_node);
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
    int64_t here = std::min(by_cores, by_memory);
    if (job.ntasks_per_node > 0) here = std::min<int64_t>(here, job.ntasks_per_node);
    room += here;
    if (room >= need) return true;
  }
  return false;
}

}  // namespace drover::scheduler
