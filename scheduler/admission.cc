#include "scheduler/admission.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace drover::scheduler {

Status CheckCanEverRun(const ClusterSnapshot& cluster, const PendingJob& job,
                       const SchedulerConfig& config) {
  std::vector<NodeCapacity> nodes;
  nodes.reserve(cluster.nodes.size());
  for (const NodeSnapshot& n : cluster.nodes) {
    nodes.push_back({n.name, static_cast<int64_t>(n.topology.cores.size()),
                     std::max(n.topology.memory_bytes, n.memory_free_bytes)});
  }
  return CheckCanEverRun(nodes, job, config);
}

Status CheckCanEverRun(std::span<const NodeCapacity> nodes, const PendingJob& job,
                       const SchedulerConfig& config) {
  const QueueLimits* limits = nullptr;
  for (const QueueLimits& q : config.queues) {
    if (q.name == job.queue) limits = &q;
  }
  const std::string in_queue = limits != nullptr ? " of queue \"" + limits->name + "\"" : "";
  const int64_t cpus = std::max<int32_t>(1, job.cpus_per_task);
  const int64_t memory = std::max<int64_t>(0, job.memory_per_task);
  const int64_t tasks = std::max<int64_t>(1, job.tasks_wanted);
  if (limits != nullptr) {
    if (limits->max_time_s > 0 && job.time_limit_s > limits->max_time_s) {
      return Status::Unschedulable("spec.template.timeLimit",
                                   std::to_string(job.time_limit_s) + " s exceeds maxTime " +
                                       std::to_string(limits->max_time_s) + " s" + in_queue);
    }
    const int64_t cores = job.gang ? tasks * cpus : cpus;
    if (limits->max_cores_per_job > 0 && cores > limits->max_cores_per_job) {
      return Status::Unschedulable(job.gang ? "spec.parallelism" : "spec.template.resources.cpus",
                                   "the job needs " + std::to_string(cores) +
                                       " cores at once but maxCoresPerJob" + in_queue + " is " +
                                       std::to_string(limits->max_cores_per_job));
    }
    if (limits->max_nodes_per_job > 0 && job.nodes > limits->max_nodes_per_job) {
      return Status::Unschedulable(
          "spec.nodes", "asks for " + std::to_string(job.nodes) + " nodes but maxNodesPerJob" +
                            in_queue + " is " + std::to_string(limits->max_nodes_per_job));
    }
  }
  std::set<std::string, std::less<>> partition;
  if (limits != nullptr) partition.insert(limits->nodes.begin(), limits->nodes.end());
  int64_t considered = 0, largest_cores = 0, largest_memory = 0;
  std::vector<int64_t> room;  // tasks each node could hold, empty
  const int64_t per_node =
      job.nodes > 0 ? (tasks + job.nodes - 1) / job.nodes : std::numeric_limits<int64_t>::max();
  room.reserve(nodes.size());
  for (const NodeCapacity& node : nodes) {
    if (!partition.empty() && partition.find(node.name) == partition.end()) continue;
    ++considered;
    const int64_t cores = node.cores;
    const int64_t node_memory = node.memory_bytes;
    largest_cores = std::max(largest_cores, cores);
    if (cores >= cpus) largest_memory = std::max(largest_memory, node_memory);
    int64_t k = cores / cpus;
    if (memory > 0) k = std::min(k, node_memory / memory);
    if (job.ntasks_per_node > 0) k = std::min<int64_t>(k, job.ntasks_per_node);
    room.push_back(std::min(k, per_node));
  }
  if (considered == 0) {
    if (nodes.empty()) return Status::Ok();  // nothing registered yet
    return Status::Unschedulable("spec.queue", "queue \"" + job.queue + "\" has no node");
  }
  if (largest_cores < cpus) {
    return Status::Unschedulable("spec.template.resources.cpus",
                                 "a task asks for " + std::to_string(cpus) +
                                     " cpus but the largest node" + in_queue + " has " +
                                     std::to_string(largest_cores));
  }
  if (largest_memory < memory) {
    return Status::Unschedulable(
        "spec.template.resources.memory",
        "a task asks for " + std::to_string(memory) + " bytes but no node" + in_queue +
            " with enough cpus has that much (largest: " + std::to_string(largest_memory) + ")");
  }
  if (job.nodes > 0 && job.nodes > considered) {
    return Status::Unschedulable("spec.nodes", "asks for " + std::to_string(job.nodes) +
                                                   " nodes but there are " +
                                                   std::to_string(considered) + in_queue);
  }
  if (!job.gang) return Status::Ok();
  // A gang needs every task at once: on the roomiest N nodes when nodes = N.
  std::sort(room.begin(), room.end(), std::greater<>());
  if (job.nodes > 0) room.resize(job.nodes);
  int64_t slots = 0;
  for (int64_t k : room) slots += k;
  if (slots < tasks) {
    return Status::Unschedulable(
        "spec.parallelism",
        "a gang of " + std::to_string(tasks) + " tasks needs them all at once but the nodes" +
            in_queue +
            (job.nodes > 0 ? " (" + std::to_string(job.nodes) + " of them)" : std::string()) +
            " hold at most " + std::to_string(slots) + " such tasks");
  }
  return Status::Ok();
}

}  // namespace drover::scheduler
