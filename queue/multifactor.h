// Multifactor priority, as Slurm's priority/multifactor: a weighted sum of
// factors in [0, 1] — age, job size, fair-share, queue — plus the job's own
// priority. Weights come from the configuration and are validated at start-up.
// Pure: every input, including the time, is passed in.
#pragma once

#include <cstdint>
#include <string>

#include "api/status.h"
#include "queue/fair_share.h"

namespace drover::queue {

struct PriorityWeights {
  int64_t age = 1000;
  int64_t job_size = 1000;
  int64_t fair_share = 10000;
  int64_t queue = 1000;
  int64_t max_age_s = 7 * 24 * 3600;  // age factor reaches 1 here
  bool favor_small = false;           // size factor rewards small jobs instead
};

Status ValidatePriorityWeights(const PriorityWeights& weights);

struct JobPriorityInput {
  int64_t submit_time_ms = 0;
  int64_t cores = 1;               // the job's total cores
  int32_t job_priority = 0;        // spec.priority, added as is
  int32_t queue_priority = 0;      // the job's queue's priority tier
  int32_t max_queue_priority = 0;  // the highest tier of any queue (normalizes)
  std::string user;
  std::string account{};  // "" = no account
};

// The job's priority; clamped to int32 (the scheduler's PendingJob::priority).
int32_t MultifactorPriority(const JobPriorityInput& job, const PriorityWeights& weights,
                            const FairShare& fair_share, int64_t cluster_cores, int64_t now_ms);

}  // namespace drover::queue
