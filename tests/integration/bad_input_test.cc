// Bad input gets a clear error naming the problem and changes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/local_cluster.h"

namespace drover::testing {
namespace {

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()); }
  size_t JobCount() { return (*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(); }
  LocalCluster cluster_;
};

TEST_F(BadInputTest, InvalidJobsAreRefusedWithTheirFieldAndChangeNothing) {
  struct Case {
    const char* what;
    Json job;
    StatusCode code;
    const char* field;
  };
  Json negative = ShellJob("neg", "true");
  negative["spec"]["completions"] = -3;
  Json unknown = ShellJob("unk", "true");
  unknown["spec"]["template"]["gpus"] = 1;
  Json huge = ShellJob("huge", "true");
  huge["spec"]["template"]["resources"]["cpus"] = 64;
  Json fat = ShellJob("fat", "true");
  fat["spec"]["template"]["resources"]["memory"] = "100Ti";
  Json gang = ShellJob("gang", "true", 100, 100);
  gang["spec"]["gang"] = true;
  const Case cases[] = {
      {"negative count", negative, StatusCode::kInvalidArgument, "spec.completions"},
      {"unknown field", unknown, StatusCode::kInvalidArgument, "spec.template.gpus"},
      {"more cpus than any node", huge, StatusCode::kUnschedulable, "spec.template.resources.cpus"},
      {"more memory than any node", fat, StatusCode::kUnschedulable,
       "spec.template.resources.memory"},
      {"gang wider than the cluster", gang, StatusCode::kUnschedulable, "spec.parallelism"},
  };
  for (const Case& c : cases) {
    auto r = cluster_.Submit(c.job);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), c.code) << c.what << ": " << r.status().ToString();
    EXPECT_EQ(r.status().field(), c.field) << c.what;
  }
  EXPECT_EQ(JobCount(), 0u);
}

TEST_F(BadInputTest, InvalidWorkloadsAreRefusedWithTheirFieldAndChangeNothing) {
  auto object = [](const char* kind, Json spec) {
    if (!spec.contains("template")) spec["template"] = {{"command", {"/bin/sleep", "600"}}};
    return Json{{"apiVersion", "drover.io/v1"},
                {"kind", kind},
                {"metadata", {{"name", "w"}}},
                {"spec", std::move(spec)}};
  };
  struct Case {
    const char* what;
    const char* path;
    Json body;
    const char* field;
  };
  const Case cases[] = {
      {"a selector no node matches", "/api/v1/statefulsets/w",
       object("StatefulSet", {{"nodeSelector", {{"tier", "gpu"}}}}), "spec.nodeSelector"},
      {"an ordinal volume outside the allowed roots", "/api/v1/statefulsets/w",
       object("StatefulSet",
              {{"volumeTemplates", {{{"name", "data"}, {"kind", "Shared"}, {"path", "/etc"}}}}}),
       "spec.volumeTemplates[0].path"},
      {"a partition larger than replicas", "/api/v1/statefulsets/w",
       object("StatefulSet",
              {{"replicas", 2}, {"updateStrategy", {{"rollingUpdate", {{"partition", 5}}}}}}),
       "spec.updateStrategy.rollingUpdate.partition"},
      {"a malformed nodeSelector", "/api/v1/daemonsets/w",
       object("DaemonSet", {{"nodeSelector", {{"bad key!", "x"}}}}), "spec.nodeSelector.bad key!"},
      {"a DaemonSet too big for every node", "/api/v1/daemonsets/w",
       object("DaemonSet",
              {{"template", {{"command", {"/bin/true"}}, {"resources", {{"cpus", 64}}}}}}),
       "spec.template.resources.cpus"},
  };
  for (const Case& c : cases) {
    auto r = cluster_.Call("PUT", c.path, c.body);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().field(), c.field) << c.what << ": " << r.status().ToString();
  }
  EXPECT_TRUE((*cluster_.Call("GET", "/api/v1/statefulsets"))["items"].empty());
  EXPECT_TRUE((*cluster_.Call("GET", "/api/v1/daemonsets"))["items"].empty());
  // A label that is not a valid key.
  auto label = cluster_.Call("POST", "/api/v1/nodes/" + cluster_.node_name(0) + "/labels",
                             Json{{"labels", {{"-bad", "x"}}}});
  ASSERT_FALSE(label.ok());
  EXPECT_EQ(label.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(label.status().ToString().find("-bad"), std::string::npos) << label.status().ToString();
}

