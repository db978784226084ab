// A network partition made with network namespaces: droverd and two nodes in
// one namespace, the third node in another, joined by a veth pair the test
// takes down. The cut-off node's StatefulSet ordinal must be recreated on
// another node (after the node fenced itself), and at no moment sampled
// every 100 ms — from the process table and from the tasks' own heartbeat
// files — may two live tasks of one ordinal exist; on heal the old one is
// already dead. Needs root (ip netns); every server listens inside the
// namespaces the test makes, which it removes at the end.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/local_cluster.h"
#include "tests/support/test_files.h"
#include "tests/support/wait_for.h"

namespace drover::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kIp = "/usr/sbin/ip";  // Debian's iproute2

int Sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

// Two namespaces joined by a veth pair: "core" (10.231.N.1) and "cut" (10.231.N.2).
class NetnsPair {
 public:
  NetnsPair() {
    const std::string n = std::to_string(getpid() % 200);
    core_ = "drvcore" + n;
    cut_ = "drvcut" + n;
    veth_ = "drvv" + n;
    core_ip_ = "10.231." + n + ".1";
    cut_ip_ = "10.231." + n + ".2";
    Remove();
    ok_ = Sh("ip netns add " + core_) == 0 && Sh("ip netns add " + cut_) == 0 &&
          Sh("ip link add " + veth_ + "a netns " + core_ + " type veth peer name " + veth_ +
             "b netns " + cut_) == 0 &&
          Sh("ip -n " + core_ + " addr add " + core_ip_ + "/24 dev " + veth_ + "a") == 0 &&
          Sh("ip -n " + cut_ + " addr add " + cut_ip_ + "/24 dev " + veth_ + "b") == 0 &&
          Sh("ip -n " + core_ + " link set lo up") == 0 &&
          Sh("ip -n " + cut_ + " link set lo up") == 0 &&
          Sh("ip -n " + core_ + " link set " + veth_ + "a up") == 0 &&
          Sh("ip -n " + cut_ + " link set " + veth_ + "b up") == 0;
  }
  ~NetnsPair() { Remove(); }
  void Remove() {
    Sh("ip netns del " + core_);
    Sh("ip netns del " + cut_);
  }
  // The partition: the cut side's end of the link goes down (packets vanish).
  bool Cut() { return Sh("ip -n " + cut_ + " link set " + veth_ + "b down") == 0; }
  bool Heal() { return Sh("ip -n " + cut_ + " link set " + veth_ + "b up") == 0; }

  bool ok() const { return ok_; }
  const std::string& core() const { return core_; }
  const std::string& cut() const { return cut_; }
  const std::string& core_ip() const { return core_ip_; }
  const std::string& cut_ip() const { return cut_ip_; }

 private:
  bool ok_ = false;
  std::string core_, cut_, veth_, core_ip_, cut_ip_;
};

// Ordinal -> the tasks whose processes run now (from /proc: the ones with
// this test's marker in their environment).
std::map<std::string, std::set<std::string>> LiveFromProcessTable(const std::string& marker) {
  std::map<std::string, std::set<std::string>> out;
  DIR* d = opendir("/proc");
  while (struct dirent* e = d == nullptr ? nullptr : readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    const std::string env = ReadFile(std::string("/proc/") + e->d_name + "/environ");
    if (env.find("NETNS_TEST_MARK=" + marker) == std::string::npos) continue;
    std::string ordinal, task;
    for (size_t pos = 0; pos < env.size();) {
      size_t end = env.find('\0', pos);
      if (end == std::string::npos) end = env.size();
      const std::string kv = env.substr(pos, end - pos);
      if (kv.rfind("DROVER_ORDINAL_NAME=", 0) == 0) ordinal = kv.substr(20);
      if (kv.rfind("DROVER_TASK_NAME=", 0) == 0) task = kv.substr(17);
      pos = end + 1;
    }
    if (!ordinal.empty() && !task.empty()) out[ordinal].insert(task);
  }
  if (d != nullptr) closedir(d);
  return out;
}

// Ordinal -> the tasks whose heartbeat file was written in the last 400 ms.
std::map<std::string, std::set<std::string>> LiveFromHeartbeats(const std::string& shared) {
  std::map<std::string, std::set<std::string>> out;
  const auto now = std::filesystem::file_time_type::clock::now();
  std::error_code ec;
  for (const auto& ord : std::filesystem::directory_iterator(shared, ec)) {
    for (const auto& f : std::filesystem::directory_iterator(ord.path() / "data", ec)) {
      const std::string name = f.path().filename().string();
      if (name.rfind("hb.", 0) != 0) continue;
      auto age = now - std::filesystem::last_write_time(f.path(), ec);
      if (!ec && age < milliseconds(400))
        out[ord.path().filename().string()].insert(name.substr(3));
    }
  }
  return out;
}

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

