#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <limits>

#include "api/deployment_json.h"

namespace drover {
namespace {

Json MinimalJob() {
  return Json::parse(R"({
    "apiVersion": "drover.io/v1", "kind": "Job",
    "metadata": {"name": "render", "labels": {"shot": "a1"}},
    "spec": {"completions": 100, "parallelism": 8, "completionMode": "Indexed",
             "template": {"command": ["/bin/echo", "frame"],
                          "env": [{"name": "A", "value": "1"}],
                          "resources": {"cpus": 2, "memory": "1Gi"},
                          "timeLimit": "1:30:00"}}
  })");
}

TEST(JsonCodecTest, DecodesAJobManifest) {
  auto job = JobFromJson(MinimalJob());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->metadata.name, "render");
  EXPECT_EQ(job->metadata.labels.at("shot"), "a1");
  EXPECT_EQ(job->spec.completions, 100);
  EXPECT_EQ(job->spec.parallelism, 8);
  EXPECT_EQ(job->spec.completion_mode, CompletionMode::kIndexed);
  EXPECT_EQ(job->spec.task.command.size(), 2u);
  EXPECT_EQ(job->spec.task.resources.cpus, 2);
  EXPECT_EQ(job->spec.task.resources.memory_bytes, 1LL << 30);
  EXPECT_EQ(job->spec.task.time_limit_s, 5400);
  EXPECT_EQ(job->spec.task.env.at(0), EnvVar("A", "1"));
}

TEST(JsonCodecTest, JobRoundTripsThroughJson) {
  auto job = JobFromJson(MinimalJob());
  ASSERT_TRUE(job.ok());
  job->id = 42;
  job->owner = {"alice", 1000, 1000};
  job->metadata.creation_time_ms = 1764172347123;
  job->metadata.resource_version = 7;
  job->status.phase = JobPhase::kRunning;
  job->status.completed_indexes.InsertRange(0, 9);
  job->status.failed_indexes_pending.Insert(12);
  job->status.next_index = 20;
  job->status.reasons = {"Resources"};
  job->spec.placement = "spread";
  job->spec.exclusive = true;
  job->spec.ntasks_per_node = 2;
  job->spec.nodes = 4;
  job->spec.task.resources.memory_bind = "local";
  job->spec.hold = true;
  job->spec.account = "physics";
  job->spec.begin_time_ms = 1764172400000;
  job->spec.dependencies = {{"afterok", 12}, {"afterany", 13}};
  job->spec.allocation = {AllocationMode::kBatch, 8};
  job->spec.node_selector = {{"gpu", "true"}};
  job->status.next_step = 3;
  auto again = JobFromJson(ToJson(*job));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ToJson(*again), ToJson(*job));
  EXPECT_EQ(again->id, 42u);
  EXPECT_EQ(again->owner.user, "alice");
  EXPECT_EQ(again->metadata.creation_time_ms, 1764172347123);
  EXPECT_EQ(again->status.completed_indexes.ToString(), "0-9");
  EXPECT_EQ(again->spec.placement, "spread");
  EXPECT_TRUE(again->spec.exclusive);
  EXPECT_EQ(again->spec.ntasks_per_node, 2);
  EXPECT_EQ(again->spec.nodes, 4);
  EXPECT_EQ(again->spec.task.resources.memory_bind, "local");
  EXPECT_TRUE(again->spec.hold);
  EXPECT_EQ(again->spec.account, "physics");
  EXPECT_EQ(again->spec.begin_time_ms, 1764172400000);
  ASSERT_EQ(again->spec.dependencies.size(), 2u);
  EXPECT_EQ(again->spec.dependencies[1].type, "afterany");
  EXPECT_EQ(again->spec.dependencies[1].job_id, 13u);
  EXPECT_EQ(again->spec.allocation.mode, AllocationMode::kBatch);
  EXPECT_EQ(again->spec.allocation.tasks, 8);
  EXPECT_EQ(again->spec.node_selector, (Labels{{"gpu", "true"}}));
  EXPECT_EQ(again->status.next_step, 3);
}

