#include "scheduler/pass.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "scheduler/job_placer.h"
#include "scheduler/preemption.h"
#include "scheduler/queue_policy.h"

namespace drover::scheduler {
namespace {

// Per-pass view of the configured queues: node masks and running-job counts.
class QueueBook {
 public:
  QueueBook(const SchedulerConfig& config, const NodePool& pool) : config_(config) {
    if (config.queues.empty()) return;
    std::unordered_map<std::string_view, int32_t> node_index;
    for (int32_t n = 0; n < pool.node_count(); ++n) node_index.emplace(pool.name(n), n);
    masks_.resize(config.queues.size());
    for (size_t q = 0; q < config.queues.size(); ++q) {
      by_name_.emplace(config.queues[q].name, q);
      if (config.queues[q].nodes.empty()) continue;
      masks_[q].assign(pool.node_count(), 0);
      for (const std::string& name : config.queues[q].nodes) {
        auto it = node_index.find(name);
        if (it != node_index.end()) masks_[q][it->second] = 1;
      }
    }
    for (const auto& r : config.running_per_user) running_[{r.queue, r.user}] += r.jobs;
  }

  const QueueLimits* Find(const std::string& queue) const {
    if (by_name_.empty()) return nullptr;
    auto it = by_name_.find(queue);
    return it == by_name_.end() ? nullptr : &config_.queues[it->second];
  }
  const std::vector<uint8_t>* Mask(const std::string& queue) const {
    if (by_name_.empty()) return nullptr;
    auto it = by_name_.find(queue);
    if (it == by_name_.end() || masks_[it->second].empty()) return nullptr;
    return &masks_[it->second];
  }
  int32_t NodeIndex(const NodePool& pool, const std::string& name) {
    if (node_index_.empty()) {
      for (int32_t n = 0; n < pool.node_count(); ++n) node_index_.emplace(pool.name(n), n);
    }
    auto it = node_index_.find(name);
    return it == node_index_.end() ? -1 : it->second;
  }
  int32_t& Running(const std::string& queue, const std::string& user) {
    return running_[{queue, user}];
  }

