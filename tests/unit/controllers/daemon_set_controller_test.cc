// The DaemonSet controller (controllers/daemon_set_controller.h): a table of
// nodes and tasks and what should change, each row checked to ask the same
// again when nothing changed, then a whole rolling update simulated against
// its invariants (never more than maxUnavailable nodes without an available
// daemon; never two live daemons on a node without surge).
#include "controllers/daemon_set_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace drover::controllers {
namespace {

constexpr int64_t kNow = 1'000'000;

DaemonSet MakeDaemonSet(IntOrPercent unavailable = {1, false}, IntOrPercent surge = {0, false},
                        DaemonSetUpdateType type = DaemonSetUpdateType::kRollingUpdate) {
  DaemonSet ds;
  ds.metadata.name = "logs";
  ds.generation = 1;
  ds.spec.update_strategy = {type, unavailable, surge};
  return ds;
}

// Node shorthand: "n1" (eligible, Ready), "n1:notready", "n1:other" (does
// not match the selector).
DaemonNodeView Node(const std::string& text) {
  DaemonNodeView n;
  n.name = text.substr(0, text.find(':'));
  n.eligible = text.find(":other") == std::string::npos;
  n.ready = text.find(":notready") == std::string::npos;
  return n;
}

// Task shorthand: "node/revision/state" with state ready | up (running,
// not ready) | assigned | stopping.
DaemonTaskView Daemon(const std::string& text, int64_t order) {
  const size_t a = text.find('/'), b = text.find('/', a + 1);
  DaemonTaskView t;
  t.node = text.substr(0, a);
  t.revision = text.substr(a + 1, b - a - 1);
  const std::string state = text.substr(b + 1);
  t.name = t.node + "-" + t.revision + "-" + std::to_string(order);
  t.phase = state == "assigned" ? TaskPhase::kAssigned : TaskPhase::kRunning;
  t.ready = state == "ready" || state == "stopping";
  t.terminating = state == "stopping";
  t.created_ms = order;
  return t;
}

struct Row {
  std::string what;
  DaemonSet ds;
  std::vector<std::string> nodes, tasks;
  std::set<std::string> create_on;  // nodes
  std::set<std::string> kill;       // "node/revision" of the killed tasks
  int32_t desired, current, misscheduled, updated, available;
};

DaemonSetActions Reconcile(const DaemonSet& ds, const std::vector<DaemonNodeView>& nodes,
                           const std::vector<DaemonTaskView>& tasks, int64_t now = kNow) {
  return ReconcileDaemonSet({&ds, "new", 2, nodes, tasks}, now);
}

TEST(DaemonSetControllerTest, EachViewGetsTheCreatesAndKillsItsNodesAndStrategyCallFor) {
  const DaemonSet one = MakeDaemonSet();
  const DaemonSet two = MakeDaemonSet({2, false});
  const DaemonSet surge = MakeDaemonSet({0, false}, {1, false});
  const DaemonSet on_delete = MakeDaemonSet({1, false}, {0, false}, DaemonSetUpdateType::kOnDelete);
  const std::vector<Row> rows = {
      {"a new DaemonSet: one task per matching node",
       one,
       {"a", "b", "c:other"},
       {},
       {"a", "b"},
       {},
       2,
       0,
       0,
       0,
       0},
      {"steady: nothing", one, {"a", "b"}, {"a/new/ready", "b/new/ready"}, {}, {}, 2, 2, 0, 2, 2},
      {"a node that no longer matches loses its task",
       one,
       {"a", "b:other"},
       {"a/new/ready", "b/new/ready"},
       {},
       {"b/new"},
       1,
       1,
       1,
       1,
       1},
      {"a node that is gone: its task is stopped",
       one,
       {"a"},
       {"a/new/ready", "z/new/ready"},
       {},
       {"z/new"},
       1,
       1,
       1,
       1,
       1},
      {"a node that is not Ready gets no task, and keeps the one it has",
       one,
       {"a:notready", "b:notready"},
       {"b/new/ready"},
       {},
       {},
       2,
       1,
       0,
       1,
       1},
      {"two on one node: the better one stays",
       one,
       {"a"},
       {"a/new/up", "a/new/ready"},
       {},
       {"a/new"},
       1,
       1,
       0,
       1,
       1},
      {"a new task waits for the stopping one to go",
       one,
       {"a"},
       {"a/old/stopping"},
       {},
       {},
       1,
       0,
       0,
       0,
       0},
      {"rolling, maxUnavailable 1: one old task at a time",
       one,
       {"a", "b", "c"},
       {"a/old/ready", "b/old/ready", "c/old/ready"},
       {},
       {"a/old"},
       3,
       3,
       0,
       0,
       3},
      {"rolling, maxUnavailable 2: two at a time",
       two,
       {"a", "b", "c"},
       {"a/old/ready", "b/old/ready", "c/old/ready"},
       {},
       {"a/old", "b/old"},
       3,
       3,
       0,
       0,
       3},
      {"rolling: while a node is without one, no other old task goes",
       one,
       {"a", "b", "c"},
       {"a/old/stopping", "b/old/ready", "c/old/ready"},
       {},
       {},
       3,
       2,
       0,
       0,
       2},
      {"rolling: the replaced node's new one not available yet: wait",
       one,
       {"a", "b"},
       {"a/new/up", "b/old/ready"},
       {},
       {},
       2,
       2,
       0,
       1,
       1},
      {"rolling: an old task that is not available goes at once",
       one,
       {"a", "b", "c"},
       {"a/old/up", "b/old/up", "c/old/ready"},
       {},
       {"a/old", "b/old"},
       3,
       3,
       0,
       0,
       1},
      {"surge 1: a new one beside an old one, nothing stops yet",
       surge,
       {"a", "b"},
       {"a/old/ready", "b/old/ready"},
       {"a"},
       {},
       2,
       2,
       0,
       0,
       2},
      {"surge 1: the new one is not available: no second surge",
       surge,
       {"a", "b"},
       {"a/old/ready", "a/new/up", "b/old/ready"},
       {},
       {},
       2,
       2,
       0,
       1,
       2},
      {"surge 1: the new one is available: its old one goes",
       surge,
       {"a", "b"},
       {"a/old/ready", "a/new/ready", "b/old/ready"},
       {},
       {"a/old"},
       2,
       2,
       0,
       1,
       2},
      {"OnDelete: old tasks stay",
       on_delete,
       {"a", "b"},
       {"a/old/ready", "b/old/ready"},
       {},
       {},
       2,
       2,
       0,
       0,
       2},
      {"OnDelete: a node without one gets the new template",
       on_delete,
       {"a", "b"},
       {"a/old/ready"},
       {"b"},
       {},
       2,
       1,
       0,
       0,
       1},
  };
  for (const Row& row : rows) {
    std::vector<DaemonNodeView> nodes;
    for (const std::string& n : row.nodes) nodes.push_back(Node(n));
    std::vector<DaemonTaskView> tasks;
    for (size_t i = 0; i < row.tasks.size(); ++i) {
      tasks.push_back(Daemon(row.tasks[i], static_cast<int64_t>(i)));
    }
    DaemonSetActions a = Reconcile(row.ds, nodes, tasks);
    std::set<std::string> created(a.create_on.begin(), a.create_on.end());
    EXPECT_EQ(created, row.create_on) << row.what;
    EXPECT_EQ(created.size(), a.create_on.size()) << row.what << ": a node named twice";
    std::set<std::string> killed;
    for (const std::string& k : a.kill) {
      for (const DaemonTaskView& t : tasks) {
        if (t.name == k) killed.insert(t.node + "/" + t.revision);
      }
    }
    EXPECT_EQ(killed, row.kill) << row.what;
    EXPECT_EQ(a.status.desired_number_scheduled, row.desired) << row.what;
    EXPECT_EQ(a.status.current_number_scheduled, row.current) << row.what;
    EXPECT_EQ(a.status.number_misscheduled, row.misscheduled) << row.what;
    EXPECT_EQ(a.status.updated_number_scheduled, row.updated) << row.what;
    EXPECT_EQ(a.status.number_available, row.available) << row.what;
    EXPECT_EQ(a.status.number_unavailable, row.desired - row.available) << row.what;
    // Level-triggered: the same view, and the status it gave, ask for the same.
    DaemonSet again = row.ds;
    again.status = a.status;
    DaemonSetActions b = Reconcile(again, nodes, tasks);
    EXPECT_EQ(b.create_on, a.create_on) << row.what;
    EXPECT_EQ(b.kill, a.kill) << row.what;
    EXPECT_EQ(b.status, a.status) << row.what;
  }
}

TEST(DaemonSetControllerTest, MinReadySecondsDelaysAvailabilityAndAsksToLookAgain) {
  DaemonSet ds = MakeDaemonSet();
  ds.spec.min_ready_seconds = 5;
  std::vector<DaemonNodeView> nodes = {Node("a"), Node("b")};
  std::vector<DaemonTaskView> tasks = {Daemon("a/new/ready", 0), Daemon("b/old/ready", 1)};
  tasks[0].ready_since_ms = kNow - 1000;
  tasks[1].ready_since_ms = kNow - 60'000;
  DaemonSetActions a = Reconcile(ds, nodes, tasks);
  EXPECT_TRUE(a.kill.empty()) << "a's new task is not available yet: b's old one stays";
  EXPECT_EQ(a.status.number_available, 1);
  EXPECT_EQ(a.requeue_at_ms, kNow + 4000);
  a = Reconcile(ds, nodes, tasks, kNow + 4000);
  EXPECT_EQ(a.kill.size(), 1u);
  EXPECT_EQ(a.status.number_available, 2);
}

// Each step the controller runs, its kills take effect at once and its
// creates become tasks that are ready one step later.
TEST(DaemonSetControllerTest, ARollingUpdateKeepsAvailabilityAndOneTaskPerNode) {
  for (const DaemonSet& ds : {MakeDaemonSet({1, false}), MakeDaemonSet({40, true}),
                              MakeDaemonSet({0, false}, {2, false})}) {
    const bool surge = ds.spec.update_strategy.max_surge.value > 0;
    std::vector<DaemonNodeView> nodes;
    std::vector<DaemonTaskView> tasks;
    for (int i = 0; i < 7; ++i) {
      nodes.push_back(Node("n" + std::to_string(i)));
      tasks.push_back(Daemon("n" + std::to_string(i) + "/old/ready", i));
    }
    const auto [max_surge, max_unavailable] = ResolveDaemonFenceposts(ds.spec.update_strategy, 7);
    int order = 100, steps = 0;
    bool done = false;
    for (; steps < 100 && !done; ++steps) {
      DaemonSetActions a = Reconcile(ds, nodes, tasks);
      for (const std::string& k : a.kill) {
        std::erase_if(tasks, [&](const DaemonTaskView& t) { return t.name == k; });
      }
      for (DaemonTaskView& t : tasks) t.ready = true;  // last step's creates are up now
      for (const std::string& n : a.create_on) {
        DaemonTaskView t = Daemon(n + "/new/up", order++);
        tasks.push_back(t);
      }
      std::map<std::string, int> live, available;
      for (const DaemonTaskView& t : tasks) {
        ++live[t.node];
        available[t.node] += t.ready;
      }
      int without = 0;
      for (const DaemonNodeView& n : nodes) without += available[n.name] == 0;
      EXPECT_LE(without, surge ? 0 : max_unavailable) << "step " << steps;
      int doubled = 0;
      for (const auto& [node, n] : live) {
        EXPECT_LE(n, surge ? 2 : 1) << node;
        doubled += n > 1;
      }
      EXPECT_LE(doubled, max_surge) << "step " << steps;
      done = std::all_of(tasks.begin(), tasks.end(),
                         [](const DaemonTaskView& t) { return t.revision == "new" && t.ready; }) &&
             tasks.size() == nodes.size();
    }
    EXPECT_TRUE(done) << "the update finished";
  }
}

}  // namespace
}  // namespace drover::controllers