TEST(JsonCodecTest, PerIndexBackoffAndFailedIndexesRoundTrip) {
  Json manifest = MinimalJob();
  manifest["spec"]["backoffLimitPerIndex"] = 2;
  manifest["spec"]["maxFailedIndexes"] = 5;
  auto job = JobFromJson(manifest);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.backoff_limit_per_index, 2);
  EXPECT_EQ(job->spec.max_failed_indexes, 5);
  EXPECT_EQ(job->spec.backoff_limit, std::numeric_limits<int32_t>::max())
      << "as Kubernetes: a per-index limit alone lifts the job-wide one";
  job->status.failed_indexes = *IndexSet::Parse("3,7-9");
  job->status.index_failures = {{4, 1}, {11, 2}};
  auto again = JobFromJson(ToJson(*job));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status.failed_indexes.ToString(), "3,7-9");
  EXPECT_EQ(again->status.index_failures, job->status.index_failures);
  EXPECT_EQ(again->spec.backoff_limit, std::numeric_limits<int32_t>::max());

  manifest["spec"]["backoffLimit"] = 10;
  EXPECT_EQ(JobFromJson(manifest)->spec.backoff_limit, 10) << "given: kept";
  manifest["spec"]["backoffLimitPerIndex"] = -1;
  auto negative = JobFromJson(manifest);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().field(), "spec.backoffLimitPerIndex");
  Json bad = ToJson(*job);
  bad["status"]["indexFailures"] = {{"x", 1}};
  auto garbled = JobFromJson(bad);
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.status().field(), "status.indexFailures");
}

TEST(JsonCodecTest, ParallelismWithNoCompletionsIsAWorkQueueAsInKubernetes) {
  Json manifest = MinimalJob();
  manifest["spec"].erase("completions");
  manifest["spec"]["completionMode"] = "NonIndexed";
  auto job = JobFromJson(manifest);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE(job->spec.work_queue);
  EXPECT_EQ(job->spec.completions, 8) << "one index per worker";
  Json back = ToJson(*job);
  EXPECT_FALSE(back["spec"].contains("completions")) << back.dump();
  EXPECT_TRUE(JobFromJson(back)->spec.work_queue);
  EXPECT_FALSE(JobFromJson(MinimalJob())->spec.work_queue) << "completions given: not one";
}

TEST(JsonCodecTest, AllocationPartsAndStepTasksRoundTrip) {
  Task part;
  part.metadata.name = AllocationPartName(42, 0, 1, 2);
  part.spec.job_id = 42;
  part.spec.part = 2;
  part.spec.placeholder = true;
  auto part2 = TaskFromJson(ToJson(part));
  ASSERT_TRUE(part2.ok()) << part2.status().ToString();
  EXPECT_EQ(part2->spec.part, 2);
  EXPECT_TRUE(part2->spec.placeholder);
  EXPECT_EQ(part.metadata.name, "42_0.1+2");

  Task rank;
  rank.metadata.name = StepTaskName(42, 3, 1);
  rank.spec.job_id = 42;
  rank.spec.step = {3, 1, 1, 0, 4, "node-[1-2]", "2(x2)", false, "pmix", "a.out", {}};
  rank.spec.step.command.command = {"./a.out", "-v"};
  rank.spec.step.command.env = {{"OMP_NUM_THREADS", "2"}};
  auto rank2 = TaskFromJson(ToJson(rank));
  ASSERT_TRUE(rank2.ok()) << rank2.status().ToString();
  EXPECT_EQ(ToJson(*rank2), ToJson(rank));
  EXPECT_TRUE(IsStepTask(rank2->spec));
  EXPECT_EQ(rank2->spec.step.tasks_per_node, "2(x2)");
  EXPECT_FALSE(rank2->spec.step.kill_on_bad_exit);
  EXPECT_EQ(rank2->spec.step.command.command, (std::vector<std::string>{"./a.out", "-v"}));
  EXPECT_EQ(rank.metadata.name, "42.3-1");
  // A step that is not one is refused by name.
  Json bad = ToJson(rank);
  bad["spec"]["step"]["cpus"] = 1;
  EXPECT_EQ(TaskFromJson(bad).status().field(), "spec.step.cpus");
}

