// Deployments on real droverd, drover-node, supervisors and real servers
// (python3 -m http.server): the seed's "a machine dies, no downtime"
// scenario with default settings, rolling updates sampled against
// Kubernetes' invariants, crash-loop back-off, probes, deadlines and
// rollback, and bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/local_cluster.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

Result<Json> Apply(const LocalCluster& cluster, const Json& deployment) {
  return cluster.Call("PUT",
                      "/api/v1/deployments/" + deployment["metadata"]["name"].get<std::string>(),
                      deployment);
}

Json Endpoints(const LocalCluster& cluster, const std::string& name) {
  auto e = cluster.Call("GET", "/api/v1/endpoints/" + name);
  return e.ok() ? (*e)["endpoints"] : Json::array();
}

Json Tasks(const LocalCluster& cluster, const std::string& name) {
  auto t = cluster.Call("GET", "/api/v1/deployments/" + name + "/tasks");
  return t.ok() ? (*t)["items"] : Json::array();
}

Json Get(const LocalCluster& cluster, const std::string& name) {
  auto d = cluster.Call("GET", "/api/v1/deployments/" + name);
  return d.ok() ? *d : Json::object();
}

bool RolledOut(const LocalCluster& cluster, const std::string& name, int replicas) {
  Json d = Get(cluster, name);
  if (!d.contains("status")) return false;
  const Json& s = d["status"];
  return s["observedGeneration"] == d["metadata"]["generation"] &&
         s["updatedReplicas"] == replicas && s["replicas"] == replicas &&
         s["availableReplicas"] == replicas;
}

// GET / on 127.0.0.1:port; true on an HTTP 200.
bool Serves(int port) {
  HttpClient client("http://127.0.0.1:" + std::to_string(port));
  auto r = client.Send("GET", "/", "", milliseconds(1000));
  return r.ok() && r->status == 200;
}

