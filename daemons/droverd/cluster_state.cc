#include "daemons/droverd/cluster_state.h"

#include <algorithm>
#include <limits>
#include <random>

#include "api/json_codec.h"
#include "api/validation.h"
#include "controllers/job_controller.h"
#include "controllers/job_dependencies.h"
#include "controllers/node_lifecycle.h"
#include "daemons/droverd/authorization.h"
#include "scheduler/admission.h"

namespace drover::droverd {
namespace {

std::string NewUid() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

}  // namespace

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
    if (jobs_.count(other) == 0) {
      return Status::Invalid("spec.dependencies[" + std::to_string(i) + "].job",
                             "job " + std::to_string(other) + " does not exist");
    }
  }
  // Could it ever run: on the registered nodes with nothing running, within its
  // queue's limits? (With no node registered yet, nobody can tell: accepted.)
  scheduler::ClusterSnapshot empty;
  for (const auto& [name, node] : nodes_) {
    scheduler::NodeSnapshot snap;
    snap.name = name;
    snap.topology = node.status.topology;
    snap.core_busy.assign(node.status.topology.cores.size(), false);
    snap.memory_free_bytes = node.status.topology.memory_bytes;
    empty.nodes.push_back(std::move(snap));
  }
  return scheduler::CheckCanEverRun(
      empty, PendingJobFor(job, job.spec.parallelism, job.spec.gang, job.spec.priority),
      config_.scheduler);
}

Result<const Job*> ClusterState::SubmitJob(Job job, const Caller& caller, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(AuthorizeSubmission(job, caller));
  ApplyQueueDefaults(job);
  DROVER_RETURN_IF_ERROR(CheckSubmission(job));
  job.id = next_job_id_++;
  meta_dirty_ = true;
  job.metadata.uid = NewUid();
  job.metadata.creation_time_ms = now_ms;
  job.owner = {caller.user, caller.uid, caller.gid};
  job.status = JobStatus{};
  uint64_t id = job.id;
  auto [it, inserted] = jobs_.emplace(id, std::move(job));
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

Status ClusterState::SetHold(uint64_t id, bool hold, const Caller& caller, int64_t now_ms) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  Job& job = it->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, hold ? "hold" : "release"));
  if (IsTerminal(job.status.phase)) {
    return Status::Conflict("job " + std::to_string(id) + " already finished (" +
                            std::string(JobPhaseName(job.status.phase)) + ")");
  }
  if (job.spec.hold == hold) return Status::Ok();
  job.spec.hold = hold;
  TouchJob(job);
  needs_scheduling_ = true;
  (void)now_ms;
  return Status::Ok();
}

int64_t ClusterState::CancelUnsatisfiableJobs(int64_t now_ms) {
  auto find = [this](uint64_t id) -> const Job* { return FindJob(id); };
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
      auto verdict = controllers::EvaluateDependencies(job, find);
      if (verdict.state != controllers::DependencyState::kNeverSatisfied) continue;
      JobPhase before = job.status.phase;
      if (!controllers::CancelJob(job, now_ms)) continue;
      job.status.message = verdict.message;
      job.status.reasons.clear();
      CountJobPhase(before, -1);
      CountJobPhase(JobPhase::kCancelled, +1);
      unfinished_jobs_.erase(id);
      TouchJob(job);
      ++cancelled;
      changed = true;
    }
  }
  return cancelled;
}

