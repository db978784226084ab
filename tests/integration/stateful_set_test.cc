// StatefulSets on real droverd, drover-node, supervisors and processes: the
// ordinals start in order, one per node, with their peers and a directory
// that outlives their tasks; and when one node is cut off from droverd by a
// network partition (a proxy between them that black-holes the traffic), its
// ordinal is started on another node only after the cut-off node stopped it
// by itself, so two copies never run: every copy holds an exclusive flock on
// the ordinal's data, and a second copy would record a conflict.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/local_cluster.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Ordinal -> (task, node) of its running task.
std::map<int64_t, std::pair<std::string, std::string>> Running(const LocalCluster& cluster) {
  std::map<int64_t, std::pair<std::string, std::string>> out;
  auto tasks = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  if (!tasks.ok()) return out;
  for (const Json& t : (*tasks)["items"]) {
    if (t["status"]["phase"] == "Running") {
      out[t["spec"]["index"].get<int64_t>()] = {t["metadata"]["name"], t["spec"]["node"]};
    }
  }
  return out;
}

// Live (assigned or running) tasks per ordinal.
std::map<int64_t, int> LiveByOrdinal(const LocalCluster& cluster) {
  std::map<int64_t, int> out;
  auto tasks = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  if (!tasks.ok()) return out;
  for (const Json& t : (*tasks)["items"]) {
    const std::string phase = t["status"]["phase"];
    if (phase == "Assigned" || phase == "Running") ++out[t["spec"]["index"].get<int64_t>()];
  }
  return out;
}

