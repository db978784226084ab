// A real droverd and two real drover-node processes running real programs.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

// True while pid exists and is not a zombie waiting to be reaped.
bool Alive(int pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()) << "see " << cluster_.dir(); }
  LocalCluster cluster_;
};

TEST_F(ClusterTest, EveryFrameWritesItsIndexToItsFile) {
  std::string out = cluster_.dir() + "/frames";
  std::filesystem::create_directories(out);
  auto job = cluster_.Submit(ShellJob("render",
                                      "echo frame $DROVER_TASK_INDEX $SLURM_ARRAY_TASK_ID > " +
                                          out + "/frame-$DROVER_TASK_INDEX.txt",
                                      /*completions=*/40, /*parallelism=*/8));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  uint64_t id = (*job)["metadata"]["id"];
  auto done = cluster_.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*done)["status"]["completedIndexes"], "0-39");
  for (int i = 0; i < 40; ++i) {
    std::string want = "frame " + std::to_string(i) + " " + std::to_string(i) + "\n";
    EXPECT_EQ(ReadFile(out + "/frame-" + std::to_string(i) + ".txt"), want) << i;
  }
  // Tasks ran on both nodes, each exactly once.
  auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  std::set<std::string> nodes;
  for (const auto& t : (*tasks)["items"]) {
    nodes.insert(t["spec"]["node"].get<std::string>());
    EXPECT_EQ(t["status"]["exitCode"], 0);
  }
  EXPECT_EQ((*tasks)["items"].size(), 40u);
  EXPECT_EQ(nodes.size(), 2u);
}

TEST_F(ClusterTest, TaskThatFailsTwiceThenSucceedsIsRetried) {
  std::string counter = cluster_.dir() + "/attempts";
  Json job =
      ShellJob("flaky", "n=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                            counter + "; [ $n -ge 3 ]");
  job["spec"]["backoffLimit"] = 2;
  auto submitted = cluster_.Submit(job);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  uint64_t id = (*submitted)["metadata"]["id"];
  auto done = cluster_.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*done)["status"]["failed"], 2);
  auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ((*tasks)["items"].size(), 3u);
  EXPECT_EQ((*tasks)["items"][0]["status"]["exitCode"], 1);
  EXPECT_EQ((*tasks)["items"][1]["spec"]["attempt"], 1);
  EXPECT_EQ((*tasks)["items"][2]["status"]["phase"], "Succeeded");
}

TEST_F(ClusterTest, JobFailsOnceBackoffLimitIsExceeded) {
  Json job = ShellJob("doomed", "exit 3");
  job["spec"]["backoffLimit"] = 1;
  auto submitted = cluster_.Submit(job);
  ASSERT_TRUE(submitted.ok());
  auto done = cluster_.WaitForJob((*submitted)["metadata"]["id"], seconds(60));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"]["phase"], "Failed");
  EXPECT_EQ((*done)["status"]["failed"], 2);
  EXPECT_NE((*done)["status"]["message"].get<std::string>().find("exited with 3"),
            std::string::npos);
}

TEST_F(ClusterTest, CancelMidRunKillsEveryTaskAndItsChildren) {
  std::string pids = cluster_.dir() + "/pids";
  std::filesystem::create_directories(pids);
  // Each task leaves a grandchild that must die with it.
  auto submitted = cluster_.Submit(
      ShellJob("sleeper", "sleep 1000 & echo $! > " + pids + "/$DROVER_TASK_INDEX; wait", 4, 4));
  ASSERT_TRUE(submitted.ok());
  uint64_t id = (*submitted)["metadata"]["id"];
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::distance(std::filesystem::directory_iterator(pids),
                       std::filesystem::directory_iterator()) < 4) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "tasks did not start";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto cancelled = cluster_.Call("POST", "/api/v1/jobs/" + std::to_string(id) + "/cancel");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ((*cancelled)["status"]["phase"], "Cancelled");
  // Every task ends Cancelled, and the grandchildren are gone.
  deadline = std::chrono::steady_clock::now() + seconds(30);
  while (true) {
    auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
    ASSERT_TRUE(tasks.ok());
    int cancelled_tasks = 0;
    for (const auto& t : (*tasks)["items"]) cancelled_tasks += t["status"]["phase"] == "Cancelled";
    if (cancelled_tasks == 4) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << tasks->dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto& f : std::filesystem::directory_iterator(pids)) {
    int pid = std::stoi(ReadFile(f.path().string()));
    // The group got SIGTERM together; allow the grandchild a moment to die.
    auto until = std::chrono::steady_clock::now() + seconds(5);
    while (Alive(pid) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(Alive(pid)) << "grandchild " << pid << " survived the cancel";
  }
  // A second cancel is refused: the job is already finished.
  auto again = cluster_.Call("POST", "/api/v1/jobs/" + std::to_string(id) + "/cancel");
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
}