TEST_F(BadInputTest, MalformedBodiesAndUnknownJobs) {
  HttpClient client = cluster_.Client();
  auto r = client.Send("POST", "/api/v1/jobs", "{not json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(cluster_.Call("GET", "/api/v1/jobs/999999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cluster_.Call("POST", "/api/v1/jobs/999999/cancel").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(cluster_.Call("GET", "/api/v1/jobs/abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(JobCount(), 0u);
}

TEST_F(BadInputTest, BulkSubmitIsAllOrNothing) {
  Json bad = ShellJob("bad", "true");
  bad["spec"]["parallelism"] = 0;
  auto r =
      cluster_.Call("POST", "/api/v1/jobs/bulk",
                    Json{{"items", {ShellJob("ok-1", "true"), bad, ShellJob("ok-2", "true")}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "items[1].spec.parallelism");
  EXPECT_EQ(JobCount(), 0u);
}

TEST_F(BadInputTest, GarbageAndStaleNodeReportsCannotCorruptAJob) {
  auto job = cluster_.Submit(ShellJob("victim", "true", 2, 2));
  ASSERT_TRUE(job.ok());
  uint64_t id = (*job)["metadata"]["id"];
  ASSERT_EQ((*cluster_.WaitForJob(id, std::chrono::seconds(60)))["status"]["phase"], "Succeeded");
  auto tasks = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/tasks");
  std::string task = (*tasks)["items"][0]["metadata"]["name"];
  std::string node = (*tasks)["items"][0]["spec"]["node"];
  std::string other = node == "node-1" ? "node-2" : "node-1";

  HttpClient as_node(cluster_.tcp_endpoint(), cluster_.node_token(node == "node-1" ? 0 : 1));
  HttpClient as_other(cluster_.tcp_endpoint(), cluster_.node_token(node == "node-1" ? 1 : 0));
  // Not JSON at all.
  auto r = as_node.Send("POST", "/api/v1/nodes/" + node + "/status", "\x01\x02garbage");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  // Well-formed but wrong: a stale failure of a finished task, a report from
  // the wrong node, an unknown task, a bad phase.
  Json reports = {{"reports",
                   {{{"task", task}, {"phase", "Failed"}, {"exitCode", 9}},
                    {{"task", "999_0.0"}, {"phase", "Failed"}},
                    {{"task", task}, {"phase", "Exploded"}},
                    {{"phase", "Running"}}}}};
  r = as_node.Send("POST", "/api/v1/nodes/" + node + "/status", reports.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  auto answer = Json::parse(r->body);
  EXPECT_EQ(answer["rejected"].size(), 3u) << answer.dump();
  // A heartbeat's list of running tasks must be a list of names.
  for (const Json& running : {Json{{"running", 5}}, Json{{"running", {"ok", 7}}}}) {
    r = as_node.Send("POST", "/api/v1/nodes/" + node + "/status", running.dump());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << running.dump();
    EXPECT_NE(r->body.find("running"), std::string::npos) << r->body;
  }
  // The other node, with its own credential, cannot report this node's task.
  r = as_other.Send("POST", "/api/v1/nodes/" + other + "/status",
                    Json{{"reports", {{{"task", task}, {"phase", "Running"}}}}}.dump());
  EXPECT_EQ(Json::parse(r->body)["rejected"].size(), 1u);
  // Nor can it speak for this node: its credential is bound to its own name.
  r = as_other.Send("POST", "/api/v1/nodes/" + node + "/status", reports.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403) << r->body;
  // Without the node token, nothing.
  HttpClient anonymous(cluster_.tcp_endpoint());
  r = anonymous.Send("POST", "/api/v1/nodes/" + node + "/status", reports.dump());
  EXPECT_EQ(r->status, 401);

  auto after = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id));
  EXPECT_EQ((*after)["status"]["phase"], "Succeeded");
  EXPECT_EQ((*after)["status"]["failed"], 0);
  EXPECT_EQ((*after)["status"]["succeeded"], 2);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(DroverdStartupTest, BadConfigurationStopsDroverdNamingTheField) {
  std::string dir = ::testing::TempDir() + "/drover-badconfig";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/droverd.yaml") << "scheduler:\n  policy: lottery\n";
  std::string cmd = BinDir() + "/droverd --state-dir " + dir + " --listen 127.0.0.1:0 --config " +
                    dir + "/droverd.yaml 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("scheduler.policy"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drover::testing
