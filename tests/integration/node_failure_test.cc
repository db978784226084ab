// Nodes die or are cut off; the work moves and nothing runs twice
// (docs/architecture.md, "Failure handling"): a node's death is not its tasks'
// fault, and a node that comes back after it was declared lost has the
// copies droverd gave up on killed before it takes new work.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

LocalClusterOptions FastFailureDetection(int cores) {
  LocalClusterOptions options;
  options.nodes = 2;
  options.node_topology = "synthetic:package:1 core:" + std::to_string(cores) + " pu:1";
  options.heartbeat_timeout_ms = 2'000;
  options.node_heartbeat_ms = 300;
  return options;
}

Json TasksOf(const LocalCluster& cluster, uint64_t id) {
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  return tasks.ok() ? (*tasks)["items"] : Json::array();
}

TEST(NodeFailureTest, ARenderJobThatLosesANodeMidRunSucceedsWithTheDefaultBackoffLimit) {
  // 8 frames run on each node; losing one node loses 8 > backoffLimit (6).
  LocalCluster cluster(FastFailureDetection(8));
  ASSERT_TRUE(cluster.Start().ok());
  const std::string marks = cluster.dir() + "/marks";
  std::filesystem::create_directories(marks);
  // First attempts on node-1 wait to be killed with their node; the rest finish.
  Json job = ShellJob("render",
                      "touch " + marks +
                          "/$DROVER_TASK_INDEX.$DROVER_NODENAME; "
                          "if [ $DROVER_NODENAME = node-1 ] && [ ! -e " +
                          marks + "/node-1-dead ]; then sleep 1000; fi; sleep 0.2",
                      16, 16);
  auto submitted = cluster.Submit(job);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  const uint64_t id = (*submitted)["metadata"]["id"];
  ASSERT_TRUE(WaitFor(
      [&] {
        int on_node_1 = 0;
        for (const auto& e : std::filesystem::directory_iterator(marks)) {
          on_node_1 += e.path().extension() == ".node-1";
        }
        return on_node_1 == 8;
      },
      seconds(30)))
      << "8 frames never started on node-1";
  std::ofstream(marks + "/node-1-dead") << "";
  cluster.KillNode(0);
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << done->dump();
  EXPECT_EQ((*done)["status"]["failed"], 0) << "a node's death is not its tasks' failure";
  int lost = 0;
  for (const Json& t : TasksOf(cluster, id)) lost += t["status"]["phase"] == "Lost";
  EXPECT_GE(lost, 8);  // more if a busy machine also made node-2 miss heartbeats
}

TEST(NodeFailureTest, ANodeBackFromBeingDeclaredLostRunsNothingTwice) {
  LocalCluster cluster(FastFailureDetection(4));
  ASSERT_TRUE(cluster.Start().ok());
  const std::string runs = cluster.dir() + "/runs";
  std::filesystem::create_directories(runs);
  // Each run leaves "started" at once and "ended" after 6 s, named by index,
  // node and pid: a copy that is killed never writes "ended".
  Json job = ShellJob("frames",
                      "f=" + runs +
                          "/$DROVER_TASK_INDEX.$DROVER_NODENAME.$$; touch $f.started; "
                          "sleep 6; touch $f.ended",
                      2, 2);
  auto submitted = cluster.Submit(job);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  const uint64_t id = (*submitted)["metadata"]["id"];
  auto count = [&](const std::string& node, const std::string& what) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(runs)) {
      const std::string name = e.path().filename().string();
      n += name.find("." + node + ".") != std::string::npos && name.size() > what.size() &&
           name.compare(name.size() - what.size(), what.size(), what) == 0;
    }
    return n;
  };
  ASSERT_TRUE(WaitFor(
      [&] { return count("node-1", ".started") + count("node-2", ".started") == 2; }, seconds(30)));
  const int cut_off = count("node-1", ".started") > 0 ? 0 : 1;
  const std::string cut_name = cluster.node_name(cut_off);
  const std::string other_name = cluster.node_name(1 - cut_off);
  const int copies = count(cut_name, ".started");
  // The node is cut off: droverd declares it lost and runs its frames on the
  // other node, while the originals go on running under its supervisor.
  cluster.PauseNodeAgent(cut_off);
  ASSERT_TRUE(WaitFor(
      [&] {
        int replacements = 0;
        for (const Json& t : TasksOf(cluster, id)) {
          replacements += t["spec"]["node"] == other_name && t["spec"]["attempt"] == 1 &&
                          t["status"]["phase"] == "Running";
        }
        return replacements == copies;
      },
      seconds(30)))
      << TasksOf(cluster, id).dump();
  // It comes back: the copies are killed, not finished beside their replacements.
  cluster.ResumeNodeAgent(cut_off);
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  // The copies started before their replacements: had they not been killed,
  // they would have ended before the job did.
  EXPECT_EQ(count(cut_name, ".ended"), 0) << "a copy droverd gave up on ran to its end";
  EXPECT_EQ(count(cut_name, ".ended") + count(other_name, ".ended"), 2);
  auto metrics = cluster.Call("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  const std::string text = metrics->get<std::string>();
  const size_t at = text.find("\ndrover_tasks_fenced_total ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(text.substr(at + 27)), copies);
}

}  // namespace
}  // namespace drover::testing