 private:
  const SchedulerConfig& config_;
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<std::vector<uint8_t>> masks_;
  std::map<std::pair<std::string, std::string>, int32_t> running_;
  std::unordered_map<std::string, int32_t> node_index_;
};

// Reasons that keep a job out of this pass whatever the resources.
std::vector<PendingReason> QueueReasons(const PendingJob& job, const QueueLimits* limits,
                                        int32_t user_running, int64_t now_ms) {
  std::vector<PendingReason> reasons;
  if (job.held) reasons.push_back(PendingReason::kHeld);
  if (job.dependency_pending) reasons.push_back(PendingReason::kDependency);
  if (job.begin_time_ms > now_ms) reasons.push_back(PendingReason::kBeginTime);
  if (limits != nullptr) {
    const int64_t cores = std::max<int64_t>(1, job.tasks_wanted) * std::max(1, job.cpus_per_task);
    if ((limits->max_time_s > 0 && job.time_limit_s > limits->max_time_s) ||
        (limits->max_cores_per_job > 0 && job.gang && cores > limits->max_cores_per_job) ||
        (limits->max_nodes_per_job > 0 && job.nodes > limits->max_nodes_per_job)) {
      reasons.push_back(PendingReason::kQueueLimit);
    }
    if (limits->max_running_jobs_per_user > 0 &&
        user_running >= limits->max_running_jobs_per_user) {
      reasons.push_back(PendingReason::kUserLimit);
    }
  }
  return reasons;
}

}  // namespace

void RunPass(NodePool& pool, Timeline& timeline, const std::vector<RunningTask>& running,
             const std::vector<PendingJob>& pending, int64_t now_ms, const SchedulerConfig& config,
             Decision& decision, const PassOptions& options) {
  // Stateless policies are shared; others are made per pass.
  const QueuePolicy* shared = FindQueuePolicy(config.policy);
  std::unique_ptr<QueuePolicy> owned;
  if (shared == nullptr) {
    auto made = MakeQueuePolicy(config.policy, config.reservation_depth);
    owned = made.ok() ? std::move(made).value() : nullptr;
    if (owned == nullptr) shared = FindQueuePolicy("easy");
  }
  const QueuePolicy& policy = shared != nullptr ? *shared : *owned;

  timeline.BeginPass(now_ms);
  QueueBook queues(config, pool);
  // Made when the first job needs it: a pass where everything fits pays nothing.
  const bool preemption = PreemptionEnabled(config);
  std::optional<Preemptor> preemptor;
  NodeCaps caps;  // allocated once the first reservation exists
  std::vector<int32_t> placed_nodes;
  int64_t reserved_or_skipped = 0;  // blocked jobs the policy has ruled on
  bool someone_blocked = false;
  bool stopped = false;

  std::vector<size_t> own_order;
  std::vector<size_t>& order = options.order != nullptr ? *options.order : own_order;
  QueueOrder(pending, order);
  // Verdicts go through here so that a replay can skip them.
  auto add_reason = [&](PendingVerdict& verdict, PendingReason reason) {
    if (options.report_pending) verdict.reasons.push_back(reason);
  };
  auto report = [&](PendingVerdict&& verdict) {
    if (options.report_pending) decision.pending.push_back(std::move(verdict));
  };

  TasksOnNode already;            // the job's tasks per node (ntasks_per_node, reservations)
  std::vector<uint8_t> job_mask;  // nodes a job with a node constraint may use

  for (size_t i : order) {
    // After FCFS stops, the rest only get verdicts: none wanted, nothing to do.
    if (stopped && !options.report_pending) break;
    const PendingJob& job = pending[i];
    const QueueLimits* limits = queues.Find(job.queue);
    const bool user_limited = limits != nullptr && limits->max_running_jobs_per_user > 0;
    int32_t no_count = 0;
    int32_t& user_running = user_limited ? queues.Running(job.queue, job.user) : no_count;
    PendingVerdict verdict;
    verdict.job_id = job.job_id;
    verdict.reasons = QueueReasons(job, limits, user_running, now_ms);
    if (!verdict.reasons.empty()) {
      report(std::move(verdict));
      continue;
    }
    if (stopped) {
      add_reason(verdict, PendingReason::kPriority);
      report(std::move(verdict));
      continue;
    }
    const int64_t wanted = std::max<int64_t>(0, job.tasks_wanted);
    if (wanted == 0) continue;
    int64_t limit_s = job.time_limit_s;
    if (limit_s <= 0 && limits != nullptr) {
      limit_s = limits->default_time_s > 0 ? limits->default_time_s : limits->max_time_s;
    }
    const int64_t duration =
        job.duration_ms >= 0 ? job.duration_ms : (limit_s > 0 ? limit_s * 1000 : kNever);
    const std::vector<uint8_t>* mask = queues.Mask(job.queue);
    if (!job.node_selector.empty() || !job.required_node.empty() || !job.allowed_nodes.empty() ||
        !job.excluded_nodes.empty()) {
      // Its own mask: the queue's nodes that it may run on (O(nodes), and
      // only for the few jobs that constrain their nodes).
      job_mask.assign(pool.node_count(), 0);
      for (int32_t n = 0; n < pool.node_count(); ++n) {
        job_mask[n] = (mask == nullptr || (*mask)[n]) &&
                      (job.required_node.empty() || pool.name(n) == job.required_node) &&
                      (job.allowed_nodes.empty() ||
                       std::binary_search(job.allowed_nodes.begin(), job.allowed_nodes.end(),
                                          pool.name(n))) &&
                      !std::binary_search(job.excluded_nodes.begin(), job.excluded_nodes.end(),
                                          pool.name(n)) &&
                      pool.Matches(n, job.node_selector);
      }
      mask = &job_mask;
    }

    PlacementBounds bounds;
    bounds.allowed = mask;
    // ntasks_per_node counts the job's tasks already running (rare; O(running)).
    if (!already.empty()) already.clear();
    if (job.ntasks_per_node > 0) {
      for (const RunningTask& t : running) {
        if (t.job_id != job.job_id) continue;
        const int32_t n = queues.NodeIndex(pool, t.node);
        if (n >= 0) ++already[n];
      }
      bounds.already = &already;
    }
    // Most waiting jobs cannot start for want of cores: tell in O(1) and skip
    // the caps and the node search (PlaceTasks would place nothing).
    const int64_t cpus = std::max<int32_t>(1, job.cpus_per_task);
    const bool may_fit = pool.total_free_cores() >= (job.gang ? wanted * cpus : cpus);
    if (timeline.has_reservations() && (may_fit || preemption)) {
      if (caps.cores.empty()) {
        caps.cores.assign(pool.node_count(), std::numeric_limits<int32_t>::max());
        caps.memory.assign(pool.node_count(), std::numeric_limits<int64_t>::max());
      }
      timeline.CapsForNow(duration, caps);
      bounds.caps = &caps;
    }
    const size_t first = decision.placements.size();
    placed_nodes.clear();
    const int64_t placed = may_fit ? PlaceTasks(pool, job, wanted, job.gang, bounds,
                                                decision.placements, &placed_nodes)
                                   : 0;
    const int64_t end = duration >= kNever - now_ms ? kNever : now_ms + duration;
    for (size_t k = 0; k < placed_nodes.size(); ++k) {
      const TaskPlacement& p = decision.placements[first + k];
      timeline.AddStarted(placed_nodes[k], static_cast<int32_t>(p.cores.size()), p.memory_bytes,
                          end);
      if (options.placement_ends != nullptr) options.placement_ends->push_back(end);
    }
    if (placed > 0) ++user_running;
    if (placed == wanted) continue;

    if (preemption && (!job.gang || placed == 0)) {
      if (!preemptor) preemptor.emplace(pool, timeline, running, config, now_ms);
      const int64_t more = preemptor->Place(job, wanted - placed, bounds, duration, decision);
      if (more > 0 && placed == 0) ++user_running;
      if (placed + more == wanted) {
        // Placed once its victims are gone: pending until then, due now.
        add_reason(verdict, PendingReason::kResources);
        verdict.estimated_start_ms = now_ms;
        report(std::move(verdict));
        continue;
      }
    }

    add_reason(verdict, someone_blocked ? PendingReason::kPriority : PendingReason::kResources);
    someone_blocked = true;
    const BlockedAction action = policy.OnBlocked(reserved_or_skipped);
    if (action == BlockedAction::kSkip) {
      ++reserved_or_skipped;
    } else {
      // A gang waits for all of its tasks; other jobs for their next task.
      const int64_t unit = job.gang ? wanted : 1;
      for (int32_t n : placed_nodes) ++already[n];
      if (auto plan = timeline.FindEarliest(job, unit, duration, mask, &already)) {
        timeline.Reserve(job, *plan, duration, decision);
        verdict.estimated_start_ms = plan->start_ms;
        ++reserved_or_skipped;
      }
      // A job that can never start (it waits on a task with no end) holds no
      // reservation, so the next blocked job may get one.
      if (action == BlockedAction::kReserveAndStop) stopped = true;
    }
    report(std::move(verdict));
  }
}

}  // namespace drover::scheduler
