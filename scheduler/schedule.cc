#include "scheduler/schedule.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "scheduler/node_pool.h"
#include "scheduler/pass.h"
#include "scheduler/timeline.h"

namespace drover::scheduler {

std::string_view PendingReasonName(PendingReason reason) {
  switch (reason) {
    case PendingReason::kPriority:
      return "Priority";
    case PendingReason::kResources:
      return "Resources";
    case PendingReason::kDependency:
      return "Dependency";
    case PendingReason::kQueueLimit:
      return "QueueLimit";
    case PendingReason::kUserLimit:
      return "UserLimit";
    case PendingReason::kReservation:
      return "Reservation";
    case PendingReason::kHeld:
      return "Held";
    case PendingReason::kBeginTime:
      return "BeginTime";
  }
  return "Unknown";
}

std::string_view PreemptModeName(PreemptMode mode) {
  switch (mode) {
    case PreemptMode::kOff:
      return "off";
    case PreemptMode::kRequeue:
      return "requeue";
    case PreemptMode::kCancel:
      return "cancel";
  }
  return "off";
}

std::vector<size_t> QueueOrder(const std::vector<PendingJob>& pending) {
  std::vector<size_t> order;
  QueueOrder(pending, order);
  return order;
}

void QueueOrder(const std::vector<PendingJob>& pending, std::vector<size_t>& order) {
  order.resize(pending.size());
  std::iota(order.begin(), order.end(), 0);
  auto before = [&](size_t a, size_t b) {
    const PendingJob& x = pending[a];
    const PendingJob& y = pending[b];
    if (x.priority != y.priority) return x.priority > y.priority;
    if (x.submit_time_ms != y.submit_time_ms) return x.submit_time_ms < y.submit_time_ms;
    if (x.job_id != y.job_id) return x.job_id < y.job_id;
    return a < b;
  };
  // Callers often keep the queue in order already (drover-sim does): O(n) then.
  if (std::is_sorted(order.begin(), order.end(), before)) return;
  std::sort(order.begin(), order.end(), before);
}

Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms) {
  static const SchedulerConfig kDefault;
  return Schedule(cluster, pending, now_ms, kDefault);
}

Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms, const SchedulerConfig& config) {
  Decision decision;
  NodePool pool(cluster);
  Timeline timeline(pool, cluster, now_ms);
  RunPass(pool, timeline, cluster.running, pending, now_ms, config, decision);
  return decision;
}

}  // namespace drover::scheduler