TEST(DeploymentTest, AReplicaOnANodeThatDiesIsReadyElsewhereWithin15sAndNoRequestFails) {
  LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 0;  // the daemons' defaults: this is the promise
  options.node_heartbeat_ms = 0;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  ASSERT_TRUE(Apply(cluster, WebDeployment("web", 3)).ok());
  ASSERT_TRUE(WaitFor([&] { return Endpoints(cluster, "web").size() == 3; }, seconds(30)))
      << Tasks(cluster, "web").dump();
  std::set<std::string> nodes;
  for (const Json& e : Endpoints(cluster, "web")) nodes.insert(e["node"].get<std::string>());
  ASSERT_EQ(nodes.size(), 3u) << "one replica per node";

  // A client in front: every 50 ms a request to a ready replica, one retry on
  // another if it fails — as a load balancer following the endpoints does.
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0}, failed_after_retry{0};
  std::thread client([&] {
    size_t next = 0;
    while (!stop) {
      Json ready = Endpoints(cluster, "web");
      if (!ready.empty()) {
        const int first = ready[next % ready.size()]["port"];
        bool ok = Serves(first);
        if (!ok && ready.size() > 1) ok = Serves(ready[(next + 1) % ready.size()]["port"]);
        ++requests;
        if (!ok) ++failed_after_retry;
        ++next;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  std::this_thread::sleep_for(seconds(1));
  const auto killed_at = Clock::now();
  cluster.KillNode(0);  // agent, supervisor and the replica on it
  const bool replaced = WaitFor(
      [&] {
        Json ready = Endpoints(cluster, "web");
        int elsewhere = 0;
        for (const Json& e : ready) elsewhere += e["node"] != cluster.node_name(0);
        return elsewhere == 3;
      },
      seconds(30));
  const double recovery_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  std::this_thread::sleep_for(seconds(1));
  stop = true;
  client.join();
  ASSERT_TRUE(replaced) << Tasks(cluster, "web").dump();
  std::cout << "replacement ready after " << recovery_s << " s; " << requests << " requests, "
            << failed_after_retry << " failed after one retry\n";
  EXPECT_LE(recovery_s, 15.0) << "Kubernetes' defaults take about 350 s";
  EXPECT_GT(requests.load(), 100);
  EXPECT_EQ(failed_after_retry.load(), 0);
  int lost = 0;
  for (const Json& t : Tasks(cluster, "web")) lost += t["status"]["phase"] == "Lost";
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(Get(cluster, "web")["status"].value("crashCount", 0), 0)
      << "a node's death is not a crash: no back-off";
}

TEST(DeploymentTest, ARollingUpdateNeverExceedsSurgeNorDropsBelowAvailability) {
  LocalClusterOptions options;
  options.nodes = 2;
  options.node_topology = "synthetic:package:1 core:6 pu:1";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  Json web = WebDeployment("web", 4);
  web["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", 1}, {"maxUnavailable", 1}};
  ASSERT_TRUE(Apply(cluster, web).ok());
  ASSERT_TRUE(WaitFor([&] { return RolledOut(cluster, "web", 4); }, seconds(30)));
  const std::string first_revision = Tasks(cluster, "web")[0]["spec"]["revision"];

  web["spec"]["template"]["command"][2] =
      "exec python3 -m http.server --bind 127.0.0.1 --directory / $DROVER_PORT";
  auto applied = Apply(cluster, web);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ((*applied)["result"], "configured");
  int max_live = 0, min_available = 100, samples = 0;
  bool done = false;
  const auto deadline = Clock::now() + seconds(60);
  while (!done && Clock::now() < deadline) {
    int live = 0, available = 0, new_ready = 0, old_live = 0;
    for (const Json& t : Tasks(cluster, "web")) {
      const Json& st = t["status"];
      const std::string phase = st["phase"];
      if (phase != "Assigned" && phase != "Running") continue;
      if (st.value("terminating", false)) continue;
      ++live;
      const bool ready = phase == "Running" && st.value("ready", false);
      available += ready;
      if (t["spec"]["revision"] == first_revision) {
        ++old_live;
      } else {
        new_ready += ready;
      }
    }
    max_live = std::max(max_live, live);
    min_available = std::min(min_available, available);
    ++samples;
    done = new_ready == 4 && old_live == 0;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(done) << Tasks(cluster, "web").dump();
  std::cout << samples << " samples: at most " << max_live << " live, at least " << min_available
            << " available\n";
  EXPECT_LE(max_live, 4 + 1) << "replicas + maxSurge";
  EXPECT_GE(min_available, 4 - 1) << "replicas - maxUnavailable";
  // Undo restores the first template, as revision 3.
  auto undone = cluster.Call("POST", "/api/v1/deployments/web/undo", Json::object());
  ASSERT_TRUE(undone.ok()) << undone.status().ToString();
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!RolledOut(cluster, "web", 4)) return false;
        int first = 0;
        for (const Json& t : Tasks(cluster, "web")) {
          first += t["status"]["phase"] == "Running" && t["spec"]["revision"] == first_revision;
        }
        return first == 4;
      },
      seconds(60)));
  EXPECT_EQ(Get(cluster, "web")["status"]["revision"], 3);
}

