#include "controllers/job_dependencies.h"

namespace drover::controllers {
namespace {

DependencyState Evaluate(const JobDependency& dep, const Job& other) {
  const JobPhase phase = other.status.phase;
  const bool ended = IsTerminal(phase);
  const bool failed = phase == JobPhase::kFailed || phase == JobPhase::kCancelled;
  if (dep.type == "after") {
    return other.status.start_time_ms > 0 || ended ? DependencyState::kSatisfied
                                                   : DependencyState::kWaiting;
  }
  if (dep.type == "afterany")
    return ended ? DependencyState::kSatisfied : DependencyState::kWaiting;
  if (!ended) return DependencyState::kWaiting;
  if (dep.type == "afterok") {
    return failed ? DependencyState::kNeverSatisfied : DependencyState::kSatisfied;
  }
  if (dep.type == "afternotok") {
    return failed ? DependencyState::kSatisfied : DependencyState::kNeverSatisfied;
  }
  return DependencyState::kNeverSatisfied;  // validation refuses other types
}

}  // namespace

DependencyVerdict EvaluateDependencies(const Job& job,
                                       const std::function<const Job*(uint64_t)>& find_job) {
  DependencyVerdict verdict;
  for (const JobDependency& dep : job.spec.dependencies) {
    const std::string name = dep.type + ":" + std::to_string(dep.job_id);
    const Job* other = find_job(dep.job_id);
    if (other == nullptr) {
      return {DependencyState::kNeverSatisfied, "dependency " + name +
                                                    " can never be satisfied: job " +
                                                    std::to_string(dep.job_id) + " does not exist"};
    }
    switch (Evaluate(dep, *other)) {
      case DependencyState::kNeverSatisfied:
        return {DependencyState::kNeverSatisfied,
                "dependency " + name + " can never be satisfied: job " +
                    std::to_string(dep.job_id) + " is " +
                    std::string(JobPhaseName(other->status.phase))};
      case DependencyState::kWaiting:
        verdict.state = DependencyState::kWaiting;
        break;
      case DependencyState::kSatisfied:
        break;
    }
  }
  return verdict;
}

}  // namespace drover::controllers
