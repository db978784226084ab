#include "daemons/droverd/cluster_state.h"

#include <algorithm>
#include <limits>
#include <random>

#include "api/json_codec.h"
#include "api/random_uuid.h"
#include "api/validation.h"
#include "controllers/job_controller.h"
#include "controllers/job_dependencies.h"
#include "controllers/node_lifecycle.h"
#include "daemons/droverd/authorization.h"
#include "scheduler/admission.h"

namespace drover::droverd {

double CoreSeconds(const Task& task) {
  double seconds = (task.status.finish_time_ms - task.status.start_time_ms) / 1000.0;
  return std::max(0.0, seconds) * static_cast<double>(task.spec.cores.size());
}

void ClusterState::CountJobPhase(JobPhase phase, int delta) {
  counters_.jobs_by_phase[phase] += delta;
}

void ClusterState::TouchJob(Job& job) {
  job.metadata.resource_version = ++resource_version_;
  dirty_jobs_.insert(job.id);
}

void ClusterState::TouchTask(Task& task) {
  task.metadata.resource_version = ++resource_version_;
  dirty_tasks_.insert(task.metadata.name);
}

void ClusterState::TouchNode(Node& node) {
  node.metadata.resource_version = ++resource_version_;
  dirty_nodes_.insert(node.metadata.name);
  capacities_stale_ = true;
}

void ClusterState::ApplyQueueDefaults(Job& job) const {
  // A job without a time limit gets its queue's default, as in Slurm.
  if (job.spec.task.time_limit_s != 0) return;
  for (const auto& q : config_.scheduler.queues) {
    if (q.name == job.spec.queue) {
      job.spec.task.time_limit_s = q.default_time_s ? q.default_time_s : q.max_time_s;
    }
  }
}

Status ClusterState::CheckQueueExists(const std::string& name) const {
  // "default" always exists: the queue of jobs that name none, with no limits
  // unless configured (as Slurm's default partition).
  if (name == "default") return Status::Ok();
  std::string known = "default";
  for (const auto& q : config_.scheduler.queues) {
    if (q.name == name) return Status::Ok();
    known += ", " + q.name;
  }
  return Status::Invalid("spec.queue",
                         "no queue is named \"" + name + "\" (queues: " + known + ")");
}

Status ClusterState::CheckSubmission(const Job& submitted) const {
  Job job = submitted;
  ApplyQueueDefaults(job);
  DROVER_RETURN_IF_ERROR(ValidateJobSubmission(job));
  DROVER_RETURN_IF_ERROR(CheckQueueExists(job.spec.queue));
  for (size_t i = 0; i < job.spec.dependencies.size(); ++i) {
    uint64_t other = job.spec.dependencies[i].job_id;
    if (job.spec.dependencies[i].type == "singleton") continue;
    if (DependencyTarget(other) == nullptr) {
      return Status::Invalid("spec.dependencies[" + std::to_string(i) + "].job",
                             "job " + std::to_string(other) + " does not exist");
    }
  }
  for (const std::string& n : job.spec.node_list) {
    if (!nodes_.empty() && nodes_.count(n) == 0) {
      return Status::Invalid("spec.nodeList", "no node is named \"" + n + "\" (drover nodes)");
    }
  }
  // Could it ever run: on the registered nodes with nothing running, within its
  // queue's limits? (With no node registered yet, nobody can tell: accepted.)
  std::vector<scheduler::NodeCapacity> matching;
  const std::span<const scheduler::NodeCapacity> nodes =
      NodeCapacities(job.spec.node_selector, &matching);
  if (!job.spec.node_selector.empty() && !nodes_.empty() && nodes.empty()) {
    std::string wanted;
    for (const auto& [k, v] : job.spec.node_selector)
      wanted += (wanted.empty() ? "" : ", ") + k + "=" + v;
    return Status::Unschedulable(
        "spec.nodeSelector",
        "no node has the labels " + wanted +
            " (drover nodes lists each node's labels; an admin adds them with drover label)");
  }
  // An allocation is judged whole: all its slots at once.
  const bool allocation = IsAllocation(job.spec);
  return scheduler::CheckCanEverRun(
      nodes,
      PendingJobFor(job, allocation ? job.spec.allocation.tasks : job.spec.parallelism,
                    allocation || job.spec.gang, job.spec.priority, /*now_ms=*/0),
      config_.scheduler);
}

std::span<const scheduler::NodeCapacity> ClusterState::NodeCapacities(
    const Labels& selector, std::vector<scheduler::NodeCapacity>* matching) const {
  const auto capacity = [](const std::string& name, const Node& node) {
    return scheduler::NodeCapacity{name, static_cast<int64_t>(node.status.topology.cores.size()),
                                   node.status.topology.memory_bytes};
  };
  if (!selector.empty()) {
    for (const auto& [name, node] : nodes_) {
      if (MatchesSelector(node.metadata.labels, selector))
        matching->push_back(capacity(name, node));
    }
    return *matching;
  }
  if (capacities_stale_) {
    capacities_.clear();
    for (const auto& [name, node] : nodes_) capacities_.push_back(capacity(name, node));
    capacities_stale_ = false;
  }
  return capacities_;
}

std::string SubmissionKey(uint32_t uid, const std::string& submission_id) {
  return std::to_string(uid) + ":" + submission_id;
}

Result<const Job*> ClusterState::SubmitJob(Job job, const Caller& caller, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(AuthorizeSubmission(job, caller));
  // A retry of a submission already taken: its job, not a second one. (Its
  // reply still waits for this batch, which commits after the first's.)
  if (!job.submission_id.empty()) {
    auto earlier = submissions_.find(SubmissionKey(caller.uid, job.submission_id));
    if (earlier != submissions_.end()) return &jobs_.at(earlier->second);
  }
  ApplyQueueDefaults(job);
  DROVER_RETURN_IF_ERROR(CheckSubmission(job));
  job.id = next_job_id_++;
  meta_dirty_ = true;
  job.metadata.uid = RandomUuid();
  job.metadata.creation_time_ms = now_ms;
  job.owner = {caller.user, caller.uid, caller.gid};
  job.status = JobStatus{};
  uint64_t id = job.id;
  auto [it, inserted] = jobs_.emplace(id, std::move(job));
  if (!it->second.submission_id.empty()) {
    submissions_.emplace(SubmissionKey(caller.uid, it->second.submission_id), id);
  }
  unfinished_jobs_.insert(id);
  fair_share_.AddAssociation(it->second.owner.user, it->second.spec.account);
  if (it->second.spec.begin_time_ms > now_ms) {
    begin_times_.emplace(it->second.spec.begin_time_ms, id);
  }
  CountJobPhase(JobPhase::kPending, +1);
  TouchJob(it->second);
  needs_scheduling_ = true;
  return &it->second;
}

namespace {

// The unfinished job `id` that `caller` may `verb` (owner or admin), or why not.
Result<Job*> UnfinishedJob(std::map<uint64_t, Job>& jobs, uint64_t id, const Caller& caller,
                           const std::string& verb) {
  auto it = jobs.find(id);
  if (it == jobs.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  Job& job = it->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, verb));
  if (IsTerminal(job.status.phase)) {
    return Status::Conflict("job " + std::to_string(id) + " already finished (" +
                            std::string(JobPhaseName(job.status.phase)) + ")");
  }
  return &job;
}

}  // namespace

