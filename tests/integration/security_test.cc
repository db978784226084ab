// The promises of docs/security.md, tried against a real cluster the way an
// attacker would: requests that used to crash droverd and drover-node, and a
// second, unprivileged user (made with useradd) reading, changing and
// out-prioritising what is not theirs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "tests/support/local_cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/test_users.h"

namespace drover::testing {
namespace {

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = EnsureTestUser("drover-alice");
    auto b = EnsureTestUser("drover-bob");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    alice_ = new TestUser(*a);
    bob_ = new TestUser(*b);
  }
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()); }

  std::string Socket() const { return cluster_.dir() + "/droverd.sock"; }
  Result<HttpResponse> As(const TestUser& user, const std::string& method,
                          const std::string& target, const std::string& body = "") {
    return RequestAs(user, Socket(), method, target, body);
  }
  // Submits as `user`; returns the job id (0 on failure, with a test failure).
  uint64_t SubmitAs(const TestUser& user, const Json& job) {
    auto r = As(user, "POST", "/api/v1/jobs", job.dump());
    EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
    if (!r.ok() || r->status != 201) return 0;
    return Json::parse(r->body)["metadata"]["id"].get<uint64_t>();
  }
  Json WaitDone(uint64_t id) {
    auto job = cluster_.WaitForJob(id, std::chrono::seconds(60));
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Json();
  }
  bool DroverdAlive() {
    auto r = cluster_.Client().Send("GET", "/healthz", "", std::chrono::seconds(2));
    return r.ok() && r->status == 200;
  }

  static TestUser* alice_;
  static TestUser* bob_;
  LocalCluster cluster_;
};

TestUser* SecurityTest::alice_ = nullptr;
TestUser* SecurityTest::bob_ = nullptr;

