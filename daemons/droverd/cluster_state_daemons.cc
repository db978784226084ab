// ClusterState's DaemonSets: apply/restart/delete, the controller's reconcile
// loop over queued keys and the applier of its actions, and daemon tasks
// made from the scheduler's placements. A daemon task waits in the
// scheduler's queue as one piece of work per (DaemonSet, node), pinned to
// that node and ahead of batch work, so it takes its node's next free cores.
#include <algorithm>
#include <limits>

#include "api/daemon_set_json.h"
#include "controllers/daemon_set_controller.h"
#include "controllers/deployment_controller.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/builtin_daemons.h"
#include "daemons/droverd/cluster_state.h"
#include "scheduler/admission.h"

namespace drover::droverd {
namespace {

bool SameSpec(const DaemonSet& a, const DaemonSet& b) {
  return ToJson(a)["spec"] == ToJson(b)["spec"] && a.metadata.labels == b.metadata.labels;
}

}  // namespace

void ClusterState::TouchDaemonSet(DaemonSet& ds) {
  ds.metadata.resource_version = ++resource_version_;
  daemon_sets_.MarkDirty(ds.metadata.name);
  daemon_sets_.Enqueue(ds.metadata.name);
}

Status ClusterState::CheckDaemonSetApply(const DaemonSet& ds, const Caller& caller) const {
  if (caller.role == Role::kNode || caller.role == Role::kJoin) {
    return Status::PermissionDenied("node credentials and join tokens may not apply DaemonSets");
  }
  DROVER_RETURN_IF_ERROR(ValidateDaemonSet(ds));
  if (const DaemonSet* existing = daemon_sets_.Find(ds.metadata.name)) {
    DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("daemonset", existing->metadata.name,
                                                   existing->owner, caller, "change"));
  } else {
    DROVER_RETURN_IF_ERROR(AuthorizeDaemonSetCreate(caller));
  }
  // No matching node is fine (a node may get the label later); a task too
  // big for every node that matches would wait for ever.
  std::vector<scheduler::NodeCapacity> selected;
  const std::span<const scheduler::NodeCapacity> matching =
      NodeCapacities(ds.spec.node_selector, &selected);
  if (matching.empty()) return Status::Ok();
  scheduler::PendingJob one;
  one.tasks_wanted = 1;
  one.cpus_per_task = ds.spec.template_.task.resources.cpus;
  one.memory_per_task = ds.spec.template_.task.resources.memory_bytes;
  one.memory_per_numa = ds.spec.template_.task.resources.memory_bind == "local";
  return scheduler::CheckCanEverRun(matching, one, config_.scheduler);
}

Result<std::pair<const DaemonSet*, ApplyVerb>> ClusterState::ApplyDaemonSet(DaemonSet ds,
                                                                            const Caller& caller,
                                                                            int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(CheckDaemonSetApply(ds, caller));
  if (DaemonSet* existing = daemon_sets_.FindMutable(ds.metadata.name)) {
    if (SameSpec(*existing, ds)) {
      return std::pair<const DaemonSet*, ApplyVerb>{existing, ApplyVerb::kUnchanged};
    }
    existing->spec = std::move(ds.spec);
    existing->metadata.labels = std::move(ds.metadata.labels);
    ++existing->generation;
    daemon_sets_.EnsureRevision(*existing, now_ms);
    TouchDaemonSet(*existing);
    return std::pair<const DaemonSet*, ApplyVerb>{existing, ApplyVerb::kConfigured};
  }
  ds.metadata.uid = RandomUuid();
  ds.metadata.creation_time_ms = now_ms;
  ds.owner = {caller.user, caller.uid, caller.gid};
  ds.generation = 1;
  ds.status = DaemonSetStatus{};
  DaemonSet& added = daemon_sets_.Put(std::move(ds));
  daemon_sets_.EnsureRevision(added, now_ms);
  TouchDaemonSet(added);
  return std::pair<const DaemonSet*, ApplyVerb>{&added, ApplyVerb::kCreated};
}

Result<DaemonSet*> ClusterState::ChangeableDaemonSet(const std::string& name, const Caller& caller,
                                                     const std::string& verb) {
  DaemonSet* ds = daemon_sets_.FindMutable(name);
  if (ds == nullptr) return Status::NotFound("daemonset/" + name + " not found");
  DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("daemonset", name, ds->owner, caller, verb));
  return ds;
}

Result<const DaemonSet*> ClusterState::RestartDaemonSet(const std::string& name,
                                                        const Caller& caller, int64_t now_ms) {
  auto ds = ChangeableDaemonSet(name, caller, "restart");
  if (!ds.ok()) return ds.status();
  SetRestartedAt((*ds)->spec.template_, now_ms);
  ++(*ds)->generation;
  daemon_sets_.EnsureRevision(**ds, now_ms);
  TouchDaemonSet(**ds);
  return *ds;
}