Status ClusterState::SetHold(uint64_t id, bool hold, const Caller& caller, int64_t now_ms) {
  auto found = UnfinishedJob(jobs_, id, caller, hold ? "hold" : "release");
  if (!found.ok()) return found.status();
  Job& job = **found;
  if (job.spec.hold == hold) return Status::Ok();
  job.spec.hold = hold;
  TouchJob(job);
  needs_scheduling_ = true;
  (void)now_ms;
  return Status::Ok();
}

Status ClusterState::RequeueJob(uint64_t id, const Caller& caller) {
  auto found = UnfinishedJob(jobs_, id, caller, "requeue");
  if (!found.ok()) return found.status();
  Job& job = **found;
  const std::string what = "job " + std::to_string(id);
  if (!job.spec.requeue) {
    return Status::Conflict(what + " was submitted with --no-requeue: it may not be requeued");
  }
  std::vector<Task*> running;
  for (const std::string& name : job_tasks_[id]) {
    Task& t = tasks_.at(name);
    if (!IsTerminal(t.status.phase) && !t.status.terminating) running.push_back(&t);
  }
  if (running.empty()) return Status::Conflict(what + " is pending: it has nothing to requeue");
  // Steps stop with their allocation (StopStepsIn, when its parts end).
  for (Task* t : running) KillTask(*t, scheduler::PreemptMode::kRequeue, kCancelGraceMs);
  EnqueueJob(id);
  needs_scheduling_ = true;
  return Status::Ok();
}