TEST(DeploymentTest, ACrashLoopingReplicaBacksOffDoublingEachTime) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  const std::string starts = cluster.dir() + "/starts";
  Json crash = {{"apiVersion", "drover.io/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", "crash"}}},
                {"spec",
                 {{"replicas", 1},
                  {"restartBackoffSeconds", 1},
                  {"template",
                   {{"command", {"sh", "-c", "date +%s%N >> " + starts + "; exit 1"}},
                    {"workingDir", "/tmp"}}}}}};
  ASSERT_TRUE(Apply(cluster, crash).ok());
  bool saw_crash_loop = false;
  std::vector<int64_t> times;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& c : Get(cluster, "crash")["status"].value("conditions", Json::array())) {
          saw_crash_loop |= c["reason"] == "CrashLoopBackOff";
        }
        std::ifstream in(starts);
        times.clear();
        for (int64_t ns; in >> ns;) times.push_back(ns / 1'000'000);
        return times.size() >= 4;
      },
      seconds(30)));
  // 1, 2, 4 s apart (each at least its back-off; a start takes some ms more).
  for (size_t i = 1; i < 4; ++i) {
    const int64_t gap = times[i] - times[i - 1];
    const int64_t backoff = 1000 << (i - 1);
    EXPECT_GE(gap, backoff - 50) << "start " << i;
    EXPECT_LT(gap, backoff + 3000) << "start " << i;  // a start's own latency, on a busy machine
  }
  EXPECT_TRUE(saw_crash_loop);
  EXPECT_GE(Get(cluster, "crash")["status"]["crashCount"].get<int>(), 3);
}

TEST(DeploymentTest, AFailingLivenessProbeRestartsTheReplicaAndSaysWhy) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  // Healthy while its file exists; it removes the file after a second.
  Json sick = {
      {"apiVersion", "drover.io/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "sick"}}},
      {"spec",
       {{"replicas", 1},
        {"restartBackoffSeconds", 1},
        {"template",
         {{"command",
           {"sh", "-c",
            "touch " + cluster.dir() + "/$DROVER_TASK_NAME; sleep 1; rm " + cluster.dir() +
                "/$DROVER_TASK_NAME; exec sleep 1000"}},
          {"workingDir", "/tmp"},
          {"livenessProbe",
           {{"exec",
             {{"command", {"sh", "-c", "test -e " + cluster.dir() + "/$DROVER_TASK_NAME"}}}},
            {"initialDelaySeconds", 2},
            {"periodSeconds", 1},
            {"failureThreshold", 2}}}}}}}};
  ASSERT_TRUE(Apply(cluster, sick).ok());
  std::string message;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& t : Tasks(cluster, "sick")) {
          if (t["status"]["phase"] == "Failed") message = t["status"].value("message", "");
        }
        return !message.empty();
      },
      seconds(30)))
      << Tasks(cluster, "sick").dump();
  EXPECT_NE(message.find("liveness probe failed 2 times"), std::string::npos) << message;
  // And it runs again (after its back-off).
  ASSERT_TRUE(WaitFor(
      [&] {
        int running = 0;
        for (const Json& t : Tasks(cluster, "sick")) running += t["status"]["phase"] == "Running";
        return running == 1 && Tasks(cluster, "sick").size() >= 2;
      },
      seconds(30)));
}

TEST(DeploymentTest, ProbesResumeWhenTheNodeAgentRestartsUnderARunningReplica) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  const std::string healthy = cluster.dir() + "/healthy";
  Json d = {{"apiVersion", "drover.io/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "probed"}}},
            {"spec",
             {{"replicas", 1},
              {"template",
               {{"command", {"sh", "-c", "touch " + healthy + "; exec sleep 1000"}},
                {"workingDir", "/tmp"},
                {"livenessProbe",
                 {{"exec", {{"command", {"test", "-e", healthy}}}},
                  {"periodSeconds", 1},
                  {"failureThreshold", 2}}}}}}}};
  ASSERT_TRUE(Apply(cluster, d).ok());
  std::string name, node;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& t : Tasks(cluster, "probed")) {
          if (t["status"]["phase"] == "Running" && std::ifstream(healthy).good()) {
            name = t["metadata"]["name"];
            node = t["spec"]["node"];
          }
        }
        return !name.empty();
      },
      seconds(30)));
  // kill -9 of the agent alone: the supervisor and the replica run on, and
  // the new agent re-adopts it.
  const int index = node == cluster.node_name(0) ? 0 : 1;
  ASSERT_TRUE(cluster.RestartNodeAgent(index).ok());
  // The new agent says so once droverd has sent the replica's launch again.
  const std::string agent_log = cluster.dir() + "/" + node + ".log";
  ASSERT_TRUE(WaitFor(
      [&] {
        std::stringstream text;
        text << std::ifstream(agent_log).rdbuf();
        return text.str().find("probes of re-adopted task " + name + " resumed") !=
               std::string::npos;
      },
      seconds(30)))
      << agent_log;
  // Sick now: only a probe running in the new agent can notice.
  std::remove(healthy.c_str());
  std::string message;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& t : Tasks(cluster, "probed")) {
          if (t["metadata"]["name"] == name && t["status"]["phase"] == "Failed") {
            message = t["status"].value("message", "");
          }
        }
        return !message.empty();
      },
      seconds(30)))
      << Tasks(cluster, "probed").dump();
  EXPECT_NE(message.find("liveness probe failed"), std::string::npos) << message;
}

