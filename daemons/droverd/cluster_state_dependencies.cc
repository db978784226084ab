// ClusterState's side of job dependencies (Slurm's --dependency): jobs whose
// dependencies can never hold are cancelled before each pass, singleton, and
// aftercorr's index-by-index gate.
#include <algorithm>

#include "controllers/job_controller.h"
#include "controllers/job_dependencies.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {

int64_t ClusterState::CancelUnsatisfiableJobs(int64_t now_ms) {
  auto find = [this](uint64_t id) -> const Job* { return DependencyTarget(id); };
  int64_t cancelled = 0;
  // Runs before every pass: only the waiting jobs that have dependencies count.
  std::vector<uint64_t> ids;
  for (uint64_t id : unfinished_jobs_) {
    const Job& job = jobs_.at(id);
    if (!job.spec.dependencies.empty() && job.status.active == 0) ids.push_back(id);
  }
  // A cancelled job can make its own dependents unsatisfiable: repeat until
  // nothing changes (each round cancels at least one job, so it ends).
  for (bool changed = !ids.empty(); changed;) {
    changed = false;
    for (uint64_t id : ids) {
      if (!unfinished_jobs_.count(id)) continue;  // cancelled in an earlier round
      Job& job = jobs_.at(id);
      auto verdict = controllers::EvaluateDependencies(job, find, SingletonFree(job), now_ms);
      if (verdict.wake_at_ms > 0) WakeAt(verdict.wake_at_ms, id);  // after:JOB+MINUTES
      if (verdict.state != controllers::DependencyState::kNeverSatisfied) continue;
      if (!job.spec.kill_on_invalid_dependency) {
        // Kept pending (--kill-on-invalid-dep=no); squeue reads the message.
        if (job.status.message != verdict.message) {
          job.status.message = verdict.message;
          TouchJob(job);
        }
        continue;
      }
      JobPhase before = job.status.phase;
      if (!controllers::CancelJob(job, now_ms)) continue;
      job.status.message = verdict.message;
      job.status.reasons.clear();
      CountJobPhase(before, -1);
      CountJobPhase(JobPhase::kCancelled, +1);
      unfinished_jobs_.erase(id);
      TouchJob(job);
      EnqueueJob(id);
      ++cancelled;
      changed = true;
    }
  }
  UpdateCorrespondingIndexes();
  return cancelled;
}

bool ClusterState::SingletonFree(const Job& job) const {
  const bool singleton = std::any_of(job.spec.dependencies.begin(), job.spec.dependencies.end(),
                                     [](const JobDependency& d) { return d.type == "singleton"; });
  if (!singleton) return true;
  // Unfinished jobs are few next to all jobs; ids grow with submission.
  for (uint64_t id : unfinished_jobs_) {
    if (id >= job.id) break;
    const Job& other = jobs_.at(id);
    if (other.owner.uid == job.owner.uid && other.metadata.name == job.metadata.name) {
      return false;
    }
  }
  return true;
}

void ClusterState::UpdateCorrespondingIndexes() {
  corresponding_.clear();
  auto find = [this](uint64_t id) -> const Job* { return DependencyTarget(id); };
  for (uint64_t id : unfinished_jobs_) {
    Job& job = jobs_.at(id);
    if (!controllers::HasCorrespondingDependency(job)) continue;
    const controllers::CorrespondingIndexes c = controllers::EvaluateCorresponding(job, find);
    // Started, or done with: no second claim of any of these.
    IndexSet started = job.status.completed_indexes;
    started.InsertAll(job.status.failed_indexes);
    started.InsertAll(job.status.cancelled_indexes);
    started.InsertAll(job.status.failed_indexes_pending);
    if (auto held = job_tasks_.find(id); held != job_tasks_.end()) {
      for (const std::string& name : held->second) started.Insert(tasks_.at(name).spec.index);
    }
    corresponding_[id] = c.ready.Minus(started);
    const IndexSet never = c.never.Minus(started);
    if (never.empty() || !job.spec.kill_on_invalid_dependency) continue;
    // As Slurm: an array task whose dependency can never hold is cancelled;
    // the others go on. The job ends once nothing of it is left.
    job.status.cancelled_indexes.InsertAll(never);
    job.status.message =
        "array tasks " + never.ToString() + ": their aftercorr dependency can never be satisfied";
    TouchJob(job);
    EnqueueJob(id);
  }
}

IndexSet* ClusterState::ClaimableIndexes(uint64_t job_id) {
  auto it = corresponding_.find(job_id);
  return it == corresponding_.end() ? nullptr : &it->second;
}

const IndexSet* ClusterState::ClaimableIndexes(uint64_t job_id) const {
  auto it = corresponding_.find(job_id);
  return it == corresponding_.end() ? nullptr : &it->second;
}

}  // namespace drover::droverd
