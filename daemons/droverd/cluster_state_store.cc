// ClusterState's side of the store: rebuilding the state from it at start-up,
// and turning the objects changed since the last batch into one store batch.
#include <limits>

#include "api/json_codec.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/stored_object.h"

namespace drover::droverd {
namespace {

constexpr char kJobKind[] = "job";
constexpr char kTaskKind[] = "task";
constexpr char kNodeKind[] = "node";
constexpr char kMetaKind[] = "meta";

std::string JobKey(uint64_t id) {
  // Zero-padded so the store's key order is id order.
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

Status ClusterState::Load(db::Store& store, int64_t now_ms) {
  auto jobs = store.LoadAll(kJobKind);
  if (!jobs.ok()) return jobs.status();
  for (const auto& obj : *jobs) {
    auto job = DecodeStored(obj, "job", [](const Json& j) { return JobFromJson(j); });
    if (!job.ok()) return job.status();
    uint64_t id = job->id;
    next_job_id_ = std::max(next_job_id_, id + 1);
    resource_version_ = std::max(resource_version_, job->metadata.resource_version);
    if (!IsTerminal(job->status.phase)) {
      unfinished_jobs_.insert(id);
      if (job->spec.begin_time_ms > now_ms) begin_times_.emplace(job->spec.begin_time_ms, id);
      if (!job->spec.mail.types.empty()) mail_times_.emplace(0, id);  // its TIME_LIMIT mails
    }
    CountJobPhase(job->status.phase, +1);
    fair_share_.AddAssociation(job->owner.user, job->spec.account);
    // Ended before it was recorded (a store from before the history table):
    // record it at the first batch.
    if (IsTerminal(job->status.phase) && !job->status.recorded) dirty_jobs_.insert(id);
    if (!job->submission_id.empty()) {
      submissions_.emplace(SubmissionKey(job->owner.uid, job->submission_id), id);
    }
    jobs_.emplace(id, std::move(*job));
  }
  auto nodes = store.LoadAll(kNodeKind);
  if (!nodes.ok()) return nodes.status();
  for (const auto& obj : *nodes) {
    auto node = DecodeStored(obj, "node", [](const Json& j) { return NodeFromJson(j); });
    if (!node.ok()) return node.status();
    // A node proves itself alive again by heartbeating; until then it holds
    // its tasks but gets no new ones. Its grace starts now, not at its last
    // heartbeat before the restart.
    node->status.last_heartbeat_ms = now_ms;
    node->status.phase = NodePhase::kReady;
    node->status.allocated_cpus = 0;  // recounted from the tasks below
    node->status.allocated_memory_bytes = 0;
    node->status.running_tasks = 0;
    node->status.daemon_tasks = 0;
    auto& alloc = allocations_[node->metadata.name];
    alloc.core_busy.assign(node->status.topology.cores.size(), false);
    resource_version_ = std::max(resource_version_, node->metadata.resource_version);
    nodes_.emplace(node->metadata.name, std::move(*node));
  }
  DROVER_RETURN_IF_ERROR(deployments_.Load(store));
  for (const auto& [name, d] : deployments_.all()) {
    resource_version_ = std::max(resource_version_, d.metadata.resource_version);
  }
  DROVER_RETURN_IF_ERROR(daemon_sets_.Load(store));
  for (const auto& [name, ds] : daemon_sets_.all()) {
    resource_version_ = std::max(resource_version_, ds.metadata.resource_version);
  }
  DROVER_RETURN_IF_ERROR(stateful_sets_.Load(store));
  for (const auto& [name, ss] : stateful_sets_.all()) {
    resource_version_ = std::max(resource_version_, ss.metadata.resource_version);
  }
  auto tasks = store.LoadAll(kTaskKind);
  if (!tasks.ok()) return tasks.status();
  for (const auto& obj : *tasks) {
    auto task = DecodeStored(obj, "task", [](const Json& j) { return TaskFromJson(j); });
    if (!task.ok()) return task.status();
    resource_version_ = std::max(resource_version_, task->metadata.resource_version);
    std::string name = task->metadata.name;
    if (IsReplica(*task)) {
      deployments_.AddTask(task->spec.owner.name, name);
    } else if (IsDaemon(*task)) {
      daemon_sets_.AddTask(task->spec.owner.name, name);
    } else if (IsOrdinal(*task)) {
      stateful_sets_.AddTask(task->spec.owner.name, name);
    } else if (IsStepTask(task->spec)) {
      job_steps_[task->spec.job_id].push_back(name);
    } else {
      job_tasks_[task->spec.job_id].push_back(name);
    }
    auto [it, inserted] = tasks_.emplace(name, std::move(*task));
    const Task& t = it->second;
    if (!IsService(t) && !IsStepTask(t.spec) && IsTerminal(t.status.phase) &&
        t.status.phase != TaskPhase::kSucceeded) {
      int32_t& next = next_attempt_[{t.spec.job_id, t.spec.index}];
      next = std::max(next, t.spec.attempt + 1);
    }
    if (!IsTerminal(t.status.phase)) {
      Hold(t);
      (t.status.phase == TaskPhase::kAssigned ? counters_.tasks_assigned
                                              : counters_.tasks_running)++;
    }
  }
  // Ended service tasks, oldest first: the record of what may be forgotten.
  std::vector<const Task*> ended_replicas;
  for (const auto& [name, t] : tasks_) {
    if (IsService(t) && IsTerminal(t.status.phase)) ended_replicas.push_back(&t);
  }
  std::sort(ended_replicas.begin(), ended_replicas.end(), [](const Task* a, const Task* b) {
    return a->status.finish_time_ms < b->status.finish_time_ms;
  });
  for (const Task* t : ended_replicas) {
    if (IsDaemon(*t)) {
      daemon_sets_.RecordEnded(t->spec.owner.name, t->metadata.name);
    } else if (IsOrdinal(*t)) {
      stateful_sets_.RecordEnded(t->spec.owner.name, t->metadata.name);
    } else {
      deployments_.RecordEnded(t->spec.owner.name, t->metadata.name);
    }
  }
  DROVER_RETURN_IF_ERROR(ReplayFairShare(store, now_ms));
  // Dependencies on jobs forgotten since: their ends are in the history table.
  HistoryQuery forgotten;
  forgotten.steps = false;
  for (uint64_t id : unfinished_jobs_) {
    for (const JobDependency& d : jobs_.at(id).spec.dependencies) {
      if (d.type != "singleton" && !jobs_.count(d.job_id)) forgotten.job_ids.push_back(d.job_id);
    }
  }
  if (!forgotten.job_ids.empty()) {
    auto records = store.QueryHistory(forgotten);
    if (!records.ok()) return records.status();
    NoteEndedJobs(*records);
  }
  auto meta = store.Get(kMetaKind, "next_job_id");
  if (meta.ok()) {
    next_job_id_ = std::max<uint64_t>(next_job_id_, std::stoull(meta->data));
  }
  // Rebuild what each node must still be told: launches not yet confirmed,
  // and kills of tasks whose job already ended.
  for (auto& [name, task] : tasks_) {
    if (IsTerminal(task.status.phase)) continue;
    if (IsService(task)) {
      const bool owned = ServiceRevision(task) != nullptr;
      if (!owned || task.status.terminating) {  // deleted, or being stopped: it must stop
        terminating_.emplace(name, scheduler::PreemptMode::kOff);
        channels_[task.spec.node].AppendKill(name, kCancelGraceMs, building_batch_);
      } else if (task.status.phase == TaskPhase::kAssigned) {
        channels_[task.spec.node].AppendLaunch(ServiceLaunch(task), building_batch_);
      }
      continue;
    }
    const Job& job = jobs_.at(task.spec.job_id);
    if (IsTerminal(job.status.phase) || task.status.terminating) {
      // A job's task being stopped with its job still going is a preemption
      // victim: it runs again.
      terminating_.emplace(name, IsTerminal(job.status.phase) ? scheduler::PreemptMode::kOff
                                                              : scheduler::PreemptMode::kRequeue);
      if (task.spec.placeholder) {
        placeholders_stopping_.push_back(name);  // nothing runs on its node: it ends here
      } else {
        channels_[task.spec.node].AppendKill(name, kCancelGraceMs, building_batch_);
      }
    } else if (task.status.phase == TaskPhase::kAssigned) {
      // A plain task, an allocation's script or a step's rank, each its own launch.
      channels_[task.spec.node].AppendLaunch(LaunchOf(task, task.spec.node), building_batch_);
    }
  }
  for (auto* index : {&job_tasks_, &job_steps_}) {
    for (auto& [id, names] : *index) {
      std::sort(names.begin(), names.end(), [this](const std::string& a, const std::string& b) {
        return tasks_.at(a).metadata.creation_time_ms < tasks_.at(b).metadata.creation_time_ms;
      });
    }
  }
  // Level-triggered: every job is reconciled once against what was stored.
  for (const auto& [id, job] : jobs_) EnqueueJob(id);
  needs_scheduling_ = true;
  return Status::Ok();
}

std::vector<db::Mutation> ClusterState::TakeMutations() {
  std::vector<db::Mutation> out;
  out.reserve(dirty_jobs_.size() + dirty_tasks_.size() + dirty_nodes_.size() +
              deleted_jobs_.size() + deleted_tasks_.size() + history_out_.size() + 1);
  TakeHistoryMutations(out);  // first: it marks the jobs it records dirty
  for (uint64_t id : deleted_jobs_) out.push_back(db::Mutation::Delete(kJobKind, JobKey(id)));
  for (const std::string& name : deleted_tasks_) {
    out.push_back(db::Mutation::Delete(kTaskKind, name));
  }
  deleted_jobs_.clear();
  deleted_tasks_.clear();
  deployments_.TakeMutations(out);
  daemon_sets_.TakeMutations(out);
  stateful_sets_.TakeMutations(out);
  for (uint64_t id : dirty_jobs_) {
    out.push_back(db::Mutation::Put(kJobKind, JobKey(id), ToJson(jobs_.at(id)).dump()));
  }
  for (const std::string& name : dirty_tasks_) {
    out.push_back(db::Mutation::Put(kTaskKind, name, ToJson(tasks_.at(name)).dump()));
  }
  for (const std::string& name : dirty_nodes_) {
    out.push_back(db::Mutation::Put(kNodeKind, name, ToJson(nodes_.at(name)).dump()));
  }
  if (meta_dirty_) {
    out.push_back(db::Mutation::Put(kMetaKind, "next_job_id", std::to_string(next_job_id_)));
  }
  dirty_jobs_.clear();
  dirty_tasks_.clear();
  dirty_nodes_.clear();
  meta_dirty_ = false;
  return out;
}

}  // namespace drover::droverd
