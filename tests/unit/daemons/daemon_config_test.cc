#include "daemons/droverd/daemon_config.h"

#include <gtest/gtest.h>

namespace drover::droverd {
namespace {

TEST(DaemonConfigTest, EmptyFileMeansDefaults) {
  auto c = DaemonConfigFromText("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scheduler.policy, "easy");
  EXPECT_FALSE(c->priority.has_value());
  EXPECT_EQ(c->job_retention_s, 86400) << "finished jobs are kept a day";
}

TEST(DaemonConfigTest, ReadsEverySection) {
  auto c = DaemonConfigFromText(R"(
scheduler:
  policy: conservative
  queues:
    - {name: batch, maxTime: "1:00:00", preempt: requeue}
    - {name: urgent, priority: 10}
priority:
  weightFairShare: 5000
fairShare:
  halfLife: "1-00:00:00"
jobs:
  retention: "2:00:00"
  historyRetention: "365-00:00:00"
  mailProgram: /usr/bin/mail
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->scheduler.policy, "conservative");
  ASSERT_EQ(c->scheduler.queues.size(), 2u);
  EXPECT_EQ(c->scheduler.queues[0].max_time_s, 3600);
  EXPECT_EQ(c->scheduler.queues[0].preempt, scheduler::PreemptMode::kRequeue);
  ASSERT_TRUE(c->priority.has_value());
  EXPECT_EQ(c->priority->fair_share, 5000);
  EXPECT_EQ(c->fair_share.half_life_s, 86400);
  EXPECT_EQ(c->job_retention_s, 7200);
  EXPECT_EQ(c->history_retention_s, 365 * 86400);
  EXPECT_EQ(c->mail_program, "/usr/bin/mail");
}

TEST(DaemonConfigTest, QueueAccessIsReadBesideTheSchedulersQueueLimits) {
  auto c = DaemonConfigFromText(
      "scheduler:\n  queues:\n    - {name: urgent, priority: 10, allowUsers: [alice], "
      "allowGroups: [oncall, ops]}\n    - {name: batch}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->scheduler.queues.size(), 2u);
  EXPECT_EQ(c->scheduler.queues[0].priority, 10);
  ASSERT_EQ(c->queue_access.count("urgent"), 1u);
  EXPECT_EQ(c->queue_access.at("urgent").users, std::vector<std::string>{"alice"});
  EXPECT_EQ(c->queue_access.at("urgent").groups, (std::vector<std::string>{"oncall", "ops"}));
  EXPECT_EQ(c->queue_access.count("batch"), 0u);  // open to everyone
}

TEST(DaemonConfigTest, ErrorsNameTheField) {
  struct Case {
    const char* text;
    const char* field_prefix;
  };
  const Case cases[] = {
      {"schedular: {}", "schedular"},
      {"scheduler: {policy: lottery}", "scheduler.policy"},
      {"priority: {weightAge: -5}", "priority.weightAge"},
      {"fairShare: {halfLife: soon}", "fairShare.halfLife"},
      {"scheduler: {queues: [{name: a, bogus: 1}]}", "scheduler.queues"},
      {"jobs: {retention: forever}", "jobs.retention"},
      {"jobs: {keep: 3}", "jobs.keep"},
      {"jobs: {historyRetention: -5}", "jobs.historyRetention"},
      {"jobs: {mailProgram: mail}", "jobs.mailProgram"},
      {"jobs: {mailProgram: [a]}", "jobs.mailProgram"},
      {"scheduler: {queues: [{name: a, allowGroups: ops}]}", "scheduler.queues[0].allowGroups"},
      {"scheduler: {queues: [{name: a, allowUsers: [1]}]}", "scheduler.queues[0].allowUsers[0]"},
  };
  for (const Case& c : cases) {
    auto r = DaemonConfigFromText(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(r.status().field().rfind(c.field_prefix, 0), 0u)
        << c.text << " -> " << r.status().ToString();
  }
}

TEST(DaemonConfigTest, ServicePortRangeIsReadAndBadOnesNamed) {
  auto c = DaemonConfigFromText("services:\n  portRange: \"40000-40199\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->service_port_min, 40000);
  EXPECT_EQ(c->service_port_max, 40199);
  for (const char* bad : {"\"40000\"", "\"9-10\"", "\"50000-40000\"", "\"40000-70000\"", "5"}) {
    auto r = DaemonConfigFromText(std::string("services:\n  portRange: ") + bad + "\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "services.portRange") << bad;
  }
  auto unknown = DaemonConfigFromText("services:\n  portz: 1\n");
  EXPECT_FALSE(unknown.ok());
}

}  // namespace
}  // namespace drover::droverd