// An update's time limit: positive, and small enough that deadlines in ms stay far from overflow.
constexpr int64_t kMaxTimeLimitSeconds = 10LL * 366 * 24 * 3600;

Status ClusterState::UpdateJob(uint64_t id, const JobUpdate& u, const Caller& caller) {
  auto found = UnfinishedJob(jobs_, id, caller, "update");
  if (!found.ok()) return found.status();
  Job& job = **found;
  const std::string what = "job " + std::to_string(id);
  const bool admin = caller.role == Role::kAdmin;
  JobSpec spec = job.spec;
  if (u.time_limit_s) {
    const int64_t limit = *u.time_limit_s;
    if (limit < 1 || limit > kMaxTimeLimitSeconds) {
      return Status::Invalid(
          "timeLimit", "must be between 1 and " + std::to_string(kMaxTimeLimitSeconds) + " s");
    }
    if (!admin && (spec.task.time_limit_s == 0 || limit > spec.task.time_limit_s)) {
      return Status::PermissionDenied("timeLimit: only admins may raise a job's time limit (from " +
                                      std::to_string(spec.task.time_limit_s) + " s to " +
                                      std::to_string(limit) + " s); users may lower it");
    }
    for (const auto& q : config_.scheduler.queues) {
      if (q.name == spec.queue && q.max_time_s > 0 && limit > q.max_time_s) {
        return Status::Invalid("timeLimit", std::to_string(limit) + " s exceeds maxTime " +
                                                std::to_string(q.max_time_s) + " s of queue \"" +
                                                q.name + "\"");
      }
    }
    spec.task.time_limit_s = limit;
  }
  if (u.priority) {
    if (!admin) {
      return Status::PermissionDenied(
          "priority: only admins set a job's priority; lower your own with Nice=N (N >= 0)");
    }
    spec.priority = *u.priority;
  }
  if (u.nice) {
    if (*u.nice < -kMaxNice || *u.nice > kMaxNice) {
      return Status::Invalid("nice", "must be between " + std::to_string(-kMaxNice) + " and " +
                                         std::to_string(kMaxNice));
    }
    if (*u.nice < 0 && !admin) {
      return Status::PermissionDenied("nice: only admins may give a negative nice (got " +
                                      std::to_string(*u.nice) + ")");
    }
    spec.nice = *u.nice;
  }
  if (u.parallelism) {
    if (spec.gang || (IsAllocation(spec) && spec.completion_mode != CompletionMode::kIndexed)) {
      return Status::Conflict(what + " is not an array: ArrayTaskThrottle applies to arrays");
    }
    if (*u.parallelism < 0 || *u.parallelism > kMaxParallelism) {
      return Status::Invalid("arrayTaskThrottle", "must be between 0 (no throttle) and " +
                                                      std::to_string(kMaxParallelism));
    }
    spec.parallelism =
        *u.parallelism > 0 ? *u.parallelism : std::min<int64_t>(spec.completions, kMaxParallelism);
  }
  job.spec = std::move(spec);
  if (u.time_limit_s) {
    // What runs already: its nodes count the new limit from each task's start.
    for (const std::string& name : job_tasks_[id]) SendTimeLimit(tasks_.at(name));
  }
  TouchJob(job);
  EnqueueJob(id);  // a higher throttle may start more tasks now
  needs_scheduling_ = true;
  return Status::Ok();
}

void ClusterState::SendTimeLimit(const Task& task) {
  // A job's own tasks; a step's limit is its own, a placeholder runs nothing.
  if (task.spec.job_id == 0 || IsStepTask(task.spec) || task.spec.placeholder) return;
  if (IsTerminal(task.status.phase) || terminating_.count(task.metadata.name)) return;
  auto job = jobs_.find(task.spec.job_id);
  if (job == jobs_.end()) return;
  channels_[task.spec.node].AppendTimeLimit(task.metadata.name, job->second.spec.task.time_limit_s,
                                            building_batch_);
}

