// Preemption on a real cluster: a high-priority job takes the cores of a
// scavenger job; the scavenger's tasks are killed, requeued, and finish later
// without a failure counted against them.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/support/local_cluster.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

TEST(PreemptionTest, HighPriorityJobRequeuesScavengerTasks) {
  LocalClusterOptions options;
  options.nodes = 1;
  options.node_topology = "synthetic:package:1 core:2 pu:1";
  options.config = "scheduler:\n  queues:\n    - {name: scavenger, preempt: requeue}\n";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  std::string marks = cluster.dir() + "/marks";
  std::filesystem::create_directories(marks);
  // Scavenger tasks wait until the urgent job has run, then finish.
  Json scavenger = ShellJob("scavenger",
                            "touch " + marks + "/s$DROVER_TASK_INDEX-$$; while [ ! -e " + marks +
                                "/urgent ]; do sleep 0.05; done",
                            2, 2);
  scavenger["spec"]["queue"] = "scavenger";
  auto low = cluster.Submit(scavenger);
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  uint64_t low_id = (*low)["metadata"]["id"];
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::distance(std::filesystem::directory_iterator(marks),
                       std::filesystem::directory_iterator()) < 2) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Json urgent_job = ShellJob("urgent", "touch " + marks + "/urgent", 2, 2);
  urgent_job["spec"]["priority"] = 100;
  auto urgent = cluster.Submit(urgent_job);
  ASSERT_TRUE(urgent.ok());
  auto done = cluster.WaitForJob((*urgent)["metadata"]["id"], seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  auto low_done = cluster.WaitForJob(low_id, seconds(60));
  ASSERT_TRUE(low_done.ok()) << low_done.status().ToString();
  EXPECT_EQ((*low_done)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*low_done)["status"]["failed"], 0);
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(low_id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  int preempted = 0;
  for (const auto& t : (*tasks)["items"]) {
    preempted += t["status"]["phase"] == "Cancelled" &&
                 t["status"].value("message", "").find("preempted") != std::string::npos;
  }
  EXPECT_EQ(preempted, 2) << tasks->dump();
  EXPECT_EQ((*tasks)["items"].size(), 4u) << "each index ran twice";
}

}  // namespace
}  // namespace drover::testing
