// droverd's built-in daemons in its state machine: made once (an admin's
// edits stay), reserving no cores, each task given a credential good only
// while it runs and only for its own node's job; a health report drains and
// undrains its node, never undoing an admin's drain.
#include <gtest/gtest.h>

#include "api/json_codec.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/builtin_daemons.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/task_credentials.h"

namespace drover::droverd {
namespace {

Node MakeNode(const std::string& name, int cores) {
  Node n;
  n.metadata.name = name;
  n.status.address = "127.0.0.1:1";
  for (int c = 0; c < cores; ++c) n.status.topology.cores.push_back({c, 0, 0, {c}});
  n.status.topology.memory_bytes = 8LL << 30;
  return n;
}

const Caller kSystem{.role = Role::kAdmin,
                     .user = "root",
                     .uid = 0,
                     .gid = 0,
                     .node = {},
                     .task = {},
                     .builtin = {}};

class BuiltinDaemonsStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"n1", "n2"}) ASSERT_TRUE(state_.RegisterNode(MakeNode(n, 2), now_).ok());
    state_.SetTaskCredentials(&credentials_);
  }

  void Turn() {
    state_.ReconcileJobs(now_);
    state_.ReconcileDaemonSets(now_);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now_, &cluster, &pending);
    state_.ApplyDecision(scheduler::Schedule(cluster, pending, now_, state_.scheduler_config()),
                         now_);
    state_.ReconcileJobs(now_);
    state_.ReconcileDaemonSets(now_);
  }

  Json Poll(const std::string& node) {
    Json body;
    NodeChannel* channel = state_.Channel(node);
    channel->Wait(0, now_, [&body](HttpResponse r) { body = Json::parse(r.body); });
    channel->Flush("epoch", now_, UINT64_MAX);
    return body;
  }

  std::vector<const Task*> Live(const std::string& ds) {
    std::vector<const Task*> out;
    for (const Task* t : state_.TasksOfDaemonSet(ds)) {
      if (!IsTerminal(t->status.phase)) out.push_back(t);
    }
    return out;
  }

  int64_t now_ = 1'000'000;
  TaskCredentials credentials_{"a-control-plane-key-of-enough-length"};
  ClusterState state_{"epoch"};
};

TEST_F(BuiltinDaemonsStateTest, BothAreMadeOnceAndAnAdminsChangeIsKept) {
  auto wanted = BuiltinDaemonSets({}, "/opt/drover/bin");
  ASSERT_EQ(wanted.size(), 2u);
  EXPECT_EQ(state_.EnsureDaemonSets(wanted, kSystem, now_),
            (std::vector<std::string>{"drover-log-shipper", "drover-node-monitor"}));
  const DaemonSet* shipper = state_.daemon_sets().Find("drover-log-shipper");
  ASSERT_NE(shipper, nullptr);
  EXPECT_EQ(shipper->spec.template_.task.command,
            std::vector<std::string>{"/opt/drover/bin/drover-log-shipper"});
  EXPECT_EQ(BuiltinOf(*shipper), kBuiltinLogShipper);
  // An admin gives the shipper a selector; the next start keeps it.
  DaemonSet changed = *shipper;
  changed.spec.node_selector = {{"logs", "yes"}};
  ASSERT_TRUE(state_.ApplyDaemonSet(changed, kSystem, now_).ok());
  EXPECT_TRUE(state_.EnsureDaemonSets(wanted, kSystem, now_).empty());
  EXPECT_EQ(state_.daemon_sets().Find("drover-log-shipper")->spec.node_selector,
            (Labels{{"logs", "yes"}}));
  // Turned off: not made.
  BuiltinDaemonsConfig off;
  off.log_shipper = false;
  off.node_monitor = false;
  EXPECT_TRUE(BuiltinDaemonSets(off, "/x").empty());
}

TEST_F(BuiltinDaemonsStateTest, DaemonsThatReserveNoCoresRunOnFullNodesAndTakeNoCore) {
  // Both nodes full of batch work first.
  for (int i = 0; i < 4; ++i) {
    Job job;
    job.metadata.name = "busy";
    job.spec.task.command = {"/bin/sleep", "1000"};
    ASSERT_TRUE(state_.SubmitJob(job, kSystem, now_).ok());
  }
  Turn();
  EXPECT_EQ(state_.nodes().at("n1").status.allocated_cpus, 2);
  state_.EnsureDaemonSets(BuiltinDaemonSets({}, "/bin"), kSystem, now_);
  Turn();
  ASSERT_EQ(Live("drover-log-shipper").size(), 2u);
  ASSERT_EQ(Live("drover-node-monitor").size(), 2u);
  for (const Task* t : Live("drover-log-shipper")) EXPECT_TRUE(t->spec.cores.empty());
  EXPECT_EQ(state_.nodes().at("n1").status.allocated_cpus, 2) << "no core taken from batch work";
  // A daemon asking for cores still waits for one.
  DaemonSet big;
  big.metadata.name = "big";
  big.spec.template_.task.command = {"/bin/true"};
  ASSERT_TRUE(state_.ApplyDaemonSet(big, kSystem, now_).ok());
  Turn();
  EXPECT_TRUE(Live("big").empty());
}

