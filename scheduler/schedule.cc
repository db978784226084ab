#include "scheduler/schedule.h"

#include <algorithm>
#include <numeric>

#include "scheduler/job_placer.h"
#include "scheduler/node_pool.h"

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

std::vector<size_t> QueueOrder(const std::vector<PendingJob>& pending) {
  std::vector<size_t> order(pending.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const PendingJob& x = pending[a];
    const PendingJob& y = pending[b];
    if (x.priority != y.priority) return x.priority > y.priority;
    if (x.submit_time_ms != y.submit_time_ms) return x.submit_time_ms < y.submit_time_ms;
    if (x.job_id != y.job_id) return x.job_id < y.job_id;
    return a < b;
  });
  return order;
}

Decision Schedule(const ClusterSnapshot& cluster, const std::vector<PendingJob>& pending,
                  int64_t now_ms) {
  (void)now_ms;
  Decision decision;
  NodePool pool(cluster);
  bool someone_blocked = false;
  for (size_t i : QueueOrder(pending)) {
    const PendingJob& job = pending[i];
    const int64_t wanted = std::max<int64_t>(0, job.tasks_wanted);
    const int64_t placed =
        PlaceTasks(pool, job, wanted, job.gang, /*caps=*/nullptr, decision.placements);
    if (placed == wanted) continue;
    PendingVerdict verdict;
    verdict.job_id = job.job_id;
    verdict.reasons.push_back(someone_blocked ? PendingReason::kPriority
                                              : PendingReason::kResources);
    decision.pending.push_back(std::move(verdict));
    someone_blocked = true;
  }
  return decision;
}

}  // namespace drover::scheduler
