// ClusterState's side of Slurm's batch model: allocations (a job's tasks,
// one per node, placed together; the batch script on the first, placeholders
// holding the cores on the others) and the steps srun starts inside them.
#include <algorithm>
#include <map>
#include <set>

#include "api/base64.h"
#include "api/hostlist.h"
#include "controllers/job_controller.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/slurm_environment.h"

namespace drover::droverd {
namespace {

std::string CommaList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void ClusterState::CreateAllocation(Job& job,
                                    const std::vector<const scheduler::TaskPlacement*>& placements,
                                    int64_t now_ms) {
  const int64_t first_fresh = job.status.next_index;
  const int64_t index = controllers::ClaimNextIndex(job, ClaimableIndexes(job.id));
  int32_t attempt = 0;
  if (index < first_fresh) {  // a retry
    auto a = next_attempt_.find({job.id, index});
    if (a != next_attempt_.end()) attempt = a->second;
  }
  // One part per node, in the order the scheduler placed them.
  std::vector<scheduler::TaskPlacement> parts;
  for (const scheduler::TaskPlacement* p : placements) {
    auto part = std::find_if(parts.begin(), parts.end(),
                             [&](const scheduler::TaskPlacement& q) { return q.node == p->node; });
    if (part == parts.end()) {
      parts.push_back(*p);
      continue;
    }
    part->cores.insert(part->cores.end(), p->cores.begin(), p->cores.end());
    part->cpus.insert(part->cpus.end(), p->cpus.begin(), p->cpus.end());
    part->memory_bytes += p->memory_bytes;
    if (part->numa_memory_bytes.size() < p->numa_memory_bytes.size()) {
      part->numa_memory_bytes.resize(p->numa_memory_bytes.size(), 0);
    }
    for (size_t n = 0; n < p->numa_memory_bytes.size(); ++n) {
      part->numa_memory_bytes[n] += p->numa_memory_bytes[n];
    }
  }
  const bool interactive = job.spec.allocation.mode == AllocationMode::kInteractive;
  auto& names = job_tasks_[job.id];
  const Task* script = nullptr;
  for (size_t k = 0; k < parts.size(); ++k) {
    const int32_t part = static_cast<int32_t>(k);
    Task task;
    task.metadata.name = part == 0 ? TaskName(job.id, index, attempt)
                                   : AllocationPartName(job.id, index, attempt, part);
    task.metadata.uid = RandomUuid();
    task.metadata.creation_time_ms = now_ms;
    TaskSpec& s = task.spec;
    s.job_id = job.id;
    s.index = index;
    s.attempt = attempt;
    s.node = parts[k].node;
    s.cores = std::move(parts[k].cores);
    s.cpus = std::move(parts[k].cpus);
    s.memory_bytes = parts[k].memory_bytes;
    s.numa_memory_bytes = std::move(parts[k].numa_memory_bytes);
    s.owner = {"Job", job.metadata.name, job.metadata.uid};
    s.part = part;
    s.placeholder = interactive || part > 0;
    if (s.placeholder) {  // nothing to start: it holds its cores from now
      task.status.phase = TaskPhase::kRunning;
      task.status.start_time_ms = now_ms;
      counters_.tasks_running++;
      counters_.tasks_started_total++;
    } else {
      counters_.tasks_assigned++;
    }
    const std::string name = task.metadata.name;
    names.push_back(name);
    auto [it, inserted] = tasks_.emplace(name, std::move(task));
    Hold(it->second);
    TouchTask(it->second);
    if (!it->second.spec.placeholder) script = &it->second;
  }
  EnqueueJob(job.id);  // its controller recounts it with the new tasks
  TouchJob(job);
  if (script != nullptr) {
    channels_[script->spec.node].AppendLaunch(AllocationLaunch(*script), building_batch_);
  }
}

std::vector<const Task*> ClusterState::AllocationParts(const Task& part) const {
  std::vector<const Task*> out;
  auto it = job_tasks_.find(part.spec.job_id);
  if (it == job_tasks_.end()) return out;
  for (const std::string& name : it->second) {
    const Task& t = tasks_.at(name);
    if (t.spec.index == part.spec.index && t.spec.attempt == part.spec.attempt) out.push_back(&t);
  }
  std::sort(out.begin(), out.end(),
            [](const Task* a, const Task* b) { return a->spec.part < b->spec.part; });
  return out;
}

Json ClusterState::AllocationLaunch(const Task& script) const {
  const Job& job = jobs_.at(script.spec.job_id);
  std::vector<std::string> nodes;
  std::vector<int32_t> slots, cores;
  const int32_t cpus = std::max(1, job.spec.task.resources.cpus);
  for (const Task* part : AllocationParts(script)) {
    nodes.push_back(part->spec.node);
    cores.push_back(static_cast<int32_t>(part->spec.cores.size()));
    slots.push_back(static_cast<int32_t>(part->spec.cores.size()) / cpus);
  }
  Json launch = LaunchInstruction(script, job, CommaList(nodes));
  launch["ntasks"] = job.spec.allocation.tasks;
  // SLURM_ARRAY_* only for arrays; the script is rank 0 of its allocation.
  if (job.spec.completion_mode != CompletionMode::kIndexed) launch["index"] = -1;
  for (auto& [key, value] : SlurmAllocationEnvironment(job.spec.allocation.tasks, slots, cores)) {
    launch["env"].push_back({std::move(key), std::move(value)});
  }
  if (task_credentials_ != nullptr) {
    launch["jobCredential"] = task_credentials_->GrantJob(
        script.metadata.name, job.id, job.owner.user, job.owner.uid, job.owner.gid);
  }
  return launch;
}

Json ClusterState::StepLaunch(const Task& task) const {
  const Job& job = jobs_.at(task.spec.job_id);
  const StepSpec& step = task.spec.step;
  Json launch = TaskLaunch(task, step.command, job.owner);
  launch["jobId"] = job.id;
  launch["jobName"] = job.metadata.name;
  launch["index"] = -1;
  launch["attempt"] = task.spec.attempt;
  launch["ntasks"] = step.ntasks;
  std::vector<std::string> nodes;
  for (const Task* part : AllocationParts(task)) {
    if (IsStepTask(part->spec)) continue;
    nodes.push_back(part->spec.node);
    // A rank holds no memory of its own: it may use what the allocation
    // holds on its node (each rank's cgroup, not their sum; docs/slurm.md).
    if (part->spec.node == task.spec.node) launch["memory"] = part->spec.memory_bytes;
  }
  launch["nodelist"] = CommaList(nodes);
  for (auto& [key, value] : SlurmJobEnvironment(job, task, CommaList(nodes))) {
    launch["env"].push_back({std::move(key), std::move(value)});
  }
  for (auto& [key, value] : SlurmStepEnvironment(step)) {
    launch["env"].push_back({std::move(key), std::move(value)});
  }
  if (step.mpi == "pmix") {
    // Every node derives the step's PMIx layout from these alone: node ids
    // follow the nodelist's order, and ranks are dealt to nodes in it.
    launch["pmix"] = {{"jobId", job.id},
                      {"stepId", step.id},
                      {"nodelist", step.nodelist},
                      {"tasksPerNode", step.tasks_per_node},
                      {"rank", step.rank}};
  }
  return launch;
}

Result<std::vector<const Task*>> ClusterState::CreateStep(uint64_t id, StepRequest request,
                                                          const Caller& caller, int64_t now_ms) {
  auto jit = jobs_.find(id);
  if (jit == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  Job& job = jit->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, "start steps in"));
  const std::string what = "job " + std::to_string(id);
  if (!IsAllocation(job.spec)) {
    return Status::Conflict(what +
                            " is not an allocation (sbatch, salloc or srun make one): its tasks "
                            "run on their own, and steps have nowhere to run");
  }
  if (job.status.phase != JobPhase::kRunning) {
    return Status::Conflict(what + " is " + std::string(JobPhaseName(job.status.phase)) +
                            ": steps run only in a running allocation");
  }
  // The allocation: the caller's own (srun in a batch script), else the job's first active one.
  const Task* anchor = nullptr;
  if (caller.job_id == id && !caller.task.empty()) {
    const Task* mine = FindTask(caller.task);
    if (mine != nullptr && !IsTerminal(mine->status.phase)) anchor = mine;
  }
  for (const Task* t : TasksOfJob(id)) {
    if (anchor == nullptr && t->spec.part == 0 && !IsTerminal(t->status.phase)) anchor = t;
  }
  if (anchor == nullptr) return Status::Conflict(what + " has no running allocation");
  const std::vector<const Task*> parts = AllocationParts(*anchor);
  std::vector<scheduler::AllocationPart> shape;
  for (const Task* part : parts) {
    if (IsTerminal(part->status.phase) || part->status.terminating) {
      return Status::Conflict(what + "'s allocation is ending (its part on node " +
                              part->spec.node + " stopped)");
    }
    scheduler::AllocationPart a;
    a.node = part->spec.node;
    a.cores = part->spec.cores;
    const Node& node = nodes_.at(part->spec.node);
    for (int32_t c : a.cores) {
      a.pus.push_back(static_cast<size_t>(c) < node.status.topology.cores.size()
                          ? node.status.topology.cores[c].pus
                          : std::vector<int32_t>{});
    }
    shape.push_back(std::move(a));
  }
  // Node ids follow the allocation's hostlist, as in Slurm: then the step's
  // SLURM_STEP_NODELIST (a sorted hostlist) and SLURM_STEP_TASKS_PER_NODE
  // list its nodes in the same order, and name its PMIx layout.
  {
    std::vector<std::string> names;
    for (const auto& a : shape) names.push_back(a.node);
    auto order = ExpandHostlist(CompressHostlist(names));
    std::map<std::string, size_t> position;
    for (size_t i = 0; order.ok() && i < order->size(); ++i) position[(*order)[i]] = i;
    std::stable_sort(shape.begin(), shape.end(), [&](const auto& x, const auto& y) {
      return position[x.node] < position[y.node];
    });
  }
  for (const Task* t : StepTasksOfJob(id)) {  // cores running steps hold
    if (IsTerminal(t->status.phase) || t->spec.index != anchor->spec.index ||
        t->spec.attempt != anchor->spec.attempt) {
      continue;
    }
    for (auto& a : shape) {
      if (a.node == t->spec.node) {
        a.busy_cores.insert(a.busy_cores.end(), t->spec.cores.begin(), t->spec.cores.end());
      }
    }
  }
  if (request.placement.cpus_per_task <= 0) {
    request.placement.cpus_per_task = std::max(1, job.spec.task.resources.cpus);
  }
  auto placed = scheduler::PlaceStep(shape, request.placement);
  if (!placed.ok()) return placed.status();
  const int32_t step_id = job.status.next_step++;
  TouchJob(job);
  StepSpec step;
  step.id = step_id;
  step.ntasks = static_cast<int32_t>(placed->ranks.size());
  step.nodelist = CompressHostlist(placed->nodes);
  step.tasks_per_node = scheduler::SlurmCountList(placed->tasks_per_node);
  step.kill_on_bad_exit = request.kill_on_bad_exit;
  step.mpi = request.mpi;
  step.name = request.command.command.empty() ? "" : BaseName(request.command.command[0]);
  step.command = std::move(request.command);
  std::vector<const Task*> created;
  for (size_t r = 0; r < placed->ranks.size(); ++r) {
    scheduler::RankPlacement& rank = placed->ranks[r];
    Task task;
    task.metadata.name = StepTaskName(id, step_id, static_cast<int32_t>(r));
    task.metadata.uid = RandomUuid();
    task.metadata.creation_time_ms = now_ms;
    task.spec.job_id = id;
    task.spec.index = anchor->spec.index;
    task.spec.attempt = anchor->spec.attempt;
    task.spec.node = shape[rank.part].node;
    task.spec.cores = std::move(rank.cores);
    task.spec.cpus = std::move(rank.cpus);
    task.spec.owner = {"Job", job.metadata.name, job.metadata.uid};
    task.spec.step = step;
    task.spec.step.rank = static_cast<int32_t>(r);
    task.spec.step.local_id = rank.local_id;
    task.spec.step.node_id = rank.node_id;
    const std::string name = task.metadata.name;
    job_steps_[id].push_back(name);
    auto [it, inserted] = tasks_.emplace(name, std::move(task));
    Hold(it->second);
    TouchTask(it->second);
    counters_.tasks_assigned++;
    channels_[it->second.spec.node].AppendLaunch(StepLaunch(it->second), building_batch_);
    created.push_back(&it->second);
  }
  return created;
}

std::vector<const Task*> ClusterState::StepTasksOfJob(uint64_t id) const {
  std::vector<const Task*> out;
  auto it = job_steps_.find(id);
  if (it == job_steps_.end()) return out;
  for (const std::string& name : it->second) out.push_back(&tasks_.at(name));
  return out;
}

Status ClusterState::ContributeFence(const std::string& node, uint64_t id, int32_t step,
                                     int64_t sequence, std::string data) {
  std::set<std::string> nodes;
  bool running = false;
  for (const Task* t : StepTasksOfJob(id)) {
    if (t->spec.step.id != step) continue;
    nodes.insert(t->spec.node);
    running = running || !IsTerminal(t->status.phase);
  }
  const std::string what = "step " + std::to_string(id) + "." + std::to_string(step);
  if (nodes.empty()) return Status::NotFound(what + " not found");
  if (!running) return Status::Conflict(what + " has ended");
  auto gathered = step_fences_.Contribute(id, step, sequence, node, nodes, std::move(data));
  if (!gathered.ok()) return gathered.status();
  if (!gathered->has_value()) return Status::Ok();
  const Json fence = {
      {"jobId", id}, {"stepId", step}, {"sequence", sequence}, {"data", Base64Encode(**gathered)}};
  for (const std::string& n : nodes) channels_[n].AppendFence(fence, building_batch_);
  return Status::Ok();
}

Status ClusterState::CancelStep(uint64_t id, int32_t step, const Caller& caller) {
  auto jit = jobs_.find(id);
  if (jit == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(jit->second, caller, "cancel steps of"));
  bool found = false;
  for (const std::string& name : job_steps_[id]) {
    Task& t = tasks_.at(name);
    if (t.spec.step.id != step) continue;
    found = true;
    KillTask(t, scheduler::PreemptMode::kOff, kCancelGraceMs);
  }
  if (!found) {
    return Status::NotFound("job " + std::to_string(id) + " has no step " + std::to_string(step));
  }
  return Status::Ok();
}

Result<int32_t> ClusterState::SignalJob(uint64_t id, int32_t signal, JobSignalTargets targets,
                                        const Caller& caller) {
  auto jit = jobs_.find(id);
  if (jit == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  const Job& job = jit->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, "signal"));
  if (signal < 1 || signal > 64) {
    return Status::Invalid("signal",
                           "must be a signal number 1-64 (got " + std::to_string(signal) + ")");
  }
  if (job.status.phase != JobPhase::kRunning) {
    return Status::Conflict("job " + std::to_string(id) + " is not running (" +
                            std::string(JobPhaseName(job.status.phase)) + ")");
  }
  const bool allocation = IsAllocation(job.spec);
  int32_t sent = 0;
  std::vector<const Task*> tasks = TasksOfJob(id);
  for (const Task* t : StepTasksOfJob(id)) tasks.push_back(t);
  for (const Task* t : tasks) {
    if (t->status.phase != TaskPhase::kRunning || t->spec.placeholder) continue;
    const bool step = IsStepTask(t->spec);
    const bool wanted = !allocation || (step && targets != JobSignalTargets::kBatch) ||
                        (!step && targets != JobSignalTargets::kSteps);
    if (!wanted) continue;
    channels_[t->spec.node].AppendSignal(t->metadata.name, signal, building_batch_);
    ++sent;
  }
  return sent;
}

