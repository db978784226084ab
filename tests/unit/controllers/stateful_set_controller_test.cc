// The StatefulSet controller (controllers/stateful_set_controller.h): rows of
// ordinals and what should change, each also asked twice, and simulations of
// an ordered start, an ordered scale-down and a partitioned rolling update,
// checked against "never two live tasks of one ordinal".
#include "controllers/stateful_set_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace drover::controllers {
namespace {

constexpr int64_t kNow = 1'000'000;

StatefulSet Db(int32_t replicas, PodManagementPolicy policy = PodManagementPolicy::kOrderedReady,
               int32_t partition = 0) {
  StatefulSet ss;
  ss.metadata.name = "db";
  ss.generation = 1;
  ss.spec.replicas = replicas;
  ss.spec.pod_management_policy = policy;
  ss.spec.update_strategy.partition = partition;
  return ss;
}

// "ORDINAL/REVISION/STATE", STATE one of ready | up | assigned | stopping.
OrdinalTaskView Ord(const std::string& text) {
  const size_t a = text.find('/'), b = text.find('/', a + 1);
  OrdinalTaskView t;
  t.ordinal = std::stoi(text.substr(0, a));
  t.revision = text.substr(a + 1, b - a - 1);
  const std::string state = text.substr(b + 1);
  t.name = "db-" + std::to_string(t.ordinal) + "-" + t.revision + "-" + state;
  t.phase = state == "assigned" ? TaskPhase::kAssigned : TaskPhase::kRunning;
  t.ready = state == "ready" || state == "stopping";
  t.terminating = state == "stopping";
  return t;
}

StatefulSetActions Reconcile(const StatefulSet& ss, const std::vector<OrdinalTaskView>& tasks,
                             const std::string& current = "old") {
  return ReconcileStatefulSet({&ss, "new", current, tasks}, kNow);
}

std::vector<int32_t> Ordinals(const StatefulSetActions& a) {
  std::vector<int32_t> v;
  for (const OrdinalCreate& c : a.create) v.push_back(c.ordinal);
  return v;
}

TEST(StatefulSetControllerTest, EachViewGetsTheOrdinalsItsPolicyAllows) {
  struct Row {
    std::string what;
    StatefulSet ss;
    std::vector<std::string> tasks;
    std::vector<int32_t> create;
    std::vector<std::string> kill;  // task names
  };
  const std::vector<Row> rows = {
      {"OrderedReady: ordinal 0 first", Db(3), {}, {0}, {}},
      {"OrderedReady: 1 waits until 0 is ready", Db(3), {"0/new/up"}, {}, {}},
      {"OrderedReady: then 1", Db(3), {"0/new/ready"}, {1}, {}},
      {"Parallel: every ordinal at once", Db(3, PodManagementPolicy::kParallel), {}, {0, 1, 2}, {}},
      {"one task per ordinal: a stopping one is waited for", Db(1), {"0/new/stopping"}, {}, {}},
      {"two live tasks of one ordinal: the less ready goes",
       Db(1),
       {"0/new/ready", "0/new/up"},
       {},
       {"db-0-new-up"}},
      {"scale down from the highest, one at a time",
       Db(1),
       {"0/new/ready", "1/new/ready", "2/new/ready"},
       {},
       {"db-2-new-ready"}},
      {"scale down waits while the one above is stopping",
       Db(1),
       {"0/new/ready", "1/new/ready", "2/new/stopping"},
       {},
       {}},
      {"Parallel scale down: all at once",
       Db(1, PodManagementPolicy::kParallel),
       {"0/new/ready", "1/new/ready", "2/new/ready"},
       {},
       {"db-2-new-ready", "db-1-new-ready"}},
      {"rolling update: the highest ordinal first",
       Db(3),
       {"0/old/ready", "1/old/ready", "2/old/ready"},
       {},
       {"db-2-old-ready"}},
      {"rolling update: while one is unavailable, no other goes",
       Db(3),
       {"0/old/ready", "1/old/ready", "2/new/up"},
       {},
       {}},
      {"rolling update: the partition holds the ordinals below it",
       Db(3, PodManagementPolicy::kOrderedReady, 2),
       {"0/old/ready", "1/old/ready", "2/new/ready"},
       {},
       {}},
  };
  for (const Row& row : rows) {
    std::vector<OrdinalTaskView> tasks;
    for (const std::string& t : row.tasks) tasks.push_back(Ord(t));
    StatefulSetActions a = Reconcile(row.ss, tasks);
    EXPECT_EQ(Ordinals(a), row.create) << row.what;
    EXPECT_EQ(a.kill, row.kill) << row.what;
    StatefulSetActions b = Reconcile(row.ss, tasks);
    EXPECT_EQ(b.create, a.create) << row.what << ": asked twice";
    EXPECT_EQ(b.kill, a.kill) << row.what << ": asked twice";
  }
}

TEST(StatefulSetControllerTest, OrdinalsBelowThePartitionAreCreatedWithTheCurrentRevision) {
  StatefulSetActions a = Reconcile(Db(3, PodManagementPolicy::kParallel, 2), {}, "old");
  ASSERT_EQ(a.create.size(), 3u);
  EXPECT_EQ(a.create[0], (OrdinalCreate{0, "old"}));
  EXPECT_EQ(a.create[1], (OrdinalCreate{1, "old"}));
  EXPECT_EQ(a.create[2], (OrdinalCreate{2, "new"}));
}

// Kills take effect at once; creates start, and are ready at the next step.
struct Simulation {
  StatefulSet ss;
  std::string current = "old";
  std::vector<OrdinalTaskView> tasks;
  int steps = 0;