Status ClusterState::DeleteDaemonSet(const std::string& name, const Caller& caller,
                                     int64_t now_ms) {
  auto ds = ChangeableDaemonSet(name, caller, "delete");
  if (!ds.ok()) return ds.status();
  for (const std::string& t : daemon_sets_.TasksOf(name)) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  std::erase_if(daemon_demand_, [&](const auto& e) { return e.second.first == name; });
  std::erase_if(daemon_work_ids_, [&](const auto& e) { return e.first.first == name; });
  std::erase_if(daemon_backoff_, [&](const auto& e) { return e.first.first == name; });
  daemon_sets_.Erase(name);
  needs_scheduling_ = true;
  (void)now_ms;
  return Status::Ok();
}

std::vector<const Task*> ClusterState::TasksOfDaemonSet(const std::string& name) const {
  std::vector<const Task*> out;
  for (const std::string& t : daemon_sets_.TasksOf(name)) out.push_back(&tasks_.at(t));
  std::sort(out.begin(), out.end(), [](const Task* a, const Task* b) {
    return a->metadata.creation_time_ms < b->metadata.creation_time_ms;
  });
  return out;
}

void ClusterState::ReconcileDaemonSets(int64_t now_ms) {
  if (!daemon_sets_.HasDue(now_ms)) return;
  for (const std::string& name : daemon_sets_.TakeDue(now_ms)) ReconcileOneDaemonSet(name, now_ms);
  PlaceDaemonsOnCordonedNodes(now_ms);
}

void ClusterState::PlaceDaemonsOnCordonedNodes(int64_t now_ms) {
  std::vector<scheduler::PendingJob> wanted;
  AddDaemonDemand(&wanted, true);
  for (const scheduler::PendingJob& p : wanted) {
    const Node& node = nodes_.at(p.required_node);
    scheduler::ClusterSnapshot one;
    one.nodes.push_back(NodeSnapshotOf(p.required_node, node));
    one.nodes.back().schedulable = true;
    AddRunningOn(p.required_node, now_ms, &one);
    ApplyDecision(scheduler::Schedule(one, {p}, now_ms, config_.scheduler), now_ms);
  }
}

void ClusterState::ReconcileOneDaemonSet(const std::string& name, int64_t now_ms) {
  DaemonSet* ds = daemon_sets_.FindMutable(name);
  // What it asked for before is asked again below, or no longer wanted.
  std::erase_if(daemon_demand_, [&](const auto& e) { return e.second.first == name; });
  if (ds == nullptr) return;
  const Revision& target = daemon_sets_.EnsureRevision(*ds, now_ms);

  int64_t requeue_at = 0;
  auto requeue = [&](int64_t at) {
    if (at > 0 && (requeue_at == 0 || at < requeue_at)) requeue_at = at;
  };
  std::vector<controllers::DaemonNodeView> nodes;
  nodes.reserve(nodes_.size());
  for (const auto& [node_name, node] : nodes_) {
    controllers::DaemonNodeView v;
    v.name = node_name;
    v.eligible = MatchesSelector(node.metadata.labels, ds->spec.node_selector);
    v.ready = node.status.phase == NodePhase::kReady;
    // A daemon that keeps crashing on this node waits out its back-off.
    auto backoff = daemon_backoff_.find({name, node_name});
    if (backoff != daemon_backoff_.end() && backoff->second.not_before_ms > now_ms) {
      v.ready = false;
      requeue(backoff->second.not_before_ms);
    }
    nodes.push_back(std::move(v));
  }
  std::vector<controllers::DaemonTaskView> tasks;
  std::set<std::string> in_use;
  for (const std::string& t : daemon_sets_.TasksOf(name)) {
    const Task& task = tasks_.at(t);
    if (IsTerminal(task.status.phase)) continue;
    in_use.insert(task.spec.revision);
    tasks.push_back({task.metadata.name, task.spec.node, task.spec.revision, task.status.phase,
                     task.status.ready, task.status.ready_since_ms, terminating_.count(t) > 0,
                     task.metadata.creation_time_ms});
  }
  controllers::DaemonSetView view{ds, target.hash, target.number, nodes, tasks};
  controllers::DaemonSetActions actions = controllers::ReconcileDaemonSet(view, now_ms);

  for (const std::string& t : actions.kill) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  // Each node that should get a task is one piece of work for the next pass,
  // under a scheduling id it keeps while it waits. A daemon that reserves no
  // cores needs no pass: it starts on its node at once.
  const bool reserves_nothing = ds->spec.template_.task.resources.cpus == 0;
  for (const std::string& node : actions.create_on) {
    auto [id, fresh] = daemon_work_ids_.try_emplace({name, node}, next_daemon_work_id_);
    if (fresh) ++next_daemon_work_id_;
    daemon_demand_[id->second] = {name, node};
    if (reserves_nothing) {
      scheduler::TaskPlacement placement;
      placement.job_id = id->second;
      placement.node = node;
      CreateDaemonTask(placement, now_ms);
      ds = daemon_sets_.FindMutable(name);
    } else {
      needs_scheduling_ = true;
    }
  }
  std::erase_if(daemon_work_ids_, [&](const auto& e) {
    return e.first.first == name && !daemon_demand_.count(e.second);
  });
  if (!(actions.status == ds->status)) {
    ds->status = std::move(actions.status);
    ds->metadata.resource_version = ++resource_version_;
    daemon_sets_.MarkDirty(name);
  }
  requeue(actions.requeue_at_ms);
  if (requeue_at > 0) daemon_sets_.EnqueueAt(name, requeue_at);
  in_use.insert(target.hash);
  daemon_sets_.PruneRevisions(name, static_cast<size_t>(ds->spec.revision_history_limit), in_use,
                              target.hash);
}