Status ClusterState::CompleteAllocation(uint64_t id, int32_t exit_code, const Caller& caller,
                                        int64_t now_ms) {
  auto jit = jobs_.find(id);
  if (jit == jobs_.end()) return Status::NotFound("job " + std::to_string(id) + " not found");
  Job& job = jit->second;
  DROVER_RETURN_IF_ERROR(AuthorizeJobChange(job, caller, "complete"));
  if (job.spec.allocation.mode != AllocationMode::kInteractive) {
    return Status::Conflict("job " + std::to_string(id) +
                            " is not an interactive allocation: it ends when its tasks do");
  }
  if (IsTerminal(job.status.phase)) return Status::Ok();  // already ended (cancelled, say)
  CountJobPhase(job.status.phase, -1);
  job.status.phase = exit_code == 0 ? JobPhase::kSucceeded : JobPhase::kFailed;
  job.status.completion_time_ms = now_ms;
  job.status.reasons.clear();
  job.status.message = exit_code == 0 ? "" : "its command exited with " + std::to_string(exit_code);
  if (exit_code != 0) ++job.status.failed;
  CountJobPhase(job.status.phase, +1);
  unfinished_jobs_.erase(id);
  TouchJob(job);
  EnqueueJob(id);  // its controller stops the allocation
  needs_scheduling_ = true;
  return Status::Ok();
}

