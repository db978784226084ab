#include "executors/task_environment.h"

#include <string_view>
#include <unordered_map>

#include "executors/topology_discovery.h"
#include "executors/user_accounts.h"

namespace drover::executors {
namespace {

constexpr char kUserPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr char kRootPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Ordered KEY=VALUE list where a later Set of a key replaces its value in place.
class EnvList {
 public:
  void Set(std::string_view key, std::string_view value) {
    std::string entry;
    entry.reserve(key.size() + 1 + value.size());
    entry.append(key).append("=").append(value);
    auto [it, inserted] = index_.try_emplace(std::string(key), entries_.size());
    if (inserted) {
      entries_.push_back(std::move(entry));
    } else {
      entries_[it->second] = std::move(entry);
    }
  }
  std::vector<std::string> Take() { return std::move(entries_); }

 private:
  std::vector<std::string> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

std::vector<std::string> BuildTaskEnvironment(const TaskEnvironmentInput& in) {
  EnvList env;
  const std::string job_id = std::to_string(in.job_id);
  const std::string ntasks = std::to_string(in.ntasks);
  const std::string cpus = CpuListString(in.cpus);
  const std::string ncpus = std::to_string(in.cpus.size());

  env.Set("DROVER_JOB_ID", job_id);
  env.Set("DROVER_JOB_NAME", in.job_name);
  // Which task a process belongs to, for the node monitor's per-task usage.
  if (!in.task_name.empty()) env.Set("DROVER_TASK_NAME", in.task_name);
  if (in.task_index >= 0) env.Set("DROVER_TASK_INDEX", std::to_string(in.task_index));
  if (in.ordinal >= 0) env.Set("DROVER_ORDINAL", std::to_string(in.ordinal));
  env.Set("DROVER_NODELIST", in.nodelist);
  if (!in.node.empty()) env.Set("DROVER_NODENAME", in.node);
  env.Set("DROVER_NTASKS", ntasks);
  env.Set("DROVER_CPUS", cpus);
  if (in.port > 0) env.Set("DROVER_PORT", std::to_string(in.port));

  env.Set("SLURM_JOB_ID", job_id);
  if (in.task_index >= 0) {
    env.Set("SLURM_ARRAY_JOB_ID", job_id);
    env.Set("SLURM_ARRAY_TASK_ID", std::to_string(in.task_index));
  }
  env.Set("SLURM_PROCID", std::to_string(in.task_index >= 0 ? in.task_index : 0));
  env.Set("SLURM_NTASKS", ntasks);
  env.Set("SLURM_JOB_NODELIST", in.nodelist);
  if (!in.node.empty()) env.Set("SLURMD_NODENAME", in.node);
  env.Set("SLURM_JOB_NAME", in.job_name);
  env.Set("SLURM_CPUS_ON_NODE", ncpus);

  std::string home = "/", user = std::to_string(in.uid), shell = "/bin/sh";
  if (auto account = LookupUser(in.uid)) {
    home = account->home;
    shell = account->shell;
    if (!account->name.empty()) user = account->name;
  }
  env.Set("HOME", home);
  env.Set("USER", user);
  env.Set("LOGNAME", user);
  env.Set("PATH", in.uid == 0 ? kRootPath : kUserPath);
  env.Set("SHELL", shell);

  for (const auto& [key, value] : in.user_env) env.Set(key, value);
  return env.Take();
}

}  // namespace drover::executors