TEST(JsonCodecTest, UnknownFieldIsRejectedWithItsPath) {
  Json j = MinimalJob();
  j["spec"]["template"]["resources"]["gpus"] = 1;
  auto job = JobFromJson(j);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(job.status().field(), "spec.template.resources.gpus");
  EXPECT_EQ(job.status().message(), "unknown field");
}

TEST(JsonCodecTest, WrongTypeNamesTheField) {
  Json j = MinimalJob();
  j["spec"]["completions"] = "many";
  auto job = JobFromJson(j);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().field(), "spec.completions");
}

TEST(JsonCodecTest, WrongKindIsRejected) {
  Json j = MinimalJob();
  j["kind"] = "Deployment";
  auto job = JobFromJson(j);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().field(), "kind");
}

TEST(JsonCodecTest, TaskAndNodeRoundTrip) {
  Task t;
  t.metadata.name = TaskName(42, 7, 1);
  t.spec = {42, 7, 1, "n1", {0, 1}, {0, 1, 32, 33}, 1 << 20, {0, 1 << 20}, {"Job", "render", "u-1"},
            "", {}};
  t.status.phase = TaskPhase::kFailed;
  t.status.exit_code = 3;
  t.status.usage.user_cpu_ms = 12;
  auto t2 = TaskFromJson(ToJson(t));
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(ToJson(*t2), ToJson(t));
  EXPECT_EQ(t2->spec.numa_memory_bytes, (std::vector<int64_t>{0, 1 << 20}));
  EXPECT_EQ(t.metadata.name, "42_7.1");

  Node n;
  n.metadata.name = "n1";
  n.status.phase = NodePhase::kReady;
  n.status.topology.cores = {{0, 0, 0, {0, 4}}, {1, 0, 0, {1, 5}}};
  n.status.topology.memory_bytes = 8LL << 30;
  n.status.topology.numa_os_indexes = {1};
  auto n2 = NodeFromJson(ToJson(n));
  ASSERT_TRUE(n2.ok()) << n2.status().ToString();
  EXPECT_EQ(ToJson(*n2), ToJson(n));
  EXPECT_EQ(n2->status.topology.numa_os_indexes, std::vector<int32_t>{1});
}

