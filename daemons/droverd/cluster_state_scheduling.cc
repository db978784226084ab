// ClusterState's side of scheduling: the scheduler's input (nodes, running
// tasks, pending jobs and replicas), job priorities, and applying a decision
// (tasks created from placements, launches, preemptions, pending reasons).
#include <algorithm>
#include <limits>
#include <map>

#include "controllers/job_controller.h"
#include "controllers/job_dependencies.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/slurm_environment.h"

namespace drover::droverd {

void ClusterState::BuildSchedulerInput(int64_t now_ms, scheduler::ClusterSnapshot* cluster,
                                       std::vector<scheduler::PendingJob>* pending) const {
  for (const auto& [name, node] : nodes_) cluster->nodes.push_back(NodeSnapshotOf(name, node));
  // Only the active tasks: finished ones accumulate and must not slow a pass.
  for (const auto& [node_name, node] : nodes_) AddRunningOn(node_name, now_ms, cluster);
  for (uint64_t id : unfinished_jobs_) {
    const Job& job = jobs_.at(id);
    int64_t wanted = controllers::TasksWanted(job, ClaimableIndexes(id));
    if (wanted <= 0) continue;
    // A gang starts all of its tasks together, once; retries of a gang's
    // failed members are placed on their own.
    bool gang = job.spec.gang && job.status.active == 0 && job.status.next_index == 0;
    if (IsAllocation(job.spec) && job.spec.allocation.tasks > 1) {
      // An allocation of several slots is a gang of them, one at a time.
      gang = true;
      wanted = job.spec.allocation.tasks;
    }
    pending->push_back(PendingJobFor(job, wanted, gang, EffectivePriority(job, now_ms), now_ms));
  }
  AddReplicaDemand(pending);
  AddOrdinalDemand(pending);
  AddDaemonDemand(pending, false);
}

scheduler::NodeSnapshot ClusterState::NodeSnapshotOf(const std::string& name,
                                                     const Node& node) const {
  scheduler::NodeSnapshot snap;
  snap.name = name;
  snap.topology = node.status.topology;
  const auto& alloc = allocations_.at(name);
  snap.core_busy = alloc.core_busy;
  snap.memory_free_bytes = node.status.topology.memory_bytes - alloc.memory_used;
  snap.schedulable = node.status.phase == NodePhase::kReady && !node.spec.unschedulable;
  snap.labels = node.metadata.labels;
  return snap;
}

void ClusterState::AddRunningOn(const std::string& node_name, int64_t now_ms,
                                scheduler::ClusterSnapshot* cluster) const {
  {
    for (const std::string& name : allocations_.at(node_name).tasks) {
      const Task& task = tasks_.at(name);
      if (IsStepTask(task.spec)) continue;  // on its allocation's cores
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
      if (IsService(task)) {
        // A service never ends as far as the plan knows, and batch work
        // does not preempt it.
        // Only replicas of the revision being placed count against its
        // per-node cap (AddReplicaDemand); older ones, and daemon tasks
        // (one per node by their controller), get an id no pending work has.
        r.job_id = IsReplica(task) && task.spec.revision == RolloutRevision(task.spec.owner.name)
                       ? deployments_.WorkIdOf(task.spec.owner.name)
                       : kFirstServiceWorkId - 1;
        if (IsOrdinal(task)) {  // counted against its set's spread cap
          auto id = ordinal_work_ids_.find({task.spec.owner.name, -1});
          if (id != ordinal_work_ids_.end()) r.job_id = id->second;
        }
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
}

scheduler::PendingJob ClusterState::PendingJobFor(const Job& job, int64_t tasks_wanted, bool gang,
                                                  int32_t priority, int64_t now_ms) const {
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
  p.allowed_nodes = job.spec.node_list;
  p.excluded_nodes = job.spec.exclude_nodes;
  p.node_selector = job.spec.node_selector;
  std::sort(p.allowed_nodes.begin(), p.allowed_nodes.end());
  std::sort(p.excluded_nodes.begin(), p.excluded_nodes.end());
  p.held = job.spec.hold;
  p.begin_time_ms = job.spec.begin_time_ms;
  if (!job.spec.dependencies.empty()) {
    auto verdict = controllers::EvaluateDependencies(
        job, [this](uint64_t id) -> const Job* { return DependencyTarget(id); }, SingletonFree(job),
        now_ms);
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
  in.cores = static_cast<int64_t>(job.spec.task.resources.cpus) *
             (IsAllocation(job.spec) ? job.spec.allocation.tasks : job.spec.parallelism);
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
      EnqueueJob(job.id);  // its controller stops its tasks
    }
    return;
  }
  KillTask(task->second, victim.mode, kCancelGraceMs);
}

Json ClusterState::TaskLaunch(const Task& task, const TaskTemplate& t, const Owner& owner) {
  std::vector<std::string> argv = t.command;
  argv.insert(argv.end(), t.args.begin(), t.args.end());
  Json env = Json::array();
  for (const auto& [k, v] : t.env) env.push_back({k, v});
  Json launch = {{"task", task.metadata.name},
                 {"cores", task.spec.cores},
                 {"cpus", task.spec.cpus},
                 {"memory", task.spec.memory_bytes},
                 {"argv", std::move(argv)},
                 {"env", std::move(env)},
                 {"workingDir", t.working_dir},
                 {"user", owner.user},
                 {"uid", owner.uid},
                 {"gid", owner.gid},
                 {"stdout", t.stdout_path},
                 {"stderr", t.stderr_path},
                 {"timeLimit", t.time_limit_s}};
  if (!task.spec.numa_memory_bytes.empty()) launch["numaMemory"] = task.spec.numa_memory_bytes;
  if (t.warning_signal != 0) {
    launch["warningSignal"] = {{"signal", t.warning_signal},
                               {"secondsBefore", t.warning_seconds},
                               {"shellOnly", t.warning_shell_only}};
  }
  return launch;
}

Json ClusterState::LaunchInstruction(const Task& task, const Job& job,
                                     const std::string& nodelist) const {
  Json launch = TaskLaunch(task, job.spec.task, job.owner);
  launch["jobId"] = job.id;
  launch["jobName"] = job.metadata.name;
  launch["index"] = task.spec.index;
  launch["attempt"] = task.spec.attempt;
  launch["ntasks"] = job.spec.completion_mode == CompletionMode::kIndexed ? job.spec.completions
                                                                          : job.spec.parallelism;
  launch["nodelist"] = nodelist;
  for (auto& [key, value] : SlurmJobEnvironment(job, task, nodelist)) {
    launch["env"].push_back({std::move(key), std::move(value)});
  }
  // Which worker of a work queue it is (0..parallelism-1; a replacement
  // takes the number of the one it replaces).
  if (job.spec.work_queue)
    launch["env"].push_back({"DROVER_WORKER", std::to_string(task.spec.index)});
  return launch;
}

Json ClusterState::LaunchOf(const Task& task, const std::string& nodelist) const {
  if (IsService(task)) return ServiceLaunch(task);
  if (IsStepTask(task.spec)) return StepLaunch(task);
  const Job& job = jobs_.at(task.spec.job_id);
  if (IsAllocation(job.spec)) return AllocationLaunch(task);
  return LaunchInstruction(task, job, nodelist);
}

int64_t ClusterState::ApplyDecision(const scheduler::Decision& decision, int64_t now_ms) {
  // The node list of each job placed in this pass (a gang spans nodes).
  std::unordered_map<uint64_t, std::vector<std::string>> job_nodes;
  for (const auto& p : decision.placements) {
    auto& v = job_nodes[p.job_id];
    if (std::find(v.begin(), v.end(), p.node) == v.end()) v.push_back(p.node);
  }
  int64_t created = 0;
  // An allocation's placements of one pass are one allocation (a gang of
  // slots), or each its own when it has a single slot.
  std::map<uint64_t, std::vector<const scheduler::TaskPlacement*>> allocations;
  for (const auto& p : decision.placements) {
    if (IsDaemonWorkId(p.job_id)) {
      CreateDaemonTask(p, now_ms);
      ++created;
      continue;
    }
    if (IsOrdinalWorkId(p.job_id)) {
      CreateOrdinalTask(p, now_ms);
      ++created;
      continue;
    }
    if (IsServiceWorkId(p.job_id)) {
      if (const std::string* d = deployments_.OwnerOfWork(p.job_id)) {
        CreateReplica(p, *d, now_ms);
        ++created;
      }
      continue;
    }
    auto jit = jobs_.find(p.job_id);
    if (jit == jobs_.end() ||
        controllers::TasksWanted(jit->second, ClaimableIndexes(p.job_id)) <= 0) {
      continue;
    }
    Job& job = jit->second;
    if (IsAllocation(job.spec)) {
      if (job.spec.allocation.tasks > 1) {
        allocations[job.id].push_back(&p);
      } else {
        CreateAllocation(job, {&p}, now_ms);
        ++created;
      }
      continue;
    }
    int64_t first_fresh = job.status.next_index;
    int64_t index = controllers::ClaimNextIndex(job, ClaimableIndexes(job.id));
    int32_t attempt = 0;
    if (index < first_fresh) {  // a retry
      auto a = next_attempt_.find({job.id, index});
      if (a != next_attempt_.end()) attempt = a->second;
    }
    auto& names = job_tasks_[job.id];
    Task task;
    task.metadata.name = TaskName(job.id, index, attempt);
    task.metadata.uid = RandomUuid();
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
    EnqueueJob(job.id);  // its controller recounts it with the new task
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
  for (const auto& [id, placements] : allocations) {
    CreateAllocation(jobs_.at(id), placements, now_ms);
    created += static_cast<int64_t>(placements.size());
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

}  // namespace drover::droverd
