// The scheduler inside a real cluster (droverd + two 4-core drover-node
// processes): a gang starts all at once and never beside a job holding cores
// it needs; a short job backfills while a large one waits for its
// reservation; a waiting job carries its estimated start, and `drover queue
// --start` shows it. (Core binding is proven in cluster_test.cc.)
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "api/json_codec.h"
#include "tests/support/local_cluster.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

class SchedulingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()) << "see " << cluster_.dir(); }

  Json Job(uint64_t id) {
    auto job = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id));
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Json::object();
  }
  Json Tasks(uint64_t id) {
    auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
    EXPECT_TRUE(tasks.ok()) << tasks.status().ToString();
    return tasks.ok() ? (*tasks)["items"] : Json::array();
  }
  uint64_t Submit(const Json& manifest) {
    auto job = cluster_.Submit(manifest);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? (*job)["metadata"]["id"].get<uint64_t>() : 0;
  }
  // Polls (droverd pushes no events to a test) until `done` or the timeout.
  bool WaitUntil(const std::function<bool()>& done, seconds timeout = seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  int RunningTasks(uint64_t id) {
    int n = 0;
    for (const Json& t : Tasks(id)) n += t["status"]["phase"] == "Running";
    return n;
  }

  LocalCluster cluster_;
};

int64_t TimeOf(const Json& value) {
  if (!value.is_string()) return 0;
  auto t = ParseTime(value.get<std::string>());
  return t.ok() ? *t : 0;
}

Json Gang(Json job) {
  job["spec"]["gang"] = true;
  return job;
}

Json Limited(Json job, int64_t seconds) {
  job["spec"]["template"]["timeLimit"] = seconds;
  return job;
}

