// Wire names of enums, shared by the JSON codec, the CLI and logs.
#include <cstdio>
#include <string>

#include "api/job.h"
#include "api/node.h"
#include "api/task.h"

namespace drover {

std::string_view JobPhaseName(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPending:
      return "Pending";
    case JobPhase::kRunning:
      return "Running";
    case JobPhase::kSucceeded:
      return "Succeeded";
    case JobPhase::kFailed:
      return "Failed";
    case JobPhase::kCancelled:
      return "Cancelled";
  }
  return "Unknown";
}

bool IsTerminal(JobPhase phase) {
  return phase == JobPhase::kSucceeded || phase == JobPhase::kFailed ||
         phase == JobPhase::kCancelled;
}

std::string_view TaskPhaseName(TaskPhase phase) {
  switch (phase) {
    case TaskPhase::kAssigned:
      return "Assigned";
    case TaskPhase::kRunning:
      return "Running";
    case TaskPhase::kSucceeded:
      return "Succeeded";
    case TaskPhase::kFailed:
      return "Failed";
    case TaskPhase::kCancelled:
      return "Cancelled";
    case TaskPhase::kLost:
      return "Lost";
  }
  return "Unknown";
}

bool IsTerminal(TaskPhase phase) {
  return phase != TaskPhase::kAssigned && phase != TaskPhase::kRunning;
}

std::string_view NodePhaseName(NodePhase phase) {
  return phase == NodePhase::kReady ? "Ready" : "NotReady";
}

std::string TaskName(uint64_t job_id, int64_t index, int32_t attempt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llu_%lld.%d", static_cast<unsigned long long>(job_id),
                static_cast<long long>(index), attempt);
  return buf;
}

std::string AllocationPartName(uint64_t job_id, int64_t index, int32_t attempt, int32_t part) {
  return TaskName(job_id, index, attempt) + "+" + std::to_string(part);
}

std::string StepTaskName(uint64_t job_id, int32_t step, int32_t rank) {
  return std::to_string(job_id) + "." + std::to_string(step) + "-" + std::to_string(rank);
}

}  // namespace drover
