// The node lifecycle reconciler (controllers/node_lifecycle.h), table-driven:
// each row is a node and its tasks as they are, and what should change.
#include "controllers/node_lifecycle.h"

#include <gtest/gtest.h>

namespace drover::controllers {
namespace {

Task MakeTask(const std::string& name, TaskPhase phase) {
  Task t;
  t.metadata.name = name;
  t.status.phase = phase;
  return t;
}

TEST(NodeLifecycleTest, EachNodeAndItsTasksGetWhatTheirStateCallsFor) {
  const NodeLifecycleConfig config{.heartbeat_timeout_ms = 500};
  const Task running = MakeTask("r", TaskPhase::kRunning);
  const Task assigned = MakeTask("a", TaskPhase::kAssigned);
  const Task ended = MakeTask("e", TaskPhase::kSucceeded);
  struct Case {
    const char* what;
    NodePhase phase;
    int64_t last_heartbeat_ms;
    std::vector<const Task*> tasks;
    int64_t now_ms;
    std::optional<NodePhase> set_phase;
    std::vector<std::string> lose;
  };
  const Case cases[] = {
      {"heard from lately: nothing to do", NodePhase::kReady, 1000, {&running}, 1500, {}, {}},
      {"silent past the timeout: NotReady, tasks lost",
       NodePhase::kReady,
       1000,
       {&running, &assigned, &ended},
       1501,
       NodePhase::kNotReady,
       {"r", "a"}},
      {"already NotReady, tasks already lost: nothing",
       NodePhase::kNotReady,
       1000,
       {},
       9000,
       {},
       {}},
      {"NotReady with a task still placed on it: lost",
       NodePhase::kNotReady,
       1000,
       {&assigned},
       9000,
       {},
       {"a"}},
      {"heard from again: Ready", NodePhase::kNotReady, 8800, {}, 9000, NodePhase::kReady, {}},
      {"a new node that never went silent", NodePhase::kReady, 9000, {}, 9000, {}, {}},
  };
  for (const Case& c : cases) {
    Node n;
    n.metadata.name = "n1";
    n.status.phase = c.phase;
    n.status.last_heartbeat_ms = c.last_heartbeat_ms;
    NodeActions a = ReconcileNode(n, c.tasks, c.now_ms, config);
    EXPECT_EQ(a.set_phase, c.set_phase) << c.what;
    EXPECT_EQ(a.lose_tasks, c.lose) << c.what;
    if (!a.lose_tasks.empty()) {
      EXPECT_NE(a.reason.find("n1"), std::string::npos) << c.what;
    }
  }
}

TEST(NodeLifecycleTest, ApplyingTheActionsAndReconcilingAgainChangesNothing) {
  const NodeLifecycleConfig config{.heartbeat_timeout_ms = 500};
  Node n;
  n.metadata.name = "n1";
  n.status.phase = NodePhase::kReady;
  n.status.last_heartbeat_ms = 1000;
  Task t = MakeTask("r", TaskPhase::kRunning);
  NodeActions first = ReconcileNode(n, {&t}, 2000, config);
  ASSERT_TRUE(first.set_phase.has_value());
  n.status.phase = *first.set_phase;
  for (const std::string& name : first.lose_tasks) {
    if (name == t.metadata.name) t.status.phase = TaskPhase::kLost;
  }
  NodeActions second = ReconcileNode(n, {&t}, 2000, config);
  EXPECT_FALSE(second.set_phase.has_value());
  EXPECT_TRUE(second.lose_tasks.empty());
}

}  // namespace
}  // namespace drover::controllers