int64_t ClusterState::ForgetExpiredJobs(int64_t now_ms) {
  if (config_.job_retention_s <= 0 || now_ms < next_forget_ms_) return 0;
  // Sweeps are O(jobs): every 10 s, or a tenth of a shorter retention.
  next_forget_ms_ = now_ms + std::clamp<int64_t>(config_.job_retention_s * 100, 100, 10'000);
  const int64_t cutoff = now_ms - config_.job_retention_s * 1000;
  std::set<uint64_t> depended_on;
  for (uint64_t id : unfinished_jobs_) {
    for (const JobDependency& d : jobs_.at(id).spec.dependencies) depended_on.insert(d.job_id);
  }
  int64_t forgotten = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = it->second;
    const uint64_t id = job.id;
    const bool expired = IsTerminal(job.status.phase) && job.status.completion_time_ms > 0 &&
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
    for (const std::string& name : names) {
      tasks_.erase(name);
      dirty_tasks_.erase(name);
      terminating_.erase(name);
      deleted_tasks_.push_back(name);
    }
    if (tasks_of != job_tasks_.end()) job_tasks_.erase(tasks_of);
    next_attempt_.erase(next_attempt_.lower_bound({id, std::numeric_limits<int64_t>::min()}),
                        next_attempt_.lower_bound({id + 1, std::numeric_limits<int64_t>::min()}));
    CountJobPhase(job.status.phase, -1);
    dirty_jobs_.erase(id);
    deleted_jobs_.push_back(id);
    it = jobs_.erase(it);
    ++forgotten;
  }
  return forgotten;
}

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
  KillActiveTasks(id, kCancelGraceMs);
  needs_scheduling_ = true;
  return Status::Ok();
}