TEST(DeploymentTest, ARolloutThatNeverGetsReadyPassesItsDeadlineAndRollsBack) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  Json web = WebDeployment("web", 2);
  web["spec"]["progressDeadlineSeconds"] = 3;
  web["spec"]["autoRollback"] = true;
  ASSERT_TRUE(Apply(cluster, web).ok());
  ASSERT_TRUE(WaitFor([&] { return RolledOut(cluster, "web", 2); }, seconds(30)));
  Json broken = web;
  broken["spec"]["template"]["command"][2] = "exec sleep 1000";  // never listens
  ASSERT_TRUE(Apply(cluster, broken).ok());
  bool deadline_seen = false;
  int min_available = 100;
  ASSERT_TRUE(WaitFor(
      [&] {
        Json d = Get(cluster, "web");
        for (const Json& c : d["status"].value("conditions", Json::array())) {
          deadline_seen |= c["type"] == "RolledBack" && c["reason"] == "ProgressDeadlineExceeded";
        }
        min_available = std::min(min_available, d["status"]["availableReplicas"].get<int>());
        return deadline_seen && d["status"]["revision"] == 3 &&
               d["spec"]["template"]["command"][2] == web["spec"]["template"]["command"][2] &&
               RolledOut(cluster, "web", 2);
      },
      seconds(40)))
      << Get(cluster, "web")["status"].dump() << "\n"
      << Get(cluster, "web")["spec"].dump();
  EXPECT_GE(min_available, 2) << "maxUnavailable 0: the old replicas served throughout";
}

