// Whether a job's dependencies (JobSpec::dependencies, Slurm's --dependency)
// let it start. Pure: the caller looks jobs up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/job.h"

namespace drover::controllers {

enum class DependencyState {
  kSatisfied,       // every dependency holds: the job may start
  kWaiting,         // some dependency may still come to hold
  kNeverSatisfied,  // some dependency can no longer hold (e.g. afterok on a failed job)
};

struct DependencyVerdict {
  DependencyState state = DependencyState::kSatisfied;
  std::string message;  // kNeverSatisfied: which dependency and why
  // kWaiting on a delayed "after" only: when the first such delay is over
  // (nothing else happens then, so the caller must wake itself); 0 = none.
  int64_t wake_at_ms = 0;
};

// `find_job` returns the job with that id, or nullptr when it is unknown (an
// unknown job can never satisfy a dependency). `singleton_free`: no earlier
// unfinished job of the owner has this job's name (what "singleton" waits
// for). With spec.dependency_any one holding dependency is enough, and the
// job is never satisfied only when none can hold. `now_ms` is when a delayed
// "after" (after:JOB+MINUTES) is asked about.
DependencyVerdict EvaluateDependencies(const Job& job,
                                       const std::function<const Job*(uint64_t)>& find_job,
                                       bool singleton_free = true, int64_t now_ms = 0);

// aftercorr (Slurm's), which EvaluateDependencies counts as holding: index N
// of an array may start once index N of every array it names has succeeded,
// and never once that one failed for good or its job ended without it. An
// index the other job does not have waits for the whole of it to succeed.
struct CorrespondingIndexes {
  IndexSet ready;  // of the job's indexes, those every aftercorr lets start
  IndexSet never;  // those some aftercorr can never let start
};
bool HasCorrespondingDependency(const Job& job);
CorrespondingIndexes EvaluateCorresponding(const Job& job,
                                           const std::function<const Job*(uint64_t)>& find_job);

}  // namespace drover::controllers