  void Step() {
    for (OrdinalTaskView& t : tasks) t.ready = true;  // what the last step created is up
    StatefulSetActions a = ReconcileStatefulSet({&ss, "new", current, tasks}, kNow);
    for (const std::string& k : a.kill) {
      std::erase_if(tasks, [&](const OrdinalTaskView& t) { return t.name == k; });
    }
    for (const OrdinalCreate& c : a.create) {
      OrdinalTaskView t = Ord(std::to_string(c.ordinal) + "/" + c.revision + "/up");
      t.name += std::to_string(steps);
      tasks.push_back(t);
    }
    current = a.status.current_revision;
    std::map<int32_t, int> per;
    for (const OrdinalTaskView& t : tasks) ++per[t.ordinal];
    for (const auto& [o, n] : per) EXPECT_EQ(n, 1) << "ordinal " << o << " at step " << steps;
    ++steps;
  }
  std::vector<int32_t> Live() const {
    std::vector<int32_t> v;
    for (const OrdinalTaskView& t : tasks) v.push_back(t.ordinal);
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST(StatefulSetControllerTest, OrderedStartScaleDownAndAPartitionedRollout) {
  Simulation s;
  s.ss = Db(3);
  s.current = "new";
  std::vector<std::vector<int32_t>> seen;
  while (s.Live().size() < 3 && s.steps < 20) {
    s.Step();
    seen.push_back(s.Live());
  }
  EXPECT_EQ(seen[0], std::vector<int32_t>{0}) << "one at a time, in order";
  EXPECT_EQ(seen[1], (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(s.Live(), (std::vector<int32_t>{0, 1, 2}));
  // Scale to 1: 2 goes, then 1.
  s.ss.spec.replicas = 1;
  s.Step();
  EXPECT_EQ(s.Live(), (std::vector<int32_t>{0, 1}));
  s.Step();
  EXPECT_EQ(s.Live(), std::vector<int32_t>{0});
  // Back to 3 on the old template, then roll to new with partition 1.
  for (OrdinalTaskView& t : s.tasks) t.revision = "old";
  s.current = "old";
  s.ss.spec.replicas = 3;
  s.ss.spec.update_strategy.partition = 1;
  for (int i = 0; i < 30; ++i) s.Step();
  std::map<int32_t, std::string> revision;
  for (const OrdinalTaskView& t : s.tasks) revision[t.ordinal] = t.revision;
  EXPECT_EQ(revision[0], "old") << "below the partition";
  EXPECT_EQ(revision[1], "new");
  EXPECT_EQ(revision[2], "new");
  // Partition 0: the last one follows, and the update becomes current.
  s.ss.spec.update_strategy.partition = 0;
  for (int i = 0; i < 10; ++i) s.Step();
  for (const OrdinalTaskView& t : s.tasks) EXPECT_EQ(t.revision, "new");
  EXPECT_EQ(s.current, "new");
}

}  // namespace
}  // namespace drover::controllers