TEST(DeploymentTest, AReplicasOutputIsReadThroughDroverdByDeploymentOrByTaskName) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  Json talker = {
      {"apiVersion", "drover.io/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "talker"}}},
      {"spec",
       {{"replicas", 2},
        {"template",
         {{"command", {"sh", "-c", "echo hello from $DROVER_TASK_NAME; exec sleep 1000"}},
          {"workingDir", "/tmp"}}}}}};
  ASSERT_TRUE(Apply(cluster, talker).ok());
  ASSERT_TRUE(WaitFor([&] { return RolledOut(cluster, "talker", 2); }, seconds(30)));
  for (const Json& t : Tasks(cluster, "talker")) {
    const std::string name = t["metadata"]["name"];
    std::string text;
    ASSERT_TRUE(WaitFor(
        [&] {
          auto r = cluster.Client().Send("GET", "/api/v1/deployments/talker/logs?task=" + name);
          text = r.ok() ? r->body : "";
          return text.find("hello from " + name) != std::string::npos;
        },
        seconds(10)))
        << text;
  }
  auto missing =
      cluster.Call("GET", "/api/v1/deployments/talker/logs?task=talker-0000000000-zzzzz");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(DeploymentTest, AManifestIsAppliedWhollyOrNotAtAll) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  Json bad_job = ShellJob("after-nothing", "true");
  bad_job["spec"]["dependencies"] = {{{"type", "afterok"}, {"job", 999}}};
  auto refused =
      cluster.Call("POST", "/api/v1/apply", Json{{"items", {WebDeployment("web", 1), bad_job}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "items[1].spec.dependencies[0].job")
      << refused.status().ToString();
  EXPECT_TRUE(cluster.Call("GET", "/api/v1/deployments")->at("items").empty())
      << "the valid Deployment beside it was not applied either";
  EXPECT_TRUE(cluster.Call("GET", "/api/v1/jobs")->at("items").empty());
  auto applied =
      cluster.Call("POST", "/api/v1/apply",
                   Json{{"items", {WebDeployment("web", 1), ShellJob("render", "true")}}});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ((*applied)["items"].size(), 2u);
  EXPECT_EQ((*applied)["items"][0]["result"], "created");
  EXPECT_EQ((*applied)["items"][1]["kind"], "Job");
  EXPECT_GT((*applied)["items"][1]["id"].get<uint64_t>(), 0u);
  auto again = cluster.Call("POST", "/api/v1/apply", Json{{"items", {WebDeployment("web", 1)}}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["items"][0]["result"], "unchanged");
}

TEST(DeploymentTest, BadManifestsAreRefusedNamingTheFieldAndChangeNothing) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  struct Case {
    const char* what;
    std::function<void(Json&)> spoil;
    const char* field;
  };
  const Case cases[] = {
      {"unknown field", [](Json& d) { d["spec"]["replicaz"] = 3; }, "spec.replicaz"},
      {"negative replicas", [](Json& d) { d["spec"]["replicas"] = -1; }, "spec.replicas"},
      {"surge and unavailable both 0",
       [](Json& d) {
         d["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", 0}, {"maxUnavailable", 0}};
       },
       "spec.strategy.rollingUpdate"},
      {"a probe on a port that does not exist",
       [](Json& d) { d["spec"]["template"]["readinessProbe"]["httpGet"]["port"] = "admin"; },
       "spec.template.readinessProbe.httpGet.port"},
      {"a bad port name", [](Json& d) { d["spec"]["template"]["ports"][0]["name"] = "HTTP!"; },
       "spec.template.ports[0].name"},
  };
  for (const Case& c : cases) {
    Json d = WebDeployment("web", 2);
    c.spoil(d);
    auto r = Apply(cluster, d);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(r.status().field(), c.field) << c.what << ": " << r.status().ToString();
  }
  // Replicas that could never run anywhere are refused too, naming why.
  Json nowhere = WebDeployment("web", 2);
  nowhere["spec"]["nodeSelector"] = {{"tier", "gpu"}};
  auto no_node = Apply(cluster, nowhere);
  ASSERT_FALSE(no_node.ok());
  EXPECT_EQ(no_node.status().code(), StatusCode::kUnschedulable);
  EXPECT_EQ(no_node.status().field(), "spec.nodeSelector");
  EXPECT_NE(no_node.status().message().find("no node has the labels tier=gpu"), std::string::npos)
      << no_node.status().ToString();
  Json huge = WebDeployment("web", 2);
  huge["spec"]["template"]["resources"] = {{"cpus", 64}};
  auto too_big = Apply(cluster, huge);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().field(), "spec.template.resources.cpus")
      << too_big.status().ToString();
  auto list = cluster.Call("GET", "/api/v1/deployments");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)["items"].empty()) << "nothing was created";
  // Names are unique per kind: a Job may share a Deployment's name.
  ASSERT_TRUE(cluster.Submit(ShellJob("web", "true")).ok());
  auto first = Apply(cluster, WebDeployment("web", 1));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["result"], "created");
  auto again = Apply(cluster, WebDeployment("web", 1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["result"], "unchanged");
  EXPECT_EQ((*again)["object"]["metadata"]["generation"], 1);
  auto undo = cluster.Call("POST", "/api/v1/deployments/web/undo", Json{{"toRevision", 9}});
  ASSERT_FALSE(undo.ok());
  EXPECT_EQ(undo.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Get(cluster, "web")["metadata"]["generation"], 1) << "a refused undo changes nothing";
}

}  // namespace
}  // namespace drover::testing
