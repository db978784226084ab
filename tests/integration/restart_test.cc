// droverd restarts (kill -9 included) lose no accepted job and no reported
// exit code, on both stores.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/test_postgres.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

class RestartTest : public ::testing::TestWithParam<std::string> {
 protected:
  // SQLite: a file in the cluster's directory. PostgreSQL: a fresh database
  // on the test server, so runs do not see each other's objects.
  void SetUp() override {
    if (GetParam() != "postgresql") return;
    std::string skip;
    database_ = TestPostgresDatabase::Create(&skip);
    if (!database_) GTEST_SKIP() << skip;
  }
  LocalClusterOptions Options() const {
    LocalClusterOptions options;
    if (database_) options.store = database_->url();
    return options;
  }
  std::unique_ptr<TestPostgresDatabase> database_;
};

TEST_P(RestartTest, KilledDroverdLosesNoJobAndFinishesThem) {
  LocalCluster cluster(Options());
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  std::string gate = cluster.dir() + "/gate";
  // Jobs that wait for a gate file, so they are mid-run when droverd dies.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto job = cluster.Submit(ShellJob("waiter-" + std::to_string(i),
                                       "while [ ! -e " + gate + " ]; do sleep 0.05; done", 3, 3));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ids.push_back((*job)["metadata"]["id"]);
  }
  auto bulk =
      cluster.Call("POST", "/api/v1/jobs/bulk",
                   Json{{"items", {ShellJob("bulk-a", "true"), ShellJob("bulk-b", "true")}}});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  for (const auto& item : (*bulk)["items"]) ids.push_back(item["id"]);

  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/true).ok());
  // Every accepted job is still there.
  for (uint64_t id : ids) {
    auto job = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id));
    EXPECT_TRUE(job.ok()) << "job " << id << " lost: " << job.status().ToString();
  }
  std::filesystem::create_directories(gate);
  for (uint64_t id : ids) {
    auto done = cluster.WaitForJob(id, seconds(60));
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << done->dump();
  }
  // New ids continue after the old ones.
  auto next = cluster.Submit(ShellJob("after", "true"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT((*next)["metadata"]["id"].get<uint64_t>(), ids.back());
  // A graceful restart keeps the finished results too.
  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/false).ok());
  auto first = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(ids[0]));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*first)["status"]["completedIndexes"], "0-2");
}

TEST(AgentRestartTest, TasksOutliveTheAgentAndTheirExitsAndLogsAreReported) {
  LocalClusterOptions options;
  options.nodes = 1;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  std::string gate = cluster.dir() + "/gate";
  std::string ran = cluster.dir() + "/ran";
  std::filesystem::create_directories(ran);
  auto job = cluster.Submit(ShellJob("outlive",
                                     "echo hello-$DROVER_TASK_INDEX; touch " + ran +
                                         "/$DROVER_TASK_INDEX; while [ ! -e " + gate +
                                         " ]; do sleep 0.05; done; exit $DROVER_TASK_INDEX",
                                     2, 2));
  ASSERT_TRUE(job.ok());
  uint64_t id = (*job)["metadata"]["id"];
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::distance(std::filesystem::directory_iterator(ran),
                       std::filesystem::directory_iterator()) < 2) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The agent dies; the tasks run on under the supervisor and end meanwhile.
  ASSERT_TRUE(cluster.RestartNodeAgent(0).ok());
  std::filesystem::create_directories(gate);
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  // Index 1 always exits 1, so the job ends Failed once its retries are used
  // up; what matters is that the exit codes of the first attempts, which ended
  // while no agent ran, reached droverd.
  EXPECT_EQ((*done)["status"]["phase"], "Failed");
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  int zero = 0, one = 0;
  for (const auto& t : (*tasks)["items"]) {
    if (t["spec"]["attempt"] != 0) continue;
    zero += t["status"]["exitCode"] == 0;
    one += t["status"]["exitCode"] == 1;
  }
  EXPECT_EQ(zero, 1) << tasks->dump();
  EXPECT_EQ(one, 1) << tasks->dump();
  // The new agent learnt where the re-adopted tasks write, so their logs are served.
  auto log = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log->get<std::string>(), "hello-0\n");
}

TEST(NodeRebootTest, TasksANodeLostWhileDroverdWatchedAreRetried) {
  LocalClusterOptions options;
  options.nodes = 1;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  std::string ran = cluster.dir() + "/ran";
  std::filesystem::create_directories(ran);
  // The first attempt waits forever; the retry ends at once.
  auto job = cluster.Submit(ShellJob("reboot", "[ -e " + ran + "/rebooted ] || sleep 1000", 1, 1));
  ASSERT_TRUE(job.ok());
  uint64_t id = (*job)["metadata"]["id"];
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  auto running = [&] {
    auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
    return tasks.ok() && tasks->at("items").size() == 1 &&
           tasks->at("items")[0]["status"]["phase"] == "Running";
  };
  while (!running()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The node reboots well within the heartbeat timeout: droverd hears of the
  // loss from the registration, not from silence.
  std::ofstream(ran + "/rebooted") << "";
  ASSERT_TRUE(cluster.RebootNode(0).ok());
  auto done = cluster.WaitForJob(id, seconds(30));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << done->dump();
  auto tasks = cluster.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->at("items").size(), 2u) << tasks->dump();
  EXPECT_EQ(tasks->at("items")[0]["status"]["phase"], "Lost") << tasks->dump();
  EXPECT_EQ(tasks->at("items")[1]["status"]["phase"], "Succeeded") << tasks->dump();
}

TEST(JobRetentionTest, FinishedJobsAreForgottenAfterTheRetentionEvenAcrossARestart) {
  LocalClusterOptions options;
  options.nodes = 1;
  options.config = "jobs:\n  retention: 1\n";  // seconds
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  auto job = cluster.Submit(ShellJob("brief", "true", 2, 2));
  ASSERT_TRUE(job.ok());
  uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(cluster.WaitForJob(id, seconds(30)).ok());
  const std::string path = "/api/v1/jobs/" + std::to_string(id);
  auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (cluster.Call("GET", path).ok()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "job " << id << " never forgotten";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(cluster.Call("GET", path).status().code(), StatusCode::kNotFound);
  // The store forgot it too, and its id is never given again.
  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/true).ok());
  deadline = std::chrono::steady_clock::now() + seconds(10);
  Result<Json> after = cluster.Call("GET", path);
  while (after.status().code() == StatusCode::kUnavailable &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = cluster.Call("GET", path);
  }
  EXPECT_EQ(after.status().code(), StatusCode::kNotFound) << after.status().ToString();
  auto next = cluster.Submit(ShellJob("next", "true"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_GT((*next)["metadata"]["id"].get<uint64_t>(), id);
}

INSTANTIATE_TEST_SUITE_P(Stores, RestartTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace drover::testing
