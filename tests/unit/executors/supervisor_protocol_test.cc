#include "executors/supervisor_protocol.h"

#include <gtest/gtest.h>

namespace drover::executors {
namespace {

TEST(SupervisorProtocolTest, LaunchRequestRoundTrips) {
  SupervisorRequest r;
  r.op = SupervisorRequest::Op::kLaunch;
  r.spec.task = "42.7.0";
  r.spec.argv = {"/bin/echo", "a b"};
  r.spec.env = {"A=1"};
  r.spec.working_dir = "/tmp";
  r.spec.cpus = {0, 1, 63};
  r.spec.mem_nodes = {1};
  r.spec.uid = 1000;
  r.spec.gid = 100;
  r.spec.stdout_path = "o";
  r.spec.stderr_path = "e";
  r.spec.time_limit_s = 60;
  r.spec.kill_grace_ms = 500;
  std::string line = EncodeRequest(r);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  Result<SupervisorRequest> back = ParseRequest(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->op, SupervisorRequest::Op::kLaunch);
  EXPECT_EQ(LaunchSpecToJson(back->spec), LaunchSpecToJson(r.spec));
  EXPECT_EQ(back->spec.mem_nodes, std::vector<int32_t>{1});
}

TEST(SupervisorProtocolTest, OtherRequestsRoundTrip) {
  SupervisorRequest kill;
  kill.op = SupervisorRequest::Op::kKill;
  kill.task = "t";
  kill.grace_ms = 250;
  auto k = ParseRequest(EncodeRequest(kill));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->task, "t");
  EXPECT_EQ(k->grace_ms, 250);

  SupervisorRequest signal;
  signal.op = SupervisorRequest::Op::kSignal;
  signal.task = "t";
  signal.signal = 10;
  auto g = ParseRequest(EncodeRequest(signal));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->op, SupervisorRequest::Op::kSignal);
  EXPECT_EQ(g->signal, 10);

  SupervisorRequest ack;
  ack.op = SupervisorRequest::Op::kAck;
  ack.tasks = {"a", "b"};
  auto a = ParseRequest(EncodeRequest(ack));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->tasks, ack.tasks);

  SupervisorRequest shutdown;
  shutdown.op = SupervisorRequest::Op::kShutdown;
  shutdown.kill_tasks = true;
  auto s = ParseRequest(EncodeRequest(shutdown));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->kill_tasks);
}

TEST(SupervisorProtocolTest, BadRequestsNameTheField) {
  EXPECT_EQ(ParseRequest("not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequest(R"({"op":"fly"})").status().field(), "op");
  EXPECT_EQ(ParseRequest(R"({"op":"launch","spec":{"task":"t"}})").status().field(), "spec.argv");
  EXPECT_EQ(ParseRequest(R"({"op":"launch","spec":{"task":"t","argv":["x"],"cpus":"0-3"}})")
                .status()
                .field(),
            "spec.cpus");
  EXPECT_EQ(
      ParseRequest(
          R"({"op":"launch","spec":{"task":"t","argv":["x"],"uid":1,"gid":1,"time_limit_s":-1}})")
          .status()
          .field(),
      "spec.time_limit_s");
  EXPECT_EQ(ParseRequest(R"({"op":"launch","spec":{"task":"t","argv":["x"]}})").status().field(),
            "spec.uid")
      << "who a task runs as is never defaulted";
  EXPECT_EQ(ParseRequest(R"({"op":"kill"})").status().field(), "task");
  EXPECT_EQ(ParseRequest(R"({"op":"signal","task":"t","signal":0})").status().field(), "signal");
  EXPECT_EQ(ParseRequest(R"({"op":"signal","task":"t"})").status().field(), "signal");
  EXPECT_EQ(
      ParseRequest(
          R"({"op":"launch","spec":{"task":"t","argv":["x"],"uid":1,"gid":1,"memory_limit_bytes":-1}})")
          .status()
          .field(),
      "spec.memory_limit_bytes");
}

TEST(SupervisorProtocolTest, EventsAndListsRoundTrip) {
  TaskEvent e;
  e.kind = TaskEvent::Kind::kExited;
  e.task = "t";
  e.pid = 123;
  e.exit_code = 3;
  e.signal = 0;
  e.timed_out = true;
  e.time_ms = 1700000000000;
  e.usage = {12, 3, 4567};
  std::string out;
  AppendEventLine(e, &out);
  AppendListLine({e}, &out);
  AppendErrorLine("bad", &out);
  size_t first = out.find('\n');
  size_t second = out.find('\n', first + 1);
  auto event = ParseMessage(std::string_view(out).substr(0, first));
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->type, SupervisorMessage::Type::kEvent);
  EXPECT_EQ(TaskEventToJson(event->event), TaskEventToJson(e));
  auto list = ParseMessage(std::string_view(out).substr(first + 1, second - first - 1));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->tasks.size(), 1u);
  EXPECT_EQ(list->tasks[0].usage.max_rss_kb, 4567);
  auto error = ParseMessage(std::string_view(out).substr(second + 1, out.size() - second - 2));
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->error, "bad");
}

}  // namespace
}  // namespace drover::executors

namespace drover::executors {
namespace {

// A supervisor that names a task's log files must say whose they are: an
// agent that took a missing uid for 0 would read them back as root.
TEST(SupervisorProtocolTest, ALogPathWithoutItsOwnerIsRefused) {
  nlohmann::json event = {{"kind", "started"}, {"task", "1_0.0"}, {"stdout_path", "/x/out"}};
  auto decoded = TaskEventFromJson(event);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "uid");
  event["uid"] = 1000;
  event["gid"] = 1000;
  ASSERT_TRUE(TaskEventFromJson(event).ok());
  EXPECT_EQ(TaskEventFromJson(event)->uid, 1000u);
}

}  // namespace
}  // namespace drover::executors
