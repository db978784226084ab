// ClusterState's nodes: registration, what each node holds (cores, memory,
// ports), heartbeats and the node lifecycle controller, fencing, and the
// instruction channels to the nodes.
#include <algorithm>

#include "api/validation.h"
#include "controllers/node_lifecycle.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {

Status ClusterState::RegisterNode(Node node, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(ValidateName("metadata.name", node.metadata.name));
  const NodeTopology& topo = node.status.topology;
  if (topo.cores.empty()) return Status::Invalid("status.topology.cores", "a node needs cores");
  std::string name = node.metadata.name;
  auto it = nodes_.find(name);
  if (it != nodes_.end()) {
    // Two agents under one name would both take its launches and run every
    // task twice: while the one that holds the name is alive, another is
    // refused (a restart of the same agent keeps its id).
    const NodeStatus& held = it->second.status;
    if (!node.status.agent_id.empty() && !held.agent_id.empty() &&
        node.status.agent_id != held.agent_id && held.phase == NodePhase::kReady) {
      return Status::Conflict(
          "node " + name + " is held by another live agent (agent " + held.agent_id + " at " +
          held.address + ", last heard " +
          std::to_string((now_ms - held.last_heartbeat_ms) / 1000) +
          " s ago); a second agent under this name would run its tasks twice: stop one of them, "
          "or give this one another --name");
    }
    auto& alloc = allocations_[name];
    if (topo.cores.size() < alloc.core_busy.size()) {
      for (size_t c = topo.cores.size(); c < alloc.core_busy.size(); ++c) {
        if (alloc.core_busy[c]) {
          return Status::Conflict("node " + name + " re-registered with fewer cores while core " +
                                  std::to_string(c) + " holds a task");
        }
      }
    }
    node.metadata.uid = it->second.metadata.uid;
    node.metadata.creation_time_ms = it->second.metadata.creation_time_ms;
    node.spec = it->second.spec;  // cordons survive a re-registration
    // So do labels an admin set; the agent's own keys take its values.
    for (const auto& [key, value] : it->second.metadata.labels) {
      node.metadata.labels.emplace(key, value);
    }
  } else {
    node.metadata.uid = RandomUuid();
    node.metadata.creation_time_ms = now_ms;
  }
  node.status.phase = NodePhase::kReady;
  node.status.last_heartbeat_ms = now_ms;
  auto& alloc = allocations_[name];
  alloc.core_busy.resize(topo.cores.size(), false);
  node.status.allocated_cpus =
      static_cast<int32_t>(std::count(alloc.core_busy.begin(), alloc.core_busy.end(), true));
  node.status.allocated_memory_bytes = alloc.memory_used;
  node.status.running_tasks = static_cast<int64_t>(alloc.tasks.size());
  node.status.daemon_tasks = 0;
  for (const std::string& t : alloc.tasks) node.status.daemon_tasks += IsDaemon(tasks_.at(t));
  auto& slot = nodes_[name];
  slot = std::move(node);
  TouchNode(slot);
  needs_scheduling_ = true;
  EnqueueNodeWatchers();
  return Status::Ok();
}

void ClusterState::ReconcileHeldTasks(const std::string& node, const std::set<std::string>& held,
                                      int64_t now_ms) {
  auto alloc = allocations_.find(node);
  if (alloc != allocations_.end()) {
    const std::set<std::string> active = alloc->second.tasks;
    for (const std::string& name : active) {
      Task& task = tasks_.at(name);
      if (task.spec.placeholder) continue;  // droverd's alone: nothing runs there
      if (held.count(name)) {
        // A service task's probes and fence live in its agent: one that
        // restarted and re-adopted it resumes them from the launch sent
        // again (it starts nothing it already runs).
        if (IsService(task) && task.status.phase == TaskPhase::kRunning &&
            !terminating_.count(name)) {
          Json launch = ServiceLaunch(task);
          if (launch.contains("probes") || launch.contains("fenceAfterMs")) {
            channels_[node].AppendLaunch(std::move(launch), building_batch_);
          }
        }
        // Its limit may have changed while the node was away (or this
        // droverd was not the leader): the supervisor ignores the same one.
        if (task.status.phase == TaskPhase::kRunning && task.spec.job_id != 0 &&
            jobs_.at(task.spec.job_id).spec.task.time_limit_s > 0) {
          SendTimeLimit(task);
        }
        continue;
      }
      if (task.status.phase == TaskPhase::kRunning) {
        task.status.message = "node " + node + " came back without it (restarted?)";
        EndTask(task, TaskPhase::kLost, now_ms);
        needs_scheduling_ = true;
      } else if (task.status.phase == TaskPhase::kAssigned && !terminating_.count(name)) {
        // The node may have taken the launch and lost it (a reboot before the
        // supervisor ran it): send it again; a node ignores a launch of a
        // task it runs.
        channels_[node].AppendLaunch(LaunchOf(task, node), building_batch_);
      }
    }
  }
  FenceTasks(node, held);
}

