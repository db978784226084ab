#include "queue/multifactor.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace drover::queue {

Status ValidatePriorityWeights(const PriorityWeights& w) {
  struct Named {
    const char* field;
    int64_t value;
  };
  for (const Named& n :
       {Named{"priority.weightAge", w.age}, Named{"priority.weightJobSize", w.job_size},
        Named{"priority.weightFairShare", w.fair_share}, Named{"priority.weightQueue", w.queue}}) {
    if (n.value < 0 || n.value > 100'000'000) {
      return Status::Invalid(n.field,
                             "must be in [0, 100000000] (got " + std::to_string(n.value) + ")");
    }
  }
  if (w.max_age_s <= 0) {
    return Status::Invalid("priority.maxAge",
                           "must be > 0 seconds (got " + std::to_string(w.max_age_s) + ")");
  }
  return Status::Ok();
}

int32_t MultifactorPriority(const JobPriorityInput& job, const PriorityWeights& w,
                            const FairShare& fair_share, int64_t cluster_cores, int64_t now_ms) {
  const double age_s = std::max<double>(0, static_cast<double>(now_ms - job.submit_time_ms) / 1000);
  const double age = std::min(1.0, age_s / static_cast<double>(w.max_age_s));
  double size =
      cluster_cores > 0
          ? std::min(1.0, static_cast<double>(job.cores) / static_cast<double>(cluster_cores))
          : 0.0;
  if (w.favor_small) size = 1.0 - size;
  const double fs = fair_share.Factor(job.user, job.account, now_ms);
  const double q = job.max_queue_priority > 0 ? static_cast<double>(job.queue_priority) /
                                                    static_cast<double>(job.max_queue_priority)
                                              : 0.0;
  const double total = static_cast<double>(w.age) * age + static_cast<double>(w.job_size) * size +
                       static_cast<double>(w.fair_share) * fs + static_cast<double>(w.queue) * q +
                       static_cast<double>(job.job_priority);
  const double clamped =
      std::clamp(std::round(total), static_cast<double>(std::numeric_limits<int32_t>::min()),
                 static_cast<double>(std::numeric_limits<int32_t>::max()));
  return static_cast<int32_t>(clamped);
}

}  // namespace drover::queue
