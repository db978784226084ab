// SchedulerConfigFromJson: every key read, YAML through api/yaml_codec, and
// strict errors that name the path and the rule.
#include "scheduler/config_json.h"

#include <gtest/gtest.h>

#include "api/yaml_codec.h"

namespace drover::scheduler {
namespace {

Result<SchedulerConfig> FromYaml(const std::string& yaml) {
  auto docs = ParseYamlDocuments(yaml);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  return SchedulerConfigFromJson((*docs).at(0)["scheduler"]);
}

TEST(SchedulerConfigJsonTest, ReadsEveryKeyFromYaml) {
  auto config = FromYaml(R"(
scheduler:
  policy: conservative
  reservationDepth: 20
  queues:
    - name: batch
      nodes: [node-1, node-2]
      maxTime: "2-00:00:00"
      defaultTime: "1:00:00"
      maxCoresPerJob: 512
      maxNodesPerJob: 16
      maxRunningJobsPerUser: 10
      priority: 5
      preempt: requeue
    - name: scavenger
      preempt: cancel
    - name: interactive
      preempt: off
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->policy, "conservative");
  EXPECT_EQ(config->reservation_depth, 20);
  ASSERT_EQ(config->queues.size(), 3u);
  const QueueLimits& q = config->queues[0];
  EXPECT_EQ(q.name, "batch");
  EXPECT_EQ(q.nodes, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(q.max_time_s, 2 * 86400);
  EXPECT_EQ(q.default_time_s, 3600);
  EXPECT_EQ(q.max_cores_per_job, 512);
  EXPECT_EQ(q.max_nodes_per_job, 16);
  EXPECT_EQ(q.max_running_jobs_per_user, 10);
  EXPECT_EQ(q.priority, 5);
  EXPECT_EQ(q.preempt, PreemptMode::kRequeue);
  EXPECT_EQ(config->queues[1].preempt, PreemptMode::kCancel);
  EXPECT_EQ(config->queues[2].preempt, PreemptMode::kOff);
}

TEST(SchedulerConfigJsonTest, NullOrEmptyKeepsTheDefaults) {
  auto config = SchedulerConfigFromJson(nullptr);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->policy, "easy");
  config = SchedulerConfigFromJson(Json::object());
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->queues.empty());
}

TEST(SchedulerConfigJsonTest, RoundTripsThroughToJson) {
  SchedulerConfig config;
  config.policy = "fcfs";
  QueueLimits q;
  q.name = "batch";
  q.max_time_s = 600;
  q.preempt = PreemptMode::kCancel;
  config.queues.push_back(q);
  auto back = SchedulerConfigFromJson(ToJson(config));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->policy, "fcfs");
  ASSERT_EQ(back->queues.size(), 1u);
  EXPECT_EQ(back->queues[0].max_time_s, 600);
  EXPECT_EQ(back->queues[0].preempt, PreemptMode::kCancel);
}

struct BadCase {
  const char* json;
  const char* field;
  const char* words;  // part of the message
};

class SchedulerConfigJsonBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SchedulerConfigJsonBadTest, IsRejectedNamingThePathAndTheRule) {
  auto config = SchedulerConfigFromJson(Json::parse(GetParam().json));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().field(), GetParam().field) << config.status().ToString();
  EXPECT_NE(config.status().message().find(GetParam().words), std::string::npos)
      << config.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SchedulerConfigJsonBadTest,
    ::testing::Values(
        BadCase{R"({"polcy": "easy"})", "scheduler.polcy", "unknown field"},
        BadCase{R"({"policy": "lottery"})", "scheduler.policy", "one of fcfs, easy, conservative"},
        BadCase{R"({"policy": 3})", "scheduler.policy", "must be a string"},
        BadCase{R"({"reservationDepth": 0})", "scheduler.reservationDepth", "must be in [1,"},
        BadCase{R"({"reservationDepth": 1.5})", "scheduler.reservationDepth", "integer"},
        BadCase{R"({"queues": {}})", "scheduler.queues", "must be a list"},
        BadCase{R"({"queues": [{"name": "a", "maxTim": 5}]})", "scheduler.queues[0].maxTim",
                "unknown field"},
        BadCase{R"({"queues": [{"maxTime": 5}]})", "scheduler.queues[0].name", "required"},
        BadCase{R"({"queues": [{"name": "a"}, {"name": "a"}]})", "scheduler.queues[1].name",
                "duplicate"},
        BadCase{R"({"queues": [{"name": "a", "maxTime": "forever"}]})",
                "scheduler.queues[0].maxTime", ""},
        BadCase{R"({"queues": [{"name": "a", "maxTime": 60, "defaultTime": 120}]})",
                "scheduler.queues[0].defaultTime", "must not exceed maxTime"},
        BadCase{R"({"queues": [{"name": "a", "maxCoresPerJob": -1}]})",
                "scheduler.queues[0].maxCoresPerJob", "must be in [0,"},
        BadCase{R"({"queues": [{"name": "a", "maxNodesPerJob": 99999999999}]})",
                "scheduler.queues[0].maxNodesPerJob", "must be in [0,"},
        BadCase{R"({"queues": [{"name": "a", "nodes": ["n1", ""]}]})",
                "scheduler.queues[0].nodes[1]", "non-empty node name"},
        BadCase{R"({"queues": [{"name": "a", "preempt": "suspend"}]})",
                "scheduler.queues[0].preempt", "off, requeue, cancel"},
        BadCase{R"([1, 2])", "scheduler", "must be an object"}));

}  // namespace
}  // namespace drover::scheduler
