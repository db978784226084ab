// A node whose task-log disk turns read-only or fills up (a small tmpfs
// mounted over STATE/logs): a task that would log there fails saying why,
// the node is drained with that reason and takes no more work, the agent
// lives on, and once the disk takes writes again the node gets work again.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/support/local_cluster.h"
#include "tests/support/scoped_tmpfs.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

Json NodeOf(const LocalCluster& cluster, const std::string& name) {
  auto n = cluster.Call("GET", "/api/v1/nodes/" + name);
  return n.ok() ? *n : Json::object();
}

// A one-task job that fails for good at its first failure.
Json OneShot(const std::string& name, const std::string& script) {
  Json job = ShellJob(name, script);
  job["spec"]["backoffLimit"] = 0;
  return job;
}

std::string LastTaskMessage(const LocalCluster& cluster, uint64_t id) {
  auto t = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  if (!t.ok() || (*t)["items"].empty()) return "";
  return (*t)["items"].back()["status"].value("message", "");
}

uint64_t IdOf(const Result<Json>& created) { return (*created)["metadata"]["id"]; }

TEST(LogDiskTest, AReadOnlyOrFullLogDiskFailsTasksClearlyDrainsTheNodeAndHealsWithIt) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  LocalClusterOptions options;
  options.nodes = 1;
  // Written to once an hour while well: what the test sees is the check
  // before each launch, and the one at every report while something is wrong.
  options.node_args = {"--log-disk-min-free", "2Mi", "--log-disk-check-ms", "3600000"};
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string node = cluster.node_name(0);
  ScopedTmpfs logs(cluster.dir() + "/" + node + "/logs", "8m");
  if (!logs.mounted()) GTEST_SKIP() << "this machine cannot mount a tmpfs";
  auto drained = [&](const std::string& says) {
    const Json n = NodeOf(cluster, node);
    const std::string reason = n["spec"].value("reason", "");
    return n["spec"].value("draining", false) && reason.find(says) != std::string::npos &&
           reason.find("task logs cannot be written") == 0;
  };
  auto schedulable = [&] {
    const Json n = NodeOf(cluster, node);
    return !n["spec"].value("unschedulable", false) && !n["spec"].value("draining", false);
  };

  auto before = cluster.Submit(OneShot("before", "echo hello"));
  ASSERT_TRUE(before.ok());
  auto ended = cluster.WaitForJob(IdOf(before), seconds(30));
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ((*ended)["status"]["phase"], "Succeeded") << ended->dump();

  // Read-only: the task fails saying so, and the node is drained.
  ASSERT_TRUE(logs.Remount("ro"));
  auto read_only = cluster.Submit(OneShot("read-only", "echo hello"));
  ASSERT_TRUE(read_only.ok());
  ended = cluster.WaitForJob(IdOf(read_only), seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ((*ended)["status"]["phase"], "Failed");
  const std::string why = LastTaskMessage(cluster, IdOf(read_only));
  EXPECT_NE(why.find("not started on node " + node), std::string::npos) << why;
  EXPECT_NE(why.find("is on a read-only file system"), std::string::npos) << why;
  ASSERT_TRUE(WaitFor([&] { return drained("read-only file system"); }, seconds(30)))
      << NodeOf(cluster, node).dump();
  auto waits = cluster.Submit(OneShot("waits", "echo hello"));
  ASSERT_TRUE(waits.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto j = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(IdOf(waits)));
        return j.ok() && (*j)["status"]["phase"] == "Pending" &&
               !(*j)["status"].value("reasons", Json::array()).empty();
      },
      seconds(30)))
      << "a drained node takes no work";
  EXPECT_EQ(kill(cluster.node_pid(0), 0), 0) << "the agent lives";
  EXPECT_EQ(NodeOf(cluster, node)["status"]["phase"], "Ready") << "and still reports";

  // Writable again: the node is undrained and the waiting job runs.
  ASSERT_TRUE(logs.Remount("rw"));
  ASSERT_TRUE(WaitFor(schedulable, seconds(30))) << NodeOf(cluster, node).dump();
  ended = cluster.WaitForJob(IdOf(waits), seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ((*ended)["status"]["phase"], "Succeeded") << ended->dump();

  // Full, or nearly: below --log-disk-min-free fails tasks the same way.
  ASSERT_TRUE(RunShell("dd if=/dev/zero of=" + logs.dir() + "/filler bs=1M count=7 2>/dev/null"));
  auto full = cluster.Submit(OneShot("full", "echo hello"));
  ASSERT_TRUE(full.ok());
  ended = cluster.WaitForJob(IdOf(full), seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ((*ended)["status"]["phase"], "Failed");
  const std::string full_why = LastTaskMessage(cluster, IdOf(full));
  EXPECT_NE(full_why.find("has less than 2 MiB free"), std::string::npos) << full_why;
  ASSERT_TRUE(WaitFor([&] { return drained("less than 2 MiB free"); }, seconds(30)));
  ASSERT_TRUE(RunShell("rm " + logs.dir() + "/filler"));
  ASSERT_TRUE(WaitFor(schedulable, seconds(30))) << NodeOf(cluster, node).dump();
  auto after = cluster.Submit(OneShot("after", "echo hello"));
  ASSERT_TRUE(after.ok());
  ended = cluster.WaitForJob(IdOf(after), seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ((*ended)["status"]["phase"], "Succeeded") << ended->dump();
}

}  // namespace
}  // namespace drover::testing
