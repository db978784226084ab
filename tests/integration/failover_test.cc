// HA: two droverd on one store. The second stands by, answering with the
// leader's address; when the leader is killed it takes over, and the nodes
// and clients, given both addresses, follow it. Running tasks are untouched
// and their ends are recorded by the new leader. A leader that loses its lock
// exits rather than write beside its successor.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"
#include "tests/support/test_postgres.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// Submits until a droverd accepts (the list follows the leader); the id.
Result<uint64_t> SubmitUntilAccepted(const LocalCluster& cluster, const Json& job,
                                     Clock::duration within) {
  const auto deadline = Clock::now() + within;
  Status last;
  while (Clock::now() < deadline) {
    auto r = cluster.Submit(job);
    if (r.ok()) return (*r)["metadata"]["id"].get<uint64_t>();
    last = r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

class FailoverTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      std::string skip;
      database_ = TestPostgresDatabase::Create(&skip);
      if (!database_) GTEST_SKIP() << skip;
    }
  }
  LocalClusterOptions Options() const {
    LocalClusterOptions options;
    options.standbys = 1;
    if (database_) options.store = database_->url();
    return options;
  }
  std::unique_ptr<TestPostgresDatabase> database_;
};

TEST_P(FailoverTest, AStandbyAnswersWithTheLeadersAddressAndRefusesWrites) {
  LocalCluster cluster(Options());
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  EXPECT_EQ(cluster.LeadingDroverd(), 0);
  HttpClient standby("unix:" + cluster.droverd_dir(1) + "/droverd.sock", cluster.admin_token());
  auto r = standby.Send("POST", "/api/v1/jobs", ShellJob("refused", "true").dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  const Status st = StatusFromResponse(*r);
  EXPECT_EQ(st.field(), "leader");
  EXPECT_NE(st.message().find(cluster.tcp_endpoint()), std::string::npos) << st.message();
  auto health = standby.Send("GET", "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->body.rfind("standby", 0), 0u) << health->body;
  auto jobs = cluster.Call("GET", "/api/v1/jobs");
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  EXPECT_TRUE((*jobs)["items"].empty()) << "the refused job was not made";
}

TEST_P(FailoverTest, AfterTheLeadersKillAStandbyServesWritesWithinTenSecondsAndTasksCarryOn) {
  LocalCluster cluster(Options());
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  const std::string gate = cluster.dir() + "/gate", starts = cluster.dir() + "/starts";
  auto running = cluster.Submit(ShellJob(
      "running",
      "echo $DROVER_TASK_INDEX >> " + starts + "; while [ ! -e " + gate + " ]; do sleep 0.05; done",
      2, 2));
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  const uint64_t running_id = (*running)["metadata"]["id"];
  ASSERT_TRUE(WaitFor([&] { return CountLines(starts) == 2; }, seconds(20)));

  cluster.KillDroverd(0);
  const auto killed = Clock::now();
  auto accepted = SubmitUntilAccepted(cluster, ShellJob("after", "true"), seconds(30));
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString() << "; " << cluster.dir();
  const double failover_s = std::chrono::duration<double>(Clock::now() - killed).count();
  std::printf("failover_s=%.2f s (%s)\n", failover_s, GetParam().c_str());
  EXPECT_LT(failover_s, 10.0);
  EXPECT_EQ(cluster.LeadingDroverd(), 1);

  // The tasks that ran through the failover end now; the new leader records it.
  std::ofstream(gate).put('\n');
  auto done = cluster.WaitForJob(running_id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << done->dump();
  EXPECT_EQ(CountLines(starts), 2) << "no task started twice";
  auto after = cluster.WaitForJob(*accepted, seconds(60));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)["status"]["phase"], "Succeeded");

  // The old leader, started again, stands by.
  ASSERT_TRUE(cluster.StartDroverd(0).ok());
  EXPECT_EQ(cluster.LeadingDroverd(), 1);
}

// The leader dies while a client submits and the nodes run what it submits:
// nothing acknowledged is lost, nothing runs twice, and the client's first
// write accepted by the new leader is timed.
TEST_P(FailoverTest, AFailoverUnderAClientsSubmissionsLosesNothingAndRunsNothingTwice) {
  LocalCluster cluster(Options());
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  const std::string runs = cluster.dir() + "/runs";
  std::mutex mu;
  std::vector<uint64_t> acked;
  std::atomic<bool> killed{false}, stop{false};
  std::atomic<int64_t> killed_at_ms{0}, first_write_after_ms{0};
  const auto t0 = Clock::now();
  auto ms_since_t0 = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };
  std::thread client([&] {
    HttpClient http = cluster.Client();
    for (int i = 0; !stop; ++i) {
      Json job = ShellJob("tiny", "echo $DROVER_JOB_ID >> " + runs);
      job["metadata"]["submissionId"] = "s" + std::to_string(i);
      while (!stop) {  // until answered: the id makes the retry safe
        auto r = http.Send("POST", "/api/v1/jobs", job.dump(), seconds(30));
        if (r.ok() && r->status == 201) {
          if (killed && first_write_after_ms == 0) first_write_after_ms = ms_since_t0();
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(ParseJson(r->body).value()["metadata"]["id"].get<uint64_t>());
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  auto acked_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  EXPECT_TRUE(WaitFor([&] { return acked_count() >= 30; }, seconds(30)));
  killed_at_ms = ms_since_t0();
  killed = true;
  cluster.KillDroverd(0);
  EXPECT_TRUE(WaitFor([&] { return first_write_after_ms != 0; }, seconds(30)));
  const size_t at_failover = acked_count();
  EXPECT_TRUE(WaitFor([&] { return acked_count() >= at_failover + 30; }, seconds(30)));
  stop = true;
  client.join();
  const double first_write_s = (first_write_after_ms - killed_at_ms) / 1000.0;
  std::printf("first_write_on_new_leader_s=%.2f s (%s), %zu jobs\n", first_write_s,
              GetParam().c_str(), acked.size());
  EXPECT_LT(first_write_s, 10.0);

  std::map<uint64_t, int> ran;
  for (uint64_t id : acked) {
    auto job = cluster.WaitForJob(id, seconds(120));
    ASSERT_TRUE(job.ok()) << "acknowledged job " << id << ": " << job.status().ToString();
    EXPECT_EQ((*job)["status"]["phase"], "Succeeded") << job->dump();
  }
  std::ifstream in(runs);
  for (std::string line; std::getline(in, line);) ran[std::stoull(line)]++;
  for (uint64_t id : acked) EXPECT_EQ(ran[id], 1) << "job " << id << " ran " << ran[id] << " times";
  auto all = cluster.Call("GET", "/api/v1/jobs");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["items"].size(), acked.size()) << "a job no answer named";
}

INSTANTIATE_TEST_SUITE_P(Stores, FailoverTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// A cluster of a droverd and a standby on `database`.
LocalClusterOptions PostgresHa(const TestPostgresDatabase& database, int nodes) {
  LocalClusterOptions options;
  options.standbys = 1;
  options.store = database.url();
  options.nodes = nodes;
  return options;
}

// PostgreSQL: the leader's lock session is ended behind its back and the lock
// taken by someone else; it must stop at once instead of writing on.
TEST(PostgresFailoverTest, ALeaderThatLosesItsLockExitsAndTheStandbyTakesOver) {
  std::string skip;
  auto database = TestPostgresDatabase::Create(&skip);
  if (!database) GTEST_SKIP() << skip;
  LocalCluster cluster(PostgresHa(*database, 2));
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  auto before = cluster.Submit(ShellJob("before", "true"));
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  {
    pqxx::connection thief(database->url());
    pqxx::nontransaction sql(thief);
    sql.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
        "granted AND pid <> pg_backend_pid()");
    // Take the freed lock before the old leader can take it back (the standby
    // may win instead: the old leader must go either way).
    bool mine = false;
    for (int i = 0; i < 400 && !mine; ++i) {
      mine = sql.exec1("SELECT pg_try_advisory_lock(7526752213137517132)")[0].as<bool>();
      if (!mine && cluster.LeadingDroverd() == 1) break;
      if (!mine) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const std::optional<int> code = cluster.WaitForDroverdExit(0, seconds(10));
    ASSERT_TRUE(code.has_value()) << "the deposed leader still runs; " << cluster.dir();
    EXPECT_EQ(*code, 75);
  }  // the test's session ends: the standby takes the lock

  auto accepted = SubmitUntilAccepted(cluster, ShellJob("after", "true"), seconds(30));
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(cluster.LeadingDroverd(), 1);
  auto kept = cluster.WaitForJob((*before)["metadata"]["id"], seconds(60));
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ((*kept)["status"]["phase"], "Succeeded");
}

// A standby takes over the leader's store as it is, so it must run the
// leader's schema: one that does not refuses to start, naming both versions.
TEST(PostgresFailoverTest, AStandbyOfAnotherSchemaVersionRefusesToStart) {
  std::string skip;
  auto database = TestPostgresDatabase::Create(&skip);
  if (!database) GTEST_SKIP() << skip;
  LocalCluster cluster(PostgresHa(*database, 1));
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  cluster.KillDroverd(1);
  // As if the leader were a newer Drover.
  ASSERT_TRUE(
      database->Exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')").ok());
  Status started = cluster.StartDroverd(1);
  EXPECT_FALSE(started.ok()) << "a standby of another schema started";
  // StartDroverd saw it exit (and reaped it) or it is about to.
  const std::optional<int> code = cluster.WaitForDroverdExit(1, seconds(10));
  if (code) {
    EXPECT_EQ(*code, 2);
  }
  const std::string log = ReadFile(cluster.dir() + "/droverd-1.log");
  EXPECT_NE(log.find("the store's schema is version 999 and this droverd's is version"),
            std::string::npos)
      << log;
  EXPECT_EQ(cluster.LeadingDroverd(), 0) << "the leader is untouched";
}

}  // namespace
}  // namespace drover::testing