void ClusterState::AddDaemonDemand(std::vector<scheduler::PendingJob>* pending,
                                   bool cordoned) const {
  for (const auto& [id, want] : daemon_demand_) {
    const DaemonSet* ds = daemon_sets_.Find(want.first);
    auto node = nodes_.find(want.second);
    if (ds == nullptr || node == nodes_.end()) continue;
    if (node->second.spec.unschedulable != cordoned) continue;
    if (ds->spec.template_.task.resources.cpus == 0) continue;  // not scheduler work
    scheduler::PendingJob p;
    p.job_id = id;
    // A node's daemons go before anything else placed there, and hold their
    // cores with no end.
    p.priority = std::numeric_limits<int32_t>::max();
    p.submit_time_ms = ds->metadata.creation_time_ms;
    p.tasks_wanted = 1;
    p.cpus_per_task = ds->spec.template_.task.resources.cpus;
    p.memory_per_task = ds->spec.template_.task.resources.memory_bytes;
    p.memory_per_numa = ds->spec.template_.task.resources.memory_bind == "local";
    p.time_limit_s = 0;
    p.user = ds->owner.user;
    p.required_node = want.second;
    pending->push_back(std::move(p));
  }
}

void ClusterState::CreateDaemonTask(const scheduler::TaskPlacement& p, int64_t now_ms) {
  auto want = daemon_demand_.find(p.job_id);
  if (want == daemon_demand_.end() || want->second.second != p.node) return;
  const std::string name = want->second.first;
  const DaemonSet* ds = daemon_sets_.Find(name);
  const Revision* target =
      ds == nullptr ? nullptr : daemon_sets_.FindRevision(name, daemon_sets_.TemplateHashOf(name));
  if (target == nullptr) return;
  auto ports = AllocatePorts(p.node, target->template_.ports);
  if (ports.size() != target->template_.ports.size()) {
    // No free port on its node: the controller asks again at its next turn.
    daemon_sets_.EnqueueAt(name, now_ms + 1000);
    return;
  }
  daemon_demand_.erase(want);
  daemon_work_ids_.erase({name, p.node});
  const Task& task = StartServiceTask(name, p, {"DaemonSet", name, ds->metadata.uid}, target->hash,
                                      std::move(ports), -1, now_ms);
  daemon_sets_.AddTask(name, task.metadata.name);
  daemon_sets_.Enqueue(name);
}

void ClusterState::EndDaemonTask(Task& task, bool stopped, int64_t now_ms) {
  const std::string owner = task.spec.owner.name;  // a copy: the task may be forgotten below
  if (task_credentials_ != nullptr) task_credentials_->Revoke(task.metadata.name);
  needs_scheduling_ = true;  // its cores are free
  if (daemon_sets_.Find(owner) != nullptr) {
    daemon_backoff_[{owner, task.spec.node}].RecordEnd(task, stopped, kDaemonRestartBackoffMs,
                                                       now_ms);
  }
  daemon_sets_.Enqueue(owner);
  ForgetEndedServiceTasks(daemon_sets_, owner, task.metadata.name);
}

std::string ClusterState::GrantDaemonCredential(const Task& task, const DaemonSet& ds) const {
  const std::string builtin = BuiltinOf(ds);
  if (task_credentials_ == nullptr || builtin.empty()) return "";
  return task_credentials_->Grant(task.metadata.name, task.spec.node, builtin);
}

void ClusterState::SetTaskCredentials(TaskCredentials* credentials) {
  task_credentials_ = credentials;
  if (credentials == nullptr) return;
  for (const auto& [name, task] : tasks_) {
    if (IsTerminal(task.status.phase)) continue;
    if (!IsService(task) && !IsStepTask(task.spec) && task.spec.part == 0 &&
        !task.spec.placeholder) {
      const Job& job = jobs_.at(task.spec.job_id);
      if (job.spec.allocation.mode == AllocationMode::kBatch) {  // a batch script's
        credentials->GrantJob(name, job.id, job.owner.user, job.owner.uid, job.owner.gid);
      }
      continue;
    }
    if (!IsDaemon(task)) continue;
    if (const DaemonSet* ds = daemon_sets_.Find(task.spec.owner.name)) {
      GrantDaemonCredential(task, *ds);
    }
  }
}

std::vector<std::string> ClusterState::EnsureDaemonSets(const std::vector<DaemonSet>& wanted,
                                                        const Caller& system, int64_t now_ms) {
  std::vector<std::string> created;
  for (const DaemonSet& ds : wanted) {
    if (daemon_sets_.Find(ds.metadata.name) != nullptr) continue;
    auto applied = ApplyDaemonSet(ds, system, now_ms);
    if (applied.ok()) created.push_back(ds.metadata.name);
  }
  return created;
}

}  // namespace drover::droverd
