// QueuePolicy: what a pass does with a job that cannot start now. The engine
// (schedule.cc) owns the bookkeeping — order, placement, the timeline; a policy
// only answers this one question, so FCFS, EASY and conservative backfilling
// are a few lines each and a new policy is a new class, not an engine edit.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "api/status.h"
#include "scheduler/schedule.h"

namespace drover::scheduler {

enum class BlockedAction {
  kReserve,         // give it a reservation at its earliest start; keep going
  kReserveAndStop,  // reserve it, then start nothing more this pass (FCFS)
  kSkip,            // no reservation; later jobs may start if they delay no reservation
};

class QueuePolicy {
 public:
  virtual ~QueuePolicy() = default;
  virtual std::string_view name() const = 0;
  // `blocked_before`: how many higher jobs of this pass could not start.
  virtual BlockedAction OnBlocked(int64_t blocked_before) const = 0;
};

// "fcfs", "easy" or "conservative" (depth = reservations it makes per pass).
Result<std::unique_ptr<QueuePolicy>> MakeQueuePolicy(std::string_view name, int32_t depth);

// The shared instance of a stateless policy ("fcfs", "easy"); null otherwise.
const QueuePolicy* FindQueuePolicy(std::string_view name);

// Checks names, weights and limits; the error names the field and the rule.
Status ValidateSchedulerConfig(const SchedulerConfig& config);

}  // namespace drover::scheduler