// What droverd stores must load again: every field set, written, read, the same.
TEST(JsonCodecTest, ADeploymentWithEveryFieldSetRoundTrips) {
  Deployment d;
  d.metadata.name = "web";
  d.metadata.uid = "u-1";
  d.metadata.labels = {{"app", "web"}};
  d.metadata.creation_time_ms = 1764172347123;
  d.generation = 4;
  d.owner = {"alice", 1000, 1000};
  DeploymentSpec& s = d.spec;
  s.replicas = 3;
  s.template_.task.command = {"python3", "-m", "http.server"};
  s.template_.task.working_dir = "/srv";
  s.template_.ports = {{"http"}};
  Probe ready;
  ready.kind = Probe::Kind::kHttpGet;
  ready.path = "/healthz";
  ready.port = "http";
  ready.period_seconds = 2;
  s.template_.readiness_probe = ready;
  Probe live;
  live.kind = Probe::Kind::kExec;
  live.command = {"true"};
  s.template_.liveness_probe = live;
  s.strategy.max_surge = {1, false};
  s.strategy.max_unavailable = {10, true};
  s.min_ready_seconds = 5;
  s.progress_deadline_seconds = 60;
  s.revision_history_limit = 3;
  s.paused = true;
  s.auto_rollback = true;
  s.max_replicas_per_node = 2;
  s.node_selector = {{"tier", "web"}};
  s.restart_backoff_seconds = 2;
  DeploymentStatus& st = d.status;
  st.observed_generation = 4;
  st.replicas = 3;
  st.updated_replicas = 2;
  st.ready_replicas = 2;
  st.available_replicas = 1;
  st.unavailable_replicas = 2;
  st.revision = 5;
  st.conditions = {
      {"Progressing", "True", "ReplicaSetUpdated", "going", 1764172347000, 1764172348000}};
  st.restart_count = 7;
  st.crash_count = 2;
  st.next_restart_ms = 1764172350000;
  st.restarts_due_ms = {1764172349000, 1764172350000};
  st.progress_started_ms = 1764172340000;
  st.complete_revision = "abcdef0123";
  auto back = DeploymentFromJson(ToJson(d));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(d));
  EXPECT_EQ(back->status, d.status);
  EXPECT_EQ(back->spec.node_selector, d.spec.node_selector);

  // And a task with every status flag droverd sets.
  Task t;
  t.metadata.name = "web-abcdef0123-x1y2z";
  t.spec.owner = {"Deployment", "web", "u-1"};
  t.spec.revision = "abcdef0123";
  t.spec.ports = {{"http", 30001}};
  t.status.phase = TaskPhase::kCancelled;
  t.status.ready = true;
  t.status.terminating = true;
  t.status.ready_since_ms = 1764172347000;
  t.status.disrupted = true;
  t.status.counted = true;
  auto t2 = TaskFromJson(ToJson(t));
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(ToJson(*t2), ToJson(t));
  EXPECT_TRUE(t2->status.terminating && t2->status.disrupted && t2->status.counted);

  // And a node an admin drained and labelled.
  Node n;
  n.metadata.name = "n1";
  n.metadata.labels = {{"tier", "gold"}};
  n.spec.unschedulable = true;
  n.spec.draining = true;
  n.status.topology.cores = {{0, 0, 0, {0}}};
  auto n2 = NodeFromJson(ToJson(n));
  ASSERT_TRUE(n2.ok()) << n2.status().ToString();
  EXPECT_TRUE(n2->spec.draining);
  EXPECT_EQ(ToJson(*n2), ToJson(n));
}

TEST(JsonCodecTest, QuantitiesAndDurations) {
  EXPECT_EQ(*ParseQuantity(Json("512Mi")), 512LL << 20);
  EXPECT_EQ(*ParseQuantity(Json("1G")), 1000000000LL);
  EXPECT_EQ(*ParseQuantity(Json(4096)), 4096);
  EXPECT_FALSE(ParseQuantity(Json("4 bananas")).ok());
  EXPECT_FALSE(ParseQuantity(Json(-1)).ok());
  EXPECT_EQ(*ParseDuration(Json("30")), 1800);  // Slurm: plain number = minutes
  EXPECT_EQ(*ParseDuration(Json(30)), 30);      // JSON integer = seconds
  EXPECT_EQ(*ParseDuration(Json("1:02:03")), 3723);
  EXPECT_EQ(*ParseDuration(Json("2-00")), 172800);
  EXPECT_FALSE(ParseDuration(Json("soon")).ok());
}

TEST(JsonCodecTest, TimesRoundTripWithMilliseconds) {
  EXPECT_EQ(FormatTime(1764172347123), "2025-11-26T15:52:27.123Z");
  EXPECT_EQ(*ParseTime("2025-11-26T15:52:27.123Z"), 1764172347123);
  EXPECT_EQ(*ParseTime("2025-11-26T15:52:27Z"), 1764172347000);
  EXPECT_FALSE(ParseTime("yesterday").ok());
}

TEST(JsonCodecTest, MalformedJsonIsAnError) {
  auto j = ParseJson("{\"a\": ");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace drover
