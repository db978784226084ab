#include "controllers/job_dependencies.h"

#include <algorithm>

namespace drover::controllers {
namespace {

DependencyState Evaluate(const JobDependency& dep, const Job& other, int64_t now_ms,
                         int64_t* wake_at_ms) {
  const JobPhase phase = other.status.phase;
  const bool ended = IsTerminal(phase);
  const bool failed = phase == JobPhase::kFailed || phase == JobPhase::kCancelled;
  if (dep.type == "after") {
    if (other.status.start_time_ms <= 0 && !ended) return DependencyState::kWaiting;
    const int64_t since = other.status.start_time_ms > 0 ? other.status.start_time_ms
                                                         : other.status.completion_time_ms;
    const int64_t due = since + dep.delay_s * 1000;
    if (dep.delay_s > 0 && now_ms < due) {
      *wake_at_ms = due;
      return DependencyState::kWaiting;
    }
    return DependencyState::kSatisfied;
  }
  if (dep.type == "aftercorr") return DependencyState::kSatisfied;  // index by index
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
                                       const std::function<const Job*(uint64_t)>& find_job,
                                       bool singleton_free, int64_t now_ms) {
  const bool any = job.spec.dependency_any;
  DependencyVerdict verdict;
  bool some_holds = false;
  bool some_may_hold = false;
  std::string never;  // the first that can never hold
  for (const JobDependency& dep : job.spec.dependencies) {
    DependencyState state = DependencyState::kWaiting;
    std::string why;
    if (dep.type == "singleton") {
      state = singleton_free ? DependencyState::kSatisfied : DependencyState::kWaiting;
    } else {
      const std::string name = dep.type + ":" + std::to_string(dep.job_id);
      const Job* other = find_job(dep.job_id);
      if (other == nullptr) {
        state = DependencyState::kNeverSatisfied;
        why = "dependency " + name + " can never be satisfied: job " + std::to_string(dep.job_id) +
              " does not exist";
      } else {
        int64_t wake = 0;
        state = Evaluate(dep, *other, now_ms, &wake);
        if (wake > 0 && (verdict.wake_at_ms == 0 || wake < verdict.wake_at_ms)) {
          verdict.wake_at_ms = wake;
        }
        if (state == DependencyState::kNeverSatisfied) {
          why = "dependency " + name + " can never be satisfied: job " +
                std::to_string(dep.job_id) + " is " +
                std::string(JobPhaseName(other->status.phase));
        }
      }
    }
    switch (state) {
      case DependencyState::kNeverSatisfied:
        if (!any) return {DependencyState::kNeverSatisfied, why, 0};
        if (never.empty()) never = why;
        break;
      case DependencyState::kWaiting:
        some_may_hold = true;
        verdict.state = DependencyState::kWaiting;
        break;
      case DependencyState::kSatisfied:
        some_holds = true;
        break;
    }
  }
  if (!any || job.spec.dependencies.empty()) return verdict;
  if (some_holds) return {DependencyState::kSatisfied, "", 0};
  if (some_may_hold) return {DependencyState::kWaiting, "", verdict.wake_at_ms};
  return {DependencyState::kNeverSatisfied,
          "none of its dependencies can be satisfied (" + never + ")", 0};
}

bool HasCorrespondingDependency(const Job& job) {
  return std::any_of(job.spec.dependencies.begin(), job.spec.dependencies.end(),
                     [](const JobDependency& d) { return d.type == "aftercorr"; });
}

CorrespondingIndexes EvaluateCorresponding(const Job& job,
                                           const std::function<const Job*(uint64_t)>& find_job) {
  const IndexSet mine = AllIndexes(job.spec);
  CorrespondingIndexes out;
  out.ready = mine;
  for (const JobDependency& dep : job.spec.dependencies) {
    if (dep.type != "aftercorr") continue;
    const Job* other = find_job(dep.job_id);
    if (other == nullptr) {
      out.ready.Clear();
      out.never = mine;
      return out;
    }
    const JobStatus& st = other->status;
    const bool indexed = other->spec.completion_mode == CompletionMode::kIndexed;
    const IndexSet theirs = indexed ? AllIndexes(other->spec) : IndexSet();
    const IndexSet unmatched = mine.Minus(theirs);  // wait for the whole job
    IndexSet ready = mine.Intersect(st.completed_indexes);
    IndexSet never = mine.Intersect(st.failed_indexes);
    never.InsertAll(mine.Intersect(st.cancelled_indexes));
    if (other->status.phase == JobPhase::kSucceeded) ready.InsertAll(unmatched);
    if (IsTerminal(other->status.phase)) {
      never.InsertAll(mine.Minus(ready));  // what it did not complete, it never will
    }
    out.ready = out.ready.Intersect(ready);
    out.never.InsertAll(never);
  }
  out.ready = out.ready.Minus(out.never);
  return out;
}

}  // namespace drover::controllers