TEST_F(ClusterTest, TasksAreBoundToTheCoresTheSchedulerChose) {
  auto submitted = cluster_.Submit(
      ShellJob("bound", "grep Cpus_allowed_list /proc/self/status; echo cpus=$DROVER_CPUS", 4, 4));
  ASSERT_TRUE(submitted.ok());
  uint64_t id = (*submitted)["metadata"]["id"];
  ASSERT_TRUE(cluster_.WaitForJob(id, seconds(60)).ok());
  auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  int online = static_cast<int>(std::thread::hardware_concurrency());
  for (const auto& t : (*tasks)["items"]) {
    int index = t["spec"]["index"];
    auto log = cluster_.Call(
        "GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=" + std::to_string(index));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::string text = log->get<std::string>();
    ASSERT_EQ(t["spec"]["cpus"].size(), 1u);
    int cpu = t["spec"]["cpus"][0];
    // Synthetic cpus beyond this machine map onto cpu % online (executors/).
    EXPECT_NE(text.find("Cpus_allowed_list:\t" + std::to_string(cpu % online) + "\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("cpus=" + std::to_string(cpu)), std::string::npos) << text;
  }
}

TEST(ClusterNumaTest, BoundMemoryComesFromTheNumaNodeOfTheTasksCores) {
  LocalClusterOptions options;
  options.nodes = 1;
  options.node_topology = "synthetic:package:1 numa:2 core:2 pu:1";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << "see " << cluster.dir();
  auto nodes = cluster.Call("GET", "/api/v1/nodes");
  ASSERT_TRUE(nodes.ok());
  int64_t numa_memory = (*nodes)["items"][0]["status"]["topology"]["numaMemory"][0];
  // Each task takes 60% of a NUMA node's memory: two fit only one per NUMA node.
  Json job = ShellJob("numa", "read addr policy rest < /proc/self/numa_maps; echo $policy", 2, 2);
  job["spec"]["template"]["resources"]["memory"] = numa_memory / 10 * 6;
  job["spec"]["template"]["resources"]["memoryBind"] = "local";
  auto submitted = cluster.Submit(job);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  uint64_t id = (*submitted)["metadata"]["id"];
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  std::set<size_t> numa_used;
  for (const auto& t : (*tasks)["items"]) {
    const Json& split = t["spec"]["numaMemory"];
    ASSERT_EQ(split.size(), 2u) << t.dump();
    size_t numa = split[0] != 0 ? 0 : 1;
    EXPECT_EQ(split[numa], numa_memory / 10 * 6) << t.dump();
    EXPECT_EQ(split[1 - numa], 0) << t.dump();
    // The task's cores are on that NUMA node (cores 0-1: NUMA 0, 2-3: NUMA 1).
    EXPECT_EQ(t["spec"]["cores"][0].get<size_t>() / 2, numa) << t.dump();
    numa_used.insert(numa);
    // Its memory policy binds it (a synthetic NUMA node folds onto this machine's).
    auto log = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=" +
                                       std::to_string(t["spec"]["index"].get<int>()));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(log->get<std::string>().rfind("bind:", 0), 0u) << log->get<std::string>();
  }
  EXPECT_EQ(numa_used.size(), 2u);
}

TEST_F(ClusterTest, LogsComeThroughDroverdWithStderrJoinedByDefault) {
  auto joined = cluster_.Submit(ShellJob("joined", "echo out; echo err >&2"));
  ASSERT_TRUE(joined.ok());
  uint64_t joined_id = (*joined)["metadata"]["id"];
  ASSERT_TRUE(cluster_.WaitForJob(joined_id, seconds(60)).ok());
  EXPECT_EQ(cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(joined_id) + "/logs")
                ->get<std::string>(),
            "out\nerr\n");
}

TEST_F(ClusterTest, LogsComeThroughDroverdForEachStream) {
  Json job = ShellJob("talk", "echo out-$DROVER_TASK_INDEX; echo err >&2", 2, 2);
  job["spec"]["template"]["stdout"] = cluster_.dir() + "/talk-%j-%a.out";
  job["spec"]["template"]["stderr"] = cluster_.dir() + "/talk-%j-%a.err";
  auto submitted = cluster_.Submit(job);
  ASSERT_TRUE(submitted.ok());
  uint64_t id = (*submitted)["metadata"]["id"];
  ASSERT_TRUE(cluster_.WaitForJob(id, seconds(60)).ok());
  std::string base = "/api/v1/jobs/" + std::to_string(id) + "/logs";
  EXPECT_EQ(cluster_.Call("GET", base + "?index=1")->get<std::string>(), "out-1\n");
  EXPECT_EQ(cluster_.Call("GET", base + "?index=1&stream=stderr")->get<std::string>(), "err\n");
  EXPECT_EQ(cluster_.Call("GET", base + "?index=1&offset=4")->get<std::string>(), "1\n");
  EXPECT_EQ(cluster_.Call("GET", base + "?index=9").status().code(), StatusCode::kNotFound);
  // The files are where the job asked, with Slurm's patterns expanded.
  EXPECT_EQ(ReadFile(cluster_.dir() + "/talk-" + std::to_string(id) + "-0.out"), "out-0\n");
  EXPECT_EQ(ReadFile(cluster_.dir() + "/talk-" + std::to_string(id) + "-0.err"), "err\n");
}

