#include "scheduler/queue_policy.h"

#include <set>
#include <string>

namespace drover::scheduler {
namespace {

// Strict first-come-first-served: the head waits, everyone waits behind it.
class FcfsPolicy final : public QueuePolicy {
 public:
  std::string_view name() const override { return "fcfs"; }
  BlockedAction OnBlocked(int64_t) const override { return BlockedAction::kReserveAndStop; }
};

// EASY (Lifka 1995; Mu'alem & Feitelson 2001): only the head gets a reservation.
class EasyPolicy final : public QueuePolicy {
 public:
  std::string_view name() const override { return "easy"; }
  BlockedAction OnBlocked(int64_t blocked_before) const override {
    return blocked_before == 0 ? BlockedAction::kReserve : BlockedAction::kSkip;
  }
};

// Conservative: every one of the first `depth` blocked jobs gets a reservation.
class ConservativePolicy final : public QueuePolicy {
 public:
  explicit ConservativePolicy(int32_t depth) : depth_(depth) {}
  std::string_view name() const override { return "conservative"; }
  BlockedAction OnBlocked(int64_t blocked_before) const override {
    return blocked_before < depth_ ? BlockedAction::kReserve : BlockedAction::kSkip;
  }

 private:
  int32_t depth_;
};

}  // namespace

const QueuePolicy* FindQueuePolicy(std::string_view name) {
  static const FcfsPolicy kFcfs;
  static const EasyPolicy kEasy;
  if (name == "fcfs") return &kFcfs;
  if (name == "easy") return &kEasy;
  return nullptr;
}

Result<std::unique_ptr<QueuePolicy>> MakeQueuePolicy(std::string_view name, int32_t depth) {
  if (name == "fcfs") return std::unique_ptr<QueuePolicy>(new FcfsPolicy());
  if (name == "easy") return std::unique_ptr<QueuePolicy>(new EasyPolicy());
  if (name == "conservative") {
    return std::unique_ptr<QueuePolicy>(new ConservativePolicy(depth));
  }
  return Status::Invalid("scheduler.policy", "must be one of fcfs, easy, conservative (got \"" +
                                                 std::string(name) + "\")");
}

Status ValidateSchedulerConfig(const SchedulerConfig& config) {
  auto policy = MakeQueuePolicy(config.policy, config.reservation_depth);
  if (!policy.ok()) return policy.status();
  if (config.reservation_depth < 1) {
    return Status::Invalid("scheduler.reservationDepth",
                           "must be >= 1 (got " + std::to_string(config.reservation_depth) + ")");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config.queues.size(); ++i) {
    const QueueLimits& q = config.queues[i];
    const std::string field = "scheduler.queues[" + std::to_string(i) + "]";
    if (q.name.empty()) return Status::Invalid(field + ".name", "must not be empty");
    if (!names.insert(q.name).second) {
      return Status::Invalid(field + ".name", "duplicate queue \"" + q.name + "\"");
    }
    struct Limit {
      const char* key;
      int64_t value;
    };
    for (const Limit& l : {Limit{"maxTime", q.max_time_s}, Limit{"defaultTime", q.default_time_s},
                           Limit{"maxCoresPerJob", q.max_cores_per_job},
                           Limit{"maxNodesPerJob", q.max_nodes_per_job},
                           Limit{"maxRunningJobsPerUser", q.max_running_jobs_per_user},
                           Limit{"priority", q.priority}}) {
      if (l.value < 0) {
        return Status::Invalid(field + "." + l.key,
                               "must be >= 0 (0 = none) (got " + std::to_string(l.value) + ")");
      }
    }
    if (q.max_time_s > 0 && q.default_time_s > q.max_time_s) {
      return Status::Invalid(field + ".defaultTime",
                             "must not exceed maxTime (" + std::to_string(q.default_time_s) +
                                 " s > " + std::to_string(q.max_time_s) + " s)");
    }
  }
  return Status::Ok();
}

}  // namespace drover::scheduler