int64_t ClusterState::ForgetExpiredJobs(int64_t now_ms) {
  if (config_.history_retention_s > 0 && now_ms >= next_history_prune_ms_) {
    // Hourly, or at a tenth of a shorter retention.
    next_history_prune_ms_ =
        now_ms + std::clamp<int64_t>(config_.history_retention_s * 100, 100, 3'600'000);
    history_prune_before_ms_ = now_ms - config_.history_retention_s * 1000;
  }
  if (config_.job_retention_s <= 0 || now_ms < next_forget_ms_) return 0;
  // Sweeps are O(jobs): every 10 s, or a tenth of a shorter retention.
  next_forget_ms_ = now_ms + std::clamp<int64_t>(config_.job_retention_s * 100, 100, 10'000);
  const int64_t cutoff = now_ms - config_.job_retention_s * 1000;
  std::set<uint64_t> depended_on;
  for (uint64_t id : unfinished_jobs_) {
    for (const JobDependency& d : jobs_.at(id).spec.dependencies) depended_on.insert(d.job_id);
  }
  std::erase_if(ended_jobs_, [&](const auto& entry) { return !depended_on.count(entry.first); });
  int64_t forgotten = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = it->second;
    const uint64_t id = job.id;
    const bool expired = IsTerminal(job.status.phase) && job.status.recorded &&
                         job.status.completion_time_ms > 0 &&
                         job.status.completion_time_ms <= cutoff && !depended_on.count(id);
    static const std::vector<std::string> kNoTasks;
    auto tasks_of = job_tasks_.find(id);
    const std::vector<std::string>& names =
        tasks_of == job_tasks_.end() ? kNoTasks : tasks_of->second;
    // A task still ending holds its cores until its final report.
    if (!expired || std::any_of(names.begin(), names.end(), [this](const std::string& name) {
          return !IsTerminal(tasks_.at(name).status.phase);
        })) {
      ++it;
      continue;
    }
    auto steps_of = job_steps_.find(id);
    if (steps_of != job_steps_.end() &&
        std::any_of(steps_of->second.begin(), steps_of->second.end(),
                    [this](const std::string& name) {
                      return !IsTerminal(tasks_.at(name).status.phase);
                    })) {
      ++it;
      continue;
    }
    for (const auto* list :
         {&names, steps_of == job_steps_.end() ? &kNoTasks : &steps_of->second}) {
      for (const std::string& name : *list) {
        tasks_.erase(name);
        dirty_tasks_.erase(name);
        terminating_.erase(name);
        deleted_tasks_.push_back(name);
      }
    }
    if (tasks_of != job_tasks_.end()) job_tasks_.erase(tasks_of);
    if (steps_of != job_steps_.end()) job_steps_.erase(steps_of);
    next_attempt_.erase(next_attempt_.lower_bound({id, std::numeric_limits<int64_t>::min()}),
                        next_attempt_.lower_bound({id + 1, std::numeric_limits<int64_t>::min()}));
    CountJobPhase(job.status.phase, -1);
    dirty_jobs_.erase(id);
    deleted_jobs_.push_back(id);
    if (!job.submission_id.empty()) {
      submissions_.erase(SubmissionKey(job.owner.uid, job.submission_id));
    }
    it = jobs_.erase(it);
    ++forgotten;
  }
  return forgotten;
}

void ClusterState::AddTimeOnce(std::multimap<int64_t, uint64_t>& times, int64_t at_ms,
                               uint64_t id) {
  auto [first, last] = times.equal_range(at_ms);
  for (auto it = first; it != last; ++it) {
    if (it->second == id) return;
  }
  times.emplace(at_ms, id);
}

void ClusterState::WakeAt(int64_t at_ms, uint64_t id) { AddTimeOnce(begin_times_, at_ms, id); }

void ClusterState::WakeJobsDue(int64_t now_ms) {
  if (begin_times_.empty() || begin_times_.begin()->first > now_ms) return;
  begin_times_.erase(begin_times_.begin(), begin_times_.upper_bound(now_ms));
  needs_scheduling_ = true;
}

