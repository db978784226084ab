#include "api/slurm_state.h"

#include <algorithm>
#include <cstdio>

namespace drover {
namespace {

// A failure's message tells which of Slurm's failed states it is.
std::string FailedState(const std::string& message) {
  if (message.find(kTimeLimitExceeded) != std::string::npos) return "TIMEOUT";
  if (message.find("lost with its node") != std::string::npos) return "NODE_FAIL";
  if (message.find(kOutOfMemory) != std::string::npos) return "OUT_OF_MEMORY";
  return "FAILED";
}

}  // namespace

std::string SlurmJobState(const Job& job) {
  switch (job.status.phase) {
    case JobPhase::kPending:
      return "PENDING";
    case JobPhase::kRunning:
      return "RUNNING";
    case JobPhase::kSucceeded:
      return "COMPLETED";
    case JobPhase::kCancelled:
      return "CANCELLED";
    case JobPhase::kFailed:
      return FailedState(job.status.message);
  }
  return "UNKNOWN";
}

std::string SlurmTaskState(const Task& task) {
  switch (task.status.phase) {
    case TaskPhase::kAssigned:
    case TaskPhase::kRunning:
      return "RUNNING";
    case TaskPhase::kSucceeded:
      return "COMPLETED";
    case TaskPhase::kCancelled:
      return "CANCELLED";
    case TaskPhase::kLost:
      return "NODE_FAIL";
    case TaskPhase::kFailed:
      return FailedState(task.status.message);
  }
  return "UNKNOWN";
}

std::optional<JobPhase> EndedPhaseOfSlurmState(std::string_view state) {
  if (state == "COMPLETED") return JobPhase::kSucceeded;
  if (state == "CANCELLED") return JobPhase::kCancelled;
  if (state == "FAILED" || state == "TIMEOUT" || state == "OUT_OF_MEMORY" || state == "NODE_FAIL") {
    return JobPhase::kFailed;
  }
  return std::nullopt;
}

std::string SlurmDuration(int64_t seconds) {
  const long long s = std::max<int64_t>(0, seconds);
  char buf[48];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", s / 86400, s / 3600 % 24,
                  s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  }
  return buf;
}

}  // namespace drover
