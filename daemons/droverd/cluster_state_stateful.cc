// ClusterState's StatefulSets: apply/scale/restart/delete, the controller's
// reconcile loop and the applier of its actions, ordinal tasks made from the
// scheduler's placements, and the two rules that keep an ordinal from ever
// running twice or away from its data:
//  - an ordinal with NodeLocal volumes runs only on the node that holds them
//    (recorded at its first placement), and waits for that node;
//  - an ordinal lost with its node is not made again until its old node has
//    stopped it by itself (the node agent fences its StatefulSet tasks after
//    services.fenceAfter without droverd, then gives them the fence grace).
#include <algorithm>
#include <limits>

#include "api/stateful_set_json.h"
#include "controllers/stateful_set_controller.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/cluster_state.h"
#include "scheduler/admission.h"

namespace drover::droverd {
namespace {

bool SameSpec(const StatefulSet& a, const StatefulSet& b) {
  return ToJson(a)["spec"] == ToJson(b)["spec"] && a.metadata.labels == b.metadata.labels;
}

bool HasNodeLocalVolume(const StatefulSet& ss) {
  return std::any_of(
      ss.spec.volume_templates.begin(), ss.spec.volume_templates.end(),
      [](const VolumeTemplate& v) { return v.kind == VolumeTemplate::Kind::kNodeLocal; });
}

// Margin between a lost node's own fence (its agent stops the task) and the
// ordinal's start elsewhere, for the agent's tick and clock rates.
constexpr int64_t kFenceMarginMs = 1'000;

}  // namespace

void ClusterState::TouchStatefulSet(StatefulSet& ss) {
  ss.metadata.resource_version = ++resource_version_;
  stateful_sets_.MarkDirty(ss.metadata.name);
  stateful_sets_.Enqueue(ss.metadata.name);
}

Status ClusterState::CheckStatefulSetApply(const StatefulSet& ss, const Caller& caller) const {
  if (caller.role == Role::kNode || caller.role == Role::kJoin) {
    return Status::PermissionDenied("node credentials and join tokens may not apply StatefulSets");
  }
  DROVER_RETURN_IF_ERROR(ValidateStatefulSet(ss));
  for (size_t i = 0; i < ss.spec.volume_templates.size(); ++i) {
    const VolumeTemplate& v = ss.spec.volume_templates[i];
    if (v.kind != VolumeTemplate::Kind::kShared) continue;
    const auto& roots = config_.shared_volume_roots;
    const bool allowed = std::any_of(roots.begin(), roots.end(), [&](const std::string& r) {
      return v.path == r || v.path.rfind(r + "/", 0) == 0;
    });
    if (!allowed) {
      std::string known;
      for (const std::string& r : roots) known += (known.empty() ? "" : ", ") + r;
      return Status::Invalid(
          "spec.volumeTemplates[" + std::to_string(i) + "].path",
          "\"" + v.path + "\" is not under a shared volume root droverd allows (" +
              (known.empty() ? "none configured: services.sharedVolumeRoots" : known) + ")");
    }
  }
  if (const StatefulSet* existing = stateful_sets_.Find(ss.metadata.name)) {
    DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("statefulset", existing->metadata.name,
                                                   existing->owner, caller, "change"));
    if (existing->deletion_time_ms > 0) {
      return Status::Conflict("statefulset/" + ss.metadata.name +
                              " is being deleted (its directories are being removed); apply it "
                              "again once it is gone");
    }
    if (existing->spec.volume_templates != ss.spec.volume_templates) {
      return Status::Invalid("spec.volumeTemplates",
                             "cannot change (the ordinals' data lives there); delete and "
                             "re-create the StatefulSet to change its volumes");
    }
  }
  if (nodes_.empty()) return Status::Ok();
  std::vector<scheduler::NodeCapacity> selected;
  const std::span<const scheduler::NodeCapacity> matching =
      NodeCapacities(ss.spec.node_selector, &selected);
  if (matching.empty()) {
    return Status::Unschedulable("spec.nodeSelector",
                                 "no node has the labels it asks for (" +
                                     std::to_string(nodes_.size()) +
                                     " nodes; drover label node NAME KEY=VALUE)");
  }
  scheduler::PendingJob one;
  one.tasks_wanted = 1;
  one.cpus_per_task = ss.spec.template_.task.resources.cpus;
  one.memory_per_task = ss.spec.template_.task.resources.memory_bytes;
  one.memory_per_numa = ss.spec.template_.task.resources.memory_bind == "local";
  return scheduler::CheckCanEverRun(matching, one, config_.scheduler);
}

