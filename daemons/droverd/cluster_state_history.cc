// ClusterState's side of accounting: which records go to the store's
// job_history table when, the records of live jobs for sacct, and
// fair-share's usage replayed from the table at start-up.
//
// A record is (re)written whenever what it says becomes final: an array
// index's when one of its attempts is counted, a step's when its last rank
// ends (both before droverd may forget old tasks of a long job), and every
// record of a job once it and all its tasks have ended, which makes the job
// `recorded`. A row is keyed by its id, so writing one again replaces it.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "api/slurm_state.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/history_records.h"

namespace drover::droverd {
namespace {

// Usage is replayed for this many half-lives back (then it is under 0.1%),
// in buckets of an hour.
constexpr int64_t kReplayHalfLives = 10;
constexpr int64_t kUsageBucketMs = 3'600'000;

}  // namespace

void ClusterState::RecordArrayIndexes(const Job& job, const std::vector<const Task*>& tasks,
                                      const std::vector<std::string>& counted) {
  if (!IsArray(job)) return;
  std::map<int64_t, std::vector<const Task*>> by_index;
  for (const std::string& name : counted) by_index[tasks_.at(name).spec.index];
  for (const Task* t : tasks) {
    auto it = by_index.find(t->spec.index);
    if (it != by_index.end()) it->second.push_back(t);
  }
  for (const auto& [index, index_tasks] : by_index) {
    history_out_.push_back(ArrayTaskRecord(job, index, index_tasks));
  }
}

void ClusterState::RecordStepIfEnded(uint64_t job_id, int32_t step) {
  auto job = jobs_.find(job_id);
  auto names = job_steps_.find(job_id);
  if (job == jobs_.end() || names == job_steps_.end()) return;
  std::vector<const Task*> ranks;
  for (const std::string& name : names->second) {
    const Task& t = tasks_.at(name);
    if (t.spec.step.id != step) continue;
    if (!IsTerminal(t.status.phase)) return;
    ranks.push_back(&t);
  }
  if (!ranks.empty()) history_out_.push_back(StepRecord(job->second, ranks));
}

void ClusterState::TakeHistoryMutations(std::vector<db::Mutation>& out) {
  // A job is done when it and all its tasks have ended: its last change made
  // it or one of its tasks dirty.
  std::set<uint64_t> candidates(dirty_jobs_.begin(), dirty_jobs_.end());
  for (const std::string& name : dirty_tasks_) {
    const Task& t = tasks_.at(name);
    if (t.spec.job_id != 0 && IsTerminal(t.status.phase)) candidates.insert(t.spec.job_id);
  }
  for (uint64_t id : candidates) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    Job& job = it->second;
    if (!IsTerminal(job.status.phase) || job.status.recorded) continue;
    const std::vector<const Task*> tasks = TasksOfJob(id);
    const std::vector<const Task*> steps = StepTasksOfJob(id);
    const auto ended = [](const Task* t) { return IsTerminal(t->status.phase); };
    if (!std::all_of(tasks.begin(), tasks.end(), ended) ||
        !std::all_of(steps.begin(), steps.end(), ended)) {
      continue;
    }
    for (HistoryRecord& r : JobHistoryRecords(job, tasks, steps)) {
      history_out_.push_back(std::move(r));
    }
    job.status.recorded = true;
    TouchJob(job);
  }
  if (history_prune_before_ms_ > 0) {
    out.push_back(db::Mutation::PruneHistory(history_prune_before_ms_));
    history_prune_before_ms_ = 0;
  }
  for (HistoryRecord& r : history_out_) out.push_back(db::Mutation::RecordHistory(std::move(r)));
  history_out_.clear();
}

