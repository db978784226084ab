// droverd's built-in daemons on real processes: the log shipper keeps a
// task's log readable through droverd after its node is killed, and neither
// loses nor repeats a line when it is killed or restarted mid-stream; the
// node monitor serves a task's CPU usage, and its health check drains the
// node while it fails and undrains it once it passes.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The pids of this cluster's processes whose task name starts with `prefix`
// (their environment says so, and that they work for a node of `dir`).
std::vector<pid_t> TaskPids(const std::string& dir, const std::string& prefix) {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  while (struct dirent* e = d == nullptr ? nullptr : readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::string env = ReadFile(std::string("/proc/") + e->d_name + "/environ");
    if (env.find("DROVER_TASK_NAME=" + prefix) != std::string::npos &&
        env.find("DROVER_NODE_STATE_DIR=" + dir + "/") != std::string::npos) {
      pids.push_back(std::atoi(e->d_name));
    }
  }
  if (d != nullptr) closedir(d);
  return pids;
}

Json TaskOf(const LocalCluster& cluster, uint64_t job) {
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(job) + "/tasks");
  if (!tasks.ok() || (*tasks)["items"].empty()) return Json();
  return (*tasks)["items"][0];
}

int IndexOfNode(const LocalCluster& cluster, const std::string& node) {
  for (int i = 0; i < 3; ++i) {
    if (cluster.node_name(i) == node) return i;
  }
  return -1;
}

LocalClusterOptions WithBuiltins(int nodes, std::string config = "") {
  LocalClusterOptions o;
  o.nodes = nodes;
  o.builtin_daemons = true;
  o.heartbeat_timeout_ms = 3'000;
  o.node_heartbeat_ms = 500;
  o.config = std::move(config);
  return o;
}

bool DaemonsRunning(const LocalCluster& cluster, const std::string& ds, int want) {
  auto got = cluster.Call("GET", "/api/v1/daemonsets/" + ds);
  return got.ok() && (*got)["status"].value("numberReady", 0) == want;
}

TEST(BuiltinDaemonsTest, ALogStaysReadableThroughDroverdAfterItsNodeIsKilled) {
  LocalCluster cluster(WithBuiltins(2));
  ASSERT_TRUE(cluster.Start().ok());
  ASSERT_TRUE(
      WaitFor([&] { return DaemonsRunning(cluster, "drover-log-shipper", 2); }, seconds(30)));
  auto job = cluster.Submit(
      Json{{"metadata", {{"name", "frames"}}},
           {"spec",
            {{"template",
              {{"command",
                {"/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do echo frame-$i; i=$((i+1)); done"}},
               {"workingDir", "/tmp"}}}}}});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(cluster.WaitForJob(id, seconds(30)).ok());
  std::string expected;
  for (int i = 0; i < 500; ++i) expected += "frame-" + std::to_string(i) + "\n";
  const Json task = TaskOf(cluster, id);
  const std::string stored =
      cluster.dir() + "/task-logs/" + task["metadata"]["name"].get<std::string>() + ".out";
  ASSERT_TRUE(WaitFor([&] { return ReadFile(stored) == expected; }, seconds(30)))
      << "shipped: " << ReadFile(stored).size() << " bytes";

  cluster.KillNode(IndexOfNode(cluster, task["spec"]["node"]));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = cluster.Call("GET", "/api/v1/nodes/" + task["spec"]["node"].get<std::string>());
        return n.ok() && (*n)["status"]["phase"] == "NotReady";
      },
      seconds(30)));
  auto r = cluster.Client().Send("GET", "/api/v1/jobs/" + std::to_string(id) + "/logs");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, expected);
  // Paged from an offset, as `drover logs -f` reads.
  r = cluster.Client().Send("GET", "/api/v1/jobs/" + std::to_string(id) +
                                       "/logs?offset=" + std::to_string(expected.size() - 10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, expected.substr(expected.size() - 10));
}