Result<std::pair<const StatefulSet*, ApplyVerb>> ClusterState::ApplyStatefulSet(
    StatefulSet ss, const Caller& caller, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(CheckStatefulSetApply(ss, caller));
  if (StatefulSet* existing = stateful_sets_.FindMutable(ss.metadata.name)) {
    if (SameSpec(*existing, ss)) {
      return std::pair<const StatefulSet*, ApplyVerb>{existing, ApplyVerb::kUnchanged};
    }
    existing->spec = std::move(ss.spec);
    existing->metadata.labels = std::move(ss.metadata.labels);
    ++existing->generation;
    stateful_sets_.EnsureRevision(*existing, now_ms);
    TouchStatefulSet(*existing);
    return std::pair<const StatefulSet*, ApplyVerb>{existing, ApplyVerb::kConfigured};
  }
  ss.metadata.uid = RandomUuid();
  ss.metadata.creation_time_ms = now_ms;
  ss.owner = {caller.user, caller.uid, caller.gid};
  ss.generation = 1;
  ss.status = StatefulSetStatus{};
  ss.deletion_time_ms = 0;
  StatefulSet& added = stateful_sets_.Put(std::move(ss));
  stateful_sets_.EnsureRevision(added, now_ms);
  TouchStatefulSet(added);
  return std::pair<const StatefulSet*, ApplyVerb>{&added, ApplyVerb::kCreated};
}

Result<StatefulSet*> ClusterState::ChangeableStatefulSet(const std::string& name,
                                                         const Caller& caller,
                                                         const std::string& verb) {
  StatefulSet* ss = stateful_sets_.FindMutable(name);
  if (ss == nullptr) return Status::NotFound("statefulset/" + name + " not found");
  DROVER_RETURN_IF_ERROR(AuthorizeWorkloadChange("statefulset", name, ss->owner, caller, verb));
  if (ss->deletion_time_ms > 0 && verb != "delete") {
    return Status::Conflict("statefulset/" + name + " is being deleted; it cannot " + verb);
  }
  return ss;
}

Result<const StatefulSet*> ClusterState::ScaleStatefulSet(const std::string& name, int32_t replicas,
                                                          const Caller& caller, int64_t now_ms) {
  auto ss = ChangeableStatefulSet(name, caller, "scale");
  if (!ss.ok()) return ss.status();
  StatefulSet changed = **ss;
  changed.spec.replicas = replicas;
  changed.spec.update_strategy.partition =
      std::min(changed.spec.update_strategy.partition, replicas);
  DROVER_RETURN_IF_ERROR(ValidateStatefulSet(changed));
  if ((*ss)->spec.replicas == replicas) return *ss;
  (*ss)->spec = std::move(changed.spec);
  ++(*ss)->generation;
  TouchStatefulSet(**ss);
  (void)now_ms;
  return *ss;
}

Result<const StatefulSet*> ClusterState::RestartStatefulSet(const std::string& name,
                                                            const Caller& caller, int64_t now_ms) {
  auto ss = ChangeableStatefulSet(name, caller, "restart");
  if (!ss.ok()) return ss.status();
  SetRestartedAt((*ss)->spec.template_, now_ms);
  ++(*ss)->generation;
  stateful_sets_.EnsureRevision(**ss, now_ms);
  TouchStatefulSet(**ss);
  return *ss;
}

Status ClusterState::DeleteStatefulSet(const std::string& name, const Caller& caller,
                                       int64_t now_ms) {
  auto ss = ChangeableStatefulSet(name, caller, "delete");
  if (!ss.ok()) return ss.status();
  if ((*ss)->spec.retention.when_deleted == VolumeRetention::kDelete &&
      !(*ss)->spec.volume_templates.empty()) {
    // Terminating: it goes once its tasks have stopped and its directories are removed.
    if ((*ss)->deletion_time_ms == 0) {
      (*ss)->deletion_time_ms = now_ms;
      TouchStatefulSet(**ss);
    }
    return Status::Ok();
  }
  EraseStatefulSet(name);
  return Status::Ok();
}

