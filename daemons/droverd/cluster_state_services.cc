// ClusterState's Deployments: apply/scale/undo/delete, the controller's
// reconcile loop over queued keys and the applier of its actions, replica
// creation from scheduler placements, ports and endpoints. And what every
// service kind (Deployment, DaemonSet) shares: revisions, launches with
// ports and probes, readiness, forgetting ended tasks.
#include <algorithm>
#include <limits>
#include <random>

#include "api/deployment_json.h"
#include "api/validation.h"
#include "controllers/deployment_controller.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/cluster_state.h"
#include "scheduler/admission.h"

namespace drover::droverd {
namespace {

bool SameSpec(const DeploymentSpec& a, const DeploymentSpec& b) {
  Deployment x, y;
  x.spec = a;
  y.spec = b;
  return ToJson(x)["spec"] == ToJson(y)["spec"];
}

}  // namespace

std::string NewTaskSuffix() {
  // Kubernetes' pod-name suffix alphabet: no vowels, no look-alikes.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return out;
}

void SetRestartedAt(ReplicaTemplate& t, int64_t now_ms) {
  auto& env = t.task.env;
  std::erase_if(env, [](const EnvVar& e) { return e.first == kRestartedAtEnv; });
  env.emplace_back(kRestartedAtEnv, FormatTime(now_ms));
}

std::string_view ApplyVerbName(ApplyVerb verb) {
  switch (verb) {
    case ApplyVerb::kCreated:
      return "created";
    case ApplyVerb::kConfigured:
      return "configured";
    case ApplyVerb::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

void ClusterState::TouchDeployment(Deployment& d) {
  d.metadata.resource_version = ++resource_version_;
  deployments_.MarkDirty(d.metadata.name);
  deployments_.Enqueue(d.metadata.name);
}

Result<std::pair<const Deployment*, ApplyVerb>> ClusterState::ApplyDeployment(Deployment d,
                                                                              const Caller& caller,
                                                                              int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(CheckDeploymentApply(d, caller));
  if (Deployment* existing = deployments_.FindMutable(d.metadata.name)) {
    if (SameSpec(existing->spec, d.spec) && existing->metadata.labels == d.metadata.labels) {
      return std::pair<const Deployment*, ApplyVerb>{existing, ApplyVerb::kUnchanged};
    }
    existing->spec = std::move(d.spec);
    existing->metadata.labels = std::move(d.metadata.labels);
    std::erase_if(existing->status.conditions,
                  [](const Condition& c) { return c.type == "RolledBack"; });
    ++existing->generation;
    deployments_.EnsureRevision(*existing, now_ms);
    TouchDeployment(*existing);
    return std::pair<const Deployment*, ApplyVerb>{existing, ApplyVerb::kConfigured};
  }
  d.metadata.uid = RandomUuid();
  d.metadata.creation_time_ms = now_ms;
  d.owner = {caller.user, caller.uid, caller.gid};
  d.generation = 1;
  d.status = DeploymentStatus{};
  Deployment& added = deployments_.Put(std::move(d));
  deployments_.EnsureRevision(added, now_ms);
  TouchDeployment(added);
  return std::pair<const Deployment*, ApplyVerb>{&added, ApplyVerb::kCreated};
}

Status ClusterState::CheckDeploymentApply(const Deployment& d, const Caller& caller) const {
  if (caller.role == Role::kNode || caller.role == Role::kJoin) {
    return Status::PermissionDenied("node credentials and join tokens may not apply Deployments");
  }
  DROVER_RETURN_IF_ERROR(ValidateDeployment(d));
  if (const Deployment* existing = deployments_.Find(d.metadata.name)) {
    DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("deployment", existing->metadata.name,
                                                   existing->owner, caller, "change"));
  }
  // Could a replica ever run: on a registered node its nodeSelector matches,
  // with nothing else there? (With no node registered, nobody can tell.)
  if (nodes_.empty()) return Status::Ok();
  std::vector<scheduler::NodeCapacity> selected;
  const std::span<const scheduler::NodeCapacity> matching =
      NodeCapacities(d.spec.node_selector, &selected);
  if (matching.empty()) {
    std::string wanted;
    for (const auto& [k, v] : d.spec.node_selector) {
      wanted += (wanted.empty() ? "" : ",") + k + "=" + v;
    }
    return Status::Unschedulable("spec.nodeSelector",
                                 "no node has the labels " + wanted + " (" +
                                     std::to_string(nodes_.size()) +
                                     " nodes; drover label node NAME KEY=VALUE)");
  }
  scheduler::PendingJob one;
  one.tasks_wanted = 1;
  one.cpus_per_task = d.spec.template_.task.resources.cpus;
  one.memory_per_task = d.spec.template_.task.resources.memory_bytes;
  one.memory_per_numa = d.spec.template_.task.resources.memory_bind == "local";
  return scheduler::CheckCanEverRun(matching, one, config_.scheduler);
}

Result<Deployment*> ClusterState::ChangeableDeployment(const std::string& name,
                                                       const Caller& caller,
                                                       const std::string& verb) {
  Deployment* d = deployments_.FindMutable(name);
  if (d == nullptr) return Status::NotFound("deployment/" + name + " not found");
  DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("deployment", name, d->owner, caller, verb));
  return d;
}

Result<const Deployment*> ClusterState::ScaleDeployment(const std::string& name, int32_t replicas,
                                                        const Caller& caller, int64_t now_ms) {
  auto d = ChangeableDeployment(name, caller, "scale");
  if (!d.ok()) return d.status();
  Deployment changed = **d;
  changed.spec.replicas = replicas;
  DROVER_RETURN_IF_ERROR(ValidateDeployment(changed));
  if ((*d)->spec.replicas == replicas) return *d;
  (*d)->spec.replicas = replicas;
  ++(*d)->generation;
  TouchDeployment(**d);
  (void)now_ms;
  return *d;
}

Result<const Deployment*> ClusterState::PauseDeployment(const std::string& name, bool paused,
                                                        const Caller& caller, int64_t now_ms) {
  auto d = ChangeableDeployment(name, caller, paused ? "pause" : "resume");
  if (!d.ok()) return d.status();
  if ((*d)->spec.paused == paused) return *d;
  (*d)->spec.paused = paused;
  ++(*d)->generation;
  if (!paused) deployments_.EnsureRevision(**d, now_ms);
  TouchDeployment(**d);
  return *d;
}

Result<const Deployment*> ClusterState::UndoDeployment(const std::string& name, int64_t to,
                                                       const Caller& caller, int64_t now_ms) {
  auto d = ChangeableDeployment(name, caller, "roll back");
  if (!d.ok()) return d.status();
  const std::string current = deployments_.TemplateHashOf(name);
  const Revision* target = nullptr;
  std::string known;
  for (const Revision* r : deployments_.RevisionsOf(name)) {
    known += (known.empty() ? "" : ", ") + std::to_string(r->number);
    if (to == 0 ? r->hash != current : r->number == to) target = r;  // to 0: the newest other
  }
  if (target == nullptr) {
    return Status::NotFound(to == 0
                                ? "deployment/" + name + " has no previous revision to roll back to"
                                : "deployment/" + name + " has no revision " + std::to_string(to) +
                                      " (revisions: " + known + ")");
  }
  if (target->hash == current) return *d;
  (*d)->spec.template_ = target->template_;
  ++(*d)->generation;
  deployments_.EnsureRevision(**d, now_ms);
  TouchDeployment(**d);
  return *d;
}

Result<const Deployment*> ClusterState::RestartDeployment(const std::string& name,
                                                          const Caller& caller, int64_t now_ms) {
  auto d = ChangeableDeployment(name, caller, "restart");
  if (!d.ok()) return d.status();
  SetRestartedAt((*d)->spec.template_, now_ms);
  ++(*d)->generation;
  deployments_.EnsureRevision(**d, now_ms);
  TouchDeployment(**d);
  return *d;
}

Status ClusterState::DeleteDeployment(const std::string& name, const Caller& caller,
                                      int64_t now_ms) {
  auto d = ChangeableDeployment(name, caller, "delete");
  if (!d.ok()) return d.status();
  for (const std::string& t : deployments_.TasksOf(name)) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  replica_demand_.erase(name);
  deployments_.Erase(name);
  needs_scheduling_ = true;
  (void)now_ms;
  return Status::Ok();
}

const Revision* ClusterState::ServiceRevision(const Task& task) const {
  const std::string& owner = task.spec.owner.name;
  if (IsDaemon(task)) {
    if (daemon_sets_.Find(owner) == nullptr) return nullptr;
    return daemon_sets_.FindRevision(owner, task.spec.revision);
  }
  if (IsOrdinal(task)) {
    if (stateful_sets_.Find(owner) == nullptr) return nullptr;
    return stateful_sets_.FindRevision(owner, task.spec.revision);
  }
  if (deployments_.Find(owner) == nullptr) return nullptr;
  return deployments_.FindRevision(owner, task.spec.revision);
}

void ClusterState::EnqueueOwner(const Task& task) {
  if (IsDaemon(task)) {
    daemon_sets_.Enqueue(task.spec.owner.name);
  } else if (IsOrdinal(task)) {
    stateful_sets_.Enqueue(task.spec.owner.name);
  } else if (IsReplica(task)) {
    deployments_.Enqueue(task.spec.owner.name);
  } else {
    EnqueueJob(task.spec.job_id);
  }
}

void ClusterState::SetServiceReadiness(Task& task, const TaskReport& report, int64_t when_ms) {
  const Revision* r = ServiceRevision(task);
  const bool probed = r != nullptr && r->template_.readiness_probe.has_value();
  // Without a readiness probe a running replica serves (Kubernetes' default).
  const bool ready = probed ? report.ready.value_or(task.status.ready) : true;
  if (ready == task.status.ready) return;
  task.status.ready = ready;
  task.status.ready_since_ms = ready ? when_ms : 0;
  TouchTask(task);
  EnqueueOwner(task);
}

std::vector<const Task*> ClusterState::TasksOfDeployment(const std::string& name) const {
  std::vector<const Task*> out;
  for (const std::string& t : deployments_.TasksOf(name)) out.push_back(&tasks_.at(t));
  std::sort(out.begin(), out.end(), [](const Task* a, const Task* b) {
    return a->metadata.creation_time_ms < b->metadata.creation_time_ms;
  });
  return out;
}

const Revision* ClusterState::RolloutTarget(const std::string& name) const {
  const Deployment* d = deployments_.Find(name);
  if (d == nullptr) return nullptr;
  if (d->spec.paused && d->status.revision > 0) {
    if (const Revision* r = deployments_.FindRevisionNumber(name, d->status.revision)) return r;
  }
  return deployments_.FindRevision(name, deployments_.TemplateHashOf(name));
}

std::string ClusterState::RolloutRevision(const std::string& name) const {
  const Revision* r = RolloutTarget(name);
  return r == nullptr ? std::string() : r->hash;
}

void ClusterState::ReconcileDeployments(int64_t now_ms) {
  if (!deployments_.HasDue(now_ms)) return;
  for (const std::string& name : deployments_.TakeDue(now_ms)) ReconcileOneDeployment(name, now_ms);
}

void ClusterState::ReconcileOneDeployment(const std::string& name, int64_t now_ms) {
  Deployment* d = deployments_.FindMutable(name);
  if (d == nullptr) {
    replica_demand_.erase(name);
    return;
  }
  // Paused: the rollout stays at the revision it was rolling (scaling goes on).
  const Revision* target = RolloutTarget(name);
  if (target == nullptr) target = &deployments_.EnsureRevision(*d, now_ms);

  std::vector<controllers::ReplicaView> views;
  std::set<std::string> in_use;
  for (const std::string& t : deployments_.TasksOf(name)) {
    const Task& task = tasks_.at(t);
    if (IsTerminal(task.status.phase)) continue;
    in_use.insert(task.spec.revision);
    views.push_back({task.metadata.name, task.spec.revision, task.status.phase, task.status.ready,
                     task.status.ready_since_ms, terminating_.count(t) > 0,
                     task.metadata.creation_time_ms, IsDraining(task.spec.node)});
  }
  controllers::DeploymentView view{d, target->hash, target->number, views};
  controllers::DeploymentActions actions = controllers::ReconcileDeployment(view, now_ms);

  for (const std::string& t : actions.kill) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  // Replicas wanted and not placed: a pass places them (or says why not);
  // the next change of anything they wait on queues this key again.
  if (actions.create > 0) {
    replica_demand_[name] = actions.create;
    needs_scheduling_ = true;
  } else {
    replica_demand_.erase(name);
  }
  if (!(actions.status == d->status)) {
    d->status = std::move(actions.status);
    d->metadata.resource_version = ++resource_version_;
    deployments_.MarkDirty(name);
  }
  if (actions.roll_back) {
    if (const Revision* good = deployments_.FindRevision(name, d->status.complete_revision)) {
      const int64_t failed = d->status.revision;
      d->spec.template_ = good->template_;
      ++d->generation;
      const Revision& back = deployments_.EnsureRevision(*d, now_ms);
      // The deadline's condition is replaced at the next reconcile (the old
      // template rolls out at once): this one stays until the next apply.
      std::erase_if(d->status.conditions,
                    [](const Condition& c) { return c.type == "RolledBack"; });
      d->status.conditions.push_back(
          {"RolledBack", "True", "ProgressDeadlineExceeded",
           "revision " + std::to_string(failed) + " made no progress for " +
               std::to_string(d->spec.progress_deadline_seconds) +
               " s; rolled back to the last complete template (now revision " +
               std::to_string(back.number) + ")",
           now_ms, now_ms});
      TouchDeployment(*d);
    }
  }
  if (actions.requeue_at_ms > 0) deployments_.EnqueueAt(name, actions.requeue_at_ms);
  in_use.insert(target->hash);
  deployments_.PruneRevisions(name, static_cast<size_t>(d->spec.revision_history_limit), in_use,
                              deployments_.TemplateHashOf(name));
}

void ClusterState::AddReplicaDemand(std::vector<scheduler::PendingJob>* pending) const {
  for (const auto& [name, want] : replica_demand_) {
    const Deployment* d = deployments_.Find(name);
    if (d == nullptr || want <= 0) continue;
    // The nodes it may use, for the spread below.
    int64_t schedulable = 0;
    for (const auto& [node_name, node] : nodes_) {
      schedulable += node.status.phase == NodePhase::kReady && !node.spec.unschedulable &&
                     MatchesSelector(node.metadata.labels, d->spec.node_selector);
    }
    scheduler::PendingJob p;
    p.job_id = deployments_.WorkIdOf(name);
    // Services go before batch work, and hold their cores with no end.
    p.priority = std::numeric_limits<int32_t>::max();
    p.submit_time_ms = d->metadata.creation_time_ms;
    p.tasks_wanted = want;
    p.cpus_per_task = d->spec.template_.task.resources.cpus;
    p.memory_per_task = d->spec.template_.task.resources.memory_bytes;
    p.memory_per_numa = d->spec.template_.task.resources.memory_bind == "local";
    p.time_limit_s = 0;
    p.user = d->owner.user;
    p.queue = "";
    // Spread: replicas sharing a node die together. With no cap given, as
    // many per node as an even spread over the schedulable nodes needs, so
    // losing one node loses the fewest. The cap counts replicas of the
    // revision being rolled out only (BuildSchedulerInput), so a surge
    // replica may stand beside an old one it replaces.
    int32_t cap = d->spec.max_replicas_per_node;
    if (cap == 0 && schedulable > 0) {
      cap = static_cast<int32_t>(
          std::max<int64_t>(1, (d->spec.replicas + schedulable - 1) / schedulable));
    }
    p.ntasks_per_node = cap;
    p.node_selector = d->spec.node_selector;
    pending->push_back(std::move(p));
  }
}

std::string ClusterState::HostOf(const std::string& node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || it->second.status.address.empty()) return node;
  std::string host = it->second.status.address;
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos) host.resize(colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

std::vector<std::pair<std::string, int32_t>> ClusterState::AllocatePorts(
    const std::string& node, const std::vector<PortSpec>& ports) {
  std::vector<std::pair<std::string, int32_t>> out;
  if (ports.empty()) return out;
  HostPorts& host = host_ports_[HostOf(node)];
  const int32_t lo = config_.service_port_min, hi = config_.service_port_max;
  const int32_t span = hi - lo + 1;
  if (host.next < lo || host.next > hi) host.next = lo;
  // Round the range, so a port just freed is the last to be given again
  // (its old process may still be closing it).
  std::set<int32_t> taken;
  for (const PortSpec& p : ports) {
    int32_t port = 0;
    for (int32_t i = 0; i < span; ++i) {
      const int32_t candidate = lo + (host.next - lo + i) % span;
      if (!host.used.count(candidate) && !taken.count(candidate)) {
        port = candidate;
        break;
      }
    }
    if (port == 0) break;  // range full: the caller sees fewer ports than asked
    taken.insert(port);
    host.next = port == hi ? lo : port + 1;
    out.emplace_back(p.name, port);
  }
  return out;  // Hold() marks them used
}

void ClusterState::CreateReplica(const scheduler::TaskPlacement& p, const std::string& deployment,
                                 int64_t now_ms) {
  auto demand = replica_demand_.find(deployment);
  const Deployment* d = deployments_.Find(deployment);
  if (d == nullptr || demand == replica_demand_.end() || demand->second <= 0) return;
  const Revision* target = RolloutTarget(deployment);
  if (target == nullptr) return;
  auto ports = AllocatePorts(p.node, target->template_.ports);
  if (ports.size() != target->template_.ports.size()) {
    needs_scheduling_ = true;  // no free port on that node: another pass, another node
    return;
  }
  if (--demand->second == 0) replica_demand_.erase(demand);
  const Task& task = StartServiceTask(deployment + "-" + target->hash, p,
                                      {"Deployment", deployment, d->metadata.uid}, target->hash,
                                      std::move(ports), -1, now_ms);
  deployments_.AddTask(deployment, task.metadata.name);
  deployments_.Enqueue(deployment);
}

const Task& ClusterState::StartServiceTask(const std::string& prefix,
                                           const scheduler::TaskPlacement& p, TaskOwner owner,
                                           const std::string& revision,
                                           std::vector<std::pair<std::string, int32_t>> ports,
                                           int64_t index, int64_t now_ms) {
  Task task;
  std::string name;
  do {
    name = prefix + "-" + NewTaskSuffix();
  } while (tasks_.count(name));
  task.metadata.name = name;
  task.metadata.uid = RandomUuid();
  task.metadata.creation_time_ms = now_ms;
  task.spec.index = index;
  task.spec.node = p.node;
  task.spec.cores = p.cores;
  task.spec.cpus = p.cpus;
  task.spec.memory_bytes = p.memory_bytes;
  task.spec.numa_memory_bytes = p.numa_memory_bytes;
  task.spec.owner = std::move(owner);
  task.spec.revision = revision;
  task.spec.ports = std::move(ports);
  Task& added = tasks_.emplace(name, std::move(task)).first->second;
  Hold(added);
  TouchTask(added);
  counters_.tasks_assigned++;
  channels_[p.node].AppendLaunch(ServiceLaunch(added), building_batch_);
  return added;
}

Json ClusterState::ServiceLaunch(const Task& task) const {
  const Revision* r = ServiceRevision(task);
  if (r == nullptr) return Json::object();  // unreachable: a live task keeps its revision
  const std::string& owner_name = task.spec.owner.name;
  const DaemonSet* ds = IsDaemon(task) ? daemon_sets_.Find(owner_name) : nullptr;
  const StatefulSet* ss = IsOrdinal(task) ? stateful_sets_.Find(owner_name) : nullptr;
  const Deployment* d = IsReplica(task) ? deployments_.Find(owner_name) : nullptr;
  Json launch = TaskLaunch(task, r->template_.task,
                           ds != nullptr   ? ds->owner
                           : ss != nullptr ? ss->owner
                                           : d->owner);
  Json& env = launch["env"];  // the ports' variables come after the template's: they win
  for (size_t i = 0; i < task.spec.ports.size(); ++i) {
    const auto& [name, port] = task.spec.ports[i];
    if (i == 0) env.push_back({"DROVER_PORT", std::to_string(port)});
    env.push_back({PortEnvName(name), std::to_string(port)});
  }
  env.push_back({"DROVER_TASK_NAME", task.metadata.name});
  env.push_back({ds != nullptr   ? "DROVER_DAEMONSET"
                 : ss != nullptr ? "DROVER_STATEFULSET"
                                 : "DROVER_DEPLOYMENT",
                 owner_name});
  // Probes go with port numbers: the node need not know the port names.
  Json probes = Json::object();
  auto add_probe = [&](const char* key, const std::optional<Probe>& p) {
    if (!p) return;
    int32_t port = 0;
    for (const auto& [name, number] : task.spec.ports) {
      if (name == p->port) port = number;
    }
    probes[key] = {{"kind", p->kind == Probe::Kind::kExec      ? "exec"
                            : p->kind == Probe::Kind::kHttpGet ? "httpGet"
                                                               : "tcpSocket"},
                   {"command", p->command},
                   {"path", p->path},
                   {"port", port},
                   {"initialDelayMs", int64_t{p->initial_delay_seconds} * 1000},
                   {"periodMs", int64_t{p->period_seconds} * 1000},
                   {"timeoutMs", int64_t{p->timeout_seconds} * 1000},
                   {"successThreshold", p->success_threshold},
                   {"failureThreshold", p->failure_threshold}};
  };
  add_probe("readiness", r->template_.readiness_probe);
  add_probe("liveness", r->template_.liveness_probe);
  add_probe("startup", r->template_.startup_probe);
  launch["jobId"] = 0;
  launch["jobName"] = owner_name;
  launch["index"] = -1;
  launch["attempt"] = 0;
  launch["ntasks"] = ds != nullptr   ? ds->status.desired_number_scheduled
                     : ss != nullptr ? ss->spec.replicas
                                     : d->spec.replicas;
  launch["nodelist"] = task.spec.node;
  if (!probes.empty()) launch["probes"] = std::move(probes);
  if (ss != nullptr) AddOrdinalLaunch(task, *ss, launch);
  if (ds != nullptr) {
    // A built-in daemon works for its node: the agent hands it the node's
    // context (its state directory, droverd's address) with this credential.
    std::string credential = GrantDaemonCredential(task, *ds);
    if (!credential.empty()) launch["credential"] = std::move(credential);
  }
  return launch;
}

void ClusterState::EndReplica(Task& task, bool stopped, int64_t now_ms) {
  const std::string owner = task.spec.owner.name;  // a copy: the task may be forgotten below
  needs_scheduling_ = true;                        // its cores are free
  if (Deployment* d = deployments_.FindMutable(owner)) {
    controllers::RecordReplicaEnd(d->status, d->spec, task, stopped, now_ms);
    d->metadata.resource_version = ++resource_version_;
    deployments_.MarkDirty(owner);
    deployments_.Enqueue(owner);
  }
  ForgetEndedServiceTasks(deployments_, owner, task.metadata.name);
}

template <class Store>
void ClusterState::ForgetEndedServiceTasks(Store& store, const std::string& owner,
                                           const std::string& ended) {
  // Keep the newest few ended tasks (crash output, `drover logs`); a
  // service's history lives in its revisions and status. O(1) per end:
  // a rollout of 10,000 replicas ends 10,000 tasks.
  store.RecordEnded(owner, ended);
  const size_t keep = store.Find(owner) == nullptr ? 0 : kFinishedTasksKeptPerDeployment;
  for (const std::string& name : store.TakeForgettable(owner, keep)) {
    auto it = tasks_.find(name);
    if (it == tasks_.end() || !IsTerminal(it->second.status.phase)) continue;
    store.RemoveTask(owner, name);
    dirty_tasks_.erase(name);
    deleted_tasks_.push_back(name);
    tasks_.erase(it);
  }
}

template void ClusterState::ForgetEndedServiceTasks(DeploymentStore&, const std::string&,
                                                    const std::string&);
template void ClusterState::ForgetEndedServiceTasks(DaemonSetStore&, const std::string&,
                                                    const std::string&);
template void ClusterState::ForgetEndedServiceTasks(StatefulSetStore&, const std::string&,
                                                    const std::string&);

std::vector<Endpoint> ClusterState::EndpointsOf(const std::string& name) const {
  std::vector<Endpoint> out;
  for (const Task* t : TasksOfDeployment(name)) {
    if (t->status.phase != TaskPhase::kRunning) continue;
    Endpoint e;
    e.task = t->metadata.name;
    e.node = t->spec.node;
    e.host = HostOf(t->spec.node);
    e.ports = t->spec.ports;
    e.terminating = t->status.terminating || terminating_.count(t->metadata.name) > 0;
    e.serving = t->status.ready;
    e.ready = e.serving && !e.terminating;
    out.push_back(std::move(e));
  }
  return out;
}

int64_t ClusterState::EndpointsVersion(const std::string& name) const {
  int64_t version = 0;
  if (const Deployment* d = deployments_.Find(name)) version = d->metadata.resource_version;
  for (const std::string& t : deployments_.TasksOf(name)) {
    version = std::max(version, tasks_.at(t).metadata.resource_version);
  }
  return version;
}

void ClusterState::WatchEndpoints(const std::string& name, int64_t after, int64_t deadline_ms,
                                  EndpointsAnswer answer) {
  endpoint_watches_.push_back({name, after, deadline_ms, std::move(answer)});
}

void ClusterState::FlushEndpointWatches(int64_t now_ms) {
  if (endpoint_watches_.empty()) return;
  std::vector<EndpointsWatch> waiting;
  for (EndpointsWatch& w : endpoint_watches_) {
    const int64_t version = EndpointsVersion(w.name);
    if (version > w.after || now_ms >= w.deadline_ms) {
      w.answer(EndpointsOf(w.name), version);
    } else {
      waiting.push_back(std::move(w));
    }
  }
  endpoint_watches_ = std::move(waiting);
}

}  // namespace drover::droverd