TEST_F(SecurityTest, InvalidUtf8InThePathGetsAnAnswerFromDroverdAndTheNode) {
  int droverd_port = PortOf(cluster_.tcp_endpoint());
  auto nodes = cluster_.Call("GET", "/api/v1/nodes");
  ASSERT_TRUE(nodes.ok());
  int node_port = PortOf((*nodes)["items"][0]["status"]["address"].get<std::string>());
  for (int port : {droverd_port, node_port}) {
    for (const char* path : {"/%FF", "/\xFF", "/api/v1/jobs/%FF%FE", "/logs/%FF"}) {
      std::string response =
          RawExchange(port, std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
      int status = StatusOf(response);
      EXPECT_TRUE(status == 400 || status == 401 || status == 404)
          << "port " << port << " path " << path << ": " << response;
    }
    // And it still serves.
    EXPECT_EQ(StatusOf(RawExchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200)
        << "port " << port;
  }
}

TEST_F(SecurityTest, BodiesThatUsedToCrashDroverdAre400) {
  HttpClient admin(cluster_.tcp_endpoint(), cluster_.admin_token());
  std::string job = ShellJob("x", "true").dump();
  std::string bad_utf8 = job;
  bad_utf8.replace(bad_utf8.find("\"x\""), 3, "\"\xFF\xFE\"");
  std::string huge_number = job;
  huge_number.replace(huge_number.find("\"completions\":1"), 15, "\"completions\":1e400");
  std::string deep = R"({"apiVersion":"drover.io/v1","kind":"Job","spec":{"template":{"command":)" +
                     std::string(100'000, '[') + std::string(100'000, ']') + "}}}";
  std::string duplicate = R"({"apiVersion":"drover.io/v1","kind":"Job","kind":"Job","spec":{}})";
  for (const std::string* body : {&bad_utf8, &huge_number, &deep, &duplicate}) {
    auto r = admin.Send("POST", "/api/v1/jobs", *body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 400) << r->body;
    Json error;
    EXPECT_NO_THROW(error = Json::parse(r->body)) << "the error is valid JSON";
  }
  EXPECT_TRUE(DroverdAlive());
  EXPECT_EQ((*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(), 0u);
}

TEST_F(SecurityTest, ValuesAreValidatedNotCoerced) {
  struct Case {
    const char* what;
    std::string field;  // JSON pointer into the job
    Json value;
    const char* error_field;
  };
  const Case cases[] = {
      {"a string for an integer", "/spec/completions", "5", "spec.completions"},
      {"a float for an integer", "/spec/completions", 2.0, "spec.completions"},
      {"2^63", "/spec/completions", 9223372036854775808ULL, "spec.completions"},
      {"a negative parallelism", "/spec/parallelism", -1, "spec.parallelism"},
      {"an impossible date", "/spec/beginTime", "2026-13-45T99:99:99Z", "spec.beginTime"},
      {"February 30th", "/spec/beginTime", "2027-02-30T00:00:00Z", "spec.beginTime"},
      {"a NUL byte", "/spec/template/command/2", std::string("tr\0ue", 5),
       "spec.template.command[2]"},
      {"an unknown queue", "/spec/queue", "nosuchqueue", "spec.queue"},
  };
  for (const Case& c : cases) {
    Json job = ShellJob("coerce", "true");
    job[Json::json_pointer(c.field)] = c.value;
    auto r = cluster_.Submit(job);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(r.status().field(), c.error_field) << c.what << ": " << r.status().ToString();
  }
  EXPECT_EQ((*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(), 0u);
}

TEST_F(SecurityTest, QueryParametersAreValidated) {
  for (const char* target :
       {"/api/v1/jobs?limit=abc", "/api/v1/jobs?limit=0", "/api/v1/jobs?limit=-1",
        "/api/v1/jobs?bogus=1", "/api/v1/jobs/1/logs?offset=1e3", "/api/v1/jobs/1/tasks?index=x"}) {
    auto r = cluster_.Call("GET", target);
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << target;
  }
  auto one = cluster_.Call("GET", "/api/v1/jobs?limit=1");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
}

TEST_F(SecurityTest, OutputPathOfAnotherUsersFileYieldsNothingThroughLogs) {
  // As alice, ask for /etc/shadow as output: the task cannot open it (it runs
  // as alice), and the logs route must not open it for her either.
  Json job = ShellJob("shadow", "echo hi");
  job["spec"]["template"]["stdout"] = "/etc/shadow";
  uint64_t id = SubmitAs(*alice_, job);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(WaitDone(id)["status"]["phase"], "Failed");
  auto logs = As(*alice_, "GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0");
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(logs->status, 403) << logs->body;
  EXPECT_EQ(logs->body.find("root:"), std::string::npos) << "shadow leaked: " << logs->body;
}

TEST_F(SecurityTest, LogSwappedForASymlinkAfterTheTaskEndedIsRefused) {
  const std::string out = alice_->home + "/swap-" + std::to_string(getpid()) + ".out";
  Json job = ShellJob("swap", "echo mine");
  job["spec"]["template"]["stdout"] = out;
  uint64_t id = SubmitAs(*alice_, job);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(WaitDone(id)["status"]["phase"], "Succeeded");
  const std::string target = "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0";
  auto before = As(*alice_, "GET", target);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->status, 200);
  EXPECT_EQ(before->body, "mine\n") << "the owner reads her own log";
  auto swapped = RunAs(*alice_, {"ln", "-sf", "/etc/shadow", out});
  ASSERT_TRUE(swapped.ok() && swapped->exit_code == 0) << (swapped.ok() ? swapped->out : "");
  auto after = As(*alice_, "GET", target);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 403) << after->body;
  EXPECT_EQ(after->body.find("root:"), std::string::npos) << "shadow leaked: " << after->body;
  std::remove(out.c_str());
}

TEST_F(SecurityTest, LogsAreForTheOwnerAndAdminsOnly) {
  uint64_t id = SubmitAs(*alice_, ShellJob("private", "echo alice-only"));
  ASSERT_NE(id, 0u);
  EXPECT_EQ(WaitDone(id)["status"]["phase"], "Succeeded");
  const std::string target = "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0";
  auto bob = As(*bob_, "GET", target);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->status, 403) << bob->body;
  EXPECT_EQ(bob->body.find("alice-only"), std::string::npos);
  auto admin = cluster_.Call("GET", target);
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  EXPECT_EQ(admin->get<std::string>(), "alice-only\n");
}

TEST_F(SecurityTest, UsersMayLowerTheirPriorityButNotRaiseIt) {
  Json raised = ShellJob("raised", "true");
  raised["spec"]["priority"] = 1000000;
  Json negative_nice = ShellJob("rude", "true");
  negative_nice["spec"]["nice"] = -100;
  for (const Json* job : {&raised, &negative_nice}) {
    auto r = As(*alice_, "POST", "/api/v1/jobs", job->dump());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 403) << r->body;
  }
  EXPECT_EQ((*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(), 0u);
  Json nice = ShellJob("nice", "true");
  nice["spec"]["nice"] = 100;
  uint64_t id = SubmitAs(*alice_, nice);
  ASSERT_NE(id, 0u);
  // An admin may set either.
  auto admin = cluster_.Submit(raised);
  EXPECT_TRUE(admin.ok()) << admin.status().ToString();
}

TEST_F(SecurityTest, AnotherUserCannotCancelHoldOrReleaseAJob) {
  Json job = ShellJob("held", "true");
  job["spec"]["hold"] = true;
  uint64_t id = SubmitAs(*alice_, job);
  ASSERT_NE(id, 0u);
  for (const char* verb : {"cancel", "release", "hold"}) {
    auto r = As(*bob_, "POST", "/api/v1/jobs/" + std::to_string(id) + "/" + verb);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 403) << verb << ": " << r->body;
  }
  auto after = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id));
  EXPECT_EQ((*after)["status"]["phase"], "Pending");
  EXPECT_EQ((*after)["spec"]["hold"], true);
  auto owner = As(*alice_, "POST", "/api/v1/jobs/" + std::to_string(id) + "/cancel");
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->status, 200) << owner->body;
}

