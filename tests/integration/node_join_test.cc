// How a node gets its credential (docs/security.md, "Node credentials"): an
// admin's join token, exchanged once for a credential bound to the node's
// name, kept by the node, revocable; and droverd's own key towards the
// nodes' log endpoints, which no node credential opens.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "executors/supervisor_client.h"
#include "tests/support/local_cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/test_files.h"

namespace drover::testing {
namespace {

class NodeJoinTest : public ::testing::Test {
 protected:
  static LocalClusterOptions Options() {
    LocalClusterOptions o;
    o.nodes = 1;
    o.join_nodes = true;
    return o;
  }
  NodeJoinTest() : cluster_(Options()) {}
  void SetUp() override {
    Status st = cluster_.Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // A request over TCP with `token` as the bearer.
  Result<HttpResponse> With(const std::string& token, const std::string& method,
                            const std::string& target, const std::string& body = "") {
    HttpClient client(cluster_.tcp_endpoint(), token);
    return client.Send(method, target, body);
  }
  int StatusWith(const std::string& token, const std::string& method, const std::string& target,
                 const std::string& body = "") {
    auto r = With(token, method, target, body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : 0;
  }
  // Whether `token` may poll node-1's assignments. The node's own agent
  // polls too, and a newer poll answers an older one 409 (superseded): that
  // answer, like 200, comes only after the credential was accepted.
  bool MayPollNode1(const std::string& token) {
    const int status = StatusWith(token, "GET", "/api/v1/nodes/node-1/assignments?timeoutMs=0");
    EXPECT_TRUE(status == 200 || status == 409) << status;
    return status == 200 || status == 409;
  }
  // The id of the issued credential of node `name`, or "".
  std::string CredentialIdOf(const std::string& name) {
    auto list = cluster_.Call("GET", "/api/v1/tokens");
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return "";
    for (const Json& t : (*list)["items"]) {
      if (t["role"] == "node" && t.value("node", "") == name) return t["id"].get<std::string>();
    }
    return "";
  }
  Json RunJob(const std::string& script) {
    auto submitted = cluster_.Submit(ShellJob("j", script));
    EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
    if (!submitted.ok()) return Json();
    auto job = cluster_.WaitForJob((*submitted)["metadata"]["id"].get<uint64_t>(),
                                   std::chrono::seconds(30));
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Json();
  }

  LocalCluster cluster_;
};

TEST_F(NodeJoinTest, ANodeJoinsWithAJoinTokenAndWorksWithTheCredentialItGot) {
  const std::string credential = cluster_.node_token(0);
  ASSERT_EQ(credential.size(), 64u);
  // Kept for the node's user only.
  struct stat st {};
  ASSERT_EQ(::stat((cluster_.dir() + "/node-1/node.credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(CredentialIdOf("node-1"), "");
  // The node runs work, and droverd reads its logs (with its own key).
  Json job = RunJob("echo joined-and-running");
  EXPECT_EQ(job["status"]["phase"], "Succeeded") << job.dump();
  auto logs = cluster_.Client().Send(
      "GET", "/api/v1/jobs/" + std::to_string(job["metadata"]["id"].get<uint64_t>()) + "/logs");
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->status, 200) << logs->body;
  EXPECT_NE(logs->body.find("joined-and-running"), std::string::npos) << logs->body;
  // The credential acts only as node-1.
  EXPECT_EQ(StatusWith(credential, "GET", "/api/v1/nodes/node-2/assignments?timeoutMs=0"), 403);
  EXPECT_EQ(StatusWith(credential, "POST", "/api/v1/jobs", ShellJob("x", "true").dump()), 403);
}

TEST_F(NodeJoinTest, AJoinTokenIsGoodForJoiningAndNothingElse) {
  const std::string join = cluster_.join_token();
  EXPECT_EQ(StatusWith(join, "POST", "/api/v1/jobs", ShellJob("x", "true").dump()), 403);
  EXPECT_EQ(StatusWith(join, "GET", "/api/v1/jobs"), 403);
  EXPECT_EQ(StatusWith(join, "GET", "/api/v1/tokens"), 403);
  EXPECT_EQ(StatusWith(join, "POST", "/api/v1/tokens", R"({"role":"join"})"), 403);
  EXPECT_EQ(StatusWith(join, "GET", "/api/v1/nodes/node-1/assignments?timeoutMs=0"), 403);
  // It cannot take over a node that has joined...
  auto again = With(join, "POST", "/api/v1/nodes/node-1/join");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409) << again->body;
  EXPECT_NE(again->body.find("revoke"), std::string::npos) << again->body;
  // ...but a new node joins with it, once.
  auto fresh = With(join, "POST", "/api/v1/nodes/node-9/join");
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->status, 201) << fresh->body;
  Json issued = Json::parse(fresh->body);
  EXPECT_EQ(issued["node"], "node-9");
  EXPECT_EQ(issued["role"], "node");
  EXPECT_EQ(StatusWith(join, "POST", "/api/v1/nodes/node-9/join"), 409);
  // A bad name is refused with the rule.
  auto bad = With(join, "POST", "/api/v1/nodes/-starts-with-a-dash/join");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400) << bad->body;
}

TEST_F(NodeJoinTest, ARevokedCredentialShutsTheNodeOutAndFreesItsName) {
  const std::string credential = cluster_.node_token(0);
  const std::string id = CredentialIdOf("node-1");
  ASSERT_NE(id, "");
  EXPECT_TRUE(MayPollNode1(credential));
  auto revoked = cluster_.Call("DELETE", "/api/v1/tokens/" + id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(StatusWith(credential, "GET", "/api/v1/nodes/node-1/assignments?timeoutMs=0"), 401);
  EXPECT_EQ(StatusWith(credential, "POST", "/api/v1/nodes/node-1/status", R"({"reports":[]})"),
            401);
  // The name may join again, and the new credential works.
  auto rejoined = With(cluster_.join_token(), "POST", "/api/v1/nodes/node-1/join");
  ASSERT_TRUE(rejoined.ok());
  ASSERT_EQ(rejoined->status, 201) << rejoined->body;
  const std::string fresh = Json::parse(rejoined->body)["token"].get<std::string>();
  EXPECT_NE(fresh, credential);
  EXPECT_TRUE(MayPollNode1(fresh));
}

TEST_F(NodeJoinTest, ARestartedNodeUsesTheCredentialItKeptNotTheJoinToken) {
  // Revoke every join token: the node must not need one again.
  auto list = cluster_.Call("GET", "/api/v1/tokens");
  ASSERT_TRUE(list.ok());
  for (const Json& t : (*list)["items"]) {
    if (t["role"] == "join") {
      ASSERT_TRUE(cluster_.Call("DELETE", "/api/v1/tokens/" + t["id"].get<std::string>()).ok());
    }
  }
  EXPECT_EQ(StatusWith(cluster_.join_token(), "POST", "/api/v1/nodes/node-5/join"), 401);
  Status restarted = cluster_.RestartNodeAgent(0);
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  Json job = RunJob("echo after-restart");
  EXPECT_EQ(job["status"]["phase"], "Succeeded") << job.dump();
}

TEST_F(NodeJoinTest, DroverdStillReadsLogsFromItsNodesAfterARestart) {
  // The nodes learnt the control-plane key's hash before the restart and do
  // not register again: droverd must come back with the same key.
  Json job = RunJob("echo before-the-restart");
  ASSERT_EQ(job["status"]["phase"], "Succeeded") << job.dump();
  ASSERT_TRUE(cluster_.RestartDroverd(/*hard=*/true).ok());
  auto logs = cluster_.Client().Send(
      "GET", "/api/v1/jobs/" + std::to_string(job["metadata"]["id"].get<uint64_t>()) + "/logs");
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->status, 200) << logs->body;
  EXPECT_NE(logs->body.find("before-the-restart"), std::string::npos) << logs->body;
}

TEST_F(NodeJoinTest, NoNodeCredentialOpensANodesLogEndpoint) {
  Json job = RunJob("echo secret-output");
  ASSERT_EQ(job["status"]["phase"], "Succeeded") << job.dump();
  auto node = cluster_.Call("GET", "/api/v1/nodes/node-1");
  ASSERT_TRUE(node.ok());
  const int port = PortOf((*node)["status"]["address"].get<std::string>());
  auto tasks = cluster_.Call(
      "GET", "/api/v1/jobs/" + std::to_string(job["metadata"]["id"].get<uint64_t>()) + "/tasks");
  ASSERT_TRUE(tasks.ok());
  const std::string task = (*tasks)["items"][0]["metadata"]["name"].get<std::string>();
  // The node's own credential, the join token, no token: all refused.
  for (const std::string& token : {cluster_.node_token(0), cluster_.join_token(), std::string()}) {
    std::string head = "GET /logs/" + task + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
    std::string answer = RawExchange(port, head + "\r\n");
    EXPECT_EQ(StatusOf(answer), 401) << answer;
    EXPECT_EQ(answer.find("secret-output"), std::string::npos) << answer;
  }
}

TEST_F(NodeJoinTest, AJoinTokenStopsWorkingWhenItsTimeIsUp) {
  auto made = cluster_.Call("POST", "/api/v1/tokens", Json{{"role", "join"}, {"ttl", 1}});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(made->contains("expires"));
  const std::string join = (*made)["token"].get<std::string>();
  // Refused once a second has passed (and never before it was made).
  int status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       std::chrono::steady_clock::now() < deadline;) {
    status = StatusWith(join, "GET", "/api/v1/jobs");
    if (status == 401) break;
    EXPECT_EQ(status, 403);  // a live join token: known, but not for this route
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(StatusWith(join, "POST", "/api/v1/nodes/node-7/join"), 401);
}

TEST(NodeJoinRefusalTest, ANodeWithNoCredentialAndNoJoinTokenSaysWhatItNeeds) {
  LocalClusterOptions options;
  options.nodes = 0;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  std::string out = cluster.dir() + "/lonely.out";
  std::string cmd = BinDir() + "/drover-node --server " + cluster.tcp_endpoint() +
                    " --name lonely --topology 'synthetic:package:1 core:1 pu:1' --state-dir " +
                    cluster.dir() + "/lonely > " + out + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_NE(rc, 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("--join-token-file"), std::string::npos) << text;
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

// A second drover-node under a live node's name (a cloned machine: same name,
// same credential, its own state) is refused and exits, naming the conflict;
// the first goes on running its work.
TEST(DuplicateNodeTest, ASecondAgentUnderALiveNodesNameIsRefusedAndTheFirstKeepsWorking) {
  LocalClusterOptions options;
  options.nodes = 1;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << cluster.dir();
  const std::string clone_dir = cluster.dir() + "/clone";
  const std::string command = "timeout 60 " + BinDir() + "/drover-node --server " +
                              cluster.tcp_endpoint() + " --token-file " + cluster.dir() + "/" +
                              cluster.node_name(0) + ".token --name " + cluster.node_name(0) +
                              " --topology 'synthetic:package:1 core:4 pu:1' --state-dir " +
                              clone_dir + " > " + cluster.dir() + "/clone.log 2>&1";
  const int rc = std::system(command.c_str());
  // The clone started a supervisor of its own before it was refused.
  if (auto supervisor = executors::SupervisorClient::Connect(clone_dir + "/supervisor.sock");
      supervisor.ok()) {
    (void)supervisor->Shutdown(/*kill_tasks=*/true);
  }
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1) << "exit status " << rc;
  const std::string log = ReadFile(cluster.dir() + "/clone.log");
  EXPECT_NE(log.find("is held by another live agent"), std::string::npos) << log;

  auto job = cluster.Submit(ShellJob("after-clone", "true"));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  auto done = cluster.WaitForJob((*job)["metadata"]["id"], std::chrono::seconds(30));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
}

}  // namespace
}  // namespace drover::testing