std::vector<HistoryRecord> ClusterState::LiveHistory(const HistoryQuery& query) const {
  std::vector<HistoryRecord> out;
  const auto add = [&](const Job& job) {
    if (job.status.recorded) return;
    if (!query.users.empty() &&
        std::find(query.users.begin(), query.users.end(), job.owner.user) == query.users.end()) {
      return;
    }
    for (HistoryRecord& r : JobHistoryRecords(job, TasksOfJob(job.id), StepTasksOfJob(job.id))) {
      if (Matches(query, r)) out.push_back(std::move(r));
    }
  };
  if (!query.job_ids.empty()) {
    for (uint64_t id : query.job_ids) {
      if (const Job* job = FindJob(id)) add(*job);
    }
  } else {
    for (const auto& [id, job] : jobs_) add(job);
  }
  return out;
}

Status ClusterState::ReplayFairShare(db::Store& store, int64_t now_ms) {
  struct Charge {
    int64_t at_ms;
    const std::string* user;
    const std::string* account;
    double core_seconds;
  };
  std::vector<Charge> charges;
  const int64_t since = now_ms - kReplayHalfLives * config_.fair_share.half_life_s * 1000;
  auto usage = store.SumHistoryUsage(std::max<int64_t>(0, since), kUsageBucketMs);
  if (!usage.ok()) return usage.status();
  for (const db::HistoryUsage& u : *usage) {
    charges.push_back({u.bucket_ms, &u.user, &u.account, u.core_seconds});
  }
  // Arrays' counted indexes are in the table already (written as they were
  // counted); the counted tasks of other jobs not yet recorded are not.
  for (const auto& [name, t] : tasks_) {
    if (IsService(t) || !t.status.counted || t.status.start_time_ms <= 0) continue;
    auto j = jobs_.find(t.spec.job_id);
    if (j == jobs_.end() || j->second.status.recorded || IsArray(j->second)) continue;
    charges.push_back(
        {t.status.finish_time_ms, &j->second.owner.user, &j->second.spec.account, CoreSeconds(t)});
  }
  std::sort(charges.begin(), charges.end(),
            [](const Charge& a, const Charge& b) { return a.at_ms < b.at_ms; });
  for (const Charge& c : charges) {
    fair_share_.AddUsage(*c.user, *c.account, c.core_seconds, c.at_ms);
  }
  return Status::Ok();
}

void ClusterState::NoteEndedJobs(const std::vector<HistoryRecord>& records) {
  // A job's end from its job-level rows (an array's: all of its indexes').
  std::map<uint64_t, std::vector<const HistoryRecord*>> by_job;
  for (const HistoryRecord& r : records) {
    if (!r.IsStep() && !jobs_.count(r.job_id)) by_job[r.job_id].push_back(&r);
  }
  for (const auto& [id, rows] : by_job) {
    Job job;
    job.id = id;
    job.metadata.name = rows.front()->name;
    job.owner.user = rows.front()->user;
    // Failed if any index failed, else cancelled if any was, else succeeded.
    std::optional<JobPhase> phase = JobPhase::kSucceeded;
    for (const HistoryRecord* r : rows) {
      const std::optional<JobPhase> row = EndedPhaseOfSlurmState(r->state);
      if (!row || !phase) {
        phase = std::nullopt;  // not ended as the table tells it: not a target
        break;
      }
      if (*row == JobPhase::kFailed ||
          (*row == JobPhase::kCancelled && *phase != JobPhase::kFailed)) {
        phase = row;
      }
      if (r->start_ms > 0 &&
          (job.status.start_time_ms == 0 || r->start_ms < job.status.start_time_ms)) {
        job.status.start_time_ms = r->start_ms;
      }
      job.status.completion_time_ms = std::max(job.status.completion_time_ms, r->end_ms);
    }
    if (!phase) continue;
    job.status.phase = *phase;
    job.status.recorded = true;
    ended_jobs_[id] = std::move(job);
  }
}

const Job* ClusterState::DependencyTarget(uint64_t id) const {
  if (const Job* job = FindJob(id)) return job;
  auto it = ended_jobs_.find(id);
  return it == ended_jobs_.end() ? nullptr : &it->second;
}

}  // namespace drover::droverd