void ClusterState::EraseStatefulSet(const std::string& name) {
  for (const std::string& t : stateful_sets_.TasksOf(name)) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  std::erase_if(ordinal_wants_, [&](const auto& e) { return e.first.first == name; });
  std::erase_if(ordinal_work_ids_, [&](const auto& e) { return e.first.first == name; });
  std::erase_if(ordinal_work_, [&](const auto& e) { return e.second.first == name; });
  std::erase_if(ordinal_backoff_, [&](const auto& e) { return e.first.first == name; });
  std::erase_if(volume_removals_sent_, [&](const auto& e) { return e.first.first == name; });
  stateful_sets_.Erase(name);
  needs_scheduling_ = true;
}

std::vector<const Task*> ClusterState::TasksOfStatefulSet(const std::string& name) const {
  std::vector<const Task*> out;
  for (const std::string& t : stateful_sets_.TasksOf(name)) out.push_back(&tasks_.at(t));
  std::sort(out.begin(), out.end(), [](const Task* a, const Task* b) {
    if (a->spec.index != b->spec.index) return a->spec.index < b->spec.index;
    return a->metadata.creation_time_ms < b->metadata.creation_time_ms;
  });
  return out;
}

std::map<int32_t, std::string> ClusterState::WaitingOrdinals(const std::string& name,
                                                             int64_t now_ms) const {
  std::map<int32_t, std::string> out;
  const StatefulSet* ss = stateful_sets_.Find(name);
  if (ss == nullptr) return out;
  for (const auto& [ordinal, until] : ss->status.fenced_until_ms) {
    if (until > now_ms) {
      out[ordinal] = "its node was lost; it may still run there until " + FormatTime(until) +
                     " (the node stops it by itself first)";
    }
  }
  for (const auto& [ordinal, node] : ss->status.volume_nodes) {
    if (ordinal >= ss->spec.replicas) continue;
    auto it = nodes_.find(node);
    const bool up = it != nodes_.end() && it->second.status.phase == NodePhase::kReady;
    if (!up) out[ordinal] = "its NodeLocal volumes are on node " + node + ", which is not Ready";
  }
  for (int32_t ordinal : ss->status.removing_volumes) {
    std::string why = "its directories are being removed (";
    why += ss->deletion_time_ms > 0 ? "whenDeleted" : "whenScaled";
    why += ": Delete)";
    auto pinned = ss->status.volume_nodes.find(ordinal);
    if (pinned != ss->status.volume_nodes.end()) {
      auto it = nodes_.find(pinned->second);
      if (it == nodes_.end() || it->second.status.phase != NodePhase::kReady) {
        why += " by node " + pinned->second + ", which is not Ready";
      }
    }
    auto sent = volume_removals_sent_.find({name, ordinal});
    if (sent != volume_removals_sent_.end() && !sent->second.error.empty()) {
      why += "; node " + sent->second.node + " said: " + sent->second.error;
    }
    out[ordinal] = std::move(why);
  }
  return out;
}

void ClusterState::ReconcileStatefulSets(int64_t now_ms) {
  if (!stateful_sets_.HasDue(now_ms)) return;
  for (const std::string& name : stateful_sets_.TakeDue(now_ms)) {
    ReconcileOneStatefulSet(name, now_ms);
  }
}

