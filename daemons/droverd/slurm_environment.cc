#include "daemons/droverd/slurm_environment.h"

#include "api/hostlist.h"
#include "scheduler/step_placement.h"

namespace drover::droverd {
namespace {

// An array's step, as Slurm reports it: the common gap when the indexes are
// evenly spaced, else 1. Large irregular sets are not walked.
int64_t ArrayStep(const IndexSet& indexes) {
  const int64_t count = indexes.Count();
  const int64_t first = *indexes.First();
  const int64_t last = *indexes.Last();
  if (count < 2 || last - first + 1 == count) return 1;
  if ((last - first) % (count - 1) != 0 || count > 100'000) return 1;
  const int64_t step = (last - first) / (count - 1);
  for (int64_t i = first; i <= last; i += step) {
    if (!indexes.Contains(i)) return 1;
  }
  return step;
}

}  // namespace

std::vector<EnvVar> SlurmJobEnvironment(const Job& job, const Task& task,
                                        const std::string& nodelist) {
  std::vector<EnvVar> env;
  std::vector<std::string> nodes;
  for (size_t at = 0; at <= nodelist.size();) {
    size_t comma = nodelist.find(',', at);
    if (comma == std::string::npos) comma = nodelist.size();
    if (comma > at) nodes.push_back(nodelist.substr(at, comma - at));
    at = comma + 1;
  }
  const JobSpec& s = job.spec;
  const std::string hostlist = CompressHostlist(nodes);
  const std::string nnodes = std::to_string(std::max<size_t>(1, nodes.size()));
  // The older spelling, which OpenMPI (ras/plm slurm) still looks for.
  env.emplace_back("SLURM_JOBID", std::to_string(job.id));
  env.emplace_back("SLURM_JOB_NODELIST", hostlist);
  env.emplace_back("SLURM_NODELIST", hostlist);
  env.emplace_back("SLURM_JOB_NUM_NODES", nnodes);
  env.emplace_back("SLURM_NNODES", nnodes);
  env.emplace_back("SLURM_CPUS_PER_TASK", std::to_string(s.task.resources.cpus));
  if (s.task.resources.memory_bytes > 0) {
    env.emplace_back("SLURM_MEM_PER_NODE", std::to_string(s.task.resources.memory_bytes >> 20));
  }
  if (s.ntasks_per_node > 0) {
    env.emplace_back("SLURM_NTASKS_PER_NODE", std::to_string(s.ntasks_per_node));
  }
  env.emplace_back("SLURM_JOB_PARTITION", s.queue);
  if (!s.account.empty()) env.emplace_back("SLURM_JOB_ACCOUNT", s.account);
  if (!s.qos.empty()) env.emplace_back("SLURM_JOB_QOS", s.qos);
  env.emplace_back("SLURM_JOB_USER", job.owner.user);
  env.emplace_back("SLURM_JOB_UID", std::to_string(job.owner.uid));
  env.emplace_back("SLURM_JOB_GID", std::to_string(job.owner.gid));
  env.emplace_back("SLURM_CLUSTER_NAME", "drover");
  env.emplace_back("SLURM_RESTART_COUNT", std::to_string(task.spec.attempt));
  if (s.completion_mode == CompletionMode::kIndexed) {
    IndexSet indexes = s.indexes;
    if (indexes.empty()) indexes.InsertRange(0, s.completions - 1);
    env.emplace_back("SLURM_ARRAY_TASK_MIN", std::to_string(*indexes.First()));
    env.emplace_back("SLURM_ARRAY_TASK_MAX", std::to_string(*indexes.Last()));
    env.emplace_back("SLURM_ARRAY_TASK_STEP", std::to_string(ArrayStep(indexes)));
    env.emplace_back("SLURM_ARRAY_TASK_COUNT", std::to_string(indexes.Count()));
  }
  return env;
}

std::vector<EnvVar> SlurmAllocationEnvironment(int32_t ntasks, const std::vector<int32_t>& slots,
                                               const std::vector<int32_t>& cores) {
  const std::string n = std::to_string(ntasks);
  return {{"SLURM_NTASKS", n},
          {"SLURM_NPROCS", n},
          {"SLURM_TASKS_PER_NODE", scheduler::SlurmCountList(slots)},
          {"SLURM_JOB_CPUS_PER_NODE", scheduler::SlurmCountList(cores)},
          {"SLURM_PROCID", "0"},
          {"SLURM_NODEID", "0"},
          {"SLURM_LOCALID", "0"}};
}

std::vector<EnvVar> SlurmStepEnvironment(const StepSpec& step) {
  const std::string id = std::to_string(step.id);
  const std::string ntasks = std::to_string(step.ntasks);
  auto nodes = ExpandHostlist(step.nodelist);
  const std::string nnodes = std::to_string(nodes.ok() ? nodes->size() : 1);
  return {{"SLURM_STEP_ID", id},
          {"SLURM_STEPID", id},
          {"SLURM_PROCID", std::to_string(step.rank)},
          {"SLURM_LOCALID", std::to_string(step.local_id)},
          {"SLURM_NODEID", std::to_string(step.node_id)},
          {"SLURM_NTASKS", ntasks},
          {"SLURM_NPROCS", ntasks},
          {"SLURM_STEP_NUM_TASKS", ntasks},
          {"SLURM_STEP_NUM_NODES", nnodes},
          {"SLURM_NNODES", nnodes},
          {"SLURM_STEP_NODELIST", step.nodelist},
          {"SLURM_NODELIST", step.nodelist},
          {"SLURM_STEP_TASKS_PER_NODE", step.tasks_per_node},
          {"SLURM_TASKS_PER_NODE", step.tasks_per_node},
          {"SLURM_MPI_TYPE", step.mpi}};
}

}  // namespace drover::droverd
