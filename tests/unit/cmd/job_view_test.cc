#include "cmd/drover/job_view.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(ParseJobRefTest, AcceptsIdSlashAndUnderscoreForms) {
  auto a = ParseJobRef("42");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, 42u);
  EXPECT_FALSE(a->index.has_value());
  auto b = ParseJobRef("42/3");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->index, 3);
  auto c = ParseJobRef("42_7");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id, 42u);
  EXPECT_EQ(c->index, 7);
  for (const char* bad : {"", "0", "-1", "4/", "4/x", "4_-1", "4 2"}) {
    EXPECT_FALSE(ParseJobRef(bad).ok()) << bad;
  }
}

TEST(ParseJobRefTest, ANameIsResolvedLaterAndMayNameAnIndex) {
  auto a = ParseJobRef("render");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, 0u);
  EXPECT_EQ(a->name, "render");
  EXPECT_FALSE(a->index.has_value());
  auto b = ParseJobRef("nightly.export_2/17");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->name, "nightly.export_2");
  EXPECT_EQ(b->index, 17);
  for (const char* bad : {"bad name", "render/x", "/3", "-render", "render/"}) {
    EXPECT_FALSE(ParseJobRef(bad).ok()) << bad;
  }
}

TEST(ParseJobPhaseNameTest, AcceptsNamesAndSlurmCodes) {
  EXPECT_EQ(*ParseJobPhaseName("running"), JobPhase::kRunning);
  EXPECT_EQ(*ParseJobPhaseName("PD"), JobPhase::kPending);
  EXPECT_EQ(*ParseJobPhaseName("Completed"), JobPhase::kSucceeded);
  EXPECT_EQ(*ParseJobPhaseName("canceled"), JobPhase::kCancelled);
  EXPECT_FALSE(ParseJobPhaseName("done").ok());
}

Job SampleJob() {
  Job job;
  job.id = 7;
  job.metadata.name = "render";
  job.owner.user = "alice";
  job.spec.completions = 100;
  job.spec.parallelism = 8;
  job.spec.completion_mode = CompletionMode::kIndexed;
  job.spec.task.command = {"/bin/sh", "-c", "echo it's $X"};
  job.spec.task.resources.cpus = 2;
  job.status.phase = JobPhase::kRunning;
  job.status.active = 8;
  job.status.succeeded = 42;
  job.status.start_time_ms = 1'000'000;
  return job;
}

TEST(QueueTableTest, ShowsTasksCpusTimeAndReason) {
  Job running = SampleJob();
  Job pending = SampleJob();
  pending.id = 8;
  pending.status = {};
  pending.status.reasons = {"Resources", "Priority"};
  Table t = QueueTable({running, pending}, 1'000'000 + 65'000, false);
  EXPECT_EQ(t.Render(),
            "ID   NAME     USER    STATE     TASKS           CPUS   TIME   REASON\n"
            "7    render   alice   Running   8/42/0 of 100   2      1:05\n"
            "8    render   alice   Pending   0/0/0 of 100    2      0:00   Resources\n");
}

TEST(QueueTableTest, StartColumnShowsNaWhenUnknown) {
  Job pending = SampleJob();
  pending.status = {};
  std::string text = QueueTable({pending}, 0, true).Render();
  EXPECT_NE(text.find("START"), std::string::npos);
  EXPECT_NE(text.find("N/A"), std::string::npos);
}

TEST(NodesTableTest, ShowsAllocationOverTotal) {
  Node n;
  n.metadata.name = "node-1";
  n.metadata.labels = {{"zone", "a"}};
  n.status.phase = NodePhase::kReady;
  n.status.topology.cores.resize(4);
  n.status.topology.memory_bytes = 8LL << 30;
  n.status.allocated_cpus = 3;
  n.status.allocated_memory_bytes = 1LL << 30;
  n.status.running_tasks = 2;
  EXPECT_EQ(NodesTable({n}).Render(),
            "NAME     STATE   CPUS   MEMORY    TASKS   LABELS\n"
            "node-1   Ready   3/4    1Gi/8Gi   2       zone=a\n");
}

TEST(DescribeJobTest, ListsEveryFieldAndTheTasks) {
  Job job = SampleJob();
  Task task;
  task.metadata.name = "7_3.0";
  task.spec.job_id = 7;
  task.spec.index = 3;
  task.spec.node = "node-2";
  task.status.phase = TaskPhase::kSucceeded;
  task.status.exit_code = 0;
  std::string text = DescribeJob(job, {task}, 1'000'000);
  for (const char* want :
       {"Id: 7\n", "Name: render\n", "State: Running\n", "Completions: 100\n", "Parallelism: 8\n",
        "CpusPerTask: 2\n", "Command: /bin/sh -c 'echo it'\\''s $X'\n", "7_3.0", "node-2",
        "Succeeded"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

}  // namespace
}  // namespace drover::cli

namespace drover::cli {
namespace {

TEST(DescribeNodeTest, ShowsWhyANodeIsDrainedAndItsLastHealthCheck) {
  Node node;
  node.metadata.name = "n1";
  node.spec.unschedulable = node.spec.draining = true;
  node.spec.reason = "health check failed: scratch disk missing (exit 1)";
  node.status.healthy = false;
  node.status.health_message = "scratch disk missing (exit 1)";
  node.status.health_checked_ms = 1'700'000'000'000;
  const std::string out = DescribeNode(node, {}, 1'700'000'001'000);
  EXPECT_NE(out.find("Reason:        health check failed: scratch disk missing (exit 1)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Health:        failing (scratch disk missing (exit 1))"), std::string::npos)
      << out;
  node.spec = NodeSpec{};
  node.status.health_checked_ms = 0;
  const std::string plain = DescribeNode(node, {}, 0);
  EXPECT_EQ(plain.find("Reason:"), std::string::npos);
  EXPECT_EQ(plain.find("Health:"), std::string::npos);
}

}  // namespace
}  // namespace drover::cli