TEST_F(SecurityTest, ANodeCredentialDrivesOnlyItsOwnNode) {
  HttpClient node1(cluster_.tcp_endpoint(), cluster_.node_token(0));
  auto submit = node1.Send("POST", "/api/v1/jobs", ShellJob("from-node", "true").dump());
  ASSERT_TRUE(submit.ok());
  EXPECT_EQ(submit->status, 403) << submit->body;
  auto list = node1.Send("GET", "/api/v1/jobs", "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->status, 403) << list->body;
  auto other =
      node1.Send("GET", "/api/v1/nodes/" + cluster_.node_name(1) + "/assignments?timeoutMs=0", "");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 403) << other->body;
  auto own =
      node1.Send("GET", "/api/v1/nodes/" + cluster_.node_name(0) + "/assignments?timeoutMs=0", "");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->status, 200) << own->body;
  EXPECT_EQ((*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(), 0u);
}

TEST_F(SecurityTest, TasksRunAsTheirSubmitter) {
  uint64_t id = SubmitAs(*bob_, ShellJob("whoami", "id -u"));
  ASSERT_NE(id, 0u);
  EXPECT_EQ(WaitDone(id)["status"]["phase"], "Succeeded");
  auto logs = cluster_.Call("GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0");
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->get<std::string>(), std::to_string(bob_->uid) + "\n");
}