void ClusterState::EndStepTask(Task& task, int64_t now_ms) {
  (void)now_ms;
  const bool bad = task.status.phase == TaskPhase::kFailed || task.status.phase == TaskPhase::kLost;
  const uint64_t id = task.spec.job_id;
  const int32_t step = task.spec.step.id;
  if (bad && task.spec.step.kill_on_bad_exit) {
    for (const std::string& name : job_steps_[id]) {
      Task& sibling = tasks_.at(name);
      if (sibling.spec.step.id == step)
        KillTask(sibling, scheduler::PreemptMode::kOff, kCancelGraceMs);
    }
  }
  // A fence in flight now lacks this rank's share for good (a step's fences
  // span all its ranks, and a rank that ended passed all of its own).
  if (task.spec.step.mpi == "pmix") step_fences_.ForgetStep(id, step);
  RecordStepIfEnded(id, step);  // before old steps may be forgotten below
  // A job may run thousands of steps (a loop of srun): keep the newest ended ones.
  std::vector<std::string>& names = job_steps_[id];
  if (names.size() <= 2 * kFinishedTasksKeptPerJob) return;
  size_t ended = 0;
  for (const std::string& name : names) ended += IsTerminal(tasks_.at(name).status.phase);
  size_t to_forget = ended > kFinishedTasksKeptPerJob ? ended - kFinishedTasksKeptPerJob : 0;
  std::vector<std::string> kept;
  for (std::string& name : names) {
    if (to_forget > 0 && IsTerminal(tasks_.at(name).status.phase) && !terminating_.count(name)) {
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

void ClusterState::StopStepsIn(const Task& part) {
  auto it = job_steps_.find(part.spec.job_id);
  if (it == job_steps_.end()) return;
  for (const std::string& name : it->second) {
    Task& t = tasks_.at(name);
    if (t.spec.index == part.spec.index && t.spec.attempt == part.spec.attempt) {
      KillTask(t, scheduler::PreemptMode::kOff, kCancelGraceMs);
    }
  }
}

void ClusterState::EndStoppedPlaceholders(int64_t now_ms) {
  std::vector<std::string> stopping;
  stopping.swap(placeholders_stopping_);
  for (const std::string& name : stopping) {
    auto it = tasks_.find(name);
    if (it == tasks_.end() || IsTerminal(it->second.status.phase)) continue;
    it->second.status.message = "the allocation ended";
    EndTask(it->second, TaskPhase::kCancelled, now_ms);
  }
}

}  // namespace drover::droverd