Status ClusterState::CancelJob(uint64_t id, const Caller& caller, int64_t now_ms) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  Job& job = it->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, "cancel"));
  JobPhase before = job.status.phase;
  if (!controllers::CancelJob(job, now_ms)) {
    return Status::Conflict("job " + std::to_string(id) + " already finished (" +
                            std::string(JobPhaseName(before)) + ")");
  }
  CountJobPhase(before, -1);
  CountJobPhase(JobPhase::kCancelled, +1);
  unfinished_jobs_.erase(id);
  TouchJob(job);
  EnqueueJob(id);  // its controller stops its tasks
  needs_scheduling_ = true;
  return Status::Ok();
}

Status ClusterState::CancelIndexes(uint64_t id, const IndexSet& indexes, const Caller& caller) {
  auto found = UnfinishedJob(jobs_, id, caller, "cancel");
  if (!found.ok()) return found.status();
  Job& job = **found;
  const std::string what = "job " + std::to_string(id);
  if (job.spec.completion_mode != CompletionMode::kIndexed || job.spec.gang) {
    return Status::Conflict(what + " is not an array: cancel the whole job");
  }
  for (int64_t i = indexes.First().value_or(0); !indexes.empty(); ++i) {
    i = indexes.FirstFrom(i).value_or(-1);
    if (i < 0) break;
    const bool listed =
        job.spec.indexes.empty() ? i < job.spec.completions : job.spec.indexes.Contains(i);
    if (!listed) {
      return Status::Invalid("indexes", what + " has no array task " + std::to_string(i));
    }
  }
  for (int64_t i = indexes.First().value_or(0); !indexes.empty(); ++i) {
    i = indexes.FirstFrom(i).value_or(-1);
    if (i < 0) break;
    if (job.status.completed_indexes.Contains(i) || job.status.failed_indexes.Contains(i)) {
      continue;  // done: nothing to cancel
    }
    job.status.cancelled_indexes.Insert(i);
    job.status.failed_indexes_pending.Erase(i);
    job.status.index_failures.erase(i);
  }
  for (const std::string& name : job_tasks_[id]) {
    Task& t = tasks_.at(name);
    if (job.status.cancelled_indexes.Contains(t.spec.index)) {
      KillTask(t, scheduler::PreemptMode::kOff, kCancelGraceMs);  // steps stop with their parts
    }
  }
  TouchJob(job);
  EnqueueJob(id);  // its controller ends it if nothing else is left
  needs_scheduling_ = true;
  return Status::Ok();
}

void ClusterState::KillTask(Task& task, scheduler::PreemptMode why, int64_t grace_ms) {
  if (IsTerminal(task.status.phase) || terminating_.count(task.metadata.name)) return;
  terminating_.emplace(task.metadata.name, why);
  task.status.terminating = true;
  TouchTask(task);
  if (task.spec.placeholder) {  // nothing runs on its node
    placeholders_stopping_.push_back(task.metadata.name);
    EnqueueJob(task.spec.job_id);
    return;
  }
  channels_[task.spec.node].AppendKill(task.metadata.name, grace_ms, building_batch_);
}

void ClusterState::ReconcileJobs(int64_t now_ms) {
  while (!jobs_to_reconcile_.empty() || !placeholders_stopping_.empty()) {
    EndStoppedPlaceholders(now_ms);
    if (jobs_to_reconcile_.empty()) continue;
    const uint64_t id = *jobs_to_reconcile_.begin();
    jobs_to_reconcile_.erase(jobs_to_reconcile_.begin());
    auto jit = jobs_.find(id);
    if (jit == jobs_.end()) continue;
    Job& job = jit->second;
    const std::vector<const Task*> tasks = TasksOfJob(id);
    controllers::JobReconcile r = controllers::ReconcileJob(job, tasks, now_ms);
    for (const std::string& name : r.count) {
      Task& task = tasks_.at(name);
      task.status.counted = true;
      TouchTask(task);
      if (task.status.start_time_ms > 0) {
        fair_share_.AddUsage(job.owner.user, job.spec.account, CoreSeconds(task), now_ms);
      }
    }

    if (r.changed) {
      if (r.status.phase != job.status.phase) {
        CountJobPhase(job.status.phase, -1);
        CountJobPhase(r.status.phase, +1);
      }
      job.status = std::move(r.status);
      if (IsTerminal(job.status.phase)) unfinished_jobs_.erase(id);
      TouchJob(job);
      needs_scheduling_ = true;
    }
    for (const std::string& name : r.kill) {
      KillTask(tasks_.at(name), scheduler::PreemptMode::kOff, kCancelGraceMs);
    }
    for (const std::string& name : r.requeue) {
      KillTask(tasks_.at(name), scheduler::PreemptMode::kRequeue, kCancelGraceMs);
    }
    if (IsTerminal(job.status.phase) && job_steps_.count(id)) {  // its steps end with it
      for (const std::string& name : job_steps_.at(id)) {
        KillTask(tasks_.at(name), scheduler::PreemptMode::kOff, kCancelGraceMs);
      }
    }
    if (!r.count.empty()) {
      RecordArrayIndexes(job, tasks, r.count);  // before old attempts may be forgotten
      ForgetOldFinishedTasks(id);
    }
  }
}