void ClusterState::KillActiveTasks(uint64_t job_id, int64_t grace_ms) {
  auto it = job_tasks_.find(job_id);
  if (it == job_tasks_.end()) return;
  for (const std::string& name : it->second) {
    const Task& t = tasks_.at(name);
    if (IsTerminal(t.status.phase)) continue;
    terminating_.emplace(name, scheduler::PreemptMode::kOff);
    channels_[t.spec.node].AppendKill(name, grace_ms, building_batch_);
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

Status ClusterState::RegisterNode(Node node, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(ValidateName("metadata.name", node.metadata.name));
  const NodeTopology& topo = node.status.topology;
  if (topo.cores.empty()) return Status::Invalid("status.topology.cores", "a node needs cores");
  std::string name = node.metadata.name;
  auto it = nodes_.find(name);
  if (it != nodes_.end()) {
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
    node.spec = it->second.spec;  // drains survive a re-registration
  } else {
    node.metadata.uid = NewUid();
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
  auto& slot = nodes_[name];
  slot = std::move(node);
  TouchNode(slot);
  needs_scheduling_ = true;
  return Status::Ok();
}

void ClusterState::ReconcileHeldTasks(const std::string& node, const std::set<std::string>& held,
                                      int64_t now_ms) {
  auto alloc = allocations_.find(node);
  if (alloc != allocations_.end()) {
    const std::set<std::string> active = alloc->second.tasks;
    for (const std::string& name : active) {
      Task& task = tasks_.at(name);
      if (held.count(name)) continue;
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

Status ClusterState::Heartbeat(const std::string& name, int64_t now_ms) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status::NotFound("node " + name + " is not registered");
  it->second.status.last_heartbeat_ms = now_ms;
  if (it->second.status.phase != NodePhase::kReady) {
    it->second.status.phase = NodePhase::kReady;
    TouchNode(it->second);
    needs_scheduling_ = true;
  }
  return Status::Ok();
}

NodeChannel* ClusterState::Channel(const std::string& node) {
  if (nodes_.find(node) == nodes_.end()) return nullptr;
  return &channels_[node];
}

void ClusterState::Hold(const Task& task) {
  auto& alloc = allocations_[task.spec.node];
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
  }
}

void ClusterState::Release(const Task& task) {
  auto& alloc = allocations_[task.spec.node];
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
  }
}

void ClusterState::ForgetOldFinishedTasks(uint64_t job_id, const std::string& keep) {
  auto it = job_tasks_.find(job_id);
  // Compacting at twice the bound keeps the cost per ended task constant.
  if (it == job_tasks_.end() || it->second.size() <= 2 * kFinishedTasksKeptPerJob) return;
  std::vector<std::string>& names = it->second;
  size_t finished = 0;
  for (const std::string& name : names) finished += IsTerminal(tasks_.at(name).status.phase);
  size_t to_forget = finished > kFinishedTasksKeptPerJob ? finished - kFinishedTasksKeptPerJob : 0;
  std::vector<std::string> kept;
  kept.reserve(names.size() - to_forget);
  for (std::string& name : names) {  // oldest first
    const Task& t = tasks_.at(name);
    if (to_forget > 0 && name != keep && IsTerminal(t.status.phase) && !terminating_.count(name)) {
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
  if (IsReplica(task)) {
    // Stopped by droverd (scaled down, replaced, deleted): not a failure.
    if (stopped && phase == TaskPhase::kFailed) {
      phase = TaskPhase::kCancelled;
      task.status.message = "stopped by its Deployment's controller";
    }
    task.status.phase = phase;
    if (task.status.finish_time_ms == 0) task.status.finish_time_ms = now_ms;
    task.status.ready = false;
    Release(task);
    TouchTask(task);
    (phase == TaskPhase::kSucceeded ? counters_.tasks_succeeded_total
                                    : counters_.tasks_failed_total)++;
    EndReplica(task, stopped, now_ms);
    return;
  }
  if (requeue) {
    phase = TaskPhase::kCancelled;
    task.status.message = "preempted; its index runs again";
  }
  // A node's failure is not the task's: its index runs again elsewhere and
  // counts neither as a failure nor against backoffLimit (Slurm requeues on
  // node failure; Kubernetes' podFailurePolicy can ignore DisruptionTarget).
  if (phase == TaskPhase::kLost) requeue = true;
  task.status.phase = phase;
  if (task.status.finish_time_ms == 0) task.status.finish_time_ms = now_ms;
  Release(task);
  TouchTask(task);
  ForgetOldFinishedTasks(task.spec.job_id, task.metadata.name);
  (phase == TaskPhase::kSucceeded ? counters_.tasks_succeeded_total
                                  : counters_.tasks_failed_total)++;

  if (phase != TaskPhase::kSucceeded) {
    next_attempt_[{task.spec.job_id, task.spec.index}] = task.spec.attempt + 1;
  }
  Job& job = jobs_.at(task.spec.job_id);
  if (task.status.start_time_ms > 0) {
    fair_share_.AddUsage(job.owner.user, job.spec.account, CoreSeconds(task), now_ms);
  }
  if (requeue) {
    controllers::RecordTaskRequeued(job, task);
    TouchJob(job);
    needs_scheduling_ = true;
    return;
  }
  JobPhase before = job.status.phase;
  auto effect = controllers::RecordTaskEnd(job, task, now_ms);
  if (job.status.phase != before) {
    CountJobPhase(before, -1);
    CountJobPhase(job.status.phase, +1);
  }
  if (effect.job_finished) unfinished_jobs_.erase(job.id);
  if (effect.kill_active_tasks) KillActiveTasks(job.id, kCancelGraceMs);
  TouchJob(job);
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
      if (IsReplica(task)) SetReplicaReadiness(task, report, when);
      return Status::Ok();
    }
    task.status.phase = TaskPhase::kRunning;
    task.status.pid = report.pid;
    task.status.start_time_ms = when;
    counters_.tasks_assigned--;
    counters_.tasks_running++;
    counters_.tasks_started_total++;
    if (IsReplica(task)) SetReplicaReadiness(task, report, when);
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
  task.status.message = report.timed_out ? "time limit exceeded" : report.message;
  TaskPhase phase = report.phase;
  if (!IsReplica(task) && jobs_.at(task.spec.job_id).status.phase == JobPhase::kCancelled) {
    phase = TaskPhase::kCancelled;
  }
  EndTask(task, phase, now_ms);
  return Status::Ok();
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
      // Instructions for a node declared lost are void: what it should stop
      // it is told when it speaks again (FenceTasks).
      if (node.status.phase == NodePhase::kNotReady) channels_[name].Reset();
    }
    for (const std::string& t : actions.lose_tasks) {
      Task& task = tasks_.at(t);
      task.status.message = actions.reason;
      EndTask(task, TaskPhase::kLost, now_ms);
      needs_scheduling_ = true;
    }
  }
}

void ClusterState::BuildSchedulerInput(int64_t now_ms, scheduler::ClusterSnapshot* cluster,
                                       std::vector<scheduler::PendingJob>* pending) const {
  for (const auto& [name, node] : nodes_) {
    scheduler::NodeSnapshot snap;
    snap.name = name;
    snap.topology = node.status.topology;
    const auto& alloc = allocations_.at(name);
    snap.core_busy = alloc.core_busy;
    snap.memory_free_bytes = node.status.topology.memory_bytes - alloc.memory_used;
    snap.schedulable = node.status.phase == NodePhase::kReady && !node.spec.unschedulable;
    cluster->nodes.push_back(std::move(snap));
  }
  // Only the active tasks: finished ones accumulate and must not slow a pass.
  for (const auto& [node_name, node] : nodes_) {
    for (const std::string& name : allocations_.at(node_name).tasks) {
      const Task& task = tasks_.at(name);
      scheduler::RunningTask r;
      r.job_id = task.spec.job_id;
      r.node = task.spec.node;
      r.cores = task.spec.cores;
      r.memory_bytes = task.spec.memory_bytes;
      r.numa_memory_bytes = task.spec.numa_memory_bytes;
      int64_t start =
          task.status.start_time_ms ? task.status.start_time_ms : task.metadata.creation_time_ms;
      r.task = name;
      r.start_ms = start;
      r.terminating = terminating_.count(name) > 0;
      if (IsReplica(task)) {
        // A service never ends as far as the plan knows, and batch work
        // does not preempt it.
        // Only replicas of the revision being placed count against its
        // per-node cap (AddReplicaDemand); older ones get an id no pending
        // work has.
        r.job_id = task.spec.revision == RolloutRevision(task.spec.owner.name)
                       ? deployments_.WorkIdOf(task.spec.owner.name)
                       : kFirstServiceWorkId - 1;
        r.expected_end_ms = 0;
        r.priority = std::numeric_limits<int32_t>::max();
        r.preemptible = false;
        cluster->running.push_back(std::move(r));
        continue;
      }
      const Job& job = jobs_.at(task.spec.job_id);
      r.expected_end_ms =
          job.spec.task.time_limit_s > 0 ? start + job.spec.task.time_limit_s * 1000 : 0;
      r.priority = EffectivePriority(job, now_ms);
      r.queue = job.spec.queue;
      r.gang = job.spec.gang;
      cluster->running.push_back(std::move(r));
    }
  }
  for (uint64_t id : unfinished_jobs_) {
    const Job& job = jobs_.at(id);
    int64_t wanted = controllers::TasksWanted(job);
    if (wanted <= 0) continue;
    // A gang starts all of its tasks together, once; retries of a gang's
    // failed members are placed on their own.
    bool gang = job.spec.gang && job.status.active == 0 && job.status.next_index == 0;
    pending->push_back(PendingJobFor(job, wanted, gang, EffectivePriority(job, now_ms)));
  }
  AddReplicaDemand(pending);
}

scheduler::PendingJob ClusterState::PendingJobFor(const Job& job, int64_t tasks_wanted, bool gang,
                                                  int32_t priority) const {
  scheduler::PendingJob p;
  p.job_id = job.id;
  p.priority = priority;
  p.submit_time_ms = job.metadata.creation_time_ms;
  p.tasks_wanted = tasks_wanted;
  p.cpus_per_task = job.spec.task.resources.cpus;
  p.memory_per_task = job.spec.task.resources.memory_bytes;
  p.memory_per_numa = job.spec.task.resources.memory_bind == "local";
  p.time_limit_s = job.spec.task.time_limit_s;
  p.gang = gang;
  p.placement = job.spec.placement == "spread" ? scheduler::CorePlacement::kSpread
                                               : scheduler::CorePlacement::kCompact;
  p.exclusive = job.spec.exclusive;
  p.ntasks_per_node = job.spec.ntasks_per_node;
  p.nodes = gang ? job.spec.nodes : 0;
  p.user = job.owner.user;
  p.queue = job.spec.queue;
  p.held = job.spec.hold;
  p.begin_time_ms = job.spec.begin_time_ms;
  if (!job.spec.dependencies.empty()) {
    auto verdict = controllers::EvaluateDependencies(
        job, [this](uint64_t id) -> const Job* { return FindJob(id); });
    p.dependency_pending = verdict.state != controllers::DependencyState::kSatisfied;
  }
  return p;
}

int32_t ClusterState::EffectivePriority(const Job& job, int64_t now_ms) const {
  // Both are bounded by validation (nice to +-kMaxNice), so this cannot overflow int64.
  const int32_t own = static_cast<int32_t>(std::clamp<int64_t>(
      int64_t{job.spec.priority} - job.spec.nice, std::numeric_limits<int32_t>::min(),
      std::numeric_limits<int32_t>::max()));
  if (!config_.priority) return own;
  queue::JobPriorityInput in;
  in.submit_time_ms = job.metadata.creation_time_ms;
  in.cores = static_cast<int64_t>(job.spec.task.resources.cpus) * job.spec.parallelism;
  in.job_priority = own;
  in.user = job.owner.user;
  in.account = job.spec.account;
  for (const auto& q : config_.scheduler.queues) {
    in.max_queue_priority = std::max(in.max_queue_priority, q.priority);
    if (q.name == job.spec.queue) in.queue_priority = q.priority;
  }
  int64_t cluster_cores = 0;
  for (const auto& [name, node] : nodes_) {
    cluster_cores += static_cast<int64_t>(node.status.topology.cores.size());
  }
  return queue::MultifactorPriority(in, *config_.priority, fair_share_,
                                    std::max<int64_t>(1, cluster_cores), now_ms);
}

void ClusterState::Preempt(const scheduler::Preemption& victim, int64_t now_ms) {
  auto task = tasks_.find(victim.task);
  if (task == tasks_.end() || IsTerminal(task->second.status.phase)) return;
  if (terminating_.count(victim.task)) return;
  if (victim.mode == scheduler::PreemptMode::kCancel) {
    Job& job = jobs_.at(victim.job_id);
    JobPhase before = job.status.phase;
    if (controllers::CancelJob(job, now_ms)) {
      job.status.message = "preempted by job " + std::to_string(victim.preemptor);
      CountJobPhase(before, -1);
      CountJobPhase(JobPhase::kCancelled, +1);
      unfinished_jobs_.erase(job.id);
      TouchJob(job);
      KillActiveTasks(job.id, kCancelGraceMs);
    }
    return;
  }
  terminating_[victim.task] = victim.mode;
  channels_[victim.node].AppendKill(victim.task, kCancelGraceMs, building_batch_);
}

Json ClusterState::LaunchInstruction(const Task& task, const Job& job,
                                     const std::string& nodelist) const {
  const TaskTemplate& t = job.spec.task;
  std::vector<std::string> argv = t.command;
  argv.insert(argv.end(), t.args.begin(), t.args.end());
  Json env = Json::array();
  for (const auto& [k, v] : t.env) env.push_back({k, v});
  Json instruction = {
      {"task", task.metadata.name},
      {"jobId", job.id},
      {"jobName", job.metadata.name},
      {"index", task.spec.index},
      {"attempt", task.spec.attempt},
      {"ntasks", job.spec.completion_mode == CompletionMode::kIndexed ? job.spec.completions
                                                                      : job.spec.parallelism},
      {"nodelist", nodelist},
      {"cores", task.spec.cores},
      {"cpus", task.spec.cpus},
      {"memory", task.spec.memory_bytes},
      {"argv", std::move(argv)},
      {"env", std::move(env)},
      {"workingDir", t.working_dir},
      {"user", job.owner.user},
      {"uid", job.owner.uid},
      {"gid", job.owner.gid},
      {"stdout", t.stdout_path},
      {"stderr", t.stderr_path},
      {"timeLimit", t.time_limit_s}};
  if (!task.spec.numa_memory_bytes.empty()) {
    instruction["numaMemory"] = task.spec.numa_memory_bytes;
  }
  return instruction;
}

Json ClusterState::LaunchOf(const Task& task, const std::string& nodelist) const {
  if (IsReplica(task)) return ReplicaLaunch(task);
  return LaunchInstruction(task, jobs_.at(task.spec.job_id), nodelist);
}

int64_t ClusterState::ApplyDecision(const scheduler::Decision& decision, int64_t now_ms) {
  // The node list of each job placed in this pass (a gang spans nodes).
  std::unordered_map<uint64_t, std::vector<std::string>> job_nodes;
  for (const auto& p : decision.placements) {
    auto& v = job_nodes[p.job_id];
    if (std::find(v.begin(), v.end(), p.node) == v.end()) v.push_back(p.node);
  }
  int64_t created = 0;
  for (const auto& p : decision.placements) {
    if (IsServiceWorkId(p.job_id)) {
      if (const std::string* d = deployments_.DeploymentOfWork(p.job_id)) {
        CreateReplica(p, *d, now_ms);
        ++created;
      }
      continue;
    }
    auto jit = jobs_.find(p.job_id);
    if (jit == jobs_.end() || controllers::TasksWanted(jit->second) <= 0) continue;
    Job& job = jit->second;
    int64_t first_fresh = job.status.next_index;
    int64_t index = controllers::ClaimNextIndex(job);
    int32_t attempt = 0;
    if (index < first_fresh) {  // a retry
      auto a = next_attempt_.find({job.id, index});
      if (a != next_attempt_.end()) attempt = a->second;
    }
    auto& names = job_tasks_[job.id];
    Task task;
    task.metadata.name = TaskName(job.id, index, attempt);
    task.metadata.uid = NewUid();
    task.metadata.creation_time_ms = now_ms;
    task.spec = {job.id,
                 index,
                 attempt,
                 p.node,
                 p.cores,
                 p.cpus,
                 p.memory_bytes,
                 p.numa_memory_bytes,
                 {"Job", job.metadata.name, job.metadata.uid},
                 "",
                 {}};
    JobPhase before = job.status.phase;
    controllers::RecordTaskStart(job, now_ms);
    if (job.status.phase != before) {
      CountJobPhase(before, -1);
      CountJobPhase(job.status.phase, +1);
    }
    TouchJob(job);
    std::string nodelist;
    for (const std::string& n : job_nodes[job.id]) {
      if (!nodelist.empty()) nodelist += ',';
      nodelist += n;
    }
    std::string name = task.metadata.name;
    names.push_back(name);
    auto [it, inserted] = tasks_.emplace(name, std::move(task));
    Hold(it->second);
    TouchTask(it->second);
    counters_.tasks_assigned++;
    channels_[p.node].AppendLaunch(LaunchInstruction(it->second, job, nodelist), building_batch_);
    ++created;
  }
  for (const auto& victim : decision.preemptions) Preempt(victim, now_ms);
  for (const auto& v : decision.pending) {
    auto jit = jobs_.find(v.job_id);
    if (jit == jobs_.end()) continue;
    JobStatus& st = jit->second.status;
    st.reasons.clear();
    for (auto r : v.reasons) st.reasons.emplace_back(scheduler::PendingReasonName(r));
    st.estimated_start_ms = v.estimated_start_ms;
  }
  return created;
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
