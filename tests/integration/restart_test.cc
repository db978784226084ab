// droverd restarts (kill -9 included) lose no accepted job and no reported
// exit code, on both stores.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "tests/support/local_cluster.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

class RestartTest : public ::testing::TestWithParam<std::string> {
 protected:
  // SQLite: a file in the cluster's directory. PostgreSQL: a fresh database
  // on the test server, so runs do not see each other's objects.
  LocalClusterOptions Options() {
    LocalClusterOptions options;
    if (GetParam() == "postgresql") {
      std::string url = std::getenv("DROVER_TEST_POSTGRES_URL");
      std::string db = "drover_restart_" + std::to_string(::getpid());
      std::string create = "psql -q '" + url + "' -c 'DROP DATABASE IF EXISTS " + db +
                           "' -c 'CREATE DATABASE " + db + "' >/dev/null";
      EXPECT_EQ(std::system(create.c_str()), 0) << create;
      options.store = url.substr(0, url.rfind('/') + 1) + db;
    }
    return options;
  }
  bool Skip() {
    return GetParam() == "postgresql" && std::getenv("DROVER_TEST_POSTGRES_URL") == nullptr;
  }
};

TEST_P(RestartTest, KilledDroverdLosesNoJobAndFinishesThem) {
  if (Skip()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
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

INSTANTIATE_TEST_SUITE_P(Stores, RestartTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace drover::testing