TEST_F(SchedulingTest, GangOfEightStartsAllAtOnceAfterTheCoresItNeedsAreFree) {
  // A job holds 2 of the 8 cores; the gang of 8 one-core tasks must wait
  // whole, with no task placed on the 6 free cores.
  const uint64_t holder = Submit(ShellJob("holder", "sleep 3", 2, 2));
  ASSERT_TRUE(WaitUntil([&] { return RunningTasks(holder) == 2; })) << Tasks(holder).dump();
  const uint64_t gang = Submit(Gang(ShellJob("mpi", "sleep 1", 8, 8)));
  // Wait for a pass to have judged the gang, then check it holds nothing.
  ASSERT_TRUE(WaitUntil([&] {
    Json j = Job(gang);
    return j["status"].contains("reasons") || j["status"]["phase"] != "Pending";
  }));
  if (Job(holder)["status"]["phase"] == "Running") {
    EXPECT_TRUE(Tasks(gang).empty())
        << "a gang task was placed beside the holder: " << Tasks(gang).dump();
    EXPECT_EQ(Job(gang)["status"]["reasons"][0], "Resources") << Job(gang).dump();
  }

  auto done = cluster_.WaitForJob(gang, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  Json tasks = Tasks(gang);
  ASSERT_EQ(tasks.size(), 8u) << tasks.dump();
  // One scheduling pass placed all 8: droverd stamps creation at placement.
  std::set<std::string> created;
  std::map<std::string, std::set<int>> cores;
  for (const Json& t : tasks) {
    created.insert(t["metadata"]["creationTimestamp"].get<std::string>());
    for (int c : t["spec"]["cores"]) {
      EXPECT_TRUE(cores[t["spec"]["node"]].insert(c).second) << "core given twice";
    }
  }
  EXPECT_EQ(created.size(), 1u) << tasks.dump();
  EXPECT_EQ(cores.size(), 2u);
  for (const auto& [node, on] : cores) EXPECT_EQ(on.size(), 4u) << node;
  // And none of them before the holder's tasks had released their cores.
  int64_t holder_done = 0;
  for (const Json& t : Tasks(holder)) {
    holder_done = std::max(holder_done, TimeOf(t["status"]["finishTime"]));
  }
  ASSERT_GT(holder_done, 0);
  EXPECT_GE(TimeOf(tasks[0]["metadata"]["creationTimestamp"]), holder_done);
}

TEST_F(SchedulingTest, ShortJobBackfillsWhileALargeOneWaitsForItsReservation) {
  // 6 of 8 cores busy for up to 120 s. The 8-task gang waits for them (its
  // reservation: when the last one's limit runs out); a 2-task job with a
  // 60 s limit ends before that and starts now; a 2-task job with a 1 h limit
  // would delay the gang and waits.
  const uint64_t running = Submit(Limited(ShellJob("running", "sleep 60", 6, 6), 120));
  ASSERT_TRUE(WaitUntil([&] { return RunningTasks(running) == 6; })) << Tasks(running).dump();
  const uint64_t big = Submit(Limited(Gang(ShellJob("big", "true", 8, 8)), 60));
  const uint64_t slow = Submit(Limited(ShellJob("slow", "sleep 1", 2, 2), 3600));
  const uint64_t quick = Submit(Limited(ShellJob("quick", "sleep 1", 2, 2), 60));

  auto done = cluster_.WaitForJob(quick, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  // Meanwhile the big job and the slow one have not started.
  ASSERT_EQ(Job(running)["status"]["phase"], "Running") << "the test ran too slowly";
  Json big_job = Job(big);
  EXPECT_EQ(big_job["status"]["phase"], "Pending") << big_job.dump();
  EXPECT_TRUE(Tasks(big).empty());
  EXPECT_EQ(big_job["status"]["reasons"][0], "Resources") << big_job.dump();
  Json slow_job = Job(slow);
  EXPECT_EQ(slow_job["status"]["phase"], "Pending") << slow_job.dump();
  EXPECT_TRUE(Tasks(slow).empty());
  EXPECT_EQ(slow_job["status"]["reasons"][0], "Priority") << slow_job.dump();

  // The big job's estimated start: the running job's tasks' limits (from their
  // start, or their placement when the start is not reported yet).
  const int64_t estimate = TimeOf(big_job["status"]["estimatedStartTime"]);
  int64_t earliest_end = 0, latest_end = 0;
  for (const Json& t : Tasks(running)) {
    const int64_t created = TimeOf(t["metadata"]["creationTimestamp"]);
    const int64_t started = TimeOf(t["status"]["startTime"]);
    earliest_end = std::max(earliest_end, created + 120'000);
    latest_end = std::max(latest_end, std::max(created, started) + 120'000);
  }
  EXPECT_GE(estimate, earliest_end) << big_job.dump();
  EXPECT_LE(estimate, latest_end) << big_job.dump();
}

TEST_F(SchedulingTest, WaitingJobShowsItsEstimatedStartInTheQueue) {
  const uint64_t running = Submit(Limited(ShellJob("running", "sleep 60", 8, 8), 300));
  ASSERT_TRUE(WaitUntil([&] { return RunningTasks(running) == 8; })) << Tasks(running).dump();
  const uint64_t waiting = Submit(Limited(Gang(ShellJob("waiting", "true", 4, 4)), 60));
  ASSERT_TRUE(WaitUntil([&] { return Job(waiting)["status"].contains("estimatedStartTime"); }))
      << Job(waiting).dump();
  const int64_t estimate = TimeOf(Job(waiting)["status"]["estimatedStartTime"]);
  const int64_t created = TimeOf(Job(running)["metadata"]["creationTimestamp"]);
  EXPECT_GE(estimate, created + 300'000);
  EXPECT_LE(estimate, created + 310'000);

  const std::string drover = BinDir() + "/drover";
  if (!std::filesystem::exists(drover)) GTEST_SKIP() << "no " << drover << " in this build";
  const std::string command =
      "DROVER_SERVER=unix:" + cluster_.dir() + "/droverd.sock " + drover + " queue --start 2>&1";
  FILE* out = popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, out)) > 0;) text.append(buffer, n);
  ASSERT_EQ(pclose(out), 0) << text;
  std::istringstream lines(text);
  std::string header, line, row;
  std::getline(lines, header);
  EXPECT_NE(header.find("START"), std::string::npos) << text;
  while (std::getline(lines, line)) {
    if (line.rfind(std::to_string(waiting) + " ", 0) == 0) row = line;
  }
  ASSERT_FALSE(row.empty()) << text;
  EXPECT_NE(row.find("Pending"), std::string::npos) << row;
  EXPECT_EQ(row.find("N/A"), std::string::npos) << "no estimate shown: " << row;
  EXPECT_NE(row.find("Resources"), std::string::npos) << row;
}

TEST_F(SchedulingTest, ChainedJobsRunInOrderAndAnImpossibleDependencyIsCancelled) {
  const uint64_t frames = Submit(ShellJob("frames", "sleep 0.3", 4, 4));
  Json composite_job = ShellJob("composite", "true");
  composite_job["spec"]["dependencies"] = Json::array({{{"type", "afterok"}, {"job", frames}}});
  const uint64_t composite = Submit(composite_job);
  Json doomed_job = ShellJob("doomed", "true");
  doomed_job["spec"]["dependencies"] = Json::array({{{"type", "afternotok"}, {"job", frames}}});
  const uint64_t doomed = Submit(doomed_job);
  ASSERT_TRUE(WaitUntil([&] { return RunningTasks(frames) == 4; })) << Tasks(frames).dump();
  EXPECT_EQ(Job(composite)["status"]["reasons"], Json::array({"Dependency"}));
  EXPECT_EQ(Job(composite)["status"]["phase"], "Pending");

  auto frames_done = cluster_.WaitForJob(frames, seconds(30));
  auto composite_done = cluster_.WaitForJob(composite, seconds(30));
  auto doomed_done = cluster_.WaitForJob(doomed, seconds(30));
  ASSERT_TRUE(frames_done.ok() && composite_done.ok() && doomed_done.ok());
  EXPECT_EQ((*composite_done)["status"]["phase"], "Succeeded");
  EXPECT_GE(TimeOf((*composite_done)["status"]["startTime"]),
            TimeOf((*frames_done)["status"]["completionTime"]));
  EXPECT_EQ((*doomed_done)["status"]["phase"], "Cancelled");
  EXPECT_NE((*doomed_done)["status"]["message"].get<std::string>().find("afternotok"),
            std::string::npos)
      << doomed_done->dump();
  EXPECT_TRUE(Tasks(doomed).empty()) << "it never ran";
}

TEST_F(SchedulingTest, HeldJobRunsOnlyOnceReleased) {
  Json held_job = ShellJob("held", "true");
  held_job["spec"]["hold"] = true;
  const uint64_t held = Submit(held_job);
  ASSERT_TRUE(WaitUntil([&] { return Job(held)["status"].contains("reasons"); }));
  EXPECT_EQ(Job(held)["status"]["reasons"], Json::array({"Held"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(Tasks(held).empty());
  auto released = cluster_.Call("POST", "/api/v1/jobs/" + std::to_string(held) + "/release");
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  auto done = cluster_.WaitForJob(held, seconds(30));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
}

}  // namespace
}  // namespace drover::testing