TEST_F(ClusterTest, NeverOvercommitsANodesCores) {
  // 16 tasks of 2 cores on 2 nodes of 4 cores: at most 4 run at once.
  std::string dir = cluster_.dir() + "/overlap";
  std::filesystem::create_directories(dir);
  Json job =
      ShellJob("wide",
               "date +%s%N > " + dir + "/$DROVER_TASK_INDEX.start; sleep 0.2; date +%s%N > " + dir +
                   "/$DROVER_TASK_INDEX.end",
               16, 16);
  job["spec"]["template"]["resources"]["cpus"] = 2;
  auto submitted = cluster_.Submit(job);
  ASSERT_TRUE(submitted.ok());
  uint64_t id = (*submitted)["metadata"]["id"];
  ASSERT_EQ((*cluster_.WaitForJob(id, seconds(60)))["status"]["phase"], "Succeeded");
  std::vector<std::pair<int64_t, int>> events;
  for (int i = 0; i < 16; ++i) {
    events.push_back({std::stoll(ReadFile(dir + "/" + std::to_string(i) + ".start")), +1});
    events.push_back({std::stoll(ReadFile(dir + "/" + std::to_string(i) + ".end")), -1});
  }
  std::sort(events.begin(), events.end());
  int running = 0, peak = 0;
  for (auto [t, d] : events) peak = std::max(peak, running += d);
  EXPECT_LE(peak, 4);
  EXPECT_GE(peak, 2) << "tasks should run in parallel";
}

TEST_F(ClusterTest, MetricsAreServed) {
  auto submitted = cluster_.Submit(ShellJob("m", "true", 3, 3));
  ASSERT_TRUE(submitted.ok());
  ASSERT_TRUE(cluster_.WaitForJob((*submitted)["metadata"]["id"], seconds(60)).ok());
  auto metrics = cluster_.Call("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  std::string text = metrics->get<std::string>();
  EXPECT_NE(text.find("drover_jobs{phase=\"Succeeded\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("drover_tasks_finished_total{result=\"succeeded\"} 3"), std::string::npos);
  EXPECT_NE(text.find("drover_scheduling_pass_seconds_count"), std::string::npos);
  EXPECT_NE(text.find("drover_store_commit_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find("drover_api_request_seconds_count"), std::string::npos);
  // Each node agent serves its own.
  auto nodes = cluster_.Call("GET", "/api/v1/nodes");
  int64_t launched = 0;
  for (const auto& n : (*nodes)["items"]) {
    HttpClient node("http://" + n["status"]["address"].get<std::string>());
    auto r = node.Send("GET", "/metrics");
    ASSERT_TRUE(r.ok());
    std::string node_text = r->body;
    size_t at = node_text.find("\ndrover_node_tasks_launched_total ");
    ASSERT_NE(at, std::string::npos) << node_text;
    launched += std::stoll(node_text.substr(node_text.find(' ', at + 1) + 1));
  }
  EXPECT_EQ(launched, 3);
}

TEST(ClusterNodeLossTest, TasksOfADeadNodeAreRetriedElsewhere) {
  LocalClusterOptions options;
  options.heartbeat_timeout_ms = 1500;
  options.node_heartbeat_ms = 300;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  std::string marks = cluster.dir() + "/marks";
  std::filesystem::create_directories(marks);
  // First attempts hang; retries finish at once.
  auto submitted = cluster.Submit(ShellJob("survivor",
                                           "if [ $DROVER_NODELIST = node-1 ] && [ ! -e " + marks +
                                               "/retry ]; then touch " + marks +
                                               "/started; sleep 1000; fi; true",
                                           2, 2));
  ASSERT_TRUE(submitted.ok());
  uint64_t id = (*submitted)["metadata"]["id"];
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!std::filesystem::exists(marks + "/started")) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ofstream(marks + "/retry") << "";
  cluster.KillNode(0);
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  bool lost = false;
  for (const auto& t : (*tasks)["items"]) lost |= t["status"]["phase"] == "Lost";
  EXPECT_TRUE(lost) << tasks->dump();
  auto node = cluster.Call("GET", "/api/v1/nodes/node-1");
  EXPECT_EQ((*node)["status"]["phase"], "NotReady");
}

}  // namespace
}  // namespace drover::testing