const Job* ClusterState::FindJob(uint64_t id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const Task* ClusterState::FindTask(const std::string& name) const {
  auto it = tasks_.find(name);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<const Task*> ClusterState::TasksOfJob(uint64_t id) const {
  std::vector<const Task*> out;
  auto it = job_tasks_.find(id);
  if (it == job_tasks_.end()) return out;
  for (const std::string& name : it->second) out.push_back(&tasks_.at(name));
  return out;
}

void ClusterState::ForgetOldFinishedTasks(uint64_t job_id) {
  auto it = job_tasks_.find(job_id);
  // Compacting at twice the bound keeps the cost per ended task constant.
  if (it == job_tasks_.end() || it->second.size() <= 2 * kFinishedTasksKeptPerJob) return;
  std::vector<std::string>& names = it->second;
  size_t finished = 0;
  for (const std::string& name : names) finished += tasks_.at(name).status.counted;
  size_t to_forget = finished > kFinishedTasksKeptPerJob ? finished - kFinishedTasksKeptPerJob : 0;
  std::vector<std::string> kept;
  kept.reserve(names.size() - to_forget);
  for (std::string& name : names) {  // oldest first
    const Task& t = tasks_.at(name);
    if (to_forget > 0 && t.status.counted && !terminating_.count(name)) {
      dirty_tasks_.erase(name);
      deleted_tasks_.push_back(name);
      tasks_.erase(name);
      --to_forget;
      continue;
    }
    kept.push_back(std::move(name));
  }
  names = std::move(kept);
}

void ClusterState::EndTask(Task& task, TaskPhase phase, int64_t now_ms) {
  (task.status.phase == TaskPhase::kAssigned ? counters_.tasks_assigned
                                             : counters_.tasks_running)--;
  auto killed = terminating_.find(task.metadata.name);
  bool requeue = false;
  const bool stopped = killed != terminating_.end();
  if (killed != terminating_.end()) {
    requeue = killed->second == scheduler::PreemptMode::kRequeue && phase != TaskPhase::kSucceeded;
    terminating_.erase(killed);
  }
  if (IsService(task)) {
    // Stopped by droverd (scaled down, replaced, deleted): not a failure.
    if (stopped && phase == TaskPhase::kFailed) {
      phase = TaskPhase::kCancelled;
      task.status.message = "stopped by its " + task.spec.owner.kind + "'s controller";
    }
    task.status.phase = phase;
    if (task.status.finish_time_ms == 0) task.status.finish_time_ms = now_ms;
    task.status.ready = false;
    Release(task);
    TouchTask(task);
    (phase == TaskPhase::kSucceeded ? counters_.tasks_succeeded_total
                                    : counters_.tasks_failed_total)++;
    if (IsDaemon(task)) {
      EndDaemonTask(task, stopped, now_ms);
    } else if (IsOrdinal(task)) {
      EndOrdinalTask(task, stopped, now_ms);
    } else {
      EndReplica(task, stopped, now_ms);
    }
    return;
  }
  if (IsStepTask(task.spec)) {
    task.status.phase = phase;
    if (task.status.finish_time_ms == 0) task.status.finish_time_ms = now_ms;
    Release(task);
    TouchTask(task);
    (phase == TaskPhase::kSucceeded ? counters_.tasks_succeeded_total
                                    : counters_.tasks_failed_total)++;
    EndStepTask(task, now_ms);  // last: it may forget old step tasks
    return;
  }
  if (requeue) {
    phase = TaskPhase::kCancelled;
    task.status.message =
        "stopped to run elsewhere (preempted, or its node drained); its index runs again";
  }
  // A node's failure is not the task's: its index runs again elsewhere and
  // counts neither as a failure nor against backoffLimit (Slurm requeues on
  // node failure; Kubernetes' podFailurePolicy can ignore DisruptionTarget).
  task.status.disrupted = requeue || phase == TaskPhase::kLost;
  task.status.phase = phase;
  if (task.status.finish_time_ms == 0) task.status.finish_time_ms = now_ms;
  Release(task);
  TouchTask(task);
  (phase == TaskPhase::kSucceeded ? counters_.tasks_succeeded_total
                                  : counters_.tasks_failed_total)++;
  if (phase != TaskPhase::kSucceeded) {
    next_attempt_[{task.spec.job_id, task.spec.index}] = task.spec.attempt + 1;
  }
  if (task.spec.part == 0 && task_credentials_ != nullptr) {
    task_credentials_->Revoke(task.metadata.name);  // a batch script's, if it had one
  }
  if (IsAllocation(jobs_.at(task.spec.job_id).spec)) StopStepsIn(task);
  // What the end means to the job is its controller's to say.
  EnqueueJob(task.spec.job_id);
  needs_scheduling_ = true;
}

Status ClusterState::ApplyReport(const std::string& node, const TaskReport& report,
                                 int64_t now_ms) {
  auto it = tasks_.find(report.task);
  if (it == tasks_.end()) {
    if (report.phase == TaskPhase::kRunning) FenceTasks(node, {report.task});
    return Status::NotFound("unknown task \"" + report.task + "\"");
  }
  Task& task = it->second;
  if (task.spec.node != node) {
    return Status::PermissionDenied("task " + report.task + " is assigned to node " +
                                    task.spec.node + ", not " + node);
  }
  if (report.phase != TaskPhase::kRunning && report.phase != TaskPhase::kSucceeded &&
      report.phase != TaskPhase::kFailed) {
    return Status::Invalid("phase", "a node reports Running, Succeeded or Failed");
  }
  if (IsTerminal(task.status.phase)) {
    // A final report repeated is already recorded; a Running one is a copy
    // droverd gave up on (its node was declared lost): it is killed.
    if (report.phase == TaskPhase::kRunning) FenceTasks(node, {report.task});
    return Status::Ok();
  }
  int64_t when = report.time_ms > 0 ? report.time_ms : now_ms;
  if (report.phase == TaskPhase::kRunning) {
    if (task.status.phase == TaskPhase::kRunning) {
      // A readiness report may have come before the supervisor's start.
      if (task.status.pid == 0 && report.pid != 0) {
        task.status.pid = report.pid;
        TouchTask(task);
      }
      if (IsService(task)) SetServiceReadiness(task, report, when);
      return Status::Ok();
    }
    task.status.phase = TaskPhase::kRunning;
    task.status.pid = report.pid;
    task.status.start_time_ms = when;
    counters_.tasks_assigned--;
    counters_.tasks_running++;
    counters_.tasks_started_total++;
    if (IsService(task)) SetServiceReadiness(task, report, when);
    TouchTask(task);
    return Status::Ok();
  }
  if (report.phase == TaskPhase::kSucceeded && (report.exit_code != 0 || report.signal != 0)) {
    return Status::Invalid("exitCode", "Succeeded with a non-zero exit code or a signal");
  }
  if (task.status.phase == TaskPhase::kAssigned) counters_.tasks_started_total++;
  if (report.pid != 0) task.status.pid = report.pid;
  if (task.status.start_time_ms == 0) {
    task.status.start_time_ms = report.start_time_ms > 0 ? report.start_time_ms : when;
  }
  task.status.exit_code = report.exit_code;
  task.status.signal = report.signal;
  task.status.usage = report.usage;
  task.status.finish_time_ms = when;
  task.status.message = report.timed_out ? kTimeLimitExceeded
                        : report.out_of_memory && report.phase == TaskPhase::kFailed
                            ? kOutOfMemory
                            : report.message;
  TaskPhase phase = report.phase;
  if (!IsService(task) && jobs_.at(task.spec.job_id).status.phase == JobPhase::kCancelled) {
    phase = TaskPhase::kCancelled;
  }
  EndTask(task, phase, now_ms);
  return Status::Ok();
}

}  // namespace drover::droverd