TEST(QueueAccessTest, ARestrictedQueueRefusesEveryoneItDoesNotName) {
  auto alice = EnsureTestUser("drover-alice");
  auto bob = EnsureTestUser("drover-bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  LocalClusterOptions options;
  options.nodes = 1;
  // useradd gives each user a group of its own name: allowGroups is checked
  // against the real group database.
  options.config =
      "scheduler:\n  queues:\n"
      "    - {name: urgent, priority: 10, allowGroups: [drover-alice]}\n"
      "    - {name: bobs, allowUsers: [drover-bob]}\n"
      "    - {name: batch}\n";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string socket = cluster.dir() + "/droverd.sock";
  auto submit = [&](const TestUser& who, const std::string& queue) {
    Json job = ShellJob("q", "true");
    job["spec"]["queue"] = queue;
    auto r = RequestAs(who, socket, "POST", "/api/v1/jobs", job.dump());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  };
  EXPECT_EQ(submit(*alice, "urgent").status, 201);
  HttpResponse refused = submit(*bob, "urgent");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("drover-alice"), std::string::npos) << refused.body;
  EXPECT_EQ(submit(*bob, "bobs").status, 201);
  EXPECT_EQ(submit(*alice, "bobs").status, 403);
  EXPECT_EQ(submit(*bob, "batch").status, 201);
  // A bulk submission with one refused item adds nothing.
  Json good = ShellJob("ok", "true");
  good["spec"]["queue"] = "batch";
  Json bad = ShellJob("no", "true");
  bad["spec"]["queue"] = "urgent";
  auto bulk = RequestAs(*bob, socket, "POST", "/api/v1/jobs/bulk",
                        Json{{"items", Json::array({good, bad})}}.dump());
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk->status, 403) << bulk->body;
  EXPECT_NE(bulk->body.find("items[1]"), std::string::npos) << bulk->body;
  // Admins may use any queue.
  Json urgent = ShellJob("admin", "true");
  urgent["spec"]["queue"] = "urgent";
  EXPECT_TRUE(cluster.Submit(urgent).ok());
  EXPECT_EQ((*cluster.Call("GET", "/api/v1/jobs"))["items"].size(), 4u);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(IssuedTokenTest, IssuedAndRevokedTokensSurviveARestartOfDroverd) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  auto made = cluster.Call("POST", "/api/v1/tokens",
                           Json{{"user", "someone"}, {"uid", 4242}, {"gid", 4242}});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const std::string secret = (*made)["token"];
  const std::string id = (*made)["id"];
  auto listed = cluster.Call("GET", "/api/v1/tokens");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->dump().find(secret), std::string::npos) << "secrets are never listed";
  // Refused shapes change nothing.
  for (const Json& bad :
       {Json{{"user", "x"}, {"uid", 0}, {"gid", 0}},
        Json{{"user", "x"}, {"role", "node"}, {"uid", 5}, {"gid", 5}},
        Json{{"user", "no-such-account-here"}}, Json{{"role", "join"}, {"ttl", -5}},
        Json{{"role", "join"}, {"ttl", "soon"}}, Json{{"role", "join"}, {"user", "x"}},
        Json{{"role", "node"}},
        Json{{"role", "user"}, {"user", "x"}, {"uid", 5}, {"gid", 5}, {"node", "n1"}},
        Json{{"role", "root"}}}) {
    auto r = cluster.Call("POST", "/api/v1/tokens", bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad.dump();
  }
  EXPECT_EQ((*cluster.Call("GET", "/api/v1/tokens"))["items"].size(), 1u);

  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/true).ok());
  HttpClient as_someone(cluster.tcp_endpoint(), secret);
  auto r = as_someone.Send("POST", "/api/v1/jobs", ShellJob("mine", "true").dump());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Json::parse(r->body)["metadata"]["owner"]["uid"], 4242);
  auto forbidden = as_someone.Send("GET", "/api/v1/tokens", "");
  EXPECT_EQ(forbidden->status, 403);

  ASSERT_TRUE(cluster.Call("DELETE", "/api/v1/tokens/" + id).ok());
  EXPECT_EQ(as_someone.Send("GET", "/api/v1/jobs", "")->status, 401);
  ASSERT_TRUE(cluster.RestartDroverd(/*hard=*/true).ok());
  EXPECT_EQ(as_someone.Send("GET", "/api/v1/jobs", "")->status, 401);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

