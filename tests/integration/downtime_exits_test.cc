// Tasks that end while nobody watches them: droverd down (killed with 500
// tasks running), or their node's agent down (killed). The exits happen in
// the gap, by construction (the test releases the tasks only then and waits
// until they have all exited); once droverd or the agent is back, every end is
// recorded and no task starts twice.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

// Tasks that record their start, block reading a FIFO, and record their end.
struct GatedTasks {
  explicit GatedTasks(const std::string& dir)
      : fifo(dir + "/gate.fifo"), starts(dir + "/starts"), ends(dir + "/ends") {
    ::mkfifo(fifo.c_str(), 0666);
  }
  std::string Script() const {
    return "echo $DROVER_TASK_INDEX >> " + starts + "; read x < " + fifo +
           "; echo $DROVER_TASK_INDEX >> " + ends;
  }
  // Feeds the FIFO until `n` tasks have ended (a reader that opens it late
  // gets its line too).
  bool Release(int n) {
    return WaitFor(
        [&] {
          const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
          if (fd >= 0) {
            const std::string lines(4096, '\n');
            (void)!::write(fd, lines.data(), lines.size());
            ::close(fd);
          }
          return CountLines(ends) >= n;
        },
        seconds(60));
  }
  // Submits a job of `n` of them and waits until every one has started.
  Result<uint64_t> StartAll(const LocalCluster& cluster, int n, std::chrono::seconds within) {
    auto job = cluster.Submit(ShellJob("gated", Script(), n, n));
    if (!job.ok()) return job.status();
    if (!WaitFor([&] { return CountLines(starts) == n; }, within)) {
      return Status::Unavailable(std::to_string(CountLines(starts)) + " of " + std::to_string(n) +
                                 " started");
    }
    return (*job)["metadata"]["id"].get<uint64_t>();
  }
  // The job ended Succeeded with all `n`, and none started twice.
  void ExpectEachRecordedOnce(const LocalCluster& cluster, uint64_t id, int n) {
    auto done = cluster.WaitForJob(id, seconds(120));
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << (*done)["status"].dump();
    EXPECT_EQ((*done)["status"]["succeeded"], n);
    EXPECT_EQ(CountLines(starts), n) << "a task started twice";
  }
  std::string fifo, starts, ends;
};

TEST(DowntimeExitsTest, FiveHundredTasksThatEndWhileDroverdIsDownAreRecordedWhenItReturns) {
  constexpr int kTasks = 500;
  LocalClusterOptions options;
  options.node_topology = "synthetic:package:1 core:256 pu:1";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  GatedTasks tasks(cluster.dir());
  auto id = tasks.StartAll(cluster, kTasks, seconds(120));
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  cluster.KillDroverd(0);
  ASSERT_TRUE(tasks.Release(kTasks)) << CountLines(tasks.ends) << " of " << kTasks << " ended";
  ASSERT_TRUE(cluster.StartDroverd(0).ok()) << cluster.dir();
  tasks.ExpectEachRecordedOnce(cluster, *id, kTasks);
}

TEST(DowntimeExitsTest, TasksThatEndWhileTheirAgentIsDeadAreReportedByTheNextAgent) {
  constexpr int kTasks = 40;
  LocalClusterOptions options;
  options.nodes = 1;
  options.node_topology = "synthetic:package:1 core:64 pu:1";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  GatedTasks tasks(cluster.dir());
  auto id = tasks.StartAll(cluster, kTasks, seconds(60));
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  cluster.KillNodeAgent(0);  // the supervisor and the tasks live on
  ASSERT_TRUE(tasks.Release(kTasks));
  ASSERT_TRUE(cluster.StartNode(0).ok());
  tasks.ExpectEachRecordedOnce(cluster, *id, kTasks);
}

}  // namespace
}  // namespace drover::testing
