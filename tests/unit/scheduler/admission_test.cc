// CheckCanEverRun: a job that no node or queue can ever hold is refused with
// the field and the limit; one that merely has to wait is accepted.
#include "scheduler/admission.h"

#include <gtest/gtest.h>

#include "tests/unit/scheduler/cluster_fixture.h"

namespace drover::scheduler {
namespace {

using testing::kGiB;
using testing::MakeJob;
using testing::MakeNode;

// Two 4-core nodes (8 GiB) and one 8-core node (16 GiB, busy now).
ClusterSnapshot Cluster() {
  ClusterSnapshot c;
  c.nodes.push_back(MakeNode("a1", 1, 1, 4, 8 * kGiB));
  c.nodes.push_back(MakeNode("a2", 1, 1, 4, 8 * kGiB));
  c.nodes.push_back(MakeNode("big", 2, 1, 4, 16 * kGiB));
  c.nodes[2].core_busy.assign(8, true);
  c.nodes[2].memory_free_bytes = 0;
  return c;
}

SchedulerConfig Queues() {
  SchedulerConfig config;
  QueueLimits small;
  small.name = "small";
  small.nodes = {"a1", "a2"};
  small.max_time_s = 3600;
  small.max_cores_per_job = 6;
  small.max_nodes_per_job = 1;
  config.queues.push_back(small);
  return config;
}

PendingJob In(PendingJob job, const std::string& queue) {
  job.queue = queue;
  return job;
}

void ExpectRefused(const Status& s, const std::string& field, const std::string& words) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.field(), field) << s.ToString();
  EXPECT_NE(s.message().find(words), std::string::npos) << s.ToString();
}

TEST(AdmissionTest, AcceptsWhatCanRunLaterEvenIfBusyNow) {
  // 8 cores in one task: only the busy node can ever hold it.
  EXPECT_TRUE(CheckCanEverRun(Cluster(), MakeJob(1, 1, 8), {}).ok());
  // A gang of 16 one-core tasks: 4 + 4 + 8.
  EXPECT_TRUE(CheckCanEverRun(Cluster(), MakeJob(2, 16, 1, true), {}).ok());
  // No nodes registered yet: cannot judge.
  EXPECT_TRUE(CheckCanEverRun(ClusterSnapshot{}, MakeJob(3, 99, 99, true), {}).ok());
}

TEST(AdmissionTest, RefusesATaskLargerThanAnyNode) {
  ExpectRefused(CheckCanEverRun(Cluster(), MakeJob(1, 1, 9), {}), "spec.template.resources.cpus",
                "the largest node has 8");
  PendingJob memory = MakeJob(2, 1, 2);
  memory.memory_per_task = 20 * kGiB;
  ExpectRefused(CheckCanEverRun(Cluster(), memory, {}), "spec.template.resources.memory",
                "largest: 17179869184");
}

TEST(AdmissionTest, RefusesAGangTheNodesCannotHoldAtOnce) {
  ExpectRefused(CheckCanEverRun(Cluster(), MakeJob(1, 17, 1, true), {}), "spec.parallelism",
                "hold at most 16");
  PendingJob per_node = MakeJob(2, 6, 1, true);
  per_node.ntasks_per_node = 1;
  ExpectRefused(CheckCanEverRun(Cluster(), per_node, {}), "spec.parallelism", "at most 3");
  PendingJob two_nodes = MakeJob(3, 12, 1, true);
  two_nodes.nodes = 2;  // 6 per node: only the big node holds 6
  ExpectRefused(CheckCanEverRun(Cluster(), two_nodes, {}), "spec.parallelism", "(2 of them)");
  two_nodes.nodes = 4;
  ExpectRefused(CheckCanEverRun(Cluster(), two_nodes, {}), "spec.nodes", "there are 3");
}

TEST(AdmissionTest, RefusesWhatTheQueueNeverAllows) {
  const SchedulerConfig config = Queues();
  PendingJob long_job = In(MakeJob(1, 1, 1), "small");
  long_job.time_limit_s = 7200;
  ExpectRefused(CheckCanEverRun(Cluster(), long_job, config), "spec.template.timeLimit",
                "maxTime 3600 s of queue \"small\"");
  ExpectRefused(CheckCanEverRun(Cluster(), In(MakeJob(2, 8, 1, true), "small"), config),
                "spec.parallelism", "maxCoresPerJob of queue \"small\" is 6");
  PendingJob spread = In(MakeJob(3, 2, 1, true), "small");
  spread.nodes = 2;
  ExpectRefused(CheckCanEverRun(Cluster(), spread, config), "spec.nodes", "maxNodesPerJob");
  // The queue's nodes have 4 cores: the 8-core node is not in it.
  ExpectRefused(CheckCanEverRun(Cluster(), In(MakeJob(4, 1, 5), "small"), config),
                "spec.template.resources.cpus", "of queue \"small\" has 4");
  // The same job elsewhere is fine.
  EXPECT_TRUE(CheckCanEverRun(Cluster(), In(MakeJob(4, 1, 5), "default"), config).ok());
}

}  // namespace
}  // namespace drover::scheduler