TEST(NetnsPartitionTest, AnOrdinalCutOffByANetworkNamespaceMovesAndNeverRunsTwice) {
  if (geteuid() != 0 || access(kIp, X_OK) != 0) GTEST_SKIP() << "needs root and iproute2";
  NetnsPair net;
  ASSERT_TRUE(net.ok()) << "cannot make network namespaces";
  const std::string marker = std::to_string(getpid());
  const std::string shared = "/tmp/drover-netns-shared-" + marker;
  std::filesystem::remove_all(shared);
  std::filesystem::create_directories(shared);

  LocalClusterOptions options;
  options.nodes = 3;
  options.heartbeat_timeout_ms = 3'000;
  options.node_heartbeat_ms = 500;
  options.config = "services:\n  sharedVolumeRoots: [" + shared + "]\n  fenceAfter: 3\n";
  options.droverd_host = net.core_ip();
  options.wrap = [&](const std::string& who) {
    return std::vector<std::string>{kIp, "netns", "exec", who == "2" ? net.cut() : net.core()};
  };
  options.node_server = [&](int, const std::string& server) {
    return "http://" + net.core_ip() + server.substr(server.rfind(':'));
  };
  options.node_listen = [&](int index) {
    return (index == 2 ? net.cut_ip() : std::string("127.0.0.1")) + ":0";
  };
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start().ok()) << "see " << cluster.dir();

  // Each copy writes its own heartbeat file every 100 ms while it lives.
  const std::string script =
      "while :; do date +%s%N > $DROVER_VOLUME_DATA/hb.$DROVER_TASK_NAME; sleep 0.1; done";
  Json ss = {{"apiVersion", "drover.io/v1"},
             {"kind", "StatefulSet"},
             {"metadata", {{"name", "db"}}},
             {"spec",
              {{"replicas", 3},
               {"volumeTemplates", {{{"name", "data"}, {"kind", "Shared"}, {"path", shared}}}},
               {"template",
                {{"command", {"/bin/sh", "-c", script}},
                 {"env", {{{"name", "NETNS_TEST_MARK"}, {"value", marker}}}}}}}}};
  auto applied = cluster.Call("PUT", "/api/v1/statefulsets/db", ss);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return Running(cluster).size() == 3; }, seconds(30)));
  int64_t moved = -1;
  std::string old_task;
  for (const auto& [ordinal, where] : Running(cluster)) {
    if (where.second == cluster.node_name(2)) {
      moved = ordinal;
      old_task = where.first;
    }
  }
  ASSERT_GE(moved, 0) << "node-3 runs an ordinal";

  // Sample every 100 ms, from now until the end.
  std::atomic<bool> sampling{true};
  std::mutex mu;
  std::vector<std::string> doubles;  // guarded by mu
  int samples = 0;
  std::thread sampler([&] {
    while (sampling) {
      for (const auto& [ordinal, tasks] : LiveFromProcessTable(marker)) {
        if (tasks.size() > 1) {
          std::lock_guard<std::mutex> lock(mu);
          doubles.push_back("processes of " + ordinal + ": " + *tasks.begin() + ", " +
                            *tasks.rbegin());
        }
      }
      for (const auto& [ordinal, tasks] : LiveFromHeartbeats(shared)) {
        if (tasks.size() > 1) {
          std::lock_guard<std::mutex> lock(mu);
          doubles.push_back("heartbeats of " + ordinal + ": " + *tasks.begin() + ", " +
                            *tasks.rbegin());
        }
      }
      ++samples;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });

  ASSERT_TRUE(net.Cut());
  const auto cut_at = std::chrono::steady_clock::now();
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
  // The new copy's heartbeats come, and the old copy's process is gone.
  const std::string ordinal_name = "db-" + std::to_string(moved);
  const bool beating = WaitFor(
      [&] { return LiveFromHeartbeats(shared)[ordinal_name].count(new_task) > 0; }, seconds(10));
  const auto old_alive = [&] { return LiveFromProcessTable(marker)[ordinal_name].count(old_task); };
  const bool old_dead_before_heal = old_alive() == 0;

  ASSERT_TRUE(net.Heal());
  const bool back = WaitFor(
      [&] {
        auto n = cluster.Call("GET", "/api/v1/nodes/" + cluster.node_name(2));
        return n.ok() && (*n)["status"]["phase"] == "Ready";
      },
      seconds(30));
  // A few more samples after the heal.
  std::this_thread::sleep_for(milliseconds(1000));
  sampling = false;
  sampler.join();
  cluster.Stop();
  std::filesystem::remove_all(shared);

  ASSERT_TRUE(moved_away) << "db-" << moved << " never ran elsewhere";
  EXPECT_GE(took_s, 3.0) << "not before the cut-off node's fence";
  EXPECT_TRUE(beating) << "the new copy " << new_task << " heartbeats";
  EXPECT_TRUE(old_dead_before_heal) << "the old copy " << old_task << " was dead before the heal";
  EXPECT_TRUE(back) << "node-3 is Ready again after the heal";
  EXPECT_GT(samples, 30);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(doubles.empty()) << doubles.size()
                               << " samples saw two copies, first: " << doubles.front();
  std::cout << "netns ordinal failover: " << took_s << " s, " << samples << " samples\n";
}

}  // namespace
}  // namespace drover::testing