void ClusterState::FenceTasks(const std::string& node, const std::set<std::string>& held) {
  for (const std::string& name : held) {
    auto it = tasks_.find(name);
    const bool wanted =
        it != tasks_.end() && it->second.spec.node == node && !IsTerminal(it->second.status.phase);
    if (wanted) continue;
    // Declared lost and run elsewhere, or forgotten: a second copy must not
    // run beside the replacement (nor hold cores droverd thinks are free).
    channels_[node].AppendKill(name, kFenceGraceMs, building_batch_);
    ++counters_.tasks_fenced_total;
  }
}

Status ClusterState::LabelNode(const std::string& name, const Labels& set,
                               const std::vector<std::string>& remove, bool overwrite) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " not found");
  Labels labels = it->second.metadata.labels;
  for (const std::string& key : remove) {
    if (set.count(key)) {
      return Status::Invalid("labels." + key, "is both set and removed");
    }
    labels.erase(key);
  }
  for (const auto& [key, value] : set) {
    auto old = labels.find(key);
    if (old != labels.end() && old->second != value && !overwrite) {
      return Status::Conflict("node " + name + ": label " + key + " already has a value (" +
                              old->second + "); overwrite it with --overwrite");
    }
    labels[key] = value;
  }
  DROVER_RETURN_IF_ERROR(ValidateLabels(labels));
  if (labels == it->second.metadata.labels) return Status::Ok();
  it->second.metadata.labels = std::move(labels);
  TouchNode(it->second);
  needs_scheduling_ = true;  // selectors may match it now, or no longer
  EnqueueNodeWatchers();
  return Status::Ok();
}

Status ClusterState::CordonNode(const std::string& name, bool cordoned) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " not found");
  NodeSpec& spec = it->second.spec;
  const bool was_draining = spec.draining;
  if (!cordoned) spec.draining = false;
  const std::string was_reason = spec.reason;
  spec.reason.clear();  // now the admin's choice
  if (spec.unschedulable == cordoned && was_draining == spec.draining && was_reason.empty()) {
    return Status::Ok();
  }
  spec.unschedulable = cordoned;
  TouchNode(it->second);
  needs_scheduling_ = true;
  if (was_draining != spec.draining) EnqueueAllDeployments();  // its replicas may stay now
  return Status::Ok();
}

Status ClusterState::DrainNode(const std::string& name, bool force, const std::string& reason) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " not found");
  NodeSpec& spec = it->second.spec;
  if (!spec.unschedulable || !spec.draining || spec.reason != reason) {
    spec.unschedulable = true;
    spec.draining = true;
    spec.reason = reason;
    TouchNode(it->second);
    needs_scheduling_ = true;
    EnqueueAllDeployments();
  }
  if (force) {
    // Requeued, as preemption victims are: their indexes run again elsewhere.
    const std::set<std::string> active = allocations_[name].tasks;
    for (const std::string& t : active) {
      Task& task = tasks_.at(t);
      if (!IsService(task)) {  // replicas move by their controller; daemons stay
        KillTask(task, scheduler::PreemptMode::kRequeue, kCancelGraceMs);
      }
    }
  }
  return Status::Ok();
}

Status ClusterState::ReportNodeHealth(const std::string& name, bool healthy,
                                      const std::string& message, int64_t now_ms) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " not found");
  Node& node = it->second;
  const bool changed = node.status.healthy != healthy || node.status.health_message != message ||
                       node.status.health_checked_ms == 0;
  node.status.healthy = healthy;
  node.status.health_message = message;
  node.status.health_checked_ms = now_ms;
  // Slurm's HealthCheckProgram sets DRAIN: what runs finishes, nothing new comes.
  DROVER_RETURN_IF_ERROR(DrainForCause(name, "health check failed", !healthy, message));
  // Heartbeats are not stored; a health report is, when it says something new.
  if (changed) TouchNode(node);
  return Status::Ok();
}

Status ClusterState::ReportLogDisk(const std::string& name, const std::string& problem) {
  if (!nodes_.count(name)) return Status::NotFound("node " + name + " not found");
  return DrainForCause(name, "task logs cannot be written", !problem.empty(), problem);
}

Status ClusterState::DrainForCause(const std::string& name, std::string_view cause, bool failing,
                                   const std::string& detail) {
  const NodeSpec& spec = nodes_.at(name).spec;
  const bool ours = spec.reason.starts_with(cause);
  if (!failing) return ours ? CordonNode(name, false) : Status::Ok();
  const std::string reason = std::string(cause) + (detail.empty() ? "" : ": " + detail);
  if (spec.draining && (!ours || spec.reason == reason)) return Status::Ok();
  return DrainNode(name, false, reason);
}

std::vector<const Task*> ClusterState::TasksOnNode(const std::string& node) const {
  std::vector<const Task*> out;
  auto alloc = allocations_.find(node);
  if (alloc == allocations_.end()) return out;
  for (const std::string& name : alloc->second.tasks) out.push_back(&tasks_.at(name));
  return out;
}