TEST(BuiltinDaemonsTest, AShipperKilledOrRestartedMidStreamNeitherLosesNorRepeatsALine) {
  LocalCluster cluster(WithBuiltins(1));
  ASSERT_TRUE(cluster.Start().ok());
  ASSERT_TRUE(
      WaitFor([&] { return DaemonsRunning(cluster, "drover-log-shipper", 1); }, seconds(30)));
  // 20,000 numbered lines over about 20 s, in bursts of 100.
  constexpr int kLines = 20'000;
  auto job = cluster.Submit(
      Json{{"metadata", {{"name", "stream"}}},
           {"spec",
            {{"template",
              {{"command",
                {"/bin/sh", "-c",
                 "i=0; while [ $i -lt " + std::to_string(kLines) +
                     " ]; do echo line-$i; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.1; done; "
                     "true"}},
               {"workingDir", "/tmp"}}}}}});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(
      WaitFor([&] { return TaskOf(cluster, id)["status"]["phase"] == "Running"; }, seconds(30)));
  const std::string task = TaskOf(cluster, id)["metadata"]["name"];
  const std::string stored = cluster.dir() + "/task-logs/" + task + ".out";
  auto stored_lines = [&] {
    const std::string s = ReadFile(stored);
    return std::count(s.begin(), s.end(), '\n');
  };
  // Killed mid-stream (kill -9: no chance to save anything more).
  ASSERT_TRUE(WaitFor([&] { return stored_lines() > 1000; }, seconds(30)));
  auto shippers = TaskPids(cluster.dir(), "drover-log-shipper");
  ASSERT_EQ(shippers.size(), 1u);
  ASSERT_EQ(kill(shippers[0], SIGKILL), 0);
  // Its replacement (after the crash back-off) goes on; then a rolling
  // restart (SIGTERM) while the task still writes.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto now = TaskPids(cluster.dir(), "drover-log-shipper");
        return now.size() == 1 && now[0] != shippers[0];
      },
      seconds(40)));
  const int64_t before_restart = stored_lines();
  ASSERT_TRUE(cluster.Call("POST", "/api/v1/daemonsets/drover-log-shipper/restart").ok());
  ASSERT_TRUE(cluster.WaitForJob(id, seconds(90)).ok());
  std::string expected;
  for (int i = 0; i < kLines; ++i) expected += "line-" + std::to_string(i) + "\n";
  ASSERT_TRUE(WaitFor([&] { return ReadFile(stored).size() >= expected.size(); }, seconds(40)));
  const std::string got = ReadFile(stored);
  EXPECT_LT(before_restart, kLines) << "the restart came while the task still wrote";
  if (got != expected) {
    // Name the first line that differs.
    std::istringstream g(got);
    std::string line;
    int n = 0;
    while (std::getline(g, line) && line == "line-" + std::to_string(n)) ++n;
    FAIL() << "the stored log departs at line " << n << " (\"" << line << "\"), " << got.size()
           << " bytes against " << expected.size();
  }
}

TEST(BuiltinDaemonsTest, TheNodeMonitorServesATasksCpuAndItsHealthCheckDrainsAndUndrains) {
  char tmpl[] = "/tmp/drover-health-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string check = dir + "/check.sh";
  std::ofstream(check) << "#!/bin/sh\nif [ -e " << dir
                       << "/sick ]; then echo 'scratch disk missing'; exit 1; fi\necho ok\n";
  std::filesystem::permissions(
      check, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                 std::filesystem::perms::others_read | std::filesystem::perms::others_exec |
                 std::filesystem::perms::group_exec);
  LocalCluster cluster(
      WithBuiltins(1, "builtinDaemons:\n  healthCheck: " + check + "\n  healthCheckInterval: 1\n"));
  ASSERT_TRUE(cluster.Start().ok());
  ASSERT_TRUE(
      WaitFor([&] { return DaemonsRunning(cluster, "drover-node-monitor", 1); }, seconds(30)));
  auto job = cluster.Submit(
      Json{{"metadata", {{"name", "burn"}}},
           {"spec",
            {{"template",
              {{"command", {"/bin/sh", "-c", "while :; do :; done"}}, {"workingDir", "/tmp"}}}}}});
  ASSERT_TRUE(job.ok());
  const uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(
      WaitFor([&] { return TaskOf(cluster, id)["status"]["phase"] == "Running"; }, seconds(30)));
  const std::string task = TaskOf(cluster, id)["metadata"]["name"];
  auto monitors = cluster.Call("GET", "/api/v1/daemonsets/drover-node-monitor/tasks");
  ASSERT_TRUE(monitors.ok());
  int port = 0;
  for (const Json& t : (*monitors)["items"]) {
    if (t["status"]["phase"] == "Running") port = t["spec"]["ports"][0]["port"];
  }
  ASSERT_GT(port, 0);
  HttpClient scrape("http://127.0.0.1:" + std::to_string(port));
  const std::regex cpu("drover_task_cpu_seconds_total\\{node=\"node-1\",task=\"" + task +
                       "\"\\} ([0-9.e+]+)");
  double seconds_used = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto page = scrape.Send("GET", "/metrics");
        std::smatch m;
        if (!page.ok() || !std::regex_search(page->body, m, cpu)) return false;
        seconds_used = std::stod(m[1]);
        return seconds_used > 0.2;
      },
      seconds(30)))
      << "a busy task's CPU shows";
  EXPECT_GT(seconds_used, 0.2);

  std::ofstream(dir + "/sick") << "x";
  auto node = [&] { return cluster.Call("GET", "/api/v1/nodes/node-1"); };
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = node();
        return n.ok() && (*n)["spec"].value("draining", false) &&
               (*n)["spec"].value("reason", "") ==
                   "health check failed: scratch disk missing (exit 1)";
      },
      seconds(30)))
      << node()->dump();
  EXPECT_EQ((*node())["status"]["health"]["healthy"], false);
  std::filesystem::remove(dir + "/sick");
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = node();
        return n.ok() && !(*n)["spec"].value("unschedulable", true);
      },
      seconds(30)))
      << node()->dump();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drover::testing