// Every mutating endpoint, tried by the owner, another real user, an admin, a
// node credential and nobody: each gets what docs/security.md says, and a
// refused request changes nothing.
TEST_F(SecurityTest, EachCallerGetsExactlyWhatTheRulesSayOfEveryMutatingEndpoint) {
  enum Who { kOwner, kOther, kAdmin, kNode, kNobody };
  auto send = [&](Who who, const std::string& method, const std::string& target,
                  const std::string& body) -> int {
    if (who == kOwner || who == kOther) {
      auto r = As(who == kOwner ? *alice_ : *bob_, method, target, body);
      return r.ok() ? r->status : -1;
    }
    HttpClient client = who == kAdmin  ? cluster_.Client()
                        : who == kNode ? HttpClient(cluster_.tcp_endpoint(), cluster_.node_token(0))
                                       : HttpClient(cluster_.tcp_endpoint());
    auto r = client.Send(method, target, body);
    return r.ok() ? r->status : -1;
  };
  Json held = ShellJob("held", "true");
  held["spec"]["hold"] = true;
  uint64_t id = SubmitAs(*alice_, held);
  ASSERT_NE(id, 0u);
  const std::string job = "/api/v1/jobs/" + std::to_string(id);
  const std::string one = ShellJob("one", "true").dump();
  const std::string bulk = Json{{"items", {ShellJob("b", "true")}}}.dump();
  const std::string token = Json{{"user", "x"}, {"uid", 5000}, {"gid", 5000}}.dump();
  const std::string reports = Json{{"reports", Json::array()}}.dump();
  const std::string node_status = "/api/v1/nodes/" + cluster_.node_name(0) + "/status";
  struct Row {
    std::string method, target, body;
    int expect[5];  // owner, other, admin, node, nobody
  };
  // Refusals first, so the state each row sees is the one before it.
  const Row rows[] = {
      {"POST", "/api/v1/jobs", one, {201, 201, 201, 403, 401}},
      {"POST", "/api/v1/jobs/bulk", bulk, {201, 201, 201, 403, 401}},
      {"POST", job + "/release", "", {-2, 403, -2, 403, 401}},  // a release would start it
      {"POST", job + "/hold", "", {200, 403, 200, 403, 401}},
      {"POST", "/api/v1/tokens", token, {403, 403, 201, 403, 401}},
      {"DELETE", "/api/v1/tokens/0000000000000000", "", {403, 403, 404, 403, 401}},
      {"POST", node_status, reports, {403, 403, 200, 200, 401}},
      {"POST", job + "/cancel", "", {-2, 403, -2, 403, 401}},
  };
  for (const Row& row : rows) {
    for (Who who : {kOther, kNode, kNobody, kOwner, kAdmin}) {
      if (row.expect[who] == -2) continue;  // tried by the owner below, once
      EXPECT_EQ(send(who, row.method, row.target, row.body), row.expect[who])
          << row.method << " " << row.target << " as caller " << who;
    }
    auto after = cluster_.Call("GET", job);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ((*after)["status"]["phase"], "Pending") << "refusals change nothing: " << row.target;
    EXPECT_EQ((*after)["spec"]["hold"], true) << row.target;
  }
  // The owner's own cancel, last (a release would let the job run and end).
  EXPECT_EQ(send(kOwner, "POST", job + "/cancel", ""), 200);
  EXPECT_EQ((*cluster_.Call("GET", job))["status"]["phase"], "Cancelled");
  // Three single submissions and three bulk ones got through, besides the held job.
  EXPECT_EQ((*cluster_.Call("GET", "/api/v1/jobs"))["items"].size(), 7u);
}

}  // namespace
}  // namespace drover::testing