void ClusterState::EnqueueAllDeployments() {
  deployments_.EnqueueAll();
  stateful_sets_.EnqueueAll();  // a drain moves ordinals too
}

Status ClusterState::Heartbeat(const std::string& name, int64_t now_ms) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " is not registered");
  it->second.status.last_heartbeat_ms = now_ms;
  if (it->second.status.phase != NodePhase::kReady) {
    it->second.status.phase = NodePhase::kReady;
    TouchNode(it->second);
    needs_scheduling_ = true;
    EnqueueNodeWatchers();  // it gets its daemons back, and ordinals pinned to it
  }
  return Status::Ok();
}

NodeChannel* ClusterState::Channel(const std::string& node) {
  if (nodes_.find(node) == nodes_.end()) return nullptr;
  return &channels_[node];
}

void ClusterState::Hold(const Task& task) {
  auto& alloc = allocations_[task.spec.node];
  if (IsStepTask(task.spec)) {  // on cores its allocation holds
    alloc.tasks.insert(task.metadata.name);
    return;
  }
  for (int32_t c : task.spec.cores) {
    if (c >= 0 && static_cast<size_t>(c) < alloc.core_busy.size()) alloc.core_busy[c] = true;
  }
  alloc.memory_used += task.spec.memory_bytes;
  alloc.tasks.insert(task.metadata.name);
  if (!task.spec.ports.empty()) {
    auto& host = host_ports_[HostOf(task.spec.node)];
    for (const auto& [name, port] : task.spec.ports) host.used.insert(port);
  }
  auto node = nodes_.find(task.spec.node);
  if (node != nodes_.end()) {
    node->second.status.allocated_cpus += static_cast<int32_t>(task.spec.cores.size());
    node->second.status.allocated_memory_bytes += task.spec.memory_bytes;
    node->second.status.running_tasks = static_cast<int64_t>(alloc.tasks.size());
    node->second.status.daemon_tasks += IsDaemon(task);
  }
}

void ClusterState::Release(const Task& task) {
  auto& alloc = allocations_[task.spec.node];
  if (IsStepTask(task.spec)) {
    alloc.tasks.erase(task.metadata.name);
    return;
  }
  for (int32_t c : task.spec.cores) {
    if (c >= 0 && static_cast<size_t>(c) < alloc.core_busy.size()) alloc.core_busy[c] = false;
  }
  alloc.memory_used -= task.spec.memory_bytes;
  alloc.tasks.erase(task.metadata.name);
  if (!task.spec.ports.empty()) {
    auto& host = host_ports_[HostOf(task.spec.node)];
    for (const auto& [name, port] : task.spec.ports) host.used.erase(port);
  }
  auto node = nodes_.find(task.spec.node);
  if (node != nodes_.end()) {
    node->second.status.allocated_cpus -= static_cast<int32_t>(task.spec.cores.size());
    node->second.status.allocated_memory_bytes -= task.spec.memory_bytes;
    node->second.status.running_tasks = static_cast<int64_t>(alloc.tasks.size());
    node->second.status.daemon_tasks -= IsDaemon(task);
  }
}

void ClusterState::ReconcileNodes(int64_t now_ms, int64_t heartbeat_timeout_ms) {
  const controllers::NodeLifecycleConfig config{.heartbeat_timeout_ms = heartbeat_timeout_ms};
  for (auto& [name, node] : nodes_) {
    // Every tick, for every node: the common case costs no task lookups.
    if (node.status.phase == NodePhase::kReady &&
        controllers::HeardFromLately(node, now_ms, config)) {
      continue;
    }
    std::vector<const Task*> active;
    for (const std::string& t : allocations_[name].tasks) active.push_back(&tasks_.at(t));
    controllers::NodeActions actions = controllers::ReconcileNode(node, active, now_ms, config);
    if (actions.set_phase) {
      node.status.phase = *actions.set_phase;
      TouchNode(node);
      needs_scheduling_ = true;
      EnqueueNodeWatchers();
      // Instructions for a node declared lost are void: what it should stop
      // it is told when it speaks again (FenceTasks).
      if (node.status.phase == NodePhase::kNotReady) {
        channels_[name].Reset();
        ForgetVolumeRemovalsSentTo(name);
      }
    }
    for (const std::string& t : actions.lose_tasks) {
      Task& task = tasks_.at(t);
      task.status.message = actions.reason;
      EndTask(task, TaskPhase::kLost, now_ms);
      needs_scheduling_ = true;
    }
  }
}

void ClusterState::FlushChannels(int64_t now_ms, uint64_t durable_batch) {
  for (auto& [name, channel] : channels_) channel.Flush(epoch_, now_ms, durable_batch);
  FlushEndpointWatches(now_ms);
}

bool ClusterState::InstructionsAppendedIn(uint64_t batch) const {
  for (const auto& [name, channel] : channels_) {
    if (channel.AppendedIn(batch)) return true;
  }
  return false;
}

}  // namespace drover::droverd
