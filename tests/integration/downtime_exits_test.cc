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
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

int Lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

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
          return Lines(ends) >= n;
        },
        seconds(60));
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
  auto job = cluster.Submit(ShellJob("gated", tasks.Script(), kTasks, kTasks));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(WaitFor([&] { return Lines(tasks.starts) == kTasks; }, seconds(120)))
      << Lines(tasks.starts) << " of " << kTasks << " started";

  cluster.KillDroverd(0);
  ASSERT_TRUE(tasks.Release(kTasks)) << Lines(tasks.ends) << " of " << kTasks << " ended";
  ASSERT_TRUE(cluster.StartDroverd(0).ok()) << cluster.dir();
  auto done = cluster.WaitForJob(id, seconds(120));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << (*done)["status"].dump();
  EXPECT_EQ((*done)["status"]["succeeded"], kTasks);
  EXPECT_EQ(Lines(tasks.starts), kTasks) << "a task started twice";
}

TEST(DowntimeExitsTest, TasksThatEndWhileTheirAgentIsDeadAreReportedByTheNextAgent) {
  constexpr int kTasks = 40;
  LocalClusterOptions options;
  options.nodes = 1;
  options.node_topology = "synthetic:package:1 core:64 pu:1";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  GatedTasks tasks(cluster.dir());
  auto job = cluster.Submit(ShellJob("gated", tasks.Script(), kTasks, kTasks));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const uint64_t id = (*job)["metadata"]["id"];
  ASSERT_TRUE(WaitFor([&] { return Lines(tasks.starts) == kTasks; }, seconds(60)));

  cluster.KillNodeAgent(0);  // the supervisor and the tasks live on
  ASSERT_TRUE(tasks.Release(kTasks));
  ASSERT_TRUE(cluster.StartNode(0).ok());
  auto done = cluster.WaitForJob(id, seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded") << (*done)["status"].dump();
  EXPECT_EQ((*done)["status"]["succeeded"], kTasks);
  EXPECT_EQ(Lines(tasks.starts), kTasks) << "a task started twice";
}

}  // namespace
}  // namespace drover::testing
