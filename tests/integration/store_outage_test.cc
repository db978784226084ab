// The store goes away under load and comes back: droverd waits for it instead
// of exiting, refuses changes meanwhile with 503 naming the store, and
// acknowledges exactly what it committed (a request already taken when the
// store went away is answered once its batch commits).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/scoped_tmpfs.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

const std::string kServer = std::string(DROVER_SOURCE_DIR) + "/scripts/postgres-test-server.sh";

// Runs the test server script; the last line it prints.
std::string Script(const std::string& action, const std::string& dir) {
  std::string out;
  FILE* p = ::popen((kServer + " " + action + " " + dir + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out = buf;
  const int rc = ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return rc == 0 ? (out.empty() ? "ok" : out) : "";
}

// Submits jobs from a thread of its own until stopped, keeping the ids of
// those acknowledged; a refused one is tried again after a pause.
class AckingSubmitter {
 public:
  explicit AckingSubmitter(const LocalCluster& cluster)
      : thread_([this, &cluster] {
          while (!stop_) {
            auto r = cluster.Submit(ShellJob("load", "true"));
            if (r.ok()) {
              std::lock_guard<std::mutex> lock(mu_);
              acked_.push_back((*r)["metadata"]["id"]);
            } else {
              std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
          }
        }) {}
  ~AckingSubmitter() { Stop(); }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_.size();
  }
  // Stops it; the ids acknowledged.
  std::vector<uint64_t> Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return acked_;
  }

 private:
  std::mutex mu_;
  std::vector<uint64_t> acked_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool StoreSaysUnavailable(const LocalCluster& cluster) {
  auto m = cluster.Call("GET", "/metrics");
  return m.ok() && m->get<std::string>().find("drover_store_unavailable 1") != std::string::npos;
}

// Every acknowledged job is stored, and no other.
void ExpectExactlyTheAcknowledged(const LocalCluster& cluster, const std::vector<uint64_t>& acked) {
  std::set<uint64_t> stored;
  for (std::string from;;) {
    auto page =
        cluster.Call("GET", "/api/v1/jobs?limit=1000" + (from.empty() ? "" : "&continue=" + from));
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const Json& j : (*page)["items"]) stored.insert(j["metadata"]["id"].get<uint64_t>());
    const Json& meta = (*page)["metadata"];
    from = meta.is_object() ? meta.value("continue", "") : "";
    if (from.empty()) break;
  }
  for (uint64_t id : acked) EXPECT_TRUE(stored.count(id)) << "acknowledged job " << id << " lost";
  EXPECT_EQ(stored.size(), acked.size()) << "a job exists that was never acknowledged";
  std::printf("acknowledged=%zu\n", acked.size());
}

TEST(StoreOutageTest, PostgresDownAndBackUnderLoadLosesNothingAcknowledgedAndDroverdLives) {
  if (!std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb")) {
    GTEST_SKIP() << "PostgreSQL 15 is not installed";
  }
  // A server of its own: the shared test server must stay up for other tests.
  const std::string pg_dir = ::testing::TempDir() + "/drover-outage-" + std::to_string(::getpid());
  const std::string url = Script("start", pg_dir);
  ASSERT_FALSE(url.empty()) << "could not start PostgreSQL in " << pg_dir;
  LocalClusterOptions options;
  options.store = url;
  options.nodes = 1;
  {
    LocalCluster cluster(options);
    ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();

    AckingSubmitter submitter(cluster);
    auto acked_count = [&] { return submitter.count(); };
    EXPECT_TRUE(WaitFor([&] { return acked_count() >= 20; }, seconds(30)));
    ASSERT_EQ(Script("down", pg_dir), "ok");
    // The submitter's request in flight waits for its batch; the next ones
    // are refused. Reads go on.
    EXPECT_TRUE(WaitFor([&] { return StoreSaysUnavailable(cluster); }, seconds(30)));
    auto refused = cluster.Submit(ShellJob("refused", "true"));
    EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("the store cannot take changes"), std::string::npos)
        << refused.status().ToString();
    ASSERT_EQ(Script("up", pg_dir), "ok");
    const size_t before = acked_count();
    EXPECT_TRUE(WaitFor([&] { return acked_count() >= before + 20; }, seconds(60)))
        << "submissions were not accepted again once the store was back";
    // Its lock's session died with the server: with no standby, it takes the
    // lock again and goes on leading.
    auto log_says = [&](const std::string& what) {
      return ReadFile(cluster.dir() + "/droverd.log").find(what) != std::string::npos;
    };
    EXPECT_TRUE(WaitFor([&] { return log_says("took the leader lock again"); }, seconds(30)));
    const size_t relocked = acked_count();
    EXPECT_TRUE(WaitFor([&] { return acked_count() >= relocked + 20; }, seconds(30)));
    const std::vector<uint64_t> acked = submitter.Stop();
    EXPECT_FALSE(cluster.WaitForDroverdExit(0, std::chrono::milliseconds(0)).has_value())
        << "droverd exited; see " << cluster.dir();
    ExpectExactlyTheAcknowledged(cluster, acked);
  }
  Script("stop", pg_dir);
  std::filesystem::remove_all(pg_dir);
}

// SQLite's disk fills up under load (a tmpfs holding drover.db): commits fail
// with SQLITE_FULL, droverd keeps its batch and retries, refuses changes with
// 503 meanwhile, and once space is freed goes on; every acknowledged job is
// there and none that was refused.
TEST(StoreOutageTest, ASqliteStoresDiskFullRefusesChangesAndLosesNothingAcknowledged) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string disk = ::testing::TempDir() + "/drover-full-" + std::to_string(::getpid());
  std::filesystem::create_directories(disk);
  {
    ScopedTmpfs tmpfs(disk, "16m");
    if (!tmpfs.mounted()) GTEST_SKIP() << "this machine cannot mount a tmpfs";
    LocalClusterOptions options;
    options.store = "sqlite:" + disk + "/drover.db";
    options.nodes = 1;
    LocalCluster cluster(options);
    ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();

    AckingSubmitter submitter(cluster);
    auto acked_count = [&] { return submitter.count(); };
    EXPECT_TRUE(WaitFor([&] { return acked_count() >= 20; }, seconds(30)));
    tmpfs.Fill("filler");
    ASSERT_TRUE(WaitFor([&] { return StoreSaysUnavailable(cluster); }, seconds(60)))
        << "the full disk was never noticed";
    auto refused = cluster.Submit(ShellJob("refused", "true"));
    EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("the store cannot take changes"), std::string::npos)
        << refused.status().ToString();
    std::filesystem::remove(disk + "/filler");
    const size_t before = acked_count();
    EXPECT_TRUE(WaitFor([&] { return acked_count() >= before + 20; }, seconds(60)))
        << "submissions were not accepted again once there was space";
    const std::vector<uint64_t> acked = submitter.Stop();
    EXPECT_FALSE(cluster.WaitForDroverdExit(0, std::chrono::milliseconds(0)).has_value())
        << "droverd exited; see " << cluster.dir();
    ExpectExactlyTheAcknowledged(cluster, acked);
  }
  std::filesystem::remove_all(disk);
}

}  // namespace
}  // namespace drover::testing
