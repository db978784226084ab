#include "executors/task_environment.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::executors {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const std::string& kv : env) {
    size_t eq = kv.find('=');
    EXPECT_NE(eq, std::string::npos) << kv;
    EXPECT_TRUE(out.emplace(kv.substr(0, eq), kv.substr(eq + 1)).second) << "duplicate " << kv;
  }
  return out;
}

TaskEnvironmentInput Input() {
  TaskEnvironmentInput in;
  in.job_id = 42;
  in.job_name = "render";
  in.task_index = 7;
  in.ntasks = 64;
  in.nodelist = "n[1-4]";
  in.node = "n3";
  in.cpus = {8, 0, 1, 2, 3};
  in.port = 30123;
  in.uid = 0;
  return in;
}

TEST(TaskEnvironmentTest, HasDroverAndSlurmVariables) {
  auto env = AsMap(BuildTaskEnvironment(Input()));
  EXPECT_EQ(env["DROVER_JOB_ID"], "42");
  EXPECT_EQ(env["DROVER_JOB_NAME"], "render");
  EXPECT_EQ(env["DROVER_TASK_INDEX"], "7");
  EXPECT_EQ(env["DROVER_NODELIST"], "n[1-4]");
  EXPECT_EQ(env["DROVER_NTASKS"], "64");
  EXPECT_EQ(env["DROVER_CPUS"], "0-3,8");
  EXPECT_EQ(env["DROVER_PORT"], "30123");
  EXPECT_EQ(env["SLURM_JOB_ID"], "42");
  EXPECT_EQ(env["SLURM_ARRAY_JOB_ID"], "42");
  EXPECT_EQ(env["SLURM_ARRAY_TASK_ID"], "7");
  EXPECT_EQ(env["SLURM_PROCID"], "7");
  EXPECT_EQ(env["SLURM_NTASKS"], "64");
  EXPECT_EQ(env["SLURM_JOB_NODELIST"], "n[1-4]");
  EXPECT_EQ(env["DROVER_NODENAME"], "n3");
  EXPECT_EQ(env["SLURMD_NODENAME"], "n3");
  EXPECT_EQ(env["SLURM_JOB_NAME"], "render");
  EXPECT_EQ(env["SLURM_CPUS_ON_NODE"], "5");
  EXPECT_EQ(env.count("DROVER_ORDINAL"), 0u);
}

TEST(TaskEnvironmentTest, OptionalVariablesOnlyWhenGiven) {
  TaskEnvironmentInput in = Input();
  in.task_index = -1;
  in.port = 0;
  in.ordinal = 2;
  auto env = AsMap(BuildTaskEnvironment(in));
  EXPECT_EQ(env.count("DROVER_TASK_INDEX"), 0u);
  EXPECT_EQ(env.count("SLURM_ARRAY_TASK_ID"), 0u);
  EXPECT_EQ(env.count("DROVER_PORT"), 0u);
  EXPECT_EQ(env["DROVER_ORDINAL"], "2");
  EXPECT_EQ(env["SLURM_PROCID"], "0");
}

TEST(TaskEnvironmentTest, UserBasicsComeFromThePasswordDatabase) {
  auto root = AsMap(BuildTaskEnvironment(Input()));
  EXPECT_EQ(root["USER"], "root");
  EXPECT_EQ(root["LOGNAME"], "root");
  EXPECT_EQ(root["HOME"], "/root");
  EXPECT_NE(root["PATH"].find("/usr/sbin"), std::string::npos);
  EXPECT_FALSE(root["SHELL"].empty());

  TaskEnvironmentInput in = Input();
  in.uid = 65534;
  auto nobody = AsMap(BuildTaskEnvironment(in));
  EXPECT_EQ(nobody["USER"], "nobody");
  EXPECT_EQ(nobody["HOME"], "/nonexistent");
  EXPECT_EQ(nobody["PATH"], "/usr/local/bin:/usr/bin:/bin");

  in.uid = 4000000;  // no such user
  auto unknown = AsMap(BuildTaskEnvironment(in));
  EXPECT_EQ(unknown["USER"], "4000000");
  EXPECT_EQ(unknown["HOME"], "/");
}

TEST(TaskEnvironmentTest, JobEntriesWinAndAppearOnce) {
  TaskEnvironmentInput in = Input();
  in.user_env = {{"PATH", "/opt/bin"}, {"FOO", "1"}, {"DROVER_JOB_NAME", "mine"}, {"FOO", "2"}};
  std::vector<std::string> list = BuildTaskEnvironment(in);
  auto env = AsMap(list);  // also checks each key appears once
  EXPECT_EQ(env["PATH"], "/opt/bin");
  EXPECT_EQ(env["FOO"], "2");
  EXPECT_EQ(env["DROVER_JOB_NAME"], "mine");
  EXPECT_EQ(list.front(), "DROVER_JOB_ID=42");
  EXPECT_EQ(list.back(), "FOO=2");
}

}  // namespace
}  // namespace drover::executors