TEST_F(BuiltinDaemonsStateTest, ABuiltinsTaskGetsACredentialGoodOnlyForItsNodeAndWhileItRuns) {
  state_.EnsureDaemonSets(BuiltinDaemonSets({}, "/bin"), kSystem, now_);
  DaemonSet other;  // an ordinary DaemonSet: no credential
  other.metadata.name = "plain";
  other.spec.template_.task.command = {"/bin/true"};
  other.spec.template_.task.resources.cpus = 0;
  ASSERT_TRUE(state_.ApplyDaemonSet(other, kSystem, now_).ok());
  Turn();
  Json sent = Poll("n1");
  std::string secret, shipper_task;
  int with_credential = 0;
  for (const Json& l : sent["launch"]) {
    if (!l.contains("credential")) continue;
    ++with_credential;
    if (l["task"].get<std::string>().starts_with("drover-log-shipper")) {
      secret = l["credential"];
      shipper_task = l["task"];
    }
  }
  EXPECT_EQ(with_credential, 2) << "the two built-ins on n1, not the plain DaemonSet";
  ASSERT_FALSE(secret.empty());
  auto caller = credentials_.Find(secret);
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(caller->role, Role::kNodeDaemon);
  EXPECT_EQ(caller->node, "n1");
  EXPECT_EQ(caller->builtin, kBuiltinLogShipper);
  EXPECT_TRUE(AuthorizeRoute(*caller, {"nodes", "n1", "logs"}).ok());
  EXPECT_FALSE(AuthorizeRoute(*caller, {"nodes", "n2", "logs"}).ok()) << "another node's";
  EXPECT_FALSE(AuthorizeRoute(*caller, {"nodes", "n1", "health"}).ok()) << "the monitor's job";
  EXPECT_FALSE(AuthorizeRoute(*caller, {"jobs"}).ok());
  EXPECT_FALSE(AuthorizeRoute(*caller, {"daemonsets", "plain"}).ok());
  // The same secret again after a restart: the key makes it, nothing is stored.
  TaskCredentials restarted{"a-control-plane-key-of-enough-length"};
  EXPECT_EQ(restarted.SecretFor(shipper_task), secret);
  EXPECT_FALSE(TaskCredentials{"another-key-another-key"}.SecretFor(shipper_task) == secret);
  // The task ends: its credential is no good.
  TaskReport r;
  r.task = shipper_task;
  r.phase = TaskPhase::kFailed;
  r.exit_code = 1;
  ASSERT_TRUE(state_.ApplyReport("n1", r, now_).ok());
  EXPECT_FALSE(credentials_.Find(secret).has_value());
}

TEST_F(BuiltinDaemonsStateTest, AFailedHealthCheckDrainsTheNodeAndAPassUndrainsIt) {
  ASSERT_TRUE(state_.ReportNodeHealth("n1", false, "disk /scratch full", now_).ok());
  const Node& n1 = state_.nodes().at("n1");
  EXPECT_TRUE(n1.spec.draining);
  EXPECT_TRUE(n1.spec.unschedulable);
  EXPECT_EQ(n1.spec.reason, "health check failed: disk /scratch full");
  EXPECT_FALSE(n1.status.healthy);
  EXPECT_EQ(ToJson(n1)["status"]["health"]["message"], "disk /scratch full");
  // Still failing, with another reason: still drained, the reason follows.
  ASSERT_TRUE(state_.ReportNodeHealth("n1", false, "memory errors", now_).ok());
  EXPECT_EQ(state_.nodes().at("n1").spec.reason, "health check failed: memory errors");
  ASSERT_TRUE(state_.ReportNodeHealth("n1", true, "", now_).ok());
  EXPECT_FALSE(state_.nodes().at("n1").spec.unschedulable);
  EXPECT_FALSE(state_.nodes().at("n1").spec.draining);
  EXPECT_TRUE(state_.nodes().at("n1").spec.reason.empty());
}

TEST_F(BuiltinDaemonsStateTest, AHealthyReportNeverUndoesAnAdminsDrain) {
  ASSERT_TRUE(state_.DrainNode("n2", false).ok());
  ASSERT_TRUE(state_.ReportNodeHealth("n2", true, "", now_).ok());
  EXPECT_TRUE(state_.nodes().at("n2").spec.draining);
  // Failing while drained by an admin: the admin's drain (and reason) stays.
  ASSERT_TRUE(state_.ReportNodeHealth("n2", false, "bad", now_).ok());
  ASSERT_TRUE(state_.ReportNodeHealth("n2", true, "", now_).ok());
  EXPECT_TRUE(state_.nodes().at("n2").spec.draining);
  // An admin's uncordon of a health drain ends it (and the next failure drains again).
  ASSERT_TRUE(state_.ReportNodeHealth("n1", false, "bad", now_).ok());
  ASSERT_TRUE(state_.CordonNode("n1", false).ok());
  EXPECT_FALSE(state_.nodes().at("n1").spec.draining);
  EXPECT_TRUE(state_.nodes().at("n1").spec.reason.empty());
  EXPECT_EQ(state_.ReportNodeHealth("nope", true, "", now_).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace drover::droverd
