#include "scheduler/engine.h"

#include <algorithm>

#include "scheduler/pass.h"

namespace drover::scheduler {
namespace {

SchedulerConfig WithoutPreemption(SchedulerConfig config) {
  for (QueueLimits& q : config.queues) q.preempt = PreemptMode::kOff;
  return config;
}

}  // namespace

Engine::Engine(const ClusterSnapshot& cluster, SchedulerConfig config, int64_t now_ms)
    : config_(WithoutPreemption(std::move(config))),
      pool_(cluster),
      timeline_(pool_, cluster, now_ms),
      running_(cluster.running) {
  for (int32_t n = 0; n < pool_.node_count(); ++n) node_index_.emplace(pool_.name(n), n);
  running_node_.reserve(running_.size());
  for (const RunningTask& t : running_) running_node_.push_back(NodeIndex(t.node));
}

int32_t Engine::NodeIndex(const std::string& name) const {
  auto it = node_index_.find(name);
  return it == node_index_.end() ? -1 : it->second;
}

const Decision& Engine::Pass(const std::vector<PendingJob>& pending, int64_t now_ms) {
  decision_.placements.clear();
  decision_.pending.clear();
  decision_.reservations.clear();
  ends_.clear();
  PassOptions options;
  options.placement_ends = &ends_;
  options.order = &order_;
  options.report_pending = report_pending_;
  RunPass(pool_, timeline_, running_, pending, now_ms, config_, decision_, options);
  // The pass recorded each placement's release; remember it to undo at EndJob.
  for (size_t k = 0; k < decision_.placements.size(); ++k) {
    const TaskPlacement& p = decision_.placements[k];
    RunningTask t;
    t.job_id = p.job_id;
    t.node = p.node;
    t.cores = p.cores;
    t.memory_bytes = p.memory_bytes;
    t.numa_memory_bytes = p.numa_memory_bytes;
    t.start_ms = now_ms;
    t.expected_end_ms = ends_[k] == kNever ? 0 : ends_[k];
    running_.push_back(std::move(t));
    running_node_.push_back(NodeIndex(p.node));
  }
  return decision_;
}

void Engine::EndJob(uint64_t job_id) {
  // Order of running_ does not matter to a pass: remove by swapping with the last.
  for (size_t i = 0; i < running_.size();) {
    RunningTask& t = running_[i];
    if (t.job_id != job_id) {
      ++i;
      continue;
    }
    const int32_t n = running_node_[i];
    if (n >= 0 && pool_.schedulable(n)) {
      pool_.Give(n, t.cores, t.memory_bytes, &t.numa_memory_bytes);
      timeline_.RemoveRelease(n, static_cast<int64_t>(t.cores.size()), t.memory_bytes,
                              t.expected_end_ms);
    }
    if (i + 1 != running_.size()) {
      std::swap(t, running_.back());
      running_node_[i] = running_node_.back();
    }
    running_.pop_back();
    running_node_.pop_back();
  }
}

}  // namespace drover::scheduler
