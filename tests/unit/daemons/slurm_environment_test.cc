// The SLURM_* variables droverd adds to a batch task's launch.
#include "daemons/droverd/slurm_environment.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::droverd {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<EnvVar>& env) {
  return {env.begin(), env.end()};
}

TEST(SlurmEnvironmentTest, TheAllocationAndTheJobAreDescribedAsSlurmDoes) {
  Job job;
  job.owner = {"alice", 1000, 1000};
  job.spec.queue = "batch";
  job.spec.account = "physics";
  job.spec.qos = "high";
  job.spec.task.resources.cpus = 4;
  job.spec.task.resources.memory_bytes = 2LL << 30;
  Task task;
  task.spec.attempt = 2;
  auto env = AsMap(SlurmJobEnvironment(job, task, "node-1,node-2,node-3,gpu"));
  EXPECT_EQ(env["SLURM_JOB_NODELIST"], "gpu,node-[1-3]");
  EXPECT_EQ(env["SLURM_NODELIST"], "gpu,node-[1-3]");
  EXPECT_EQ(env["SLURM_JOB_NUM_NODES"], "4");
  EXPECT_EQ(env["SLURM_NNODES"], "4");
  EXPECT_EQ(env["SLURM_CPUS_PER_TASK"], "4");
  EXPECT_EQ(env["SLURM_MEM_PER_NODE"], "2048");
  EXPECT_EQ(env["SLURM_JOB_PARTITION"], "batch");
  EXPECT_EQ(env["SLURM_JOB_ACCOUNT"], "physics");
  EXPECT_EQ(env["SLURM_JOB_QOS"], "high");
  EXPECT_EQ(env["SLURM_JOB_USER"], "alice");
  EXPECT_EQ(env["SLURM_RESTART_COUNT"], "2");
  EXPECT_EQ(env.count("SLURM_ARRAY_TASK_MIN"), 0u) << "not an array";
}

TEST(SlurmEnvironmentTest, AnArraysBoundsStepAndCount) {
  struct Case {
    const char* indexes;  // "" = 0..completions-1
    int64_t completions;
    const char* min;
    const char* max;
    const char* step;
  };
  for (const Case& c : {Case{"", 100, "0", "99", "1"}, Case{"0,5,10,15,20", 5, "0", "20", "5"},
                        Case{"1,3,10", 3, "1", "10", "1"}, Case{"7", 1, "7", "7", "1"}}) {
    Job job;
    job.spec.completion_mode = CompletionMode::kIndexed;
    job.spec.completions = c.completions;
    if (*c.indexes != '\0') job.spec.indexes = *IndexSet::Parse(c.indexes);
    auto env = AsMap(SlurmJobEnvironment(job, Task{}, "n1"));
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MIN"], c.min) << c.indexes;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MAX"], c.max) << c.indexes;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_STEP"], c.step) << c.indexes;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_COUNT"], std::to_string(c.completions)) << c.indexes;
  }
}

}  // namespace
}  // namespace drover::droverd
