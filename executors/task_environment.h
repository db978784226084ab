// BuildTaskEnvironment: the environment a task sees (DESIGN.md, "Task
// environment"): Drover's variables, their Slurm equivalents so existing
// scripts run unchanged, the login basics of the task's user, and last the
// job's own entries, which win over everything before them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace drover::executors {

struct TaskEnvironmentInput {
  uint64_t job_id = 0;
  std::string job_name;
  std::string task_name;      // the task's own name (DROVER_TASK_NAME)
  int64_t task_index = -1;    // indexed jobs and arrays; -1 = not indexed
  int64_t ordinal = -1;       // StatefulSet replica ordinal; -1 = none
  int64_t ntasks = 1;         // tasks of the job (a gang's size, an array's width)
  std::string nodelist;       // nodes of the job, e.g. "n[1-4]" or "n1,n2"
  std::string node;           // the node this task runs on
  std::vector<int32_t> cpus;  // the cpus the task is bound to (OS indexes)
  int32_t port = 0;           // port allocated to the task; 0 = none
  uint32_t uid = 0;           // the task's user: HOME, USER, LOGNAME, SHELL
  std::vector<std::pair<std::string, std::string>> user_env;  // in order; later wins
};

// Returns "KEY=VALUE" entries, each key once, in a fixed order: DROVER_*,
// SLURM_*, HOME/USER/LOGNAME/PATH/SHELL, then the job's own keys in first-seen
// order (a job key that shadows an earlier one replaces it in place).
// Unknown uid: HOME=/, USER=LOGNAME=the uid number, SHELL=/bin/sh.
// Thread-safe (LookupUser).
std::vector<std::string> BuildTaskEnvironment(const TaskEnvironmentInput& in);

}  // namespace drover::executors