TEST(StatefulSetTest, APartitionedNodesOrdinalMovesOnlyAfterTheNodeStoppedIt) {
  const std::string shared = std::filesystem::temp_directory_path().string() + "/drover-shared-" +
                             std::to_string(getpid());
  std::filesystem::remove_all(shared);
  std::filesystem::create_directories(shared);
  std::unique_ptr<TcpProxy> proxy;
  LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 3'000;
  options.node_heartbeat_ms = 500;
  options.config = "services:\n  sharedVolumeRoots: [" + shared + "]\n  fenceAfter: 3\n";
  // node-3 reaches droverd through a proxy the test can cut.
  options.node_server = [&proxy](int index, const std::string& server) {
    if (index != 2) return server;
    const int port = std::stoi(server.substr(server.rfind(':') + 1));
    if (!proxy) proxy = std::make_unique<TcpProxy>(port);
    return "http://127.0.0.1:" + std::to_string(proxy->port());
  };
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  ASSERT_NE(proxy, nullptr);

  // Each copy takes the ordinal's lock for as long as it runs; a copy that
  // finds it taken records a conflict instead of running.
  const std::string script =
      "V=$DROVER_VOLUME_DATA; echo \"$DROVER_ORDINAL_NAME $DROVER_TASK_NAME $DROVER_NODENAME "
      "peers=$DROVER_PEERS\" >> $V/starts; "
      "flock -n $V/lock sleep 600 || echo \"conflict $DROVER_TASK_NAME\" >> $V/conflicts";
  Json ss = {{"apiVersion", "drover.io/v1"},
             {"kind", "StatefulSet"},
             {"metadata", {{"name", "db"}}},
             {"spec",
              {{"replicas", 3},
               {"volumeTemplates", {{{"name", "data"}, {"kind", "Shared"}, {"path", shared}}}},
               {"template", {{"command", {"/bin/sh", "-c", script}}}}}}};
  auto applied = cluster.Call("PUT", "/api/v1/statefulsets/db", ss);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return Running(cluster).size() == 3; }, seconds(30)));
  auto running = Running(cluster);
  std::map<std::string, int64_t> on_node;
  for (const auto& [ordinal, where] : running) on_node[where.second] = ordinal;
  ASSERT_EQ(on_node.size(), 3u) << "one ordinal per node";
  // OrderedReady: each started after the ones below it, and saw them as peers.
  const std::string starts0 = ReadFile(shared + "/db-2/data/starts");
  EXPECT_NE(starts0.find("peers=db-0="), std::string::npos) << starts0;
  EXPECT_NE(starts0.find("db-1="), std::string::npos) << starts0;

  const int64_t moved = on_node.at(cluster.node_name(2));
  const std::string data = shared + "/db-" + std::to_string(moved) + "/data";
  const std::string old_task = running.at(moved).first;
  proxy->Cut();
  const auto cut_at = std::chrono::steady_clock::now();
  // The ordinal runs again elsewhere...
  std::string new_task;
  const bool moved_away = WaitFor(
      [&] {
        auto now = Running(cluster);
        if (!now.count(moved) || now.at(moved).second == cluster.node_name(2)) return false;
        new_task = now.at(moved).first;
        return true;
      },
      seconds(40));
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - cut_at).count();
  ASSERT_TRUE(moved_away) << "conflicts: " << ReadFile(data + "/conflicts");
  // ... not before the cut-off node's fence (3 s) and its kill grace.
  EXPECT_GE(took_s, 3.0);
  // The new copy got the lock (a copy that does not records a conflict at
  // once and ends): the old one had stopped.
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(data + "/starts").find(new_task) != std::string::npos; }, seconds(10)));
  EXPECT_FALSE(WaitFor([&] { return !ReadFile(data + "/conflicts").empty(); }, seconds(1)))
      << "two copies of db-" << moved << " ran at once: " << ReadFile(data + "/conflicts");
  auto task = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  ASSERT_TRUE(task.ok());
  for (const Json& t : (*task)["items"]) {
    if (t["metadata"]["name"] == old_task) {
      EXPECT_EQ(t["status"]["phase"], "Lost") << t.dump();
    }
  }

  // The partition heals: node-3 comes back, nothing runs twice.
  proxy->Restore();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto nodes = cluster.Call("GET", "/api/v1/nodes/" + cluster.node_name(2));
        return nodes.ok() && (*nodes)["status"]["phase"] == "Ready";
      },
      seconds(30)));
  EXPECT_EQ(LiveByOrdinal(cluster), (std::map<int64_t, int>{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(ReadFile(data + "/conflicts"), "");
  std::cout << "ordinal_failover_s=" << took_s << " s\n";
  cluster.Stop();
  std::filesystem::remove_all(shared);
}

// Revision (hash) of each ordinal's running task.
std::map<int64_t, std::string> RevisionByOrdinal(const LocalCluster& cluster) {
  std::map<int64_t, std::string> out;
  auto tasks = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  if (!tasks.ok()) return out;
  for (const Json& t : (*tasks)["items"]) {
    if (t["status"]["phase"] == "Running") out[t["spec"]["index"]] = t["spec"]["revision"];
  }
  return out;
}

TEST(StatefulSetTest, OrdinalsStartInOrderKeepTheirDataAndRollFromTheTopDownToThePartition) {
  LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 2'000;
  options.node_heartbeat_ms = 500;
  options.config = "services:\n  fenceAfter: 1\n";
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  auto set = [](const std::string& version) {
    const std::string script = "echo \"" + version +
                               " $DROVER_ORDINAL_NAME peers=$DROVER_PEERS\" >> "
                               "$DROVER_VOLUME_DATA/journal; exec sleep 600";
    return Json{{"apiVersion", "drover.io/v1"},
                {"kind", "StatefulSet"},
                {"metadata", {{"name", "db"}}},
                {"spec",
                 {{"replicas", 3},
                  {"volumeTemplates", {{{"name", "data"}}}},
                  {"template", {{"command", {"/bin/sh", "-c", script}}}}}}};
  };
  ASSERT_TRUE(cluster.Call("PUT", "/api/v1/statefulsets/db", set("v1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Running(cluster).size() == 3; }, seconds(30)));
  // In order: each started after the one below ran, so it lists it as a peer.
  auto journal = [&](int64_t ordinal) {
    const std::string node = Running(cluster).at(ordinal).second;
    return ReadFile(cluster.dir() + "/" + node + "/volumes/db-" + std::to_string(ordinal) +
                    "/data/journal");
  };
  EXPECT_EQ(journal(0), "v1 db-0 peers=\n");
  EXPECT_NE(journal(1).find("peers=db-0="), std::string::npos) << journal(1);
  EXPECT_NE(journal(2).find("db-1="), std::string::npos) << journal(2);

  // Its node reboots (the supervisor and db-1's task die): db-1 comes back on
  // the node that holds its data, and finds it.
  const std::string home = Running(cluster).at(1).second;
  const std::string old_task = Running(cluster).at(1).first;
  const int home_index = home.back() - '1';
  ASSERT_TRUE(cluster.RebootNode(home_index).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto now = Running(cluster);
        return now.count(1) && now.at(1).first != old_task;
      },
      seconds(30)));
  EXPECT_EQ(Running(cluster).at(1).second, home);
  EXPECT_TRUE(WaitFor([&] { return journal(1).find("v1 db-1") != journal(1).rfind("v1 db-1"); },
                      seconds(10)))
      << "the data outlived the task: " << journal(1);

  // A new template with partition 2: only db-2 rolls; 0 and 1 keep theirs.
  const std::string v1 = RevisionByOrdinal(cluster).at(0);
  Json v2 = set("v2");
  v2["spec"]["updateStrategy"] = {{"rollingUpdate", {{"partition", 2}}}};
  ASSERT_TRUE(cluster.Call("PUT", "/api/v1/statefulsets/db", v2).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto revs = RevisionByOrdinal(cluster);
        return revs.size() == 3 && revs.at(2) != v1;
      },
      seconds(30)));
  auto revs = RevisionByOrdinal(cluster);
  EXPECT_EQ(revs.at(0), v1);
  EXPECT_EQ(revs.at(1), v1);
  EXPECT_NE(journal(2).find("v2 db-2"), std::string::npos) << journal(2);

  // Scale to 0: 2, then 1, then 0, each once the one above has gone (their
  // last tasks' ends, as droverd recorded them, in that order).
  ASSERT_TRUE(cluster.Call("POST", "/api/v1/statefulsets/db/scale", Json{{"replicas", 0}}).ok());
  ASSERT_TRUE(WaitFor([&] { return LiveByOrdinal(cluster).empty(); }, seconds(60)));
  std::map<int64_t, std::string> last_end;  // RFC 3339 times sort as strings
  auto tasks = cluster.Call("GET", "/api/v1/statefulsets/db/tasks");
  ASSERT_TRUE(tasks.ok());
  for (const Json& t : (*tasks)["items"]) {
    const std::string end = t["status"].value("finishTime", "");
    std::string& kept = last_end[t["spec"]["index"].get<int64_t>()];
    kept = std::max(kept, end);
  }
  ASSERT_EQ(last_end.size(), 3u);
  EXPECT_LE(last_end[2], last_end[1]);
  EXPECT_LE(last_end[1], last_end[0]);
}

// whenScaled/whenDeleted: Delete on real nodes: a scaled-down ordinal's
// directories go once its task has stopped, a deleted set's all go before the
// set does, the ordinal that comes back starts with an empty one, and
// nothing a task planted there (a symlink to a file, to a directory) leads
// the removal outside.
TEST(StatefulSetTest, ScaledDownAndDeletedOrdinalsLoseTheirDirectoriesAndNothingOutside) {
  LocalClusterOptions options;
  options.nodes = 2;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok());
  const std::string outside = cluster.dir() + "/outside";
  std::filesystem::create_directories(outside + "/dir");
  std::ofstream(outside + "/file") << "keep\n";
  std::ofstream(outside + "/dir/inner") << "keep\n";
  const std::string script =
      "echo $DROVER_ORDINAL_NAME >> $DROVER_VOLUME_DATA/journal; mkdir -p "
      "$DROVER_VOLUME_DATA/sub/deeper; ln -sf " +
      outside + "/file $DROVER_VOLUME_DATA/file-link; ln -sfn " + outside +
      "/dir $DROVER_VOLUME_DATA/sub/dir-link; exec sleep 600";
  const Json set = {{"apiVersion", "drover.io/v1"},
                    {"kind", "StatefulSet"},
                    {"metadata", {{"name", "db"}}},
                    {"spec",
                     {{"replicas", 3},
                      {"podManagementPolicy", "Parallel"},
                      {"volumeTemplates", {{{"name", "data"}}}},
                      {"persistentVolumeClaimRetentionPolicy",
                       {{"whenScaled", "Delete"}, {"whenDeleted", "Delete"}}},
                      {"template", {{"command", {"/bin/sh", "-c", script}}}}}}};
  ASSERT_TRUE(cluster.Call("PUT", "/api/v1/statefulsets/db", set).ok());
  ASSERT_TRUE(WaitFor([&] { return Running(cluster).size() == 3; }, seconds(30)));
  std::map<int64_t, std::string> dir;  // ordinal -> its directory on its node
  for (const auto& [ordinal, task] : Running(cluster)) {
    dir[ordinal] = cluster.dir() + "/" + task.second + "/volumes/db-" + std::to_string(ordinal);
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& [ordinal, d] : dir) {
          if (!std::filesystem::is_symlink(d + "/data/sub/dir-link")) return false;
        }
        return true;
      },
      seconds(10)))
      << "each ordinal made its directory and planted its links";

  ASSERT_TRUE(cluster.Call("POST", "/api/v1/statefulsets/db/scale", Json{{"replicas", 1}}).ok());
  ASSERT_TRUE(
      WaitFor([&] { return !std::filesystem::exists(dir[1]) && !std::filesystem::exists(dir[2]); },
              seconds(30)))
      << "the scaled-down ordinals' directories are removed";
  EXPECT_TRUE(std::filesystem::exists(dir[0] + "/data/journal")) << "ordinal 0 keeps its data";
  EXPECT_EQ(ReadFile(outside + "/file"), "keep\n");
  EXPECT_EQ(ReadFile(outside + "/dir/inner"), "keep\n");
  ASSERT_TRUE(WaitFor(
      [&] {
        auto got = cluster.Call("GET", "/api/v1/statefulsets/db");
        return got.ok() && !(*got)["status"].contains("removingVolumes");
      },
      seconds(10)));

  // Back to 2: ordinal 1 starts afresh.
  ASSERT_TRUE(cluster.Call("POST", "/api/v1/statefulsets/db/scale", Json{{"replicas", 2}}).ok());
  ASSERT_TRUE(WaitFor([&] { return Running(cluster).size() == 2; }, seconds(30)));
  const std::string again = cluster.dir() + "/" + Running(cluster).at(1).second + "/volumes/db-1";
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(again + "/data/journal").empty(); }, seconds(10)));
  EXPECT_EQ(ReadFile(again + "/data/journal"), "db-1\n");

  // Deleted: the set goes only after every ordinal's directories have.
  ASSERT_TRUE(cluster.Call("DELETE", "/api/v1/statefulsets/db").ok());
  ASSERT_TRUE(
      WaitFor([&] { return !cluster.Call("GET", "/api/v1/statefulsets/db").ok(); }, seconds(30)));
  EXPECT_FALSE(std::filesystem::exists(dir[0]));
  EXPECT_FALSE(std::filesystem::exists(again));
  EXPECT_EQ(ReadFile(outside + "/file"), "keep\n");
  EXPECT_EQ(ReadFile(outside + "/dir/inner"), "keep\n");
}

}  // namespace
}  // namespace drover::testing
