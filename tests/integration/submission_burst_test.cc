// kill -9 of droverd in the middle of a burst of submissions from 8 clients.
// Each client retries a submission that got no answer (or an error) with its
// submission id until droverd answers: afterwards every submission exists
// exactly once, every id is unique, and every job acknowledged before the
// kill is still there.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/local_cluster.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int kClients = 8;
constexpr int kPerClient = 1250;  // 10,000 in all

TEST(SubmissionBurstTest, KillNineMidBurstLeavesEverySubmissionExactlyOnce) {
  LocalClusterOptions options;
  options.nodes = 0;  // the jobs wait: only their submission is under test
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();

  std::mutex mu;
  std::map<std::string, uint64_t> answered;  // submission id -> job id
  std::set<std::string> acked_before_kill;
  std::atomic<int> acked{0}, retries{0};
  std::atomic<bool> killed{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client = cluster.Client();
      for (int i = 0; i < kPerClient; ++i) {
        const std::string sid = "c" + std::to_string(c) + "-" + std::to_string(i);
        Json job = ShellJob("burst", "true");
        job["metadata"]["submissionId"] = sid;
        const std::string body = job.dump();
        const auto give_up = Clock::now() + seconds(120);
        while (Clock::now() < give_up) {
          auto r = client.Send("POST", "/api/v1/jobs", body, seconds(30));
          if (r.ok() && r->status == 201) {
            auto j = ParseJson(r->body);
            if (!j.ok()) break;
            std::lock_guard<std::mutex> lock(mu);
            answered[sid] = (*j)["metadata"]["id"].get<uint64_t>();
            if (!killed) acked_before_kill.insert(sid);
            ++acked;
            break;
          }
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return acked >= 3000; }, seconds(120)));
  killed = true;
  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/true).ok()) << cluster.dir();
  const auto restarted = Clock::now();
  for (std::thread& t : clients) t.join();
  const double after_s = std::chrono::duration<double>(Clock::now() - restarted).count();

  ASSERT_EQ(answered.size(), static_cast<size_t>(kClients * kPerClient))
      << "some submissions were never answered";
  auto jobs = cluster.Call("GET", "/api/v1/jobs");
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  std::map<std::string, int> stored;  // submission id -> jobs made for it
  std::set<uint64_t> ids;
  for (const Json& j : (*jobs)["items"]) {
    stored[j["metadata"].value("submissionId", "")]++;
    EXPECT_TRUE(ids.insert(j["metadata"]["id"].get<uint64_t>()).second) << "a job id twice";
  }
  EXPECT_EQ(ids.size(), answered.size()) << "jobs made that no submission asked for, or lost";
  for (const auto& [sid, id] : answered) {
    EXPECT_EQ(stored[sid], 1) << sid << " is stored " << stored[sid] << " times";
    EXPECT_TRUE(ids.count(id)) << sid << " was answered with job " << id << ", which is gone";
  }
  for (const std::string& sid : acked_before_kill) {
    EXPECT_EQ(stored[sid], 1) << "acknowledged before the kill, then lost: " << sid;
  }
  std::printf("submissions=%zu acked_before_kill=%zu retries=%d after_restart_s=%.1f\n",
              answered.size(), acked_before_kill.size(), retries.load(), after_s);
}

}  // namespace
}  // namespace drover::testing
