// The node monitor's parts: /proc parsing, per-task usage found by the
// tasks' own environment (and only this node's tasks), the textfile
// collector's rules, the page itself, and the health check's verdicts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemons/node_monitor/health_check.h"
#include "daemons/node_monitor/metrics_page.h"
#include "daemons/node_monitor/node_readings.h"

namespace drover::node_monitor {
namespace {

class NodeMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-node-monitor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << text;
  }

  // A process of /proc: its environment and a stat line with utime,
  // stime, cutime, cstime (ticks) and rss (pages).
  void Process(int pid, const std::string& env, int64_t utime, int64_t stime, int64_t rss) {
    Write("proc/" + std::to_string(pid) + "/environ", env);
    Write("proc/" + std::to_string(pid) + "/stat",
          std::to_string(pid) + " (sh (odd) name) S 1 1 1 0 -1 0 0 0 0 0 " + std::to_string(utime) +
              " " + std::to_string(stime) + " 0 0 20 0 1 0 100 1000 " + std::to_string(rss) +
              " 0 0\n");
  }

  std::string dir_;
};

TEST_F(NodeMonitorTest, CpuTimesAndMemoryAreReadFromProc) {
  int64_t cpus = 0;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto times = ParseCpuTimes(
      "cpu  100 0 50 1000 5 0 1 0 0 0\ncpu0 50 0 25 500 2 0 0 0 0 0\ncpu1 50 0 25 500 3 0 1 0 0 "
      "0\nintr 1\n",
      &cpus);
  EXPECT_EQ(cpus, 2);
  EXPECT_DOUBLE_EQ(times["user"], 100 / tick);
  EXPECT_DOUBLE_EQ(times["idle"], 1000 / tick);
  EXPECT_DOUBLE_EQ(times["softirq"], 1 / tick);
  NodeReadings r;
  ParseMeminfo("MemTotal:       16000000 kB\nMemFree: 1 kB\nMemAvailable:    8000000 kB\n", &r);
  EXPECT_EQ(r.memory_total_bytes, 16000000LL * 1024);
  EXPECT_EQ(r.memory_available_bytes, 8000000LL * 1024);
}

TEST_F(NodeMonitorTest, ATasksUsageSumsItsProcessesOnThisNodeOnly) {
  const std::string env_a = std::string("HOME=/\0DROVER_TASK_NAME=7_0.0\0DROVER_NODENAME=n1\0", 48);
  Process(10, env_a, 100, 50, 10);
  Process(11, env_a, 10, 0, 5);  // a child of the same task
  Process(12, std::string("DROVER_TASK_NAME=9_0.0\0DROVER_NODENAME=n2\0", 42), 999, 0, 1);
  Process(13, std::string("PATH=/bin\0", 10), 5, 5, 5);  // not a task's
  Write("proc/self/stat", "not a pid directory");
  auto tasks = ReadTaskUsage(dir_ + "/proc", "n1");
  ASSERT_EQ(tasks.size(), 1u) << "n2's task and the stray process are not n1's";
  const TaskUsage& u = tasks.at("7_0.0");
  EXPECT_EQ(u.processes, 2);
  EXPECT_DOUBLE_EQ(u.cpu_seconds, 160 / static_cast<double>(sysconf(_SC_CLK_TCK)));
  EXPECT_EQ(u.rss_bytes, 15 * sysconf(_SC_PAGESIZE));
}

TEST_F(NodeMonitorTest, WellFormedTextfilesAreServedAndAMalformedOneIsLeftOutWhole) {
  Write("text/raid.prom",
        "# HELP raid_ok Whether the array is whole\n# TYPE raid_ok gauge\nraid_ok{md=\"0\"} 1\n");
  Write("text/broken.prom", "good_metric 1\nthis is not a sample\n");
  Write("text/ignored.txt", "not_prom 1\n");
  Write("text/scratch.prom", "scratch_free_bytes 1.5e+09 1700000000000\n");
  int errors = 0;
  std::string text = ReadTextfiles(dir_ + "/text", &errors);
  EXPECT_EQ(errors, 1);
  EXPECT_NE(text.find("raid_ok{md=\"0\"} 1"), std::string::npos);
  EXPECT_NE(text.find("scratch_free_bytes"), std::string::npos);
  EXPECT_EQ(text.find("good_metric"), std::string::npos) << "the broken file is out whole";
  EXPECT_EQ(text.find("not_prom"), std::string::npos);
  EXPECT_TRUE(IsExpositionText("a 1\nb{x=\"y\"} NaN\nc +Inf\n\n# comment\n"));
  EXPECT_FALSE(IsExpositionText("1abc 1\n"));
}

TEST_F(NodeMonitorTest, ThePageHasTheNodeTheTasksTheHealthAndTheTextfiles) {
  Write("text/site.prom", "site_rack 12\n");
  Write("text/bad.prom", "}{\n");
  NodeReadings r;
  r.cpu_seconds = {{"user", 12.5}};
  r.memory_total_bytes = 1024;
  r.load1 = 0.5;
  r.filesystems = {{"/", 100, 40}};
  r.tasks["web-abc"] = TaskUsage{3.25, 4096, 2};
  std::string page = RenderMetrics("n1", r, HealthState{true, false, "disk full"}, dir_ + "/text");
  for (const char* want :
       {"drover_node_cpu_seconds_total{node=\"n1\",mode=\"user\"} 12.5",
        "drover_node_memory_total_bytes{node=\"n1\"} 1024", "drover_node_load1{node=\"n1\"} 0.5",
        "drover_node_filesystem_avail_bytes{node=\"n1\",path=\"/\"} 40",
        "drover_task_cpu_seconds_total{node=\"n1\",task=\"web-abc\"} 3.25",
        "drover_task_memory_rss_bytes{node=\"n1\",task=\"web-abc\"} 4096",
        "drover_node_health_check_ok{node=\"n1\"} 0",
        "drover_node_textfile_scrape_error{node=\"n1\"} 1", "site_rack 12"}) {
    EXPECT_NE(page.find(want), std::string::npos) << want << "\n" << page;
  }
  EXPECT_TRUE(IsExpositionText(page));
}

TEST_F(NodeMonitorTest, AHealthCheckPassesFailsWithItsFirstLineOrTimesOut) {
  Write("ok.sh", "#!/bin/sh\necho fine\nexit 0\n");
  Write("bad.sh", "#!/bin/sh\necho 'ERROR: /scratch is full'\necho more\nexit 3\n");
  Write("slow.sh", "#!/bin/sh\nsleep 30\n");
  for (const char* f : {"ok.sh", "bad.sh", "slow.sh"}) {
    std::filesystem::permissions(dir_ + "/" + f, std::filesystem::perms::owner_all);
  }
  HealthResult ok = RunHealthCheck(dir_ + "/ok.sh", std::chrono::seconds(10));
  EXPECT_TRUE(ok.healthy);
  HealthResult bad = RunHealthCheck(dir_ + "/bad.sh", std::chrono::seconds(10));
  EXPECT_FALSE(bad.healthy);
  EXPECT_EQ(bad.message, "ERROR: /scratch is full (exit 3)");
  auto start = std::chrono::steady_clock::now();
  HealthResult slow = RunHealthCheck(dir_ + "/slow.sh", std::chrono::milliseconds(300));
  EXPECT_FALSE(slow.healthy);
  EXPECT_NE(slow.message.find("did not finish"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  HealthResult missing = RunHealthCheck(dir_ + "/nope", std::chrono::seconds(1));
  EXPECT_FALSE(missing.healthy);
  EXPECT_NE(missing.message.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace drover::node_monitor