void ClusterState::ReconcileOneStatefulSet(const std::string& name, int64_t now_ms) {
  StatefulSet* ss = stateful_sets_.FindMutable(name);
  std::erase_if(ordinal_wants_, [&](const auto& e) { return e.first.first == name; });
  if (ss == nullptr) return;
  if (ss->deletion_time_ms > 0) return ReconcileDeletingStatefulSet(*ss, now_ms);
  const Revision& update = stateful_sets_.EnsureRevision(*ss, now_ms);
  std::vector<controllers::OrdinalTaskView> tasks;
  std::set<std::string> in_use;
  for (const std::string& t : stateful_sets_.TasksOf(name)) {
    const Task& task = tasks_.at(t);
    if (IsTerminal(task.status.phase)) continue;
    in_use.insert(task.spec.revision);
    tasks.push_back({task.metadata.name, static_cast<int32_t>(task.spec.index), task.spec.revision,
                     task.status.phase, task.status.ready, task.status.ready_since_ms,
                     terminating_.count(t) > 0});
  }
  std::string current = ss->status.current_revision;
  if (current.empty() || stateful_sets_.FindRevision(name, current) == nullptr) {
    current = update.hash;
  }
  controllers::StatefulSetView view{ss, update.hash, current, tasks};
  controllers::StatefulSetActions actions = controllers::ReconcileStatefulSet(view, now_ms);

  // A drain moves ordinals one at a time, the highest first, each once every
  // ordinal runs and is ready (what OrderedReady needs); one whose NodeLocal
  // volumes are on the drained node stays with them.
  if (actions.create.empty() && actions.kill.empty()) {
    const controllers::OrdinalTaskView* move = nullptr;
    int32_t healthy = 0;
    for (const controllers::OrdinalTaskView& t : tasks) {
      if (t.terminating) continue;
      healthy += t.phase == TaskPhase::kRunning && t.ready;
      const Task& task = tasks_.at(t.name);
      if (IsDraining(task.spec.node) && !ss->status.volume_nodes.count(t.ordinal) &&
          (move == nullptr || t.ordinal > move->ordinal)) {
        move = &t;
      }
    }
    if (move != nullptr && healthy == ss->spec.replicas) actions.kill.push_back(move->name);
  }
  for (const std::string& t : actions.kill) {
    KillTask(tasks_.at(t), scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  int64_t requeue_at = actions.requeue_at_ms;
  auto requeue = [&](int64_t at) {
    if (at > 0 && (requeue_at == 0 || at < requeue_at)) requeue_at = at;
  };
  // droverd's rules on top of the controller's: an ordinal whose old node
  // may still run it waits for the fence; one pinned to a down node waits
  // for it.
  StatefulSetStatus kept = ss->status;
  std::erase_if(kept.fenced_until_ms, [&](const auto& e) { return e.second <= now_ms; });
  requeue(ReconcileOrdinalVolumes(*ss, tasks, now_ms, &kept));
  const std::map<int32_t, int64_t>& fenced = kept.fenced_until_ms;
  for (const controllers::OrdinalCreate& c : actions.create) {
    auto f = fenced.find(c.ordinal);
    if (f != fenced.end()) {
      requeue(f->second);
      continue;
    }
    // Its old directories are being removed: it gets new ones after.
    if (kept.removing_volumes.count(c.ordinal)) continue;
    auto backoff = ordinal_backoff_.find({name, c.ordinal});
    if (backoff != ordinal_backoff_.end() && backoff->second.not_before_ms > now_ms) {
      requeue(backoff->second.not_before_ms);  // CrashLoopBackOff
      continue;
    }
    auto pinned = kept.volume_nodes.find(c.ordinal);
    if (pinned != kept.volume_nodes.end()) {
      auto node = nodes_.find(pinned->second);
      if (node == nodes_.end() || node->second.status.phase != NodePhase::kReady) continue;
    }
    OrdinalWorkId(name, pinned != kept.volume_nodes.end() ? c.ordinal : -1);
    ordinal_wants_[{name, c.ordinal}] = c.revision;
    needs_scheduling_ = true;
  }
  // What the controller does not know of, droverd keeps.
  actions.status.volume_nodes = std::move(kept.volume_nodes);
  actions.status.fenced_until_ms = std::move(kept.fenced_until_ms);
  actions.status.volume_ordinals = std::move(kept.volume_ordinals);
  actions.status.removing_volumes = std::move(kept.removing_volumes);
  if (!(actions.status == ss->status)) {
    ss->status = std::move(actions.status);
    ss->metadata.resource_version = ++resource_version_;
    stateful_sets_.MarkDirty(name);
  }
  if (requeue_at > 0) stateful_sets_.EnqueueAt(name, requeue_at);
  in_use.insert(update.hash);
  in_use.insert(current);
  stateful_sets_.PruneRevisions(name, static_cast<size_t>(ss->spec.revision_history_limit), in_use,
                                update.hash);
}

uint64_t ClusterState::OrdinalWorkId(const std::string& set, int32_t ordinal) {
  auto [it, fresh] = ordinal_work_ids_.try_emplace({set, ordinal}, next_ordinal_work_id_);
  if (fresh) ordinal_work_.emplace(next_ordinal_work_id_++, it->first);
  return it->second;
}

void ClusterState::AddOrdinalDemand(std::vector<scheduler::PendingJob>* pending) const {
  std::map<std::string, int64_t> unpinned;  // set -> ordinals that may go anywhere
  for (const auto& [key, revision] : ordinal_wants_) {
    const StatefulSet* ss = stateful_sets_.Find(key.first);
    if (ss == nullptr) continue;
    auto pinned = ss->status.volume_nodes.find(key.second);
    if (pinned == ss->status.volume_nodes.end()) {
      ++unpinned[key.first];
      continue;
    }
    scheduler::PendingJob p;
    p.job_id = ordinal_work_ids_.at(key);
    p.priority = std::numeric_limits<int32_t>::max();
    p.submit_time_ms = ss->metadata.creation_time_ms;
    p.tasks_wanted = 1;
    p.cpus_per_task = ss->spec.template_.task.resources.cpus;
    p.memory_per_task = ss->spec.template_.task.resources.memory_bytes;
    p.memory_per_numa = ss->spec.template_.task.resources.memory_bind == "local";
    p.user = ss->owner.user;
    p.required_node = pinned->second;
    pending->push_back(std::move(p));
  }
  for (const auto& [set, wanted] : unpinned) {
    const StatefulSet* ss = stateful_sets_.Find(set);
    scheduler::PendingJob p;
    p.job_id = ordinal_work_ids_.at({set, -1});
    p.priority = std::numeric_limits<int32_t>::max();
    p.submit_time_ms = ss->metadata.creation_time_ms;
    p.tasks_wanted = wanted;
    p.cpus_per_task = ss->spec.template_.task.resources.cpus;
    p.memory_per_task = ss->spec.template_.task.resources.memory_bytes;
    p.memory_per_numa = ss->spec.template_.task.resources.memory_bind == "local";
    p.user = ss->owner.user;
    p.node_selector = ss->spec.node_selector;
    // Spread, as a Deployment's: ordinals sharing a node die together.
    int64_t schedulable = 0;
    for (const auto& [node_name, node] : nodes_) {
      schedulable += node.status.phase == NodePhase::kReady && !node.spec.unschedulable &&
                     MatchesSelector(node.metadata.labels, ss->spec.node_selector);
    }
    p.ntasks_per_node = static_cast<int32_t>(
        std::max<int64_t>(1, (ss->spec.replicas + std::max<int64_t>(1, schedulable) - 1) /
                                 std::max<int64_t>(1, schedulable)));
    pending->push_back(std::move(p));
  }
}

void ClusterState::CreateOrdinalTask(const scheduler::TaskPlacement& p, int64_t now_ms) {
  auto work = ordinal_work_.find(p.job_id);
  if (work == ordinal_work_.end()) return;
  const std::string set = work->second.first;
  StatefulSet* ss = stateful_sets_.FindMutable(set);
  if (ss == nullptr) return;
  // The ordinal placed: the pinned one, or the lowest of those that may go anywhere.
  auto want = ordinal_wants_.end();
  if (work->second.second >= 0) {
    want = ordinal_wants_.find(work->second);
  } else {
    for (auto it = ordinal_wants_.lower_bound({set, 0});
         it != ordinal_wants_.end() && it->first.first == set; ++it) {
      if (!ss->status.volume_nodes.count(it->first.second)) {
        want = it;
        break;
      }
    }
  }
  if (want == ordinal_wants_.end()) return;
  struct {
    std::string set;
    int32_t ordinal;
    std::string revision;
  } const w{set, want->first.second, want->second};
  const Revision* revision = stateful_sets_.FindRevision(w.set, w.revision);
  if (revision == nullptr) return;
  auto ports = AllocatePorts(p.node, revision->template_.ports);
  if (ports.size() != revision->template_.ports.size()) {
    needs_scheduling_ = true;  // no free port on that node: another pass, another node
    return;
  }
  ordinal_wants_.erase(want);
  if (HasNodeLocalVolume(*ss) && !ss->status.volume_nodes.count(w.ordinal)) {
    // Its data is made on this node: from now on it runs only here.
    ss->status.volume_nodes[w.ordinal] = p.node;
    TouchStatefulSet(*ss);
  }
  if (!ss->spec.volume_templates.empty() && ss->status.volume_ordinals.insert(w.ordinal).second) {
    TouchStatefulSet(*ss);
  }
  // The ordinal's identity is NAME-K (DROVER_ORDINAL_NAME, its peers'
  // names); each of its tasks has a name of its own, NAME-K-xxxxx, as a node
  // keeps every task's log and state by name.
  const Task& task =
      StartServiceTask(OrdinalName(w.set, w.ordinal), p, {"StatefulSet", w.set, ss->metadata.uid},
                       w.revision, std::move(ports), w.ordinal, now_ms);
  stateful_sets_.AddTask(w.set, task.metadata.name);
  stateful_sets_.Enqueue(w.set);
}

void ClusterState::EndOrdinalTask(Task& task, bool stopped, int64_t now_ms) {
  const std::string owner = task.spec.owner.name;
  needs_scheduling_ = true;
  StatefulSet* ss = stateful_sets_.FindMutable(owner);
  auto node = nodes_.find(task.spec.node);
  if (ss != nullptr && !stopped && task.status.phase == TaskPhase::kLost && node != nodes_.end() &&
      node->second.status.phase != NodePhase::kReady) {
    // Lost with its node, which may only be cut off and still run it: its
    // agent stops it fenceAfter after it last reached droverd (no later
    // than its last heartbeat here), then gives it the fence grace.
    const int64_t until = node->second.status.last_heartbeat_ms + config_.fence_after_s * 1000 +
                          kFenceGraceMs + kFenceMarginMs;
    if (until > now_ms) {
      ss->status.fenced_until_ms[static_cast<int32_t>(task.spec.index)] = until;
      TouchStatefulSet(*ss);
    }
  }
  if (ss != nullptr) {
    ordinal_backoff_[{owner, static_cast<int32_t>(task.spec.index)}].RecordEnd(
        task, stopped, kDaemonRestartBackoffMs, now_ms);
  }
  stateful_sets_.Enqueue(owner);
  ForgetEndedServiceTasks(stateful_sets_, owner, task.metadata.name);
}

void ClusterState::AddOrdinalLaunch(const Task& task, const StatefulSet& ss, Json& launch) const {
  const int32_t ordinal = static_cast<int32_t>(task.spec.index);
  Json& env = launch["env"];
  env.push_back({"DROVER_ORDINAL", std::to_string(ordinal)});
  env.push_back({"DROVER_ORDINAL_NAME", OrdinalName(ss.metadata.name, ordinal)});
  // The other ordinals that have a task now, NAME-K=HOST[:PORT].
  std::string peers;
  for (const Task* t : TasksOfStatefulSet(ss.metadata.name)) {
    if (t->spec.index == ordinal || IsTerminal(t->status.phase)) continue;
    std::string peer = OrdinalName(ss.metadata.name, static_cast<int32_t>(t->spec.index)) + "=" +
                       HostOf(t->spec.node);
    if (!t->spec.ports.empty()) peer += ":" + std::to_string(t->spec.ports.front().second);
    peers += (peers.empty() ? "" : ",") + peer;
  }
  env.push_back({"DROVER_PEERS", peers});
  if (!ss.spec.volume_templates.empty()) launch["volumes"] = OrdinalVolumesJson(ss, ordinal);
  launch["index"] = ordinal;
  launch["ntasks"] = ss.spec.replicas;
  // Cut off from droverd this long, the node stops it by itself.
  launch["fenceAfterMs"] = config_.fence_after_s * 1000;
  launch["fenceGraceMs"] = kFenceGraceMs;
}

}  // namespace drover::droverd
